"""A blueprint discovered from an event log: what a ticket system's export says really happens.

:func:`discover` reads a log (CSV or XES) of cases, activities, timestamps and, where the log has
them, resources, and builds a blueprint whose simulation reproduces the log's activity
frequencies:

- **steps** are the activities; **flows** the directly-follows relations inside each case, with
  ``p`` the share of the times an activity was followed by each next one (the case ending there
  counts as a way out to an **outcome**: one success outcome per activity that ends cases; an
  activity that only ever ends cases and takes no time, such as "case closed", is that outcome);
- **start** weights are the shares of cases starting with each activity;
- **durations** are empirical distributions of the measured times: end minus start where the log
  has both (a ``start_timestamp`` column, or ``lifecycle:transition`` start/complete pairs),
  otherwise the time since the case's previous event (which includes waiting); at most 50
  evenly spread quantiles are kept;
- **teams** come from the resource column: each activity is owned by the group (``org:group``,
  when the log has one) or resource that did it most often; a team's ``staff`` is the number of
  distinct resources seen in it, but only when service times were measured (times since the
  previous event include queueing, and finite staff would count it twice);
- **lanes**: an activity whose owner or name is the customer's (see
  :func:`blueprint.bpmn.is_customer_name`), or that no resource ever did in a log that names
  resources, is a customer step; a staff step that starts cases or
  meets a customer step is frontstage; the rest is backstage;
- **arrivals** are random, at the log's mean rate of new cases.

The time unit is the one that suits the median duration: minute, hour or day.
"""
from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from .errors import BlueprintError, Problem
from .model import Blueprint
from .naming import is_customer_name, slug
from .naming import unique_id as _unique_id

__all__ = ["discover", "read_log", "DEFAULT_COLUMNS"]

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
}
QUANTILES = 50
_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M:%S",
            "%d.%m.%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M")


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
    text = text.strip()
    if not text:
        raise ValueError("empty")
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
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
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _pick(header: list[str], given: str | None, role: str, file: str, required: bool) -> str | None:
    if given is not None:
        if given not in header:
            from .errors import did_you_mean

            raise BlueprintError(f"no column '{given}' for the {role}{did_you_mean(given, header)}; the columns "
                                 f"are {', '.join(header)}", file=file)
        return given
    lowered = {h.strip().lower(): h for h in header}
    for name in DEFAULT_COLUMNS[role]:
        if name in lowered:
            return lowered[name]
    if required:
        option = {"case": "--case", "activity": "--activity", "timestamp": "--timestamp"}[role]
        raise BlueprintError(f"no {role} column: none of {', '.join(DEFAULT_COLUMNS[role][:4])}, ... is in the "
                             f"header ({', '.join(header)}); name it with {option} COLUMN", file=file)
    return None


def _csv_rows(path: Path, file: str, roles: dict) -> tuple[dict, Iterator[tuple[int, dict]]]:
    handle = path.open(newline="", encoding="utf-8-sig")
    sample = handle.read(65536)
    handle.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(handle, dialect)
    try:
        header = next(reader)
    except StopIteration:
        handle.close()
        raise BlueprintError("the log is empty; it needs a header row and one row per event", file=file) from None
    except (csv.Error, UnicodeDecodeError) as exc:
        handle.close()
        raise BlueprintError(f"not a readable CSV file: {exc}", file=file) from None
    columns = {role: _pick(header, roles.get(role), role, file, role in ("case", "activity", "timestamp"))
               for role in DEFAULT_COLUMNS}
    index = {role: header.index(col) if col is not None else None for role, col in columns.items()}

    def rows():
        with handle:
            try:
                for number, row in enumerate(reader, start=2):
                    if not row or all(not cell.strip() for cell in row):
                        continue
                    yield number, {role: (row[i] if i is not None and i < len(row) else "")
                                   for role, i in index.items()}
            except (csv.Error, UnicodeDecodeError) as exc:
                raise BlueprintError(f"row {reader.line_num}: not readable CSV: {exc}", file=file) from None

    return columns, rows()


