"""What one replication leaves behind, in bounded memory: each case's figures, each team's time.

:class:`CaseTally` takes the figures of each case as it ends (and of the cases still open when the
replication stops): its outcome, its time in the system, its contacts, handoffs and story repeats.
Up to :data:`EXACT_CASES` cases per replication it keeps them **case by case** (about 30 bytes a
case), so the KPIs are exact and the per-case arrays are there to read. Past that it folds them
into running figures: counts per outcome, sums and maxima (exact), and the time in the system's
quantiles from a :class:`Sketch` (a mergeable log-bucket sketch, DDSketch's idea: every quantile
within :data:`Sketch.ALPHA` (0.5%) of the time of a case at that rank). So a simulation of 10^9
cases needs as much memory as one of 10^6, plus the cases still open.

:class:`Replication` is what :func:`blueprint.simulation.engine.run_replication` returns: the
tally, each team's figures and, if asked for, the event rows.

Examples
--------
>>> sketch = Sketch()
>>> sketch.add(np.arange(1.0, 1001.0))
>>> q = sketch.quantile(0.9)
>>> abs(q - 900.1) / 900.1 < 2 * Sketch.ALPHA, sketch.n
(True, 1000)
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["EXACT_CASES", "CaseTally", "Sketch", "Replication"]

#: Cases per replication whose figures are kept one by one (exact quantiles, per-case arrays).
EXACT_CASES = 1_000_000


class Sketch:
    """Quantiles of positive numbers to a relative accuracy, in bounded memory, mergeable.

    Each value ``x > 0`` is counted in bucket ``ceil(log(x) / log(GAMMA))``; a bucket stands for
    the value ``2 GAMMA^i / (GAMMA + 1)``, within ``ALPHA`` of every value counted in it. Zeros are
    counted apart. Two sketches merge by adding their counts.
    """

    ALPHA = 0.005
    GAMMA = (1 + ALPHA) / (1 - ALPHA)
    _LOG_GAMMA = math.log(GAMMA)

    def __init__(self) -> None:
        self.low = 0  # the bucket index of counts[0]
        self.counts = np.zeros(0, dtype=np.int64)
        self.zeros = 0

    @property
    def n(self) -> int:
        return int(self.counts.sum()) + self.zeros

    def _cover(self, low: int, high: int) -> None:
        """Grow the bucket array to hold buckets low..high."""
        if len(self.counts) == 0:
            self.low, self.counts = low, np.zeros(high - low + 1, dtype=np.int64)
            return
        new_low, new_high = min(low, self.low), max(high, self.low + len(self.counts) - 1)
        if (new_low, new_high) != (self.low, self.low + len(self.counts) - 1):
            grown = np.zeros(new_high - new_low + 1, dtype=np.int64)
            grown[self.low - new_low:self.low - new_low + len(self.counts)] = self.counts
            self.low, self.counts = new_low, grown

    def add(self, values: np.ndarray) -> None:
        """Count `values` (non-negative numbers)."""
        positive = values[values > 0]
        self.zeros += len(values) - len(positive)
        if len(positive):
            keys = np.ceil(np.log(positive) / self._LOG_GAMMA).astype(np.int64)
            low = int(keys.min())
            self._cover(low, int(keys.max()))
            self.counts += np.bincount(keys - self.low, minlength=len(self.counts))

    def merge(self, other: Sketch) -> None:
        """Add the counts of `other`."""
        self.zeros += other.zeros
        if len(other.counts):
            self._cover(other.low, other.low + len(other.counts) - 1)
            start = other.low - self.low
            self.counts[start:start + len(other.counts)] += other.counts

    def quantile(self, q: float) -> float | None:
        """The value at rank ``q (n - 1)`` (``None`` for an empty sketch)."""
        n = self.n
        if n == 0:
            return None
        rank = q * (n - 1)
        if rank < self.zeros:
            return 0.0
        i = int(np.searchsorted(np.cumsum(self.counts), rank - self.zeros, side="right"))
        return 2 * self.GAMMA ** (self.low + i) / (self.GAMMA + 1)


class CaseTally:
    """The figures of every case of a replication: one by one up to `exact` cases, then folded.

    :meth:`add` takes case records with ``number``, ``outcome`` (``-1`` for a case still open),
    ``arrival``, ``end``, ``contacts``, ``handoffs``, ``repeats``, ``failures`` and ``cost``.
    """

    def __init__(self, n_outcomes: int, exact: int = EXACT_CASES):
        self.n_outcomes, self.limit = n_outcomes, exact
        self.blocks: list[tuple[np.ndarray, ...]] | None = []  # None once folded
        self.kept = 0
        self.outcomes = np.zeros(n_outcomes, dtype=np.int64)
        self.cases = 0
        self.finished_time = [0, 0.0, -math.inf]  # how many, their sum, the longest
        self.counts = {"contacts": [0, 0], "handoffs": [0, 0], "story_repeats": [0, 0],
                       "failure_contacts": [0, 0]}  # sum, max
        self.cost = 0.0  # the sum over the folded cases
        self.sketch = Sketch()
        self._arrays: dict[str, np.ndarray] | None = None

    @property
    def exact(self) -> bool:
        """Whether every case's figures are kept one by one."""
        return self.blocks is not None

    def add(self, cases: Sequence[Any]) -> None:
        """Take the figures of `cases` (see the class notes)."""
        if not cases:
            return
        self.add_block(np.array([c.number for c in cases], dtype=np.int64),
                       np.array([c.outcome for c in cases], dtype=np.int16),
                       np.array([c.end - c.arrival for c in cases]),  # the same subtraction, in one pass
                       np.array([c.contacts for c in cases], dtype=np.int32),
                       np.array([c.handoffs for c in cases], dtype=np.int32),
                       np.array([c.repeats for c in cases], dtype=np.int32),
                       np.array([c.failures for c in cases], dtype=np.int32),
                       np.array([c.cost for c in cases], dtype=float))

    def add_block(self, number: np.ndarray, outcome: np.ndarray, time: np.ndarray, contacts: np.ndarray,
                  handoffs: np.ndarray, repeats: np.ndarray, failures: np.ndarray, cost: np.ndarray) -> None:
        """Take the figures of a block of cases, one array a figure (``time`` is the time in the
        system, ``inf`` for a case still open)."""
        self._arrays = None
        block = (number, outcome, time, contacts, handoffs, repeats, failures, cost)
        n = len(number)
        if self.blocks is not None and self.kept + n <= self.limit:
            self.blocks.append(block)
            self.kept += n
            return
        if self.blocks is not None:  # past the limit: fold what was kept, and from now on
            kept, self.blocks = self.blocks, None
            for old in kept:
                self._fold(old)
        self._fold(block)

    def _fold(self, block: tuple[np.ndarray, ...]) -> None:
        _, outcome, time, *counts = block
        self.cases += len(outcome)
        ended = outcome >= 0
        self.outcomes += np.bincount(outcome[ended].astype(np.int64), minlength=self.n_outcomes)
        times = time[ended]
        if len(times):
            f = self.finished_time
            f[0] += len(times)
            f[1] += float(times.sum())
            f[2] = max(f[2], float(times.max()))
            self.sketch.add(times)
        for figure, values in zip(self.counts.values(), counts):
            figure[0] += int(values.sum(dtype=np.int64))
            figure[1] = max(figure[1], int(values.max()))
        self.cost += float(counts[-1].sum())

    def per_case(self) -> dict[str, np.ndarray]:
        """Each case's figures in case order (only while :attr:`exact`): ``outcome``, ``contacts``,
        ``handoffs``, ``story_repeats`` for every case, ``time_in_system`` for the finished ones."""
        if self.blocks is None:
            raise ValueError(f"the figures of each case are kept up to {self.limit:,} cases; "
                             "this replication had more: read the pooled KPIs instead")
        if self._arrays is None:
            self._arrays = self._in_case_order()
        return self._arrays

    def _in_case_order(self) -> dict[str, np.ndarray]:
        blocks = self.blocks or []
        if not blocks:
            empty = np.zeros(0, dtype=np.int64)
            return {"outcome": empty, "contacts": empty, "handoffs": empty, "story_repeats": empty,
                    "failure_contacts": empty, "cost": np.zeros(0), "time_in_system": np.zeros(0)}
        number, outcome, time, contacts, handoffs, repeats, failures, cost = (np.concatenate(x) for x in zip(*blocks))
        order = np.argsort(number, kind="stable")
        outcome = outcome[order].astype(np.int64)
        return {"outcome": outcome, "time_in_system": time[order][outcome >= 0],
                "contacts": contacts[order].astype(np.int64), "handoffs": handoffs[order].astype(np.int64),
                "story_repeats": repeats[order].astype(np.int64),
                "failure_contacts": failures[order].astype(np.int64), "cost": cost[order]}


