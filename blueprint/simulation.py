"""Simulation: cases flowing through teams with finite staff.

:func:`simulate` runs a blueprint as a discrete-event simulation and returns a
:class:`~blueprint.results.SimulationResult`. It is written so that a reader can follow it, in the
spirit of Ciw: **arrivals** bring new cases, **teams** work on at most ``staff`` cases at once and
keep one first-come-first-served queue, **cases** move from step to step along the flows, and **one
loop** (:func:`run_replication`) takes the next event off a heap and dispatches it.

What the simulation does with each key of the file
--------------------------------------------------
* ``arrivals``: ``{every: D}`` one case after another, ``D`` apart (the first after one ``D``);
  ``{rate: N/unit}`` Poisson arrivals; ``{at: [...]}`` a case at each time. **Without**
  ``arrivals``, cases arrive at random (Poisson) at **one per time_unit**. ``start`` picks each
  case's entry step by its weights.
* ``teams``: a team with ``staff: c`` works on at most ``c`` cases at once; the others wait in the
  team's one queue, first come first served. No ``staff`` means unlimited (``external`` teams too,
  unless staffed); ``staff: 0`` means nobody: cases wait for ever. ``hours`` stop a team *starting*
  work outside them (work started goes on until it is done). **Time 0 is Monday 00:00.**
* ``duration``: every distribution of the format, in ``time_unit``. Customer steps and steps
  nobody owns take their duration without queueing. Outcome steps take no time.
* ``flows``: after a step, a case takes one flow, chosen by ``p`` (equal chances without ``p``);
  ``split: all`` sends it down every flow at once (one *branch* each); ``join: all`` waits until a
  branch of the case has come in along every incoming flow, then one branch goes on (a branch
  that reaches a join another way, e.g. by a timeout, goes straight through).
* ``timeout: {after, to}``: a step not finished ``after`` the case reached it (queueing included)
  is left by the timeout's way, freeing the staff member working on it.
* ``patience``: a case not finished by then is abandoned (outcome ``abandoned``), wherever its
  branches are.
* An outcome ends the case (other branches of it stop, ``cancelled``). A dead end (a step with no
  way out) keeps the case ``in_progress``. A case that enters a loop it can never leave (the
  ``livelock`` of ``check``) stops at the door of that loop: it stays ``in_progress`` (or is
  abandoned when its patience runs out), as going round for ever would never end.

What is counted (the same definitions as :func:`blueprint.stats`)
------------------------------------------------------------------
When a case (or a branch of it) reaches a step:

* a **contact** for a customer step with a ``channel``;
* a **handoff** when the step's owner differs from the owner of the last owned step the same
  branch went through (customer and unowned steps in between do not reset that memory; a branch
  made by a split remembers what the case remembered; each branch that comes into a join from
  another team is a handoff of its own, and the case goes on from the join with the join's owner);
* a **story repeat** for a frontstage step whose owner shares no system with any team that owned
  a step the case reached before (when there was one).

A case that joins a team's queue has been handed over even if it leaves it unserved (a timeout,
its patience).

How time moves: the one loop and its tie-break order
-----------------------------------------------------
The heap holds ``(time, kind, who, visit)`` tuples. At equal times events are taken in this order:
work ends (``END``), then teams opening (``OPEN``), then timeouts (``TIMEOUT``), then patience
running out (``PATIENCE``); within one kind, the lower token or case number (the older case)
first. New arrivals are not on the heap: the next arrival time is kept aside and taken when it is
earlier than everything on the heap, so an arrival comes after every heap event at the same time.
``visit`` numbers each step a branch reaches; an event whose branch has moved on since (a work end
after a timeout, a timeout after the work ended) is stale and skipped. Staff freed by a timeout or
by a customer giving up take the next case in line at that same moment.

Each event leaves at most one branch about to reach a step (a split queues its other branches);
the block after the dispatch in :func:`run_replication` is the one place where a branch reaches
a step: it counts contacts, handoffs and story repeats, sets the step's timer, and starts the
work or queues for the team.

Random numbers
--------------
Each replication ``r`` takes ``SeedSequence(seed, spawn_key=(r,))`` (the same as
``SeedSequence(seed).spawn(R)[r]``). Each purpose draws from its own stream, spawned from it with a
key from the purpose's name: ``arrivals``, ``start``, ``patience``, and for each step
``duration:STEP``, ``route:STEP`` and ``timeout:STEP``. So a change to one team's staff does not
shift the arrival stream or another step's draws: a baseline and a changed model compared on the
same seeds see common random numbers. Draws are taken from numpy in blocks.

Examples
--------
>>> import blueprint as bp
>>> model = bp.loads('''
... teams: {desk: {name: Help desk, staff: 1}}
... steps:
...   ask: {lane: customer, channel: phone}
...   answer: {lane: frontstage, owner: desk, duration: {exponential: 0.5}}
...   done: {outcome: success}
... flows: [[ask, answer], [answer, done]]
... ''')
>>> result = bp.simulate(model, cases=1000, seed=1)
>>> doc = result.to_json()
>>> doc["cases"]["arrived"], doc["cases"]["by_outcome"], doc["contacts"]["mean"]
(1000, {'done': 1000}, 1.0)
>>> 0.4 < doc["teams"]["desk"]["utilization"] < 0.6
True
"""
from __future__ import annotations

import itertools
import math
import time as _time
import zlib
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass, field
from heapq import heappop, heappush
from typing import Any, Callable, Optional

