"""Event logs out of a simulation: one row per step a case went through, as CSV, JSONL or XES.

A row is an :class:`Event`: the case number, the step, the team that owns it and its lane, when
the case reached the step (``enqueue``), when work on it started and ended (in the blueprint's
``time_unit``, from time 0), and how the visit ended (``outcome``):

``done``        the step was finished;
``timeout``     the case left it by the step's ``timeout``;
``abandoned``   the customer ran out of patience during it;
``cancelled``   another branch of the case reached an outcome first;
``open``        still there when the simulation stopped (queueing, working, waiting at a join);
``success`` / ``failure``  the row of an outcome step: the case ended there.

Each case's own ending (:func:`case_outcomes`) is written with it, so that reading the log back
(``discover``, pm4py) keeps failures failures: ``success`` or ``failure`` (with the outcome step
reached), ``abandoned`` (the customer ran out of patience; no outcome step) or ``open`` (still in
progress when the simulation stopped).

Time 0 is **Monday 2024-01-01 00:00:00 UTC** (:data:`EPOCH`) in the files that carry dates (the
``timestamp`` columns of CSV, ``time:timestamp`` of XES), so that team hours line up with weekdays.

* **CSV**: ``case,step,team,lane,enqueue,start,end,outcome,start_timestamp,timestamp,case:outcome,
  case:outcome_step``; ``timestamp`` is when the visit ended (for an open one, when it last
  moved); the last two are the case's ending, on every row of the case (pm4py's ``case:`` prefix
  for case attributes).
* **JSONL**: one JSON object per row with the keys of :class:`Event`.
* **XES** (IEEE 1849-2016): one trace per case (``concept:name`` = case number, ``outcome`` and,
  where one was reached, ``outcome_step``), events with ``concept:name`` (the step),
  ``org:resource`` (the team), ``time:timestamp`` and ``lifecycle:transition``, plus ``lane`` and
  ``outcome``, in the standard lifecycle: ``start`` when work on the visit started, and when it
  ended ``complete`` (finished), ``ate_abort`` (started, then stopped unfinished: cancelled by
  another branch, abandoned, timed out) or ``withdraw`` (stopped before it started). An outcome
  step's visit is one ``complete``; an open visit has no ending event.
"""
from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import quoteattr

import numpy as np

from .durations import TIME_UNITS
from .errors import BlueprintError
from .files import write_atomic

__all__ = ["Event", "EPOCH", "FORMATS", "case_outcomes", "check_events_path", "timestamps", "to_csv", "to_jsonl",
           "to_xes", "write_events"]

#: The date of simulated time 0: a Monday.
EPOCH = "2024-01-01T00:00:00"
#: File extensions an event log can be written as.
FORMATS = (".csv", ".jsonl", ".xes")


class Event(NamedTuple):
    """One step a case went through. Times are in the blueprint's ``time_unit``; ``start`` and
    ``end`` are ``None`` when the visit never got that far."""

    case: int
    step: str
    team: str | None
    lane: str | None
    enqueue: float
    start: float | None
    end: float | None
    outcome: str


def timestamps(times: Sequence[float | None], time_unit: str) -> list[str | None]:
    """ISO 8601 dates (UTC, to the millisecond) of simulated times counted from :data:`EPOCH`.

    Examples
    --------
    >>> timestamps([0, 1.5, None], "day")
    ['2024-01-01T00:00:00.000Z', '2024-01-02T12:00:00.000Z', None]
    """
    values = np.array([np.nan if t is None else t for t in times], dtype=float)
    known = ~np.isnan(values)
    ms = np.round(values[known] * TIME_UNITS[time_unit] * 1000).astype(np.int64)
    text = np.datetime_as_string(np.datetime64(EPOCH, "ms") + ms.astype("timedelta64[ms]"), unit="ms",
                                 timezone="UTC").tolist()
    out: list[str | None] = [None] * len(values)
    for i, s in zip(np.flatnonzero(known).tolist(), text):
        out[i] = s
    return out


