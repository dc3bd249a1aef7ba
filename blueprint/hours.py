"""Working hours of a team: ``"Mon-Fri 09:00-17:00"``.

A team's ``hours`` is one or more parts separated by ``;`` or ``,``. Each part names days (``Mon``,
``Mon-Fri``, ``Sat,Sun`` is two parts) and one or more time ranges, or a time range alone, which
carries the days of the part before it::

    Mon-Fri 09:00-17:00
    Mon-Fri 09:00-12:30 13:30-17:00; Sat 10:00-14:00
    Mon-Sun 00:00-24:00

Simulated time 0 is **Monday 00:00**; a week is 7 days. :func:`parse_hours` turns the text into
sorted, merged intervals of minutes since Monday 00:00.
"""
from __future__ import annotations

import re

__all__ = ["DAYS", "parse_hours", "MINUTES_PER_WEEK"]

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MINUTES_PER_WEEK = 7 * 24 * 60
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DAYS = re.compile(r"^([A-Za-z]{3})[a-z]*(?:-([A-Za-z]{3})[a-z]*)?$")


def _day(word: str, text: str) -> int:
    try:
        return DAYS.index(word.lower())
    except ValueError:
        raise ValueError(f"'{word}' in hours '{text}' is not a day; use Mon, Tue, Wed, Thu, Fri, Sat, Sun") from None


def parse_hours(text: str) -> list[tuple[int, int]]:
    """Working intervals in minutes since Monday 00:00, sorted and merged.

    Parameters
    ----------
    text : str
        Days and time ranges, as ``"Mon-Fri 09:00-17:00"``.

    Returns
    -------
    list of (start, end)
        Half-open intervals within one week, ``0 <= start < end <= 10080``.

    Raises
    ------
    ValueError
        With what is wrong and how to write it.

    Examples
    --------
    >>> parse_hours("Mon-Tue 09:00-17:00")
    [(540, 1020), (1980, 2460)]
    >>> parse_hours("Sat 10:00-12:00 13:00-14:00")
    [(7800, 7920), (7980, 8040)]
    >>> parse_hours("Mon-Sun 00:00-24:00")
    [(0, 10080)]
    """
    intervals: list[tuple[int, int]] = []
    days: list[int] | None = None
    parts = [p.strip() for p in re.split(r"[;,]", text) if p.strip()]
    if not parts:
        raise ValueError("hours are empty; write them like 'Mon-Fri 09:00-17:00'")
    for part in parts:
        words = part.split()
        if _DAYS.match(words[0]) and not _RANGE.match(words[0]):
            first, last = _DAYS.match(words[0]).groups()
            a = _day(first, text)
            b = _day(last, text) if last else a
            days = list(range(a, b + 1)) if a <= b else list(range(a, 7)) + list(range(0, b + 1))
            words = words[1:]
        if days is None:
            raise ValueError(f"hours '{text}' name no days; write them like 'Mon-Fri 09:00-17:00'")
        if not words:
            raise ValueError(f"hours '{text}' give days without times; write them like 'Mon-Fri 09:00-17:00'")
        for word in words:
            match = _RANGE.match(word)
            if not match:
                raise ValueError(f"'{word}' in hours '{text}' is not a time range; write it like 09:00-17:00")
            h1, m1, h2, m2 = map(int, match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if m1 > 59 or m2 > 59 or end > 24 * 60 or start >= end:
                raise ValueError(f"'{word}' in hours '{text}' is not a range within one day; "
                                 "start before it ends, between 00:00 and 24:00")
            intervals += [(d * 1440 + start, d * 1440 + end) for d in days]
    intervals.sort()
    merged: list[tuple[int, int]] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
