"""The event loop's look at the clock, every :data:`CHECK_EVERY` events, shared by both engines.

Now and then the loop reports progress, asks whether to stop (Ctrl-C), and notices a loop through
steps that take no time: the case goes round and round at one moment, and would for ever.
:func:`look_at_clock` says when that is so, :func:`going_round` what to tell the user.
"""
from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CHECK_EVERY", "look_at_clock", "going_round"]

#: Events between two looks at the clock (progress, Ctrl-C, a loop that takes no time).
CHECK_EVERY = 1 << 14
#: Events at one instant before the simulation gives up on a loop that takes no time: this many,
#: plus ``_EVENTS_PER_CASE`` for each case that arrived meanwhile.
_MOST_EVENTS_AT_ONE_TIME = 100_000
_EVENTS_PER_CASE = 1000


def look_at_clock(instant: tuple, t: float, events: int, cases: int) -> tuple | None:
    """The loop's look at the clock at time `t`, after `events` events and `cases` arrivals: the
    instant to remember, or ``None`` when time has not moved since `instant` (the last look's
    ``(time, events, cases)``) for more events than a loop with a way out takes.

    Examples
    --------
    >>> look_at_clock((-1.0, 0, 0), 5.0, 16384, 10)
    (5.0, 16384, 10)
    >>> look_at_clock((5.0, 16384, 10), 5.0, 200_000, 10) is None
    True
    """
    t_then, events_then, cases_then = instant
    if t != t_then:
        return (t, events, cases)
    if events - events_then > _MOST_EVENTS_AT_ONE_TIME + _EVENTS_PER_CASE * (cases - cases_then):
        return None
    return instant


def going_round(steps: Iterable[str]) -> str:
    """What to say when a loop through `steps` (those at work) takes no time."""
    names = sorted(set(steps))
    return ("the simulation goes round " + ", ".join(names[:6]) + " again and again without time passing; "
            "give a step of that loop a duration, or a way out that does not need time to pass")
