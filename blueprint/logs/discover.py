"""A blueprint discovered from an event log: what a ticket system's export says really happens.

:func:`discover` reads a log (CSV or XES, gzip too; see :mod:`blueprint.logs.reading`) of cases,
activities, timestamps and, where the log has them, resources, and builds a blueprint whose
simulation reproduces the log's activity frequencies. It works in named steps, each one pass:

1. **read** (:func:`blueprint.logs.reading.read_events`): the cases, each a list of visits in time
   order (lifecycle start/complete pairs, or single events), and how each case ended;
2. **directly-follows counts** (:func:`count_log`): per activity, what follows it in a case, how
   often cases start or end with it (and how they end), the time it takes, who does it;
3. **lanes and teams** (:func:`owners`): each activity's owner and lane, each team's staff;
4. **durations** (:func:`durations`): the time unit and each step's empirical duration;
5. **blueprint** (:func:`assemble`): steps, flows, outcomes, start and arrivals, validated.

What becomes of the log:

- **steps** are the activities; **flows** the directly-follows relations inside each case, with
  ``p`` the share of the times an activity was followed by each next one. The case ending there
  counts as a way out to an **outcome**, of the kind the log gives the case (a case outcome column
  or trace attribute ``outcome``: success, failure, abandoned; success when the log does not say):
  ``<activity>_end`` (success), ``<activity>_failed`` (failure), one ``abandoned`` step (failure:
  the customer gave up). An activity that only ever ends cases, of one kind, and is named as their
  outcome step or takes no time (such as "case closed", or the outcome rows of a simulated log) is
  that outcome itself. A case still open at the end of the log ends nowhere: its last step's way out
  is not counted (unless that step has no other);
- **start** weights are the shares of cases starting with each activity;
- **durations** are empirical distributions of the measured times of finished work: end minus
  start where the log has both (a ``start_timestamp`` column, or lifecycle start/complete pairs),
  otherwise the time since the case's previous event (which includes waiting); at most 50
  evenly spread quantiles are kept;
- **teams** come from the resource column: each activity is owned by the group (``org:group``,
  when the log has one) or resource that did it most often. A team's ``staff`` is the most visits
  of its work seen in progress at once (start to end), and, where the log names both groups and
  the people in them, at most the number of people seen in it; it is set only when service times
  were measured (times since the previous event include queueing, and finite staff would count it
  twice);
- **lanes**: an activity whose owner or name is the customer's (see
  :func:`blueprint.naming.is_customer_name`), or that no resource ever did in a log that names
  resources, is a customer step; a staff step that starts cases or meets a customer step is
  frontstage; the rest is backstage;
- **arrivals** are random, at the log's mean rate of new cases.

The time unit is the one that suits the median duration: minute, hour or day. Everything is linear
in the size of the log but the sorts (each case's events by time, each step's durations).
"""
from __future__ import annotations

import gc
import math
import warnings
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..durations import TIME_UNITS
from ..errors import BlueprintError
from ..model import Blueprint, build
from ..naming import is_customer_name, slug
from ..naming import unique_id as _unique_id
from .opening import DEFAULT_MAX_BYTES
from .reading import Case, EventLog, read_events

__all__ = ["discover", "count_log", "owners", "time_unit", "durations", "assemble", "most_at_once", "LogCounts",
           "Owners", "QUANTILES"]

#: The most quantiles kept of a step's measured durations.
QUANTILES = 50
#: Ways a case can end, as read from the log (``open``: it had not ended when the log was written).
ENDINGS = ("success", "failure", "abandoned", "open")


