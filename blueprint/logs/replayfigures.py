"""The ``replay`` document and its readings: JSON (SPEC §4), a text report and an HTML table.

:func:`document` sets what a log shows (:mod:`blueprint.logs.observed`) beside what the blueprint says:
each flow's observed chance beside its ``p``, each step's duration and wait beside nothing (the
blueprint's duration is its own: see the calibrated blueprint), each team's load beside the load
``stats`` defines (arrival rate x expected visits x mean duration), contacts, handoffs and story
repeats per case beside ``stats``, each outcome's share beside its chance. Times are in the
blueprint's ``time_unit``.
"""
from __future__ import annotations

import html
import math
import textwrap
from typing import Any

import numpy as np

from .. import tables
from ..chain import timeout_chance
from ..chain.capacity import arrival_rate
from ..durations import TIME_UNITS
from ..model import Blueprint
from ..numbers import cell, figure
from .discover import most_at_once
from .observed import summary, wait_causes

__all__ = ["document", "text", "html_table", "model_loads", "open_share"]


#: A figure the log cannot give (no start times, no visits): every value null.
NONE = {"mean": None, "p50": None, "p90": None}


def _r(x: float | None, digits: int = 6) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def open_share(hours) -> float:
    """The share of the week a team works: 1 without hours.

    Examples
    --------
    >>> open_share([(540, 1020)]), open_share(None)
    (0.047619047619047616, 1.0)
    """
    return 1.0 if hours is None else sum(b - a for a, b in hours) / (7 * 1440)


def model_loads(model: Blueprint, visits: dict | None) -> dict[str, float | None]:
    """Each team's load as ``stats`` defines it: arrival rate x expected visits x mean duration
    (``None`` where a figure it needs is not known)."""
    rate = arrival_rate(model)
    out: dict[str, float | None] = {}
    for tid in model.teams:
        total: float | None = 0.0
        for sid, step in model.steps.items():
            if step.owner == tid and total is not None:
                v = (visits or {}).get(sid)
                total = None if v is None else total + v * model.mean_duration(sid)
        out[tid] = None if rate is None or total is None else rate * total
    return out


def _flows(fit) -> tuple[dict, dict]:
    model, rules, seen = fit.model, fit.rules, fit.observed
    ids = rules.ids
    flows: dict[str, dict] = {}
    for flow in model.flows:
        a, b = rules.index[flow.source], rules.index[flow.target]
        flows[f"{flow.source}->{flow.target}"] = {
            "observed": _r(seen.chance(a, b)), "model": _r(dict(model.branches(flow.source)).get(flow.target)),
            "count": seen.moves[a, b]}
    for (a, b), n in sorted(seen.moves.items()):
        key = f"{ids[a]}->{ids[b]}"
        if key not in flows:
            flows[key] = {"observed": _r(seen.chance(a, b)), "model": None, "count": n}
    timeouts = {}
    for sid, step in model.steps.items():
        if step.timeout is not None:
            a, b = rules.index[sid], rules.index[step.timeout.to]
            timeouts[sid] = {"to": step.timeout.to, "observed": _r(seen.chance(a, b, by_timeout=True)),
                             "model": _r(timeout_chance(model, sid)), "count": seen.timeouts[a, b]}
    return flows, timeouts


def _causes(fit) -> dict[int, tuple]:
    """Per step: (waited for staff or None, outside hours, all waiting), in seconds."""
    model, seen = fit.model, fit.observed
    out: dict[int, list] = {}
    for o, tid in enumerate(fit.rules.teams):
        team = model.teams[tid]
        staff, closed = wait_causes(seen, o, team.staff, team.open_hours)
        where = np.asarray(seen.waiting[o][2], dtype=np.int64)
        if not len(where):
            continue
        for step in np.unique(where).tolist():
            mine = where == step
            out[step] = [None if staff is None else float(staff[mine].sum()), float(closed[mine].sum())]
    return out


def _steps(fit) -> dict:
    model, rules, seen = fit.model, fit.rules, fit.observed
    per = TIME_UNITS[model.time_unit]
    causes = _causes(fit)
    steps = {}
    for i, sid in enumerate(rules.ids):
        entry: dict[str, Any] = {"count": seen.visits[i], "finished": seen.finished[i],
                                 "duration": summary(seen.durations[i], per) or dict(NONE),
                                 "wait": summary(seen.waits[i], per) or dict(NONE)}
        if len(seen.spans[i]):
            entry["span"] = summary(seen.spans[i], per)
        waits = seen.waits[i]
        if len(waits):
            total = float(np.frombuffer(waits).sum())
            staff, closed = causes.get(i, (0.0 if rules.owner[i] < 0 else None, 0.0))
            if rules.owner[i] >= 0 and i not in causes:
                staff = 0.0  # the team's waits here were all nothing
            n = len(waits) * per
            entry["wait_causes"] = {
                "staff": None if staff is None else _r(staff / n),
                "hours": _r(closed / n),
                "other": None if staff is None else _r(max(0.0, total - staff - closed) / n)}
        steps[sid] = entry
    return steps


