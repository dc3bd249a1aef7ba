"""Writing BPMN: a blueprint as BPMN 2.0 XML, with its diagram laid out by :mod:`.layout`.

Writing goes in three steps over plain values: :func:`plan` says which BPMN elements and sequence
flows stand for the blueprint (a :class:`Plan`), :func:`bands` puts each element in a lane, and
:func:`to_bpmn` writes the XML of the process, the lanes and the diagram.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ..durations import TIME_UNITS, mean_of
from ..model import CUSTOMER, Blueprint
from ..version import __version__
from .elements import Edge, Element, Plan
from .iso import iso_duration
from .layout import Band, layout
from .xmlfile import BLUEPRINT_NS, BPMNDI, DC, DDI, MODEL, B, M

__all__ = ["to_bpmn", "plan", "Plan", "Element", "Edge"]

#: The most steps ``blueprint convert`` lays out as a BPMN diagram unless asked for more
#: (bench_bpmn: 16,000 layered steps in 2.3 s; 100,000 steps of random flows took 69 s and 6.3 GB).
MOST_STEPS_LAID_OUT = 25_000

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = "{%s}type" % XSI
_TEXT_KEYS = ("stage", "channel", "evidence", "fail_point", "moment")
_JSON_KEYS = ("duration", "emotion", "needs", "cost")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def to_bpmn(model: Blueprint) -> str:
    """The blueprint as BPMN 2.0 XML with a laid-out diagram, readable back by :func:`read_bpmn`.

    One pool holds one horizontal lane per blueprint lane in use, split into one lane per team;
    steps become tasks, outcomes end events (an error end for a failure; a terminate end for a
    success where other parallel work of the case could still be going), branches an exclusive
    gateway with the chances on its flows, ``split: all`` and ``join: all`` parallel gateways, a
    timeout a boundary timer; flows are routed around the shapes (:mod:`.layout`). The rest
    travels in the ``blueprint:`` namespace.

    Examples
    --------
    >>> from blueprint import loads
    >>> xml = to_bpmn(loads("steps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]"))
    >>> '<bpmn:task id="a"' in xml, '<bpmn:endEvent id="b"' in xml, "BPMNShape" in xml
    (True, True, True)
    """
    data = model.to_data()
    p = plan(model, data)
    for prefix, uri in (("bpmn", MODEL), ("bpmndi", BPMNDI), ("dc", DC), ("di", DDI), ("blueprint", BLUEPRINT_NS),
                        ("xsi", XSI)):
        ET.register_namespace(prefix, uri)
    root = ET.Element(M + "definitions", {"id": p.new_id("Definitions"), "targetNamespace": "urn:blueprint:model",
                                          "exporter": "blueprint", "exporterVersion": __version__})
    collab = ET.SubElement(root, M + "collaboration", {"id": p.new_id("Collaboration")})
    pid, pool_id = p.new_id("Process"), p.new_id("Pool")
    ET.SubElement(collab, M + "participant", {"id": pool_id, "name": model.name or "Service", "processRef": pid})
    process = ET.SubElement(root, M + "process", {"id": pid, "isExecutable": "false"})
    if model.name:
        process.set("name", model.name)
    if model.description:
        ET.SubElement(process, M + "documentation").text = model.description
    _extensions(ET.SubElement(process, M + "extensionElements"), model, data)
    band_of, band_list = bands(model, p)
    lane_set = ET.SubElement(process, M + "laneSet", {"id": p.new_id("LaneSet")})
    lane_ids = _lanes(lane_set, model, p, band_of, band_list)
    ins: dict[str, list[str]] = {}
    outs: dict[str, list[str]] = {}
    for edge in p.edges:
        outs.setdefault(edge.source, []).append(edge.id)
        ins.setdefault(edge.target, []).append(edge.id)
    for el in p.elements:
        _write_element(process, el, ins.get(el.id, []), outs.get(el.id, []))
    for edge in p.edges:
        flow = ET.SubElement(process, M + "sequenceFlow", {"id": edge.id, "sourceRef": edge.source,
                                                           "targetRef": edge.target, **edge.attrs})
        if edge.documentation:
            ET.SubElement(flow, M + "documentation").text = edge.documentation
        if edge.condition:
            ET.SubElement(flow, M + "conditionExpression", {XSI_TYPE: "bpmn:tFormalExpression"}).text = edge.condition
    layout(root, p, band_of, band_list, lane_ids, pool_id, collab.get("id"))
    ET.indent(root, "  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _extensions(ext, model: Blueprint, data: dict) -> None:
    """The ``blueprint:model`` and ``blueprint:team`` elements: what BPMN cannot say about the model."""
    model_attrs = {"name": model.name}
    for key in ("blueprint", "time_unit", "lanes", "stages", "arrivals", "patience", "checks", "start",
                "currency", "retelling"):
        if key in data:
            model_attrs[key] = data[key] if key == "time_unit" else _json(data[key])
    model_attrs["order"] = _json([[f.source, f.target] for f in model.flows])
    ET.SubElement(ext, B + "model", model_attrs)
    for tid, team in data.get("teams", {}).items():
        attrs = {"id": tid}
        for key, value in team.items():
            attrs[key] = value if key in ("name", "description", "hours") else _json(value)
        ET.SubElement(ext, B + "team", attrs)


def _write_element(process, el: Element, incoming: list[str], outgoing: list[str]) -> None:
    """A flow node, with its flows in and out (``<incoming>``, ``<outgoing>``: BPMN tools want them)."""
    node = ET.SubElement(process, M + el.tag, {"id": el.id, **el.attrs})
    if el.documentation:
        ET.SubElement(node, M + "documentation").text = el.documentation
    for tag, flows in (("incoming", incoming), ("outgoing", outgoing)):
        for flow in flows:
            ET.SubElement(node, M + tag).text = flow
    for tag, attrs, children in el.children:
        child = ET.SubElement(node, M + tag, attrs)
        for inner_tag, text in children:
            ET.SubElement(child, M + inner_tag).text = text


# ----------------------------------------------------------------------------------------------
# which elements and flows stand for the blueprint
# ----------------------------------------------------------------------------------------------
def plan(model: Blueprint, data: dict | None = None) -> Plan:
    """The BPMN elements and sequence flows that stand for `model` (`data` is its ``to_data()``).

    Examples
    --------
    >>> from blueprint import loads
    >>> p = plan(loads("steps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]"))
    >>> [(e.id, e.tag) for e in p.elements], [(e.source, e.target) for e in p.edges]
    ([('a', 'task'), ('b', 'endEvent'), ('StartEvent', 'startEvent')], [('StartEvent', 'a'), ('a', 'b')])
    """
    data = model.to_data() if data is None else data
    p = Plan([], [], set(model.steps) | RESERVED)
    element = {sid: sid if sid not in RESERVED else p.new_id(f"Step_{sid}") for sid in model.steps}
    incoming: dict[str, int] = {sid: len(model.incoming[sid]) for sid in model.steps}
    for step in model.steps.values():
        if step.timeout is not None:
            incoming[step.timeout.to] += 1
    for sid in model.entry:
        incoming[sid] += 1
    terminate = _outcomes_end_parallel_work(model)
    into: dict[str, str] = {}  # step id -> the element its flows in lead to (itself or a merging gateway)
    for sid, step in model.steps.items():
        p.elements.append(_step_element(p, element[sid], sid, step, data["steps"][sid], terminate))
        into[sid] = element[sid]
        if incoming[sid] > 1:
            tag, base = ("parallelGateway", "Join_") if step.join == "all" else ("exclusiveGateway", "Merge_")
            into[sid] = _gateway(p, tag, base + sid, sid, "Converging")
            _edge(p, into[sid], element[sid])
    _start(p, model, into)
    for sid in model.steps:
        _ways_out(p, model, data, sid, element, into)
    return p


#: Ids SpiffWorkflow gives its own task specs: no element is called so.
RESERVED = frozenset({"Start", "End", "Root"})


def _outcomes_end_parallel_work(model: Blueprint) -> bool:
    """Whether a case can reach an outcome while other work of it is still going: some branch of a
    ``split: all`` leads to an outcome without passing a ``join: all``. Only then does an outcome
    need a terminate end event to end the case; with one piece of work at a time, a plain end
    event ends it just as well.

    Examples
    --------
    >>> from blueprint import loads
    >>> both = "steps: {a: {lane: customer, split: all}, b: {lane: customer}, c: {lane: customer}, "
    >>> _outcomes_end_parallel_work(loads(both + "d: {outcome: success}}\\nflows: [[a, b], [a, c], [b, d], [c, d]]"))
    True
    >>> _outcomes_end_parallel_work(loads(both + "j: {lane: customer, join: all}, d: {outcome: success}}\\n"
    ...                                   "flows: [[a, b], [a, c], [b, j], [c, j], [j, d]]"))
    False
    """
    splits = [sid for sid, step in model.steps.items() if step.split == "all" and len(model.outgoing[sid]) > 1]
    if not splits:
        return False
    before: dict[str, list[str]] = {sid: [f.source for f in model.incoming[sid]] for sid in model.steps}
    for sid, step in model.steps.items():
        if step.timeout is not None:
            before[step.timeout.to].append(sid)
    reach = [sid for sid, step in model.steps.items() if step.is_outcome]
    free = set(reach)  # steps from which an outcome is reached without passing a join: all
    while reach:
        here = reach.pop()
        for prev in before[here]:
            if prev not in free and model.steps[prev].join != "all":
                free.add(prev)
                reach.append(prev)
    return any(f.target in free for sid in splits for f in model.outgoing[sid])


def _step_element(p: Plan, eid: str, sid: str, step, raw: dict, terminate: bool) -> Element:
    attrs: dict[str, str] = {"name": step.name if step.name else sid}
    if not step.name:
        attrs[B + "unnamed"] = "true"  # a label for BPMN tools; no name for the blueprint
    if eid != sid:
        attrs[B + "step"] = sid
    for key in _TEXT_KEYS:
        if getattr(step, key) is not None:
            attrs[B + key] = getattr(step, key)
    for key in _JSON_KEYS:
        if key in raw and raw[key] not in (None, []):
            attrs[B + key] = _json(raw[key])
    for key in ("split", "join"):
        if getattr(step, key):
            attrs[B + key] = getattr(step, key)
    if not step.is_outcome:
        return Element(eid, "task", sid, attrs, documentation=step.description)
    for key in ("lane", "owner"):
        if getattr(step, key):
            attrs[B + key] = getattr(step, key)
    attrs[B + "outcome"] = step.outcome
    if step.outcome == "failure":
        children = [("errorEventDefinition", {"id": p.new_id(f"Error_{sid}")}, [])]
    elif terminate:
        children = [("terminateEventDefinition", {"id": p.new_id(f"Terminate_{sid}")}, [])]
    else:
        children = []
    return Element(eid, "endEvent", sid, attrs, children, documentation=step.description)


def _gateway(p: Plan, tag: str, base: str, step: str, direction: str, name: str | None = None) -> str:
    gid = p.new_id(base)
    attrs = {"gatewayDirection": direction}
    if name:
        attrs["name"] = name
    p.elements.append(Element(gid, tag, step, attrs))
    return gid


def _edge(p: Plan, source: str, target: str, attrs: dict | None = None, documentation: str | None = None,
          condition: str | None = None) -> None:
    p.edges.append(Edge(p.new_id(f"Flow_{source}_{target}"), source, target, attrs or {}, documentation, condition))


def _start(p: Plan, model: Blueprint, into: dict[str, str]) -> None:
    first = next(iter(model.entry), None)
    start = p.new_id("StartEvent")
    p.elements.append(Element(start, "startEvent", first, {"name": "Starts"}))
    if len(model.entry) == 1:
        _edge(p, start, into[first])
        return
    gid = _gateway(p, "exclusiveGateway", "Start_choice", first, "Diverging", "Where does it start?")
    _edge(p, start, gid)
    _decision(p, gid, [(into[sid], None, float(weight), float(weight)) for sid, weight in model.entry.items()])


def _decision(p: Plan, gateway: str, ways: list[tuple[str, str | None, float | None, float]]) -> None:
    """The flows out of an exclusive gateway: ``(target, label, p as written, chance)`` each.

    Every flow but the last has a condition (the chance, or the label), the last is the gateway's
    default flow: what BPMN tools want of a decision (bpmnlint's ``conditional-flows``,
    SpiffWorkflow's parser). Each is named by its label, or else by its chance; the label itself
    travels in ``blueprint:label`` where the name is not it.
    """
    for i, (target, label, written, chance) in enumerate(ways):
        attrs = {"name": label or f"{chance * 100:.3g}%"}
        if label != attrs["name"]:
            attrs[B + "label"] = label or ""
        if written is not None:
            attrs[B + "p"] = repr(written)
        condition = None if i == len(ways) - 1 else f"chance {chance:.6g}" + (f": {label}" if label else "")
        _edge(p, gateway, target, attrs, condition=condition)
    gateway_el = next(el for el in reversed(p.elements) if el.id == gateway)
    gateway_el.attrs["default"] = p.edges[-1].id


def _ways_out(p: Plan, model: Blueprint, data: dict, sid: str, element: dict[str, str], into: dict[str, str]) -> None:
    """The flows out of step `sid` (through a gateway when it branches), and its timeout."""
    step, flows = model.steps[sid], model.outgoing[sid]
    if len(flows) > 1 and step.split != "all":
        source = _gateway(p, "exclusiveGateway", "Choice_" + sid, sid, "Diverging", "Which way?")
        _edge(p, element[sid], source)
        chances = [f.p if f.p is not None else 1 / len(flows) for f in flows]
        _decision(p, source, [(into[f.target], f.label, None if f.p is None else float(f.p), c)
                              for f, c in zip(flows, chances)])
    else:
        source = element[sid]
        if len(flows) > 1:
            source = _gateway(p, "parallelGateway", "Split_" + sid, sid, "Diverging")
            _edge(p, element[sid], source)
        for flow in flows:  # BPMN tools call a label superfluous here: it goes in blueprint:label and documentation
            attrs = {B + "label": flow.label} if flow.label else {}
            if flow.p is not None:
                attrs[B + "p"] = repr(float(flow.p))
            _edge(p, source, into[flow.target], attrs, documentation=flow.label)
    if step.timeout is None:
        return
    bid = p.new_id(f"Timeout_{sid}")
    after = data["steps"][sid]["timeout"]["after"]
    seconds = mean_of(step.timeout.after, model.time_unit) * TIME_UNITS[model.time_unit]
    timer = ("timerEventDefinition", {"id": p.new_id(f"Timer_{sid}")}, [("timeDuration", iso_duration(seconds))])
    name = f"Times out after {after}" if isinstance(after, (str, int, float)) else "Times out"
    p.elements.append(Element(bid, "boundaryEvent", sid, {"name": name, "attachedToRef": element[sid],
                                                          "cancelActivity": "true", B + "after": _json(after)},
                              [timer]))
    _edge(p, bid, into[step.timeout.to])


# ----------------------------------------------------------------------------------------------
# lanes
# ----------------------------------------------------------------------------------------------
def _band_of_step(model: Blueprint, sid: str | None) -> Band:
    if sid is None or sid not in model.steps:
        return (model.lanes[0], None)
    step = model.steps[sid]
    if step.lane is not None:
        return (step.lane, step.owner)
    for flow in model.incoming[sid]:  # an outcome: drawn beside the step before it
        other = model.steps[flow.source]
        if other.lane is not None:
            return (other.lane, other.owner)
    return (model.lanes[-1] if model.lanes[-1] != CUSTOMER else model.lanes[0], None)


def bands(model: Blueprint, p: Plan) -> tuple[dict[str, Band], list[Band]]:
    """The band (lane, team) of each element, and the bands in use, top to bottom."""
    band_of: dict[str, Band] = {}
    teams_in: dict[str, list] = {lane: [] for lane in model.lanes}
    band_cache: dict[str | None, Band] = {}
    for el in p.elements:
        if el.step not in band_cache:
            band_cache[el.step] = _band_of_step(model, el.step)
        band_of[el.id] = band_cache[el.step]
        lane, team = band_of[el.id]
        if team not in teams_in[lane]:
            teams_in[lane].append(team)
    order = {t: i for i, t in enumerate(model.teams)}
    band_list: list[Band] = []
    for lane in model.lanes:
        teams = sorted(teams_in[lane], key=lambda t: (t is not None, order.get(t, 0)))
        band_list += [(lane, t) for t in teams]
    return band_of, band_list


def _lanes(lane_set, model: Blueprint, p: Plan, band_of: dict[str, Band], band_list: list[Band]) -> dict:
    """The BPMN lanes: one per blueprint lane in use, split into one per team; their ids by band."""
    members: dict[Band, list[str]] = {}
    for el in p.elements:
        members.setdefault(band_of[el.id], []).append(el.id)
    lane_ids: dict[tuple, str] = {}
    for lane in dict.fromkeys(b[0] for b in band_list):
        lane_el = ET.SubElement(lane_set, M + "lane", {"id": p.new_id(f"Lane_{lane}"), "name": lane.title(),
                                                       B + "lane": lane})
        lane_ids[(lane,)] = lane_el.get("id")
        for eid in members.get((lane, None), []):
            ET.SubElement(lane_el, M + "flowNodeRef").text = eid
        named = [b[1] for b in band_list if b[0] == lane and b[1] is not None]
        if not named:
            continue
        child = ET.SubElement(lane_el, M + "childLaneSet", {"id": p.new_id(f"LaneSet_{lane}")})
        for team in named:
            team_el = ET.SubElement(child, M + "lane", {"id": p.new_id(f"Lane_{lane}_{team}"),
                                                        "name": model.team_name(team), B + "team": team})
            lane_ids[(lane, team)] = team_el.get("id")
            for eid in members.get((lane, team), []):
                ET.SubElement(team_el, M + "flowNodeRef").text = eid
    return lane_ids
