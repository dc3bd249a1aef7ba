"""Hypothesis strategies for blueprints and for changes to them.

Use them in your own property tests to pin a client's service level, or let
:func:`blueprint.explore` search a space of changes::

    from hypothesis import given
    from blueprint.strategies import blueprints, variations

    @given(blueprints(max_steps=8, loops=False))
    def test_every_generated_service_can_finish(model):
        assert bp.stats(model).never_finishes == 0

Every strategy here takes keyword-only options, checked when it is made (a wrong one raises
hypothesis' ``InvalidArgument``, as ``hypothesis.extra.numpy`` does), and draws valid models only:
every reference resolves, branch chances add up to 1, every step can reach an outcome (unless
asked for dead ends).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .changes import parse_path
from .errors import BlueprintError
from .model import DEFAULT_LANES, Blueprint

__all__ = ["blueprints", "durations", "variations", "baseline"]

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


def blueprints(*, min_steps: int = 2, max_steps: int = 10, max_teams: int = 4,
               lanes: tuple[str, ...] = DEFAULT_LANES, loops: bool = True, splits: bool = True,
               races: bool = True, timeouts: bool = True, incapable: bool = True, dead_ends: bool = False,
               weighted: bool | None = True, staffed: bool | None = None, hours: bool = False,
               patience: bool | None = None, max_mean: float = 10.0) -> st.SearchStrategy[Blueprint]:
    """Valid blueprints: steps in lanes owned by teams, with branches, loops, parallel work, timeouts
    and steps their teams cannot do.

    Every drawn blueprint loads without error and every step is reachable from the start. Unless
    `dead_ends` is set, every step can reach an outcome along the ways a case can take, so a case
    finishes with probability 1 (a step its team cannot do always has a timeout then).

    Parameters
    ----------
    min_steps, max_steps : int, keyword-only
        How many steps that are not outcomes, parallel work aside (its steps come on top).
        ``1 <= min_steps <= max_steps``.
    max_teams : int, keyword-only
        At most this many teams (at least one).
    lanes : tuple of str, keyword-only
        The lanes, top to bottom; ``"customer"`` among them gives contacts, and parallel work goes
        in the first other lane.
    loops : bool, keyword-only
        Allow flows back to earlier steps (rework and repeat loops).
    splits : bool, keyword-only
        Allow blocks of parallel work: a ``split: all`` whose branches meet at a ``join: all`` (or,
        with `races`, one more branch that ends the case), or meet at a step without one.
    races : bool, keyword-only
        Allow parallel branches that end the case at outcomes, racing each other.
    timeouts : bool, keyword-only
        Allow timeouts on steps.
    incapable : bool, keyword-only
        Allow steps that need a capability their team does not have (never done: left by their
        timeout).
    dead_ends : bool, keyword-only
        Allow shapes where a case can stay for ever: a step its team cannot do without a timeout,
        a branch that stalls before its join.
    weighted : bool or None, keyword-only
        ``True``: every branch carries ``p``; ``False``: none do; ``None``: either.
    staffed : bool or None, keyword-only
        ``True``: every team has ``staff`` (1 to 5); ``False``: none do (unlimited); ``None``: either.
    hours : bool, keyword-only
        Allow working hours on teams.
    patience : bool or None, keyword-only
        ``True``: always a patience; ``False``: never; ``None``: either.
    max_mean : float, keyword-only
        The largest mean of any duration (more than 0).

    Raises
    ------
    hypothesis.errors.InvalidArgument
        For options that cannot be drawn from, as ``min_steps > max_steps``.

    Examples
    --------
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20)
    ... @given(blueprints(max_steps=5))
    ... def every_step_has_a_way_out(model):
    ...     assert all(model.outgoing[s] or model.steps[s].is_outcome for s in model.steps)
    >>> every_step_has_a_way_out()
    >>> blueprints(min_steps=5, max_steps=3)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: min_steps=5 is more than max_steps=3
    """
    _check_options(min_steps=min_steps, max_steps=max_steps, max_teams=max_teams, lanes=lanes,
                   max_mean=max_mean, weighted=weighted, staffed=staffed, patience=patience,
                   switches=dict(loops=loops, splits=splits, races=races, timeouts=timeouts,
                                 incapable=incapable, dead_ends=dead_ends, hours=hours))
    options = dict(min_steps=min_steps, max_steps=max_steps, max_teams=max_teams, lanes=tuple(lanes),
                   loops=loops, splits=splits, races=races, timeouts=timeouts, incapable=incapable,
                   dead_ends=dead_ends, weighted=weighted, staffed=staffed, hours=hours, patience=patience,
                   max_mean=max_mean)
    return _blueprints(options)


def _check_options(*, min_steps, max_steps, max_teams, lanes, max_mean, weighted, staffed, patience, switches):
    for name, value, least in (("min_steps", min_steps, 1), ("max_steps", max_steps, 1), ("max_teams", max_teams, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InvalidArgument(f"{name}={value!r} must be a whole number, {least} or more")
    if min_steps > max_steps:
        raise InvalidArgument(f"min_steps={min_steps} is more than max_steps={max_steps}")
    if isinstance(lanes, str) or not lanes or not all(isinstance(x, str) and x for x in lanes) \
            or len(set(lanes)) != len(lanes):
        raise InvalidArgument(f"lanes={lanes!r} must be a tuple of different lane names")
    if isinstance(max_mean, bool) or not isinstance(max_mean, (int, float)) or not 0 < max_mean < math.inf:
        raise InvalidArgument(f"max_mean={max_mean!r} must be a number above 0")
    for name, value in (("weighted", weighted), ("staffed", staffed), ("patience", patience)):
        if value not in (True, False, None):
            raise InvalidArgument(f"{name}={value!r} must be True, False or None")
    for name, value in switches.items():
        if not isinstance(value, bool):
            raise InvalidArgument(f"{name}={value!r} must be True or False")


def _draw_teams(draw, o: dict) -> dict[str, dict[str, Any]]:
    teams: dict[str, dict[str, Any]] = {}
    for t in range(draw(st.integers(1, o["max_teams"]))):
        team: dict[str, Any] = {"name": f"Team {t}",
                                "systems": draw(st.lists(st.sampled_from(_SYSTEMS), max_size=2, unique=True)),
                                "can": draw(st.lists(st.sampled_from(_CAPABILITIES), max_size=3, unique=True))}
        if o["staffed"] or (o["staffed"] is None and draw(st.booleans())):
            team["staff"] = draw(st.integers(1, 5))
        if o["hours"] and draw(st.booleans()):
            team["hours"] = draw(st.sampled_from(["Mon-Fri 09:00-17:00", "Mon-Sun 06:00-22:00",
                                                  "Mon-Fri 08:00-12:00 13:00-17:00; Sat 09:00-13:00"]))
        teams[f"t{t}"] = team
    return teams


def _draw_step(draw, o: dict, name: str, lane: str, team_ids: list[str], needs: bool) -> dict[str, Any]:
    step: dict[str, Any] = {"name": name, "lane": lane, "duration": draw(durations(max_mean=o["max_mean"]))}
    if lane == "customer":
        if draw(st.booleans()):
            step["channel"] = draw(st.sampled_from(_CHANNELS))
    else:
        step["owner"] = draw(st.sampled_from(team_ids))
        if needs and draw(st.integers(0, 3)) == 0:
            step["needs"] = [draw(st.sampled_from(_CAPABILITIES))]
    return step


def _draw_journey(draw, o: dict, steps: dict, team_ids: list[str]) -> tuple[list[str], list[str], dict]:
    """The main steps, the outcomes and the flows between them: every step reached from an earlier
    one and leading on to a later one or an outcome, with loops back."""
    ids = [f"s{i}" for i in range(draw(st.integers(o["min_steps"], o["max_steps"])))]
    for sid in ids:
        steps[sid] = _draw_step(draw, o, f"Step {sid}", draw(st.sampled_from(o["lanes"])), team_ids, needs=True)
        if draw(st.integers(0, 5)) == 0:
            steps[sid]["fail_point"] = "Something can go wrong"
    outcomes = [f"o{i}" for i in range(draw(st.integers(1, 3)))]
    for i, oid in enumerate(outcomes):
        steps[oid] = {"outcome": "success" if i == 0 or draw(st.booleans()) else "failure"}
    targets: dict[str, list[str]] = {sid: [] for sid in ids}
    for i in range(1, len(ids)):  # every step is reached from an earlier one
        targets[ids[draw(st.integers(0, i - 1))]].append(ids[i])
    for i, sid in enumerate(ids):  # every step has a way forward
        later = ids[i + 1:] + outcomes
        if not targets[sid] or draw(st.booleans()):
            choice = draw(st.sampled_from(later))
            if choice not in targets[sid]:
                targets[sid].append(choice)
        if o["loops"] and i > 0 and draw(st.integers(0, 3)) == 0:
            back = ids[draw(st.integers(0, i))]
            if back not in targets[sid]:
                targets[sid].append(back)
    return ids, outcomes, targets


def _draw_block(draw, o: dict, b: int, at: str, steps: dict, targets: dict, outcomes: list[str],
                team_ids: list[str]) -> None:
    """One block of parallel work after step `at`: ``join`` (branches meet at a join: all, one more
    may end the case), ``merge`` (they meet at a step without one, which then ends the case),
    ``race`` (each ends the case) or ``stall`` (a branch may stop before the join). A join or a
    stall takes the place of `at`'s flows; a merge or a race is one more way on from `at`."""
    shapes = (["join", "join", "join", "merge"] if o["splits"] else []) + (["race"] if o["races"] else []) \
        + (["stall"] if o["dead_ends"] and o["splits"] else [])
    shape = draw(st.sampled_from(shapes))
    lane = next((x for x in o["lanes"] if x != "customer"), o["lanes"][0])
    owned = lane != "customer"
    fork, meet = f"p{b}_fork", f"p{b}_meet"

    def staff_step(sid: str, name: str, **more) -> None:
        steps[sid] = {"name": name, "lane": lane, **more}
        if owned:
            steps[sid]["owner"] = draw(st.sampled_from(team_ids))

    staff_step(fork, "Starts parallel work", split="all")
    width = draw(st.integers(2, 3))
    ends = []
    for i in range(width):  # each branch: one or two steps
        chain = [f"p{b}_b{i}_{j}" for j in range(draw(st.integers(1, 2)))]
        for j, sid in enumerate(chain):
            steps[sid] = _draw_step(draw, o, f"Branch {b}.{i}.{j}", draw(st.sampled_from(o["lanes"])), team_ids,
                                    needs=False)
        targets[fork] = targets.get(fork, []) + [chain[0]]
        for x, y in zip(chain, chain[1:]):
            targets[x] = [y]
        ends.append(chain[-1])
    if shape == "race":
        for end in ends:
            targets[end] = [draw(st.sampled_from(outcomes))]
        targets[at].append(fork)
        return
    staff_step(meet, "Parallel work done", **({} if shape == "merge" else {"join": "all"}))
    for end in ends:
        targets[end] = [meet]
    if shape == "merge":  # done once per branch, then each ends the case (no loop back: no endless branches)
        targets[meet] = [draw(st.sampled_from(outcomes))]
        targets[at].append(fork)
        return
    if shape == "stall":
        stall = f"p{b}_stall"
        steps[stall] = {"name": "Work stops here", "lane": lane, **({"owner": steps[fork]["owner"]} if owned else {})}
        targets[ends[0]] = [meet, stall]
    elif o["races"] and draw(st.integers(0, 3)) == 0:  # one more branch ends the case while the others work
        extra = f"p{b}_b{width}_0"
        steps[extra] = _draw_step(draw, o, f"Branch {b}.{width}.0", draw(st.sampled_from(o["lanes"])), team_ids,
                                  needs=False)
        targets[fork].append(extra)
        targets[extra] = [draw(st.sampled_from(outcomes))]
    targets[meet] = targets[at]
    targets[at] = [fork]


