"""The compiled engine: :mod:`~blueprint.simulation.loop` compiled by numba, and its driver.

:func:`run_compiled` gives the same :class:`~blueprint.simulation.tally.Replication` as
:func:`~blueprint.simulation.engine.run_replication` on the same seed, bit for bit, several times
faster. It covers the whole of SPEC section 2, parallel work included (:func:`covers` says why a
blueprint cannot run on it: more than 62 contact steps or kinds of record). :func:`choose` picks
the engine for a run: the compiled one when it covers the blueprint, numba is installed and the
run is long enough to pay for loading it (about a third of a second at the first compiled run of
a process, from numba's cache on disk; the first run after installing also compiles it, once, in
about half a minute).

The driver lays the plan out as arrays (:func:`layout`), makes the arrays the loop changes
(:func:`start`), and calls :func:`loop.advance <blueprint.simulation.loop.advance>` until it is
done, doing in Python what the loop hands back: full blocks of ended cases go to the tally, event
rows to the list, and now and then progress, Ctrl-C and a loop that takes no time are looked at,
as the engine does.
"""
from __future__ import annotations

import itertools
import math
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from ..durations import mean_of
from ..errors import BlueprintError
from ..gcpause import without_gc
from . import arrays as cols
from .arrays import (
    BRANCH_FLOATS,
    BRANCH_INTS,
    CASE_FLOATS,
    CASE_INTS,
    CLOCK_FLOATS,
    CLOCK_INTS,
    DONE,
    NEED_FLUSH,
    NEED_LOOK,
    NEED_ROWS,
    Layout,
    State,
)
from .clock import CHECK_EVERY, going_round, look_at_clock
from .engine import TALLY_BLOCK
from .parts import GONE, IDLE, JOINWAIT, QUEUED, STATUSES, STUCK_HERE, WORKING
from .plan import CONTACT, JOIN, Plan
from .streams import blocks, choice_sampler, constant, duration_sampler, rate_sampler
from .tally import CaseTally, Replication

__all__ = ["ENGINES", "covers", "choose", "run_compiled", "load", "layout", "CompilingNote", "is_cached"]

INF = math.inf
#: The engines a simulation can run on.
ENGINES = ("auto", "python", "compiled")
#: Cases (all replications together) from which ``auto`` runs the compiled engine: below that,
#: loading it takes longer than the engine needs for the whole run.
COMPILED_FROM = 100_000
#: Events between two looks at the clock, and ended cases handed to the tally at once: the engine's.
_CHECK_EVERY, _TALLY_BLOCK = CHECK_EVERY, TALLY_BLOCK
_ROWS, _SLOTS, _QUEUE, _HEAP, _POOL, _SCRATCH = 1 << 16, 1 << 10, 1 << 10, 1 << 12, 1 << 14, 16
_TOKENS = itertools.count(1)


def covers(plan: Plan) -> str | None:
    """Why the compiled engine cannot run `plan`, or ``None`` when it can.

    Examples
    --------
    >>> import blueprint as bp
    >>> from blueprint.simulation import prepare
    >>> covers(prepare(bp.load("examples/jackson_network.yaml"))) is None
    True
    """
    if sum(1 for flags in plan.flags if flags & CONTACT) > 62:
        return "it has more than 62 contact steps"
    if max(plan.touch + plan.test, default=0) >= 1 << 62:
        return "its teams share more than 62 kinds of record"
    return None


def expected_cases(plan: Plan, cases: int | None, until: float) -> float:
    """About how many cases one replication brings: `cases`, or the arrivals up to `until`."""
    kind, value = plan.arrivals
    by_time = INF
    if until < INF:
        if kind == "rate":
            by_time = value * until
        elif kind == "every":
            gap = mean_of(value, plan.time_unit)
            by_time = until / gap if gap > 0 else INF
        else:
            by_time = sum(1 for t in value if t < until)
    elif kind == "at":
        by_time = len(value)
    return min(cases if cases is not None else INF, by_time)


