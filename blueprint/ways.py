"""How a case leaves a step: its flows, its timeout, and what its owner can do.

This is SPEC §2's "one semantics" for a single step, written once: the exact chain
(:mod:`blueprint.chain`), the simulation and the rules all read a step through it.

* A step whose owner lacks a capability it ``needs`` is **never done**: nobody works on it, and
  the case leaves it only by its ``timeout`` (after ``after``), or stays there for ever.
* A step with a ``timeout`` is left by the timeout's way when it has not finished in time: with
  the chance that its duration is longer than ``after`` (``P(duration > after)``; a step that ends
  exactly at ``after`` has finished). A step with no flow out but a timeout waits for the timeout.
* Otherwise the case takes one flow, chosen by ``p``, or with ``split: all`` every flow at once.

Times are without queueing: :func:`time_in_step` is how long a case spends in a step,
:func:`work_time` how long a member of staff works on it (the timeout interrupts the work).
When ``after`` is a distribution, both are taken over its draws, as the simulation draws it.

Examples
--------
>>> from blueprint import loads
>>> model = loads('''
... teams: {social: {can: [inbound_message]}}
... steps:
...   promise: {lane: frontstage, owner: social, duration: 1, needs: [outbound_call],
...             timeout: {after: 48, to: chase}}
...   chase:   {lane: customer, channel: phone}
...   done:    {outcome: success}
... flows: [[promise, done], [chase, done]]
... start: promise
... ''')
>>> incapable(model, "promise"), [(w.targets, w.chance, w.kind) for w in ways_out(model, "promise")]
(True, [(('chase',), 1.0, 'timeout')])
>>> time_in_step(model, "promise"), work_time(model, "promise")
(48.0, 0.0)
"""
from __future__ import annotations

import math
from collections.abc import Callable
from operator import attrgetter
from typing import Any, NamedTuple

import numpy as np
from scipy.integrate import quad
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from .durations import Law, law_of, mean_of
from .model import CUSTOMER, Blueprint, Flow

__all__ = ["Way", "ways_out", "every_way", "Moves", "moves", "Columns", "columns", "successors", "never_leaves",
           "step_times", "incapable", "missing_capabilities", "timeout_chance", "time_in_step", "work_time", "Law",
           "law_of"]

def _integral(f: Callable[[float], float], a: float, b: float) -> float:
    if b <= a:
        return 0.0
    return float(quad(f, a, b, limit=200)[0])


def _chance_longer(d: Law, a: Law) -> float:
    """``P(D > A)`` for independent D and A."""
    if a.atoms is not None:
        return float(np.mean([d.beyond(x) for x in a.atoms]))
    inside = _integral(lambda x: d.beyond(x) * a.pdf(x), max(a.low, 0.0), a.top)
    return min(max(a.zero * d.beyond(0.0) + inside, 0.0), 1.0)


def _mean_below(d: Law, x: float) -> float:
    """``E[min(D, x)]``: the integral of D's tail up to x."""
    if d.atoms is not None:
        return float(np.mean(np.minimum(d.atoms, x)))
    if d.exponential is not None:
        return d.exponential * (1 - math.exp(-x / d.exponential))
    return _integral(d.beyond, 0.0, min(x, d.top))


def _mean_of_min(d: Law, a: Law) -> float:
    """``E[min(D, A)]`` for independent, non-negative D and A."""
    if a.atoms is not None:
        return float(np.mean([_mean_below(d, x) for x in a.atoms]))
    if d.atoms is not None:
        return float(np.mean([_mean_below(a, x) for x in d.atoms]))
    return _integral(lambda t: d.beyond(t) * a.beyond(t), 0.0, min(d.top, a.top))


# --- capabilities ---------------------------------------------------------------------------------
def missing_capabilities(model: Blueprint, step_id: str) -> list[str]:
    """What a step needs that its owner cannot do (empty for a step without an owner or needs).

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("teams: {social: {can: [inbound_message]}}\\nsteps: {call: {lane: frontstage, "
    ...               "owner: social, needs: [outbound_call, inbound_message]}, ok: {outcome: success}}\\n"
    ...               "flows: [[call, ok]]")
    >>> missing_capabilities(model, "call")
    ['outbound_call']
    """
    step = model.steps[step_id]
    team = model.teams.get(step.owner) if step.owner else None
    if team is None or not step.needs:
        return []
    return [n for n in step.needs if n not in team.can]


def incapable(model: Blueprint, step_id: str) -> bool:
    """Whether a step's owner lacks a capability it needs: the step is never done."""
    return step_id in _never_done(model)


