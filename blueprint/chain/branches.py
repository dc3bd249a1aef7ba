"""Parallel work, exactly: the states of one case's branches from a ``split: all`` until they are one again.

From the moment a ``split: all`` sends a case down several flows at once, the case is in several
places. The exact chain follows it there the way the simulation does (:mod:`blueprint.ways` for
each step):

* a **state** is where each live branch of the case is, with what it remembers, and which branches
  wait at each ``join: all`` (and along which flow they came);
* a branch **moves** by one of its step's ways; a ``split: all`` starts a branch down each flow,
  in file order;
* a branch that reaches an **outcome** ends the case, and every other branch stops there;
* a ``join: all`` goes on once a branch has come in along each of its incoming flows: one branch
  goes on from it, remembering what all of them remembered;
* a branch at a **dead end** (or at a step never done, without a timeout) stops; one that comes to
  the door of a loop it can never leave stops there (as in the simulation).

The states are made on the fly from the split, only those a case can reach (:data:`MAX_STATES` at
most over one blueprint: beyond it, :class:`TooManyStates`). An **episode** ends when the case
ends, when no branch can move any more, or when one branch is left and nothing waits for it: the
chain over steps (:mod:`blueprint.chain.steps`) takes the case on from there.

Which branch moves first is a matter of time, which the exact chain does not know. The explorer
therefore follows **every order** of the branches' moves to find where the order matters: a branch
that can end the case while another can still do something is a **race** (SPEC §5
``racing-outcomes``): the faster one decides the outcome, or cuts the other's work short. Where
nothing races, every order gives the same answer, and the explorer works it out along one order
(the branches taken in the order of their steps). A join that two branches reach along the same
flow (they met before it without a join) **piles up**: which of them it takes is a matter of time
too (``missing-join``).

What a branch remembers is up to a **memory** (:class:`Route`: nothing, :class:`Teams`: the team
it was last with, for handoffs; :class:`Circle`: one bit of the story-repeat memory of
:mod:`blueprint.story`), so the one explorer serves outcomes, handoffs and story repeats.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import scipy.sparse as sp

from ..model import CUSTOMER, Blueprint
from ..story import records
from ..ways import columns, ways_out
from .solve import expected_visits

__all__ = ["MAX_STATES", "TooManyStates", "Net", "Route", "Teams", "Circle", "Race", "Episode", "Explorer"]

#: The most states the explorer makes for one blueprint before it gives up.
MAX_STATES = 1_000_000
#: The most states of one split's every order of moves that are checked for races; beyond it the
#: branches are taken to race (and only one order is followed for the figures).
MAX_ORDERS = 250_000
#: The most branches of one case at once: beyond it they multiply without end.
MAX_BRANCHES = 64


class TooManyStates(Exception):
    """The parallel work of a blueprint needs more than :data:`MAX_STATES` states (or more than
    :data:`MAX_BRANCHES` branches of one case at once, when `branches` is set)."""

    def __init__(self, split: str, branches: bool = False):
        super().__init__(split)
        self.split = split
        self.branches = branches


class _Crowded(Exception):
    """Every order of one split's moves takes more than :data:`MAX_ORDERS` states."""


class Step(NamedTuple):
    """What the explorer needs of one step (steps are numbered in file order)."""

    number: int
    outcome: bool
    sources: frozenset | None  # a join: all with flows from two or more steps into it
    owner: str | None
    stuck: bool  # the door of a loop no case leaves
    ways: tuple  # ((chance, (target, ...)), ...)
    split: tuple | None  # the targets of its split: all way, if it splits
    test: int | None  # its bit in the story memory (a frontstage step with an owner)
    touch: int  # the story bits its owner sets