def choose(plan: Plan, engine: str, cases: int | None, until: float, replications: int = 1) -> str:
    """``"python"`` or ``"compiled"``: the engine to run `plan` on, for the `engine` asked for.

    ``"auto"`` takes the engine named by the environment variable ``BLUEPRINT_ENGINE`` when it is
    set (so that ``whatif``, ``explore`` and ``compare``, which simulate on ``auto``, can be run on
    one engine), else the compiled engine when it covers `plan` and the run is long enough.

    Raises
    ------
    BlueprintError
        When ``"compiled"`` is asked for and cannot run (numba missing, or :func:`covers` says why).

    Examples
    --------
    >>> import blueprint as bp
    >>> from blueprint.simulation import prepare
    >>> plan = prepare(bp.load("examples/jackson_network.yaml"))
    >>> choose(plan, "auto", 1000, math.inf), choose(plan, "python", 10**6, math.inf)
    ('python', 'python')
    """
    if engine not in ENGINES:
        raise BlueprintError(f"engine: '{engine}' is not an engine; use one of {', '.join(ENGINES)}")
    asked, fix = "engine", "use engine auto (or python), which runs it on the Python engine"
    if engine == "auto" and os.environ.get("BLUEPRINT_ENGINE"):  # for whatif, explore and compare too
        engine = os.environ["BLUEPRINT_ENGINE"]
        if engine not in ENGINES:
            raise BlueprintError(f"BLUEPRINT_ENGINE: '{engine}' is not an engine; use one of {', '.join(ENGINES)}")
        asked = f"BLUEPRINT_ENGINE={engine}"
        fix = "unset BLUEPRINT_ENGINE (or set it to auto), and auto runs it on the Python engine"
    if engine == "python":
        return engine
    why = covers(plan) or (None if numba_found() else "numba is not installed (pip install numba)")
    if engine == "compiled":
        if why:
            raise BlueprintError(f"{asked}: the compiled engine cannot run this blueprint: {why}; {fix}")
        return engine
    if why or expected_cases(plan, cases, until) * replications < COMPILED_FROM:
        return "python"
    return "compiled"


def numba_found() -> bool:
    try:
        import numba  # noqa: F401 - the compiled engine's one extra dependency
    except ImportError:
        return False
    return True


class CompilingNote(UserWarning):
    """Said once, when the compiled engine is about to be compiled (its first run after installing)."""


def load() -> ModuleType:
    """The compiled loop (:mod:`~blueprint.simulation.loop`): numba is imported here, at the first
    compiled run, and the machine code loaded from its cache (compiled once per installation)."""
    if "blueprint.simulation.loop" not in sys.modules and not is_cached():
        warnings.warn("compiling the simulation engine for this machine: once after installing, "
                      "about half a minute", CompilingNote, stacklevel=2)
    from . import loop  # imports numba: only a compiled run pays for it

    return loop


def is_cached() -> bool:
    """Whether numba's cache holds the compiled loop (True where that cannot be told)."""
    folder = os.environ.get("NUMBA_CACHE_DIR")
    here = Path(__file__).parent
    if folder:
        return any(Path(folder).rglob("loop.advance-*.nbi"))
    if not os.access(here, os.W_OK):  # numba then caches in the user's cache folder
        return True
    return any((here / "__pycache__").glob("loop.advance-*.nbi"))


def _sources(plan: Plan, base: np.random.SeedSequence) -> tuple[np.ndarray, list]:
    """Each stream's constant value (NaN for random) and its maker of blocks (None for a constant)."""
    unit, steps = plan.time_unit, plan.steps
    n = 3 + 3 * len(steps)
    fixed = np.full(n, np.nan)
    makers: list = [None] * n

    def duration(k: int, value, purpose: str) -> None:
        c = constant(value, unit)
        if c is not None:
            fixed[k] = c
        else:
            makers[k] = (purpose, duration_sampler(value, unit))

    def choice(k: int, chances, purpose: str) -> None:
        if len(chances) == 1:
            fixed[k] = 0.0
        else:
            makers[k] = (purpose, choice_sampler(chances))

    kind, value = plan.arrivals
    if kind == "rate":
        makers[cols.ARRIVALS] = ("arrivals", rate_sampler(value))
    elif kind == "every":
        duration(cols.ARRIVALS, value, "arrivals")
    choice(cols.START, plan.entry_chances, "start")
    if plan.patience is not None:
        duration(cols.PATIENCE_STREAM, plan.patience, "patience")
    for s, name in enumerate(steps):
        duration(3 + 3 * s, plan.durations[s], f"duration:{name}")
        if plan.targets[s] and not plan.split[s]:
            choice(4 + 3 * s, plan.chances[s], f"route:{name}")
        if plan.timeout_after[s] is not None:
            duration(5 + 3 * s, plan.timeout_after[s], f"timeout:{name}")
    lazy = [None if m is None else _lazy(base, *m) for m in makers]
    return fixed, lazy


def _lazy(base: np.random.SeedSequence, purpose: str, sampler) -> Callable[[], np.ndarray]:
    """The next block of a stream, as float64 (the generator made at the first block, as the engine's)."""
    source = blocks(base, purpose, sampler)
    return lambda: np.ascontiguousarray(next(source), dtype=np.float64)


