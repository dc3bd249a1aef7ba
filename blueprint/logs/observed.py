"""What a log shows beside what the blueprint says: the figures replay gathers while it plays cases.

:class:`Observed` is told of every visit played (:func:`blueprint.logs.conformance.play`) and keeps, in
arrays of doubles (8 bytes a value; the events themselves are not kept):

- the **moves** along each flow (and each timeout), the starts, the visits and finished visits of
  each step: a flow's observed chance is its moves over the step's ways out (the finished visits,
  for a ``split: all`` step, whose every flow is taken);
- each step's **duration** (start to end of a finished visit, where the log has both) and **wait**
  (not of outcomes, which take no time)
  (from the end of the visit the case came from, on the same branch, to the start: for a join, from
  the last branch in); where the log has no start times, the time from the previous end to the end
  (the span: waiting and work together), as ``discover`` measures durations then;
- the **work** of each team (start and end of each visit of its steps, and who did it) and its
  waits, from which :func:`wait_causes` splits each wait into waiting for the team's staff, waiting
  outside its hours and the rest;
- per case: contacts, handoffs, story repeats, time in system, how it ended.
"""
from __future__ import annotations

import math
from array import array
from collections import Counter

import numpy as np

from .conformance import Rules

__all__ = ["Observed", "summary", "wait_causes", "MONDAY"]

_FROM, _TO, _AT, _OWNER, _TIMEOUT = range(5)
#: 1970-01-05 00:00 UTC, a Monday: team hours are counted in weeks from it (log times are UTC).
MONDAY = 4 * 86400.0
_WEEK = 7 * 86400.0


def summary(values, per: float = 1.0) -> dict | None:
    """``{"mean", "p50", "p90"}`` of `values` divided by `per`; ``None`` when there are none.

    Examples
    --------
    >>> summary(array("d", [60.0, 120.0, 180.0, 240.0]), 60)
    {'mean': 2.5, 'p50': 2.5, 'p90': 3.7}
    >>> summary([]) is None
    True
    """
    if not len(values):
        return None
    x = np.frombuffer(values) if isinstance(values, array) else np.asarray(values, dtype=float)
    p50, p90 = np.percentile(x, [50, 90])
    return {"mean": _r(float(np.mean(x)) / per), "p50": _r(float(p50) / per), "p90": _r(float(p90) / per)}


def _r(x: float) -> float:
    """`x` to 6 significant digits (the figures come from clocks that tick in milliseconds)."""
    return float(f"{x:.6g}") if math.isfinite(x) else x