def _never_done(model: Blueprint, needing: list[str] | None = None) -> set[str]:
    """The steps whose owners lack a capability they need (worked out once), of the steps `needing`
    something when the caller knows them."""
    found = _cache(model).get("incapable")
    if found is None:
        if needing is None:
            needs = map(attrgetter("needs"), model.steps.values())
            needing = [sid for sid, need in zip(model.steps, needs) if need]
        found = _cache(model)["incapable"] = {sid for sid in needing if missing_capabilities(model, sid)}
    return found


def _cache(model: Blueprint) -> dict:
    """Facts about a model worked out once (models are immutable: a change makes a new one)."""
    cache = model.__dict__.get("_ways_cache")
    if cache is None:
        cache = model.__dict__["_ways_cache"] = {}
    return cache


def _cached(model: Blueprint, what: str, make: Callable[[], Any]) -> Any:
    cache = _cache(model)
    if what not in cache:
        cache[what] = make()
    return cache[what]


# --- a step's times and ways out ------------------------------------------------------------------
def _after(model: Blueprint, step_id: str) -> Law:
    return law_of(model.steps[step_id].timeout.after, model.time_unit)


def timeout_chance(model: Blueprint, step_id: str) -> float:
    """The chance that a case leaves a step by its timeout (without queueing).

    ``P(duration > after)`` for a step with flows; 1 for a step with a timeout that is never done
    (its owner cannot do it) or has no flow out (it waits for the timeout); 0 without a timeout.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("time_unit: day\\nsteps: {wait: {lane: customer, duration: {exponential: 2d},"
    ...               " timeout: {after: 2d, to: chase}}, chase: {outcome: failure}, done: {outcome: success}}\\n"
    ...               "flows: [[wait, done]]")
    >>> round(timeout_chance(model, "wait"), 4)  # exp(-1)
    0.3679
    """
    return _timeout_chance(model, step_id, model.outgoing[step_id])


def _timeout_chance(model: Blueprint, step_id: str, flows: list[Flow]) -> float:
    step = model.steps[step_id]
    if step.timeout is None or step.is_outcome:
        return 0.0
    if incapable(model, step_id) or not flows:
        return 1.0
    return _chance_longer(law_of(step.duration, model.time_unit), _after(model, step_id))


def work_time(model: Blueprint, step_id: str) -> float:
    """The staff time a visit of a step takes, without queueing: its mean duration, cut short by its
    timeout (``E[min(duration, after)]``); 0 for a step that is never done and for an outcome.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {wait: {lane: customer, duration: {uniform: [0, 10]},"
    ...               " timeout: {after: 5, to: out}}, out: {outcome: failure}, done: {outcome: success}}\\n"
    ...               "flows: [[wait, done]]")
    >>> round(work_time(model, "wait"), 6)  # half the cases leave at 5, the rest take 2.5 on average
    3.75
    """
    step = model.steps[step_id]
    if step.is_outcome or incapable(model, step_id):
        return 0.0
    if step.timeout is None:
        return model.mean_duration(step_id)
    return _mean_of_min(law_of(step.duration, model.time_unit), _after(model, step_id))


def time_in_step(model: Blueprint, step_id: str) -> float:
    """How long a case spends in a step, without queueing: :func:`work_time`, except that a step
    that is never done, or has no flow out, holds the case until its timeout (``after``).

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {wait: {lane: customer, duration: 2, timeout: {after: 5, to: out}},"
    ...               " out: {outcome: failure}}\\nflows: []")
    >>> time_in_step(model, "wait"), work_time(model, "wait")
    (5.0, 2.0)
    """
    return _time_in_step(model, step_id, bool(model.outgoing[step_id]))


def _time_in_step(model: Blueprint, step_id: str, leaves: bool, work: float | None = None) -> float:
    """:func:`time_in_step`, told whether the step has a flow out (`leaves`) and its `work` time if known."""
    step = model.steps[step_id]
    if step.timeout is not None and not step.is_outcome and (incapable(model, step_id) or not leaves):
        law = _after(model, step_id)
        return float(np.mean(law.atoms)) if law.atoms is not None else _integral(law.beyond, 0.0, law.top)
    return work_time(model, step_id) if work is None else work


class Way(NamedTuple):
    """One way a case leaves a step: to `targets` (one step, or every flow of a ``split: all`` in
    file order), with its `chance`, of `kind` ``"flow"``, ``"split"`` or ``"timeout"``."""

    targets: tuple[str, ...]
    chance: float
    kind: str