def layout(plan: Plan, *, cases: int | None, until: float, record: bool, token: int = 0,
           fixed: np.ndarray | None = None) -> Layout:
    """`plan` as the arrays of :class:`~blueprint.simulation.cols.Layout`."""
    i64 = lambda xs: np.asarray(xs, dtype=np.int64)  # noqa: E731
    f64 = lambda xs: np.asarray(xs, dtype=np.float64)  # noqa: E731
    n_steps = len(plan.steps)
    targets_at = np.zeros(n_steps + 1, dtype=np.int64)
    targets_at[1:] = np.cumsum([len(t) for t in plan.targets])
    contact_steps = [s for s in range(n_steps) if plan.flags[s] & CONTACT]
    contact = np.full(n_steps, -1, dtype=np.int64)
    contact[contact_steps] = np.arange(len(contact_steps))
    hours = [h if h is not None else ([], [], 1.0) for h in plan.hours]
    before = [list(itertools.accumulate((e - a for a, e in zip(h[0], h[1])), initial=0.0)) for h in hours]
    kind, arrivals = plan.arrivals
    joins = [sorted(plan.join_from[s]) if plan.flags[s] & JOIN else [] for s in range(n_steps)]
    return Layout(
        step_team=i64(plan.owner), step_flags=i64(plan.flags),
        step_duration=i64([3 + 3 * s for s in range(n_steps)]),
        step_route=i64([4 + 3 * s if plan.targets[s] and not plan.split[s] else -1 for s in range(n_steps)]),
        targets_at=targets_at, targets=i64([t for ts in plan.targets for t in ts]),
        step_split=i64(plan.split), join_at=i64(np.cumsum([0] + [len(f) for f in joins])),
        join_from=i64([f for fs in joins for f in fs]),
        step_timeout=i64([5 + 3 * s if plan.timeout_after[s] is not None else -1 for s in range(n_steps)]),
        step_timeout_to=i64(plan.timeout_to), step_test=i64(plan.test), step_idle=i64(plan.idle),
        step_outcome=i64(plan.outcome),
        step_ended_as=i64([STATUSES.index(r) if r else -1 for r in plan.results]),
        step_amount=f64(plan.amount or [0.0] * n_steps), step_contact=contact,
        team_staff=f64(plan.capacity), team_touch=i64(plan.touch), team_rate=f64(plan.rate or [0.0] * len(hours)),
        team_hours=i64([h is not None for h in plan.hours]),
        hours_at=i64(np.cumsum([0] + [len(h[0]) for h in hours])),
        hours_starts=f64([a for h in hours for a in h[0]]), hours_ends=f64([e for h in hours for e in h[1]]),
        hours_before=f64([b for bs in before for b in bs[:-1]]),
        team_week=f64([h[2] for h in hours]), team_per_week=f64([bs[-1] for bs in before]),
        entry=i64(plan.entry), constant=fixed if fixed is not None else np.full(3 + 3 * n_steps, np.nan),
        at_times=f64(arrivals if kind == "at" else []),
        settings_i=i64([cases if cases is not None else -1, plan.story, len(plan.outcomes) - 1,
                        cols.BY_TIMES if kind == "at" else cols.BY_GAPS, token, record, _CHECK_EVERY,
                        _TALLY_BLOCK, plan.patience is not None]),
        settings_f=f64([until, plan.retelling]),
    )


