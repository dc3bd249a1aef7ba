"""Capacity, exactly: how much staff each team's work keeps busy, and how much it has on duty.

A team's **load** is the staff it keeps busy on average: the arrival rate times, for each of its
steps, the expected visits per case times the staff time a visit takes
(:func:`blueprint.ways.work_time`: the mean duration, cut short by a timeout; nothing for a step
the team cannot do). Its **utilization** is that load over the staff it has on duty: ``staff``
times the share of the week its ``hours`` are open (all of it without hours). At 1 or more the
team cannot keep up, and its queue grows without end (the ``overloaded`` rule).

The arrival rate is the one the simulation uses: ``{rate: N/unit}``; one over the mean gap for
``{every: D}``; one per ``time_unit`` when the file gives no arrivals. Arrivals at listed times
(``{at: [...]}``) have no long-run rate: no load then.
"""
from __future__ import annotations

from typing import NamedTuple

from ..durations import mean_of, rate_in
from ..hours import MINUTES_PER_WEEK
from ..model import At, Blueprint, Every, RateArrivals

__all__ = ["arrival_rate", "on_duty", "Capacity", "capacity"]


def arrival_rate(model: Blueprint) -> float | None:
    """Cases per ``time_unit`` in the long run, or ``None`` for arrivals at listed times.

    Examples
    --------
    >>> from blueprint import loads
    >>> base = "time_unit: hour\\nsteps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]\\n"
    >>> arrival_rate(loads(base + "arrivals: {rate: 12/day}")), arrival_rate(loads(base + "arrivals: {every: 30min}"))
    (0.5, 2.0)
    >>> arrival_rate(loads(base)), arrival_rate(loads(base + "arrivals: {at: [0, 1]}"))
    (1.0, None)
    """
    arrivals, unit = model.arrivals, model.time_unit
    if arrivals is None:
        return 1.0
    if isinstance(arrivals, RateArrivals):
        return rate_in(arrivals.rate, unit)
    if isinstance(arrivals, Every):
        gap = mean_of(arrivals.every, unit)
        return 1.0 / gap if gap > 0 else None
    assert isinstance(arrivals, At)
    return None


def on_duty(model: Blueprint, team_id: str) -> float | None:
    """The staff a team has on duty on average over a week (``staff`` times the share of the week
    its hours are open), or ``None`` when its staff is unlimited.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("teams: {desk: {staff: 3, hours: 'Mon-Fri 09:00-17:00'}}\\nsteps: {a: {lane: frontstage, "
    ...               "owner: desk}, b: {outcome: success}}\\nflows: [[a, b]]")
    >>> round(on_duty(model, "desk"), 6)  # 3 x 40 h / 168 h
    0.714286
    """
    team = model.teams.get(team_id)
    if team is None or team.staff is None:
        return None
    hours = team.open_hours
    share = 1.0 if hours is None else sum(b - a for a, b in hours) / MINUTES_PER_WEEK
    return team.staff * share


class Capacity(NamedTuple):
    """One team's capacity: its load and utilization, each ``None`` with a reason where unknown."""

    load: float | None
    utilization: float | None
    why_load: str | None = None
    why_utilization: str | None = None


def capacity(model: Blueprint, work: dict[str, float], rate: float | None) -> dict[str, Capacity]:
    """Each team's :class:`Capacity` from `work`: the expected staff time per case on each team's
    steps (``None`` for a team whose time never ends); teams in file order.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("teams: {desk: {staff: 2}, web: {}}\\nsteps: {a: {lane: frontstage, owner: desk}, "
    ...               "b: {outcome: success}}\\nflows: [[a, b]]")
    >>> capacity(model, {"desk": 3.0, "web": 0.0}, 0.5)["desk"]
    Capacity(load=1.5, utilization=0.75, why_load=None, why_utilization=None)
    """
    out = {}
    for tid in model.teams:
        per_case = work.get(tid, 0.0)
        if rate is None:
            out[tid] = Capacity(None, None, "arrivals at listed times have no long-run rate",
                                "arrivals at listed times have no long-run rate")
            continue
        if per_case is None:
            out[tid] = Capacity(None, None, "its expected work per case is unknown", "its load is unknown")
            continue
        load = rate * per_case
        staff = on_duty(model, tid)
        if staff is None:
            out[tid] = Capacity(load, None)  # unlimited: no utilization, by definition
        elif staff == 0:
            why = ("it has nobody on duty (staff: 0)" if model.teams[tid].staff == 0
                   else "its hours are never open")
            out[tid] = Capacity(load, None, None, why)
        else:
            out[tid] = Capacity(load, load / staff)
    return out