def _xes_rows(path: Path, file: str, roles: dict) -> tuple[dict, Iterator[tuple[int, dict]]]:
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    keys = {"case": roles.get("case") or "concept:name", "activity": roles.get("activity") or "concept:name",
            "timestamp": roles.get("timestamp") or "time:timestamp",
            "resource": roles.get("resource") or "org:resource", "group": roles.get("group") or "org:group",
            "start_timestamp": roles.get("start_timestamp") or "start_timestamp",
            "lifecycle": roles.get("lifecycle") or "lifecycle:transition"}

    def rows():
        case, number = None, 0
        depth = 0
        try:
            for event, el in iterparse(str(path), events=("start", "end")):
                tag = el.tag.rsplit("}", 1)[-1]
                if event == "start":
                    if tag in ("trace", "event"):
                        depth += 1
                    continue
                if tag == "trace":
                    case = None
                    el.clear()
                    depth -= 1
                elif tag == "event":
                    number += 1
                    attrs = {c.get("key"): c.get("value") for c in el}
                    row = {role: attrs.get(key, "") or "" for role, key in keys.items() if role != "case"}
                    row["case"] = case or ""
                    el.clear()
                    depth -= 1
                    yield number, row
                elif depth == 1 and el.get("key") == keys["case"] and case is None:
                    case = el.get("value")
        except DefusedXmlException:
            raise BlueprintError("the XES file declares entities; a log never needs them, so it is refused "
                                 "(an entity expansion bomb?)", file=file) from None
        except Exception as exc:  # ParseError
            if isinstance(exc, BlueprintError):
                raise
            raise BlueprintError(f"not well-formed XES (XML): {exc}", file=file) from None

    return {"case": keys["case"], "activity": keys["activity"], "timestamp": keys["timestamp"],
            "resource": keys["resource"], "group": keys["group"], "start_timestamp": keys["start_timestamp"],
            "lifecycle": keys["lifecycle"]}, rows()


def read_log(log: Any, **roles) -> tuple[list[dict], str]:
    """The events of a log as ``[{case, activity, start, end, resource, group}]`` and its name.

    `log` is a ``.csv`` or ``.xes`` path, or rows (mappings) such as a simulation's events. Events
    of a case are in time order; a ``lifecycle`` start is paired with the next complete of the same
    activity in the case.

    Examples
    --------
    >>> events, _ = read_log([{"case": "1", "activity": "ask", "timestamp": "2024-01-01 09:00"},
    ...                       {"case": "1", "activity": "answer", "timestamp": "2024-01-01 09:05"}])
    >>> [(e["activity"], e["end"] - e["previous"]) for e in events]
    [('ask', 0.0), ('answer', 300.0)]
    """
    if isinstance(log, (str, Path)):
        from .files import readable_file

        file = str(log)
        path = readable_file(log, "a .csv or .xes log")
        reader = _xes_rows if path.suffix.lower() in (".xes", ".xml") else _csv_rows
        kind = "event" if reader is _xes_rows else "row"
        columns, rows = reader(path, file, roles)
        name = path.stem
    else:
        file = "log"
        items = list(log.to_dict("records") if hasattr(log, "to_dict") else log)
        header = list(items[0]) if items else []
        columns = {role: _pick(header, roles.get(role), role, file, role in ("case", "activity", "timestamp"))
                   for role in DEFAULT_COLUMNS} if items else {}
        rows = ((i + 2, {role: ("" if item.get(col) is None else str(item.get(col)))
                         for role, col in columns.items() if col is not None}) for i, item in enumerate(items))
        name, kind = "discovered", "row"
    by_case: dict[str, list[dict]] = defaultdict(list)
    seq = 0
    for number, row in rows:
        where = f"{kind} {number}"
        case, activity = (row.get("case") or "").strip(), (row.get("activity") or "").strip()
        if not case:
            raise BlueprintError([Problem(f"{where}, column {columns.get('case')}", "no case id; every event "
                                          "needs the case it belongs to")], file=file)
        if not activity:
            raise BlueprintError([Problem(f"{where}, column {columns.get('activity')}", "no activity; every "
                                          "event needs the name of what happened")], file=file)
        stamps = {}
        for role in ("timestamp", "start_timestamp"):
            text = (row.get(role) or "").strip()
            if not text or (role == "start_timestamp" and text.lower() in ("nan", "nat", "none", "null")):
                if role == "timestamp":
                    raise BlueprintError([Problem(f"{where}, column {columns.get(role)}",
                                                  "no timestamp; every event needs the time it happened")], file=file)
                continue
            try:
                stamps[role] = parse_time(text)
            except (ValueError, OverflowError, OSError):
                raise BlueprintError([Problem(f"{where}, column {columns.get(role)}",
                                              f"'{text}' is not a time; write it as ISO 8601, like "
                                              "2024-03-01 09:30:00 or 2024-03-01T09:30:00+01:00")],
                                     file=file) from None
        seq += 1
        by_case[case].append({"case": case, "activity": activity, "end": stamps["timestamp"],
                              "start": stamps.get("start_timestamp"),
                              "resource": (row.get("resource") or "").strip() or None,
                              "group": (row.get("group") or "").strip() or None,
                              "lifecycle": (row.get("lifecycle") or "").strip().lower(), "seq": seq})
    if not by_case:
        raise BlueprintError("the log has no events", file=file)
    events = []
    for case, rows_of_case in by_case.items():
        rows_of_case.sort(key=lambda e: (e["end"], e["seq"]))
        events += _pair_lifecycle(rows_of_case)
    return events, name


