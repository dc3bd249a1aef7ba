"""Running independent tasks here, in processes, or on a dask.distributed cluster.

Replications of a simulation, the arms of a what-if and the evaluations of explore are
independent tasks; :func:`map_tasks` runs them and gives the results back in order, so the
outcome never depends on where they ran.
"""
from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from .errors import BlueprintError

__all__ = ["map_tasks", "iter_tasks", "connect", "stop_asked"]


def connect(address: str):
    """A ``dask.distributed`` client for a scheduler address (``tcp://host:8786``).

    Raises
    ------
    BlueprintError
        When dask is not installed (``pip install "service-blueprint[dask]"``) or the scheduler cannot be reached.
    """
    try:
        from dask.distributed import Client  # the optional dask extra
    except ImportError:
        raise BlueprintError("--scheduler needs dask.distributed; "
                             "install it with: pip install \"service-blueprint[dask]\"") from None
    try:  # read the address first: a Client made for a bad one lingers and times out later
        from distributed.comm.addressing import parse_address, parse_host_port  # the optional dask extra

        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except (ValueError, TypeError) as exc:  # dask's words for an address it cannot read
        raise BlueprintError(f"--scheduler {address}: not a scheduler address ({exc}); write it like "
                             "tcp://host:8786") from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise BlueprintError(f"--scheduler {address}: cannot reach the dask scheduler ({exc}); "
                             "check the address and that the scheduler runs") from None


#: In a worker process of :func:`map_tasks`: set once the caller has asked the tasks to stop.
_STOP: Any = None


def _worker(stop: Any) -> None:
    """In a worker process: Ctrl-C is the task's to handle (a simulation stops where it is), never
    the pool's (a worker killed between tasks would break the pool)."""
    global _STOP
    _STOP = stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_asked() -> bool:
    """In a task run by :func:`map_tasks` in a process: whether the caller has asked it to stop."""
    return _STOP is not None and _STOP.is_set()


def map_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any] | Iterable[Any], *, jobs: int = 1,
              client: Any = None, should_stop: Callable[[], bool] | None = None) -> list[Any]:
    """``[fn(t) for t in tasks]``, here, in `jobs` processes, or on a dask `client`; in order.

    Parameters
    ----------
    fn : callable
        A module-level function (it is pickled to run elsewhere).
    tasks : sequence
        Its arguments, one per task.
    jobs : int
        Processes to use when there is no client; 1 runs here.
    client : dask.distributed.Client, optional
        Run on this cluster instead.
    should_stop : callable, optional
        Asked while the tasks run; once it answers true, tasks not yet begun are dropped, tasks
        under way are told (:func:`stop_asked`), and the results of the others come back in order.

    Examples
    --------
    >>> map_tasks(abs, [-1, 2, -3])
    [1, 2, 3]
    >>> map_tasks(abs, [-1, 2, -3], jobs=2)
    [1, 2, 3]
    """
    tasks = list(tasks)
    if jobs < 1:
        raise BlueprintError(f"--jobs must be 1 or more, not {jobs}")
    if client is not None:
        futures = client.map(fn, tasks, pure=False)
        return client.gather(futures)
    if jobs == 1 or len(tasks) <= 1:
        out = []
        for t in tasks:
            if should_stop is not None and should_stop():
                break
            out.append(fn(t))
        return out
    stop = multiprocessing.get_context().Event()
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), initializer=_worker, initargs=(stop,)) as pool:
        futures = [pool.submit(fn, t) for t in tasks]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            if pending and should_stop is not None and should_stop():
                stop.set()  # tasks already handed to a process see it (stop_asked), the others are dropped
                for future in pending:
                    future.cancel()
                break
        return [f.result() for f in futures if not f.cancelled()]


def iter_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any] | Iterable[Any], *, jobs: int = 1,
               client: Any = None) -> Iterator[Any]:
    """``fn(t)`` for each of `tasks`, here, in `jobs` processes, or on a dask `client`, yielded in
    order; closing the iterator (``.close()``, or ``contextlib.closing``) drops the tasks not begun.

    For a search that may stop at the first result it is looking for: the processes run ahead of
    the result being read, and once the reader closes the iterator the tasks not yet begun are
    never run (a ``break`` alone leaves it open, and the processes at work, until it is collected).

    Examples
    --------
    >>> from contextlib import closing
    >>> with closing(iter_tasks(abs, [-1, -5, -3, -2], jobs=2)) as results:
    ...     next(r for r in results if r > 2)
    5
    """
    tasks = list(tasks)
    if jobs < 1:
        raise BlueprintError(f"--jobs must be 1 or more, not {jobs}")
    if client is not None:
        futures = client.map(fn, tasks, pure=False)
        try:
            for future in futures:
                yield future.result()
        finally:
            client.cancel(futures)
        return
    if jobs == 1 or len(tasks) <= 1:
        for t in tasks:
            yield fn(t)
        return
    stop = multiprocessing.get_context().Event()
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), initializer=_worker, initargs=(stop,)) as pool:
        futures = [pool.submit(fn, t) for t in tasks]
        try:
            for future in futures:
                yield future.result()
        finally:  # read to the end, or closed early: the tasks not begun are dropped
            for future in futures:
                future.cancel()
