"""What-if: the baseline and a changed blueprint simulated on common random numbers.

Both arms run the same replications with the same seeds, so the same customers arrive at the same
times and each step draws the same durations and branches: what differs between the arms is
what the change did. The delta of each KPI gets a paired 95% interval from the per-replication
differences (Student t), narrow where the change does little.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .checker import check
from .errors import BlueprintError
from .loader import parse_value
from .model import Blueprint
from .requirements import flatten
from .simulation import simulate
from .tables import comparison_table

__all__ = ["whatif", "WhatIf", "paired", "paired_interval", "parse_changes"]

#: The KPIs a what-if table shows first, in this order; the JSON holds every KPI.
HEADLINE = ("time_in_system.mean", "time_in_system.p90", "contacts.mean", "failure_contacts.mean", "handoffs.mean",
            "story_repeats.mean", "cost.mean", "cost.total", "cases.finished", "cases.in_progress")


def paired_interval(differences: Sequence[float], level: float = 0.95) -> tuple[float, list[float] | None]:
    """The mean of paired differences and its Student-t interval (``None`` with one pair).

    Examples
    --------
    >>> mean, (low, high) = paired_interval([1.0, 2.0, 3.0])
    >>> mean, round(low, 3), round(high, 3)
    (2.0, -0.484, 4.484)
    >>> paired_interval([5.0])
    (5.0, None)
    """
    from scipy import stats as st

    values = np.asarray([d for d in differences if d is not None and math.isfinite(d)], dtype=float)
    if len(values) == 0:
        return float("nan"), None
    mean = float(values.mean())
    if len(values) < 2:
        return mean, None
    half = float(st.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values)))
    return mean, [mean - half, mean + half]


def parse_changes(pairs: Sequence[str] | Mapping[str, Any]) -> dict[str, Any]:
    """``["teams.store.staff=4", "teams.*.systems=[crm]"]`` as ``{path: value}`` (values read as YAML).

    Examples
    --------
    >>> parse_changes(["teams.store.staff=4", "flows[a->b].p=0.9"])
    {'teams.store.staff': 4, 'flows[a->b].p': 0.9}
    """
    if isinstance(pairs, Mapping):
        return dict(pairs)
    out = {}
    for pair in pairs:
        path, sep, value = pair.partition("=")
        if not sep or not path.strip():
            raise BlueprintError(f"--set takes PATH=VALUE, like teams.store.staff=4, not '{pair}'")
        out[path.strip()] = parse_value(value.strip())
    return out


@dataclass
class WhatIf:
    """The answer to a what-if question: both arms, the changes, and each KPI's delta."""

    baseline: Any
    scenario: Any
    changes: dict[str, Any] | list[str]
    delta: dict[str, dict[str, Any]]
    findings: dict[str, list[dict]] = field(default_factory=dict)
    question: str | None = None

    def to_json(self) -> dict:
        """The SPEC's ``whatif`` document (plus the findings that appear or are resolved)."""
        changes = ([f"{k}={_show(v)}" for k, v in self.changes.items()] if isinstance(self.changes, dict)
                   else list(self.changes))
        return {"baseline": self.baseline.to_json(), "scenario": self.scenario.to_json(),
                "changes": changes, "delta": self.delta, "findings": self.findings}

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self) -> str:
        """A consultant's slide: each KPI, baseline, scenario, change, interval, significance."""
        base, scen = flatten(self.baseline.to_json()), flatten(self.scenario.to_json())
        unit = self.baseline.to_json().get("time_unit", "")
        keys = [k for k in HEADLINE if k in self.delta] + sorted(
            k for k in self.delta if k not in HEADLINE and (k.startswith("teams.") and k.endswith("utilization")
                                                          or k.startswith("cases.by_outcome.")))
        rows = [("KPI", "baseline", "scenario", "change", "95% interval", "")]
        for key in keys:
            d = self.delta[key]
            interval = f"[{_num(d['ci95'][0])}, {_num(d['ci95'][1])}]" if d["ci95"] else "n/a"
            mark = "significant" if d.get("significant") else ""
            rows.append((key, _num(base.get(key)), _num(scen.get(key)), _num(float(d['value']), "+"), interval, mark))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        question = self.question or f"What if {', '.join(f'{k} = {_show(v)}' for k, v in self.changes.items())}?"
        lines = [question,
                 f"(times in {unit}s; paired over {self.baseline.to_json().get('replications')} replications "
                 "on common random numbers)", ""]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
        for kind, title in (("appeared", "New findings"), ("resolved", "Findings resolved")):
            if self.findings.get(kind):
                lines += ["", f"{title}:"] + [f"  [{f['rule']}] {f['message']}" for f in self.findings[kind]]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Each KPI before and after with its paired interval, as a table (Jupyter shows it)."""
        return comparison_table(self.to_json())


def _num(x: Any, sign: str = "") -> str:
    """A figure for the table: 4 significant digits, large ones whole with thousands separators."""
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:{sign},.0f}" if abs(x) >= 1e4 else f"{x:{sign}.4g}"
    return str(x)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def whatif(model: Blueprint, changes: Mapping[str, Any] | Sequence[str], *, cases: int = 10_000,
           replications: int = 10, seed: int = 0, jobs: int = 1, client: Any = None,
           until: Any = None) -> WhatIf:
    """Simulate the blueprint as it is and with `changes`, on common random numbers.

    Parameters
    ----------
    model : Blueprint
        The baseline.
    changes : mapping or list of "PATH=VALUE"
        The paths of :meth:`Blueprint.with_changes`, several at once, structural ones included.
    cases : int
        Cases per replication.
    replications : int
        Independent replications; the paired interval needs at least 2.
    seed : int
        The seed both arms share.
    jobs, client
        Run replications in `jobs` processes, or on a ``dask.distributed`` client.

    Returns
    -------
    WhatIf
        ``.to_json()`` is the SPEC's whatif document; ``.to_text()`` a consultant's table.

    Examples
    --------
    >>> import blueprint as bp
    >>> model = bp.loads('''
    ... teams: {desk: {name: Help desk, staff: 1}}
    ... steps:
    ...   ask: {lane: customer, channel: phone}
    ...   answer: {lane: frontstage, owner: desk, duration: {exponential: 0.8}}
    ...   done: {outcome: success}
    ... flows: [[ask, answer], [answer, done]]
    ... arrivals: {rate: 1}
    ... ''')
    >>> answer = whatif(model, {"teams.desk.staff": 2}, cases=2000, replications=5, seed=1)
    >>> d = answer.delta["time_in_system.mean"]
    >>> d["value"] < 0 and d["significant"]
    True
    """
    changes = parse_changes(changes)
    if not changes:
        raise BlueprintError("a what-if needs at least one change, like --set teams.store.staff=4")
    options = dict(cases=cases, until=until, seed=seed, replications=replications, jobs=jobs, client=client)
    return paired(model, model.with_changes(changes), changes, **options)


def paired(model: Blueprint, scenario_model: Blueprint, changes: dict[str, Any] | list[str], *,
           question: str | None = None, progress: Any = None, **options: Any) -> WhatIf:
    """Simulate `model` and `scenario_model` on common random numbers and pair their KPIs.

    The engine of :func:`whatif` (a scenario made by changes) and :func:`blueprint.compare` (a
    scenario that is another file). `options` are :func:`blueprint.simulate`'s (``cases``,
    ``until``, ``seed``, ``replications``, ``jobs``, ``client``); `progress` is called as
    ``progress(arm, done, total, rate)`` with ``arm`` ``"before"`` or ``"after"``.

    Examples
    --------
    >>> import blueprint as bp
    >>> model = bp.loads("steps: {a: {lane: customer, channel: phone}, b: {outcome: success}}\\n"
    ...                  "flows: [[a, b]]")
    >>> same = paired(model, model, ["a.yaml", "a.yaml"], cases=50, replications=2)
    >>> same.delta["contacts.mean"]["value"], same.to_json()["changes"]
    (0.0, ['a.yaml', 'a.yaml'])
    """
    def arm(name: str):
        return None if progress is None else (lambda done, total, rate: progress(name, done, total, rate))

    baseline = simulate(model, progress=arm("before"), **options)
    scenario = simulate(scenario_model, progress=arm("after"), **options)
    delta = {}
    for key in baseline.per_replication[0]:
        if key not in scenario.per_replication[0]:
            continue
        diffs = [s.get(key) - b.get(key) if s.get(key) is not None and b.get(key) is not None else None
                 for b, s in zip(baseline.per_replication, scenario.per_replication)]
        value, interval = paired_interval(diffs)
        if math.isnan(value):
            continue
        if _is_total(key):  # a total over every replication, as the arms show it
            n = len(diffs)
            value, interval = value * n, interval and [x * n for x in interval]
        delta[key] = {"value": value, "ci95": interval,
                      "significant": bool(interval and (interval[0] > 0 or interval[1] < 0))}
    before, after = list(check(model)), list(check(scenario_model))
    findings = {"appeared": [f.to_json() for f in after if not _matched(f, before)],
                "resolved": [f.to_json() for f in before if not _matched(f, after)]}
    return WhatIf(baseline, scenario, changes, delta, findings, question=question)


def _is_total(key: str) -> bool:
    """Whether a KPI is a count over every replication (``cases.*``, ``cost.total``), not a figure per case.

    Examples
    --------
    >>> _is_total("cases.by_outcome.fitted"), _is_total("cost.total"), _is_total("cost.mean")
    (True, True, False)
    """
    return key.startswith("cases.") or key == "cost.total"


def _matched(finding, others) -> bool:
    """Whether the same problem is among `others`: the same rule about an overlapping set of steps.

    A loop or a handoff that a change makes shorter is still the same problem; only one that
    disappears (or appears) is news to the consultant.
    """
    steps = set(finding.steps)
    return any(o.rule == finding.rule and (steps & set(o.steps) or not (steps or o.steps)) for o in others)