import numpy as np

from .durations import Fixed, TIME_UNITS, mean_of, rate_in, sample, to_unit
from .errors import BlueprintError
from .gcpause import without_gc
from .model import CUSTOMER, Blueprint, Every, RateArrivals
from .story import records, retells
from .ways import incapable, never_leaves

__all__ = ["simulate", "prepare", "run_replication", "Plan", "Replication", "DEFAULT_CASES",
           "END", "OPEN", "TIMEOUT", "PATIENCE", "STATUSES"]

#: Cases per replication when neither ``cases`` nor ``until`` is given.
DEFAULT_CASES = 10_000
INF = math.inf

# Event kinds, in the order they are taken at equal times.
END, OPEN, TIMEOUT, PATIENCE, STOP = 0, 1, 2, 3, 4

# Where a branch (token) is. _IDLE: at a step its team cannot do, waiting for the step's timeout.
_MOVING, _QUEUED, _WORKING, _JOINWAIT, _STUCK, _DEADEND, _GONE, _IDLE = range(8)

#: How a step visit ended, as written in the event rows (index = the code stored in raw rows);
#: an outcome step's row carries the outcome itself ("success" or "failure").
STATUSES = ("done", "timeout", "abandoned", "cancelled", "open", "success", "failure")
_DONE, _TIMED_OUT, _ABANDONED, _CANCELLED, _OPEN, _SUCCESS, _FAILURE = range(7)

# Flags of a step that need more than the plain path through it.
_F_OUTCOME, _F_JOIN, _F_CONTACT, _F_TIMEOUT, _F_STUCK = 1, 2, 4, 8, 16

_FIRST_BLOCK, _LARGEST_BLOCK = 64, 8192
#: Events at one instant before the simulation gives up on a loop that takes no time: this many,
#: plus ``_EVENTS_PER_CASE`` for each case that arrived meanwhile.
_MOST_EVENTS_AT_ONE_TIME = 100_000
_EVENTS_PER_CASE = 1000
#: Events between two looks at the clock (for progress, and for a loop that takes no time).
_CHECK_EVERY = 1 << 14
#: Cases (and branches) the lists of a replication grow by.
_CHUNK = 4096


@dataclass
class Plan:
    """A blueprint prepared for the event loop: integer ids and plain lists, made once.

    Steps and teams are numbered in file order; ``owner`` and the other per-step lists are indexed
    by step number, ``capacity``, ``hours`` and ``touch`` by team number. A plan is plain data,
    so it travels to other processes (``jobs``) and dask workers as it is.
    """

    time_unit: str
    steps: list[str]
    teams: list[str]
    lanes: list[Optional[str]]
    owner: list[int]
    outcome: list[int]
    results: list[Optional[str]]
    outcomes: list[str]
    flags: list[int]
    targets: list[list[int]]
    chances: list[list[float]]
    split: list[bool]
    join_from: list[frozenset]
    durations: list[Any]
    timeout_after: list[Any]
    timeout_to: list[int]
    capacity: list[float]
    hours: list[Optional[tuple]]
    touch: list[int]  # the story bits each team's handling sets (blueprint.story)
    test: list[int]  # each step's story bit to test (0: no story repeat there)
    idle: list[bool]  # steps their team cannot do: never worked on
    entry: list[int]
    entry_chances: list[float]
    arrivals: tuple
    patience: Any
    story: bool = field(default=False)


def _hours_in(intervals, unit: str):
    """Working intervals (minutes since Monday 00:00) as (starts, ends, week) in `unit`, or
    ``None`` when the team works all week."""
    if intervals is None or intervals == [(0, 7 * 1440)]:
        return None
    per_minute = 60.0 / TIME_UNITS[unit]
    return ([a * per_minute for a, _ in intervals], [b * per_minute for _, b in intervals],
            7 * 1440 * per_minute)


