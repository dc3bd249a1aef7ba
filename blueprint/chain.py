"""Exact expectations from the flow chances: the blueprint as an absorbing Markov chain.

Each step is a state; a case moves along the flows with their ``p`` (equal chances where a step
gives none), and ends at an outcome. :func:`stats` solves the chain exactly, with sparse
matrices and a sparse LU solve (never a dense inverse), for the chance of each outcome, the
chance of never finishing, and the expected visits of each step, contacts, handoffs and working
time per case. How the chain reads the parts of the format that are not plain branches:

``split: all``
    Every branch is counted: the expected visits of each branch's steps are those of the split
    step. For the outcome chances each branch carries an equal share of the case, so that the
    chances of the outcomes and of never finishing still add up to 1. (When branches that are
    never joined again end at different outcomes, the simulation ends the case at whichever
    outcome is reached first, which depends on time; the shares are what the chain can say.)
``join: all``
    The join is visited once for every full set of its incoming flows: its arrivals divided by
    the number of flows into it (exact when each branch arrives once, as after a split). A join
    that the ``deadlock`` rule finds can never fire is never started: the cases that reach it never
    finish. A handoff into a join is counted for each incoming flow whose branch was last with
    another team (a handoff is a flow, and each branch hands its work over); the join itself
    starts once, and the case goes on from it with the join's owner.
timeouts
    The case leaves by the timeout with the chance that the step takes longer than ``after``
    (``P(duration > after)``, from the step's duration distribution, without queueing, with
    ``after`` at its mean when it is a distribution; a step without a duration takes no time and
    never times out), and by its flows otherwise. The time spent at such a step is
    ``E[min(duration, after)]``.
``patience``
    Not part of the chain: abandoning depends on waiting in queues, which only
    :func:`blueprint.simulate` models.
contacts, handoffs
    As the simulation counts them: a contact is a visit to a customer step with a ``channel``; a
    handoff is a start of an owned step whose owner differs from the owner of the most recent
    owned step before it, customer and unowned steps in between keeping that memory. The chain
    counts, for every owned step, the expected number of next owned steps of another team reached
    through steps without an owner, and weighs it by the step's visits.

Where a case can go round a loop for ever (a loop with no way out, or ``split: all`` inside a loop
sending out more branches than ever end), the expected visits of the steps there are infinite:
they are reported as ``None`` (JSON ``null``) with the reason, and so is every total they enter.
"""
from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from .durations import Empirical, Exponential, Fixed, Lognormal, Normal, Triangular, Uniform, mean_of, to_unit
from .graph import reach
from .model import CUSTOMER, Blueprint
from .tables import stats_table

__all__ = ["Stats", "stats", "timeout_chance", "time_spent", "loop_rounds"]

#: Chances this close to 0 or 1 are rounding, not news.
_EPS = 1e-12
#: Expected visits beyond this are taken as a loop that never ends (a solve near singular).
_HUGE = 1e12
#: Loops up to this many steps are solved with a dense LU (still a solve, never an inverse).
_DENSE = 150


# --- one step: its timeout and its ways out -----------------------------------------------------
def _uniform_sf(a: float, b: float):
    return lambda t: min(max((b - t) / (b - a), 0.0), 1.0)


def _triangular_sf(lo: float, mode: float, hi: float):
    def sf(t: float) -> float:
        if t <= lo:
            return 1.0
        if t >= hi:
            return 0.0
        if t < mode:
            return 1.0 - (t - lo) ** 2 / ((hi - lo) * (mode - lo))
        return (hi - t) ** 2 / ((hi - lo) * (hi - mode))
    return sf


def _normal_sf(mu: float, sd: float):
    return lambda t: 0.5 * math.erfc((t - mu) / (sd * math.sqrt(2)))


def _lognormal_sf(mu: float, sigma: float):
    return lambda t: 1.0 if t <= 0 else 0.5 * math.erfc((math.log(t) - mu) / (sigma * math.sqrt(2)))