class Net:
    """A blueprint as the explorer reads it: each step worked out on first use.

    Parameters
    ----------
    model : Blueprint
    stuck : set of str
        The steps a case can never leave (:func:`blueprint.ways.never_leaves`).
    """

    def __init__(self, model: Blueprint, stuck: Iterable[str]):
        self.model = model
        self.ids, self.index = columns(model).ids, columns(model).index  # shared: read only
        self.stuck = {self.index[s] for s in stuck}
        self.records = records(model)
        self._steps: dict[int, Step] = {}
        self._reach: dict[tuple[int, frozenset], bool] = {}

    def step(self, i: int) -> Step:
        found = self._steps.get(i)
        if found is None:
            found = self._steps[i] = self._make(i)
        return found

    def _make(self, i: int) -> Step:
        model, sid = self.model, self.ids[i]
        s = model.steps[sid]
        sources = frozenset(self.index[f.source] for f in model.incoming[sid]) if s.join == "all" else None
        ways, split = [], None
        for way in ways_out(model, sid):
            targets = tuple(self.index[t] for t in way.targets)
            ways.append((way.chance, targets))
            if way.kind == "split":
                split = targets
        touch = self.records.touch.get(s.owner, 0) if s.owner else 0
        return Step(i, s.is_outcome, sources if sources is not None and len(sources) > 1 else None, s.owner,
                    i in self.stuck, tuple(ways), split, self.records.test.get(sid), touch)

    def can_reach(self, i: int, targets: frozenset) -> bool:
        """Whether a branch at step `i` can get to one of `targets` (steps numbers)."""
        key = (i, targets)
        if key not in self._reach:
            seen, stack, found = {i}, [i], i in targets
            while stack and not found:
                here = self.step(stack.pop())
                for _, to in here.ways:
                    for t in to:
                        if t in targets:
                            found = True
                        elif t not in seen:
                            seen.add(t)
                            stack.append(t)
            self._reach[key] = found
        return self._reach[key]

    def label(self, i: int) -> str:
        return self.model.label(self.ids[i])


# --- what a branch remembers ------------------------------------------------------------------------
class Route:
    """Nothing: where the branches go, and whether they race (what ``check`` asks)."""

    start: Any = None
    strict = True  # two branches along one flow into a join are a pile-up whatever they remember

    def join_in(self, mem, step: Step):
        return 0.0, mem

    def merge(self, mems, step: Step):
        return None

    def reach(self, mem, step: Step):
        return 0.0, mem

    def exits_at(self, step: Step) -> bool:
        return True


class Teams:
    """The teams a branch was last with (a sorted tuple; more than one after a join without an
    owner): counts handoffs, as the simulation does."""

    start: Any = ()
    strict = False

    def join_in(self, mem, step: Step):
        if step.owner is None:
            return 0.0, mem
        return float(sum(t != step.owner for t in mem)), (step.owner,)

    def merge(self, mems, step: Step):
        if step.owner is not None:
            return (step.owner,)
        return tuple(sorted(t for m in mems for t in m))

    def reach(self, mem, step: Step):
        if step.owner is None:
            return 0.0, mem
        return float(sum(t != step.owner for t in mem)), (step.owner,)

    def exits_at(self, step: Step) -> bool:
        return step.owner is not None  # the chain over steps remembers the team of the last owned step


class Circle:
    """One bit of the story memory: 0 before any team, 1 once a team but none of the circle has
    handled the case, 2 once one of the circle has. Counts the story repeats of that circle's teams."""

    start: Any = 0
    strict = False

    def __init__(self, bit: int):
        self.bit = bit

    def join_in(self, mem, step: Step):
        return 0.0, mem

    def merge(self, mems, step: Step):
        return max(mems)

    def reach(self, mem, step: Step):
        if step.owner is None:
            return 0.0, mem
        told = 1.0 if step.test == self.bit and mem == 1 else 0.0
        return told, 2 if step.touch & self.bit else max(mem, 1)

    def exits_at(self, step: Step) -> bool:
        return True


# --- episodes -----------------------------------------------------------------------------------------
class Race(NamedTuple):
    """Two branches of one case racing: `ender`'s step can end the case at `outcome` while `other`'s
    can still move (``kind`` ``"cut"``) or end it at another outcome (``"outcome"``); or, with
    ``kind`` ``"crowded"``, the branches of `split` are in too many places at once to check every
    order (taken as a race to every outcome)."""

    split: int
    ender: int
    outcome: int
    other: int
    kind: str