def case_outcomes(events: Iterable[Event]) -> dict[int, tuple[str, str]]:
    """How each case ended: ``(outcome, outcome step)``, the step ``""`` where none was reached.

    Examples
    --------
    >>> case_outcomes([Event(1, "ask", None, "customer", 0.0, 0.0, 1.0, "done"),
    ...                Event(1, "lost", None, None, 1.0, 1.0, 1.0, "failure"),
    ...                Event(2, "ask", None, "customer", 0.0, 0.0, 3.0, "abandoned"),
    ...                Event(3, "ask", None, "customer", 0.0, 0.0, None, "open")])
    {1: ('failure', 'lost'), 2: ('abandoned', ''), 3: ('open', '')}
    """
    out: dict[int, tuple[str, str]] = {}
    for e in events:
        known = out.get(e.case)
        if e.outcome in ("success", "failure"):
            out[e.case] = (e.outcome, e.step)
        elif known is None or known[0] == "open" and e.outcome == "abandoned":
            out[e.case] = ("abandoned" if e.outcome == "abandoned" else "open", "")
    return out


def _ending(e: Event) -> str:
    """The XES lifecycle transition that ends a visit: finished, stopped after it started, or before."""
    if e.outcome in ("done", "success", "failure"):
        return "complete"
    return "ate_abort" if e.start is not None else "withdraw"


def _last_moved(e: Event) -> float:
    return e.end if e.end is not None else e.start if e.start is not None else e.enqueue


def to_csv(events: Sequence[Event], time_unit: str) -> str:
    """The rows as CSV with a header, ready for pm4py or a spreadsheet.

    Examples
    --------
    >>> print(to_csv([Event(1, "answer", "desk", "frontstage", 0.0, 0.5, 1.0, "done"),
    ...               Event(1, "done", None, None, 1.0, 1.0, 1.0, "success")], "hour"), end="")
    case,step,team,lane,enqueue,start,end,outcome,start_timestamp,timestamp,case:outcome,case:outcome_step
    1,answer,desk,frontstage,0.0,0.5,1.0,done,2024-01-01T00:30:00.000Z,2024-01-01T01:00:00.000Z,success,done
    1,done,,,1.0,1.0,1.0,success,2024-01-01T01:00:00.000Z,2024-01-01T01:00:00.000Z,success,done
    """
    starts = timestamps([e.start for e in events], time_unit)
    ends = timestamps([_last_moved(e) for e in events], time_unit)
    endings = case_outcomes(events)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(Event._fields + ("start_timestamp", "timestamp", "case:outcome", "case:outcome_step"))
    for e, s, t in zip(events, starts, ends):
        writer.writerow([("" if v is None else v) for v in e] + [s or "", t, *endings[e.case]])
    return out.getvalue()


def to_jsonl(events: Iterable[Event]) -> str:
    """One JSON object per row.

    Examples
    --------
    >>> print(to_jsonl([Event(1, "ask", None, "customer", 0.0, 0.0, 0.0, "done")]), end="")
    {"case": 1, "step": "ask", "team": null, "lane": "customer", "enqueue": 0.0, "start": 0.0, "end": 0.0,
     "outcome": "done"}
    """
    return "".join(json.dumps(e._asdict()) + "\n" for e in events)


_XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="?"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="?"/>
    <string key="lifecycle:transition" value="complete"/>
    <date key="time:timestamp" value="2024-01-01T00:00:00.000Z"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <classifier name="Activity and transition" keys="concept:name lifecycle:transition"/>
  <string key="concept:name" value={name}/>
