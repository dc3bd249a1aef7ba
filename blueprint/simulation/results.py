"""What :func:`blueprint.simulate` returns: the pooled KPIs, the SPEC's JSON, a readable table, event rows.

:class:`SimulationResult` holds the replications (:class:`~blueprint.simulation.tally.Replication`)
and the plan they ran; its KPIs are :func:`blueprint.simulation.kpis.kpis` of them (see that module
for what each one means), its ``ci95`` the intervals across replications.
:attr:`SimulationResult.per_replication` has each replication's KPIs under flat keys that follow
the JSON (``"time_in_system.p90"``, ``"teams.desk.utilization"``), the input of paired what-if
comparisons. The result does not run the simulation itself: when event rows were not kept, the
function that made the replications is handed to it (``rerun``) to make them again on demand.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from ..errors import BlueprintError, did_you_mean
from ..eventlog import Event, write_events
from ..numbers import cell
from ..requirements import flatten
from ..tables import simulation_table
from .kpis import ci95, kpis
from .parts import STATUSES
from .plan import Plan
from .tally import Replication

__all__ = ["SimulationResult"]

INF = float("inf")


class SimulationResult:
    """The result of :func:`blueprint.simulate`.

    Attributes
    ----------
    seed, replications : int
    time_unit : str
    interrupted : bool
        The simulation was stopped early (Ctrl-C): the KPIs are those of what was simulated.
    per_replication : list of dict
        Each replication's KPIs under flat keys (``"time_in_system.mean"``...); a KPI without a
        value in a replication (no case finished, a team without a limit) is left out.
    events : list of Event
        One row per step visit of every replication (case numbers run on from one replication to
        the next), ordered by case and time. Unless the simulation kept them (``events=True``),
        the first read simulates the replications again, with the same seeds, to make them.
    """

    def __init__(self, plan: Plan, seed: int, replications: list[Replication], *,
                 cases: int | None = None, until: float = INF,
                 rerun: Callable[[int], Replication] | None = None):
        self.plan = plan
        self.seed = seed
        self.runs = replications
        self.cases, self.until = cases, until
        self.time_unit = plan.time_unit
        self.replications = len(replications)
        self.interrupted = any(r.interrupted for r in replications)
        self._rerun = rerun

    @cached_property
    def _pooled(self) -> dict:
        return kpis(self.plan, self.runs)

    @cached_property
    def per_replication(self) -> list[dict[str, Any]]:
        if len(self.runs) == 1:  # one replication: its KPIs are the pooled ones, worked out once
            return [flatten(self._pooled)]
        return [flatten(kpis(self.plan, [r])) for r in self.runs]

    def to_json(self) -> dict:
        """The SPEC's ``simulate`` document (with ``"interrupted": true`` when stopped early)."""
        doc = {"time_unit": self.time_unit, "seed": self.seed, "replications": self.replications}
        doc.update(self._pooled)
        doc["ci95"] = ci95(self.per_replication)
        if self.interrupted:
            doc["interrupted"] = True
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
                raise BlueprintError(f"no KPI '{key}'{did_you_mean(key, list(self.flat()))}")
            value = value[part]
        if isinstance(value, dict):
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
                if self._rerun is None or r.interrupted:
                    raise BlueprintError("this simulation kept no event rows (and was interrupted, or cannot "
                                         "run again); simulate with events=True to keep them")
                r = self._rerun(i)
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
                f"{'s' if self.replications != 1 else ''}, seed {self.seed}"
                f"{', interrupted' if self.interrupted else ''}>")

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self, names: dict[str, str] | None = None) -> str:
        """A readable table of the KPIs; `names` gives team names for team ids."""
        doc = self.to_json()
        names = names or {}
        c, unit, ci = doc["cases"], doc["time_unit"], doc["ci95"]
        lines = [f"{c['arrived']:,} cases, {self.replications} replication{'s' if self.replications != 1 else ''}, "
                 f"seed {self.seed}; times in {unit}s"
                 + ("; INTERRUPTED: the figures are of what was simulated until then" if self.interrupted else ""),
                 "", f"cases        arrived {c['arrived']:,}   finished {c['finished']:,}   "
                 f"in progress {c['in_progress']:,}"]
        if c["by_outcome"]:
            lines.append("outcomes     " + "   ".join(
                f"{k} {n:,} ({n / c['arrived']:.1%})" if c["arrived"] else f"{k} {n}"
                for k, n in c["by_outcome"].items()))
        lines += ["", f"{'':<16}{'mean':>10}{'p50':>10}{'p90':>10}{'p95':>10}{'max':>10}   95% CI of the mean"]
        t = doc["time_in_system"]
        lines.append(f"{'time in system':<16}" + "".join(cell(t[k]) for k in ("mean", "p50", "p90", "p95", "max"))
                     + _interval(ci.get("time_in_system.mean")))
        for key, label in (("contacts", "contacts"), ("failure_contacts", "  of them failure"),
                           ("handoffs", "handoffs"), ("story_repeats", "story repeats")):
            lines.append(f"{label:<16}{cell(doc[key]['mean'])}{'':>30}{cell(doc[key]['max'])}"
                         + _interval(ci.get(f"{key}.mean")))
        if "cost" in doc:
            lines.append(f"{'cost per case':<16}{cell(doc['cost']['mean'])}{'':>40}" + _interval(ci.get("cost.mean")))
            total, pair = doc["cost"]["total"], ci.get("cost.total")
            interval = f"  (95% CI [{pair[0]:,.0f}, {pair[1]:,.0f}])" if pair else ""
            lines.append(f"cost of all cases: {total:,.0f}" + interval)
        if doc["teams"]:
            lines += ["", f"{'team':<24}{'utilization':>12}{'mean wait':>12}{'max queue':>12}{'busy':>10}"]
            for team, k in doc["teams"].items():
                use = f"{k['utilization']:.1%}" if k["utilization"] is not None else "no limit"
                lines.append(f"{names.get(team, team)[:23]:<24}{use:>12}{cell(k['mean_wait'], 12)}"
                             f"{k['max_queue']:>12,}{cell(k['mean_busy'])}")
        return "\n".join(lines)


    def _repr_html_(self) -> str:
        """The KPIs as tables (Jupyter shows them)."""
        return simulation_table(self.to_json())


def _interval(pair) -> str:
    return f"   [{pair[0]:.4g}, {pair[1]:.4g}]" if pair else ""