def _survival(duration: Any, unit: str):
    """``(sf, fixed)``: the chance the duration lasts beyond t (t in `unit`), or ``(None, x)`` for a
    time that is always x (for empirical times, the values as `fixed`). A normal time is cut at 0,
    so beyond t >= 0 it is the normal's own tail."""
    if duration is None:
        return None, 0.0
    if isinstance(duration, Fixed):
        return None, to_unit(duration.fixed, unit)
    if isinstance(duration, Exponential):
        m = duration.mean(unit)
        return (lambda t: math.exp(-t / m)), None
    if isinstance(duration, Uniform):
        a, b = (to_unit(x, unit) for x in duration.uniform)
        return (None, a) if a == b else (_uniform_sf(a, b), None)
    if isinstance(duration, Triangular):
        lo, mode, hi = (to_unit(x, unit) for x in duration.triangular)
        return (None, lo) if lo == hi else (_triangular_sf(lo, mode, hi), None)
    if isinstance(duration, Normal):
        mu, sd = to_unit(duration.normal.mean, unit), to_unit(duration.normal.sd, unit)
        return (None, max(mu, 0.0)) if sd == 0 else (_normal_sf(mu, sd), None)
    if isinstance(duration, Lognormal):
        m, s = to_unit(duration.lognormal.mean, unit), to_unit(duration.lognormal.sd, unit)
        if s == 0:
            return None, m
        sigma2 = math.log1p((s / m) ** 2)
        return _lognormal_sf(math.log(m) - sigma2 / 2, math.sqrt(sigma2)), None
    if isinstance(duration, Empirical):
        values = np.array([to_unit(x, unit) for x in duration.empirical])
        return (lambda t: float(np.mean(values > t))), values
    return None, to_unit(duration, unit)


def _timed(model: Blueprint, step_id: str):
    """A timed step's ``after`` in ``time_unit``, with its duration's survival (see :func:`_survival`)."""
    step = model.steps[step_id]
    return (mean_of(step.timeout.after, model.time_unit), *_survival(step.duration, model.time_unit))


def timeout_chance(model: Blueprint, step_id: str) -> float:
    """The chance that a step takes longer than its timeout's ``after``: the case leaves by the timeout.

    0 for a step without a timeout, or without a duration (it takes no time).

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("time_unit: day\\nsteps: {wait: {lane: customer, duration: {exponential: 2d},"
    ...               " timeout: {after: 2d, to: chase}}, chase: {outcome: failure}, done: {outcome: success}}\\n"
    ...               "flows: [[wait, done]]")
    >>> round(timeout_chance(model, "wait"), 4)  # exp(-1)
    0.3679
    """
    if model.steps[step_id].timeout is None:
        return 0.0
    after, sf, fixed = _timed(model, step_id)
    if sf is None:
        return 1.0 if fixed > after else 0.0
    return float(min(max(sf(after), 0.0), 1.0))


def time_spent(model: Blueprint, step_id: str) -> float:
    """The expected time a case spends in a step, in ``time_unit``: its mean duration, or with a
    timeout ``E[min(duration, after)]``.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {wait: {lane: customer, duration: {uniform: [0, 10]},"
    ...               " timeout: {after: 5, to: out}}, out: {outcome: failure}, done: {outcome: success}}\\n"
    ...               "flows: [[wait, done]]")
    >>> round(time_spent(model, "wait"), 6)  # half the cases leave at 5, the rest take 2.5 on average
    3.75
    """
    step = model.steps[step_id]
    if step.timeout is None:
        return model.mean_duration(step_id)
    from scipy.integrate import quad

    after, sf, fixed = _timed(model, step_id)
    if isinstance(step.duration, Empirical):
        return float(np.mean(np.minimum(fixed, after)))
    if sf is None:
        return min(fixed, after)
    if isinstance(step.duration, Exponential):
        m = step.duration.mean(model.time_unit)
        return m * (1 - math.exp(-after / m))
    return float(quad(sf, 0, after, limit=200)[0])


