"""A step with a fail point whose only way out is the happy path: nothing handles the failure.

The consultant marked that something goes wrong here (the glass front breaks in transit, the
refund is not processed), but the blueprint carries on as if it never does. In the real service
the customer is the one who finds out, and has to chase it. Draw the recovery: who notices the
failure, and what they do about it.

Failing example::

    teams:
      finance: {name: Finance}
    steps:
      refund: {name: Processes the refund, lane: backstage, owner: finance,
               fail_point: Refund not sent}
      done:   {name: Refunded, outcome: success}
    flows: [[refund, done]]
    start: refund

Passing example (a flow that handles the failure, or a timeout that escalates)::

    teams:
      finance: {name: Finance}
    steps:
      refund: {name: Processes the refund, lane: backstage, owner: finance,
               fail_point: Refund not sent}
      chase:  {name: Finance checks failed refunds daily, lane: backstage, owner: finance}
      done:   {name: Refunded, outcome: success}
    flows: [[refund, done, 0.9], [refund, chase, 0.1], [chase, done]]
    start: refund
"""
from ..findings import Issue

ID = "fail-point-without-recovery"
SEVERITY = "warning"


def check(facts):
    model = facts.model
    for sid, step in model.steps.items():
        ways = facts.successors[sid]
        if not step.fail_point or step.is_outcome or not ways or step.timeout is not None:
            continue
        if len(ways) > 1 and step.split != "all":
            continue  # one of the branches can handle the failure
        onward = " and ".join(model.label(b) for b in ways)
        yield Issue(f"{model.label(sid)} can fail ({step.fail_point}), but the case always goes on to "
                    f"{onward} as if it had not: nothing handles the failure, so the customer finds out and "
                    "has to chase it. Add a flow, with its chance, to a step that notices and puts it right, "
                    "or a timeout that escalates.",
                    steps=(sid,), flows=tuple((sid, b) for b in ways))
