"""ISO 8601 durations (``PT1H30M``), the way BPMN timers say how long."""
from __future__ import annotations

import re

__all__ = ["parse_iso_duration", "iso_duration"]

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_ISO = re.compile(rf"^P(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
                  rf"(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$")
_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def parse_iso_duration(text: str | None) -> float | None:
    """Seconds in an ISO 8601 duration (``P2D``, ``PT1H30M``), or ``None`` if it is not one.

    Years and months count as 365 and 30 days.

    Examples
    --------
    >>> parse_iso_duration("PT1H30M"), parse_iso_duration("P2D"), parse_iso_duration("${wait}")
    (5400.0, 172800.0, None)
    """
    if not text:
        return None
    text = text.strip()
    match = _ISO.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        return None
    return float(sum(float(g.replace(",", ".")) * s for g, s in zip(match.groups(), _SECONDS) if g))


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration for a number of seconds.

    Examples
    --------
    >>> iso_duration(5400), iso_duration(3 * 86400), iso_duration(0), iso_duration(90.5)
    ('PT1H30M', 'P3D', 'PT0S', 'PT1M30.5S')
    """
    seconds = max(0.0, float(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    date = f"{int(days)}D" if days else ""
    clock = "".join(f"{v:g}{u}" for v, u in ((int(hours), "H"), (int(minutes), "M")) if v)
    secs = round(secs, 6)
    if secs:
        clock += f"{secs:g}S"
    if not date and not clock:
        return "PT0S"
    return "P" + date + ("T" + clock if clock else "")