def _pair_lifecycle(rows: list[dict]) -> list[dict]:
    """One event per activity instance: starts paired with completes; previous end noted."""
    if any(r["lifecycle"] == "start" for r in rows):
        open_starts: dict[str, list[dict]] = defaultdict(list)
        done = []
        for r in rows:
            if r["lifecycle"] == "start":
                open_starts[r["activity"]].append(r)
            elif r["lifecycle"] in ("complete", ""):
                if open_starts[r["activity"]]:
                    r = dict(r, start=open_starts[r["activity"]].pop(0)["end"])
                done.append(r)
        rows = done
    else:
        rows = [r for r in rows if r["lifecycle"] in ("", "complete")] or rows
    previous = None
    for r in rows:
        r["previous"] = previous if previous is not None else (r["start"] if r["start"] is not None else r["end"])
        previous = r["end"]
    return rows


def _unit(seconds: list[float]) -> str:
    if not seconds:
        return "minute"
    middle = sorted(seconds)[len(seconds) // 2]
    return "minute" if middle < 2 * 3600 else "hour" if middle < 3 * 86400 else "day"


def _quantiles(values: list[float], n: int = QUANTILES) -> list[float]:
    values = sorted(values)
    if len(values) <= n:
        return values
    return [values[min(len(values) - 1, int((i + 0.5) * len(values) / n))] for i in range(n)]


def _round(x: float) -> float | int:
    if x == 0:
        return 0
    digits = max(0, 4 - int(math.floor(math.log10(abs(x)))) - 1)
    value = round(x, digits)
    return int(value) if value == int(value) else value


def discover(log: Any, *, case: str | None = None, activity: str | None = None, timestamp: str | None = None,
             resource: str | None = None, start_timestamp: str | None = None, group: str | None = None,
             name: str | None = None) -> Blueprint:
    """A blueprint mined from an event log (see the module notes for every rule).

    Parameters
    ----------
    log : str, Path, DataFrame or iterable of mappings
        A ``.csv`` or ``.xes`` file, or the events themselves.
    case, activity, timestamp, resource, start_timestamp, group : str, optional
        Column names; by default pm4py's (``case:concept:name``, ``concept:name``,
        ``time:timestamp``, ``org:resource``, ``start_timestamp``, ``org:group``) or a plain one
        (``case``, ``activity``, ``timestamp``, ``resource``, ...).
    name : str, optional
        The blueprint's name; by default the file's.

    Returns
    -------
    Blueprint
        A model that loads, checks and simulates.

    Raises
    ------
    BlueprintError
        For a missing column or an event without a case, an activity or a readable time, naming
        the row and the column.

    Examples
    --------
    >>> rows = [{"case": c, "activity": a, "timestamp": f"2024-01-0{d} 09:{m:02d}", "resource": r}
    ...         for c, d in (("1", 1), ("2", 2)) for a, m, r in (("ask", 0, "Customer"), ("answer", 10, "Desk"))]
    >>> model = discover(rows)
    >>> sorted(model.steps), model.entry, model.steps["answer"].owner
    (['answer', 'answer_end', 'ask'], {'ask': 1.0}, 'desk')
    >>> model.steps["ask"].lane, model.steps["answer"].lane, model.steps["answer"].duration.empirical
    ('customer', 'frontstage', [10, 10])
    """
    roles = {"case": case, "activity": activity, "timestamp": timestamp, "resource": resource,
             "start_timestamp": start_timestamp, "group": group}
    events, log_name = read_log(log, **{k: v for k, v in roles.items() if v is not None})
    cases: dict[str, list[dict]] = defaultdict(list)
    for e in events:
        cases[e["case"]].append(e)
    measured = any(e["start"] is not None for e in events)
    spans: dict[str, list[float]] = defaultdict(list)
    for e in events:
        begin = e["start"] if e["start"] is not None else e["previous"]
        spans[e["activity"]].append(max(0.0, e["end"] - begin))
    unit = _unit([s for values in spans.values() for s in values if s > 0])
    from .durations import TIME_UNITS

    per = TIME_UNITS[unit]
    activities = list(dict.fromkeys(e["activity"] for e in events))
    used: set[str] = set()
    ids = {a: _unique_id(slug(a, "activity"), used) for a in activities}
    follows: dict[str, Counter] = defaultdict(Counter)
    firsts: Counter = Counter()
    for trace in cases.values():
        firsts[trace[0]["activity"]] += 1
        for a, b in zip(trace, trace[1:]):
            follows[a["activity"]][b["activity"]] += 1
        follows[trace[-1]["activity"]][None] += 1
    owner_count: dict[str, Counter] = defaultdict(Counter)
    members: dict[str, set] = defaultdict(set)
    has_groups = any(e["group"] for e in events)
    for e in events:
        who = e["group"] if has_groups else e["resource"]
        if who:
            owner_count[e["activity"]][who] += 1
            if e["resource"]:
                members[who].add(e["resource"])
    teams: dict[str, dict] = {}
    team_id: dict[str, str] = {}
    team_used: set[str] = set()
    steps: dict[str, dict] = {}
    customer = set()
    for a in activities:
        who = owner_count[a].most_common(1)[0][0] if owner_count[a] else None
        step: dict[str, Any] = {"name": a}
        if set(follows[a]) == {None} and not any(spans[a]):  # only ever ends cases, in no time
            step["outcome"] = "success"
            steps[ids[a]] = step
            continue
        if (is_customer_name(who) or (who is None and is_customer_name(a.split()[0] if a.split() else ""))
                or (who is None and owner_count)):  # nobody of a staffed log did it: the customer did
            step["lane"] = "customer"
            customer.add(a)
        else:
            who = who or "Everyone in the log"
            if who not in team_id:
                team_id[who] = _unique_id(slug(who, "team"), team_used)
                teams[team_id[who]] = {"name": who}
                if measured and members.get(who):
                    teams[team_id[who]]["staff"] = len(members[who])
            step["lane"] = "backstage"
            step["owner"] = team_id[who]
        values = [_round(v / per) for v in _quantiles(spans[a])]
        if any(values):
            step["duration"] = {"empirical": values}
        steps[ids[a]] = step
    flows = []
    for a in activities:
        if steps[ids[a]].get("outcome"):
            continue
        total = sum(follows[a].values())
        for b, count in follows[a].items():
            if b is None:
                target = _unique_id(ids[a] + "_end", used)
                steps[target] = {"name": f"Case ends after {a}", "outcome": "success"}
            else:
                target = ids[b]
            flows.append({"from": ids[a], "to": target, "p": count / total})
        if a not in customer:
            meets = a in firsts or any(b in customer for b in follows[a] if b) or any(
                a in follows[c] for c in customer)
            if meets:
                steps[ids[a]]["lane"] = "frontstage"
    for group in _by_source(flows).values():  # make each step's chances add up to 1 exactly
        group[-1]["p"] = 1.0 - sum(f["p"] for f in group[:-1])
        if len(group) == 1:
            group[0]["p"] = 1.0
    n = sum(firsts.values())
    start = {ids[a]: c / n for a, c in firsts.items()}
    if len(start) == 1:
        start = next(iter(start))
    else:
        last = list(start)[-1]
        start[last] = 1.0 - sum(v for k, v in start.items() if k != last)
    data: dict[str, Any] = {"name": name or log_name, "time_unit": unit, "teams": teams, "steps": steps,
                            "flows": flows, "start": start}
    begins = sorted(trace[0]["start"] if trace[0]["start"] is not None else trace[0]["end"] for trace in cases.values())
    if len(begins) > 1 and begins[-1] > begins[0]:
        data["arrivals"] = {"every": {"exponential": _round((begins[-1] - begins[0]) / (len(begins) - 1) / per)}}
    from .loader import build

    return build(data, file=log_name)


def _by_source(flows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for f in flows:
        out[f["from"]].append(f)
    return out