def _teams(fit) -> dict:
    model, seen = fit.model, fit.observed
    stats_visits = fit.stats.expected_visits if fit.stats is not None else None
    loads = model_loads(model, stats_visits)
    teams = {}
    for o, tid in enumerate(fit.rules.teams):
        team = model.teams[tid]
        starts, ends, _ = seen.work[o]
        busy = float((np.frombuffer(ends) - np.frombuffer(starts)).sum()) if len(starts) else 0.0
        load = busy / seen.span if len(starts) and seen.span > 0 else None
        on_duty = team.staff * open_share(team.open_hours) if team.staff else None
        teams[tid] = {"load": {"observed": _r(load), "model": _r(loads.get(tid))},
                      "utilization": {"observed": _r(load / on_duty) if on_duty and load is not None else None,
                                      "model": _r(loads[tid] / on_duty) if on_duty and loads.get(tid) is not None
                                      else None},
                      "people": len(seen.team_people[o]), "most_at_once": most_at_once(starts, ends),
                      "staff": team.staff}
    return teams


def document(fit) -> dict:
    """The ``replay`` JSON document of a :class:`blueprint.logs.replay.Replay`."""
    model, seen = fit.model, fit.observed
    unit, per = model.time_unit, TIME_UNITS[model.time_unit]
    stats = fit.stats.to_json() if fit.stats is not None else {}
    flows, timeouts = _flows(fit)

    def mean(values) -> float | None:
        return _r(float(np.mean(np.frombuffer(values, dtype=np.int64)))) if len(values) else None

    per_case = {key: {"observed": mean(values), "model": _r(stats.get(f"expected_{key}"))}
                for key, values in (("contacts", seen.contacts), ("handoffs", seen.handoffs),
                                    ("story_repeats", seen.repeats))}
    outcomes = {sid: {"observed": _r(seen.reached[fit.rules.index[sid]] / fit.cases),
                      "model": _r((stats.get("outcomes") or {}).get(sid)), "count": seen.reached[fit.rules.index[sid]]}
                for sid, s in model.steps.items() if s.is_outcome}
    first, last, n = seen.arrivals
    observed_rate = (n - 1) / (last - first) * per if n > 1 and last > first else None
    return {
        "log": fit.file, "blueprint": model.name, "time_unit": unit,
        "cases": fit.cases, "fitting": fit.fitting, "fitness": _r(fit.fitness),
        "moves": fit.moves, "fitting_moves": fit.fitting_moves, "move_fitness": _r(fit.move_fitness),
        "deviations": fit.deviations,
        "activities": {"matched": dict(sorted(fit.matched.items())), "unmatched": dict(sorted(fit.unmatched.items())),
                       "left_out": sorted(fit.left_out)},
        "flows": flows, "timeouts": timeouts, "steps": _steps(fit), "teams": _teams(fit),
        "per_case": per_case, "outcomes": outcomes, "endings": dict(seen.endings),
        "time_in_system": summary(seen.time_in_system, per) or dict(NONE),
        "arrivals": {"observed": _r(observed_rate), "model": _r(arrival_rate(model))},
    }


# ------------------------------------------------------------------------------------------------
# readings
# ------------------------------------------------------------------------------------------------
def _n(x, width: int = 9) -> str:
    return cell(x, width)  # as simulate's report writes its figures


def _name(model: Blueprint, sid: str, width: int) -> str:
    label = model.steps[sid].name or sid if sid in model.steps else sid
    return (label if len(label) <= width else label[:width - 1] + "…").ljust(width)