def _settle_capabilities(draw, o: dict, teams: dict, steps: dict, main: list[str]) -> list[str]:
    """Make each step with needs capable or not, as allowed; returns the steps that are not."""
    wanted = {sid: o["incapable"] and draw(st.booleans()) for sid in main if steps[sid].get("needs")}
    required = {(steps[s]["owner"], steps[s]["needs"][0]) for s, no in wanted.items() if not no}
    forbidden = {(steps[s]["owner"], steps[s]["needs"][0]) for s, no in wanted.items() if no} - required
    for tid, team in teams.items():
        team["can"] = sorted(({c for c in team["can"]} | {c for t, c in required if t == tid})
                             - {c for t, c in forbidden if t == tid})
    return [s for s in wanted if steps[s]["needs"][0] not in teams[steps[s]["owner"]]["can"]]


def _add_timeouts(draw, o: dict, steps: dict, ids: list[str], outcomes: list[str], never_done: list[str]) -> None:
    forward = {sid: ids[i + 1:] + outcomes for i, sid in enumerate(ids)}
    for sid in ids:
        must = sid in never_done and not (o["dead_ends"] and draw(st.booleans()))
        if must or (o["timeouts"] and draw(st.integers(0, 5)) == 0):
            steps[sid]["timeout"] = {"after": round(draw(st.floats(0.5, 3 * o["max_mean"])), 3),
                                     "to": draw(st.sampled_from(forward[sid]))}


