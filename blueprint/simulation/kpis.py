"""The KPIs of a simulation: pooled over replications, and their intervals across replications.

* ``cases``: how many arrived, finished (an outcome, ``abandoned`` included) and are still
  ``in_progress`` (arrived = finished + in_progress), and how many ended at each outcome; with
  several replications these are totals.
* ``time_in_system``: from arrival to the outcome, over the finished cases.
* ``cost`` (when the blueprint gives costs): ``mean`` per case and ``total`` over all cases: the
  amounts of the steps reached, each team's rate times the time its staff worked on the case, a
  repeated story's ``retelling`` time included (:mod:`blueprint.chain.costs` gives the exact figure);
* ``failure_contacts``: contacts made at a contact step the case had already been at, or after it
  passed a fail point (:mod:`blueprint.chain.costs` defines them), per case;
* ``contacts``, ``handoffs``, ``story_repeats``: per case, over every case that arrived (what had
  happened to it by the end, for one still in progress).
* ``teams``: per team, ``utilization`` (the staff time it spent working while on duty, over its
  staff time on duty: ``staff`` times its open ``hours``, or all the time without hours; never
  above 1; ``null`` for a team without a staff limit or with nobody), ``overtime`` (work carried
  on after closing time, which a team with hours finishes once begun, in the same measure: 0.05 is
  5% on top of its time on duty), ``mean_wait`` (queueing before work started, over the visits it
  started on), ``max_queue`` (most cases waiting at once), and ``mean_busy`` (how many cases it
  worked on at once, on average).

Team utilisation, overtime and ``mean_busy`` are over **the time cases arrive**: from time 0 to
the last arrival, or to ``until`` when it is given. The drain after the last arrival (the cases
still queued and worked on once no more come) is not counted: a team winding down would look
idle, and an overloaded one busy for longer than cases arrive. (When every case arrives at once,
at time 0, the figures are over the whole run instead.) ``mean_wait`` and ``max_queue`` count
every case.

Several replications pool every case (and every team's time); :func:`ci95` gives, for each average
KPI, the 95% Student-t interval across the replications' own values (``null`` with one
replication); for ``cases.by_outcome.*`` the interval is of the total over all replications.

Up to :data:`~blueprint.simulation.tally.EXACT_CASES` cases per replication every figure is exact.
Past that, the time in system's mean and maximum, and every count, stay exact; its ``p50``,
``p90`` and ``p95`` come from the tally's sketch, each within 0.5% of the time of a case at that
rank (:class:`~blueprint.simulation.tally.Sketch`).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import stdtrit

from .duty import on_duty_time
from .plan import Plan
from .tally import Replication, Sketch

__all__ = ["kpis", "ci95"]

INF = math.inf
_QUANTILES = (("p50", 50), ("p90", 90), ("p95", 95))
_PER_CASE = ("contacts", "handoffs", "story_repeats", "failure_contacts")


def _time_in_system(reps: list[Replication]) -> dict[str, float | None]:
    """Mean, quantiles and maximum of the finished cases' times: exact while every tally is."""
    if all(r.tally.exact for r in reps):
        times = np.concatenate([r.time_in_system for r in reps])
        if not len(times):
            return {"mean": None, **{q: None for q, _ in _QUANTILES}, "max": None}
        out = {"mean": float(times.mean())}
        out.update(zip([q for q, _ in _QUANTILES], np.percentile(times, [p for _, p in _QUANTILES]).tolist()))
        out["max"] = float(times.max())
        return out
    sketch, n, total, longest = Sketch(), 0, 0.0, -INF
    for r in reps:
        tally = r.tally
        if tally.exact:
            times = r.time_in_system
            sketch.add(times)
            n, total = n + len(times), total + float(times.sum())
            if len(times):
                longest = max(longest, float(times.max()))
        else:
            sketch.merge(tally.sketch)
            count, added, top = tally.finished_time
            n, total, longest = n + count, total + added, max(longest, top)
    if not n:
        return {"mean": None, **{q: None for q, _ in _QUANTILES}, "max": None}
    return {"mean": total / n, **{q: sketch.quantile(p / 100) for q, p in _QUANTILES}, "max": longest}


def _per_case(reps: list[Replication], name: str) -> dict[str, Any]:
    """Mean and maximum of a count per case, over every case (sums of whole numbers: exact)."""
    total = most = n = 0
    for r in reps:
        tally = r.tally
        if tally.exact:
            values = r.tally.per_case()[name]
            if len(values):
                total, most, n = total + int(values.sum()), max(most, int(values.max())), n + len(values)
        else:
            figure = tally.counts[name]
            total, most, n = total + figure[0], max(most, figure[1]), n + tally.cases
    return {"mean": total / n if n else None, "max": most if n else None}