def start(lay: Layout, n_teams: int, until: float, record: bool) -> State:
    """The arrays the loop changes, empty: no case yet, every team idle."""
    heap_t, heap_k = np.zeros(_HEAP), np.zeros((_HEAP, 3), dtype=np.int64)
    heap_t[0], heap_k[0] = until, (cols.STOPS, 0, -1)  # the horizon
    branch_i = np.zeros((_SLOTS, BRANCH_INTS), dtype=np.int64)
    branch_i[:, cols.STATE] = GONE
    team_i = np.zeros((n_teams, 8), dtype=np.int64)
    team_i[:, cols.HEAD] = team_i[:, cols.TAIL] = -1
    queue, waits, several = (_free_rows(_QUEUE, 3), _free_rows(_SLOTS, 4), _free_rows(_SLOTS, 2))
    clock_i = np.zeros(CLOCK_INTS, dtype=np.int64)
    clock_i[cols.CHECK_AT], clock_i[cols.HEAP_N] = _CHECK_EVERY, 1
    clock_i[cols.FREE_TOP] = clock_i[cols.BRANCH_TOP] = _SLOTS
    clock_f = np.zeros(CLOCK_FLOATS)
    clock_f[cols.NEXT_ARRIVAL] = INF
    rows = _ROWS if record else 1
    streams = len(lay.constant)
    return State(heap_t=heap_t, heap_k=heap_k, pool=np.zeros(_POOL), ends=np.zeros(streams, dtype=np.int64),
                 starts=np.zeros(streams, dtype=np.int64), room=np.zeros(streams, dtype=np.int64),
                 at=np.zeros(streams, dtype=np.int64),
                 branch_i=branch_i, branch_f=np.zeros((_SLOTS, BRANCH_FLOATS)),
                 branch_free=np.arange(_SLOTS)[::-1].copy(),
                 case_i=np.zeros((_SLOTS, CASE_INTS), dtype=np.int64), case_f=np.zeros((_SLOTS, CASE_FLOATS)),
                 free=np.arange(_SLOTS)[::-1].copy(), waits=waits, several=several,
                 scratch=np.zeros(_SCRATCH, dtype=np.int64),
                 team_i=team_i, team_f=np.zeros((n_teams, 3)), queue=queue,
                 rows_i=np.zeros((rows, 3), dtype=np.int64), rows_f=np.zeros((rows, 3)),
                 ended_i=np.zeros((_TALLY_BLOCK, 6), dtype=np.int64), ended_f=np.zeros((_TALLY_BLOCK, 2)),
                 clock_i=clock_i, clock_f=clock_f, window_busy=np.zeros(n_teams), window_duty=np.zeros(n_teams))


def _free_rows(n: int, width: int) -> np.ndarray:
    """`n` rows of `width` zeros, chained into a free list by their last column (-1 at the end)."""
    rows = np.zeros((n, width), dtype=np.int64)
    rows[:, -1] = np.arange(1, n + 1)
    rows[-1, -1] = -1
    return rows


def _rows(st: State, rows: list) -> None:
    """Move the event rows made so far to `rows`, as the engine's tuples (None for no time)."""
    n = st.clock_i[cols.N_ROWS]
    if n:
        cases, steps, status = st.rows_i[:n].T.tolist()
        reached, started, end = st.rows_f[:n].T.tolist()
        rows.extend(zip(cases, steps, reached, [None if x != x else x for x in started],
                        [None if x != x else x for x in end], status))
        st.clock_i[cols.N_ROWS] = 0


def _ended(st: State, tally: CaseTally) -> None:
    """Hand the block of ended cases to the tally."""
    n = st.clock_i[cols.N_ENDED]
    if n:
        i, f = st.ended_i[:n], st.ended_f[:n]
        tally.add_block(i[:, 0].copy(), i[:, 1].astype(np.int16), f[:, 0].copy(), i[:, 2].astype(np.int32),
                        i[:, 3].astype(np.int32), i[:, 4].astype(np.int32), i[:, 5].astype(np.int32), f[:, 1].copy())
        st.clock_i[cols.N_ENDED] = 0


def run_compiled(plan: Plan, seed: int = 0, rep: int = 0, *, cases: int | None = None, until: float = INF,
                 record: bool = True, progress: Callable[[int, int], None] | None = None,
                 should_stop: Callable[[], bool] | None = None) -> Replication:
    """:func:`~blueprint.simulation.engine.run_replication` on the compiled engine: the same
    arguments, the same result.

    Examples
    --------
    >>> import blueprint as bp
    >>> from blueprint.simulation import prepare, run_replication
    >>> plan = prepare(bp.load("examples/jackson_network.yaml"))
    >>> fast, reference = run_compiled(plan, 3, cases=2000), run_replication(plan, 3, cases=2000)
    >>> fast.time_in_system.tolist() == reference.time_in_system.tolist(), fast.events == reference.events
    (True, True)
    """
    fns = load()
    base = np.random.SeedSequence(seed, spawn_key=(rep,))
    token = next(_TOKENS)
    fixed, makers = _sources(plan, base)
    lay = layout(plan, cases=cases, until=until, record=record, token=token, fixed=fixed)
    st = start(lay, len(plan.teams), until, record)
    lay_s, st_s = fns.layout_struct(lay), fns.state_struct(st)
    tally, rows = CaseTally(len(plan.outcomes)), [] if record else None
    fns.SOURCES[token] = makers
    try:
        st.clock_f[cols.NEXT_ARRIVAL] = fns.next_arrival(lay_s, st_s)
        with without_gc():  # as the engine: the blocks handed over make no reference cycles
            status = _drive(plan, st, lay_s, st_s, fns, tally, rows, progress, should_stop)
        interrupted = status != DONE
    except KeyboardInterrupt:  # as the engine: stop here, keep what was done
        interrupted = True
    finally:
        del fns.SOURCES[token]
    return _finish(lay_s, st_s, fns, st, tally, rows, interrupted)


