"""Load drawn on a blueprint: steps shaded by expected visits per case, teams by utilisation.

The load comes from the JSON that ``blueprint simulate --format json`` prints (``teams.*.utilization``)
and, for the steps, from ``blueprint stats`` (``expected_visits``): in the same file, or asked of
:func:`blueprint.stats`. From the JSON of ``blueprint replay`` it is what the log shows: each step's
visits per case and each team's utilisation, as :func:`blueprint.logs.replay.heat_figures` reads them.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..chain import stats
from ..errors import BlueprintError
from ..files import read_bytes
from ..logs.replay import heat_figures, is_replay
from ..model import Blueprint
from .style import TEAM_COLOURS, VISIT_COLOURS

__all__ = ["Heat", "read_heat", "team_colour", "VISIT_COLOURS", "TEAM_COLOURS"]


@dataclass
class Heat:
    """Load drawn on a blueprint: expected visits per step, utilisation per team (0 to 1)."""

    visits: dict[str, float] | None = None
    utilization: dict[str, float] = field(default_factory=dict)
    source: str | None = None

    def visit_colour(self, value: float) -> str:
        return _shade(value, self.visit_top, VISIT_COLOURS)

    @property
    def visit_top(self) -> float:
        """The top of the visits scale: the largest expected visits, rounded up to a nice number."""
        top = max((v for v in (self.visits or {}).values() if math.isfinite(v)), default=1.0)
        return _nice_ceiling(top)


def _nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `x`.

    Examples
    --------
    >>> _nice_ceiling(1.67), _nice_ceiling(0.3), _nice_ceiling(12), _nice_ceiling(0)
    (2.0, 0.5, 20.0, 1.0)
    """
    if x <= 0 or not math.isfinite(x):
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= x - 1e-12:
            return float(step * power)
    return float(10 * power)  # pragma: no cover


def _shade(value: float, top: float, colours: tuple[str, ...]) -> str:
    if not math.isfinite(value) or top <= 0:
        return colours[-1]
    i = int(max(0.0, min(value / top, 1.0)) * len(colours))
    return colours[min(i, len(colours) - 1)]


def team_colour(utilization: float) -> str:
    """The shade of a team at this utilisation (0 to 1).

    Examples
    --------
    >>> team_colour(0.05), team_colour(0.95)
    ('#F2F0F7', '#8A84C0')
    """
    return _shade(utilization, 1.0, TEAM_COLOURS)


def _expected_visits(model: Blueprint) -> dict[str, float] | None:
    """Expected visits per step from :func:`blueprint.stats`, where it can answer."""
    try:
        visits = stats(model).expected_visits
    except (BlueprintError, ArithmeticError, ValueError):
        return None
    return _visits(visits)


def _visits(visits) -> dict[str, float]:
    """Expected visits by step; ``null`` (a loop with no way out) is without end.

    Examples
    --------
    >>> _visits({"a": 1, "b": None})
    {'a': 1.0, 'b': inf}
    """
    return {k: math.inf if v is None else float(v) for k, v in dict(visits).items()}


def read_heat(model: Blueprint, heat: Any) -> Heat | None:
    """The load to draw, from a simulate (or stats) JSON document, a file holding one, or a result.

    Parameters
    ----------
    model : Blueprint
        The blueprint the load is drawn on.
    heat : dict, str, Path, object with ``to_json()``, or None
        ``teams.*.utilization`` shades the teams (of the ``scenario`` in a ``whatif`` document);
        ``expected_visits`` (a ``stats`` document) shades the steps, else :func:`blueprint.stats` is asked.

    Raises
    ------
    BlueprintError
        When the file cannot be read or is not such a document.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("teams: {desk: {staff: 1}}\\nsteps: {a: {lane: frontstage, owner: desk}, "
    ...               "b: {outcome: success}}\\nflows: [[a, b]]")
    >>> read_heat(model, {"teams": {"desk": {"utilization": 0.8}}, "expected_visits": {"a": 1.0}})
    Heat(visits={'a': 1.0}, utilization={'desk': 0.8}, source=None)
    """
    if heat is None or heat is False:
        return None
    source = None
    if isinstance(heat, (str, Path)):
        source = str(heat)
        try:
            raw = read_bytes(heat, "the JSON of `blueprint simulate --format json`")
        except BlueprintError as exc:
            raise BlueprintError([f"cannot read the heat file: {p.message}" for p in exc.problems],
                                 file=source) from None
        try:
            heat = json.loads(raw)
        except RecursionError:
            raise BlueprintError(f"{source}: the heat file is nested too deeply to be simulation JSON") from None
        except ValueError as exc:
            raise BlueprintError(f"{source}: the heat file is not JSON ({exc}); give the output of "
                                 "`blueprint simulate FILE --format json`") from None
    elif hasattr(heat, "to_json"):
        heat = heat.to_json()
    where = f"{source}: " if source else ""
    if isinstance(heat, list) and len(heat) == 1:
        heat = heat[0]
    if is_replay(heat):  # the JSON of `blueprint replay`: the log's visits per case, the teams' observed load
        figures = heat_figures(model, heat)
        return Heat(visits=figures["visits"], utilization=figures["utilization"], source=source)
    if isinstance(heat, dict) and isinstance(heat.get("scenario"), dict) and "teams" not in heat:
        heat = heat["scenario"]  # the JSON of `blueprint whatif`: draw the changed service
    if not isinstance(heat, dict) or not ({"teams", "expected_visits"} & set(heat)):
        raise BlueprintError(f"{where}heat needs the JSON of `blueprint simulate FILE --format json` "
                             "(its 'teams' utilisation) or of `blueprint stats` (its 'expected_visits')")
    utilization: dict[str, float] = {}
    teams = heat.get("teams", {})
    if not isinstance(teams, dict):
        raise BlueprintError(f"{where}teams: expected an object of teams, each with a 'utilization'")
    for team_id, kpis in teams.items():
        value = kpis.get("utilization") if isinstance(kpis, dict) else None
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise BlueprintError(f"{where}teams.{team_id}.utilization: expected a number from 0 to 1, "
                                 f"not {value!r}")
        if team_id in model.teams:
            utilization[team_id] = float(value)
    if teams and model.teams and not utilization:
        raise BlueprintError(f"{where}none of the teams in the heat file ({', '.join(map(str, teams))}) "
                             f"is in this blueprint ({', '.join(model.teams)}); simulate this blueprint")
    visits = heat.get("expected_visits")
    if visits is not None:
        numbers = (v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in visits.values()) \
            if isinstance(visits, dict) else [False]
        if not all(numbers):
            raise BlueprintError(f"{where}expected_visits: expected an object of numbers by step id")
        visits = {k: v for k, v in _visits(visits).items() if k in model.steps}
    else:
        visits = _expected_visits(model)
    return Heat(visits=visits, utilization=utilization, source=source)

