"""Hypothesis strategies for blueprints and for changes to them.

Use them in your own property tests to pin a client's service level, or let
:func:`blueprint.explore` search a space of changes::

    from hypothesis import given
    from blueprint.strategies import blueprints, variations

    @given(blueprints(max_steps=8, loops=False))
    def test_every_generated_service_can_finish(model):
        assert bp.stats(model).never_finishes == 0

Every strategy here takes keyword-only options and draws valid models only: every reference
resolves, branch chances add up to 1, every step can reach an outcome.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from hypothesis import strategies as st

from .changes import parse_path
from .errors import BlueprintError
from .model import DEFAULT_LANES, Blueprint

__all__ = ["blueprints", "durations", "variations"]

_SYSTEMS = ("crm", "erp", "till", "ticketing")
_CAPABILITIES = ("inbound_call", "outbound_call", "email", "refund")
_CHANNELS = ("phone", "email", "store", "social", "chat")


def durations(*, max_mean: float = 10.0) -> st.SearchStrategy:
    """Durations in every form of the file format (as written in a file), with means up to `max_mean`.

    Parameters
    ----------
    max_mean : float, keyword-only
        The largest mean a drawn duration may have.

    Examples
    --------
    >>> from hypothesis import find
    >>> find(durations(max_mean=5), lambda d: isinstance(d, dict) and "triangular" in d)
    {'triangular': [1.0, 1.0, 1.0]}
    """
    small = st.floats(0.1, max_mean, allow_nan=False).map(lambda x: round(x, 3))
    return st.one_of(
        st.just(0),
        small,
        small.map(lambda x: {"fixed": x}),
        small.map(lambda x: {"exponential": x}),
        st.tuples(small, small).map(lambda ab: {"uniform": sorted(ab)}),
        st.tuples(small, small, small).map(lambda t: {"triangular": sorted(t)}),
        st.tuples(small, small).map(lambda m: {"normal": {"mean": m[0], "sd": round(m[1] / 4, 3)}}),
        st.tuples(small, small).map(lambda m: {"lognormal": {"mean": m[0], "sd": round(m[1] / 4, 3)}}),
        st.lists(small, min_size=1, max_size=5).map(lambda xs: {"empirical": xs}),
    )


def _chances(draw, n: int) -> list[float]:
    weights = draw(st.lists(st.integers(1, 9), min_size=n, max_size=n))
    total = sum(weights)
    chances = [w / total for w in weights]
    chances[-1] = 1.0 - math.fsum(chances[:-1])
    return chances


@st.composite
def blueprints(draw, *, min_steps: int = 2, max_steps: int = 10, max_teams: int = 4,
               lanes: tuple[str, ...] = DEFAULT_LANES, loops: bool = True, splits: bool = True,
               timeouts: bool = True, weighted: bool | None = True, staffed: bool | None = None,
               hours: bool = False, patience: bool | None = None, max_mean: float = 10.0) -> Blueprint:
    """Valid blueprints: steps in lanes owned by teams, with branches, loops, splits and timeouts.

    Every drawn blueprint loads without error, every step can reach an outcome (so a case
    finishes with probability 1), and every step is reachable from the start.

    Parameters
    ----------
    min_steps, max_steps : int, keyword-only
        How many steps that are not outcomes (a split adds its branches and join on top).
    max_teams : int, keyword-only
        At most this many teams.
    lanes : tuple of str, keyword-only
        The lanes, top to bottom; must include ``"customer"`` to have contacts.
    loops : bool, keyword-only
        Allow flows back to earlier steps (rework and repeat loops).
    splits : bool, keyword-only
        Allow one ``split: all`` / ``join: all`` block of parallel work.
    timeouts : bool, keyword-only
        Allow timeouts on steps.
    weighted : bool or None, keyword-only
        ``True``: every branch carries ``p``; ``False``: none do; ``None``: either.
    staffed : bool or None, keyword-only
        ``True``: every team has ``staff`` (1 to 5); ``False``: none do (unlimited); ``None``: either.
    hours : bool, keyword-only
        Allow working hours on teams.
    patience : bool or None, keyword-only
        ``True``: always a patience; ``False``: never; ``None``: either.
    max_mean : float, keyword-only
        The largest mean of any duration.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20)
    ... @given(blueprints(max_steps=5))
    ... def every_step_has_a_way_out(model):
    ...     assert all(model.outgoing[s] or model.steps[s].is_outcome for s in model.steps)
    >>> every_step_has_a_way_out()
    """
    n = draw(st.integers(min_steps, max(min_steps, max_steps)))
    n_teams = draw(st.integers(1, max(1, max_teams)))
    teams: dict[str, dict[str, Any]] = {}
    for t in range(n_teams):
        team: dict[str, Any] = {"name": f"Team {t}",
                                "systems": draw(st.lists(st.sampled_from(_SYSTEMS), max_size=2, unique=True)),
                                "can": draw(st.lists(st.sampled_from(_CAPABILITIES), max_size=3, unique=True))}
        if staffed or (staffed is None and draw(st.booleans())):
            team["staff"] = draw(st.integers(1, 5))
        if hours and draw(st.booleans()):
            team["hours"] = draw(st.sampled_from(["Mon-Fri 09:00-17:00", "Mon-Sun 06:00-22:00",
                                                  "Mon-Fri 08:00-12:00 13:00-17:00; Sat 09:00-13:00"]))
        teams[f"t{t}"] = team
    team_ids = list(teams)
    ids = [f"s{i}" for i in range(n)]
    steps: dict[str, dict[str, Any]] = {}
    for sid in ids:
        lane = draw(st.sampled_from(lanes))
        step: dict[str, Any] = {"name": f"Step {sid}", "lane": lane,
                                "duration": draw(durations(max_mean=max_mean))}
        if lane == "customer":
            if draw(st.booleans()):
                step["channel"] = draw(st.sampled_from(_CHANNELS))
        else:
            step["owner"] = draw(st.sampled_from(team_ids))
            if draw(st.integers(0, 4)) == 0:
                step["needs"] = [draw(st.sampled_from(_CAPABILITIES))]
        if draw(st.integers(0, 5)) == 0:
            step["fail_point"] = "Something can go wrong"
        steps[sid] = step
    n_out = draw(st.integers(1, 3))
    outcomes = [f"o{i}" for i in range(n_out)]
    for i, oid in enumerate(outcomes):
        steps[oid] = {"outcome": "success" if i == 0 or draw(st.booleans()) else "failure"}

    targets: dict[str, list[str]] = {sid: [] for sid in ids}
    for i in range(1, n):  # every step is reached from an earlier one
        targets[ids[draw(st.integers(0, i - 1))]].append(ids[i])
    for i, sid in enumerate(ids):  # every step has a way forward
        later = ids[i + 1:] + outcomes
        if not targets[sid] or draw(st.booleans()):
            choice = draw(st.sampled_from(later))
            if choice not in targets[sid]:
                targets[sid].append(choice)
        if loops and i > 0 and draw(st.integers(0, 3)) == 0:
            back = ids[draw(st.integers(0, i))]
            if back not in targets[sid]:
                targets[sid].append(back)
    if splits and n >= 2 and draw(st.booleans()):  # one block of parallel work after some step
        at = ids[draw(st.integers(0, n - 2))]
        width = draw(st.integers(2, 3))
        owner = draw(st.sampled_from(team_ids))
        for b in range(width):
            steps[f"b{b}"] = {"name": f"Branch {b}", "lane": "backstage", "owner": draw(st.sampled_from(team_ids)),
                              "duration": draw(durations(max_mean=max_mean))}
            targets[f"b{b}"] = ["join"]
        steps["fork"] = {"name": "Starts parallel work", "lane": "backstage", "owner": owner, "split": "all"}
        steps["join"] = {"name": "Parallel work done", "lane": "backstage", "owner": owner, "join": "all"}
        targets["fork"] = [f"b{b}" for b in range(width)]
        targets["join"] = targets[at]
        targets[at] = ["fork"]
    flows = []
    for sid, outs in targets.items():
        use_p = weighted if weighted is not None else draw(st.booleans())
        if use_p and len(outs) > 1 and steps[sid].get("split") != "all":
            flows += [{"from": sid, "to": t, "p": p} for t, p in zip(outs, _chances(draw, len(outs)))]
        else:
            flows += [[sid, t] for t in outs]
    if timeouts:
        forward = {sid: ids[i + 1:] + outcomes for i, sid in enumerate(ids)}
        for sid in ids:
            if draw(st.integers(0, 5)) == 0:
                steps[sid]["timeout"] = {"after": round(draw(st.floats(0.5, 3 * max_mean)), 3),
                                         "to": draw(st.sampled_from(forward[sid]))}
    data: dict[str, Any] = {"name": "Generated service", "lanes": list(lanes), "teams": teams,
                            "steps": steps, "flows": flows, "start": ids[0],
                            "arrivals": {"every": {"exponential": round(draw(st.floats(0.5, 2 * max_mean)), 3)}}}
    if patience or (patience is None and draw(st.booleans())):
        data["patience"] = {"exponential": round(draw(st.floats(max_mean, 20 * max_mean)), 3)}
    return Blueprint.model_validate(data)


def _baseline(model: Blueprint, path: str) -> Any:
    data = model.model_dump(mode="json", by_alias=True)
    node: Any = data
    flow_from = None
    for part in parse_path(path):
        if isinstance(part, tuple):
            source, _, target = part[1].partition("->")
            flows = data["flows"]
            matches = ([flows[int(part[1])]] if part[1].isdigit() and int(part[1]) < len(flows) else
                       [f for f in flows if f["from"] == source.strip() and f["to"] == target.strip()])
            if not matches:
                raise BlueprintError(f"no '{path}': there is no flow {part[1]}")
            node = matches[0]
            flow_from = node["from"]
            continue
        if part == "*":
            raise BlueprintError(f"'{path}': a path to vary names one place; write it without *")
        if not isinstance(node, dict) or part not in node:
            raise BlueprintError(f"no '{path}': '{part}' is not there")
        node = node[part]
    if node is None and parse_path(path)[-1] == "p" and flow_from is not None:
        return 1.0 / len(model.outgoing[flow_from])  # flows[3].p names the flow by its place
    return node


def variations(model: Blueprint, ranges: Mapping[str, tuple[Any, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Changes to `model`: for each path, its baseline value or another value in its range.

    Integers vary over integers, floats over floats; a branch's ``p`` stays in ``[0, 1]`` and
    :meth:`Blueprint.with_changes` rescales the other branches. Shrinking leads back to the
    baseline: a minimal example changes as few paths as it can, each as little as it can.

    Parameters
    ----------
    model : Blueprint
        The baseline.
    ranges : mapping of str to (low, high)
        ``{"teams.store.staff": (1, 6), "flows[unpack->fitted].p": (0.1, 0.9)}``.

    Returns
    -------
    SearchStrategy of dict
        ``{path: value}`` with only the paths that differ from the baseline.

    Examples
    --------
    >>> from hypothesis import find
    >>> from blueprint import loads
    >>> model = loads("teams: {desk: {staff: 3}}\\n"
    ...               "steps: {a: {lane: frontstage, owner: desk}, b: {outcome: success}}\\nflows: [[a, b]]")
    >>> find(variations(model, {"teams.desk.staff": (1, 6)}), lambda c: c.get("teams.desk.staff", 3) < 3)
    {'teams.desk.staff': 2}
    """
    parts = []
    for path, (low, high) in ranges.items():
        if low > high:
            raise BlueprintError(f"{path}: the range {low}..{high} is empty; write LOW..HIGH with LOW <= HIGH")
        base = _baseline(model, path)
        is_p = parse_path(path)[-1] == "p"
        integral = (isinstance(low, int) and isinstance(high, int) and not isinstance(low, bool)
                    and (base is None or isinstance(base, int)) and not is_p)
        if base is None:
            base = low
        if not isinstance(base, (int, float)) or isinstance(base, bool):
            raise BlueprintError(f"{path}: its value {base!r} is not a number, so it cannot vary over a range")
        if is_p:
            low, high = max(0.0, float(low)), min(1.0, float(high))
        anchor = min(max(base, low), high)
        if integral:
            offset = st.integers(int(low) - int(anchor), int(high) - int(anchor))
        else:
            offset = st.floats(float(low) - float(anchor), float(high) - float(anchor), allow_nan=False)
        parts.append(st.tuples(st.just(path), st.just(base), st.just(anchor), offset))

    def changes(drawn) -> dict[str, Any]:
        out = {}
        for path, base, anchor, offset in drawn:
            value = anchor + offset
            if isinstance(value, float):
                value = round(value, 12)
            if value != base:
                out[path] = value
        return out

    return st.tuples(*parts).map(changes)