class Observed:
    """The figures of a log as it is replayed on a blueprint (see the module notes)."""

    def __init__(self, rules: Rules):
        self.rules = rules
        n = len(rules.ids)
        self.moves: Counter = Counter()      # (from, to) -> moves along a flow, or a missing one
        self.timeouts: Counter = Counter()   # (from, to) -> moves by a timeout
        self.starts: Counter = Counter()     # step -> cases starting there
        self.visits = [0] * n
        self.finished = [0] * n
        self.durations = [array("d") for _ in range(n)]
        self.waits = [array("d") for _ in range(n)]
        self.spans = [array("d") for _ in range(n)]
        teams = len(rules.teams)
        self.work = [(array("d"), array("d"), array("l")) for _ in range(teams)]  # start, end, who (-1)
        self.waiting = [(array("d"), array("d"), array("l")) for _ in range(teams)]  # from, to, step
        self.people: dict[str, int] = {}
        self.team_people: list[set] = [set() for _ in range(teams)]
        self.contacts, self.handoffs, self.repeats = array("l"), array("l"), array("l")
        self.time_in_system = array("d")
        self.reached: Counter = Counter()    # outcome step -> cases
        self.endings: Counter = Counter()    # how the log says cases ended
        self.first = math.inf
        self.last = -math.inf
        self.arrivals = [math.inf, -math.inf, 0]  # first and last case start, cases
        self.case_starts = array("d")
        self._begin = math.inf
        self._end = -math.inf

    # --- while playing ------------------------------------------------------------------------
    def _move(self, token: list, to: int) -> None:
        src = token[_FROM]
        if src == self.rules.START:
            self.starts[to] += 1
        elif token[_TIMEOUT] and to == self.rules.timeout_to[src] or (
                to == self.rules.timeout_to[src] and to not in self.rules.targets[src]):
            self.timeouts[src, to] += 1
        else:
            self.moves[src, to] += 1

    def seen(self, v, step: int, took: list) -> None:
        """One visit played (or, with `v` ``None``, a case ending by a flow to an outcome)."""
        if v is None:
            self._move(took[0], step)
            return
        self.visits[step] += 1
        came = None
        for t in took:
            self._move(t, step)
            at = t[_AT]
            if at is not None and (came is None or at > came):
                came = at
        state, start, end = v.state, v.start, v.end
        begin = start if start is not None else end
        if begin < self._begin:
            self._begin = begin
        if end > self._end:
            self._end = end
        o = self.rules.owner[step]
        if state == "complete":
            self.finished[step] += 1
        if self.rules.outcome[step] is not None:  # an outcome takes no time, and the case waits for none
            return
        person = -1
        if v.resource is not None and o >= 0:
            person = self.people.setdefault(v.resource, len(self.people))
            self.team_people[o].add(person)
        if start is not None:
            if state == "complete":
                self.durations[step].append(end - start)
            if o >= 0 and state != "open":
                starts, ends, who = self.work[o]
                starts.append(start)
                ends.append(end if end > start else start)
                who.append(person)
            if came is not None:
                wait = start - came if start > came else 0.0
                self.waits[step].append(wait)
                if o >= 0 and wait > 0:
                    a, b, where = self.waiting[o]
                    a.append(came)
                    b.append(start)
                    where.append(step)
        elif state == "complete":
            self.spans[step].append(end - came if came is not None and end > came else 0.0)

    def case_done(self, played, outcome: str | None) -> None:
        """The case's totals, once it has been played."""
        self.contacts.append(played.contacts)
        self.handoffs.append(played.handoffs)
        self.repeats.append(played.repeats)
        if played.outcome is not None:
            self.reached[played.outcome] += 1
        self.endings[outcome or "not said"] += 1
        begin, end = self._begin, self._end
        if begin <= end:
            first, last, n = self.arrivals
            self.arrivals = [min(first, begin), max(last, begin), n + 1]
            self.case_starts.append(begin)
            self.first = min(self.first, begin)
            self.last = max(self.last, end)
            if outcome != "open":
                self.time_in_system.append(end - begin)
        self._begin, self._end = math.inf, -math.inf

    # --- afterwards ---------------------------------------------------------------------------
    def chance(self, src: int, dst: int, by_timeout: bool = False) -> float | None:
        """The observed chance of the move from `src` to `dst` (see the module notes); ``None``
        when the log never left `src`."""
        if by_timeout:
            ways = sum(n for (a, _), n in self.moves.items() if a == src) + self.timeouts_from(src)
            return self.timeouts[src, dst] / ways if ways else None
        if self.rules.split[src]:
            return min(1.0, self.moves[src, dst] / self.finished[src]) if self.finished[src] else None
        ways = self.ways_out(src)
        return self.moves[src, dst] / ways if ways else None

    def ways_out(self, src: int) -> int:
        """How many times the log left `src` along a flow (not a timeout)."""
        cached = getattr(self, "_ways", None)
        if cached is None:
            cached = self._ways = Counter()
            for (a, _), n in self.moves.items():
                cached[a] += n
        return cached[src]

    def timeouts_from(self, src: int) -> int:
        return sum(n for (a, _), n in self.timeouts.items() if a == src)

    @property
    def span(self) -> float:
        """Seconds from the first event of the log to its last (0 for one moment)."""
        return max(0.0, self.last - self.first) if self.last >= self.first else 0.0