def ways_out(model: Blueprint, step_id: str) -> list[Way]:
    """The ways a case can leave a step, each with a chance above 0 (without queueing).

    None for an outcome, a dead end, or a step that is never done and has no timeout.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {a: {lane: customer, duration: {fixed: 3}, timeout: {after: 2, to: late}}, "
    ...               "b: {lane: customer}, late: {outcome: failure}, ok: {outcome: success}}\\n"
    ...               "flows: [[a, ok, 0.5], [a, b, 0.5], [b, ok]]")
    >>> ways_out(model, "a")  # always longer than its timeout: the flows are never taken
    [Way(targets=('late',), chance=1.0, kind='timeout')]
    """
    return list(_ways_cached(model, step_id))


def _ways_cached(model: Blueprint, step_id: str, flows: list[Flow] | None = None) -> tuple[Way, ...]:
    """The ways out of a step, worked out once; `flows` are its flows in file order when the caller
    has them (else ``model.outgoing``: worked out for every step at once)."""
    cache = _cache(model).get("ways")
    if cache is None:
        cache = _cache(model)["ways"] = {}
    found = cache.get(step_id)
    if found is None:
        found = cache[step_id] = tuple(_ways(model, step_id, model.outgoing[step_id] if flows is None else flows))
    return found


def every_way(model: Blueprint) -> dict[str, tuple[Way, ...]]:
    """:func:`ways_out` of every step, in file order (worked out once per model)."""
    return _cached(model, "every_way", lambda: {sid: _ways_cached(model, sid) for sid in model.steps})


def _ways(model: Blueprint, step_id: str, flows: list[Flow]) -> list[Way]:
    step = model.steps[step_id]
    if step.is_outcome:
        return []
    q = _timeout_chance(model, step_id, flows) if step.timeout is not None else 0.0
    ways: list[Way] = []
    if q < 1.0 and not incapable(model, step_id):
        if step.split == "all" and flows:
            ways.append(Way(tuple(f.target for f in flows), 1.0 - q, "split"))
        else:  # by p, else equal shares (Blueprint.branches, from the flows at hand)
            equal = [1.0 / len(flows)] * len(flows) if flows else []
            shares = [f.p for f in flows] if flows and flows[0].p is not None else equal
            for f, p in zip(flows, shares):
                if p > 0:
                    ways.append(Way((f.target,), (1.0 - q) * p, "flow"))
    if q > 0.0:
        ways.append(Way((step.timeout.to,), q, "timeout"))
    return ways


class Moves(NamedTuple):
    """Every way of every step as arrays (steps numbered in file order): a move from ``source`` to
    ``target`` with its ``chance``, ``timeout`` where it is a timeout's way; and the ``splits``:
    ``{step: (chance, (target, ...))}`` for each ``split: all`` way."""

    source: np.ndarray
    target: np.ndarray
    chance: np.ndarray
    timeout: np.ndarray
    splits: dict[int, tuple[float, tuple[int, ...]]]
    plain: np.ndarray  # the steps that only take their flows (no timeout, split, outcome, need unmet)


def moves(model: Blueprint) -> Moves:
    """:func:`ways_out` of every step at once, as :class:`Moves` (worked out once per model; the
    steps that only take their flows by ``p``, nearly all of a large blueprint, without a loop).

    Examples
    --------
    >>> from blueprint import loads
    >>> m = moves(loads("steps: {a: {lane: customer, split: all}, b: {lane: customer, duration: 3, "
    ...                 "timeout: {after: 1, to: ok}}, c: {lane: customer}, ok: {outcome: success}}\\n"
    ...                 "flows: [[a, b], [a, c], [b, c], [c, ok]]\\nstart: a"))
    >>> m.source.tolist(), m.target.tolist(), m.timeout.tolist(), m.splits
    ([2, 1], [3, 3], [False, True], {0: (1.0, (1, 2))})
    """
    return _cached(model, "moves", lambda: _moves(model))