def text(doc: dict, model: Blueprint) -> str:
    """The document as a report a consultant reads top to bottom."""
    unit = doc["time_unit"]
    lines = [f"Replay of {doc['log']} on {model.name or 'the blueprint'}: {doc['fitting']:,} of {doc['cases']:,} "
             f"cases fit ({doc['fitness']:.1%}); {doc['move_fitness']:.1%} of {doc['moves']:,} moves fit."]
    if doc["activities"]["unmatched"]:
        lines.append("Activities that match no step: " + ", ".join(
            f"'{a}' ({n:,} visits)" for a, n in sorted(doc["activities"]["unmatched"].items(), key=lambda kv: -kv[1])))
    deviations = [d for d in doc["deviations"] if d["cases"]]
    unused = [d for d in doc["deviations"] if not d["cases"]]
    if deviations:
        lines += ["", "Deviations"]
        for d in deviations:
            lines += textwrap.wrap(f"[{d['kind']}] {d['message']}", 100, initial_indent="  ", subsequent_indent="    ")
    if unused:
        lines += ["", f"Flows no case took ({len(unused)}; the blueprint's expected number of cases, where it says)"]
        for d in unused:
            (a, b), expected = d["flows"][0], d.get("expected")
            lines.append(f"  {_name(model, a, 34)} -> {_name(model, b, 34)}"
                         + (f"{expected:>8,.1f}" if expected is not None else ""))
    lines += ["", f"{'Flow':<44}{'observed':>9}{'blueprint':>10}{'moves':>9}"]
    for key, f in doc["flows"].items():
        a, _, b = key.partition("->")
        lines.append(f"  {_name(model, a, 20)} -> {_name(model, b, 18)}{_n(f['observed'])}{_n(f['model'], 10)}"
                     f"{_n(f['count'])}")
    for sid, t in doc["timeouts"].items():
        lines.append(f"  {_name(model, sid, 20)} ⏱> {_name(model, t['to'], 18)}{_n(t['observed'])}"
                     f"{_n(t['model'], 10)}{_n(t['count'])}")
    lines += ["", f"{'Step (times in ' + unit + 's)':<30}{'visits':>8}{'duration':>10}{'p50':>8}{'p90':>8}"
                  f"{'wait':>9}{'p50':>8}{'p90':>8}   wait for staff / hours / other"]
    spans = False
    for sid, s in doc["steps"].items():
        if sid in model.steps and model.steps[sid].is_outcome:
            continue  # (how many cases end at each outcome: below)
        spans = spans or s["duration"]["mean"] is None and "span" in s
        d, w, c = s["duration"] if s["duration"]["mean"] is not None else s.get("span", NONE), s["wait"], \
            s.get("wait_causes")
        causes = " / ".join(_n(c[k], 5).strip() for k in ("staff", "hours", "other")) if c else ""
        lines.append(f"  {_name(model, sid, 28)}{_n(s['count'], 8)}{_n(d.get('mean'), 10)}{_n(d.get('p50'), 8)}"
                     f"{_n(d.get('p90'), 8)}{_n(w.get('mean'))}{_n(w.get('p50'), 8)}{_n(w.get('p90'), 8)}   {causes}")
    if spans:
        lines.append("  (where the log has no start times, a duration is the time since the previous event: "
                     "waiting included)")
    if doc["teams"]:
        lines += ["", f"{'Team':<30}{'load':>8}{'blueprint':>10}{'busy':>8}{'blueprint':>10}{'people':>8}"
                      f"{'at once':>9}{'staff':>7}"]
        for tid, t in doc["teams"].items():
            u = t["utilization"]
            busy = [f"{x:.0%}" if x is not None else "-" for x in (u["observed"], u["model"])]
            lines.append(f"  {model.team_name(tid)[:28]:<28}{_n(t['load']['observed'], 8)}{_n(t['load']['model'], 10)}"
                         f"{busy[0]:>8}{busy[1]:>10}{t['people']:>8,}{t['most_at_once']:>9,}"
                         f"{t['staff'] if t['staff'] is not None else '-':>7}")
    lines += ["", f"{'Per case':<30}{'observed':>10}{'blueprint':>10}"]
    for key, f in doc["per_case"].items():
        lines.append(f"  {key.replace('_', ' '):<28}{_n(f['observed'], 10)}{_n(f['model'], 10)}")
    for sid, f in doc["outcomes"].items():
        where = "ends at " + (model.steps[sid].name or sid)
        lines.append(f"  {where:<28.28}{_n(f['observed'], 10)}{_n(f['model'], 10)}")
    t = doc["time_in_system"]
    if t["mean"] is not None:
        lines.append(f"  {'time in system (' + unit + 's)':<28}{_n(t['mean'], 10)}   p50 {_n(t['p50'], 0)}   "
                     f"p90 {_n(t['p90'], 0)}")
    a = doc["arrivals"]
    lines.append(f"  {'arrivals per ' + unit:<28}{_n(a['observed'], 10)}{_n(a['model'], 10)}")
    return "\n".join(lines)


def html_table(doc: dict, model: Blueprint) -> str:
    """The document as HTML tables (Jupyter shows them): deviations, flows, steps."""
    parts = [f"<p><b>{html.escape(doc['log'])}</b>: {doc['fitting']:,} of {doc['cases']:,} cases fit "
             f"({doc['fitness']:.1%}); {doc['move_fitness']:.1%} of moves fit.</p>"]
    if doc["deviations"]:
        parts.append(tables.html_table(["kind", "cases", "what"], [[d["kind"], figure(d["cases"]), d["message"]]
                                                                  for d in doc["deviations"]], numeric=[1]))
    parts.append(tables.html_table(["flow", "observed", "blueprint", "moves"],
                                   [[k, figure(f["observed"]), figure(f["model"]), figure(f["count"])]
                                    for k, f in doc["flows"].items()], numeric=[1, 2, 3]))
    rows = []
    for sid, s in doc["steps"].items():
        took = s["duration"]["mean"] if s["duration"]["mean"] is not None else s.get("span", NONE)["mean"]
        causes = s.get("wait_causes") or {}
        rows.append([model.label(sid) if sid in model.steps else sid, figure(s["count"]), figure(took),
                     figure(s["wait"]["mean"]), figure(causes.get("staff")), figure(causes.get("hours"))])
    parts.append(tables.html_table([f"step (times in {doc['time_unit']}s)", "visits", "duration", "wait",
                                    "wait for staff", "outside hours"], rows, numeric=[1, 2, 3, 4, 5]))
    return "\n".join(parts)
