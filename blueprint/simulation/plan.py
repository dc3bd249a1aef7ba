"""The plan: a blueprint prepared for the event loop, as plain data made once.

:func:`prepare` numbers steps and teams in file order and works out, for each step, what the loop
needs to know without looking at the blueprint again: its owner, its flags, where its flows go and
with what chance, its timeout, whether its team can do it (:mod:`blueprint.ways`), its story bit
(:mod:`blueprint.story`). A :class:`Plan` holds plain lists, numbers and the format's duration
values, so it travels to other processes (``jobs``) and dask workers as it is.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..durations import rate_in, to_unit
from ..model import CUSTOMER, Blueprint, Every, RateArrivals
from ..story import records
from ..ways import incapable, never_leaves
from .duty import Hours, hours_in

__all__ = ["Plan", "prepare", "OUTCOME", "JOIN", "CONTACT", "TIMEOUT_SET", "STUCK", "FAILS", "PAID"]

INF = math.inf

#: Flags of a step that need more than the plain path through it (:attr:`Plan.flags`).
OUTCOME, JOIN, CONTACT, TIMEOUT_SET, STUCK = 1, 2, 4, 8, 16
#: A fail point (what comes after it is failure demand), and a step with an amount paid at each visit.
FAILS, PAID = 32, 64


@dataclass
class Plan:
    """A blueprint prepared for the event loop: integer ids and plain lists, made once.

    Steps and teams are numbered in file order; ``owner`` and the other per-step lists are indexed
    by step number, ``capacity``, ``hours`` and ``touch`` by team number.
    """

    time_unit: str
    steps: list[str]
    teams: list[str]
    lanes: list[str | None]
    owner: list[int]  # each step's team number, -1 for the customer's steps and nobody's
    outcome: list[int]  # each outcome step's place in `outcomes`, -1 for the other steps
    results: list[str | None]  # "success" or "failure" for an outcome step
    outcomes: list[str]  # the outcome steps, then "abandoned" when the blueprint has patience
    flags: list[int]  # OUTCOME | JOIN | CONTACT | TIMEOUT_SET | STUCK
    targets: list[list[int]]
    chances: list[list[float]]
    split: list[bool]
    join_from: list[frozenset]
    durations: list[Any]
    timeout_after: list[Any]
    timeout_to: list[int]
    capacity: list[float]
    hours: list[Hours | None]
    touch: list[int]  # the story bits each team's handling sets (blueprint.story)
    test: list[int]  # each step's story bit to test (0: no story repeat there)
    idle: list[bool]  # steps their team cannot do: never worked on
    entry: list[int]
    entry_chances: list[float]
    arrivals: tuple
    patience: Any
    story: bool = field(default=False)
    amount: list[float] = field(default_factory=list)  # each step's amount paid at a visit
    rate: list[float] = field(default_factory=list)  # each team's cost per time_unit of work
    retelling: float = 0.0  # time a repeated story adds to a frontstage step, in time_unit
    costs: bool = False  # whether the blueprint gives costs (the KPIs then have one)


def _flags(model: Blueprint, sid: str, stuck: set[str]) -> int:
    s = model.steps[sid]
    return ((OUTCOME if s.is_outcome else 0) | (JOIN if s.join == "all" else 0)
            | (CONTACT if s.lane == CUSTOMER and s.channel else 0)
            | (TIMEOUT_SET if s.timeout is not None else 0) | (STUCK if sid in stuck else 0)
            | (FAILS if s.fail_point is not None else 0) | (PAID if s.cost else 0))


def _arrivals(model: Blueprint) -> tuple:
    """``("rate", per time_unit)``, ``("every", duration)`` or ``("at", sorted times)``."""
    unit = model.time_unit
    if model.arrivals is None:
        return ("rate", 1.0)
    if isinstance(model.arrivals, RateArrivals):
        return ("rate", rate_in(model.arrivals.rate, unit))
    if isinstance(model.arrivals, Every):
        return ("every", model.arrivals.every)
    return ("at", sorted(to_unit(x, unit) for x in model.arrivals.at))


def prepare(model: Blueprint) -> Plan:
    """The blueprint as a :class:`Plan`: steps and teams numbered, flags and chances worked out.

    Examples
    --------
    >>> import blueprint as bp
    >>> plan = prepare(bp.loads('''
    ... teams: {desk: {staff: 2}, courier: {external: true}}
    ... steps:
    ...   ask: {lane: customer, channel: phone}
    ...   answer: {lane: frontstage, owner: desk}
    ...   done: {outcome: success}
    ... flows: [[ask, answer], [answer, done]]
    ... '''))
    >>> plan.steps, plan.owner, plan.capacity, plan.outcomes
    (['ask', 'answer', 'done'], [-1, 0, -1], [2, inf], ['done'])
    """
    unit = model.time_unit
    steps = list(model.steps)
    number = {sid: i for i, sid in enumerate(steps)}
    teams = list(model.teams)
    team_number = {tid: i for i, tid in enumerate(teams)}
    memory = records(model)
    outcome_ids = [sid for sid, s in model.steps.items() if s.is_outcome]
    stuck = never_leaves(model)
    targets, chances = [], []
    for sid, s in model.steps.items():
        ways = model.branches(sid) if not s.is_outcome else []
        targets.append([number[t] for t, _ in ways])
        total = sum(p for _, p in ways)
        chances.append([p / total if total > 0 else 1.0 / len(ways) for _, p in ways])
    entry = list(model.entry.items())
    weight = sum(w for _, w in entry)
    every = list(model.steps.values())
    return Plan(
        time_unit=unit, steps=steps, teams=teams, lanes=[s.lane for s in every],
        owner=[team_number[s.owner] if s.owner else -1 for s in every],
        outcome=[outcome_ids.index(sid) if s.is_outcome else -1 for sid, s in model.steps.items()],
        results=[s.outcome for s in every],
        outcomes=outcome_ids + (["abandoned"] if model.patience is not None else []),
        flags=[_flags(model, sid, stuck) for sid in steps], targets=targets, chances=chances,
        split=[s.split == "all" for s in every],
        join_from=[frozenset(number[f.source] for f in model.incoming[sid]) for sid in steps],
        durations=[s.duration for s in every],
        timeout_after=[s.timeout.after if s.timeout else None for s in every],
        timeout_to=[number[s.timeout.to] if s.timeout else -1 for s in every],
        capacity=[t.staff if t.staff is not None else INF for t in model.teams.values()],
        hours=[hours_in(t.open_hours, unit) for t in model.teams.values()],
        touch=[memory.touch.get(tid, 1) for tid in teams],
        test=[memory.test.get(sid, 0) for sid in steps],
        idle=[incapable(model, sid) for sid in steps],
        entry=[number[sid] for sid, _ in entry],
        entry_chances=[w / weight if weight > 0 else 1.0 / len(entry) for _, w in entry],
        arrivals=_arrivals(model), patience=model.patience, story=bool(memory.test),
        amount=[s.cost or 0.0 for s in every], retelling=to_unit(model.retelling, unit),
        rate=[rate_in(t.cost, unit) if t.cost is not None else 0.0 for t in model.teams.values()],
        costs=any(t.cost is not None for t in model.teams.values()) or any(s.cost is not None for s in every),
    )
