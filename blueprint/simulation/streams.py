"""Random numbers: one named stream per purpose, drawn from numpy in blocks.

Each replication ``r`` of a simulation with seed ``seed`` takes ``SeedSequence(seed,
spawn_key=(r,))`` (the same as ``SeedSequence(seed).spawn(R)[r]``). Each purpose draws from its own
generator, spawned from it with a key made from the purpose's name: ``arrivals``, ``start``,
``patience``, and for each step ``duration:STEP``, ``route:STEP`` and ``timeout:STEP``. So a change
to one team's staff does not shift the arrival stream or another step's draws: a baseline and a
changed model compared on the same seeds see common random numbers.

Nothing here is global: every generator is made from the replication's seed sequence and handed to
the one purpose that draws from it. A purpose's generator is made at the first value asked for,
so a step no case reaches costs nothing; values are drawn in blocks that grow from 64 to 8,192,
and each next value is a C-level ``next`` (no Python frame per draw).

Examples
--------
>>> base = np.random.SeedSequence(7, spawn_key=(0,))
>>> from blueprint.durations import Exponential
>>> one, again = (draws(Exponential(exponential=2.0), "minute", base, "arrivals") for _ in range(2))
>>> [one() for _ in range(3)] == [again() for _ in range(3)]  # the same purpose: the same values
True
>>> choices(["advice", "billing"], [0.0, 1.0], base, "route:triage")(), draws(3, "minute", base, "duration:a")()
('billing', 3.0)
"""
from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from ..durations import Fixed, mean_of, sample

__all__ = ["stream", "blocks", "draws", "choices", "arrival_times", "constant", "duration_sampler",
           "choice_sampler", "rate_sampler"]

_FIRST_BLOCK, _LARGEST_BLOCK = 64, 8192
T = TypeVar("T")


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


def blocks(base: np.random.SeedSequence, purpose: str,
           sampler: Callable[[np.random.Generator, int], np.ndarray]) -> Iterator[np.ndarray]:
    """The blocks of values of one purpose: ``sampler(rng, size)`` with sizes growing from 64 to
    8192 (the generator is made at the first block)."""
    rng = stream(base, purpose)
    size = _FIRST_BLOCK
    while True:
        yield sampler(rng, size)
        size = min(2 * size, _LARGEST_BLOCK)


def _blocks(base: np.random.SeedSequence, purpose: str,
            sampler: Callable[[np.random.Generator, int], np.ndarray]) -> Iterator[Any]:
    """The values of :func:`blocks`, one at a time."""
    return itertools.chain.from_iterable(block.tolist() for block in blocks(base, purpose, sampler))


def constant(duration: Any, unit: str) -> float | None:
    """The value of a duration that is always the same, else ``None``."""
    if duration is None or isinstance(duration, (int, float, str, Fixed)):
        return mean_of(duration, unit)
    return None


def duration_sampler(duration: Any, unit: str) -> Callable[[np.random.Generator, int], np.ndarray]:
    """``sampler(rng, size)``: `size` draws of `duration` in `unit`."""
    return lambda rng, n: sample(duration, rng, n, unit)


def choice_sampler(chances: Sequence[float]) -> Callable[[np.random.Generator, int], np.ndarray]:
    """``sampler(rng, size)``: `size` picks of an index by `chances`."""
    return lambda rng, n: rng.choice(len(chances), n, p=np.asarray(chances))


def draws(duration: Any, unit: str, base: np.random.SeedSequence, purpose: str) -> Callable[[], float]:
    """A function giving the next draw of `duration` (in `unit`), from the purpose's own stream."""
    value = constant(duration, unit)
    if value is not None:
        return itertools.repeat(value).__next__
    return _blocks(base, purpose, duration_sampler(duration, unit)).__next__


def choices(options: Sequence[T], chances: Sequence[float], base: np.random.SeedSequence,
            purpose: str) -> Callable[[], T]:
    """A function giving the next choice among `options` (by `chances`), from the purpose's own stream."""
    if len(options) == 1:
        return itertools.repeat(options[0]).__next__
    return map(tuple(options).__getitem__, _blocks(base, purpose, choice_sampler(chances))).__next__


def arrival_times(arrivals: tuple, unit: str, base: np.random.SeedSequence) -> Iterator[float]:
    """The arrival times of a plan's ``arrivals`` (``("rate", r)``, ``("every", d)``, ``("at", times)``), in order."""
    kind, value = arrivals
    if kind == "at":
        return iter(value)
    if kind == "rate":
        gaps = _blocks(base, "arrivals", rate_sampler(value))
    else:
        gaps = iter(draws(value, unit, base, "arrivals"), None)
    return itertools.accumulate(gaps)


def rate_sampler(rate: float) -> Callable[[np.random.Generator, int], np.ndarray]:
    """``sampler(rng, size)``: `size` gaps between Poisson arrivals at `rate` per time unit."""
    return lambda rng, n: rng.exponential(1.0 / rate, n)
