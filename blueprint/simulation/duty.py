"""Team hours in simulated time: when a team is open, when it opens next, how long it was on duty.

A team's ``hours`` (SPEC §2, parsed by :func:`blueprint.hours.parse_hours` into minutes since
Monday 00:00) become ``(starts, ends, week)`` in the blueprint's ``time_unit``: the working
intervals of one week, sorted, and the length of a week. **Time 0 is Monday 00:00.** ``None``
stands for a team that works all week (no hours, or hours covering the whole week).

Examples
--------
>>> from blueprint.hours import parse_hours
>>> office = hours_in(parse_hours("Mon-Fri 09:00-17:00"), "hour")
>>> office[0][:2], office[2]
([9.0, 33.0], 168.0)
>>> open_until(office, 10.0), open_until(office, 18.0), next_opening(office, 18.0)
(17.0, 0.0, 33.0)
>>> on_duty_time(office, 24 * 7), on_duty_time(None, 30.0)
(40.0, 30.0)
"""
from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable

from ..durations import TIME_UNITS

__all__ = ["Hours", "hours_in", "is_open", "open_until", "next_opening", "duty_clock", "on_duty_time"]

#: A team's working week in ``time_unit``: interval starts, interval ends, the week's length.
Hours = tuple[list[float], list[float], float]


def hours_in(intervals: list[tuple[int, int]] | None, unit: str) -> Hours | None:
    """Working intervals (minutes since Monday 00:00) as :data:`Hours` in `unit`, or ``None``
    when the team works all week."""
    if intervals is None or intervals == [(0, 7 * 1440)]:
        return None
    per_minute = 60.0 / TIME_UNITS[unit]
    return ([a * per_minute for a, _ in intervals], [b * per_minute for _, b in intervals],
            7 * 1440 * per_minute)


def open_until(hours: Hours, t: float) -> float:
    """When the team closes next, if it is open at time `t`; ``0.0`` (false) when it is closed."""
    starts, ends, week = hours
    w = t % week
    i = bisect_right(starts, w) - 1
    return t - w + ends[i] if i >= 0 and w < ends[i] else 0.0


def is_open(hours: Hours, t: float) -> bool:
    """Whether the team is open at time `t`."""
    return bool(open_until(hours, t))


def next_opening(hours: Hours, t: float) -> float:
    """The next start of the team's hours after time `t` (a start at `t` itself is not 'next')."""
    starts, _, week = hours
    w = t % week
    i = bisect_right(starts, w)
    return t - w + (starts[i] if i < len(starts) else week + starts[0])


def duty_clock(hours: Hours | None) -> Callable[[float], float] | None:
    """For a team with hours, a function giving its time on duty from time 0 to t; ``None`` without
    hours (always on duty)."""
    if hours is None:
        return None
    starts, ends, week = hours
    before = list(itertools.accumulate((e - a for a, e in zip(starts, ends)), initial=0.0))
    per_week = before[-1]

    def on_duty(t: float) -> float:
        weeks, w = divmod(t, week)
        i = bisect_right(starts, w) - 1
        return weeks * per_week + (before[i] + min(w, ends[i]) - starts[i] if i >= 0 else 0.0)
    return on_duty


def on_duty_time(hours: Hours | None, horizon: float) -> float:
    """How long a team works between time 0 (Monday 00:00) and `horizon`, by its hours.

    Examples
    --------
    >>> from blueprint.hours import parse_hours
    >>> office = hours_in(parse_hours("Mon-Fri 09:00-17:00"), "hour")
    >>> on_duty_time(office, 24 * 7), on_duty_time(office, 24 * 7 + 10), on_duty_time(None, 30.0)
    (40.0, 41.0, 30.0)
    """
    clock = duty_clock(hours)
    return horizon if clock is None else clock(horizon)