def prepare(model: Blueprint) -> Plan:
    """The blueprint as a :class:`Plan`: steps and teams numbered, flags and chances worked out.

    Examples
    --------
    >>> import blueprint as bp
    >>> plan = prepare(bp.loads('''
    ... teams: {desk: {staff: 2}, courier: {external: true}}
    ... steps:
    ...   ask: {lane: customer, channel: phone}
    ...   answer: {lane: frontstage, owner: desk}
    ...   done: {outcome: success}
    ... flows: [[ask, answer], [answer, done]]
    ... '''))
    >>> plan.steps, plan.owner, plan.capacity, plan.outcomes
    (['ask', 'answer', 'done'], [-1, 0, -1], [2, inf], ['done'])
    """
    unit = model.time_unit
    steps = list(model.steps)
    number = {sid: i for i, sid in enumerate(steps)}
    teams = list(model.teams)
    team_number = {tid: i for i, tid in enumerate(teams)}
    memory = records(model)
    outcome_ids = [sid for sid, s in model.steps.items() if s.is_outcome]
    outcomes = outcome_ids + (["abandoned"] if model.patience is not None else [])
    stuck = never_leaves(model)
    flags, targets, chances, join_from = [], [], [], []
    for sid, s in model.steps.items():
        f = 0
        f |= _F_OUTCOME if s.is_outcome else 0
        f |= _F_JOIN if s.join == "all" else 0
        f |= _F_CONTACT if s.lane == CUSTOMER and s.channel else 0
        f |= _F_TIMEOUT if s.timeout is not None else 0
        f |= _F_STUCK if sid in stuck else 0
        flags.append(f)
        ways = model.branches(sid) if not s.is_outcome else []
        targets.append([number[t] for t, _ in ways])
        total = sum(p for _, p in ways)
        chances.append([p / total if total > 0 else 1.0 / len(ways) for _, p in ways])
        join_from.append(frozenset(number[f.source] for f in model.incoming[sid]))
    entry = list(model.entry.items())
    weight = sum(w for _, w in entry)
    if model.arrivals is None:
        arrivals = ("rate", 1.0)
    elif isinstance(model.arrivals, RateArrivals):
        arrivals = ("rate", rate_in(model.arrivals.rate, unit))
    elif isinstance(model.arrivals, Every):
        arrivals = ("every", model.arrivals.every)
    else:
        arrivals = ("at", sorted(to_unit(x, unit) for x in model.arrivals.at))
    return Plan(
        time_unit=unit, steps=steps, teams=teams,
        lanes=[s.lane for s in model.steps.values()],
        owner=[team_number[s.owner] if s.owner else -1 for s in model.steps.values()],
        outcome=[outcome_ids.index(sid) if s.is_outcome else -1 for sid, s in model.steps.items()],
        results=[s.outcome for s in model.steps.values()], outcomes=outcomes, flags=flags, targets=targets, chances=chances,
        split=[s.split == "all" for s in model.steps.values()], join_from=join_from,
        durations=[s.duration for s in model.steps.values()],
        timeout_after=[s.timeout.after if s.timeout else None for s in model.steps.values()],
        timeout_to=[number[s.timeout.to] if s.timeout else -1 for s in model.steps.values()],
        capacity=[t.staff if t.staff is not None else INF for t in model.teams.values()],
        hours=[_hours_in(t.open_hours, unit) for t in model.teams.values()],
        touch=[memory.touch.get(tid, 1) for tid in teams],
        test=[memory.test.get(sid, 0) for sid in steps],
        idle=[incapable(model, sid) for sid in steps],
        entry=[number[sid] for sid, _ in entry],
        entry_chances=[w / weight if weight > 0 else 1.0 / len(entry) for _, w in entry],
        arrivals=arrivals, patience=model.patience,
        story=bool(memory.test),
    )


# --- random numbers ---------------------------------------------------------------------------

def stream(base: np.random.SeedSequence, purpose: str) -> np.random.Generator:
    """The generator for one purpose (``"arrivals"``, ``"duration:sell"``...) of a replication.

    Examples
    --------
    >>> base = np.random.SeedSequence(7, spawn_key=(0,))
    >>> a, b = stream(base, "arrivals").random(), stream(base, "arrivals").random()
    >>> a == b, a == stream(base, "route:sell").random()
    (True, False)
    >>> a == stream(np.random.SeedSequence(7).spawn(3)[0], "arrivals").random()  # spawned from the seed
    True
    """
    key = base.spawn_key + (zlib.crc32(purpose.encode("utf-8")),)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(base.entropy, spawn_key=key)))


def _blocks(base: np.random.SeedSequence, purpose: str, draw: Callable[[np.random.Generator, int], np.ndarray]):
    """Values from ``draw(rng, size)``, drawn in blocks that grow from 64 to 8192, one at a time.

    The purpose's generator is made at the first value asked for, so a step no case reaches
    costs nothing.
    """
    rng = stream(base, purpose)
    size = _FIRST_BLOCK
    while True:
        yield from draw(rng, size).tolist()
        size = min(2 * size, _LARGEST_BLOCK)


def _constant(duration: Any, unit: str) -> float | None:
    """The value of a duration that is always the same, else ``None``."""
    if duration is None or isinstance(duration, (int, float, str)) or isinstance(duration, Fixed):
        return mean_of(duration, unit)
    return None


def _draws(duration: Any, unit: str, base, purpose: str) -> Callable[[], float]:
    """A function giving the next draw of `duration`, from its own stream."""
    value = _constant(duration, unit)
    if value is not None:
        return itertools.repeat(value).__next__
    return _blocks(base, purpose, lambda rng, n: sample(duration, rng, n, unit)).__next__


def _choices(options: list[int], chances: list[float], base, purpose: str) -> Callable[[], int]:
    """A function giving the next choice among `options`, from its own stream."""
    if len(options) == 1:
        return itertools.repeat(options[0]).__next__
    values, p = np.asarray(options), np.asarray(chances)
    return _blocks(base, purpose, lambda rng, n: values[rng.choice(len(values), n, p=p)]).__next__


def _arrival_times(plan: Plan, base) -> Any:
    """An iterator of arrival times, in order."""
    kind, value = plan.arrivals
    if kind == "at":
        return iter(value)
    if kind == "rate":
        gaps = _blocks(base, "arrivals", lambda rng, n: rng.exponential(1.0 / value, n))
    else:
        gaps = iter(_draws(value, plan.time_unit, base, "arrivals"), None)
    return itertools.accumulate(gaps)


# --- hours ------------------------------------------------------------------------------------

def _is_open(hours, t: float) -> bool:
    return bool(_open_until(hours, t))


def _open_until(hours, t: float) -> float:
    """When the team closes next, if it is open at time t; 0.0 (false) when it is closed."""
    starts, ends, week = hours
    w = t % week
    i = bisect_right(starts, w) - 1
    return t - w + ends[i] if i >= 0 and w < ends[i] else 0.0