def _cost(reps: list[Replication]) -> dict[str, Any]:
    """The cost per case (over every case that arrived) and of all of them."""
    total, n = 0.0, 0
    for r in reps:
        if r.tally.exact:
            values = r.tally.per_case()["cost"]
            total, n = total + float(values.sum()), n + len(values)
        else:
            total, n = total + r.tally.cost, n + r.tally.cases
    return {"mean": total / n if n else None, "total": total}


def _outcome_counts(plan: Plan, reps: list[Replication]) -> np.ndarray:
    counts = np.zeros(len(plan.outcomes), dtype=np.int64)
    for r in reps:
        if r.tally.exact:
            outcome = r.outcome
            counts += np.bincount(outcome[outcome >= 0], minlength=len(plan.outcomes))
        else:
            counts += r.tally.outcomes
    return counts


def _team(plan: Plan, j: int, reps: list[Replication]) -> dict:
    """One team's figures over the time cases arrive (the whole run where that has no time on duty)."""
    staff, hours = plan.capacity[j], plan.hours[j]
    on_duty = sum(on_duty_time(hours, r.window) for r in reps)
    if on_duty > 0:
        busy, duty, span = (sum(r.window_busy[j] for r in reps), sum(r.window_duty[j] for r in reps),
                            sum(r.window for r in reps))
    else:
        busy, duty, span = (sum(r.busy_time[j] for r in reps), sum(r.duty_time[j] for r in reps),
                            sum(r.horizon for r in reps))
        on_duty = sum(on_duty_time(hours, r.horizon) for r in reps)
    limited = 0 < staff < INF and on_duty > 0
    started = sum(r.started[j] for r in reps)
    return {
        "utilization": min(duty / (staff * on_duty), 1.0) if limited else None,  # min: rounding only
        "overtime": max(busy - duty, 0.0) / (staff * on_duty) if limited else None,
        "mean_wait": sum(r.wait_sum[j] for r in reps) / started if started else None,
        "max_queue": max(r.max_queue[j] for r in reps),
        "mean_busy": busy / span if span > 0 else None,
    }


def kpis(plan: Plan, reps: list[Replication]) -> dict:
    """The KPIs of the replications `reps` pooled: every case, every team's time.

    Examples
    --------
    >>> import blueprint as bp
    >>> from blueprint.simulation import prepare, run_replication
    >>> plan = prepare(bp.loads("steps: {a: {lane: customer, duration: 2}, b: {outcome: success}}\\n"
    ...                         "flows: [[a, b]]\\narrivals: {every: 5}"))
    >>> kpis(plan, [run_replication(plan, cases=4)])["time_in_system"]
    {'mean': 2.0, 'p50': 2.0, 'p90': 2.0, 'p95': 2.0, 'max': 2.0}
    """
    counts = _outcome_counts(plan, reps)
    arrived = sum(r.arrived for r in reps)
    finished = int(counts.sum())
    return {
        "cases": {"arrived": arrived, "finished": finished, "in_progress": arrived - finished,
                  "by_outcome": dict(zip(plan.outcomes, counts.tolist()))},
        "time_in_system": _time_in_system(reps),
        **{name: _per_case(reps, name) for name in _PER_CASE},
        **({"cost": _cost(reps)} if plan.costs else {}),
        "teams": {team: _team(plan, j, reps) for j, team in enumerate(plan.teams)},
    }


def _has_interval(key: str) -> bool:
    return key.startswith("cases.by_outcome.") or key == "cost.total" or key.rsplit(".", 1)[-1] in (
        "mean", "p50", "p90", "p95", "utilization", "overtime", "mean_wait", "mean_busy")


def ci95(per_replication: list[dict[str, Any]]) -> dict[str, list[float] | None]:
    """95% Student-t intervals across replications for the average KPIs (``None`` with one
    replication, or where a replication has no value); for outcome counts, of the total.

    Examples
    --------
    >>> ci95([{"contacts.mean": 1.0, "contacts.max": 3}, {"contacts.mean": 3.0, "contacts.max": 4}])
    {'contacts.mean': [-10.70620473617469..., 14.70620473617469...]}
    >>> ci95([{"contacts.mean": 1.0}])
    {'contacts.mean': None}
    """
    n = len(per_replication)
    keys = [k for k in per_replication[0] if _has_interval(k)] if per_replication else []
    if n < 2:
        return {k: None for k in keys}
    factor = float(stdtrit(n - 1, 0.975)) / math.sqrt(n)  # Student t's 97.5% point
    out: dict[str, list[float] | None] = {}
    for key in keys:
        values = [p.get(key) for p in per_replication]
        if any(v is None for v in values):
            out[key] = None
            continue
        a = np.asarray(values, dtype=float)
        mean, half = float(a.mean()), float(a.std(ddof=1)) * factor
        scale = n if key.startswith("cases.by_outcome.") or key == "cost.total" else 1
        out[key] = [(mean - half) * scale, (mean + half) * scale]
    return out
