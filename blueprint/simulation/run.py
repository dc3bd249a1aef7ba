"""Running a simulation: checking the options, the replications here or elsewhere, progress and Ctrl-C.

:func:`simulate` prepares the plan once, runs each replication through the engine
(:func:`~blueprint.simulation.engine.run_replication`) here, in processes or on a dask cluster
(:func:`blueprint.parallel.map_tasks`, the same result wherever they run), and hands them to a
:class:`~blueprint.simulation.results.SimulationResult`, with the means to make their event rows
again.

**Ctrl-C** (in the main thread, and in the processes of ``jobs``) stops the replications where they
are: the result holds what was simulated up to then and is flagged ``interrupted`` (its JSON says
``"interrupted": true``); replications not begun are left out. A second Ctrl-C (or a
``KeyboardInterrupt`` raised while the event loop runs, where no handler notes the first) stops
the loop at once, again with the cases finished so far.
"""
from __future__ import annotations

import math
import signal
import threading
import time as _time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from ..durations import mean_of, to_unit
from ..errors import BlueprintError
from ..model import Blueprint
from ..parallel import map_tasks, stop_asked
from .compiled import choose, run_compiled
from .engine import run_replication
from .plan import Plan, prepare
from .results import SimulationResult
from .tally import Replication

__all__ = ["simulate", "DEFAULT_CASES", "CtrlC"]

#: Cases per replication when neither ``cases`` nor ``until`` is given.
DEFAULT_CASES = 10_000
#: The event loop of each engine: the same arguments, the same result on the same seed.
_ENGINES = {"python": run_replication, "compiled": run_compiled}
INF = math.inf


class CtrlC:
    """While in effect (a context manager, main thread only), the first Ctrl-C is only noted:
    ``ctrl_c()`` answers True from then on; a second one raises KeyboardInterrupt as usual."""

    def __init__(self) -> None:
        self.pressed = False
        self._previous: Any = None

    def __call__(self) -> bool:
        return self.pressed

    def _note(self, signum, frame) -> None:
        self.pressed = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._note)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _replicate(task: tuple) -> Replication:
    """One replication of ``(plan, seed, rep, cases, until, record, engine)``: a top-level function
    that process pools and dask workers can run (Ctrl-C in a process stops it where it is)."""
    plan, seed, rep, cases, until, record, engine = task
    with CtrlC() as ctrl_c:
        return _ENGINES[engine](plan, seed, rep, cases=cases, until=until, record=record,
                                should_stop=lambda: ctrl_c() or stop_asked())



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


def _here(plan: Plan, tasks: list[tuple], ctrl_c: CtrlC,
          progress: Callable[[int, int | None, float], None] | None, total: int | None) -> list[Replication]:
    """The replications one after the other in this process, reporting progress as they go."""
    clock = _time.perf_counter()
    reps: list[Replication] = []
    done = events = 0

    def report(now_cases: int, n_events: int) -> None:
        if progress is not None:
            progress(done + now_cases, total, (events + n_events) / max(_time.perf_counter() - clock, 1e-9))

    for task in tasks:
        if ctrl_c():
            break
        _, seed, rep, cases, until, record, engine = task
        reps.append(_ENGINES[engine](plan, seed, rep, cases=cases, until=until, record=record,
                                     progress=report if progress else None, should_stop=ctrl_c))
        done, events = done + reps[-1].arrived, events + reps[-1].n_events
        report(0, 0)
        if reps[-1].interrupted:  # Ctrl-C in the loop: the replications not begun are left out
            break
    return reps


def simulate(model: Blueprint, *, cases: int | None = None, until: Any = None, seed: int = 0,
             replications: int = 1, jobs: int = 1, client: Any = None,
             progress: Callable[[int, int | None, float], None] | None = None,
             events: bool = False, engine: str = "auto") -> SimulationResult:
    """Simulate cases flowing through the blueprint's teams.

    Parameters
    ----------
    model : Blueprint
        The service to simulate (see :mod:`blueprint.simulation` for what each key does in time).
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
    engine : {"auto", "python", "compiled"}
        The event loop to run: ``"python"`` the readable one
        (:mod:`~blueprint.simulation.engine`), ``"compiled"`` the same loop compiled by numba
        (:mod:`~blueprint.simulation.compiled`: several times faster; the first run on a machine
        compiles it, once), ``"auto"`` the compiled one when the run is long enough to pay for
        loading it. The same seed gives the same result on either.

    Returns
    -------
    SimulationResult
        ``.to_json()`` is the SPEC's ``simulate`` document; ``.events`` the step visits;
        ``.per_replication`` the flat KPIs of each replication; ``.interrupted`` whether Ctrl-C
        stopped it early (see the module notes).

    Raises
    ------
    BlueprintError
        For a number of cases, replications or jobs below 1, an `until` that is not a time, or
        ``engine="compiled"`` for a blueprint it cannot run.

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
    engine = choose(plan, engine, cases, horizon, replications)
    tasks = [(plan, seed, r, cases, horizon, events, engine) for r in range(replications)]
    with CtrlC() as ctrl_c:
        if client is not None or (jobs > 1 and replications > 1):
            if engine == "compiled" and client is None:  # compiled (or loaded) here once, not in each process
                run_compiled(plan, seed, cases=1, until=horizon, record=False)
            clock = _time.perf_counter()
            reps = map_tasks(_replicate, tasks, jobs=jobs, client=client, should_stop=ctrl_c)
            if progress is not None:
                progress(sum(r.arrived for r in reps), cases * replications if cases is not None else None,
                         sum(r.n_events for r in reps) / max(_time.perf_counter() - clock, 1e-9))
        else:
            reps = _here(plan, tasks, ctrl_c, progress, cases * replications if cases is not None else None)
        interrupted = ctrl_c()
    result = SimulationResult(plan, seed, reps, cases=cases, until=horizon,
                              rerun=partial(_ENGINES[engine], plan, seed, cases=cases, until=horizon, record=True))
    result.interrupted = result.interrupted or interrupted
    return result
