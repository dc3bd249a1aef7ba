"""From this step on, no success outcome can be reached at all: every case that gets here fails.

This is the point of no return in the journey: the redirect to the manufacturer that never
comes back ("call the manufacturer"), or the email to the manager that is auto-sorted and never
read. Nothing after it resolves the customer's problem; the case can only end in failure, stop,
or go round for ever. The finding is on the first such step on each path, not on every step after.

Failing example::

    teams:
      store: {name: Store}
    steps:
      call:    {name: Phones the store, lane: customer, channel: phone}
      refer:   {name: Tells the customer to call the manufacturer, lane: frontstage, owner: store}
      give_up: {name: Gives up, outcome: failure}
      fixed:   {name: Fire fitted, outcome: success}
    flows: [[call, fixed, 0.5], [call, refer, 0.5], [refer, give_up]]
    start: call

Passing example (the store owns the fix)::

    teams:
      store: {name: Store}
    steps:
      call:    {name: Phones the store, lane: customer, channel: phone}
      refer:   {name: Tells the customer to call the manufacturer, lane: frontstage, owner: store}
      replace: {name: Sends a replacement, lane: backstage, owner: store}
      give_up: {name: Gives up, outcome: failure}
      fixed:   {name: Fire fitted, outcome: success}
    flows: [[call, fixed, 0.5], [call, refer, 0.5], [refer, replace], [replace, fixed]]
    start: call
"""
from ..findings import Issue
from ._wording import listing

ID = "no-resolution"
SEVERITY = "error"

#: How far to look ahead for the outcomes a doomed case ends in (only for the message).
_LOOK_AHEAD = 200


def _ends(facts, start: str) -> str:
    """How the cases that reach `start` end, for the message: the outcomes and dead ends ahead."""
    model, seen, stack, ends, stops = facts.model, {start}, [start], set(), set()
    while stack and len(seen) < _LOOK_AHEAD:
        sid = stack.pop()
        if model.steps[sid].is_outcome:
            ends.add(sid)
        elif not facts.successors[sid]:
            stops.add(sid)
        for b in facts.successors[sid]:
            if b not in seen:
                seen.add(b)
                stack.append(b)
    said = []
    if ends:
        said.append(f"ends in {listing(model, [s for s in model.steps if s in ends], 3)}")
    if stops:
        said.append(f"stops at {listing(model, [s for s in model.steps if s in stops], 3)}")
    return " or ".join(said) if said else "never ends"


def check(facts):
    model = facts.model
    if not any(s.outcome == "success" for s in model.steps.values()):
        yield Issue("The blueprint has no success outcome, so no case can ever be resolved. Mark the step "
                    "where the customer's need is met with outcome: success.")
        return
    good, closed = facts.can_succeed, {s for loop in facts.closed_loops for s in loop}
    for sid, step in model.steps.items():
        if sid in good or step.is_outcome or sid not in facts.reachable:
            continue
        if not facts.ways[sid] or sid in closed:
            continue  # a dead end or a livelock: those rules say it more exactly
        before = [a for a in facts.predecessors[sid] if a in good and a in facts.reachable]
        if not before and sid not in model.entry:
            continue  # further down the same doomed path
        yield Issue(f"From {model.label(sid)} on, no path leads to a success outcome: every case that gets "
                    f"here {_ends(facts, sid)}, and the customer's problem is never resolved. Add a way from "
                    "here to a step that resolves the case, with a team that owns it.",
                    steps=(sid,), flows=tuple((a, sid) for a in before))