@dataclass
class Episode:
    """What happens from a split until the case ends or is one branch again, per split.

    ``ends`` and ``exits`` are chances (an exit: the one branch left, at a step, with its memory;
    ``side`` the branches that stop at the door of a loop they can never leave, by step), ``visits``
    the expected visits of each step inside the episode (exits not counted: the chain over steps
    counts them), ``reward`` the expected count the memory keeps (handoffs, story repeats).
    """

    ends: dict[int, float] = field(default_factory=dict)
    exits: dict[tuple[int, Any], float] = field(default_factory=dict)
    side: dict[int, float] = field(default_factory=dict)
    visits: dict[int, float] = field(default_factory=dict)
    endless: set[int] = field(default_factory=set)
    reward: float = 0.0
    races: list[Race] = field(default_factory=list)
    piles: set[int] = field(default_factory=set)
    states: int = 0


class _Tally:
    """What one move counts: visits, the memory's count, doors of endless loops, pile-ups."""

    __slots__ = ("visits", "reward", "side", "piles")

    def __init__(self):
        self.visits: dict[int, int] = {}
        self.reward = 0.0
        self.side: dict[int, int] = {}
        self.piles: set[int] = set()


class Explorer:
    """Builds the episodes of one blueprint's splits with one memory, within a shared budget of states.

    Examples
    --------
    A split into two branches, one of which stops half the time, then a join: the case goes on
    from the join only when both branches arrive, so half the time.

    >>> from blueprint import loads
    >>> model = loads('''
    ... teams: {ops: {}}
    ... steps:
    ...   fork:  {lane: backstage, owner: ops, split: all}
    ...   a:     {lane: backstage, owner: ops}
    ...   b:     {lane: backstage, owner: ops}
    ...   stall: {lane: backstage, owner: ops}
    ...   both:  {lane: backstage, owner: ops, join: all}
    ...   done:  {outcome: success}
    ... flows: [[fork, a], [fork, b], [a, both], [b, both, 0.5], [b, stall, 0.5], [both, done]]
    ... start: fork
    ... ''')
    >>> net = Net(model, [])
    >>> e = Explorer(net, Route()).episode(net.index["fork"])
    >>> {net.ids[s]: p for (s, _), p in e.exits.items()}, e.races
    ({'both': 0.5}, [])
    """

    def __init__(self, net: Net, memory, budget: list[int] | None = None):
        self.net = net
        self.memory = memory
        self.budget = budget if budget is not None else [MAX_STATES]
        self._ends: dict[int, frozenset] = {}
        self._on: dict[int, bool] = {}

    # --- one move ---------------------------------------------------------------------------------
    def _arrive(self, tally: _Tally, tokens: list, buffers: list, s: int, came: int, mem):
        """Branch with `mem` reaches step `s` from step `came`; returns the outcome if the case ends."""
        step = self.net.step(s)
        if step.outcome:
            return s
        if step.sources is not None and came in step.sources:
            reward, mem = self.memory.join_in(mem, step)
            tally.reward += reward
            buffers.append((s, came, mem))
            mem = self._fire(tally, buffers, step)
            if mem is _WAITING:
                return None
        if step.stuck:
            tally.side[s] = tally.side.get(s, 0) + 1
            return None
        tally.visits[s] = tally.visits.get(s, 0) + 1
        reward, mem = self.memory.reach(mem, step)
        tally.reward += reward
        if step.ways:
            tokens.append((s, mem))
        return None

    def _fire(self, tally: _Tally, buffers: list, step: Step):
        """The branches waiting at a join go on as one when every incoming flow has delivered."""
        waiting: dict[int, list] = {}
        for entry in buffers:
            if entry[0] == step.number:
                waiting.setdefault(entry[1], []).append(entry)
        if len(waiting) < len(step.sources):
            return _WAITING
        taken = []
        for source in sorted(waiting):
            entries = sorted(waiting[source], key=_order)
            if len(entries) > 1 and (self.memory.strict or len({e[2] for e in entries}) > 1):
                tally.piles.add(step.number)
            buffers.remove(entries[0])
            taken.append(entries[0][2])
        return self.memory.merge(taken, step)

    def _move(self, tokens: tuple, buffers: tuple, i: int, ways=None) -> list:
        """Every way branch `i` can move: ``[(chance, where, tally)]``."""
        s, mem = tokens[i]
        rest = tokens[:i] + tokens[i + 1:]
        out = []
        for chance, targets in (ways if ways is not None else self.net.step(s).ways):
            tally, toks, bufs, end = _Tally(), list(rest), list(buffers), None
            for t in targets:
                end = self._arrive(tally, toks, bufs, t, s, mem)
                if end is not None:
                    break
            out.append((chance, self._settle(end, toks, bufs), tally))
        return out

    def _settle(self, end, tokens: list, buffers: list):
        """Where a move leaves the case: ``("end", outcome)``, ``("stranded",)``, ``("exit", step, mem)``
        or ``("state", key)``."""
        if end is not None:
            return ("end", end)
        if not tokens:
            return ("stranded",)
        if len(tokens) == 1:
            s, mem = tokens[0]
            buffers = [b for b in buffers if self._still_awaited(b, s, buffers)]
            if not buffers and self.memory.exits_at(self.net.step(s)):
                return ("exit", s, mem)
        return ("state", (tuple(sorted(tokens, key=_order)), tuple(sorted(buffers, key=_order))))

    def _still_awaited(self, entry, s: int, buffers: list) -> bool:
        join = self.net.step(entry[0])
        missing = join.sources - {b[1] for b in buffers if b[0] == entry[0]}
        return self.net.can_reach(s, frozenset(missing))

    # --- races ------------------------------------------------------------------------------------
    def _races(self, root: int, tokens: tuple, found: set) -> None:
        """Add the races of a state: a branch that can end the case while another can still move."""
        here: dict[int, int] = {}
        for s, _ in tokens:
            here[s] = here.get(s, 0) + 1
        for a, n in here.items():
            for outcome in self._ending(a):
                for b in here:
                    if b == a and n < 2:
                        continue
                    if self._ending(b) - {outcome}:
                        found.add(Race(root, a, outcome, b, "outcome"))
                    elif self._moves_on(b):
                        found.add(Race(root, a, outcome, b, "cut"))

    def _ending(self, s: int) -> frozenset:
        """The outcomes a move from step `s` can end the case at."""
        found = self._ends.get(s)
        if found is None:
            ends = set()
            for _, targets in self.net.step(s).ways:
                for t in targets:
                    if self.net.step(t).outcome:
                        ends.add(t)
                        break
            found = self._ends[s] = frozenset(ends)
        return found

    def _moves_on(self, s: int) -> bool:
        """Whether a move from step `s` can reach a step that is not an outcome (before any outcome)."""
        found = self._on.get(s)
        if found is None:
            found = self._on[s] = any(not self.net.step(targets[0]).outcome for _, targets in self.net.step(s).ways)
        return found

    # --- the episode --------------------------------------------------------------------------------
    def episode(self, root: int, mem: Any = None, figures: bool = True) -> Episode:
        """The episode of the split at step `root` (numbered), the case arriving with memory `mem`;
        without `figures`, only its races and pile-ups (no chances, visits or counts)."""
        step = self.net.step(root)
        if step.split is None:
            raise ValueError(f"{self.net.ids[root]} does not split")
        if mem is None:
            mem = self.memory.start
        start = self._move(((root, mem),), (), 0, ways=((1.0, step.split),))[0]
        _, first, tally = start
        episode = Episode()
        self._piled: set[int] = set(tally.piles)
        states: dict = {}
        canonical: list = []
        races: set = set()
        if first[0] == "state":
            try:
                self._build(root, first[1], states, canonical, races, every_order=True)
            except _Crowded:
                states.clear()
                canonical.clear()
                races = {Race(root, root, root, root, "crowded")}
                if figures:
                    self._build(root, first[1], states, canonical, races, every_order=False)
        episode.states = len(states)
        episode.races = sorted(races)
        episode.piles.update(self._piled)  # in any order: which branch a join takes first depends on time
        if figures:
            self._solve(episode, first, tally, states, canonical)
        return episode

    def _build(self, root: int, key, states: dict, canonical: list, races: set, every_order: bool) -> None:
        """The states the moves reach (of every branch, or only of the first branch of each state);
        for each state, the moves of its first branch."""
        states[key] = 0
        canonical.append(None)
        self._spend(root)
        queue = deque([key])
        while queue:
            key = queue.popleft()
            tokens, buffers = key
            if len(tokens) + len(buffers) > MAX_BRANCHES:  # those waiting at a join are branches too
                if every_order:
                    raise _Crowded()
                raise TooManyStates(self.net.ids[root], branches=True)
            if every_order:
                self._races(root, tokens, races)
            first = self._first(tokens)
            for i in range(len(tokens)) if every_order else (first,):
                if i and tokens[i] == tokens[i - 1]:
                    continue  # the same branch twice moves the same way
                moves = self._move(tokens, buffers, i)
                if i == first:
                    canonical[states[key]] = moves
                for _, where, tally in moves:
                    if tally.piles:
                        self._piled.update(tally.piles)
                    if where[0] == "state" and where[1] not in states:
                        if every_order and len(states) >= MAX_ORDERS:
                            raise _Crowded()
                        self._spend(root)
                        states[where[1]] = len(canonical)
                        canonical.append(None)
                        queue.append(where[1])

    def _first(self, tokens: tuple) -> int:
        """The branch that moves first in the one order followed for the figures: one that can end the
        case, if any (so that no branch waits for ever behind others going round), else the first.
        Where nothing races, any order gives the same figures."""
        for i, (s, _) in enumerate(tokens):
            if self._ending(s) and (i == 0 or tokens[i] != tokens[i - 1]):
                return i
        return 0

    def _spend(self, root: int) -> None:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise TooManyStates(self.net.ids[root])

    def _solve(self, episode: Episode, first, tally: _Tally, states: dict, canonical: list) -> None:
        """Expected visits of the states along the first-branch order, and what they add up to."""
        weights = np.zeros(len(canonical))
        if first[0] == "state":
            rows, cols, vals = [], [], []
            for i, moves in enumerate(canonical):
                for chance, where, _ in moves:
                    if where[0] == "state":
                        rows.append(i)
                        cols.append(states[where[1]])
                        vals.append(chance)
            n = len(canonical)
            matrix = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
            entry = np.zeros(n)
            entry[states[first[1]]] = 1.0
            weights = expected_visits(matrix, matrix, entry)[0]
        _add(episode, 1.0, first, tally)
        for i, moves in enumerate(canonical):
            w = float(weights[i])
            if w == 0:
                continue
            for chance, where, t in moves:
                if np.isinf(w):
                    episode.endless.update(t.visits)
                    episode.endless.update(t.side)
                    episode.piles.update(t.piles)
                else:
                    _add(episode, w * chance, where, t)


_WAITING = object()


def _order(item) -> tuple:
    """Sort key of a branch or a waiting branch: steps first, then what it remembers."""
    return tuple((0, x) if x is None else (1, x) for x in item)


def _add(episode: Episode, w: float, where, tally: _Tally) -> None:
    if w <= 0:
        return
    for s, k in tally.visits.items():
        episode.visits[s] = episode.visits.get(s, 0.0) + w * k
    for s, k in tally.side.items():
        episode.side[s] = episode.side.get(s, 0.0) + w * k
    episode.reward += w * tally.reward
    episode.piles.update(tally.piles)
    if where[0] == "end":
        episode.ends[where[1]] = episode.ends.get(where[1], 0.0) + w
    elif where[0] == "exit":
        key = (where[1], where[2])
        episode.exits[key] = episode.exits.get(key, 0.0) + w
        # the chain over steps counts the visit of the step it goes on from
        episode.visits[where[1]] = episode.visits.get(where[1], 0.0) - w


def contacts_of(model: Blueprint) -> set[str]:
    """The contact steps: customer steps with a channel."""
    return {sid for sid, s in model.steps.items() if s.lane == CUSTOMER and s.channel}