@dataclass
class LogCounts:
    """What one pass over a log's cases counts (:func:`count_log`): enough to build a blueprint.

    Activities are keyed by their name in the log; ``who`` is a group or a resource.
    """

    file: str
    name: str
    case_column: str | None
    activities: dict = field(default_factory=dict)          # names, in order of first appearance
    firsts: Counter = field(default_factory=Counter)        # cases starting with each activity
    follows: dict = field(default_factory=lambda: defaultdict(Counter))  # a -> {b: n}
    ends: dict = field(default_factory=lambda: defaultdict(Counter))     # a -> {ending: cases ending at a}
    named: dict = field(default_factory=lambda: defaultdict(Counter))    # a -> {ending: cases naming a}
    spans: dict = field(default_factory=lambda: defaultdict(lambda: array("d")))  # a -> durations (s)
    by_group: dict = field(default_factory=lambda: defaultdict(Counter))  # a -> {group: n}
    by_resource: dict = field(default_factory=lambda: defaultdict(Counter))  # a -> {resource: n}
    members: dict = field(default_factory=lambda: defaultdict(set))      # group -> resources
    work: dict = field(default_factory=dict)                # who -> (starts, ends) of measured work
    measured: bool = False
    cases: int = 0
    visits: int = 0
    single: int = 0                                          # cases of one visit
    first_time: float = float("inf")
    last_time: float = float("-inf")


def count_log(log: EventLog) -> LogCounts:
    """Step 2: one pass over the cases of `log`, counting directly-follows relations, endings,
    durations and who did what.

    Examples
    --------
    >>> from blueprint.logs.reading import read_events
    >>> counts = count_log(read_events([{"case": c, "activity": a, "timestamp": f"2024-01-01 09:0{m}"}
    ...                                 for c in "12" for m, a in enumerate(["ask", "answer"])]))
    >>> dict(counts.follows["ask"]), dict(counts.ends["answer"]), counts.firsts
    ({'answer': 2}, {'success': 2}, Counter({'ask': 2}))
    """
    counts = LogCounts(log.file, log.name, log.columns.get("case"))
    for case in log.cases():
        if case.visits:
            _count_order(counts, case)
            _count_work(counts, case)
    if not counts.cases:
        raise BlueprintError("the log has no events", file=log.file)
    return counts


def _count_order(counts: LogCounts, case: Case) -> None:
    """The directly-follows counts of one case, its start and its ending."""
    visits = case.visits
    counts.cases += 1
    counts.visits += len(visits)
    counts.single += len(visits) == 1
    activities, follows = counts.activities, counts.follows
    previous = None
    for v in visits:
        if v.activity not in activities:
            activities[v.activity] = None
        if previous is not None:
            follows[previous][v.activity] += 1
        previous = v.activity
    counts.firsts[visits[0].activity] += 1
    ending = case.outcome if case.outcome in ENDINGS else "success"
    if case.outcome is None and visits[-1].state == "open":
        ending = "open"
    counts.ends[previous][ending] += 1
    if case.outcome_step is not None and case.outcome_step == previous:
        counts.named[previous][ending] += 1
    first = visits[0].start if visits[0].start is not None else visits[0].end
    counts.first_time = min(counts.first_time, first)
    counts.last_time = max(counts.last_time, first)


def _count_work(counts: LogCounts, case: Case) -> None:
    """How long each finished visit of one case took, and who did it."""
    spans, by_group, by_resource, members, work = (counts.spans, counts.by_group, counts.by_resource,
                                                    counts.members, counts.work)
    previous = None
    for activity, start, end, resource, group, state in case.visits:
        if start is not None:
            begin = start
            if state != "open":  # measured work, for the staff seen at it at once
                counts.measured = True
                for who in (group, resource if resource != group else None):
                    if who:
                        starts, ends = work.get(who) or work.setdefault(who, (array("d"), array("d")))
                        starts.append(start)
                        ends.append(end if end > start else start)
        else:
            begin = end if previous is None else previous
        if state == "complete":
            spans[activity].append(end - begin if end > begin else 0.0)
        if state != "open":
            previous = end
        if group:
            by_group[activity][group] += 1
            if resource:
                members[group].add(resource)
        if resource:
            by_resource[activity][resource] += 1


def most_at_once(starts: array, ends: array) -> int:
    """The most intervals ``[start, end)`` open at one moment (one ending as another starts: not both).

    Examples
    --------
    >>> most_at_once(array("d", [0, 1, 2, 5]), array("d", [3, 4, 5, 6]))
    3
    """
    if not len(starts):
        return 0
    s, e = np.sort(np.frombuffer(starts)), np.sort(np.frombuffer(ends))
    return int(np.max(np.arange(1, len(s) + 1) - np.searchsorted(e, s, side="right")))