def _ways(model: Blueprint, step_id: str) -> list[tuple[str, float, float]]:
    """Where a case goes from a step: ``(target, counted, share)`` for each way out.

    `counted` is the expected number of branches sent there (1 for each branch of a split),
    `share` the part of the case that goes there (a split's branches share the case equally).
    """
    step = model.steps[step_id]
    if step.is_outcome:
        return []
    q = timeout_chance(model, step_id)
    ways: list[tuple[str, float, float]] = []
    branches = model.branches(step_id) if model.outgoing[step_id] else []
    share = 1.0 / len(branches) if step.split == "all" and branches else None
    for target, p in branches:
        ways.append((target, (1 - q) * p, (1 - q) * (share if share is not None else p)))
    if step.timeout is not None and q > 0:
        ways.append((step.timeout.to, q, q))
    return ways


# --- the chain ---------------------------------------------------------------------------------
class _Chain:
    """The blueprint's chain: `flowing`, `counted` and `share` transition matrices (rows: from, columns: to).

    `flowing` counts the cases along each flow, `counted` the starts of each step (a join starts
    once for a full set of its incoming flows), `share` the part of a case each branch carries.
    """

    def __init__(self, model: Blueprint, stuck: set[str] | None = None):
        from .graph import Facts

        self.model = model
        self.ids = list(model.steps)
        self.index = {sid: i for i, sid in enumerate(self.ids)}
        n = len(self.ids)
        if stuck is None:
            stuck = set(Facts(model).deadlocked_joins)
        self.stuck = stuck
        arrivals = {sid: 1.0 / len(model.incoming[sid]) for sid, s in model.steps.items()
                    if s.join == "all" and len(model.incoming[sid]) > 1}
        rows, cols, flowing, counted, shares = [], [], [], [], []
        for sid in self.ids:
            i = self.index[sid]
            for target, c, s in _ways(model, sid):
                if target in stuck or (c <= 0 and s <= 0):
                    continue
                rows.append(i)
                cols.append(self.index[target])
                flowing.append(c)
                counted.append(c * arrivals.get(target, 1.0))
                shares.append(s)
        shape = (n, n)
        self.flowing = sp.csr_matrix((flowing, (rows, cols)), shape=shape)  # cases along each flow
        self.counted = sp.csr_matrix((counted, (rows, cols)), shape=shape)  # starts of each step
        self.share = sp.csr_matrix((shares, (rows, cols)), shape=shape)
        self.counted.eliminate_zeros()
        self.share.eliminate_zeros()
        self.same = not arrivals and not any(s.split == "all" for s in model.steps.values())
        self.entry = np.zeros(n)
        for sid, w in model.entry.items():
            if sid in self.index and sid not in stuck:
                self.entry[self.index[sid]] += w


def _loops(matrix: sp.csr_matrix):
    """Strongly connected parts of a chain: their labels, and which parts are loops (a case can come back)."""
    n_parts, labels = connected_components(matrix, directed=True, connection="strong")
    coo = matrix.tocoo()
    size = np.bincount(labels, minlength=n_parts)
    looping = size > 1
    looping[labels[coo.row[coo.row == coo.col]]] = True
    return labels, looping


def _closed_parts(share: sp.csr_matrix, labels, looping) -> np.ndarray:
    """Loops no case ever leaves: every state's shares inside its part add up to 1."""
    coo = share.tocoo()
    inside = np.zeros(share.shape[0])
    same = labels[coo.row] == labels[coo.col]
    np.add.at(inside, coo.row[same], coo.data[same])
    leaks = np.zeros(len(looping), dtype=bool)
    leaks[labels[inside < 1 - 1e-9]] = True
    return looping & ~leaks


