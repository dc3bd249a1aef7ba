"""Cross-references of a blueprint: every name used must name something, and branches add up.

These checks run on a light *view* of the file, so that the loader can report them together with
the type errors of the same file (a view is built from raw data that did not validate as well as
from a model that did).
"""
from __future__ import annotations

from typing import Any

from .errors import did_you_mean
from .rule_ids import RULE_IDS
from .tolerance import TOLERANCE

__all__ = ["ReferenceProblems", "reference_problems", "view_of_model", "view_of_data", "entry_of"]

Loc = tuple


class ReferenceProblems(ValueError):
    """Raised by the model for broken references; the loader spreads it into one problem each."""

    def __init__(self, problems: list[tuple[Loc, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems))


def view_of_model(bp) -> dict:
    return {
        "lanes": list(bp.lanes), "stages": list(bp.stages), "teams": set(bp.teams),
        "steps": {sid: {"owner": s.owner, "lane": s.lane, "stage": s.stage, "outcome": s.outcome,
                        "split": s.split, "timeout_to": s.timeout.to if s.timeout else None}
                  for sid, s in bp.steps.items()},
        "flows": [(i, f.source, f.target, f.p) for i, f in enumerate(bp.flows)],
        "start": bp.start, "checks": list(bp.checks),
    }


def view_of_data(data: Any) -> dict | None:
    """A view of raw data that may not have validated; parts of the wrong shape are left out."""
    if not isinstance(data, dict):
        return None
    lanes = data.get("lanes", ["customer", "frontstage", "backstage", "support"])
    lanes = [x for x in lanes if isinstance(x, str)] if isinstance(lanes, list) and lanes else None
    stages = data.get("stages", [])
    stages = [x for x in stages if isinstance(x, str)] if isinstance(stages, list) else None
    teams = data.get("teams", {})
    steps = data.get("steps", {})
    view_steps = {}
    if isinstance(steps, dict):
        for sid, s in steps.items():
            if not isinstance(s, dict):
                continue
            timeout = s.get("timeout")
            view_steps[sid] = {k: s.get(k) if isinstance(s.get(k), str) else None
                               for k in ("owner", "lane", "stage", "outcome", "split")}
            view_steps[sid]["timeout_to"] = timeout.get("to") if isinstance(timeout, dict) else None
    flows = []
    raw_flows = data.get("flows", [])
    for i, f in enumerate(raw_flows if isinstance(raw_flows, list) else []):
        if isinstance(f, (list, tuple)) and len(f) in (2, 3):
            f = {"from": f[0], "to": f[1], "p": f[2] if len(f) == 3 else None}
        if isinstance(f, dict) and isinstance(f.get("from"), str) and isinstance(f.get("to"), str):
            p = f.get("p")
            chance = p if isinstance(p, (int, float)) and not isinstance(p, bool) else None
            flows.append((i, f["from"], f["to"], chance))
    checks = data.get("checks", {})
    return {"lanes": lanes, "stages": stages, "teams": set(teams) if isinstance(teams, dict) else None,
            "steps": view_steps if isinstance(steps, dict) else None, "flows": flows,
            "start": data.get("start"), "checks": list(checks) if isinstance(checks, dict) else []}


def _no_such(kind: str, name: Any, known) -> str:
    known = sorted(map(str, known))
    listing = f" ({kind}s: {', '.join(known[:12])}{', ...' if len(known) > 12 else ''})" if known else ""
    return f"no {kind} '{name}'{did_you_mean(name, known)}{listing}"


def entry_of(start: Any, steps: dict, flows) -> dict[str, float]:
    """Entry steps with their chances, from ``start`` or, when it is left out, the one step that
    nothing flows into. Empty when that cannot be told."""
    if isinstance(start, str):
        return {start: 1.0}
    if isinstance(start, dict):
        return {k: float(v) for k, v in start.items()}
    targets = {f.target if hasattr(f, "target") else f[2] for f in flows}
    candidates = [sid for sid, s in steps.items()
                  if sid not in targets and not (s.outcome if hasattr(s, "outcome") else s.get("outcome"))]
    return {candidates[0]: 1.0} if len(candidates) == 1 else {}


def reference_problems(view: dict | None) -> list[tuple[Loc, str]]:
    """Every broken reference in a view, as ``(location, message)`` pairs."""
    if view is None:
        return []
    problems: list[tuple[Loc, str]] = []
    lanes, stages, teams, steps = view["lanes"], view["stages"], view["teams"], view["steps"]
    if lanes is not None and len(set(lanes)) != len(lanes):
        problems.append((("lanes",), "a lane is listed twice; list each lane once"))
    if steps is not None:
        suspects = [(sid, s) for sid, s in steps.items()
                    if (s["owner"] is not None
                        and (teams is None or s["owner"] not in teams or s["lane"] == "customer"))
                    or (s["lane"] is not None and lanes is not None and s["lane"] not in lanes)
                    or (s["stage"] is not None and (stages is None or s["stage"] not in stages))
                    or s["timeout_to"] is not None]
        for sid, s in suspects:
            if s["owner"] is not None and teams is not None and s["owner"] not in teams:
                problems.append((("steps", sid, "owner"), _no_such("team", s["owner"], teams)
                                 + "; declare it under teams or fix the name"))
            if s["lane"] is not None and lanes is not None and s["lane"] not in lanes:
                problems.append((("steps", sid, "lane"),
                                 f"'{s['lane']}' is not a lane{did_you_mean(s['lane'], lanes)}; "
                                 f"use one of {', '.join(lanes)}, or declare it in lanes: [...]"))
            if s["lane"] == "customer" and s["owner"] is not None:
                problems.append((("steps", sid, "owner"), "a customer step has no owner (the customer does it); "
                                 "drop the owner, or move the step to a staff lane"))
            if s["stage"] is not None and stages is not None and s["stage"] not in stages:
                problems.append((("steps", sid, "stage"),
                                 f"'{s['stage']}' is not a stage{did_you_mean(s['stage'], stages)}; "
                                 + (f"use one of {', '.join(stages)}" if stages else "declare it in stages: [...]")))
            if s["timeout_to"] is not None and s["timeout_to"] not in steps:
                problems.append((("steps", sid, "timeout", "to"), _no_such("step", s["timeout_to"], steps)))
    flows = view["flows"]
    if steps is not None:
        for i, source, target, _ in [f for f in flows if f[1] not in steps or f[2] not in steps]:
            for end, name in (("from", source), ("to", target)):
                if name not in steps:
                    problems.append((("flows", i, end), _no_such("step", name, steps)))
        ends = {sid for sid, s in steps.items() if s["outcome"]}
        for i, source, _, _ in ([f for f in flows if f[1] in ends] if ends else []):
            problems.append((("flows", i, "from"), f"'{source}' is an outcome: the case ends there, "
                             "so no flow can leave it; remove the flow or the outcome"))
    if len({(f[1], f[2]) for f in flows}) != len(flows):
        seen: dict[tuple[str, str], int] = {}
        for i, source, target, _ in flows:
            if (source, target) in seen:
                problems.append((("flows", i), f"the flow {source} -> {target} is already declared at "
                                 f"flows[{seen[source, target]}]; declare each flow once"))
            seen.setdefault((source, target), i)
    weighted = {f[1] for f in flows if f[3] is not None}
    by_source: dict[str, list[tuple[int, float | None]]] = {}
    for i, source, _, p in ([f for f in flows if f[1] in weighted] if weighted else []):
        by_source.setdefault(source, []).append((i, p))
    for source, branches in by_source.items():
        given = [p for _, p in branches if p is not None]
        first = branches[0][0]
        split = steps is not None and source in steps and steps[source]["split"] == "all"
        if split and given:
            problems.append((("flows", first, "p"), f"'{source}' has split: all, so the case goes down every flow; "
                             "drop p from its flows"))
        elif given and len(given) != len(branches):
            problems.append((("flows", first, "p"), f"some flows out of '{source}' carry p and some do not; "
                             "give p to all of them or to none"))
        elif given and abs(sum(given) - 1.0) > TOLERANCE:
            problems.append((("flows", first, "p"), f"the flows out of '{source}' have p adding up to "
                             f"{round(sum(given), 9):g}, not 1; make them add up to 1"))
    start = view["start"]
    if steps is not None:
        if isinstance(start, str) and start not in steps:
            problems.append((("start",), _no_such("step", start, steps) + " to start at"))
        elif isinstance(start, dict):
            for sid, weight in start.items():
                if sid not in steps:
                    problems.append((("start", sid), _no_such("step", sid, steps) + " to start at"))
                if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 <= weight <= 1:
                    problems.append((("start", sid), f"a start weight is a chance from 0 to 1, not {weight!r}"))
            weights = [w for w in start.values() if isinstance(w, (int, float)) and not isinstance(w, bool)]
            if weights and len(weights) == len(start) and abs(sum(weights) - 1) > TOLERANCE:
                problems.append((("start",), f"start weights add up to {round(sum(weights), 9):g}, not 1; "
                                 "make them add up to 1"))
            if not start:
                problems.append((("start",), "start names no step; write start: STEP"))
        elif start is None and steps:
            view_flows = [(None, None, f[2]) for f in view["flows"]]
            if not entry_of(None, steps, view_flows):
                targets = {f[2] for f in view["flows"]}
                loose = [sid for sid, s in steps.items() if sid not in targets and not s["outcome"]]
                problems.append((("start",), "say where cases start: start: STEP"
                                 + (f" (nothing flows into {', '.join(loose[:6])})" if loose else "")))
        for sid in (start if isinstance(start, dict) else [start] if isinstance(start, str) else []):
            if sid in steps and steps[sid]["outcome"]:
                problems.append((("start",), f"'{sid}' is an outcome; cases cannot start where they end"))
    for rule in view["checks"]:
        if rule not in RULE_IDS:
            problems.append((("checks", rule), f"no rule '{rule}'{did_you_mean(rule, RULE_IDS)}; "
                             f"rules are {', '.join(sorted(RULE_IDS))}"))
    return problems