# ------------------------------------------------------------------------------------------------
# step 3: lanes and teams
# ------------------------------------------------------------------------------------------------
@dataclass
class Owners:
    """Who owns each activity (``None``: the customer), the teams found, each activity's lane."""

    owner: dict
    lane: dict
    teams: dict   # who -> {"name", "staff"?}


def owners(counts: LogCounts) -> Owners:
    """Step 3: each activity's owner and lane, and the teams with their staff (see the module notes).

    Examples
    --------
    >>> from blueprint.logs.reading import read_events
    >>> rows = [{"case": "1", "activity": a, "timestamp": t, "resource": r} for a, t, r in
    ...         [("ask", "2024-01-01 09:00", "Customer"), ("answer", "2024-01-01 09:10", "Desk")]]
    >>> found = owners(count_log(read_events(rows)))
    >>> found.owner, found.lane, found.teams
    ({'ask': None, 'answer': 'Desk'}, {'ask': 'customer', 'answer': 'frontstage'}, {'Desk': {'name': 'Desk'}})
    """
    by_who = counts.by_group if counts.by_group else counts.by_resource
    staffed = bool(by_who)
    owner: dict[str, str | None] = {}
    lane: dict[str, str] = {}
    teams: dict[str, dict] = {}
    for a in counts.activities:
        who = by_who[a].most_common(1)[0][0] if by_who.get(a) else None
        words = a.split()
        if is_customer_name(who) or (who is None and (staffed or is_customer_name(words[0] if words else ""))):
            owner[a], lane[a] = None, "customer"
            continue
        who = who or "Everyone in the log"
        owner[a], lane[a] = who, "backstage"
        if who not in teams:
            teams[who] = {"name": who}
            staff = _staff(counts, who)
            if staff:
                teams[who]["staff"] = staff
    customer = {a for a in lane if lane[a] == "customer"}
    meets_customer = {a for c in customer for a in counts.follows[c]} | {
        a for a in counts.activities if any(b in customer for b in counts.follows[a])}
    for a in counts.activities:
        if lane[a] != "customer" and (a in counts.firsts or a in meets_customer):
            lane[a] = "frontstage"
    return Owners(owner, lane, teams)


def _staff(counts: LogCounts, who: str) -> int | None:
    """The most of `who`'s work in progress at once, at most the people named in it; ``None``
    where service times were not measured."""
    if not counts.measured or who not in counts.work:
        return None
    staff = most_at_once(*counts.work[who])
    people = counts.members.get(who, set()) - {who}
    return min(staff, len(people)) if people else staff or None


