"""Story repeats, exactly: the chain over steps, with what the case remembers (:mod:`blueprint.story`).

Whether the customer repeats the story at a step depends on every team the case met before, so
the chain needs that history. It does not need all of it at once: the expected repeats are the sum,
over the circles of :func:`blueprint.story.records`, of the repeats at the steps of that circle's
teams, and for one circle a case is in one of three phases: no team yet (0), teams but none of
the circle (1), one of the circle (2). Repeats of the circle happen on reaching one of its
frontstage steps in phase 1, and nothing of that circle happens after phase 2. So each circle is
a chain of at most twice the steps (phases 0 and 1), built from the reachable ones only, with the
splits' episodes explored in that phase (:class:`~blueprint.chain.branches.Circle`), and solved
like the chain over steps.

The work is bounded: at most :data:`MOST_STATES` states over all circles. A blueprint that needs
more (many teams with records of their own over a very large journey) gets no figure: ``None``,
with the reason.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ..graph import reach
from ..ways import columns
from .branches import Circle, Explorer, Net, TooManyStates
from .solve import expected_visits
from .steps import StepChain

__all__ = ["MOST_STATES", "story_repeats"]

#: The most states the story-repeat chains may have over all circles of one blueprint.
MOST_STATES = 2_000_000


def story_repeats(chain: StepChain, general: bool = False,
                  weights: np.ndarray | None = None) -> tuple[float | None, str | None, set[int]]:
    """Expected story repeats per case: ``(value, None, piles)``, or ``(None, why, piles)``; `piles` are
    the joins where branches that remember different things pile up (the answer depends on time).
    Without parallel work the chain of phase 0 is solved once for every circle (unless `general`).
    `weights` (by step; without parallel work only) counts a repeat at step s as ``weights[s]``."""
    net = chain.net
    circles = net.records.circles
    if not circles or not net.records.test:
        return 0.0, None, set()
    n = len(net.ids)
    budget = [MOST_STATES]
    total, piles = 0.0, set()
    owned, touch, test = _bits(chain)
    coo = chain.move.tocoo()
    edges = _Edges(coo.row, coo.col, coo.data, owned[coo.col], owned, n)
    first = None if chain.splits or general else _first_teams(chain, owned)
    if weights is not None and first is None:
        raise ValueError("weighted story repeats are followed without parallel work only")
    for k in range(len(circles)):
        bit = 2 << k
        if not (test == bit).any():
            continue  # a circle of teams without frontstage steps: nobody there hears a story
        try:
            if first is not None:  # no parallel work: the same chain, phase 0 solved once for all circles
                front = test == bit if weights is None else (test == bit) * weights
                value, more = _one_circle_alone(chain, first, (touch & bit) > 0, front, budget), set()
            else:
                value, more = _one_circle(chain, net, bit, edges, (touch & bit) > 0, test == bit, budget)
        except TooManyStates:
            return None, _too_many(len(circles)), piles
        if value is None:
            return None, ("the story repeats never end: a case can go round a loop through a frontstage "
                          "step of a team that cannot see it"), piles
        total += value
        piles |= more
    return total, None, piles


def _bits(chain: StepChain) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """By step: whether it has an owner, the story bits its owner sets, and its own bit (0 for none)."""
    c, records = columns(chain.model), chain.net.records
    owned = c.team >= 0
    touch_of = np.array([records.touch.get(t, 0) for t in c.teams] + [0])  # the last: no owner
    touch = touch_of[c.team]
    bits = np.array(list(records.test.values()) or [0])
    test = np.zeros(len(c.ids), dtype=bits.dtype)
    test[c.front] = bits[:len(records.test)]  # the steps of records.test, in file order
    return owned, touch, test


class _Edges(NamedTuple):
    """The moves of the chain over steps, shared by every circle: from `a` to `b` with chance `p`."""

    a: np.ndarray
    b: np.ndarray
    p: np.ndarray
    owned_b: np.ndarray
    owned: np.ndarray
    n: int


def _too_many(circles: int) -> str:
    return (f"following what {circles} circles of teams with their own records know of each case needs more "
            f"than {MOST_STATES:,} states; simulate the blueprint for story repeats")


def _one_circle(chain: StepChain, net: Net, bit: int, edges: _Edges, touches, front, budget):
    """The expected repeats at the frontstage steps of one circle, and the joins that piled up."""
    a, b, p, n, owned = edges.a, edges.b, edges.p, edges.n, edges.owned
    # Phase 0 (node a) only before any team; phase 1 (node n + a) after; phase 2 is dropped.
    zero, stays = ~edges.owned_b, ~touches[b]
    onto = edges.owned_b & stays
    rows = [a[zero], a[onto], n + a[stays]]
    cols = [b[zero], n + b[onto], n + b[stays]]
    vals = [p[zero], p[onto], p[stays]]
    told = np.zeros(2 * n)
    told[n:] = np.bincount(a[front[b]], weights=p[front[b]], minlength=n)
    entry = np.zeros(2 * n)
    for sid, w in chain.model.entry.items():
        i = net.index[sid]
        if not owned[i]:
            entry[i] += w
        elif not touches[i]:
            entry[n + i] += w
    explorer = Explorer(net, Circle(bit), budget)
    expanded: set[int] = set()
    piles: set[int] = set()
    while True:
        matrix = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(2 * n, 2 * n))
        reached = reach(matrix, entry > 0)
        if budget[0] - int(reached.sum()) < 0:
            raise TooManyStates("")
        fresh = [node for f in chain.splits for node in (f, n + f) if reached[node] and node not in expanded]
        if not fresh:
            break
        for node in fresh:
            expanded.add(node)
            f, phase = node % n, node // n
            chance = chain.splits[f][0]
            episode = explorer.episode(f, phase)
            piles |= episode.piles
            told[node] += chance * episode.reward
            for (s, mem), q in episode.exits.items():
                if mem < 2:
                    rows.append(np.array([node]))
                    cols.append(np.array([s + n * mem]))
                    vals.append(np.array([chance * q]))
    budget[0] -= int(reached.sum())
    keep = np.flatnonzero(reached)
    number = np.full(2 * n, -1)
    number[keep] = np.arange(len(keep))
    r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    inside = reached[r]  # an edge from a reached node leads to a reached node
    sub = sp.csr_matrix((v[inside], (number[r[inside]], number[c[inside]])), shape=(len(keep), len(keep)))
    visits, _, _ = expected_visits(sub, sub, entry[keep])
    weight = told[keep]
    if (np.isinf(visits) & (weight > 0)).any():
        return None, piles
    finite = ~np.isinf(visits)
    return float(np.dot(visits[finite], weight[finite])), piles


def _first_teams(chain: StepChain, owned: np.ndarray) -> np.ndarray | None:
    """Without parallel work: the expected arrivals of a case at the first owned step it reaches
    (phase 0 ends there), by step; ``None`` when phase 0 never ends (a loop of customer steps no case
    leaves: the general chain says so)."""
    free = np.flatnonzero(~owned)
    entry = chain.entry
    before = np.zeros(len(owned))
    if len(free):
        block = chain.move[free][:, free].tocsr()
        visits, cause, _ = expected_visits(block, block, entry[free])
        if np.isinf(visits).any():
            return None
        before[free] = visits
    arrivals = chain.move.T @ before
    return np.where(owned, arrivals + entry, 0.0)


def _one_circle_alone(chain: StepChain, first: np.ndarray, touches, front, budget) -> float | None:
    """One circle's expected repeats when there is no parallel work: phase 1 starts at the first owned
    step when it is not of the circle, and the case stays in it along steps not of the circle."""
    start = first * ~touches
    inside = chain.move.copy()
    inside.data = inside.data * ~touches[inside.indices]  # no way into the circle: that ends phase 1
    inside.eliminate_zeros()
    nodes = np.flatnonzero(reach(inside, start > 0))
    budget[0] -= len(nodes)
    if budget[0] < 0:
        raise TooManyStates("")
    told = (chain.move @ front.astype(float))[nodes]  # row by row: as the rows of nodes alone
    if not len(nodes) or not told.any():
        return 0.0  # no frontstage step of the circle is ever reached without the circle
    sub = inside[nodes][:, nodes].tocsr()
    visits, _, _ = expected_visits(sub, sub, start[nodes])
    if (np.isinf(visits) & (told > 0)).any():
        return None
    finite = ~np.isinf(visits)
    return float(np.dot(visits[finite], told[finite]))