def _segments(times: np.ndarray, deltas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The moments where a count changes, and the count from each moment to the next."""
    if not len(times):
        return np.zeros(0), np.zeros(0)
    order = np.argsort(times, kind="stable")
    t, d = times[order], deltas[order]
    moments, first = np.unique(t, return_index=True)
    return moments, np.cumsum(np.add.reduceat(d, first))


def _at(moments: np.ndarray, counts: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The step function (`moments`, `counts`) at `points` (0 before the first moment)."""
    i = np.searchsorted(moments, points, side="right") - 1
    return np.where(i >= 0, counts[np.maximum(i, 0)] if len(counts) else 0, 0)


def _busy_people(starts, ends, who) -> tuple[np.ndarray, np.ndarray]:
    """Per person the union of their work, then how many people are at work from each moment on."""
    if not len(starts):
        return np.zeros(0), np.zeros(0)
    base = float(starts.min())
    s, e = starts - base, ends - base
    room = float(e.max()) + 1.0
    s, e = s + who * room, e + who * room  # each person's work on a line of its own
    order = np.argsort(s, kind="stable")
    s, e = s[order], e[order]
    reach = np.maximum.accumulate(e)
    new = np.ones(len(s), dtype=bool)
    new[1:] = s[1:] > reach[:-1]
    first = np.flatnonzero(new)
    last = np.append(first[1:] - 1, len(s) - 1)
    person = who[order][first]
    a, b = s[first] - person * room + base, reach[last] - person * room + base
    return _segments(np.concatenate([a, b]), np.concatenate([np.ones(len(a)), -np.ones(len(b))]))


def _open_intervals(hours, lo: float, hi: float) -> np.ndarray:
    """The team's working intervals (seconds since 1970, UTC) covering ``[lo, hi]``, as rows."""
    weeks = np.arange(math.floor((lo - MONDAY) / _WEEK), math.floor((hi - MONDAY) / _WEEK) + 1)
    week_start = MONDAY + weeks * _WEEK
    spans = np.asarray(hours, dtype=float) * 60.0
    return (week_start[:, None, None] + spans[None, :, :]).reshape(-1, 2)


def wait_causes(observed: Observed, team: int, staff: int | None, hours) -> tuple:
    """How the team's waits split: ``(for staff, outside hours)`` per wait (seconds, in the order of
    ``observed.waiting[team]``), ``for staff`` ``None`` where the team's capacity is not known.

    A moment of a wait is **outside hours** when the team's ``hours`` (read in UTC) do not cover it;
    otherwise it is **waiting for staff** when the team is all busy: where the log names who did the
    work, every person seen working for the team (from their first piece of work to their last) is
    at work; elsewhere, the team's visits in progress are at least its ``staff``. The rest of the
    wait (the customer, a batch, a hand-off nobody picked up) is the third part.

    Examples
    --------
    >>> from blueprint import loads
    >>> rules = Rules(loads("teams: {desk: {staff: 1}}\\nsteps: {a: {lane: frontstage, owner: desk}, "
    ...                     "b: {outcome: success}}\\nflows: [[a, b]]"))
    >>> seen = Observed(rules)
    >>> seen.work[0] = (array("d", [0, 10]), array("d", [10, 20]), array("l", [-1, -1]))
    >>> seen.waiting[0] = (array("d", [2, 15]), array("d", [10, 25]), array("l", [0, 0]))
    >>> staff, closed = wait_causes(seen, 0, 1, None)
    >>> staff.tolist(), closed.tolist()
    ([8.0, 5.0], [0.0, 0.0])
    """
    a, b, _ = (np.frombuffer(x) if x.typecode == "d" else np.asarray(x) for x in observed.waiting[team])
    if not len(a):
        return np.zeros(0), np.zeros(0)
    starts, ends, who = (np.frombuffer(x) if x.typecode == "d" else np.asarray(x, dtype=float)
                         for x in observed.work[team])
    named = len(who) and (who >= 0).any()
    moments = np.unique(np.concatenate([a, b, starts, ends]))
    if hours is not None:
        opened = _open_intervals(hours, float(moments[0]), float(moments[-1]))
        moments = np.unique(np.concatenate([moments, opened.ravel()]))
        mid = (moments[:-1] + moments[1:]) / 2
        row = np.searchsorted(opened[:, 0], mid, side="right") - 1
        is_open = (row >= 0) & (mid < opened[np.maximum(row, 0), 1])
    else:
        mid = (moments[:-1] + moments[1:]) / 2
        is_open = np.ones(len(mid), dtype=bool)
    width = np.diff(moments)
    closed = np.concatenate([[0.0], np.cumsum(np.where(is_open, 0.0, width))])
    if named:
        keep = who >= 0
        s, e, p = starts[keep], ends[keep], who[keep].astype(np.int64)
        busy = _at(*_busy_people(s, e, p), mid)
        first, last = np.full(int(p.max()) + 1, np.inf), np.full(int(p.max()) + 1, -np.inf)
        np.minimum.at(first, p, s)
        np.maximum.at(last, p, e)
        seen = np.isfinite(first)
        first, last = first[seen], last[seen]
        cap = _at(*_segments(np.concatenate([first, last]),
                             np.concatenate([np.ones(len(first)), -np.ones(len(last))])), mid)
    elif staff is not None and len(starts):
        busy = _at(*_segments(np.concatenate([starts, ends]),
                              np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])), mid)
        cap = np.full(len(mid), staff)
    else:
        return None, np.interp(b, moments, closed) - np.interp(a, moments, closed)
    full = is_open & (cap > 0) & (busy >= cap)
    waited = np.concatenate([[0.0], np.cumsum(np.where(full, width, 0.0))])
    return (np.interp(b, moments, waited) - np.interp(a, moments, waited),
            np.interp(b, moments, closed) - np.interp(a, moments, closed))
