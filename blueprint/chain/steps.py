"""The chain over steps: a case with one branch, moving from step to step.

Each step is a state; a case moves along its step's ways (:func:`blueprint.ways.ways_out`) with
their chances, and stops at an outcome. A ``split: all`` is one move too: to where its
:class:`~blueprint.chain.branches.Episode` leaves the case (ended at an outcome, or one branch
again at a step). A branch that comes alone into a ``join: all`` along one of its flows waits
there for ever: the move is counted as an arrival (it hands the case over) but leads nowhere.

The matrices are sparse and built once, so a blueprint without parallel work costs one solve
(:func:`~blueprint.chain.solve.solver`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..graph import steps_with_joins
from ..model import Blueprint
from ..ways import columns, moves
from .branches import Episode, Explorer, Net
from .solve import NoSolution, closed_parts, expected_visits, loops, settled, solver

__all__ = ["StepChain"]


@dataclass
class StepChain:
    """One blueprint's chain over steps, with the episodes of its splits (team memory).

    Attributes
    ----------
    move : csr_matrix
        The chance of each move of a branch (splits excluded; a lone arrival at a join excluded).
    arrive : csr_matrix
        ``move`` with the lone arrivals at joins: where a branch arrives.
    matrix, share : csr_matrix
        ``move`` with each split's episode (where it leaves the case): the arrivals it makes, and
        the chance the case itself goes there (the doors of endless loops not included).
    splits : dict
        ``{step number: (chance of splitting, {memory: Episode})}``.
    """

    model: Blueprint
    net: Net
    move: sp.csr_matrix
    arrive: sp.csr_matrix
    matrix: sp.csr_matrix
    share: sp.csr_matrix
    entry: np.ndarray
    splits: dict[int, tuple[float, dict[Any, Episode]]] = field(default_factory=dict)

    @classmethod
    def build(cls, model: Blueprint, net: Net, explorer: Explorer, carried) -> StepChain:
        """Build the chain; ``carried()`` gives, for each step without an owner, the teams a case may
        have been with last (:attr:`blueprint.graph.Facts.owners_carried`): asked only when a step
        without an owner splits."""
        index, n = net.index, len(net.ids)
        m = moves(model)
        sources = {index[sid]: {index[f.source] for f in model.incoming[sid]} for sid, _ in steps_with_joins(model)}
        # a branch alone at a join, along one of its flows, waits there for ever (a flow into a join
        # always comes from one of its sources; a timeout may not)
        at_join = np.zeros(n, dtype=bool)
        at_join[list(sources)] = True
        lone = at_join[m.target] & ~m.timeout
        for k in np.flatnonzero(at_join[m.target] & m.timeout).tolist():
            lone[k] = int(m.source[k]) in sources[int(m.target[k])]
        splits: dict[int, tuple[float, dict[Any, Episode]]] = {}
        for i, (chance, _targets) in m.splits.items():
            owner = model.steps[net.ids[i]].owner
            memories = [(owner,)] if owner else [()] + [(t,) for t in sorted(carried().get(net.ids[i], {}))]
            splits[i] = (chance, {mem: explorer.episode(i, mem) for mem in memories})
        moves_ = (m.source[~lone], m.target[~lone], m.chance[~lone])
        move = _matrix(*moves_, n)
        arrive = _matrix(m.source, m.target, m.chance, n)
        counted, cased = [], []
        for f, (chance, variants) in splits.items():
            episode = next(iter(variants.values()))
            for (s, _), p in episode.exits.items():
                counted.append((f, s, chance * p))
                cased.append((f, s, chance * p))
            for s, p in episode.ends.items():
                counted.append((f, s, chance * p))
                cased.append((f, s, chance * p))
            counted += [(f, s, chance * p) for s, p in episode.side.items()]
        entry = np.zeros(n)
        for sid, w in model.entry.items():
            entry[index[sid]] += w
        return cls(model, net, move, arrive, move + _table(counted, n), move + _table(cased, n), entry, splits)

    def visits(self):
        """Expected visits of each step (episodes included), with the causes of infinite ones."""
        plain, cause, labels = expected_visits(self.matrix, self.share, self.entry)
        total = plain.copy()
        endless = set()
        for f, (chance, variants) in self.splits.items():
            episode = next(iter(variants.values()))
            w = plain[f] * chance
            if w == 0:
                continue
            for s, v in episode.visits.items():
                total[s] = np.inf if np.isinf(w) and v > 0 else total[s] + w * v
            endless |= episode.endless
        for s in endless:
            total[s] = np.inf
        return total, plain, cause, labels, endless

    # --- handoffs -------------------------------------------------------------------------------
    def handoffs(self, plain: np.ndarray) -> tuple[float | None, str | None]:
        """Expected handoffs per case, or ``None`` with why: each arrival at an owned step whose
        team differs from the team the branch was last with, episodes included."""
        c = columns(self.model)
        teams, team_of = c.teams, c.team
        if not teams:
            return 0.0, None
        none = len(teams)
        number = {t: k for k, t in enumerate(teams)}
        owned = team_of >= 0
        free = np.flatnonzero(~owned)
        position = np.full(len(team_of), -1)
        position[free] = np.arange(len(free))
        # What each visit of a free split adds, by the team the branch comes with (the last column: none).
        extra = np.zeros((len(free), none + 1))
        per_owned = np.zeros(len(team_of))
        for f, (chance, variants) in self.splits.items():
            if owned[f]:
                per_owned[f] = chance * next(iter(variants.values())).reward
            else:
                for mem, episode in variants.items():
                    extra[position[f], number[mem[0]] if mem else none] = chance * episode.reward
        G = np.zeros((len(free), none + 1))
        if len(free):
            A = self.arrive[free]
            R = (A[:, np.flatnonzero(owned)] @ sp.csr_matrix(
                (np.ones(int(owned.sum())), (np.arange(int(owned.sum())), team_of[owned])),
                shape=(int(owned.sum()), none))).toarray()
            rhs = np.empty((len(free), none + 1), order="F")  # the solver takes its columns in this order
            np.subtract(R.sum(axis=1, keepdims=True), R, out=rhs[:, :none])
            rhs[:, none] = 0.0
            rhs += extra
            Q = self.move[free][:, free].tocsr()
            labels, looping = loops(Q)
            closed = closed_parts(Q, labels, looping)
            keep = np.flatnonzero(~closed[labels])  # from a loop no case leaves, no owned step is reached
            everywhere = len(keep) == len(free)
            if len(keep):
                inner = Q if everywhere else Q[keep][:, keep]
                system = sp.identity(len(keep), format="csc") - inner.tocsc()
                try:  # the largest loop: of Q's loops, the ones kept whole
                    solved = solver(system, int(np.bincount(labels[keep]).max()))(rhs if everywhere else rhs[keep])
                except NoSolution:
                    return None, "the handoffs never end"
                if not settled(solved):
                    return None, "the handoffs never end"
                solved = np.atleast_2d(solved.reshape(len(keep), none + 1))
                if everywhere:
                    G = solved
                else:
                    G[keep] = solved
        coo = self.arrive[np.flatnonzero(owned)].tocoo()
        sources = np.flatnonzero(owned)[coo.row]
        own, targets = team_of[sources], coo.col
        change = np.where(owned[targets], (team_of[targets] != own).astype(float), 0.0)
        via_free = ~owned[targets]
        change[via_free] = G[position[targets[via_free]], own[via_free]]
        after = per_owned.copy()
        np.add.at(after, sources, coo.data * change)
        first = float(np.dot(self.entry[free], G[:, none])) if len(free) else 0.0
        return _total(plain, after, first)


def _total(visits: np.ndarray, per_visit: np.ndarray, extra: float) -> tuple[float | None, str | None]:
    endless = np.isinf(visits) & (per_visit > 0)
    if endless.any():
        return None, "endless"
    finite = ~np.isinf(visits)
    return float(np.dot(visits[finite], per_visit[finite])) + extra, None


def _matrix(rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n: int) -> sp.csr_matrix:
    m = sp.csr_matrix((values, (rows, cols)), shape=(n, n))
    m.eliminate_zeros()
    return m


def _table(entries: list[tuple[int, int, float]], n: int) -> sp.csr_matrix:
    if not entries:
        return sp.csr_matrix((n, n))
    table = np.array(entries, dtype=float)
    return _matrix(table[:, 0].astype(np.int64), table[:, 1].astype(np.int64), table[:, 2], n)
