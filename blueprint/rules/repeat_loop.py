"""A loop through a customer contact or a fail point: the customer can go round it again and again.

The callback that never comes, so the customer phones again; the refund that does not arrive, so
they phone again; the replacement that arrives broken, so it is reordered. Each round is another
contact and more frustration. Where every branch in the loop has its ``p``, the message gives the
expected number of rounds from the exact chain (``blueprint stats``): "the customer phones 2.4
times on average". One finding per loop. (A loop with no way out at all is a ``livelock``.)

Failing example::

    teams:
      store: {name: Store}
    steps:
      call:    {name: Phones about the refund, lane: customer, channel: phone}
      promise: {name: Promises the refund within 5 days, lane: frontstage, owner: store}
      wait:    {name: Waits for the refund, lane: customer}
      paid:    {name: Refunded, outcome: success}
    flows: [[call, promise], [promise, wait], [wait, paid, 0.4], [wait, call, 0.6]]
    start: call

Passing example (the promise is kept: the store checks the refund went out)::

    teams:
      store: {name: Store}
    steps:
      call:    {name: Phones about the refund, lane: customer, channel: phone}
      promise: {name: Promises the refund within 5 days, lane: frontstage, owner: store}
      check:   {name: Checks the refund went out, lane: backstage, owner: store}
      wait:    {name: Waits for the refund, lane: customer}
      paid:    {name: Refunded, outcome: success}
    flows: [[call, promise], [promise, check], [check, wait], [wait, paid]]
    start: call
"""
from ..chain.rounds import rounds_of_loops
from ..findings import Issue
from ._wording import contact_verb, listing, times

ID = "repeat-loop"
SEVERITY = "warning"


def _weighted(model, loop) -> bool:
    """Whether every branch in the loop has its chance given (so the number of rounds is known)."""
    return all(len(model.outgoing[s]) < 2 or model.steps[s].split == "all" or model.outgoing[s][0].p is not None
               for s in loop)


def _times(rounds: float) -> str:
    return "again and again without end" if rounds == float("inf") else times(rounds)


def check(facts):
    model = facts.model
    closed = {s for loop in facts.closed_loops for s in loop}
    found = []  # (loop, contacts, fails)
    for loop in facts.loops:
        if set(loop) <= closed:
            continue  # a livelock
        contacts = [s for s in loop if model.steps[s].lane == "customer" and model.steps[s].channel]
        fails = [s for s in loop if model.steps[s].fail_point]
        if contacts or fails:
            found.append((loop, contacts, fails))
    weighted = [(loop, contacts or fails) for loop, contacts, fails in found if _weighted(model, loop)]
    solved = iter(rounds_of_loops(model, weighted))  # one solve for every loop
    for loop, contacts, fails in found:
        inside = set(loop)
        flows = tuple((a, b) for a in loop for b in facts.successors[a] if b in inside)
        where = f"The loop through {listing(model, loop, 4)} can take the customer round again and again"
        if _weighted(model, loop):
            rounds = next(solved)
            order = list(rounds)
            if contacts:
                top = model.steps[order[0]].channel
                repeats = (f"the customer {contact_verb(top)} {_times(rounds[order[0]])} on average "
                           f"({model.label(order[0])})")
                if len(order) > 1:
                    repeats += ", and also goes through " + ", ".join(
                        f"{model.label(s)} {_times(rounds[s])}" for s in order[1:])
            else:
                repeats = (f"{model.label(order[0])} ({model.steps[order[0]].fail_point}) is done "
                           f"{_times(rounds[order[0]])} on average")
            where += f": once in it, {repeats}."
        else:
            what = listing(model, contacts or fails, 3)
            where += (f", through {what} each time. Give the branches in the loop their p to see how many "
                      "rounds to expect.")
        yield Issue(f"{where} Fix the cause of the repeat: keep the promise (a call-back that is made, a "
                    "refund that is checked), or give the case to someone who resolves it.",
                    steps=tuple(loop), flows=flows)
