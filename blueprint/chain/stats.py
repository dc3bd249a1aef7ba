"""The ``stats`` document: every exact expectation of a blueprint, with the reason for each unknown."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import BlueprintError
from ..gcpause import without_gc
from ..graph import Facts, listing
from ..model import Blueprint
from ..tables import stats_table
from ..tolerance import TOLERANCE
from ..ways import columns, never_leaves, step_times, successors
from .branches import MAX_BRANCHES, MAX_STATES, Explorer, Net, Race, Teams, TooManyStates
from .capacity import Capacity, arrival_rate, capacity
from .costs import cost_figures, per_year, year_sentence
from .repeats import story_repeats
from .steps import StepChain

__all__ = ["Stats", "stats", "workload"]


@dataclass
class Stats:
    """What the flow chances imply exactly, per case (SPEC §4's ``stats`` document).

    Figures that are unknown are ``None`` (JSON ``null``), with the reason in :attr:`why_null` under
    the same key (``"expected_visits.STEP"`` for a step's visits, ``"teams.TEAM.load"``...): a loop
    that never ends, or branches whose race decides the answer.

    Examples
    --------
    >>> import blueprint as bp
    >>> s = bp.stats(bp.loads("steps: {ask: {lane: customer, channel: phone}, done: {outcome: success}}\\n"
    ...                       "flows: [[ask, done]]\\nstart: ask"))
    >>> s.outcomes, s.expected_contacts, s.never_finishes
    ({'done': 1.0}, 1.0, 0.0)
    """

    time_unit: str
    outcomes: dict[str, float | None]
    never_finishes: float
    expected_visits: dict[str, float | None]
    expected_contacts: float | None
    expected_handoffs: float | None
    expected_duration: float | None
    why_null: dict[str, str] = field(default_factory=dict)
    name: str = ""
    labels: dict[str, str] = field(default_factory=dict, repr=False)
    expected_story_repeats: float | None = 0.0
    teams: dict[str, dict[str, float | None]] = field(default_factory=dict)
    expected_failure_contacts: float | None = 0.0
    expected_cost: float | None = None
    expected_failure_cost: float | None = None
    per_year: dict[str, float | None] | None = None
    currency: str | None = None

    def to_json(self) -> dict:
        """The SPEC's ``stats`` document (with ``why_null``: the reason for every ``null``)."""
        return {"time_unit": self.time_unit, "outcomes": dict(self.outcomes),
                "never_finishes": self.never_finishes, "expected_visits": dict(self.expected_visits),
                "expected_contacts": self.expected_contacts, "expected_handoffs": self.expected_handoffs,
                "expected_story_repeats": self.expected_story_repeats,
                "expected_failure_contacts": self.expected_failure_contacts,
                "expected_duration": self.expected_duration, "expected_cost": self.expected_cost,
                "expected_failure_cost": self.expected_failure_cost, "currency": self.currency,
                "per_year": None if self.per_year is None else dict(self.per_year),
                "teams": {t: dict(v) for t, v in self.teams.items()}, "why_null": dict(self.why_null)}

    def to_text(self) -> str:
        """A readable table: outcomes, totals per case, teams, then the visits of every step.

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
        story repeats             0.000
        failure contacts          0.000
        working time              0.000
        <BLANKLINE>
        Step                      visits
        Asks [ask]                1.0000
        Answered [done]           1.0000
        """
        def number(x, digits=4):
            return "unknown" if x is None else f"{x:.{digits}f}"

        def name(sid):
            return self.labels.get(sid, sid)

        width = max([len(name(k)) for k in self.expected_visits] + [len(t) for t in self.teams] + [24])
        lines = [f"{self.name or 'Blueprint'}: exact expectations per case (time unit: {self.time_unit})", "",
                 "Outcome".ljust(width) + "  chance"]
        lines += [f"{name(k).ljust(width)}  {number(v)}" for k, v in self.outcomes.items()]
        lines += [f"{'(never finishes)'.ljust(width)}  {number(self.never_finishes)}", "",
                  "Per case".ljust(width) + "  expected",
                  f"{'contacts'.ljust(width)}  {number(self.expected_contacts, 3)}",
                  f"{'handoffs'.ljust(width)}  {number(self.expected_handoffs, 3)}",
                  f"{'story repeats'.ljust(width)}  {number(self.expected_story_repeats, 3)}",
                  f"{'failure contacts'.ljust(width)}  {number(self.expected_failure_contacts, 3)}",
                  f"{'working time'.ljust(width)}  {number(self.expected_duration, 3)}"]
        if self.expected_cost is not None or "expected_cost" in self.why_null:
            lines += [f"{('cost (' + self.currency + ')' if self.currency else 'cost').ljust(width)}  "
                      f"{number(self.expected_cost, 2)}",
                      f"{'  after a fail point'.ljust(width)}  {number(self.expected_failure_cost, 2)}"]
        if self.year_text():
            lines += ["", self.year_text()]
        if self.teams:
            lines += ["", "Team".ljust(width) + "  load (staff busy)  utilization"]
            for team, figures in self.teams.items():
                use = figures["utilization"]
                lines.append(f"{team.ljust(width)}  {number(figures['load'], 3):>17}  "
                             f"{'no limit' if use is None and figures['load'] is not None else number(use, 3):>11}")
        lines += ["", "Step".ljust(width) + "  visits"]
        lines += [f"{name(k).ljust(width)}  {number(v)}" for k, v in self.expected_visits.items()]
        if self.why_null:
            lines += ["", "Unknown:"] + [f"  {k}: {v}" for k, v in self.why_null.items()]
        return "\n".join(lines)

    def year_text(self) -> str:
        """The yearly figure in words, where costs and the arrival rate give one ("" otherwise):
        :func:`blueprint.chain.costs.year_sentence`."""
        return year_sentence({"per_year": self.per_year, "currency": self.currency})

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        """The expectations as tables (Jupyter shows them)."""
        return stats_table(self.to_json(), self.labels)


def _too_many(model: Blueprint, split: str, branches: bool) -> str:
    where = f" (from {model.label(split)})" if split in model.steps else ""
    if branches:
        return (f"the parallel work of this blueprint{where} sends out more than {MAX_BRANCHES} branches of one "
                "case at once: a split: all inside a loop multiplies them without end. Join the branches "
                "before the loop goes round again, or simulate the blueprint instead")
    return (f"the parallel work of this blueprint{where} needs more than {MAX_STATES:,} states to follow "
            "exactly: its branches can be in too many places at once. Simulate it instead, or join the "
            "branches of each split: all sooner")


class _Unknown:
    """Why the figures of some steps cannot be trusted: by step number, the first reason found."""

    def __init__(self, model: Blueprint, net: Net):
        self.model, self.net = model, net
        self.why: dict[int, str] = {}
        self.visits: set[int] = set()  # steps whose visits themselves are unknown
        self.doors: set[int] = set()  # doors of loops no case leaves: the simulation counts nothing there
        self.outcomes: str | None = None

    def add(self, steps, reason: str, visits: bool = False, door: bool = False) -> None:
        for i in steps:
            self.why.setdefault(int(i), reason)
            if visits:
                self.visits.add(int(i))
            if door:
                self.doors.add(int(i))

    def first(self, weights: np.ndarray, doors: bool = True) -> str | None:
        """Why a total with these weights per step is unknown, or ``None``; without `doors`, the
        doors of endless loops do not count (the work done there is known, and done once)."""
        for i in sorted(self.why):
            if weights[i] > 0 and (doors or i not in self.doors or i in self.visits):
                return self.why[i]
        return None


def _listing(model: Blueprint, steps: list[str]) -> str:
    return listing(model, steps, 3)


def _loops(model: Blueprint, net: Net, unknown: _Unknown, cause: dict, labels) -> None:
    members: dict[int, list[str]] = {}
    for i, kind in cause.items():
        if kind != "after":
            members.setdefault(int(labels[i]), []).append(net.ids[i])
    for i, kind in sorted(cause.items()):
        if kind == "closed":
            text = (f"a case can go round {_listing(model, members[int(labels[i])])} for ever: that loop has "
                    "no way out (check: livelock)")
        elif kind == "split":
            text = (f"split: all inside the loop through {_listing(model, members[int(labels[i])])} sends out "
                    "branches faster than they end (check: livelock)")
        else:
            first = next(iter(members.values()), [net.ids[i]])
            text = f"it comes after {_listing(model, first)}, whose visits never end (check: livelock)"
        unknown.add([i], text, visits=True)


def _races(model: Blueprint, net: Net, unknown: _Unknown, races: list[Race]) -> None:
    if not races:
        return
    ahead = {net.index[s]: [net.index[t] for t in targets] for s, targets in successors(model).items()}
    for race in sorted(set(races)):
        a, x, b = net.label(race.ender), net.label(race.outcome), net.label(race.other)
        if race.kind == "crowded":
            text = (f"the branches of {net.label(race.split)} can be in too many places at once to check "
                    "whether the faster one decides, so it is taken to (check: racing-outcomes)")
            unknown.outcomes = unknown.outcomes or text
        elif race.kind == "outcome":
            text = (f"branches of {net.label(race.split)} race: {a} can end the case at {x} while {b} can end it "
                    "at another outcome, so the faster one decides (check: racing-outcomes)")
            unknown.outcomes = unknown.outcomes or text
        else:
            text = (f"branches of {net.label(race.split)} race: {a} can end the case at {x} while {b} is still "
                    "at work, so what that branch gets done depends on which is faster (check: racing-outcomes)")
        seen, stack = set(), list(ahead[race.ender]) + list(ahead[race.other])
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                stack.extend(ahead[i])
        unknown.add(seen, text, visits=True)


def stats(model: Blueprint) -> Stats:
    """Exact expectations per case from the flow chances, without queueing.

    The case is followed as the simulation moves it (SPEC §2, "one semantics"): one branch from
    step to step, several after a ``split: all`` (:mod:`blueprint.chain.branches`), an outcome
    ending it, a step its team cannot do left only by its timeout.

    Parameters
    ----------
    model : Blueprint
        The blueprint.

    Returns
    -------
    Stats
        Outcome chances, the chance of never finishing, expected visits per step, contacts,
        handoffs, story repeats and working time per case, and each team's load and utilization;
        ``.to_json()`` gives SPEC §4's document, ``.to_text()`` a table. Unknown figures are
        ``None`` with the reason in ``.why_null``.

    Raises
    ------
    BlueprintError
        When the parallel work needs more than :data:`~blueprint.chain.branches.MAX_STATES`
        states to follow.

    Examples
    --------
    A customer phones; half the time the desk sorts it, otherwise they are asked to phone again:

    >>> import blueprint as bp
    >>> model = bp.loads('''
    ... teams: {desk: {name: Help desk, staff: 2}}
    ... steps:
    ...   call: {name: Phones, lane: customer, channel: phone}
    ...   answer: {name: Answers, lane: frontstage, owner: desk, duration: 6}
    ...   fixed: {outcome: success}
    ... flows: [[call, answer], [answer, fixed, 0.5], [answer, call, 0.5]]
    ... start: call
    ... arrivals: {rate: 10/hour}
    ... ''')
    >>> s = bp.stats(model)
    >>> s.outcomes, s.expected_contacts, s.expected_duration
    ({'fixed': 1.0}, 2.0, 12.0)
    >>> s.teams  # 10/60 cases a minute x 2 visits x 6 minutes = 2 staff busy, of 2
    {'desk': {'load': 2.0, 'utilization': 1.0}}
    """
    if not isinstance(model, Blueprint):
        raise BlueprintError(f"stats needs a Blueprint (from blueprint.load), not {type(model).__name__}")
    with without_gc():  # many small objects, no cycles: spare them the collector's full passes
        return _document(model, *_analyse(model))


def _analyse(model: Blueprint):
    """The chain of a blueprint solved: its net, chain, total and plain visits, what is unknown and
    where branches pile up."""
    facts = Facts(model)
    stuck = never_leaves(model)
    net = Net(model, stuck)
    try:
        chain = StepChain.build(model, net, Explorer(net, Teams()), lambda: facts.owners_carried)
    except TooManyStates as error:
        raise BlueprintError(_too_many(model, error.split, error.branches)) from None
    total, plain, cause, labels, endless = chain.visits()
    ids = net.ids
    unknown = _Unknown(model, net)
    _loops(model, net, unknown, cause, labels)
    if endless:
        unknown.add(endless, f"branches of the case can wait at {_listing(model, [ids[i] for i in sorted(endless)])} "
                             "for ever for a join that never fires (check: deadlock)", visits=True)
    reached = (plain > 0) | (total > 0)
    episodes = [next(iter(v.values())) for f, (_, v) in chain.splits.items() if plain[f] > 0]
    _races(model, net, unknown, [r for e in episodes for r in e.races])
    doors = sorted(i for i in net.stuck if reached[i])
    for i in doors:
        unknown.add([i], f"cases that reach {net.label(i)} go round a loop with no way out for ever, and the "
                         "simulation stops them at its door (check: livelock)", door=True)
    piles = set().union(*(e.piles for f, (_, v) in chain.splits.items() if plain[f] > 0 for e in v.values()))
    return net, chain, total, plain, unknown, piles


def _document(model: Blueprint, net: Net, chain: StepChain, total, plain, unknown: _Unknown, piles) -> Stats:
    ids, why, c = net.ids, {}, columns(model)
    outcomes: dict[str, float | None] = {ids[i]: float(min(max(plain[i], 0.0), 1.0))
                                         for i in np.flatnonzero(c.outcome).tolist()}
    never = float(min(max(1.0 - math.fsum(outcomes.values()), 0.0), 1.0))
    if never < TOLERANCE:
        never = 0.0
    if unknown.outcomes:
        outcomes = {k: None for k in outcomes}
        why["outcomes"] = unknown.outcomes
    visits: dict[str, float | None] = dict(zip(ids, total.tolist()))
    unknown_visits = np.isinf(total)
    unknown_visits[sorted(unknown.visits)] = True
    for i in np.flatnonzero(unknown_visits).tolist():
        visits[ids[i]] = None
        why[f"expected_visits.{ids[i]}"] = unknown.why.get(i, "its visits never end")
    pile_why = None
    if piles:
        pile_why = (f"two branches come into {_listing(model, [ids[j] for j in sorted(piles)])} along the same "
                    "flow, and which one it takes first depends on time (check: missing-join)")

    def total_of(key: str, weights: np.ndarray, extra_why: str | None = None):
        reason = unknown.first(weights) or extra_why
        if reason:
            why[key] = reason
            return None
        finite = ~np.isinf(total)
        return float(np.dot(total[finite], weights[finite]))

    contact = c.contact.astype(float)
    spent = np.array(step_times(model)[0])
    owned = ((c.team >= 0) & ~c.outcome).astype(float)
    front = c.front.astype(float)
    contacts = total_of("expected_contacts", contact)
    duration = total_of("expected_duration", spent)
    handoffs = _handoffs(chain, plain, unknown, owned, pile_why, why)
    repeats = _repeats(chain, unknown, front, why)
    money_ = cost_figures(model, chain, total_of, contacts, repeats, why)
    why.update(money_.why)
    if duration is not None and money_.retelling_time:
        duration += money_.retelling_time
    elif duration is not None and money_.retelling_time is None:
        duration, why["expected_duration"] = None, why["retelling"]
    teams = _teams(model, net, total, unknown, why)
    labels = {sid: f"{name} [{sid}]" if name else f"[{sid}]" for sid, name in zip(ids, c.name)}
    year = per_year(model, {"cost": money_.expected_cost, "failure_cost": money_.expected_failure_cost,
                            "failure_contacts": money_.expected_failure_contacts})
    return Stats(model.time_unit, outcomes, never, visits, contacts, handoffs, duration, why, model.name,
                 labels, repeats, teams, money_.expected_failure_contacts, money_.expected_cost,
                 money_.expected_failure_cost, year, model.currency)


def _handoffs(chain: StepChain, plain, unknown: _Unknown, owned, pile_why, why) -> float | None:
    reason = unknown.first(owned) or pile_why
    if reason is None:
        value, trouble = chain.handoffs(plain)
        if value is not None:
            return value
        reason = "the handoffs never end: " + (unknown.first(np.isinf(plain).astype(float)) or trouble or "")
    why["expected_handoffs"] = reason
    return None


def _repeats(chain: StepChain, unknown: _Unknown, front, why) -> float | None:
    reason = unknown.first(front)
    if reason is None:
        value, reason, piles = story_repeats(chain)
        if piles and reason is None:
            names = _listing(chain.model, [chain.net.ids[j] for j in sorted(piles)])
            reason = (f"branches that met different teams come into {names} along the same flow, and which one "
                      "it takes first depends on time (check: missing-join)")
        if reason is None:
            return value
    why["expected_story_repeats"] = reason
    return None


def _team_work(model: Blueprint, net: Net, total, unknown: _Unknown):
    """Each step's expected staff time per case, the team of each step (numbered in file order, -1 for
    none), the steps that count (busy and reached), and the first reason each team's time is unknown."""
    work = np.array(step_times(model)[1])
    c, number = columns(model), {tid: k for k, tid in enumerate(model.teams)}
    team = np.array([number.get(t, -1) for t in c.teams] + [-1])[c.team]  # the last: a step without an owner
    busy = (work > 0) & (team >= 0)
    unknown_team: dict[int, str] = {}
    for i in sorted(unknown.why):  # the first reason of each team, in step order
        if busy[i] and (i not in unknown.doors or i in unknown.visits):
            unknown_team.setdefault(int(team[i]), unknown.why[i])
    per_step = np.where(np.isinf(total), 0.0, total) * work
    return per_step, team, np.flatnonzero(busy & (total > 0)), unknown_team


def _work(model: Blueprint, net: Net, total, unknown: _Unknown) -> dict[str, dict[str, float] | str]:
    """Each team's expected staff time per case by step, or why it is unknown."""
    per_step, _, counted, unknown_team = _team_work(model, net, total, unknown)
    out: dict[str, dict[str, float] | str] = {tid: {} for tid in model.teams}
    for i in counted.tolist():
        out[model.steps[net.ids[i]].owner][net.ids[i]] = float(per_step[i])
    for k, reason in unknown_team.items():
        out[list(model.teams)[k]] = reason
    return out


def _teams(model: Blueprint, net: Net, total, unknown: _Unknown, why) -> dict[str, dict[str, Any]]:
    per_step, team, counted, unknown_team = _team_work(model, net, total, unknown)
    order = counted[np.argsort(team[counted], kind="stable")]  # each team's steps together
    bounds = np.searchsorted(team[order], np.arange(len(model.teams) + 1)).tolist()
    work: dict[str, float | None] = {}
    for k, tid in enumerate(model.teams):
        if k in unknown_team:
            why[f"teams.{tid}.load"] = why[f"teams.{tid}.utilization"] = unknown_team[k]
            work[tid] = None
        else:  # fsum is exact: the same sum in any order
            work[tid] = math.fsum(per_step[order[bounds[k]:bounds[k + 1]]].tolist())
    out = {}
    for tid, cap in capacity(model, work, arrival_rate(model)).items():
        out[tid] = {"load": cap.load, "utilization": cap.utilization}
        if cap.load is None and cap.why_load and f"teams.{tid}.load" not in why:
            why[f"teams.{tid}.load"] = cap.why_load
        if cap.utilization is None and cap.why_utilization and f"teams.{tid}.utilization" not in why:
            why[f"teams.{tid}.utilization"] = cap.why_utilization
    return out


def workload(model: Blueprint) -> tuple[dict[str, Capacity], dict[str, dict[str, float]]]:
    """Each team's :class:`~blueprint.chain.capacity.Capacity`, and the staff each of its steps keeps
    busy on average (the arrival rate x the step's expected visits x its staff time), by team.

    Raises
    ------
    BlueprintError
        As :func:`stats` does, when the parallel work is too large to follow.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("teams: {desk: {staff: 1}}\\nsteps: {a: {lane: frontstage, owner: desk, duration: 3}, "
    ...               "b: {outcome: success}}\\nflows: [[a, b]]\\narrivals: {rate: 0.5}")
    >>> teams, steps = workload(model)
    >>> teams["desk"].utilization, steps
    (1.5, {'desk': {'a': 1.5}})
    """
    if not isinstance(model, Blueprint):
        raise BlueprintError(f"workload needs a Blueprint (from blueprint.load), not {type(model).__name__}")
    with without_gc():
        net, chain, total, plain, unknown, piles = _analyse(model)
    rate = arrival_rate(model)
    per_team = _work(model, net, total, unknown)
    work = {tid: (None if isinstance(w, str) else math.fsum(w.values())) for tid, w in per_team.items()}
    by_step = {tid: {sid: rate * x for sid, x in w.items()} for tid, w in per_team.items()
               if not isinstance(w, str) and rate is not None}
    return capacity(model, work, rate), by_step

