"""Branches of a ``split: all`` meet again at a step that does not ``join: all``.

A ``split: all`` sends the case down every flow at once. When those branches come back to the same
step without a ``join: all`` there, the step does not wait for the other branch: it is done once
for each branch that arrives, and so is everything after it. The customer gets two confirmation
letters, two engineers are booked, the case is closed twice. (And where two branches queue along
the same flow into a join, which one the join takes first is a matter of time.) Mark the step
where the branches meet ``join: all``, or let only one branch carry on.

Failing example (the letter and the refund both flow on to "confirms", which runs twice)::

    teams:
      care: {name: Customer care}
    steps:
      accept:   {name: Accepts the claim, lane: backstage, owner: care, split: all}
      letter:   {name: Writes to the customer, lane: backstage, owner: care}
      refund:   {name: Pays the refund, lane: backstage, owner: care}
      confirms: {name: Confirms the claim is settled, lane: frontstage, owner: care}
      settled:  {name: Settled, outcome: success}
    flows: [[accept, letter], [accept, refund], [letter, confirms], [refund, confirms], [confirms, settled]]
    start: accept

Passing example (the confirmation waits for both)::

    teams:
      care: {name: Customer care}
    steps:
      accept:   {name: Accepts the claim, lane: backstage, owner: care, split: all}
      letter:   {name: Writes to the customer, lane: backstage, owner: care}
      refund:   {name: Pays the refund, lane: backstage, owner: care}
      confirms: {name: Confirms the claim is settled, lane: frontstage, owner: care, join: all}
      settled:  {name: Settled, outcome: success}
    flows: [[accept, letter], [accept, refund], [letter, confirms], [refund, confirms], [confirms, settled]]
    start: accept
"""
from ..findings import Issue
from ..graph import steps_with_joins
from ._parallel import episodes
from ._wording import listing

ID = "missing-join"
SEVERITY = "warning"


def _region(facts, start: str, fork: str, stops: set[str]) -> set[str]:
    """Steps a branch from `start` reaches before any join, outcome, or the split itself."""
    seen, stack = set(), [start]
    while stack:
        sid = stack.pop()
        if sid in seen or sid == fork or sid in stops:
            continue
        seen.add(sid)
        stack.extend(facts.ways[sid])
    return seen


def meetings(facts, fork: str, stops: set[str]) -> list[str]:
    """Where branches of the split at `fork` first meet without a join: steps two of its branches
    reach before any of `stops` (the ``join: all`` steps and the outcomes), the first such on each
    branch, in file order."""
    model = facts.model
    targets = list(dict.fromkeys(f.target for f in model.outgoing[fork]))
    regions = [_region(facts, t, fork, stops) for t in targets]
    shared: set[str] = set()
    for i, one in enumerate(regions):
        for other in regions[i + 1:]:
            shared |= one & other
    reached = set().union(*regions) if regions else set()
    first = {sid for sid in shared if sid in targets or any(
        p in reached and p not in shared and sid in facts.ways[p] for p in facts.predecessors[sid])}
    return sorted(first, key=facts.index.__getitem__)


def check(facts):
    model = facts.model
    piled = episodes(facts)
    stops = {sid for sid, _ in steps_with_joins(model)} | {sid for sid, s in model.steps.items() if s.is_outcome}
    for sid, step in model.steps.items():
        if step.split != "all" or sid not in facts.reachable or len(model.outgoing[sid]) < 2:
            continue
        met = meetings(facts, sid, stops)
        piles = [facts.ids[j] for j in sorted(piled[sid].piles)] if sid in piled else []
        if not met and not piles:
            continue
        said = []
        if met:
            said.append(f"they meet again at {listing(model, met, 3)}, which does not join: all, so it is done "
                        "once for each branch that gets there, and so is everything after it (two letters, "
                        "two bookings, the customer told twice)")
        if piles:
            said.append(f"two branches come into {listing(model, piles, 3)} along the same flow, and which one "
                        "it takes first depends on time")
        yield Issue(f"The branches of {model.label(sid)} (split: all) are not joined: {'; '.join(said)}. Mark the "
                    "step where they meet join: all, or let only one branch carry on.",
                    steps=tuple(dict.fromkeys([sid, *met, *piles])),
                    flows=tuple((a, m) for m in met for a in facts.predecessors[m] if a in facts.reachable))