def _drive(plan: Plan, st: State, lay_s, st_s, fns: ModuleType, tally: CaseTally, rows: list | None,
           progress, should_stop) -> int:
    """Call the loop until it is done (DONE) or asked to stop (NEED_LOOK), doing what it hands back."""
    instant = (-1.0, 0, 0)
    while True:
        status = fns.advance(lay_s, st_s)
        if status == DONE:
            return status
        if status == NEED_FLUSH:
            _ended(st, tally)
        elif status == NEED_ROWS:
            _rows(st, rows)
        elif status == NEED_LOOK:
            instant, stop = _look(plan, st, fns.cases_of(st_s)[2], instant, progress, should_stop)
            if stop:
                return status


def _look(plan: Plan, st: State, branch_i: np.ndarray, instant: tuple, progress,
          should_stop) -> tuple[tuple, bool]:
    """Engine.look_up: report progress, notice a loop that takes no time; True to stop here."""
    t, events, n_cases = st.clock_f[cols.LAST_T], int(st.clock_i[cols.N_EVENTS]), int(st.clock_i[cols.N_CASES])
    instant = look_at_clock(instant, t, events, n_cases)
    if instant is None:
        working = branch_i[branch_i[:, cols.STATE] == WORKING, cols.STEP]
        raise BlueprintError(going_round(plan.steps[s] for s in working.tolist()))
    if progress is not None:
        progress(n_cases, events)
    return instant, bool(should_stop is not None and should_stop())


def _finish(lay_s, st_s, fns: ModuleType, st: State, tally: CaseTally, rows: list | None,
            interrupted: bool) -> Replication:
    """Engine.finish: what the replication produced, the cases still open counted as in progress."""
    horizon = float(st.clock_f[cols.NOW])
    n_teams = len(st.team_i)
    full_busy, full_duty = np.zeros(n_teams), np.zeros(n_teams)
    fns.work_until(lay_s, st_s, horizon, full_busy, full_duty)
    if st.clock_i[cols.WINDOW_SET]:
        window, window_busy, window_duty = float(st.clock_f[cols.WINDOW_T]), st.window_busy, st.window_duty
    else:
        window, window_busy, window_duty = horizon, full_busy, full_duty
    case_i, case_f, branch_i, branch_f = fns.cases_of(st_s)  # as the loop left them (it grows them)
    still = np.nonzero(case_i[:, cols.IN_USE] == 1)[0]
    still = still[np.argsort(case_i[still, cols.NUMBER], kind="stable")]
    if rows is not None:
        _rows(st, rows)
        kept = np.nonzero(np.isin(branch_i[:, cols.STATE], (QUEUED, WORKING, JOINWAIT, STUCK_HERE, IDLE)))[0]
        for b in kept[np.argsort(branch_i[kept, cols.SERIAL], kind="stable")].tolist():
            started = float(branch_f[b, cols.STARTED])
            rows.append((int(case_i[branch_i[b, cols.OF_CASE], cols.NUMBER]), int(branch_i[b, cols.STEP]),
                         float(branch_f[b, cols.REACHED]), None if started != started else started, None,
                         cols.STILL_OPEN))
    _ended(st, tally)
    if len(still):  # the cases still open, in one block (as the engine hands them over)
        i, f = case_i[still], case_f[still]
        counts = (i[:, c].astype(np.int32) for c in (cols.CONTACTS, cols.HANDOFFS, cols.REPEATS, cols.FAILURES))
        tally.add_block(i[:, cols.NUMBER], i[:, cols.OUTCOME_AT].astype(np.int16),
                        f[:, cols.END] - f[:, cols.ARRIVAL], *counts, f[:, cols.COST])
    return Replication(
        arrived=int(st.clock_i[cols.N_CASES]), tally=tally, horizon=horizon, busy_time=full_busy.tolist(),
        duty_time=full_duty.tolist(), window=window, window_busy=list(map(float, window_busy)),
        window_duty=list(map(float, window_duty)), wait_sum=st.team_f[:, cols.WAIT_SUM].tolist(),
        started=st.team_i[:, cols.STARTS].tolist(), max_queue=st.team_i[:, cols.MAX_QUEUE].tolist(),
        events=rows, n_events=int(st.clock_i[cols.N_EVENTS]), interrupted=interrupted)
