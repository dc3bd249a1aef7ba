"""Reading event logs: CSV or XES (gzip too) as a stream of events, and the cases they make.

Everything that reads a log (``discover`` now, ``replay`` next) goes through here, so a log means
the same to every command:

- :func:`read_events` opens a log (a ``.csv`` or ``.xes`` file, gzip/bzip2/xz undone by their magic
  bytes, the encoding from a byte order mark or ``encoding``, at most ``max_bytes`` read; see
  :mod:`blueprint.logs.opening`), or takes rows (a DataFrame, a list of mappings), and gives an
  :class:`EventLog`;
- :meth:`EventLog.events` streams its :class:`LogEvent` s in file order (XES through ``iterparse``,
  each event cleared once read, so memory does not grow with the file);
- :meth:`EventLog.cases` gives each case as a :class:`Case`: its :class:`Visit` s in time order
  (a lifecycle ``start`` paired with the next ``complete``, ``ate_abort``, ``pi_abort`` or
  ``withdraw`` of the same activity) and how it ended (``success``, ``failure``, ``abandoned``,
  ``open``, or ``None`` when the log does not say).

Columns are found by role (:data:`DEFAULT_COLUMNS`, first match in the header, pm4py's names
first) unless named. In XES the case, its outcome and outcome step are trace attributes
(``concept:name``, ``outcome``, ``outcome_step``; a role named ``case:KEY`` is the trace's
``KEY``), everything else event attributes. An XES event outside any trace is left out, with one
warning. A case in which no activity ever ends (every lifecycle ``start``) is read as single
events at those times, with one warning for the log.
"""
from __future__ import annotations

import csv
import itertools
import warnings
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree.ElementTree import ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from ..errors import BlueprintError, Problem, did_you_mean
from .opening import DEFAULT_MAX_BYTES, ENCODING_HINT, LogFile, check_encoding, open_log, text_lines

__all__ = ["DEFAULT_COLUMNS", "Case", "EventLog", "LogEvent", "Visit", "parse_time", "read_events"]

#: Column names tried, in order, for each role (the first of each list is pm4py's / XES's name).
DEFAULT_COLUMNS: dict[str, list[str]] = {
    "case": ["case:concept:name", "case", "case_id", "caseid", "case id", "case:id", "trace", "ticket"],
    "activity": ["concept:name", "activity", "activity name", "activity_name", "step", "event", "task", "action"],
    "timestamp": ["time:timestamp", "timestamp", "end_timestamp", "end timestamp", "complete_timestamp",
                  "end time", "end_time", "time", "end", "date"],
    "resource": ["org:resource", "resource", "user", "agent", "performer", "employee"],
    "group": ["org:group", "org:role", "group", "team", "department", "role"],
    "start_timestamp": ["start_timestamp", "start:timestamp", "time:start", "start time", "start_time", "start"],
    "lifecycle": ["lifecycle:transition", "lifecycle", "transition", "event_type"],
    "status": ["outcome"],  # how the visit ended, as blueprint's own logs say (done, cancelled, ...)
    "case_outcome": ["case:outcome", "case_outcome", "case outcome"],
    "outcome_step": ["case:outcome_step", "outcome_step", "outcome step"],
}
#: The XES keys of each role (trace attributes for case, case_outcome and outcome_step).
XES_KEYS = {"case": "concept:name", "activity": "concept:name", "timestamp": "time:timestamp",
            "resource": "org:resource", "group": "org:group", "start_timestamp": "start_timestamp",
            "lifecycle": "lifecycle:transition", "status": "outcome", "case_outcome": "outcome",
            "outcome_step": "outcome_step"}
_REQUIRED = ("case", "activity", "timestamp")
_TRACE_ROLES = ("case", "case_outcome", "outcome_step")
_OPTIONS = {"case": "--case", "activity": "--activity", "timestamp": "--timestamp"}
#: Lifecycle transitions that end an activity instance, and whether the work was finished.
ENDINGS = {"complete": True, "": True, "ate_abort": False, "pi_abort": False, "withdraw": False}
#: How a case ended, from the words a log may use.
OUTCOMES = {"success": "success", "successful": "success", "succeeded": "success",
            "failure": "failure", "failed": "failure", "fail": "failure",
            "abandoned": "abandoned", "gave up": "abandoned", "given up": "abandoned", "withdrawn": "abandoned",
            "cancelled": "abandoned", "canceled": "abandoned",
            "open": "open", "in progress": "open", "running": "open", "ongoing": "open"}