@st.composite
def _blueprints(draw, o: dict) -> Blueprint:
    teams = _draw_teams(draw, o)
    team_ids = list(teams)
    steps: dict[str, dict[str, Any]] = {}
    ids, outcomes, targets = _draw_journey(draw, o, steps, team_ids)
    if o["splits"] or o["races"]:
        for b in range(draw(st.integers(0, 2))):
            _draw_block(draw, o, b, ids[draw(st.integers(0, len(ids) - 1))], steps, targets, outcomes, team_ids)
    never_done = _settle_capabilities(draw, o, teams, steps, ids)
    _add_timeouts(draw, o, steps, ids, outcomes, never_done)
    flows = []
    for sid, outs in targets.items():
        use_p = o["weighted"] if o["weighted"] is not None else draw(st.booleans())
        if use_p and len(outs) > 1 and steps[sid].get("split") != "all":
            flows += [{"from": sid, "to": t, "p": p} for t, p in zip(outs, _chances(draw, len(outs)))]
        else:
            flows += [[sid, t] for t in outs]
    data: dict[str, Any] = {"name": "Generated service", "lanes": list(o["lanes"]), "teams": teams,
                            "steps": steps, "flows": flows, "start": ids[0],
                            "arrivals": {"every": {"exponential": round(draw(st.floats(0.5, 2 * o["max_mean"])), 3)}}}
    if o["patience"] or (o["patience"] is None and draw(st.booleans())):
        data["patience"] = {"exponential": round(draw(st.floats(o["max_mean"], 20 * o["max_mean"])), 3)}
    return Blueprint.model_validate(data)


def baseline(model: Blueprint, path: str) -> Any:
    """The value at `path` in `model` as it is: where a variation of that path starts from.

    A path is written as for :meth:`Blueprint.with_changes` (``teams.desk.staff``,
    ``flows[a->b].p``, ``flows[3].p``). A flow's ``p`` not written in the file is its share of the
    flows out of its step (``1 / n``); another key not written gives ``None``.

    Parameters
    ----------
    model : Blueprint
        The blueprint.
    path : str
        One place in it (no ``*``).

    Returns
    -------
    Any
        The value there, as written in the file's data (``None`` when not set).

    Raises
    ------
    BlueprintError
        When the path names nothing in the model, or names several places (``*``).

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("teams: {desk: {staff: 3}}\\nsteps: {a: {lane: frontstage, owner: desk}, "
    ...               "b: {outcome: success}, c: {outcome: failure}}\\nflows: [[a, b], [a, c]]")
    >>> baseline(model, "teams.desk.staff"), baseline(model, "flows[a->c].p")
    (3, 0.5)
    >>> baseline(model, "teams.till.staff")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: no 'teams.till.staff': 'till' is not there
    """
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
        base = baseline(model, path)
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
