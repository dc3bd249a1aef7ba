"""Where each step goes on a blueprint drawing: its lane (row) and its column, inside its stage.

A service blueprint reads left to right in journey order and top to bottom from the customer to
the support processes. :func:`placement` decides the grid the renderer draws on:

- **lane**: the step's own lane; an outcome without one sits in the lane most of the steps that
  end there come from (ties go to the lane nearer the customer).
- **column**: the steps are put in journey order. A flow back to an earlier step (a loop, a
  rework) or into an earlier stage does not push its target to the right; every other flow (and a
  timeout's way out) puts its target in a later column than its source.
- **stage**: the stages are bands of columns, left to right in the order of ``stages``; a step
  without a stage belongs to the latest stage among the steps it comes from.

Column 0 holds the lane labels; the steps start in column 1.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..graph import Facts
from ..model import CUSTOMER, Blueprint
from ..walks import depth_first

__all__ = ["Placement", "placement"]


@dataclass(frozen=True)
class Placement:
    """The grid of a drawing.

    Attributes
    ----------
    lane : dict
        ``{step_id: lane}`` for every step, outcomes included.
    column : dict
        ``{step_id: column}``, 1 for the first column of steps.
    stages : list
        ``[(stage, first_column, last_column)]`` left to right; empty when the blueprint has none.
    backward : set
        The ``(from, to)`` pairs of flows (and timeouts) drawn back to an earlier or the same column.
    columns : int
        How many columns the steps take (the last step column is ``columns``).
    """

    lane: dict[str, str]
    column: dict[str, int]
    stages: list[tuple[str, int, int]] = field(default_factory=list)
    backward: frozenset = frozenset()
    columns: int = 1


def _back_edges(model: Blueprint, succ: dict[str, list[str]]) -> set[tuple[str, str]]:
    """Edges that close a loop in a depth-first walk from the entry (then from unreached steps)."""
    return depth_first(succ, list(model.entry))[0]


def _lanes(model: Blueprint, succ: dict[str, list[str]]) -> dict[str, str]:
    lane = {sid: s.lane for sid, s in model.steps.items() if s.lane is not None}
    order = {name: i for i, name in enumerate(model.lanes)}
    sources: dict[str, list[str]] = {sid: [] for sid in model.steps}
    for sid, targets in succ.items():
        for t in targets:
            sources[t].append(sid)
    pending = [sid for sid in model.steps if sid not in lane]
    for _ in range(len(pending) + 1):  # an outcome may be reached from another lane-less step
        left = []
        for sid in pending:
            votes = Counter(lane[s] for s in sources[sid] if s in lane)
            if votes:
                lane[sid] = min(votes, key=lambda name: (-votes[name], order.get(name, len(order))))
            else:
                left.append(sid)
        if len(left) == len(pending):
            break
        pending = left
    for sid in pending:
        lane[sid] = CUSTOMER if CUSTOMER in order else model.lanes[0]
    return lane


def placement(model: Blueprint) -> Placement:
    """The lane and column of every step, and the columns of every stage.

    Parameters
    ----------
    model : Blueprint
        The blueprint to lay out.

    Returns
    -------
    Placement
        Lanes, columns, stage bands and the flows drawn backwards.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads('''
    ... stages: [Ask, Fix]
    ... steps:
    ...   ask: {lane: customer, stage: Ask}
    ...   look: {lane: frontstage, stage: Ask}
    ...   fix: {lane: backstage, stage: Fix}
    ...   done: {outcome: success}
    ... flows: [[ask, look], [look, fix, 0.5], [look, ask, 0.5], [fix, done]]
    ... start: ask
    ... ''')
    >>> p = placement(model)
    >>> p.column, p.lane["done"]
    ({'ask': 1, 'look': 2, 'fix': 3, 'done': 4}, 'backstage')
    >>> p.stages, sorted(p.backward)
    ([('Ask', 1, 2), ('Fix', 3, 4)], [('look', 'ask')])
    """
    succ = Facts(model).successors  # flows, then the timeout's way out
    back = _back_edges(model, succ)
    stage_index = {name: i for i, name in enumerate(model.stages)}
    own = {sid: stage_index[s.stage] for sid, s in model.steps.items() if s.stage in stage_index}

    forward = {sid: [t for t in targets if (sid, t) not in back] for sid, targets in succ.items()}
    indegree = Counter(t for targets in forward.values() for t in targets)
    ready = [sid for sid in model.steps if indegree[sid] == 0]
    topo: list[str] = []
    while ready:  # Kahn's order; the forward edges are acyclic
        sid = ready.pop(0)
        topo.append(sid)
        for t in forward[sid]:
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)

    # the stage band of each step: its own, else the latest of the steps it comes from
    band: dict[str, int] = {}
    preds: dict[str, list[str]] = {sid: [] for sid in model.steps}
    for sid in topo:
        band[sid] = own.get(sid, max((band[p] for p in preds[sid]), default=0))
        for t in forward[sid]:
            preds[t].append(sid)
    for sid in topo:  # a flow into an earlier stage is drawn backwards
        for t in list(forward[sid]):
            if band[t] < band[sid]:
                back.add((sid, t))
                forward[sid].remove(t)
                preds[t].remove(sid)

    column: dict[str, int] = {}
    bands = max(len(model.stages), max(band.values(), default=0) + 1)
    stages: list[tuple[str, int, int]] = []
    start = 1
    for k in range(bands):
        members = [sid for sid in topo if band[sid] == k]
        for sid in members:
            column[sid] = max([start] + [column[p] + 1 for p in preds[sid]])
        end = max((column[s] for s in members), default=start)
        if k < len(model.stages):
            stages.append((model.stages[k], start, end))
        start = end + 1
    columns = max([*column.values(), *(end for _, _, end in stages)], default=1)  # an empty stage too
    return Placement(lane=_lanes(model, succ), column={sid: column[sid] for sid in model.steps},
                     stages=stages, backward=frozenset(back), columns=columns)
