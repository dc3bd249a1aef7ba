"""No path from the start reaches these steps: they are drawn, but no customer ever gets there.

Often a recovery path that was designed but never connected: the "escalate to a manager" box
that no flow leads to. The service promises it on paper only.

Failing example::

    teams:
      store: {name: Store}
    steps:
      call:     {name: Calls in, lane: customer, channel: phone}
      escalate: {name: Escalates to a manager, lane: backstage, owner: store}
      done:     {outcome: success}
    flows: [[call, done], [escalate, done]]
    start: call

Passing example (connect it)::

    teams:
      store: {name: Store}
    steps:
      call:     {name: Calls in, lane: customer, channel: phone}
      escalate: {name: Escalates to a manager, lane: backstage, owner: store}
      done:     {outcome: success}
    flows: [[call, done, 0.8], [call, escalate, 0.2], [escalate, done]]
    start: call
"""
import networkx as nx

from ..findings import Issue

ID = "unreachable"
SEVERITY = "warning"


def check(facts):
    model = facts.model
    lost = [sid for sid in model.steps if sid not in facts.reachable]
    if not lost:
        return
    parts = [sorted(part, key=facts.index.__getitem__)  # steps in file order: the same whatever the hash seed
             for part in nx.weakly_connected_components(facts.graph.subgraph(lost))]
    for steps in sorted(parts, key=lambda steps: facts.index[steps[0]]):
        names = ", ".join(model.label(s) for s in steps[:5]) + (", ..." if len(steps) > 5 else "")
        yield Issue(f"No case ever reaches {names}: no path from the start leads there. Connect "
                    f"{'it' if len(steps) == 1 else 'them'} with a flow, or remove what is not part of the "
                    "service.", steps=tuple(steps))