def _solve_block(matrix: sp.csr_matrix, members: np.ndarray) -> np.ndarray | None:
    """Visits inside one loop from one entry into each state, or ``None`` when they never end."""
    block = matrix[members][:, members]
    system = (sp.identity(len(members), format="csc") - block.T.tocsc())
    try:
        x = splu(system).solve(np.ones(len(members)))
    except RuntimeError:  # exactly singular: the loop keeps every case
        return None
    if not np.all(np.isfinite(x)) or x.min() < -1e-9 or x.max() > _HUGE:
        return None
    return x


def _visits(matrix: sp.csr_matrix, share: sp.csr_matrix, entry: np.ndarray):
    """Expected visits of every state, with ``inf`` where they never end, and for those the kind
    of loop behind it (``"closed"`` or ``"split"``), by state."""
    n = matrix.shape[0]
    labels, looping = _loops(matrix)
    endless = _closed_parts(share, labels, looping)
    kinds: dict[int, str] = {int(p): "closed" for p in np.flatnonzero(endless)}
    grows = looping & ~endless
    if grows.any() and (matrix != share).nnz:  # where counting branches can outgrow the share
        differs = np.zeros(len(looping), dtype=bool)
        d = (matrix - share).tocoo()
        differs[labels[d.row[labels[d.row] == labels[d.col]]]] = True
        for part in np.flatnonzero(grows & differs):
            if _solve_block(matrix, np.flatnonzero(labels == part)) is None:
                endless[part] = True
                kinds[int(part)] = "split"
    bad = reach(matrix, endless[labels]) if endless.any() else np.zeros(n, dtype=bool)
    visits = np.zeros(n)
    good = np.flatnonzero(~bad)
    if len(good):
        block = matrix[good][:, good]
        system = (sp.identity(len(good), format="csc") - block.T.tocsc())
        visits[good] = splu(system).solve(entry[good])
    visits[np.abs(visits) < _EPS] = 0.0
    reached = reach(matrix, entry > 0)
    visits[bad & reached] = np.inf
    cause = {}
    for i in np.flatnonzero(bad & reached):
        cause[int(i)] = kinds.get(int(labels[i]), "after")
    return visits, cause, labels