def _duty_clock(hours) -> Optional[Callable[[float], float]]:
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


def _next_opening(hours, t: float) -> float:
    starts, _, week = hours
    w = t % week
    i = bisect_right(starts, w)
    return t - w + (starts[i] if i < len(starts) else week + starts[0])


# --- one replication --------------------------------------------------------------------------

@dataclass
class Replication:
    """What one replication produced: per case, per team, and the event rows.

    ``time_in_system`` holds the finished cases; ``contacts``, ``handoffs``, ``story_repeats`` and
    ``outcome`` (an index into the plan's outcomes, -1 for in progress) every case that arrived.
    Team lists are indexed by team number; ``busy_time`` is the staff time spent working up to the
    ``horizon``, ``duty_time`` the part of it within the team's hours (the rest is overtime). ``window`` is the time cases
    arrive (up to the last arrival, or to ``until``), and ``window_busy``, ``window_duty`` the same
    two figures up to then.
    ``events`` holds raw rows ``(case, step number, enqueue, start, end, status code)`` with case
    numbers from 0 within the replication, or ``None`` when rows were not kept.
    """

    arrived: int
    time_in_system: np.ndarray
    contacts: np.ndarray
    handoffs: np.ndarray
    story_repeats: np.ndarray
    outcome: np.ndarray
    horizon: float
    busy_time: list[float]
    duty_time: list[float]
    window: float
    window_busy: list[float]
    window_duty: list[float]
    wait_sum: list[float]
    started: list[int]
    max_queue: list[int]
    events: Optional[list[tuple]]
    n_events: int


