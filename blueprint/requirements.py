"""Service levels: requirements on KPIs named by the dotted keys of the ``simulate`` and ``stats`` JSON.

(The KPIs themselves are worked out by :mod:`blueprint.simulation.kpis` and :mod:`blueprint.chain`;
this module names them and states what they must meet.) ``time_in_system.p90``,
``cases.by_outcome.gave_up``, ``teams.store.utilization`` name numbers in the simulate document;
``stats.never_finishes`` and ``stats.outcomes.fitted`` name numbers in the exact expectations.
:func:`flatten` turns a document into ``{key: number}``; :func:`parse_requirement` reads a service
level such as ``"time_in_system.p90 < 48h"``.
"""
from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .durations import _QUANTITY_RE, to_unit
from .errors import BlueprintError, did_you_mean

__all__ = ["flatten", "parse_requirement", "Requirement", "TIME_KPIS"]

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "==": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt,
}
#: KPI families measured in time, whose targets may carry a unit (``48h``).
TIME_KPIS = ("time_in_system", "mean_wait", "expected_duration")


def flatten(doc: Any, prefix: str = "") -> dict[str, float]:
    """Every number in a JSON document, keyed by its dotted path.

    Examples
    --------
    >>> flatten({"cases": {"arrived": 10, "by_outcome": {"done": 9}}, "ci95": {"x": [1, 2]}, "time_unit": "hour"})
    {'cases.arrived': 10, 'cases.by_outcome.done': 9}
    """
    out: dict[str, float] = {}
    if isinstance(doc, dict):
        for key, value in doc.items():
            if prefix == "" and key in ("ci95", "seed", "replications"):
                continue
            out.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(doc, (int, float)) and not isinstance(doc, bool):
        out[prefix[:-1]] = doc
    return out


@dataclass(frozen=True)
class Requirement:
    """A service level: a KPI, a comparison and a target, as ``time_in_system.p90 < 48``."""

    kpi: str
    op: str
    target: float
    text: str

    def holds(self, value: float | None) -> bool:
        """Whether a KPI value meets the requirement (a missing value never does)."""
        return value is not None and _OPERATORS[self.op](value, self.target)

    def shortfall(self, value: float | None) -> float:
        """How far a value is on the wrong side of the target (larger is worse; <= 0 holds)."""
        if value is None:
            return float("inf")
        if self.op in ("<", "<="):
            return value - self.target
        if self.op in (">", ">="):
            return self.target - value
        return abs(value - self.target) if self.op == "==" else -abs(value - self.target)

    @property
    def is_stats(self) -> bool:
        return self.kpi.startswith("stats.")


def parse_requirement(text: str, time_unit: str = "minute") -> Requirement:
    """Read ``"KPI OP VALUE"``; a time KPI's value may carry a unit, converted to `time_unit`.

    Examples
    --------
    >>> parse_requirement("time_in_system.p90 < 2d", "hour")
    Requirement(kpi='time_in_system.p90', op='<', target=48.0, text='time_in_system.p90 < 2d')
    >>> parse_requirement("cases.by_outcome.gave_up <= 10").target
    10.0
    """
    match = re.match(r"^\s*([A-Za-z_][\w.\-]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$", text or "")
    if not match:
        raise BlueprintError(f"'{text}' is not a requirement; write it as \"KPI OP VALUE\", like "
                             "\"time_in_system.p90 < 48\" (OP is one of <, <=, >, >=, ==, !=)")
    kpi, op, value = match.groups()
    try:
        target = float(value)
    except ValueError:
        if kpi.split(".")[0] in TIME_KPIS or kpi.split(".")[-1] in TIME_KPIS:
            if _QUANTITY_RE.match(value):
                target = to_unit(value, time_unit)
            else:
                raise BlueprintError(f"'{value}' in '{text}' is not a time; write a number or 48h, 2d") from None
        else:
            raise BlueprintError(f"'{value}' in '{text}' is not a number") from None
    return Requirement(kpi, op, target, text.strip())


def lookup(kpis: dict[str, float], key: str) -> float:
    """A KPI by its key, or a BlueprintError naming the nearest keys.

    Outcome counts default to 0 (an outcome no case reached), as do team figures.
    """
    if key in kpis:
        return kpis[key]
    if key.startswith(("cases.by_outcome.", "stats.outcomes.")):
        return 0.0
    raise BlueprintError(f"no KPI '{key}'{did_you_mean(key, kpis)}; KPIs are the keys of the simulate JSON "
                         f"(such as {', '.join(sorted(kpis)[:8])}, ...) and stats.<key> of the stats JSON")