# --- the expectations --------------------------------------------------------------------------
@dataclass
class Stats:
    """What the flow chances imply exactly, per case (SPEC §4's ``stats`` document).

    Expectations that are infinite (a loop that never ends) are ``None``, with the reason in
    :attr:`why_null` under the same key (``"expected_visits.STEP"`` for a step's visits).

    Examples
    --------
    >>> import blueprint as bp
    >>> s = bp.stats(bp.loads("steps: {ask: {lane: customer, channel: phone}, done: {outcome: success}}\\n"
    ...                       "flows: [[ask, done]]\\nstart: ask"))
    >>> s.outcomes, s.expected_contacts, s.never_finishes
    ({'done': 1.0}, 1.0, 0.0)
    """

    time_unit: str
    outcomes: dict[str, float]
    never_finishes: float
    expected_visits: dict[str, float | None]
    expected_contacts: float | None
    expected_handoffs: float | None
    expected_duration: float | None
    why_null: dict[str, str] = field(default_factory=dict)
    name: str = ""
    labels: dict[str, str] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict:
        """The SPEC's ``stats`` document (with ``why_null`` added: the reason for every ``null``)."""
        return {"time_unit": self.time_unit, "outcomes": dict(self.outcomes),
                "never_finishes": self.never_finishes, "expected_visits": dict(self.expected_visits),
                "expected_contacts": self.expected_contacts, "expected_handoffs": self.expected_handoffs,
                "expected_duration": self.expected_duration, "why_null": dict(self.why_null)}

    def to_text(self) -> str:
        """A readable table: outcomes, totals per case, then the visits of every step.

        Examples
        --------
        >>> import blueprint as bp
        >>> print(bp.stats(bp.loads("steps: {ask: {name: Asks, lane: customer, channel: phone},"
        ...                         " done: {name: Answered, outcome: success}}\\nflows: [[ask, done]]\\n"
        ...                         "start: ask")).to_text())
        Blueprint: exact expectations per case (time unit: minute)
        <BLANKLINE>
        Outcome                   chance
        Answered [done]           1.0000
        (never finishes)          0.0000
        <BLANKLINE>
        Per case                  expected
        contacts                  1.000
        handoffs                  0.000
        working time              0.000
        <BLANKLINE>
        Step                      visits
        Asks [ask]                1.0000
        Answered [done]           1.0000
        """
        def number(x, digits=4):
            return "infinite" if x is None else f"{x:.{digits}f}"

        def name(sid):
            return self.labels.get(sid, sid)

        width = max([len(name(k)) for k in self.expected_visits] + [24])
        lines = [f"{self.name or 'Blueprint'}: exact expectations per case (time unit: {self.time_unit})", "",
                 "Outcome".ljust(width) + "  chance"]
        lines += [f"{name(k).ljust(width)}  {number(v)}" for k, v in self.outcomes.items()]
        lines += [f"{'(never finishes)'.ljust(width)}  {number(self.never_finishes)}", "",
                  "Per case".ljust(width) + "  expected",
                  f"{'contacts'.ljust(width)}  {number(self.expected_contacts, 3)}",
                  f"{'handoffs'.ljust(width)}  {number(self.expected_handoffs, 3)}",
                  f"{'working time'.ljust(width)}  {number(self.expected_duration, 3)}", "",
                  "Step".ljust(width) + "  visits"]
        lines += [f"{name(k).ljust(width)}  {number(v)}" for k, v in self.expected_visits.items()]
        if self.why_null:
            lines += ["", "Infinite:"] + [f"  {k}: {v}" for k, v in self.why_null.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return json.dumps(self.to_json(), indent=2)

    def _repr_html_(self) -> str:
        """The expectations as tables (Jupyter shows them)."""
        return stats_table(self.to_json(), self.labels)


def _reason(model: Blueprint, kind: str, loop: list[str]) -> str:
    from .rules._wording import listing

    where = listing(model, loop, 3)
    if kind == "closed":
        return f"a case can go round {where} for ever: that loop has no way out"
    if kind == "split":
        return f"split: all inside the loop through {where} sends out branches faster than they end"
    return f"it comes after the loop through {where}, whose split: all branches never die out"


def stats(model: Blueprint) -> Stats:
    """Exact expectations per case from the flow chances, without queueing (an absorbing Markov chain).

    Parameters
    ----------
    model : Blueprint
        The blueprint.

    Returns
    -------
    Stats
        Outcome chances, the chance of never finishing, expected visits per step, contacts,
        handoffs and working time per case; ``.to_json()`` gives SPEC §4's document, ``.to_text()``
        a table. Infinite expectations are ``None`` with the reason in ``.why_null``.

    Examples
    --------
    A customer phones; half the time the desk sorts it, otherwise they are asked to phone again:

    >>> import blueprint as bp
    >>> model = bp.loads('''
    ... teams: {desk: {name: Help desk}}
    ... steps:
    ...   call: {name: Phones, lane: customer, channel: phone}
    ...   answer: {name: Answers, lane: frontstage, owner: desk, duration: 6}
    ...   fixed: {outcome: success}
    ... flows: [[call, answer], [answer, fixed, 0.5], [answer, call, 0.5]]
    ... start: call
    ... ''')
    >>> s = bp.stats(model)
    >>> s.outcomes, s.expected_contacts, s.expected_duration
    ({'fixed': 1.0}, 2.0, 12.0)
    """
    from .graph import Facts

    facts = Facts(model)
    chain = _Chain(model, set(facts.deadlocked_joins))
    ids = chain.ids
    visits, cause, labels = _visits(chain.counted, chain.share, chain.entry)
    share = visits if chain.same else _visits(chain.share, chain.share, chain.entry)[0]
    outcomes = {sid: float(min(max(share[chain.index[sid]], 0.0), 1.0))
                for sid, s in model.steps.items() if s.is_outcome}
    never = float(min(max(1.0 - math.fsum(outcomes.values()), 0.0), 1.0))
    if never < 1e-9:
        never = 0.0

    why: dict[str, str] = {}
    members: dict[int, list[str]] = {}
    for i in cause:
        members.setdefault(int(labels[i]), []).append(ids[i])
    loop_reason = {}
    for i, kind in cause.items():
        part = int(labels[i])
        if (part, kind) not in loop_reason:
            origin = members[part] if kind != "after" else _origin(chain, labels, cause, i, ids)
            loop_reason[part, kind] = _reason(model, kind, origin)
        why[f"expected_visits.{ids[i]}"] = loop_reason[part, kind]
    expected_visits = {sid: (None if math.isinf(visits[i]) else float(visits[i])) for i, sid in enumerate(ids)}

    def total(values: np.ndarray, key: str, what: str):
        endless = np.isinf(visits) & (values > 0)
        if endless.any():
            first = ids[int(np.flatnonzero(endless)[0])]
            why[key] = f"{what} never end: {why[f'expected_visits.{first}']}"
            return None
        finite = ~np.isinf(visits)
        return float(np.dot(visits[finite], values[finite]))

    contact = np.array([1.0 if s.lane == CUSTOMER and s.channel else 0.0 for s in model.steps.values()])
    spent = np.array([0.0 if s.is_outcome and s.duration is None else time_spent(model, sid)
                      for sid, s in model.steps.items()])
    handoffs_after, handoff_why = _handoffs_after(model, chain)
    contacts = total(contact, "expected_contacts", "the contacts")
    duration = total(spent, "expected_duration", "the working time and the case")
    if handoff_why:
        why["expected_handoffs"] = handoff_why
        handoffs = None
    else:
        handoffs = total(handoffs_after, "expected_handoffs", "the handoffs")
    return Stats(model.time_unit, outcomes, never, expected_visits, contacts, handoffs, duration, why, model.name,
                 {sid: model.label(sid) for sid in ids})


def _origin(chain: _Chain, labels, cause, i, ids) -> list[str]:
    """The steps of the endless loop a state comes after (for the reason given)."""
    loops = {int(labels[j]) for j, kind in cause.items() if kind == "split"}
    part = min(loops) if loops else int(labels[i])
    return [ids[j] for j in np.flatnonzero(labels == part)]


def _handoffs_after(model: Blueprint, chain: _Chain) -> tuple[np.ndarray, str | None]:
    """For each step, the expected handoffs its case makes before (and at) the next owned steps:
    0 for steps without an owner. With a reason instead when that number is infinite."""
    n = len(chain.ids)
    teams = sorted({s.owner for s in model.steps.values() if s.owner is not None})
    after = np.zeros(n)
    if len(teams) < 2:
        return after, None
    team_of = np.array([teams.index(s.owner) if s.owner is not None else -1 for s in model.steps.values()])
    owned = team_of >= 0
    free = np.flatnonzero(~owned)
    # next owned steps reached from each step without an owner, by team: (I - Q_free) H = R
    position = np.full(n, -1)
    position[free] = np.arange(len(free))
    C = chain.flowing  # a handoff is a flow: each branch into a join hands over on its own
    H = np.zeros((len(free), len(teams)))
    if len(free):
        R = C[free][:, np.flatnonzero(owned)] @ sp.csr_matrix(
            (np.ones(int(owned.sum())), (np.arange(int(owned.sum())), team_of[owned])),
            shape=(int(owned.sum()), len(teams)))
        Q = C[free][:, free].tocsr()
        labels, looping = _loops(Q)
        closed = _closed_parts(chain.share[free][:, free].tocsr(), labels, looping)
        keep = np.flatnonzero(~closed[labels])  # from a closed loop no owned step is ever reached
        if len(keep):
            system = (sp.identity(len(keep), format="csc") - Q[keep][:, keep].tocsc())
            solved = splu(system).solve(np.asarray(R[keep].todense()))
            if not np.all(np.isfinite(solved)) or solved.min() < -1e-9 or solved.max() > _HUGE:
                return after, ("split: all among customer steps sends out branches faster than they reach a "
                               "team, so the handoffs never end")
            H[keep] = np.atleast_2d(solved.reshape(len(keep), len(teams)))
    coo = C[np.flatnonzero(owned)].tocoo()
    sources = np.flatnonzero(owned)[coo.row]
    own_team, targets = team_of[sources], coo.col
    to_owned = owned[targets]
    change = np.where(to_owned, (team_of[targets] != own_team).astype(float), 0.0)
    free_t = ~to_owned
    rows = position[targets[free_t]]
    change[free_t] = H[rows].sum(axis=1) - H[rows, own_team[free_t]]
    np.add.at(after, sources, coo.data * change)
    return after, None


def loop_rounds(model: Blueprint, loop: list[str], candidates: list[str], top: int = 3) -> dict[str, float]:
    """How many times on average a case that reaches a step goes through it, going round `loop` (the
    steps of one strongly connected part): for the `top` of `candidates` a case visits most once it
    is in the loop (all entries into the loop taken as equally likely for that choice), most first.
    ``inf`` where the loop never ends.

    One sparse LU of the loop serves every solve, so a loop costs about its size, however many
    contacts it has.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {call: {lane: customer, channel: phone}, ok: {outcome: success}}\\n"
    ...               "flows: [[call, call, 0.6], [call, ok, 0.4]]\\nstart: call")
    >>> loop_rounds(model, ["call"], ["call"])  # 1 / (1 - 0.6)
    {'call': 2.5}
    """
    inside = {sid: i for i, sid in enumerate(loop)}
    arrivals = {sid: 1.0 / len(model.incoming[sid]) for sid in loop
                if model.steps[sid].join == "all" and len(model.incoming[sid]) > 1}
    rows, cols, vals = [], [], []
    for sid in loop:
        for target, counted, _ in _ways(model, sid):
            if target in inside and counted > 0:
                rows.append(inside[sid])
                cols.append(inside[target])
                vals.append(counted * arrivals.get(target, 1.0))
    n = len(loop)
    try:
        if n <= _DENSE:  # a small loop: a dense LU is faster than building a sparse one
            system = np.eye(n)
            np.subtract.at(system, (cols, rows), vals)
            with warnings.catch_warnings():  # a singular loop is an answer here, not a warning
                warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
                factors = scipy.linalg.lu_factor(system, check_finite=False)
            solve = lambda rhs: scipy.linalg.lu_solve(factors, rhs, check_finite=False)  # noqa: E731
            if np.abs(np.diag(factors[0])).min() < 1e-14:
                raise RuntimeError("singular")
        else:
            block = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
            solve = splu(sp.identity(n, format="csc") - block.T.tocsc()).solve
    except (RuntimeError, np.linalg.LinAlgError):  # exactly singular: the loop keeps every case
        return {sid: math.inf for sid in candidates[:top]}

    def solved(rhs):
        x = solve(rhs)
        return x if np.all(np.isfinite(x)) and x.min() > -1e-9 and x.max() < _HUGE else None

    entries = np.zeros(len(loop))
    for sid in loop:
        if sid in model.entry or any(f.source not in inside for f in model.incoming[sid]):
            entries[inside[sid]] = 1.0
    spread = solved(entries if entries.any() else np.ones(len(loop)))
    if spread is None:
        return {sid: math.inf for sid in candidates[:top]}
    chosen = sorted(candidates, key=lambda s: -spread[inside[s]])[:top]
    rounds = {}
    for sid in chosen:
        start = np.zeros(len(loop))
        start[inside[sid]] = 1.0
        x = solved(start)
        rounds[sid] = math.inf if x is None else float(x[inside[sid]])
    return dict(sorted(rounds.items(), key=lambda kv: -kv[1]))
