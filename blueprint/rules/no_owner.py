"""A staff step with no owner: nobody is responsible for doing it.

Work in the frontstage, backstage or support lanes is done by a team. When no team owns a
step, nobody is measured on it, nobody is staffed for it, and the customer cannot be told who
is dealing with their case.

Failing example::

    teams:
      finance: {name: Finance}
    steps:
      refund: {name: Issues the refund, lane: backstage}
      done:   {name: Refunded, outcome: success}
    flows: [[refund, done]]
    start: refund

Passing example::

    teams:
      finance: {name: Finance}
    steps:
      refund: {name: Issues the refund, lane: backstage, owner: finance}
      done:   {name: Refunded, outcome: success}
    flows: [[refund, done]]
    start: refund
"""
from ..findings import Issue

ID = "no-owner"
SEVERITY = "error"


def check(facts):
    model = facts.model
    for sid in facts.staff_steps:
        step = model.steps[sid]
        if step.owner is None:
            yield Issue(f"Nobody owns {model.label(sid)} in the {step.lane} lane: no team is responsible "
                        "for doing it. Give it an owner: the team that does the work.", steps=(sid,))