#: Event statuses (an ``outcome`` column, as blueprint's simulated logs have) of unfinished work.
_STOPPED = {"timeout", "abandoned", "cancelled", "canceled", "withdrawn", "aborted"}
_EMPTY = ("", "nan", "nat", "none", "null")
_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M:%S",
            "%d.%m.%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M")
_UTC = timezone.utc


def parse_time(text: str) -> float:
    """Seconds since 1970 (UTC) for a timestamp; a time without a zone counts as UTC.

    Raises ``ValueError`` when the text is not a time.

    Examples
    --------
    >>> parse_time("2010-12-30 14:32:00+01:00") - parse_time("2010-12-30 13:32:00")
    0.0
    >>> parse_time("2011-10-11T13:45:40.276Z") % 60
    40.276...
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        text = text.strip()
        if not text:
            raise ValueError("empty") from None
        moment = None
        for fmt in _FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            raise ValueError(text) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_UTC)
    return moment.timestamp()


class LogEvent(NamedTuple):
    """One line of a CSV log or one XES event, its values found by role (``None`` when absent).

    ``time`` is when it happened (the end, for a row with a start time too), in seconds since 1970;
    ``lifecycle`` is lower case (``""`` without one); ``number`` is its line (CSV) or its
    position (XES), for messages.
    """

    case: str
    activity: str
    time: float
    start: float | None
    resource: str | None
    group: str | None
    lifecycle: str
    status: str | None
    case_outcome: str | None
    outcome_step: str | None
    number: int


class Visit(NamedTuple):
    """A case's visit to an activity: from ``start`` (``None`` if unknown) to ``end``.

    ``state`` is ``"complete"`` (finished), ``"stopped"`` (ended unfinished: withdrawn, aborted,
    cancelled, timed out, abandoned) or ``"open"`` (still going when the log ends; ``end`` is
    then when it was last seen).
    """

    activity: str
    start: float | None
    end: float
    resource: str | None
    group: str | None
    state: str


class Case(NamedTuple):
    """A case: its id, its visits in time order, how it ended and the outcome step it ended at."""

    case: str
    visits: list
    outcome: str | None
    outcome_step: str | None


class EventLog:
    """A log opened by :func:`read_events`: :meth:`events` and :meth:`cases` stream it (once).

    Attributes
    ----------
    file, name, kind : str
        The path as given (``"log"`` for rows), its name without suffixes, ``"csv"``, ``"xes"``
        or ``"rows"``.
    columns : dict
        The column (CSV, rows) or key (XES) used for each role; ``None`` where the log has none.
    notes : dict
        Counts gathered while reading, for messages: ``outside_trace``, ``start_only_cases``,
        ``unknown_outcomes`` (a set of values).
    """

    def __init__(self, file: str, name: str, kind: str, columns: dict):
        self.file, self.name, self.kind, self.columns = file, name, kind, columns
        self.notes: dict[str, Any] = {"outside_trace": 0, "start_only_cases": 0, "unknown_outcomes": set()}
        self._events: Iterator[LogEvent] | None = None  # one of the two: events in file order,
        self._traces: Iterator[list[LogEvent]] | None = None  # or the events of each case together

    def where(self, event: LogEvent) -> str:
        """Where `event` is, in the words of the format: ``line 12`` or ``event 7 (trace '3')``.

        Examples
        --------
        >>> log = read_events([{"case": "1", "activity": "ask", "timestamp": "2024-01-01 09:00"}])
        >>> log.where(next(log.events()))
        'row 1'
        """
        return f"line {event.number}" if self.kind == "csv" else (
            f"event {event.number} (trace '{event.case}')" if self.kind == "xes" else f"row {event.number}")

    def events(self) -> Iterator[LogEvent]:
        """The events in file order (see :func:`read_events` for an example)."""
        return self._events if self._events is not None else itertools.chain.from_iterable(self._traces)

    def traces(self) -> Iterator[list[LogEvent]]:
        """The events of each case, in file order: a trace at a time for XES (each trace is a case);
        CSV and rows are gathered first (a case's rows may be anywhere in the file).

        Examples
        --------
        >>> log = read_events([{"case": c, "activity": "ask", "timestamp": "2024-01-01"} for c in "121"])
        >>> [[e.number for e in trace] for trace in log.traces()]
        [[1, 3], [2]]
        """
        if self._traces is not None:
            yield from self._traces
            return
        by_case: dict[str, list[LogEvent]] = defaultdict(list)
        for event in self._events:
            by_case[event.case].append(event)
        for case in list(by_case):
            yield by_case.pop(case)

    def cases(self) -> Iterator[Case]:
        """Each case with its visits in time order; warns once at the end about what it left out.

        Examples
        --------
        >>> log = read_events([{"case": "1", "activity": "fix", "timestamp": "2024-01-01 09:00", "lifecycle": "start"},
        ...                    {"case": "1", "activity": "fix", "timestamp": "2024-01-01 09:30",
        ...                     "lifecycle": "complete"}])
        >>> [(v.activity, v.end - v.start, v.state) for c in log.cases() for v in c.visits]
        [('fix', 1800.0, 'complete')]
        """
        for trace in self.traces():
            if trace:  # an XES trace without events is no case
                yield self._case(trace)
        self._warn()

    def _case(self, trace: list[LogEvent]) -> Case:
        trace.sort(key=_when)
        visits = _visits(trace)
        if visits is None:  # nothing in the case ever ended: its starts are the events
            self.notes["start_only_cases"] += 1
            visits = [Visit(e.activity, None, e.time, e.resource, e.group, "complete") for e in trace]
        outcome, step = _outcome(trace, self.notes["unknown_outcomes"])
        return Case(trace[0].case, visits, outcome, step)

    def _warn(self) -> None:
        notes = self.notes
        if notes["outside_trace"]:
            warnings.warn(f"{self.file}: {notes['outside_trace']} event(s) are outside any trace (the first is "
                          f"{notes['first_outside']}); XES keeps a case's events in its trace, so they are left out",
                          stacklevel=3)
        if notes["start_only_cases"]:
            warnings.warn(f"{self.file}: in {notes['start_only_cases']} case(s) no activity ever ends (every "
                          f"{self.columns.get('lifecycle')} is 'start' or another that does not end one): "
                          "their starts are read as single events, so their durations are times between "
                          "starts", stacklevel=3)
        if notes["unknown_outcomes"]:
            values = ", ".join(f"'{v}'" for v in sorted(notes["unknown_outcomes"])[:5])
            warnings.warn(f"{self.file}: case outcome {values} is none of success, failure, abandoned or open: "
                          "those cases are read as if the log did not say how they ended (in success)", stacklevel=3)


def _when(e: LogEvent) -> tuple:
    return e.time, e.number


def _visits(trace: list[LogEvent]) -> list[Visit] | None:
    """Pair lifecycle transitions into visits, in the order they end; ``None`` if nothing ends."""
    if not any(e.lifecycle for e in trace):
        return [Visit(e.activity, e.start, e.time, e.resource, e.group, _state(e, True)) for e in trace]
    started: dict[str, deque] = defaultdict(deque)
    visits: list[Visit] = []
    for e in trace:
        finished = ENDINGS.get(e.lifecycle)
        if e.lifecycle == "start":
            started[e.activity].append(e)
        elif finished is not None:
            begun = started[e.activity].popleft() if started[e.activity] else None
            start = begun.time if begun is not None else e.start
            visits.append(Visit(e.activity, start, e.time, e.resource or (begun and begun.resource),
                                e.group or (begun and begun.group), _state(e, finished)))
    if not visits:
        return None
    left = [Visit(e.activity, e.time, e.time, e.resource, e.group, "open") for waiting in started.values()
            for e in waiting]
    if left:
        visits = sorted(visits + left, key=lambda v: v.end)
    return visits


def _state(e: LogEvent, finished: bool) -> str:
    status = (e.status or "").lower()
    if status == "open":
        return "open"
    return "complete" if finished and status not in _STOPPED else "stopped"


def _outcome(trace: list[LogEvent], unknown: set) -> tuple[str | None, str | None]:
    """How the case ended: its case outcome if the log has one, else its events' statuses."""
    given = next((e for e in reversed(trace) if e.case_outcome), None)
    if given is not None:
        word = OUTCOMES.get(given.case_outcome.strip().lower())
        if word is None:
            unknown.add(given.case_outcome.strip())
        return word, given.outcome_step or None
    statuses = {(e.status or "").lower(): e for e in trace}
    for word in ("success", "failure"):
        if word in statuses:
            return word, statuses[word].activity
    if "abandoned" in statuses:
        return "abandoned", None
    return ("open", None) if "open" in statuses else (None, None)


# ------------------------------------------------------------------------------------------------
# opening
# ------------------------------------------------------------------------------------------------
def read_events(log: Any, *, case: str | None = None, activity: str | None = None, timestamp: str | None = None,
                resource: str | None = None, group: str | None = None, start_timestamp: str | None = None,
                lifecycle: str | None = None, outcome: str | None = None, encoding: str | None = None,
                max_bytes: int | str | None = DEFAULT_MAX_BYTES) -> EventLog:
    """Open an event log: a CSV or XES file (gzip too) or rows, read lazily.

    Parameters
    ----------
    log : str, Path, DataFrame or iterable of mappings
        A ``.csv`` or ``.xes`` file (compressed or not: the bytes say), or the events themselves.
    case, activity, timestamp, resource, group, start_timestamp, lifecycle, outcome : str, optional
        The column (CSV, rows) or attribute key (XES) of each role; by default the first of
        :data:`DEFAULT_COLUMNS` found. ``outcome`` is the case's outcome.
    encoding : str, optional
        The text encoding of a CSV (or XES, overriding its declaration) without a byte order mark;
        UTF-8 by default.
    max_bytes : int, str or None
        Read at most this much, counted after decompression (1 GiB by default; ``None`` or 0 for
        no cap).

    Raises
    ------
    BlueprintError
        For a file that cannot be read, a missing column, an event without a case, an activity or
        a readable time, text that does not decode: naming the file, the place and the fix.

    Examples
    --------
    >>> log = read_events([{"case": "1", "activity": "ask", "timestamp": "2024-01-01 09:00"},
    ...                    {"case": "1", "activity": "answer", "timestamp": "2024-01-01 09:05"}])
    >>> [(e.activity, e.time - 1704099600) for e in log.events()]
    [('ask', 0.0), ('answer', 300.0)]
    """
    roles = {"case": case, "activity": activity, "timestamp": timestamp, "resource": resource, "group": group,
             "start_timestamp": start_timestamp, "lifecycle": lifecycle, "case_outcome": outcome}
    roles = {k: v for k, v in roles.items() if v is not None}
    encoding = check_encoding(encoding)
    if not isinstance(log, (str, Path)):
        return _rows_log(log, roles)
    opened = open_log(log, max_bytes=max_bytes)
    name = Path(str(log)).name.split(".")[0] or "discovered"
    if opened.kind == "xes":
        keys = _xes_keys(roles)
        read = EventLog(opened.file, name, "xes", keys)
        read._traces = _xes_traces(opened, keys, encoding, read.notes)
        return read
    try:
        columns, events = _csv_events(opened, roles, encoding)
    except BaseException:
        opened.stream.close()
        raise
    read = EventLog(opened.file, name, "csv", columns)
    read._events = events
    return read


def _pick(header: list[str], roles: dict, file: str) -> dict[str, str | None]:
    lowered: dict[str, str] = {}
    for h in header:
        lowered.setdefault(h.strip().lower(), h)
    columns: dict[str, str | None] = {}
    for role, names in DEFAULT_COLUMNS.items():
        given = roles.get(role)
        if given is not None:
            if given not in header:
                raise BlueprintError(f"no column '{given}' for the {role}{did_you_mean(given, header)}; the columns "
                                     f"are {', '.join(header)}", file=file)
            columns[role] = given
            continue
        columns[role] = next((lowered[n] for n in names if n in lowered), None)
        if columns[role] is None and role in _REQUIRED:
            shown = ", ".join(h[:40] for h in header[:12]) + (", ..." if len(header) > 12 else "")
            raise BlueprintError(f"no {role} column: none of {', '.join(names[:4])}, ... is in the header "
                                 f"({shown}); name it with {_OPTIONS[role]} COLUMN", file=file)
    return columns


#: The roles in the order :func:`_event_maker`'s function takes their values.
ROLES = ("case", "activity", "timestamp", "start_timestamp", "resource", "group", "lifecycle", "status",
         "case_outcome", "outcome_step")


class _Texts(dict):
    """Raw text -> stripped, one object for equal texts (a log repeats them), ``None`` if empty."""

    def __missing__(self, raw: str) -> str | None:
        value = raw.strip()
        value = self[raw] = value if value.lower() not in _EMPTY else None
        return value


def _event_maker(columns: dict, file: str, where: Callable[[int], str]) -> Callable[[tuple, int], LogEvent]:
    """A function making a LogEvent of the raw values of :data:`ROLES` (``None`` where the log has
    no such value) and its place; bad values are located errors."""
    text = _Texts({None: None})

    def problem(number: int, role: str, message: str) -> BlueprintError:
        return BlueprintError([Problem(f"{where(number)}, column {columns.get(role)}", message)], file=file)

    def make(values: tuple, number: int) -> LogEvent:
        case, activity, stamp, start, resource, group, lifecycle, status, outcome, step = values
        case, activity = text[case], text[activity]
        if not case:
            raise problem(number, "case", "no case id; every event needs the case it belongs to")
        if not activity:
            raise problem(number, "activity", "no activity; every event needs the name of what happened")
        try:
            end = parse_time(stamp or "")
        except (ValueError, OverflowError, OSError):
            raise problem(number, "timestamp", "no timestamp; every event needs the time it happened" if not
                          (stamp or "").strip() else f"'{stamp.strip()[:60]}' is not a time; write it as ISO "
                          "8601, like 2024-03-01 09:30:00 or 2024-03-01T09:30:00+01:00") from None
        if start is not None and start.strip().lower() not in _EMPTY:  # (not cached: times rarely repeat)
            try:
                start = parse_time(start)
            except (ValueError, OverflowError, OSError):
                raise problem(number, "start_timestamp", f"'{start.strip()[:60]}' is not a time; write it as ISO "
                              "8601, like 2024-03-01 09:30:00, or leave it empty") from None
        else:
            start = None
        lifecycle = text[lifecycle]
        return LogEvent(case, activity, end, start, text[resource], text[group],
                        lifecycle.lower() if lifecycle else "", text[status], text[outcome], text[step], number)

    return make


# ------------------------------------------------------------------------------------------------
# CSV and rows
# ------------------------------------------------------------------------------------------------
def _csv_events(log: LogFile, roles: dict, encoding: str | None) -> tuple[dict, Iterator[LogEvent]]:
    lines = text_lines(log, encoding)
    head: list[str] = []
    size = 0
    for line in lines:
        head.append(line)
        size += len(line)
        if size >= 65536:
            break
    try:
        dialect = csv.Sniffer().sniff("".join(head), delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(itertools.chain(head, lines), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise BlueprintError("the log is empty; it needs a header row and one row per event", file=log.file) from None
    except csv.Error as exc:
        raise BlueprintError(f"line 1: not readable CSV: {exc}", file=log.file) from None
    columns = _pick(header, roles, log.file)
    width = len(header)
    values = itemgetter(*(header.index(columns[role]) if columns[role] is not None else width for role in ROLES))
    make = _event_maker(columns, log.file, lambda n: f"line {n}")

    def events() -> Iterator[LogEvent]:
        with log.stream:
            try:
                for row in reader:
                    if len(row) != width:  # short or long rows: cut or pad to the header
                        if not any(cell.strip() for cell in row):
                            continue
                        row = row[:width] + [""] * (width - len(row))
                    row.append(None)  # the value of the roles the log has no column for
                    try:
                        yield make(values(row), reader.line_num)
                    except BlueprintError:
                        if any(cell and cell.strip() for cell in row):
                            raise  # not a blank row
            except csv.Error as exc:
                raise BlueprintError(f"line {reader.line_num}: not readable CSV: {exc}", file=log.file) from None

    return columns, events()


def _rows_log(log: Any, roles: dict) -> EventLog:
    items = list(log.to_dict("records") if hasattr(log, "to_dict") else log)
    if not items:
        raise BlueprintError("the log has no events", file="log")
    if not all(isinstance(item, dict) for item in items):
        raise BlueprintError("the log's rows are mappings of column to value (like a DataFrame's records)",
                             file="log")
    columns = _pick([str(k) for k in items[0]], roles, "log")
    make = _event_maker(columns, "log", lambda n: f"row {n}")

    names = [columns[role] for role in ROLES]

    def events() -> Iterator[LogEvent]:
        for number, item in enumerate(items, start=1):
            yield make(tuple(None if name is None or (v := item.get(name)) is None else str(v) for name in names),
                       number)

    read = EventLog("log", "discovered", "rows", columns)
    read._events = events()
    return read


# ------------------------------------------------------------------------------------------------
# XES
# ------------------------------------------------------------------------------------------------
def _xes_keys(roles: dict) -> dict[str, str]:
    keys = {role: roles.get(role) or key for role, key in XES_KEYS.items()}
    for role in _TRACE_ROLES:
        if keys[role].startswith("case:"):
            keys[role] = keys[role][5:]
    return keys


def _xes_traces(log: LogFile, keys: dict, encoding: str | None, notes: dict) -> Iterator[list[LogEvent]]:
    trace_keys = {keys[role]: role for role in _TRACE_ROLES}
    current = {"case": "?"}
    make = _event_maker(keys, log.file, lambda n: f"event {n} (trace '{current['case']}')")
    parser = DefusedXMLParser(target=TreeBuilder(), encoding=encoding)
    with log.stream:
        try:
            for number, trace, attributes in _walk_xes(iterparse(log.stream, events=("start", "end"), parser=parser),
                                                       notes):
                values = {trace_keys[k]: v for k, v in attributes.items() if k in trace_keys}
                current["case"] = values["case"] = values.get("case") or f"#{number}"
                yield [make(tuple(values.get(role) if role in _TRACE_ROLES else event.get(keys[role])
                                  for role in ROLES), n) for n, event in trace]
        except DefusedXmlException:
            raise BlueprintError("the XES file declares entities; a log never needs them, so it is refused "
                                 "(an entity expansion bomb?)", file=log.file) from None
        except ParseError as exc:
            hint = f"; {ENCODING_HINT}" if "invalid token" in str(exc) else ""
            raise BlueprintError(f"not well-formed XES (XML): {exc}{hint}", file=log.file) from None
        except (LookupError, ValueError) as exc:
            if isinstance(exc, BlueprintError):
                raise
            raise BlueprintError(f"cannot read the XES file: {exc}; if its XML declaration names an encoding "
                                 "Python does not know, give the right one with --encoding", file=log.file) from None


def _walk_xes(parsed: Iterable, notes: dict) -> Iterator[tuple]:
    """``(trace number, [(event number, {key: value})], {trace key: value})`` per trace, each
    element dropped from the tree once read; events outside any trace counted in `notes`."""
    names: dict[str, str] = {}
    stack: list = []
    trace_depth = 0  # the depth of the open trace, 0 when none is open
    events: list = []
    attributes: dict = {}
    traces = numbered = 0
    for kind, el in parsed:
        tag = el.tag
        name = names.get(tag)
        if name is None:
            name = names[tag] = tag.rpartition("}")[2]
        if kind == "start":
            stack.append(el)
            if name == "trace" and not trace_depth:
                trace_depth, events, attributes = len(stack), [], {}
            continue
        depth = len(stack)
        if name == "event":
            numbered += 1
            if trace_depth and depth == trace_depth + 1:
                events.append((numbered, {c.get("key"): c.get("value") for c in el}))
            else:
                notes["outside_trace"] += 1
                notes.setdefault("first_outside", f"event {numbered}")
        elif depth == trace_depth:
            traces += 1
            trace_depth = 0
            yield traces, events, attributes
        elif trace_depth and depth == trace_depth + 1:
            attributes.setdefault(el.get("key"), el.get("value"))
        stack.pop()
        if depth > 1 and (depth <= trace_depth + 1 or not trace_depth):  # read: let it go
            el.clear()
            parent = stack[-1]
            if len(parent) and parent[-1] is el:
                del parent[-1]