def _moves(model: Blueprint) -> Moves:
    c = columns(model)
    index, ids, n, plain = c.index, c.ids, len(c.ids), c.plain
    flows = model.flows
    src, dst = _flow_ends(model)
    p = np.array([f.p for f in flows], dtype=float)  # nan where a flow has no p
    given = np.zeros(n, dtype=bool)
    given[src[~np.isnan(p)]] = True  # a step's flows all carry p, or none do
    share = 1.0 / np.maximum(np.bincount(src, minlength=n), 1)
    p = np.where(given[src], np.nan_to_num(p), share[src])
    keep = plain[src] & (p > 0)
    parts = [(src[keep], dst[keep], p[keep], np.zeros(int(keep.sum()), dtype=bool))]
    splits: dict[int, tuple[float, tuple[int, ...]]] = {}
    odd = np.flatnonzero(~plain)
    order = np.argsort(src, kind="stable")  # each step's flows together, in file order
    first = np.searchsorted(src[order], odd, "left").tolist()
    last = np.searchsorted(src[order], odd, "right").tolist()
    rows = []
    for i, a, b in zip(odd.tolist(), first, last):
        for way in _ways_cached(model, ids[i], [flows[k] for k in order[a:b].tolist()]):
            targets = tuple(index[t] for t in way.targets)
            if way.kind == "split" and len(targets) > 1:
                splits[i] = (way.chance, targets)
            else:
                rows.append((i, targets[0], way.chance, way.kind == "timeout"))
    if rows:  # after the plain steps' moves, in step order as before
        r = np.array(rows, dtype=object)
        parts.append((r[:, 0].astype(np.int64), r[:, 1].astype(np.int64), r[:, 2].astype(float),
                      r[:, 3].astype(bool)))
    return Moves(*(np.concatenate([part[k] for part in parts]) for k in range(4)), splits, plain)


def _flow_ends(model: Blueprint) -> tuple[np.ndarray, np.ndarray]:
    """The step numbers each flow goes from and to, in file order (worked out once)."""
    def ends() -> tuple[np.ndarray, np.ndarray]:
        index, flows = columns(model).index, model.flows
        return tuple(np.fromiter(map(index.__getitem__, map(attrgetter(end), flows)), dtype=np.int64,
                                 count=len(flows)) for end in ("source", "target"))
    return _cached(model, "flow_ends", ends)


class Columns(NamedTuple):
    """What the analysis reads of every step, as columns in file order (:func:`columns`)."""

    ids: list[str]
    index: dict[str, int]  # step id: its number
    owner: list[str | None]
    teams: list[str]  # the owners the steps name, sorted
    team: np.ndarray  # each step's owner as a number into `teams`, -1 for none
    outcome: np.ndarray  # an outcome
    contact: np.ndarray  # a customer step with a channel
    frontstage: np.ndarray  # in the frontstage lane
    front: np.ndarray  # a frontstage step with an owner, not an outcome: the steps of story.Records.test
    fail: np.ndarray  # a step with a fail point
    cost: np.ndarray  # the amount paid at each visit (0 for none)
    costed: np.ndarray  # a step that gives a cost (0 included)
    join: np.ndarray  # a join: all
    plain: np.ndarray  # only takes its flows by p (no timeout, split, outcome, need unmet)
    simple: np.ndarray  # no timeout, needs or outcome: its times are its mean duration
    duration: list
    name: list[str | None]


def columns(model: Blueprint) -> Columns:
    """Every step's facts as :class:`Columns` (worked out once per model): one pass over the steps
    for all the analysis's per-step arrays.

    Examples
    --------
    >>> from blueprint import loads
    >>> c = columns(loads("teams: {t: {}}\\nsteps: {a: {lane: customer, channel: phone}, "
    ...                   "b: {lane: backstage, owner: t, fail_point: lost}, ok: {outcome: success}}\\n"
    ...                   "flows: [[a, b], [b, ok]]"))
    >>> c.teams, c.team.tolist(), c.contact.tolist(), c.fail.tolist(), c.plain.tolist()
    (['t'], [-1, 0, -1], [True, False, False], [False, True, False], [True, True, False])
    """
    return _cached(model, "columns", lambda: _columns(model))


def _columns(model: Blueprint) -> Columns:
    ids, steps = _ids(model), list(model.steps.values())
    n = len(ids)
    index = {sid: i for i, sid in enumerate(ids)}
    rows = [(s.owner, s.lane, s.channel, s.duration, s.name,
             s.outcome is None and s.timeout is None and s.split is None and s.join is None and s.fail_point is None
             and s.cost is None and not s.needs) for s in steps]  # one pass; the last: none of the rarer fields
    owner, lane, channel, duration, name, usual = [list(c) for c in zip(*rows)] if rows else [[] for _ in range(6)]
    rare = np.flatnonzero(~np.array(usual, dtype=bool)).tolist()  # the rarer fields are read of these steps only

    def given(field: str) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[rare] = [getattr(steps[i], field) is not None for i in rare]
        return out

    teams = sorted(set(owner) - {None})
    number: dict[str | None, int] = {t: k for k, t in enumerate(teams)}
    number[None] = -1
    team = np.fromiter(map(number.__getitem__, owner), dtype=np.int64, count=n)
    ends, timed, needs = given("outcome"), given("timeout"), np.zeros(n, dtype=bool)
    needs[rare] = [bool(steps[i].needs) for i in rare]
    cost = np.zeros(n)
    cost[rare] = [steps[i].cost or 0.0 for i in rare]
    contact = np.fromiter((a == CUSTOMER and bool(b) for a, b in zip(lane, channel)), dtype=bool, count=n)
    frontstage = np.fromiter((a == "frontstage" for a in lane), dtype=bool, count=n)
    front = frontstage & (team >= 0) & ~ends
    plain = ~timed & ~given("split") & ~ends
    plain[[index[sid] for sid in _never_done(model, [ids[i] for i in np.flatnonzero(needs).tolist()])]] = False
    return Columns(ids, index, owner, teams, team, ends, contact, frontstage, front, given("fail_point"), cost,
                   given("cost"), given("join"), plain, ~timed & ~ends & ~needs, duration, name)