def run_replication(plan: Plan, seed: int = 0, rep: int = 0, *, cases: Optional[int] = None,
                    until: float = INF, record: bool = True,
                    progress: Optional[Callable[[int, int], None]] = None) -> Replication:
    """Simulate one replication of a prepared blueprint.

    Parameters
    ----------
    plan : Plan
        From :func:`prepare`.
    seed, rep : int
        The replication draws from ``SeedSequence(seed, spawn_key=(rep,))``.
    cases : int, optional
        Stop arrivals after this many cases and run until they have all ended or cannot move.
    until : float
        Stop at this time (in ``time_unit``); cases still open are in progress.
    record : bool
        Keep one row per step visit in ``events``.
    progress : callable, optional
        Called now and then as ``progress(cases_arrived, events_so_far)``.

    Examples
    --------
    >>> import blueprint as bp
    >>> plan = prepare(bp.loads("steps: {a: {lane: customer, duration: 2}, b: {outcome: success}}\\n"
    ...                         "flows: [[a, b]]\\narrivals: {every: 5}"))
    >>> rep = run_replication(plan, cases=3)
    >>> rep.arrived, rep.time_in_system.tolist(), rep.events[:2]
    (3, [2.0, 2.0, 2.0], [(0, 0, 5.0, 5.0, 7.0, 0), (0, 1, 7.0, 7.0, 7.0, 5)])
    """
    unit = plan.time_unit
    base = np.random.SeedSequence(seed, spawn_key=(rep,))
    n_steps, n_teams = len(plan.steps), len(plan.teams)
    owner, outcome_of, timeout_to, join_from = plan.owner, plan.outcome, plan.timeout_to, plan.join_from
    special = plan.flags
    touch, test, idle, story = plan.touch, plan.test, plan.idle, plan.story
    ended_as = [_SUCCESS if r == "success" else _FAILURE for r in plan.results]
    duration_next = [_draws(plan.durations[s], unit, base, f"duration:{plan.steps[s]}") for s in range(n_steps)]
    route_next = [None if plan.split[s] or not plan.targets[s] else
                  _choices(plan.targets[s], plan.chances[s], base, f"route:{plan.steps[s]}")
                  for s in range(n_steps)]
    split_to = [plan.targets[s] if plan.split[s] and plan.targets[s] else None for s in range(n_steps)]
    timeout_next = [_draws(plan.timeout_after[s], unit, base, f"timeout:{plan.steps[s]}")
                    if plan.timeout_after[s] is not None else None for s in range(n_steps)]
    entry_next = _choices(plan.entry, plan.entry_chances, base, "start")
    patience_next = _draws(plan.patience, unit, base, "patience") if plan.patience is not None else None
    abandoned = len(plan.outcomes) - 1
    arrivals = _arrival_times(plan, base)

    # Teams: staff working now, the queue (lazy: entries of branches that left are skipped).
    cap, hours = plan.capacity, plan.hours
    busy = [0] * n_teams
    busy_time = [0.0] * n_teams  # minus the start of each work begun, plus its end
    overtime = [0.0] * n_teams  # the part of it after closing time (teams with hours), of work that ended
    duty_so_far = [_duty_clock(h) for h in hours]
    wait_sum = [0.0] * n_teams
    started = [0] * n_teams
    queue = [deque() for _ in range(n_teams)]
    qlen = [0] * n_teams
    max_queue = [0] * n_teams
    open_pending = [False] * n_teams

    # Cases, and their branches ("tokens"): one token per case, more after a split. The lists
    # are made long in advance and grown in chunks.
    room = _CHUNK
    case_arrival = [0.0] * room
    case_end = [INF] * room
    case_outcome = [-1] * room
    contacts = [0] * room
    handoffs = [0] * room
    repeats = [0] * room
    case_token = [0] * room
    extra_tokens: dict[int, list[int]] = {}  # case -> tokens made by splits
    waiting: dict[int, dict[int, dict[int, list[int]]]] = {}  # case -> join step -> from -> tokens
    tok_case = [0] * room
    tok_visit = [0] * room
    tok_step = [-1] * room
    tok_state = [_MOVING] * room
    tok_enq = [0.0] * room
    tok_start: list[Optional[float]] = [None] * room
    tok_last = [-1] * room  # the team of the last owned step this branch went through (-2: several)
    tok_seen = [0] * room  # what this branch remembers of who handled the case (blueprint.story)
    tok_close = [INF] * room  # when the team working on this branch closes (teams with hours)
    several: dict[int, list[int]] = {}  # token -> the teams it was last with, after a join without owner
    case_lists = ((case_arrival, 0.0), (case_end, INF), (case_outcome, -1), (contacts, 0), (handoffs, 0),
                  (repeats, 0), (case_token, 0))
    token_lists = ((tok_case, 0), (tok_visit, 0), (tok_step, -1), (tok_state, _MOVING), (tok_enq, 0.0),
                   (tok_start, None), (tok_last, -1), (tok_seen, 0), (tok_close, INF))

    rows: list[tuple] = []
    add_row = rows.append if record else None
    heap: list[tuple] = [(until, STOP, 0, 0)]
    n_cases = n_tokens = open_cases = 0
    next_arrival = INF

    def grow(lists) -> None:
        for values, default in lists:
            values.extend([default] * _CHUNK)

    def new_token(c: int, parent: int) -> int:
        """A new branch of case `c`, remembering what branch `parent` remembers."""
        nonlocal n_tokens
        k = n_tokens
        n_tokens += 1
        if k == len(tok_case):
            grow(token_lists)
        tok_case[k] = c
        tok_last[k] = tok_last[parent]
        tok_seen[k] = tok_seen[parent]
        if tok_last[parent] == -2:
            several[k] = list(several[parent])
        return k

    def handed_over(k: int, o: int) -> int:
        """Handoffs when branch `k` comes to a step of team `o`: one for each team it was last with
        that is not `o` (several after a join without an owner)."""
        last = tok_last[k]
        tok_last[k] = o
        if last == -2:
            return sum(t != o for t in several.pop(k))
        return 1 if 0 <= last != o else 0

    def take_next(o: int, t: float, opening: bool = False) -> None:
        """Team `o` takes cases from its queue while it has free staff and is open."""
        h = hours[o]
        if h is not None:
            close = _open_until(h, t)
            if not close:
                if opening:  # opening time itself, rounded to just before it
                    close = _open_until(h, t + 1e-9) or t
                else:
                    if not open_pending[o]:
                        open_pending[o] = True
                        heappush(heap, (_next_opening(h, t), OPEN, o, 0))
                    return
        q = queue[o]
        while qlen[o] and busy[o] < cap[o]:
            k, v = q.popleft()
            if tok_visit[k] == v:  # else the branch has left the queue (timeout, patience)
                qlen[o] -= 1
                busy[o] += 1
                busy_time[o] -= t
                if h is not None:
                    tok_close[k] = close
                wait_sum[o] += t - tok_enq[k]
                started[o] += 1
                tok_start[k] = t
                tok_state[k] = _WORKING
                heappush(heap, (t + duration_next[tok_step[k]](), END, k, v))

    def enter_special(k: int, s: int, t: float, v: int, f: int, came_from: int) -> bool:
        """The parts of reaching step `s` that only some steps have; False when the branch stops."""
        nonlocal open_cases
        c = tok_case[k]
        if f & _F_OUTCOME:
            tok_state[k] = _GONE
            if add_row:
                add_row((c, s, t, t, t, ended_as[s]))
            case_end[c] = t
            case_outcome[c] = outcome_of[s]
            open_cases -= 1
            if c in extra_tokens:
                stop_branches(c, t, _CANCELLED)
            waiting.pop(c, None)
            if not open_cases and next_arrival == INF and until == INF:
                heappush(heap, (t, STOP, 0, 0))  # every case has ended and no more will come
            return False
        if f & _F_JOIN and came_from in join_from[s] and not joined(k, c, s, came_from):
            return False
        tok_start[k] = None
        if f & _F_STUCK:
            tok_state[k] = _STUCK
            return False
        if f & _F_CONTACT:
            contacts[c] += 1
        if f & _F_TIMEOUT:
            heappush(heap, (t + timeout_next[s](), TIMEOUT, k, v))
        return True

    def joined(k: int, c: int, s: int, came_from: int) -> bool:
        """Token `k` reached join step `s`: True when it goes on (every incoming flow has come in).

        Each branch that comes in from another team hands its work over (a handoff is a flow);
        the case goes on from the join with the join's owner.
        """
        o = owner[s]
        if o >= 0:
            handoffs[c] += handed_over(k, o)
        at_step = waiting.setdefault(c, {}).setdefault(s, {})
        at_step.setdefault(came_from, []).append(k)
        if len(at_step) < len(join_from[s]):
            tok_start[k] = None
            tok_state[k] = _JOINWAIT
            return False
        lasts = []
        for source in list(at_step):
            other = at_step[source].pop(0)
            if not at_step[source]:
                del at_step[source]
            tok_seen[k] |= tok_seen[other]  # the joined branch remembers what any of them met
            if o < 0:  # and, without an owner here, every team they were last with
                last = tok_last[other]
                lasts.extend(several.pop(other) if last == -2 else [last] if last >= 0 else [])
            if other != k:
                tok_state[other] = _GONE
        if o < 0:
            tok_last[k] = lasts[0] if len(lasts) == 1 else -1 if not lasts else -2
            if len(lasts) > 1:
                several[k] = lasts
        return True

    def leave(k: int, t: float, status: int) -> int:
        """Token `k` leaves its step unfinished; returns the team whose staff it freed, or -1."""
        state = tok_state[k]
        if state == _GONE or state == _DEADEND or state == _MOVING:
            return -1
        s = tok_step[k]
        tok_visit[k] += 1
        tok_state[k] = _MOVING
        if add_row:
            add_row((tok_case[k], s, tok_enq[k], tok_start[k], t, status))
        o = owner[s]
        if o >= 0:
            if state == _WORKING:
                busy[o] -= 1
                busy_time[o] += t
                if hours[o] is not None and t > tok_close[k]:  # went on after closing time
                    overtime[o] += after_closing(o, tok_close[k], t)
                return o
            if state == _QUEUED:
                qlen[o] -= 1
        return -1

    def after_closing(o: int, close: float, t: float) -> float:
        """The part of work that went on from closing time `close` to `t` outside the team's hours."""
        return (t - close) - (duty_so_far[o](t) - duty_so_far[o](close))

    def work_until(t: float) -> tuple[list[float], list[float]]:
        """Each team's staff time spent working up to `t`, and the part of it on duty."""
        late = list(overtime)
        for k in range(n_tokens):  # work going on at t, begun before closing time
            o = owner[tok_step[k]] if tok_state[k] == _WORKING else -1
            if o >= 0 and hours[o] is not None and t > tok_close[k]:
                late[o] += after_closing(o, tok_close[k], t)
        worked = [b + n * t for b, n in zip(busy_time, busy)]
        return worked, [w - x for w, x in zip(worked, late)]

    def stop_branches(c: int, t: float, status: int) -> None:
        """Every branch of case `c` still somewhere stops there, with `status`."""
        freed = []
        for k in [case_token[c]] + extra_tokens.pop(c, []):
            o = leave(k, t, status)
            tok_state[k] = _GONE
            if o >= 0:
                freed.append(o)
        for o in freed:
            take_next(o, t)

    window, window_busy, window_duty = INF, None, None  # the time cases arrive, and the work done in it
    n_events = 0
    check_at = _CHECK_EVERY
    instant, events_then, cases_then = -1.0, 0, 0  # the time at the last look, and since when
    now = 0.0
    if cases != 0:
        next_arrival = next(arrivals, INF)
    if next_arrival >= until:
        next_arrival = INF
    moves: list[tuple[int, int]] = []  # more branches of a split to move on: (token, step), last first
    with without_gc():  # the loop makes no reference cycles: spare it the collector
        while True:
            # --- the next event: it leaves branch k about to reach step s, or `continue`s ---------
            if next_arrival < heap[0][0]:  # a new case arrives
                t = now = next_arrival
                c = n_cases
                n_cases += 1
                if c == len(case_arrival):
                    grow(case_lists)
                case_arrival[c] = t
                k = n_tokens  # the case's first branch
                n_tokens += 1
                if k == len(tok_case):
                    grow(token_lists)
                tok_case[k] = c
                case_token[c] = k
                open_cases += 1
                if patience_next is not None:
                    heappush(heap, (t + patience_next(), PATIENCE, c, 0))
                next_arrival = next(arrivals, INF) if n_cases != cases else INF
                if next_arrival >= until:
                    next_arrival = INF
                if next_arrival == INF and until == INF:  # the last case has arrived: the time cases arrive ends
                    window, window_busy, window_duty = t, *work_until(t)
                s, came_from = entry_next(), -1
            else:
                t, kind, k, v = heappop(heap)
                n_events += 1
                if n_events >= check_at:
                    check_at += _CHECK_EVERY
                    if t != instant:
                        instant, events_then, cases_then = t, n_events, n_cases
                    elif (n_events - events_then > _MOST_EVENTS_AT_ONE_TIME
                          + _EVENTS_PER_CASE * (n_cases - cases_then)):
                        raise BlueprintError(_no_time_passes(plan, tok_step, tok_state))
                    if progress is not None:
                        progress(n_cases, n_events)
                if kind == END:  # work on a step is done: the team takes its next case, this one goes on
                    if tok_visit[k] != v:
                        continue
                    now = t
                    came_from = s = tok_step[k]
                    if add_row:
                        add_row((tok_case[k], s, tok_enq[k], tok_start[k], t, _DONE))
                    o = owner[s]
                    if o >= 0:
                        if qlen[o] and hours[o] is None:  # the same staff member takes the next in line
                            q = queue[o]
                            k2, v2 = q.popleft()
                            while tok_visit[k2] != v2:
                                k2, v2 = q.popleft()
                            qlen[o] -= 1
                            wait_sum[o] += t - tok_enq[k2]
                            started[o] += 1
                            tok_start[k2] = t
                            tok_state[k2] = _WORKING
                            heappush(heap, (t + duration_next[tok_step[k2]](), END, k2, v2))
                        else:
                            busy[o] -= 1
                            busy_time[o] += t
                            if hours[o] is not None and t > tok_close[k]:  # went on after closing time
                                overtime[o] += after_closing(o, tok_close[k], t)
                            if qlen[o]:
                                take_next(o, t)
                    nxt = route_next[s]
                    if nxt is not None:
                        s = nxt()
                    elif split_to[s] is not None:  # one branch down each flow, the first one this
                        c, targets = tok_case[k], split_to[s]
                        branches = [new_token(c, k) for _ in targets[1:]]
                        extra_tokens.setdefault(c, []).extend(branches)
                        moves.extend(reversed(list(zip(branches, targets[1:]))))
                        s = targets[0]
                    else:  # a dead end: the branch stays here
                        tok_state[k] = _DEADEND
                        continue
                elif kind == TIMEOUT:  # the step has not finished in time: leave by the timeout's way
                    if tok_visit[k] != v:
                        continue
                    now = t
                    came_from = tok_step[k]
                    o = leave(k, t, _TIMED_OUT)
                    if o >= 0:
                        take_next(o, t)
                    s = timeout_to[came_from]
                elif kind == PATIENCE:  # the customer gives up, unless the case has ended
                    if case_outcome[k] >= 0:
                        continue
                    now = t
                    case_end[k] = t
                    case_outcome[k] = abandoned
                    open_cases -= 1
                    stop_branches(k, t, _ABANDONED)
                    waiting.pop(k, None)
                    if not open_cases and next_arrival == INF and until == INF:
                        heappush(heap, (t, STOP, 0, 0))
                    continue
                elif kind == OPEN:  # a team's hours begin
                    now = t
                    open_pending[k] = False
                    take_next(k, t, opening=True)
                    continue
                else:  # STOP: the horizon, or every case has ended
                    if t < INF:
                        now = t
                    break

            # --- branch k reaches step s at time t, from step came_from: the one place it happens --
            while True:
                v = tok_visit[k] + 1
                tok_visit[k] = v
                tok_step[k] = s
                tok_enq[k] = t
                f = special[s]
                if f and not enter_special(k, s, t, v, f, came_from):
                    pass  # an outcome, a join still waiting for other branches, a loop with no way out
                elif (o := owner[s]) < 0:  # the customer's step, or nobody's: no queue
                    tok_start[k] = t
                    tok_state[k] = _WORKING
                    heappush(heap, (t + duration_next[s](), END, k, v))
                else:
                    last = tok_last[k]
                    if last != o:  # handed over (handed_over() is the rule; this is its usual case, inline)
                        if last >= 0:
                            handoffs[tok_case[k]] += 1
                        elif last == -2:
                            handoffs[tok_case[k]] += handed_over(k, o)
                        tok_last[k] = o
                    if story:
                        known = tok_seen[k]
                        if test[s] and retells(known, test[s]):
                            repeats[tok_case[k]] += 1
                        tok_seen[k] = known | touch[o]
                    if idle[s]:  # its team cannot do it: the branch waits for the timeout, if any
                        tok_start[k] = None
                        tok_state[k] = _IDLE
                    elif busy[o] < cap[o] and not qlen[o] and (hours[o] is None or (close := _open_until(hours[o], t))):
                        busy[o] += 1
                        busy_time[o] -= t
                        if hours[o] is not None:
                            tok_close[k] = close
                        started[o] += 1
                        tok_start[k] = t
                        tok_state[k] = _WORKING
                        heappush(heap, (t + duration_next[s](), END, k, v))
                    else:
                        queue[o].append((k, v))
                        tok_start[k] = None
                        tok_state[k] = _QUEUED
                        n = qlen[o] = qlen[o] + 1
                        if n > max_queue[o]:
                            max_queue[o] = n
                        if busy[o] < cap[o]:
                            take_next(o, t)  # closed now: book the opening
                if not moves:
                    break
                k, s = moves.pop()
                if case_outcome[tok_case[k]] >= 0:  # a branch before it ended the case
                    moves.clear()
                    break

    horizon = now
    full_busy, full_duty = work_until(horizon)
    if window_busy is None:  # cases arrived up to the horizon (until)
        window, window_busy, window_duty = horizon, full_busy, full_duty
    if add_row:
        for k in range(n_tokens):
            if tok_state[k] in (_QUEUED, _WORKING, _JOINWAIT, _STUCK, _IDLE):
                add_row((tok_case[k], tok_step[k], tok_enq[k], tok_start[k], None, _OPEN))
    finished = np.asarray(case_outcome[:n_cases], dtype=np.int64) >= 0
    return Replication(
        arrived=n_cases,
        time_in_system=(np.asarray(case_end[:n_cases], dtype=float)
                        - np.asarray(case_arrival[:n_cases], dtype=float))[finished],
        contacts=np.asarray(contacts[:n_cases], dtype=np.int64),
        handoffs=np.asarray(handoffs[:n_cases], dtype=np.int64),
        story_repeats=np.asarray(repeats[:n_cases], dtype=np.int64),
        outcome=np.asarray(case_outcome[:n_cases], dtype=np.int64),
        horizon=horizon, busy_time=full_busy, duty_time=full_duty,
        window=window, window_busy=window_busy, window_duty=window_duty,
        wait_sum=wait_sum, started=started, max_queue=max_queue,
        events=rows if record else None, n_events=n_events,
    )