"""


def to_xes(events: Sequence[Event], time_unit: str, name: str = "simulation") -> str:
    """The rows as an IEEE 1849-2016 XES log: a trace per case with its outcome, and the standard
    lifecycle transitions of each visit (``start``, then ``complete``, ``ate_abort`` or ``withdraw``).

    Examples
    --------
    >>> text = to_xes([Event(1, "answer", "desk", "frontstage", 0.0, 0.5, 1.0, "done")], "hour")
    >>> print(text.splitlines()[18:20])
    ['    <string key="concept:name" value="1"/>', '    <string key="outcome" value="open"/>']
    >>> for line in text.splitlines()[-18:-4]:
    ...     print(line.strip())
    <event>
    <string key="concept:name" value="answer"/>
    <string key="org:resource" value="desk"/>
    <string key="lane" value="frontstage"/>
    <date key="time:timestamp" value="2024-01-01T00:30:00.000Z"/>
    <string key="lifecycle:transition" value="start"/>
    <string key="outcome" value="done"/>
    </event>
    <event>
    <string key="concept:name" value="answer"/>
    <string key="org:resource" value="desk"/>
    <string key="lane" value="frontstage"/>
    <date key="time:timestamp" value="2024-01-01T01:00:00.000Z"/>
    <string key="lifecycle:transition" value="complete"/>
    """
    starts = timestamps([e.start for e in events], time_unit)
    ends = timestamps([e.end for e in events], time_unit)
    moments: dict[int, list[tuple]] = {}
    for i, e in enumerate(events):
        trace = moments.setdefault(e.case, [])
        if e.start is not None and e.outcome not in ("success", "failure"):
            trace.append((e.start, i, 0, "start", starts[i]))
        if e.end is not None:
            trace.append((e.end, i, 1, _ending(e), ends[i]))
    endings = case_outcomes(events)
    parts = [_XES_HEAD.format(name=quoteattr(name))]
    for case, trace in moments.items():
        outcome, step = endings[case]
        parts.append(f'  <trace>\n    <string key="concept:name" value="{case}"/>\n'
                     f'    <string key="outcome" value="{outcome}"/>\n')
        if step:
            parts.append(f'    <string key="outcome_step" value={quoteattr(step)}/>\n')
        for _, i, _, transition, stamp in sorted(trace, key=lambda m: (m[0], m[1], m[2])):
            e = events[i]
            parts.append(f'    <event>\n      <string key="concept:name" value={quoteattr(e.step)}/>\n')
            if e.team is not None:
                parts.append(f'      <string key="org:resource" value={quoteattr(e.team)}/>\n')
            if e.lane is not None:
                parts.append(f'      <string key="lane" value={quoteattr(e.lane)}/>\n')
            parts.append(f'      <date key="time:timestamp" value="{stamp}"/>\n'
                         f'      <string key="lifecycle:transition" value="{transition}"/>\n'
                         f'      <string key="outcome" value="{e.outcome}"/>\n    </event>\n')
        parts.append("  </trace>\n")
    parts.append("</log>\n")
    return "".join(parts)


def write_events(events: Sequence[Event], path: str | os.PathLike, time_unit: str,
                 name: str = "simulation") -> None:
    """Write the rows to `path` as CSV, JSONL or XES, by its extension, atomically.

    Raises
    ------
    BlueprintError
        For another extension, or a place that cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "log.jsonl"
    >>> write_events([Event(1, "ask", None, "customer", 0.0, 0.0, 0.0, "done")], target, "minute")
    >>> target.read_text().count("\\n")
    1
    """
    check_events_path(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        text = to_csv(events, time_unit)
    elif suffix == ".jsonl":
        text = to_jsonl(events)
    else:
        text = to_xes(events, time_unit, name)
    write_atomic(path, text)


def check_events_path(path: str | os.PathLike) -> None:
    """Raise a :class:`BlueprintError` unless `path` ends in an event log extension."""
    if Path(path).suffix.lower() not in FORMATS:
        raise BlueprintError(f"{path}: an event log is written as .csv, .jsonl or .xes; "
                             f"name the file with one of those extensions")