# ------------------------------------------------------------------------------------------------
# step 4: durations
# ------------------------------------------------------------------------------------------------
def time_unit(counts: LogCounts) -> str:
    """The unit that suits the median of the measured durations: minute, hour or day.

    Examples
    --------
    >>> counts = LogCounts("log", "log", "case")
    >>> counts.spans["fix"].extend([600.0, 7200.0, 9000.0])
    >>> time_unit(counts)
    'hour'
    """
    values = [np.frombuffer(v) for v in counts.spans.values() if v]
    spans = np.concatenate(values) if values else np.zeros(0)
    spans = spans[spans > 0]
    if not len(spans):
        return "minute"
    middle = float(np.partition(spans, len(spans) // 2)[len(spans) // 2])
    return "minute" if middle < 2 * 3600 else "hour" if middle < 3 * 86400 else "day"


def durations(counts: LogCounts, unit: str) -> dict[str, list]:
    """Step 4: each activity's measured durations in `unit`, as at most :data:`QUANTILES` evenly
    spread quantiles, rounded to 4 significant digits (empty where all took no time).

    Examples
    --------
    >>> counts = LogCounts("log", "log", "case", activities={"fix": None})
    >>> counts.spans["fix"].extend([600.0, 1200.0, 0.0])
    >>> durations(counts, "minute")
    {'fix': [0, 10, 20]}
    """
    per = TIME_UNITS[unit]
    out = {}
    for a in counts.activities:
        values = np.sort(np.frombuffer(counts.spans.get(a) or array("d")))
        if len(values) > QUANTILES:
            values = values[np.minimum(len(values) - 1, ((np.arange(QUANTILES) + 0.5) * len(values) / QUANTILES)
                                       .astype(int))]
        rounded = [_round(float(v) / per) for v in values]
        out[a] = rounded if any(rounded) else []
    return out


def _round(x: float) -> float | int:
    """`x` to 4 significant digits, whole numbers kept whole."""
    if x == 0 or not math.isfinite(x):
        return 0
    value = round(x, max(0, 3 - math.floor(math.log10(abs(x)))))
    return int(value) if value == int(value) else value


# ------------------------------------------------------------------------------------------------
# step 5: the blueprint
# ------------------------------------------------------------------------------------------------
_OUTCOME_STEPS = {"success": ("_end", "Case ends after {}", "success"),
                  "failure": ("_failed", "Case fails after {}", "failure")}


def _ways_out(counts: LogCounts, a: str) -> tuple[Counter, Counter]:
    """How `a` was left: the next activities, and the endings of the cases that ended there (a case
    still open counts only where `a` has no other way out)."""
    ends = Counter({kind: n for kind, n in counts.ends[a].items() if kind != "open"})
    if not ends and not counts.follows[a] and counts.ends[a]["open"]:
        ends["success"] = counts.ends[a]["open"]
    return counts.follows[a], ends


def _is_outcome(counts: LogCounts, a: str, nexts: Counter, ends: Counter, duration: list) -> str | None:
    """The outcome `a` itself is, if it only ever ends cases of one kind (success or failure) and is
    named as their outcome step or takes no time, and never starts one."""
    if nexts or len(ends) != 1 or a in counts.firsts:
        return None
    (ending,) = ends
    if ending not in _OUTCOME_STEPS:
        return None
    return ending if counts.named[a].get(ending) or not duration else None


def assemble(counts: LogCounts, found: Owners, unit: str, spans: dict[str, list], name: str) -> Blueprint:
    """Step 5: the blueprint of steps, flows, outcomes, start and arrivals, validated.

    Examples
    --------
    >>> from blueprint.logs.reading import read_events
    >>> counts = count_log(read_events([{"case": "1", "activity": a, "timestamp": f"2024-01-01 09:0{m}",
    ...                                  "case:outcome": "failure"} for m, a in enumerate(["ask", "answer"])]))
    >>> model = assemble(counts, owners(counts), "minute", durations(counts, "minute"), "mined")
    >>> [(f.source, f.target, f.p) for f in model.flows], model.steps["answer_failed"].outcome
    ([('ask', 'answer', 1.0), ('answer', 'answer_failed', 1.0)], 'failure')
    """
    if counts.single == counts.cases:
        warnings.warn(f"{counts.file}: every one of the log's {counts.cases:,} case(s) has a single event, so the "
                      "log shows no order of work: the blueprint's steps do not lead to one another; check that "
                      f"the case column ('{counts.case_column}') names cases rather than events", stacklevel=3)
    used: set[str] = set()
    ids = {a: _unique_id(slug(a, "activity"), used) for a in counts.activities}
    team_used: set[str] = set()
    team_ids = {who: _unique_id(slug(who, "team"), team_used) for who in found.teams}
    steps: dict[str, dict] = {}
    flows: list[dict] = []
    for a in counts.activities:
        nexts, ends = _ways_out(counts, a)
        kind = _is_outcome(counts, a, nexts, ends, spans[a])
        if kind is not None:
            steps[ids[a]] = {"name": a, "outcome": kind}
            continue
        step: dict[str, Any] = {"name": a, "lane": found.lane[a]}
        if found.owner[a] is not None:
            step["owner"] = team_ids[found.owner[a]]
        if spans[a]:
            step["duration"] = {"empirical": spans[a]}
        steps[ids[a]] = step
        ways = [{"from": ids[a], "to": ids[b], "p": n} for b, n in nexts.items()]
        ways += [{"from": ids[a], "to": _ending_step(a, ending, ids, steps, used), "p": n}
                 for ending, n in ends.items()]
        flows += _chances(ways)
    data: dict[str, Any] = {"name": name, "time_unit": unit,
                            "teams": {team_ids[who]: team for who, team in found.teams.items()},
                            "steps": steps, "flows": flows, "start": _start(counts, ids)}
    if counts.cases > 1 and counts.last_time > counts.first_time:
        mean_gap = (counts.last_time - counts.first_time) / (counts.cases - 1) / TIME_UNITS[unit]
        data["arrivals"] = {"every": {"exponential": _round(mean_gap)}}
    return build(data, file=counts.file)


def _ending_step(a: str, kind: str, ids: dict, steps: dict, used: set) -> str:
    """The outcome step a case ending at `a` in this way goes to, added to `steps`: one of `a`'s own
    (success, failure), or the one for every customer who gave up."""
    if kind == "abandoned":  # (kept in `ids` under None: no activity's name)
        if None not in ids:
            ids[None] = _unique_id("abandoned", used)
            steps[ids[None]] = {"name": "The customer gave up", "outcome": "failure"}
        return ids[None]
    suffix, label, outcome = _OUTCOME_STEPS[kind]
    target = _unique_id(ids[a] + suffix, used)
    steps[target] = {"name": label.format(a), "outcome": outcome}
    return target


def _chances(flows: list[dict]) -> list[dict]:
    """The flows out of one step with their counts made chances that add up to 1 exactly."""
    total = sum(f["p"] for f in flows)
    for f in flows:
        f["p"] /= total
    flows[-1]["p"] = 1.0 - sum(f["p"] for f in flows[:-1]) if len(flows) > 1 else 1.0
    return flows


def _start(counts: LogCounts, ids: dict) -> Any:
    """Where cases start: one step, or each starting step's share (adding up to 1 exactly)."""
    start = {ids[a]: n / counts.cases for a, n in counts.firsts.items()}
    if len(start) == 1:
        return next(iter(start))
    last = list(start)[-1]
    start[last] = 1.0 - sum(v for k, v in start.items() if k != last)
    return start


def discover(log: Any, *, case: str | None = None, activity: str | None = None, timestamp: str | None = None,
             resource: str | None = None, start_timestamp: str | None = None, group: str | None = None,
             lifecycle: str | None = None, outcome: str | None = None, name: str | None = None,
             encoding: str | None = None, max_bytes: int | str | None = DEFAULT_MAX_BYTES) -> Blueprint:
    """A blueprint mined from an event log (see the module notes for every rule).

    Parameters
    ----------
    log : str, Path, DataFrame or iterable of mappings
        A ``.csv`` or ``.xes`` file (gzip, bzip2 or xz compressed too), or the events themselves.
    case, activity, timestamp, resource, start_timestamp, group, lifecycle, outcome : str, optional
        Column names (XES: attribute keys); by default pm4py's (``case:concept:name``,
        ``concept:name``, ``time:timestamp``, ``org:resource``, ``start_timestamp``,
        ``org:group``, ``lifecycle:transition``, ``case:outcome``) or a plain one (``case``,
        ``activity``, ``timestamp``, ``resource``, ...). ``outcome`` is how each case ended.
    name : str, optional
        The blueprint's name; by default the file's.
    encoding : str, optional
        The text encoding of a log without a byte order mark (UTF-8 by default).
    max_bytes : int, str or None
        Read at most this much of the log, counted after decompression (1 GiB by default;
        ``None`` or 0: no cap).

    Returns
    -------
    Blueprint
        A model that loads, checks and simulates.

    Raises
    ------
    BlueprintError
        For a log that cannot be read (naming the line or event, and the fix), a missing column,
        or an event without a case, an activity or a readable time. A log in which every case is
        a single event gives one warning about the log.

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
    read = read_events(log, case=case, activity=activity, timestamp=timestamp, resource=resource, group=group,
                       start_timestamp=start_timestamp, lifecycle=lifecycle, outcome=outcome, encoding=encoding,
                       max_bytes=max_bytes)
    collecting = gc.isenabled()
    gc.disable()  # reading makes millions of small tuples and no cycles: spare them the collector's walks
    try:
        counts = count_log(read)
    finally:
        if collecting:
            gc.enable()
    found = owners(counts)
    unit = time_unit(counts)
    return assemble(counts, found, unit, durations(counts, unit), name or read.name)