def _ids(model: Blueprint) -> list[str]:
    return _cached(model, "ids", lambda: list(model.steps))


def successors(model: Blueprint) -> dict[str, list[str]]:
    """Where a case can go from each step by the ways of :func:`ways_out` (no repeats, in order).

    Examples
    --------
    >>> from blueprint import loads
    >>> successors(loads("steps: {a: {lane: customer, duration: 5, timeout: {after: 1, to: a}}, "
    ...                  "ok: {outcome: success}}\\nflows: [[a, ok]]"))  # a only ever times out
    {'a': ['a'], 'ok': []}
    """
    return dict(_cached(model, "successors", lambda: _successors(model)))


def _successors(model: Blueprint) -> dict[str, list[str]]:
    ids, m = _ids(model), moves(model)
    ahead: list[list[str]] = [[] for _ in ids]
    for a, b in zip(m.source.tolist(), m.target.tolist()):
        ahead[a].append(ids[b])
    for i in np.flatnonzero(~m.plain).tolist():  # in the order ways_out lists them: flows, then the timeout
        ahead[i] = [t for way in _ways_cached(model, ids[i]) for t in way.targets]
    for i, targets in enumerate(ahead):
        if len(targets) > 1:
            ahead[i] = list(dict.fromkeys(targets))
    return dict(zip(ids, ahead))


def never_leaves(model: Blueprint) -> set[str]:
    """Steps a case can never leave: from them, every way goes round a loop for ever (no outcome,
    no step without a way out ahead). A case that comes to one stays in progress for ever.

    Examples
    --------
    >>> from blueprint import loads
    >>> sorted(never_leaves(loads("steps: {a: {lane: customer}, b: {lane: customer}, c: {lane: customer}, "
    ...                           "ok: {outcome: success}}\\nflows: [[a, ok, 0.5], [a, b, 0.5], [b, c], [c, b]]")))
    ['b', 'c']
    """
    return set(_cached(model, "never_leaves", lambda: _never_leaves(model)))


def _never_leaves(model: Blueprint) -> set[str]:
    ids, m = _ids(model), moves(model)
    n = len(ids)
    rows = [m.target] + [np.array(t, dtype=np.int64) for _, t in m.splits.values()]
    cols = [m.source] + [np.full(len(t), i, dtype=np.int64) for i, (_, t) in m.splits.items()]
    leaves = np.zeros(n, dtype=bool)
    leaves[np.concatenate(cols)] = True
    stops = np.flatnonzero(~leaves | columns(model).outcome)
    # from a virtual step n that leads to every step that can stop, back along the ways
    back = csr_matrix((np.ones(len(stops) + sum(len(r) for r in rows)),
                       (np.concatenate([np.full(len(stops), n)] + rows), np.concatenate([stops] + cols))),
                      shape=(n + 1, n + 1))
    can_stop = np.zeros(n + 1, dtype=bool)
    can_stop[breadth_first_order(back, n, directed=True, return_predecessors=False)] = True
    return {ids[i] for i in np.flatnonzero(~can_stop[:n]).tolist()}


def step_times(model: Blueprint) -> tuple[list[float], list[float]]:
    """:func:`time_in_step` and :func:`work_time` of every step, in file order (worked out once)."""
    def both() -> tuple[list[float], list[float]]:
        c, unit = columns(model), model.time_unit
        spent = [mean_of(d, unit) if simple else None for d, simple in zip(c.duration, c.simple.tolist())]
        work = spent.copy()  # Blueprint.mean_duration where there is no timeout, need or outcome
        leaves = np.bincount(_flow_ends(model)[0], minlength=len(c.ids)) > 0
        for i in np.flatnonzero(~c.simple).tolist():
            work[i] = work_time(model, c.ids[i])
            spent[i] = _time_in_step(model, c.ids[i], bool(leaves[i]), work[i])
        return spent, work
    return _cached(model, "step_times", both)