def _no_time_passes(plan: Plan, tok_step: list[int], tok_state: list[int]) -> str:
    steps = sorted({plan.steps[s] for s, state in zip(tok_step, tok_state) if state == _WORKING and s >= 0})
    return ("the simulation goes round " + ", ".join(steps[:6]) + " again and again without time passing; "
            "give a step of that loop a duration, or a way out that does not need time to pass")


# --- many replications ------------------------------------------------------------------------

def _replicate(task: tuple) -> Replication:
    """One replication of ``(plan, seed, rep, cases, until, record)``: a top-level function that
    process pools and dask workers can run."""
    plan, seed, rep, cases, until, record = task
    return run_replication(plan, seed, rep, cases=cases, until=until, record=record)


def _whole_number(name: str, value: Any, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise BlueprintError(f"{name} must be a whole number, {least} or more, not {value!r}")
    return int(value)


def _horizon(until: Any, unit: str) -> float:
    if until is None:
        return INF
    try:
        value = to_unit(until, unit) if not isinstance(until, bool) else None
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value <= 0:
        raise BlueprintError(f"until: '{until}' is not a time to simulate for; write a number of "
                             f"{unit}s or a time with a unit, like 30d or 8h")
    return value


def simulate(model: Blueprint, *, cases: Optional[int] = None, until: Any = None, seed: int = 0,
             replications: int = 1, jobs: int = 1, client: Any = None,
             progress: Optional[Callable[[int, Optional[int], float], None]] = None,
             events: bool = False):
    """Simulate cases flowing through the blueprint's teams.

    Parameters
    ----------
    model : Blueprint
        The service to simulate (see the module notes for what each key does in time).
    cases : int, optional
        Cases per replication: arrivals stop after this many, and the simulation runs until they
        have all ended or cannot move on. Without `cases` and `until`: 10,000.
    until : float or str, optional
        Simulate up to this time (a number in ``time_unit`` or a time such as ``"30d"``); cases
        still open then are in progress. With `cases` too, whichever comes first.
    seed : int
        The same seed gives the same result, bit for bit, however many `jobs`.
    replications : int
        Independent replications; the KPIs pool every case, ``ci95`` is taken across the
        replication means (Student t).
    jobs : int
        Processes to run replications in; the result is the same as with one.
    client : dask.distributed.Client, optional
        Run the replications on this dask cluster instead (the same result again).
    progress : callable, optional
        Called now and then as ``progress(cases_done, cases_total or None, events_per_second)``.
    events : bool
        Keep one row per step visit while simulating. Without it the run is leaner, and
        :attr:`SimulationResult.events` simulates the same replications again when first read
        (the same seeds give the same rows).

    Returns
    -------
    SimulationResult
        ``.to_json()`` is the SPEC's ``simulate`` document; ``.events`` the step visits;
        ``.per_replication`` the flat KPIs of each replication.

    Raises
    ------
    BlueprintError
        For a number of cases, replications or jobs below 1, or an `until` that is not a time.

    Examples
    --------
    >>> import blueprint as bp
    >>> model = bp.loads('''
    ... time_unit: hour
    ... teams: {desk: {staff: 1, hours: "Mon-Fri 09:00-17:00"}}
    ... steps:
    ...   ask: {lane: customer, channel: phone}
    ...   answer: {lane: frontstage, owner: desk, duration: 0.25}
    ...   done: {outcome: success}
    ... flows: [[ask, answer], [answer, done]]
    ... arrivals: {every: 2h}
    ... ''')
    >>> result = bp.simulate(model, until="1w", replications=3, seed=4)
    >>> doc = result.to_json()
    >>> doc["cases"]["arrived"], doc["teams"]["desk"]["max_queue"] > 0
    (249, True)
    >>> [e.start for e in result.events[:2]]  # the first case calls at 02:00, the desk opens at 09:00
    [2.0, 9.0]
    """
    from .results import SimulationResult

    if not isinstance(model, Blueprint):
        raise BlueprintError(f"simulate needs a Blueprint (from blueprint.load), not {type(model).__name__}")
    if cases is not None:
        cases = _whole_number("cases", cases, 1)
    replications = _whole_number("replications", replications, 1)
    jobs = _whole_number("jobs", jobs, 1)
    seed = _whole_number("seed", seed, 0)
    horizon = _horizon(until, model.time_unit)
    if cases is None and until is None:
        cases = DEFAULT_CASES
    plan = prepare(model)
    if cases is None and plan.arrivals[0] == "every" and mean_of(plan.arrivals[1], plan.time_unit) == 0:
        raise BlueprintError("arrivals: every 0 brings endless cases at one moment; give a time "
                             "between cases, or simulate a number of cases (--cases N)")
    total = cases * replications if cases is not None else None
    clock = _time.perf_counter()
    done: list[int] = []

    def report(now_cases: int, n_events: int) -> None:
        if progress is not None:
            elapsed = max(_time.perf_counter() - clock, 1e-9)
            progress(sum(done) + now_cases, total, n_events / elapsed)

    tasks = [(plan, seed, r, cases, horizon, events) for r in range(replications)]
    if client is not None or (jobs > 1 and replications > 1):
        from .parallel import map_tasks

        reps = map_tasks(_replicate, tasks, jobs=jobs, client=client)
        done.extend(r.arrived for r in reps)
        report(0, sum(r.n_events for r in reps))
    else:
        reps, n_before = [], 0
        for task in tasks:
            rep = run_replication(*task[:3], cases=cases, until=horizon, record=events,
                                  progress=(lambda n, e, b=n_before: report(n, b + e)) if progress else None)
            reps.append(rep)
            done.append(rep.arrived)
            n_before += rep.n_events
            report(0, n_before)
    return SimulationResult(plan, seed, list(reps), cases=cases, until=horizon)
