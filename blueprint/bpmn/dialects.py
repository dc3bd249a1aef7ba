"""Simulation parameters that tools write beside a BPMN model, in their own dialects.

- Prosimos / BIMP (QBP, ``qbp:processSimulationInfo``): arrival rate, task durations (in seconds),
  resources with their number and timetable, the chance of each sequence flow;
- BPSim (``bpsim:ElementParameters``): the ``Probability`` of a sequence flow;
- Camunda and similar (``<camunda:property name="probability" value="0.3"/>`` on a flow);
- this project's own ``blueprint:p`` on a flow, which wins over the others.

:func:`read_simulation` reads them all into one :class:`Simulation` record.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..hours import parse_hours
from .xmlfile import QBP, B, M, Notes, idref, local, namespace

__all__ = ["Simulation", "read_simulation"]

_Q = "{%s}" % QBP


@dataclass(frozen=True)
class Simulation:
    """What the file says about chances, durations, resources and arrivals.

    Attributes
    ----------
    chances : dict
        Sequence flow id -> the chance of taking it.
    durations : dict
        Element id -> its duration, as a blueprint writes it (``{"exponential": 5}``), in minutes.
    resources : dict
        QBP resource id -> ``{"name", "staff", "hours"}``.
    task_resource : dict
        Element id -> the QBP resource id that does it.
    arrivals : dict or None
        The time between arrivals, as a blueprint writes it.
    """

    chances: dict[str, float] = field(default_factory=dict)
    durations: dict[str, dict] = field(default_factory=dict)
    resources: dict[str, dict] = field(default_factory=dict)
    task_resource: dict[str, str] = field(default_factory=dict)
    arrivals: dict | None = None


def read_simulation(root, notes: Notes) -> Simulation:
    """Every dialect's simulation parameters in the file whose root element is `root`.

    Examples
    --------
    >>> from defusedxml.ElementTree import fromstring
    >>> root = fromstring('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    ...                   'xmlns:b="urn:blueprint:bpmn:1"><process id="p">'
    ...                   '<sequenceFlow id="f" sourceRef="a" targetRef="b" b:p="0.3"/></process></definitions>')
    >>> read_simulation(root, Notes()).chances
    {'f': 0.3}
    """
    chances: dict[str, float] = {}
    sim = Simulation(chances=chances)
    arrivals = None
    for info in root.iter(_Q + "processSimulationInfo"):
        arrivals = _read_qbp(info, sim, notes) or arrivals
    for params in root.iter():  # BPSim: ElementParameters/ControlParameters/Probability
        if local(params.tag) == "ElementParameters" and "bpsim" in namespace(params.tag):
            for prob in params.iter():
                if local(prob.tag) == "Probability":
                    value = next((v.get("value") for v in prob.iter() if v.get("value") is not None), None)
                    _set_chance(chances, idref(params.get("elementRef")), value)
    for flow in root.iter(M + "sequenceFlow"):
        for ext in flow.iter():  # Camunda (and similar) properties: <camunda:property name="probability" ...>
            if local(ext.tag) == "property" and (ext.get("name") or "").lower() in ("probability", "p"):
                _set_chance(chances, flow.get("id"), ext.get("value"))
        if flow.get(B + "p") is not None:
            _set_chance(chances, flow.get("id"), flow.get(B + "p"), force=True)
    return Simulation(chances, sim.durations, sim.resources, sim.task_resource, arrivals)


def _read_qbp(info, sim: Simulation, notes: Notes) -> dict | None:
    """One ``qbp:processSimulationInfo`` into `sim`; its arrivals, if it has them."""
    arrival = info.find(_Q + "arrivalRateDistribution")
    arrivals = _qbp_distribution(arrival, info.get("id", "arrivals"), notes) if arrival is not None else None
    timetables = {tt.get("id"): _qbp_hours(tt, notes) for tt in info.iter(_Q + "timetable")}
    for res in info.iter(_Q + "resource"):
        sim.resources[res.get("id")] = {"name": res.get("name") or res.get("id"),
                                        "staff": _staff(res, notes), "hours": timetables.get(res.get("timetableId"))}
    for el in info.iter(_Q + "element"):
        ref = idref(el.get("elementId"))
        dist = el.find(_Q + "durationDistribution")
        if dist is not None:
            sim.durations[ref] = _qbp_distribution(dist, ref, notes)
        rid = el.find(f"{_Q}resourceIds/{_Q}resourceId")
        if rid is not None and rid.text:
            sim.task_resource[ref] = rid.text.strip()
    for sf in info.iter(_Q + "sequenceFlow"):
        _set_chance(sim.chances, idref(sf.get("elementId")), sf.get("executionProbability"))
    return arrivals


def _staff(resource, notes: Notes) -> int | None:
    """The number of a QBP resource (``totalAmount``), ``None`` (with a note) when it is not one."""
    raw = resource.get("totalAmount")
    if raw is None:
        return None
    try:
        staff = float(raw)
    except ValueError:
        staff = math.nan
    if not math.isfinite(staff) or staff < 0:
        notes.warn(resource.get("id") or "resource", f"resource '{resource.get('id')}' has totalAmount='{raw}', "
                   "which is not a number of people; its team's staff is left out (unlimited)")
        return None
    return int(staff)


def _set_chance(chances: dict[str, float], flow_id: str | None, value: Any, force: bool = False) -> None:
    try:
        p = float(value)
    except (TypeError, ValueError):
        return
    if flow_id and math.isfinite(p) and p >= 0 and (force or flow_id not in chances):
        chances[flow_id] = p


def _qbp_hours(timetable, notes: Notes) -> str | None:
    parts = []
    for rule in timetable.iter(_Q + "rule"):
        days = [(rule.get("fromWeekDay") or "")[:3].title(), (rule.get("toWeekDay") or "")[:3].title()]
        start, end = (rule.get("fromTime") or "")[:5], (rule.get("toTime") or "")[:5]
        if end == "23:59":
            end = "24:00"
        parts.append(f"{days[0]}-{days[1]} {start}-{end}" if days[0] != days[1] else f"{days[0]} {start}-{end}")
    text = "; ".join(parts)
    try:
        parse_hours(text)
    except ValueError:
        notes.warn(timetable.get("id", "timetable"), f"timetable '{timetable.get('id')}' ({text}) is not "
                   "working hours the blueprint can read; the team is taken to work all the time")
        return None
    return text if text != "Mon-Sun 00:00-24:00" else None


def _qbp_distribution(el, ref: str, notes: Notes) -> dict | None:
    """A QBP distribution (times in seconds) as a blueprint duration in minutes."""
    kind = (el.get("type") or "").upper()

    def minutes(name: str) -> float:
        try:
            return float(el.get(name)) / 60.0
        except (TypeError, ValueError):
            return math.nan

    mean, a1, a2 = minutes("mean"), minutes("arg1"), minutes("arg2")
    finite = math.isfinite

    def r(x: float) -> float:
        return round(max(x, 0.0), 6)

    if kind == "FIXED" and finite(mean):
        return {"fixed": r(mean)}
    if kind == "EXPONENTIAL":
        m = a1 if finite(a1) and a1 > 0 else mean
        return {"exponential": r(m)} if finite(m) and m > 0 else {"fixed": 0}
    if kind == "NORMAL" and finite(mean):
        return {"normal": {"mean": r(mean), "sd": r(a1 if finite(a1) else 0)}}
    if kind == "UNIFORM" and finite(a1) and finite(a2):
        return {"uniform": [r(min(a1, a2)), r(max(a1, a2))]}
    if kind == "TRIANGULAR" and all(map(finite, (mean, a1, a2))):
        lo, mode, hi = sorted((a1, mean, a2))
        return {"triangular": [r(lo), r(mode), r(hi)]}
    if kind in ("LOGNORMAL", "GAMMA") and finite(mean) and mean > 0:
        sd = math.sqrt(a1 * 60) if finite(a1) and a1 > 0 else 0.0  # arg1 is a variance (s^2)
        if kind == "GAMMA":
            notes.warn(ref, f"the gamma duration of '{ref}' is read as a lognormal time with the same "
                       "mean and spread (the blueprint has no gamma)")
        return {"lognormal": {"mean": r(mean), "sd": r(sd / math.sqrt(60) if sd else 0)}}
    notes.warn(ref, f"the {kind.lower() or 'unnamed'} time distribution of '{ref}' cannot be read; "
               "its duration is left out")
    return None
