"""What a simulation reports: KPIs pooled over replications, the SPEC's JSON, a readable table.

:class:`SimulationResult` is what :func:`blueprint.simulate` returns. Its KPIs:

* ``cases``: how many arrived, finished (an outcome, ``abandoned`` included) and are still
  ``in_progress`` (arrived = finished + in_progress), and how many ended at each outcome; with
  several replications these are totals.
* ``time_in_system``: from arrival to the outcome, over the finished cases.
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

Several replications pool every case (and every team's time); ``ci95`` gives, for each average
KPI, the 95% Student-t interval across the replications' own values (``null`` with one
replication); for ``cases.by_outcome.*`` the interval is of the total over all replications.
:attr:`SimulationResult.per_replication` has each replication's KPIs under flat keys that follow
the JSON (``"time_in_system.p90"``, ``"teams.desk.utilization"``), the input of paired what-if
comparisons.
"""
from __future__ import annotations

import math
from functools import cached_property
from typing import Any, Optional

import numpy as np

from .eventlog import Event, write_events
from .kpis import flatten
from .simulation import INF, STATUSES, Plan, Replication, _duty_clock, run_replication
from .tables import simulation_table

__all__ = ["SimulationResult", "kpis", "ci95", "on_duty_time"]

_QUANTILES = (("p50", 50), ("p90", 90), ("p95", 95))


def _number(x) -> Optional[float]:
    return None if x is None else float(x)


def _per_case(values: np.ndarray) -> dict:
    return {"mean": float(values.mean()) if len(values) else None,
            "max": int(values.max()) if len(values) else None}


def on_duty_time(hours: Optional[tuple], horizon: float) -> float:
    """How long a team works between time 0 (Monday 00:00) and `horizon`, by its hours.

    Examples
    --------
    >>> from blueprint.simulation import _hours_in
    >>> from blueprint.hours import parse_hours
    >>> office = _hours_in(parse_hours("Mon-Fri 09:00-17:00"), "hour")
    >>> on_duty_time(office, 24 * 7), on_duty_time(office, 24 * 7 + 10), on_duty_time(None, 30.0)
    (40.0, 41.0, 30.0)
    """
    clock = _duty_clock(hours)
    return horizon if clock is None else clock(horizon)


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
    counts = np.zeros(len(plan.outcomes), dtype=np.int64)
    for r in reps:
        ended = r.outcome[r.outcome >= 0]
        counts += np.bincount(ended, minlength=len(plan.outcomes))
    arrived = sum(r.arrived for r in reps)
    finished = int(counts.sum())
    times = np.concatenate([r.time_in_system for r in reps])
    if len(times):
        time_in_system = {"mean": float(times.mean())}
        time_in_system.update(zip([q for q, _ in _QUANTILES],
                                  np.percentile(times, [p for _, p in _QUANTILES]).tolist()))
        time_in_system["max"] = float(times.max())
    else:
        time_in_system = {"mean": None, **{q: None for q, _ in _QUANTILES}, "max": None}
    teams = {team: _team(plan, j, reps) for j, team in enumerate(plan.teams)}
    return {
        "cases": {"arrived": arrived, "finished": finished, "in_progress": arrived - finished,
                  "by_outcome": dict(zip(plan.outcomes, counts.tolist()))},
        "time_in_system": time_in_system,
        "contacts": _per_case(np.concatenate([r.contacts for r in reps])),
        "handoffs": _per_case(np.concatenate([r.handoffs for r in reps])),
        "story_repeats": _per_case(np.concatenate([r.story_repeats for r in reps])),
        "teams": teams,
    }


def _has_interval(key: str) -> bool:
    return key.startswith("cases.by_outcome.") or key.rsplit(".", 1)[-1] in (
        "mean", "p50", "p90", "p95", "utilization", "overtime", "mean_wait", "mean_busy")


def ci95(per_replication: list[dict[str, Any]]) -> dict[str, Optional[list[float]]]:
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
    from scipy.stats import t as student

    factor = float(student.ppf(0.975, n - 1)) / math.sqrt(n)
    out: dict[str, Optional[list[float]]] = {}
    for key in keys:
        values = [p.get(key) for p in per_replication]
        if any(v is None for v in values):
            out[key] = None
            continue
        a = np.asarray(values, dtype=float)
        mean, half = float(a.mean()), float(a.std(ddof=1)) * factor
        scale = n if key.startswith("cases.by_outcome.") else 1
        out[key] = [(mean - half) * scale, (mean + half) * scale]
    return out


