"""A step needs a capability its owner does not have: the work is handed to a team that cannot act.

The social media team promises a call-back, but it cannot make outbound calls: the promise can
never be kept, and the customer waits for a call that will not come. The step is a dead end in
disguise.

Failing example::

    teams:
      social: {name: Social media team, can: [inbound_message]}
    steps:
      call_back: {name: Promises a call-back, lane: frontstage, owner: social, needs: [outbound_call]}
      done:      {name: Called back, outcome: success}
    flows: [[call_back, done]]
    start: call_back

Passing example (give the team the capability, or give the step to a team that has it)::

    teams:
      social: {name: Social media team, can: [inbound_message, outbound_call]}
    steps:
      call_back: {name: Promises a call-back, lane: frontstage, owner: social, needs: [outbound_call]}
      done:      {name: Called back, outcome: success}
    flows: [[call_back, done]]
    start: call_back
"""
from ..findings import Issue

ID = "incapable-handoff"
SEVERITY = "error"


def check(facts):
    model = facts.model
    for sid, step in model.steps.items():
        if not step.needs or step.owner is None or step.owner not in model.teams:
            continue
        missing = [n for n in step.needs if n not in model.teams[step.owner].can]
        if missing:
            into = [f.source for f in model.incoming[sid]]
            yield Issue(f"{model.label(sid)} needs {', '.join(missing)}, which {model.team_name(step.owner)} "
                        "cannot do: the case is handed to a team that cannot act on it. Give the team "
                        f"{' and '.join(missing)}, or hand the step to a team that can.",
                        steps=(sid,), flows=tuple((a, sid) for a in dict.fromkeys(into)))
