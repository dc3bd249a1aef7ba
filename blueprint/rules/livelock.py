"""A loop that, once entered, can never be left: "the flowcharts weren't flowing anywhere".

Every step in the loop only leads to another step of the loop: the customer is passed round
and round (phone, told to email, email, told to phone) and the case never ends, neither
resolved nor closed. A way out that a case can never take does not count: a flow with chance 0,
the flows of a step that always outlasts its timeout (``duration: 5, timeout: {after: 1, to:
answer}`` goes round for ever), a step its team cannot do. One finding per loop, naming all its
steps.

Failing example::

    teams:
      store: {name: Store}
    steps:
      phone: {name: Phones about the refund, lane: customer, channel: phone}
      told:  {name: Says the refund is on its way, lane: frontstage, owner: store}
      wait:  {name: Waits for the refund, lane: customer}
      done:  {name: Refunded, outcome: success}
    flows: [[phone, told], [told, wait], [wait, phone]]
    start: phone

Passing example (a way out of the loop)::

    teams:
      store: {name: Store}
    steps:
      phone: {name: Phones about the refund, lane: customer, channel: phone}
      told:  {name: Says the refund is on its way, lane: frontstage, owner: store}
      wait:  {name: Waits for the refund, lane: customer}
      done:  {name: Refunded, outcome: success}
    flows: [[phone, told], [told, wait], [wait, phone, 0.3], [wait, done, 0.7]]
    start: phone
"""
from ..findings import Issue
from ._wording import listing

ID = "livelock"
SEVERITY = "error"


def check(facts):
    model = facts.model
    for loop in facts.closed_loops:
        inside = set(loop)
        flows = tuple((a, b) for a in loop for b in facts.ways[a] if b in inside)
        what = (f"{model.label(loop[0])} only leads back to itself" if len(loop) == 1 else
                f"{listing(model, loop, 5)} only lead to each other")
        yield Issue(f"Once a case gets here it can never leave: {what}, so the customer goes round and round "
                    "and the case never ends (the flowcharts aren't flowing anywhere). Add a way out: a flow "
                    "to the step that resolves the case, to an outcome, or a timeout that escalates.",
                    steps=tuple(loop), flows=flows)
