"""A step that is not an outcome has no way out: the case stops there and nobody is told.

This is the inbox nobody reads: the customer is asked to email the manager, the email is
auto-sorted, and nothing follows. From the customer's side the service has simply stopped.

Failing example::

    teams:
      store: {name: Store}
    steps:
      email:   {name: Emails the manager, lane: customer, channel: email}
      inbox:   {name: Email auto-sorted, lane: backstage, owner: store}
      refund:  {outcome: success}
    flows: [[email, inbox]]
    start: email

Passing example (someone reads the inbox and acts)::

    teams:
      store: {name: Store}
    steps:
      email:   {name: Emails the manager, lane: customer, channel: email}
      inbox:   {name: Email auto-sorted, lane: backstage, owner: store}
      refund:  {outcome: success}
    flows: [[email, inbox], [inbox, refund]]
    start: email
"""
from ..findings import Issue

ID = "dead-end"
SEVERITY = "error"


def check(facts):
    model = facts.model
    for sid, step in model.steps.items():
        if not step.is_outcome and not facts.successors[sid]:
            yield Issue(f"Nothing happens after {model.label(sid)}: the case stops there and the customer "
                        "is left waiting. Add a flow to what should happen next, or mark the step as an "
                        "outcome.", steps=(sid,))