@dataclass
class Replication:
    """What one replication produced: its cases' figures, each team's time, and the event rows.

    ``tally`` holds the cases' figures (:class:`CaseTally`; per case, in ``outcome`` (an index into
    the plan's outcomes, -1 for in progress), ``contacts``, ``handoffs``, ``story_repeats`` and,
    for the finished cases, ``time_in_system``, while it is exact). Team lists are indexed by team
    number; ``busy_time`` is the staff time spent working up to the ``horizon``, ``duty_time`` the
    part of it within the team's hours (the rest is overtime). ``window`` is the time cases arrive
    (up to the last arrival, or to ``until``), and ``window_busy``, ``window_duty`` the same two
    figures up to then. ``events`` holds raw rows ``(case, step number, enqueue, start, end,
    status code)`` with case numbers from 0 within the replication, or ``None`` when rows were not
    kept. ``interrupted`` says the replication was stopped early (Ctrl-C) at ``horizon``.
    """

    arrived: int
    tally: CaseTally
    horizon: float
    busy_time: list[float]
    duty_time: list[float]
    window: float
    window_busy: list[float]
    window_duty: list[float]
    wait_sum: list[float]
    started: list[int]
    max_queue: list[int]
    events: list[tuple] | None
    n_events: int
    interrupted: bool = False

    def _case(self, name: str) -> np.ndarray:
        return self.tally.per_case()[name]

    @property
    def outcome(self) -> np.ndarray:
        return self._case("outcome")

    @property
    def time_in_system(self) -> np.ndarray:
        return self._case("time_in_system")

    @property
    def contacts(self) -> np.ndarray:
        return self._case("contacts")

    @property
    def handoffs(self) -> np.ndarray:
        return self._case("handoffs")

    @property
    def story_repeats(self) -> np.ndarray:
        return self._case("story_repeats")