class SimulationResult:
    """The result of :func:`blueprint.simulate`.

    Attributes
    ----------
    seed, replications : int
    time_unit : str
    per_replication : list of dict
        Each replication's KPIs under flat keys (``"time_in_system.mean"``...); a KPI without a
        value in a replication (no case finished, a team without a limit) is left out.
    events : list of Event
        One row per step visit of every replication (case numbers run on from one replication to
        the next), ordered by case and time. Unless the simulation kept them (``events=True``),
        the first read simulates the replications again, with the same seeds, to make them.
    """

    def __init__(self, plan: Plan, seed: int, replications: list[Replication], *,
                 cases: Optional[int] = None, until: float = INF):
        self.plan = plan
        self.seed = seed
        self.runs = replications
        self.cases, self.until = cases, until
        self.time_unit = plan.time_unit
        self.replications = len(replications)

    @cached_property
    def _pooled(self) -> dict:
        return kpis(self.plan, self.runs)

    @cached_property
    def per_replication(self) -> list[dict[str, Any]]:
        return [flatten(kpis(self.plan, [r])) for r in self.runs]

    def to_json(self) -> dict:
        """The SPEC's ``simulate`` document."""
        doc = {"time_unit": self.time_unit, "seed": self.seed, "replications": self.replications}
        doc.update(self._pooled)
        doc["ci95"] = ci95(self.per_replication)
        return doc

    def flat(self) -> dict[str, Any]:
        """The pooled KPIs under flat keys, as in :attr:`per_replication`."""
        return flatten(self._pooled)

    def __getitem__(self, key: str) -> Any:
        """A pooled KPI by its flat key: ``result["time_in_system.p90"]`` (``None`` where it has no
        value, as the time in system when no case finished)."""
        value: Any = self._pooled
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                from .errors import BlueprintError, did_you_mean

                raise BlueprintError(f"no KPI '{key}'{did_you_mean(key, list(self.flat()))}")
            value = value[part]
        if isinstance(value, dict):
            from .errors import BlueprintError

            raise BlueprintError(f"'{key}' is a group of KPIs; name one: {', '.join(f'{key}.{k}' for k in value)}")
        return value

    @cached_property
    def events(self) -> list[Event]:
        plan = self.plan
        team_of = [plan.teams[o] if o >= 0 else None for o in plan.owner]
        out: list[Event] = []
        first = 1
        for i, r in enumerate(self.runs):
            if r.events is None:  # not kept: the same seeds make the same rows again
                r = run_replication(plan, self.seed, i, cases=self.cases, until=self.until, record=True)
            for c, s, enq, start, end, status in sorted(r.events, key=lambda row: (row[0], row[2])):
                out.append(Event(first + c, plan.steps[s], team_of[s], plan.lanes[s], enq, start, end,
                                 STATUSES[status]))
            first += r.arrived
        return out

    def write_events(self, path) -> None:
        """Write :attr:`events` as CSV, JSONL or XES (by the extension of `path`), atomically."""
        write_events(self.events, path, self.time_unit)

    def __repr__(self) -> str:
        c = self._pooled["cases"]
        return (f"<SimulationResult {c['arrived']} cases, {self.replications} replication"
                f"{'s' if self.replications != 1 else ''}, seed {self.seed}>")

    def __str__(self) -> str:
        return self.text()

    def text(self, names: Optional[dict[str, str]] = None) -> str:
        """A readable table of the KPIs; `names` gives team names for team ids."""
        doc = self.to_json()
        names = names or {}
        c, unit, ci = doc["cases"], doc["time_unit"], doc["ci95"]
        lines = [f"{c['arrived']:,} cases, {self.replications} replication{'s' if self.replications != 1 else ''}, "
                 f"seed {self.seed}; times in {unit}s", "",
                 f"cases        arrived {c['arrived']:,}   finished {c['finished']:,}   "
                 f"in progress {c['in_progress']:,}"]
        if c["by_outcome"]:
            lines.append("outcomes     " + "   ".join(
                f"{k} {n:,} ({n / c['arrived']:.1%})" if c["arrived"] else f"{k} {n}"
                for k, n in c["by_outcome"].items()))
        lines += ["", f"{'':<16}{'mean':>10}{'p50':>10}{'p90':>10}{'p95':>10}{'max':>10}   95% CI of the mean"]
        t = doc["time_in_system"]
        lines.append(f"{'time in system':<16}" + "".join(_cell(t[k]) for k in ("mean", "p50", "p90", "p95", "max"))
                     + _interval(ci.get("time_in_system.mean")))
        for key, label in (("contacts", "contacts"), ("handoffs", "handoffs"), ("story_repeats", "story repeats")):
            lines.append(f"{label:<16}{_cell(doc[key]['mean'])}{'':>30}{_cell(doc[key]['max'])}"
                         + _interval(ci.get(f"{key}.mean")))
        if doc["teams"]:
            lines += ["", f"{'team':<24}{'utilization':>12}{'mean wait':>12}{'max queue':>12}{'busy':>10}"]
            for team, k in doc["teams"].items():
                use = f"{k['utilization']:.1%}" if k["utilization"] is not None else "no limit"
                lines.append(f"{names.get(team, team)[:23]:<24}{use:>12}{_cell(k['mean_wait'], 12)}"
                             f"{k['max_queue']:>12,}{_cell(k['mean_busy'])}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The KPIs as tables (Jupyter shows them)."""
        return simulation_table(self.to_json())


def _cell(x, width: int = 10) -> str:
    if x is None:
        return f"{'-':>{width}}"
    if isinstance(x, int):
        return f"{x:>{width},}"
    return f"{x:>{width},.3g}" if abs(x) < 1000 else f"{x:>{width},.0f}"


def _interval(pair) -> str:
    return f"   [{pair[0]:.4g}, {pair[1]:.4g}]" if pair else ""
