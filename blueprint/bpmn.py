"""BPMN 2.0 in and out: :func:`read_bpmn` makes a blueprint of a BPMN file, :func:`to_bpmn` writes one.

Reading folds what BPMN draws as separate shapes into the blueprint's steps and flows: gateways are
not steps, so an exclusive gateway becomes the branches of the step before it, a parallel gateway
``split: all`` on the step before it or ``join: all`` on the step after it; boundary timers become
``timeout``; end events become outcomes; message flows between pools become flows between the
teams (handoffs). What cannot be mapped is reported once per element id, as a
:class:`MappingWarning`, and never silently dropped. The full table is in ``docs/bpmn.md``.

Writing produces BPMN 2.0 XML that validates against the OMG schema, with a diagram (BPMNDI) laid
out in horizontal bands, one per lane and team. What BPMN cannot say (systems, capabilities,
channels, evidence, fail points, emotions, durations, staff, lanes) travels in attributes and
elements of the ``blueprint:`` namespace (:data:`BLUEPRINT_NS`), which other tools ignore; reading
the file back gives the same blueprint.

XML is parsed with ``defusedxml``: entity declarations (billion laughs) and external references are
refused as bad input.
"""
from __future__ import annotations

import json
import math
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .durations import mean_of
from .errors import BlueprintError
from .graph import depth_first
from .model import CUSTOMER, DEFAULT_LANES, Blueprint

__all__ = ["read_bpmn", "import_bpmn", "to_bpmn", "MappingWarning", "BLUEPRINT_NS", "iso_duration",
           "parse_iso_duration"]

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DDI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
QBP = "http://www.qbp-simulator.com/Schema201212"
#: The namespace of what BPMN cannot say about a blueprint.
BLUEPRINT_NS = "urn:blueprint:bpmn:1"

_B = "{%s}" % BLUEPRINT_NS
_M = "{%s}" % MODEL


class MappingWarning(UserWarning):
    """Something in an imported file that the blueprint cannot say, reported once per element.

    Attributes
    ----------
    element : str
        The id of the element (or the row, for logs) the warning is about.
    """

    def __init__(self, message: str, element: str = ""):
        super().__init__(message)
        self.element = element


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------
def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(tag: Any) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def slug(text: str, fallback: str = "step") -> str:
    """An id made of `text`: lower case, words joined by ``_``, starting with a letter or ``_``.

    Examples
    --------
    >>> slug("Check credit history"), slug("3rd call"), slug("  ")
    ('check_credit_history', '_3rd_call', 'step')
    """
    out = re.sub(r"[^A-Za-z0-9]+", "_", text or "").strip("_").lower()[:48].strip("_")
    if not out:
        return fallback
    return "_" + out if out[0].isdigit() else out


def _unique(base: str, used: set[str]) -> str:
    name, i = base, 2
    while name in used:
        name = f"{base}_{i}"
        i += 1
    used.add(name)
    return name


_ISO = re.compile(r"^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?"
                  r"(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$")
_ISO_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def parse_iso_duration(text: str | None) -> float | None:
    """Seconds in an ISO 8601 duration (``P2D``, ``PT1H30M``), or ``None`` if it is not one.

    Years and months count as 365 and 30 days.

    Examples
    --------
    >>> parse_iso_duration("PT1H30M"), parse_iso_duration("P2D"), parse_iso_duration("${wait}")
    (5400.0, 172800.0, None)
    """
    if not text:
        return None
    match = _ISO.match(text.strip())
    if not match or text.strip() in ("P", "PT") or text.strip().endswith("T"):
        return None
    return float(sum(float(g.replace(",", ".")) * s for g, s in zip(match.groups(), _ISO_SECONDS) if g))


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration for a number of seconds.

    Examples
    --------
    >>> iso_duration(5400), iso_duration(3 * 86400), iso_duration(0), iso_duration(90.5)
    ('PT1H30M', 'P3D', 'PT0S', 'PT1M30.5S')
    """
    seconds = max(0.0, float(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    date = f"{int(days)}D" if days else ""
    clock = "".join(f"{v:g}{u}" for v, u in ((int(hours), "H"), (int(minutes), "M")) if v)
    secs = round(secs, 6)
    if secs:
        clock += f"{secs:g}S"
    if not date and not clock:
        return "PT0S"
    return "P" + date + ("T" + clock if clock else "")


#: Words that make a pool or lane the customer's (a word of its name, unless a staff word is there too).
CUSTOMER_WORDS = {"customer", "customers", "client", "clients", "consumer", "consumers", "patient", "patients",
                  "citizen", "citizens", "applicant", "applicants", "guest", "guests", "buyer", "buyers",
                  "passenger", "passengers", "shopper", "shoppers", "caller", "callers", "claimant",
                  "claimants", "member", "members", "student", "students", "tenant", "tenants"}
STAFF_WORDS = {"service", "services", "support", "care", "desk", "team", "agent", "agents", "manager",
               "relations", "success", "department", "dept", "centre", "center", "office", "management",
               "advisor", "adviser", "representative", "rep", "officer", "staff"}
#: Task kinds done by a machine: their steps go in the support lane.
AUTOMATED = {"serviceTask", "scriptTask", "businessRuleTask"}


def is_customer_name(name: str | None) -> bool:
    """Whether a pool, lane or resource named `name` is the customer.

    Examples
    --------
    >>> is_customer_name("Customer"), is_customer_name("Clients"), is_customer_name("Customer service")
    (True, True, False)
    """
    words = set(re.findall(r"[a-z]+", (name or "").lower()))
    return bool(words & CUSTOMER_WORDS) and not words & STAFF_WORDS


def _blueprint_lane_of(name: str | None, lanes: Iterable[str]) -> str | None:
    key = re.sub(r"[^a-z0-9]+", "", (name or "").lower())
    for lane in lanes:
        if key and key == re.sub(r"[^a-z0-9]+", "", lane.lower()):
            return lane
    return None


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------
ACTIVITIES = {"task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
GATEWAYS = {"exclusiveGateway": "xor", "parallelGateway": "and", "inclusiveGateway": "or",
            "eventBasedGateway": "event", "complexGateway": "complex"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
FAILURE_ENDS = {"error", "terminate", "cancel"}
_QUIET = {"sequenceFlow", "laneSet", "extensionElements", "documentation", "ioSpecification", "property",
          "textAnnotation", "association", "incoming", "outgoing", "auditing", "monitoring",
          "standardLoopCharacteristics", "multiInstanceLoopCharacteristics", "dataInputAssociation",
          "dataOutputAssociation", "resourceRole", "performer", "potentialOwner", "humanPerformer",
          "dataStoreReference", "correlationSubscription", "supports"}


@dataclass
class _Node:
    id: str
    tag: str
    element: Any
    process: str
    parent: str | None            # the expanded sub-process it is in
    name: str | None
    definition: str | None = None  # timer, message, error, terminate, link, ... (first event definition)
    expanded: bool = False        # a sub-process with flow nodes inside
    outs: list = field(default_factory=list)
    ins: list = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.tag in ACTIVITIES:
            return "activity"
        return GATEWAYS.get(self.tag, self.tag)


@dataclass
class _Seq:
    id: str
    source: str
    target: str
    name: str | None
    conditional: bool


class _Tree:
    """Where a case goes after a point in the BPMN graph: a step, a choice or parallel work."""

    __slots__ = ("kind", "key", "origin", "branches")

    def __init__(self, kind: str, key: str | None = None, origin: str | None = None, branches=None):
        self.kind, self.key, self.origin, self.branches = kind, key, origin, branches or []


def _step(key: str) -> _Tree:
    return _Tree("step", key)


EMPTY = _Tree("empty")


@dataclass
class _Synth:
    key: str
    origin: str        # the BPMN element it stands for (its lane gives the step's lane and owner)
    tree: _Tree
    name: str
    join: bool = False


class _Reader:
    def __init__(self, root, file: str):
        self.root, self.file = root, file
        self.warned: dict[str, str] = {}
        self.nodes: dict[str, _Node] = {}
        self.seqs: dict[str, _Seq] = {}
        self.lane_chain: dict[str, list] = {}
        self.process_pool: dict[str, Any] = {}
        self.process_name: dict[str, str | None] = {}
        self.boundaries: dict[str, list[_Node]] = {}
        self.msg_out: dict[str, list[str]] = {}
        self.msg_in: dict[str, list[str]] = {}
        self.customer_pools: set[str] = set()
        self.touches_customer: set[str] = set()
        self.flow_p: dict[str, float] = {}
        self.synth: dict[str, _Synth] = {}
        self.trees: dict[str, _Tree] = {}
        self.entering: set[str] = set()
        self.must_synth: set[str] = set()
        self.joins: set[str] = set()
        self.step_keys: list[str] = []
        self.implicit_ends: dict[str, str] = {}
        self.annotations: dict[str, list[str]] = {}
        self.stores: dict[str, list[str]] = {}
        self.qbp_duration: dict[str, dict] = {}
        self.qbp_resource: dict[str, dict] = {}
        self.qbp_task_resource: dict[str, str] = {}
        self.qbp_arrivals: dict | None = None
        self.by_id: dict[str, Any] = {}
        self.ours = False          # the file carries blueprint: data (written by to_bpmn)
        self.model_ext: dict[str, Any] = {}
        self.team_ext: dict[str, dict] = {}

    # ---- reporting ---------------------------------------------------------------------------
    def warn(self, element: str, message: str) -> None:
        if element not in self.warned:
            self.warned[element] = message

    def fail(self, message: str):
        raise BlueprintError(message, file=self.file)

    # ---- reading the XML -----------------------------------------------------------------------
    def read(self) -> Blueprint:
        root = self.root
        if _local(root.tag) != "definitions" or _ns(root.tag) != MODEL:
            self.fail(f"not a BPMN 2.0 file: the root element is <{_local(root.tag)}> in namespace "
                      f"'{_ns(root.tag) or 'none'}'; a BPMN file starts with <definitions "
                      f"xmlns=\"{MODEL}\">")
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id"):
                self.by_id.setdefault(el.get("id"), el)
        for el in root.iter(_B + "model"):
            self.ours = True
            self.model_ext = dict(el.attrib)
        for el in root.iter(_B + "team"):
            self.team_ext[el.get("id", "")] = dict(el.attrib)
        self._read_simulation_data()
        processes = [el for el in root if el.tag == _M + "process"]
        collaborations = [el for el in root if el.tag == _M + "collaboration"]
        participants = [p for c in collaborations for p in c if p.tag == _M + "participant"]
        for p in participants:
            ref = p.get("processRef")
            if ref:
                self.process_pool[ref] = p
            if is_customer_name(p.get("name")):
                self.customer_pools.add(p.get("id"))
        if participants:
            pooled = [p for p in processes if p.get("id") in self.process_pool]
            called = {el.get("calledElement") for el in root.iter(_M + "callActivity")}
            for p in processes:
                if p.get("id") not in self.process_pool and any(_local(c.tag) in ACTIVITIES | EVENTS for c in p):
                    self.warn(p.get("id"), f"process '{p.get('id')}' is in no pool"
                              + (" (it is called by a call activity, which is imported as one step)"
                                 if p.get("id") in called else "") + "; its steps are not imported")
            processes = pooled
        for p in processes:
            self.process_name[p.get("id")] = p.get("name")
            self._read_container(p, p.get("id"), None)
            self._read_lanes(p)
        if not any(self.is_step(n) for n in self.nodes.values()):
            self._nothing()
        for c in collaborations:
            for mf in c:
                if mf.tag == _M + "messageFlow":
                    self._read_message_flow(mf, participants)
                elif _local(mf.tag) not in ("participant", "extensionElements", "documentation",
                                            "textAnnotation", "association"):
                    self.warn(mf.get("id") or _local(mf.tag), f"{_local(mf.tag)} '{mf.get('id')}' in the "
                              "collaboration is not part of a blueprint; ignored")
        self._read_artifacts(processes + collaborations)
        self._drop_replies()
        return self._build()

    def _nothing(self):
        notes = "; ".join(self.warned.values())
        self.fail("nothing to import: the file has no process with a task or an end event"
                  + (f" that can be mapped ({notes})" if notes else "") + "; draw at least one task in a process")

    def what(self, node_id: str) -> str:
        """How a warning names an element: its id, and its name where it has one."""
        node = self.nodes.get(node_id)
        name = node.name if node is not None else None
        return f"'{node_id}'" + (f" ({' '.join(name.split())})" if name else "")

    def _drop_replies(self) -> None:
        """A message back to a step that comes before its sender is a reply, not a handoff."""
        succ: dict[str, set[str]] = {}
        for seq in self.seqs.values():
            succ.setdefault(seq.source, set()).add(seq.target)
        for node in self.nodes.values():
            if node.parent:
                succ.setdefault(node.parent, set()).add(node.id)
                succ.setdefault(node.id, set()).add(node.parent)
            if node.tag == "boundaryEvent":
                succ.setdefault(node.element.get("attachedToRef"), set()).add(node.id)
        for source, targets in self.msg_out.items():
            succ.setdefault(source, set()).update(targets)

        def reaches(a: str, b: str) -> bool:
            seen, todo = {a}, [a]
            while todo:
                here = todo.pop()
                if here == b:
                    return True
                for nxt in succ.get(here, ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            return False

        for source, targets in list(self.msg_out.items()):
            for target in list(targets):
                if self.nodes[target].ins and reaches(target, source):
                    targets.remove(target)
                    self.msg_in[target].remove(source)
                    self.warn(f"{source}->{target}", f"the message from {self.what(source)} to {self.what(target)} "
                              "answers work the receiver started; it is not a handoff, so it is not mapped as a flow")

    def _read_simulation_data(self) -> None:
        for info in self.root.iter("{%s}processSimulationInfo" % QBP):
            arrival = info.find("{%s}arrivalRateDistribution" % QBP)
            if arrival is not None:
                self.qbp_arrivals = self._qbp_distribution(arrival, info.get("id", "arrivals"))
            timetables = {}
            for tt in info.iter("{%s}timetable" % QBP):
                timetables[tt.get("id")] = self._qbp_hours(tt)
            for res in info.iter("{%s}resource" % QBP):
                self.qbp_resource[res.get("id")] = {
                    "name": res.get("name") or res.get("id"), "staff": res.get("totalAmount"),
                    "hours": timetables.get(res.get("timetableId"))}
            for el in info.iter("{%s}element" % QBP):
                ref = el.get("elementId")
                dist = el.find("{%s}durationDistribution" % QBP)
                if dist is not None:
                    self.qbp_duration[ref] = self._qbp_distribution(dist, ref)
                rid = el.find("{%s}resourceIds/{%s}resourceId" % (QBP, QBP))
                if rid is not None and rid.text:
                    self.qbp_task_resource[ref] = rid.text.strip()
            for sf in info.iter("{%s}sequenceFlow" % QBP):
                self._set_p(sf.get("elementId"), sf.get("executionProbability"))
        for params in self.root.iter():  # BPSim: ElementParameters/ControlParameters/Probability
            if _local(params.tag) == "ElementParameters" and "bpsim" in _ns(params.tag):
                for prob in params.iter():
                    if _local(prob.tag) == "Probability":
                        for value in prob.iter():
                            if value.get("value") is not None:
                                self._set_p(params.get("elementRef"), value.get("value"))
                                break
        for flow in self.root.iter(_M + "sequenceFlow"):
            for ext in flow.iter():  # Camunda (and similar) properties: <camunda:property name="probability" ...>
                if _local(ext.tag) == "property" and (ext.get("name") or "").lower() in ("probability", "p"):
                    self._set_p(flow.get("id"), ext.get("value"))
            if flow.get(_B + "p") is not None:
                self._set_p(flow.get("id"), flow.get(_B + "p"), force=True)

    def _set_p(self, flow_id, value, force=False) -> None:
        try:
            p = float(value)
        except (TypeError, ValueError):
            return
        if flow_id and math.isfinite(p) and p >= 0 and (force or flow_id not in self.flow_p):
            self.flow_p[flow_id] = p

    def _qbp_hours(self, timetable) -> str | None:
        parts = []
        for rule in timetable.iter("{%s}rule" % QBP):
            days = [(rule.get("fromWeekDay") or "")[:3].title(), (rule.get("toWeekDay") or "")[:3].title()]
            start, end = (rule.get("fromTime") or "")[:5], (rule.get("toTime") or "")[:5]
            if end == "23:59":
                end = "24:00"
            parts.append(f"{days[0]}-{days[1]} {start}-{end}" if days[0] != days[1] else f"{days[0]} {start}-{end}")
        text = "; ".join(parts)
        try:
            from .hours import parse_hours

            parse_hours(text)
            return text if text != "Mon-Sun 00:00-24:00" else None
        except ValueError:
            self.warn(timetable.get("id", "timetable"), f"timetable '{timetable.get('id')}' ({text}) is not "
                      "working hours the blueprint can read; the team is taken to work all the time")
            return None

    def _qbp_distribution(self, el, ref: str):
        kind = (el.get("type") or "").upper()

        def num(name):
            try:
                value = float(el.get(name))
            except (TypeError, ValueError):
                return math.nan
            return value / 60.0  # qbp times are in seconds; the blueprint counts in minutes

        mean, a1, a2 = num("mean"), num("arg1"), num("arg2")
        r = lambda x: round(max(x, 0.0), 6)  # noqa: E731
        if kind == "FIXED" and math.isfinite(mean):
            return {"fixed": r(mean)}
        if kind == "EXPONENTIAL":
            m = a1 if math.isfinite(a1) and a1 > 0 else mean
            return {"exponential": r(m)} if math.isfinite(m) and m > 0 else {"fixed": 0}
        if kind == "NORMAL" and math.isfinite(mean):
            return {"normal": {"mean": r(mean), "sd": r(a1 if math.isfinite(a1) else 0)}}
        if kind == "UNIFORM" and math.isfinite(a1) and math.isfinite(a2):
            return {"uniform": [r(min(a1, a2)), r(max(a1, a2))]}
        if kind == "TRIANGULAR" and all(map(math.isfinite, (mean, a1, a2))):
            lo, mode, hi = sorted((a1, mean, a2))
            return {"triangular": [r(lo), r(mode), r(hi)]}
        if kind in ("LOGNORMAL", "GAMMA") and math.isfinite(mean) and mean > 0:
            sd = math.sqrt(a1 * 60) if math.isfinite(a1) and a1 > 0 else 0.0  # arg1 is a variance (s^2)
            if kind == "GAMMA":
                self.warn(ref, f"the gamma duration of '{ref}' is read as a lognormal time with the same "
                          "mean and spread (the blueprint has no gamma)")
            return {"lognormal": {"mean": r(mean), "sd": r(sd / math.sqrt(60) if sd else 0)}}
        self.warn(ref, f"the {kind.lower() or 'unnamed'} time distribution of '{ref}' cannot be read; "
                  "its duration is left out")
        return None

    def _read_container(self, container, process: str, parent: str | None) -> None:
        for el in container:
            tag = _local(el.tag)
            if _ns(el.tag) != MODEL:
                continue
            eid = el.get("id") or f"{tag}@{len(self.nodes)}"
            if tag in ACTIVITIES or tag in EVENTS or tag in GATEWAYS:
                if tag == "subProcess" and el.get("triggeredByEvent") == "true":
                    self.warn(eid, f"event sub-process '{eid}' ({el.get('name') or 'unnamed'}) is not "
                              "mapped: the blueprint has no work started by an event inside a step")
                    continue
                definition = None
                for child in el:
                    if _local(child.tag).endswith("EventDefinition"):
                        definition = _local(child.tag)[: -len("EventDefinition")]
                        break
                    if _local(child.tag) == "eventDefinitionRef" and child.text:
                        ref = self.by_id.get(child.text.strip())
                        definition = _local(ref.tag)[: -len("EventDefinition")] if ref is not None else None
                node = _Node(eid, tag, el, process, parent, (el.get("name") or "").strip() or None, definition)
                inner = [c for c in el if _local(c.tag) in ACTIVITIES | EVENTS | set(GATEWAYS)]
                if tag in ("subProcess", "transaction") and inner:
                    node.expanded = True
                if tag == "adHocSubProcess" and inner:
                    self.warn(eid, f"ad-hoc sub-process '{eid}' is imported as one step; the tasks inside "
                              "it have no order, so they are not imported one by one")
                self.nodes[eid] = node
                if tag == "boundaryEvent":
                    self.boundaries.setdefault(el.get("attachedToRef"), []).append(node)
                for loop in ("standardLoopCharacteristics", "multiInstanceLoopCharacteristics"):
                    if el.find(_M + loop) is not None:
                        self.warn(eid, f"{self.what(eid)} repeats ({loop[:-len('LoopCharacteristics')]} loop); the "
                                  "blueprint counts one visit of the step; draw the loop as a flow back")
                if node.expanded:
                    self._read_container(el, process, eid)
            elif tag == "sequenceFlow":
                cond = el.find(_M + "conditionExpression") is not None
                self.seqs[eid] = _Seq(eid, el.get("sourceRef"), el.get("targetRef"),
                                      (el.get("name") or "").strip() or None, cond)
            elif tag in ("dataObject", "dataObjectReference", "group", "dataStore", "dataInput", "dataOutput"):
                if tag in ("dataObject", "dataStore"):
                    continue  # reported through their references and associations
                self.warn(eid, f"{tag} '{eid}' ({el.get('name') or 'unnamed'}) is not mapped: a blueprint "
                          "step holds no data object (use evidence or a team's systems)")
            elif tag not in _QUIET:
                self.warn(eid, f"{tag} '{eid}' is not mapped to the blueprint; ignored")
        for seq in self.seqs.values():
            if seq.source in self.nodes and seq not in self.nodes[seq.source].outs:
                self.nodes[seq.source].outs.append(seq)
            if seq.target in self.nodes and seq not in self.nodes[seq.target].ins:
                self.nodes[seq.target].ins.append(seq)

    def _read_lanes(self, process) -> None:
        def walk(lane_set, path):
            for lane in lane_set:
                if lane.tag != _M + "lane":
                    continue
                here = path + [lane]
                for ref in lane.findall(_M + "flowNodeRef"):
                    key = (ref.text or "").strip()
                    if len(here) > len(self.lane_chain.get(key, [])):
                        self.lane_chain[key] = here
                child = lane.find(_M + "childLaneSet")
                if child is not None:
                    walk(child, here)

        for lane_set in process.findall(_M + "laneSet"):
            walk(lane_set, [])

    def _read_message_flow(self, mf, participants) -> None:
        mid, src, tgt = mf.get("id"), mf.get("sourceRef"), mf.get("targetRef")
        pools = {p.get("id"): p for p in participants}
        if src in self.nodes and tgt in self.nodes:
            self.msg_out.setdefault(src, []).append(tgt)
            self.msg_in.setdefault(tgt, []).append(src)
            return
        for here, there in ((src, tgt), (tgt, src)):
            if here in self.nodes and there in pools:
                if there in self.customer_pools:
                    self.touches_customer.add(here)
                    return
                self.warn(mid, f"message flow '{mid}' connects '{here}' with pool "
                          f"'{pools[there].get('name') or there}', which has no process: there is no step "
                          "on the other side to hand off to; not mapped")
                return
        self.warn(mid, f"message flow '{mid}' from '{src}' to '{tgt}' connects no two steps; not mapped")

    def _read_artifacts(self, containers) -> None:
        texts = {}
        for c in containers:
            for el in c.iter(_M + "textAnnotation"):
                text = el.find(_M + "text")
                texts[el.get("id")] = " ".join((text.text or "").split()) if text is not None else ""
        for c in containers:
            for assoc in c.iter(_M + "association"):
                a, b = assoc.get("sourceRef"), assoc.get("targetRef")
                for node, note in ((a, b), (b, a)):
                    if node in self.nodes and note in texts and texts[note]:
                        self.annotations.setdefault(node, []).append(texts[note])
        stores = {}
        for el in self.root.iter(_M + "dataStoreReference"):
            store = self.by_id.get(el.get("dataStoreRef") or "")
            stores[el.get("id")] = (el.get("name") or (store.get("name") if store is not None else None)
                                    or el.get("id"))
        for node in self.nodes.values():
            for assoc in list(node.element.findall(_M + "dataInputAssociation")) + \
                    list(node.element.findall(_M + "dataOutputAssociation")):
                for ref in list(assoc.findall(_M + "sourceRef")) + list(assoc.findall(_M + "targetRef")):
                    if (ref.text or "").strip() in stores:
                        self.stores.setdefault(node.id, []).append(stores[(ref.text or "").strip()])

    # ---- folding the graph into steps and flows -------------------------------------------------
    def is_step(self, node: _Node) -> bool:
        if node.tag == "boundaryEvent" or node.tag == "startEvent" or node.kind in GATEWAYS.values():
            return False
        if node.expanded:
            return False
        if node.definition == "link" and node.tag in ("intermediateCatchEvent", "intermediateThrowEvent"):
            return False
        if node.tag == "endEvent" and node.parent is not None:
            return node.definition in ("error", "cancel") and self._catcher(node) is None
        return True

    def _catcher(self, end: _Node) -> _Node | None:
        """The error boundary event on the sub-process an error end event leaves, if there is one."""
        for b in self.boundaries.get(end.parent, []):
            if b.definition in ("error", "cancel", "escalation"):
                return b
        return None

    def follow(self, seq: _Seq) -> _Tree:
        node = self.nodes.get(seq.target)
        if node is None:
            self.warn(seq.id, f"sequence flow '{seq.id}' leads to '{seq.target}', which is not a step, "
                      "event or gateway of the process; not mapped")
            return self.implicit_end(self.nodes[seq.source])
        return self.enter(node)

    def implicit_end(self, node: _Node) -> _Tree:
        key = "end:" + node.process
        if key not in self.implicit_ends:
            self.implicit_ends[key] = node.process
        return _step(key)

    def enter(self, node: _Node) -> _Tree:
        """What happens when a case arrives at `node`."""
        if node.id in self.trees:
            return self.trees[node.id]
        if self.is_step(node):
            tree = _step(node.id)
            if node.tag == "endEvent" and self.msg_out.get(node.id):
                tree = _Tree("par", origin=node.id, branches=[(None, None, tree)] + self._messages(node))
            self.trees[node.id] = tree
            return tree
        if node.id in self.entering:
            self.must_synth.add(node.id)
            return _step("synth:" + node.id)
        self.entering.add(node.id)
        try:
            tree = self._enter(node)
        finally:
            self.entering.discard(node.id)
        if node.id in self.must_synth:
            self.synth["synth:" + node.id] = _Synth("synth:" + node.id, node.id, tree, node.name or "Decides")
            tree = _step("synth:" + node.id)
        self.trees[node.id] = tree
        return tree

    def _enter(self, node: _Node) -> _Tree:
        kind = node.kind
        if node.expanded:
            starts = [n for n in self.nodes.values() if n.parent == node.id and n.tag == "startEvent"]
            if not starts:
                starts = [n for n in self.nodes.values() if n.parent == node.id and not n.ins
                          and n.tag != "boundaryEvent" and not (n.element.get("isForCompensation") == "true")]
            trees = [(None, None, self.after(s) if s.tag == "startEvent" else self.enter(s)) for s in starts]
            if not trees:
                return self.after(node)
            return trees[0][2] if len(trees) == 1 else _Tree("par", origin=node.id, branches=trees)
        if node.tag == "endEvent":  # inside a sub-process: the sub-process is done (or caught)
            catcher = self._catcher(node) if node.definition in ("error", "cancel", "escalation") else None
            return self.after(catcher) if catcher is not None else self.after(self.nodes[node.parent])
        if node.tag == "startEvent":
            return self.after(node)
        if node.definition == "link":
            if node.tag == "intermediateThrowEvent":
                catch = [n for n in self.nodes.values() if n.tag == "intermediateCatchEvent" and n.definition == "link"
                         and n.process == node.process and self._link_name(n) == self._link_name(node)]
                if not catch:
                    self.warn(node.id, f"link event '{node.id}' has no catching link named "
                              f"'{self._link_name(node)}'; the case ends there")
                    return self.implicit_end(node)
                return self.after(catch[0])
            return self.after(node)
        outs = node.outs
        if kind == "and" and len(node.ins) > 1:
            if len(outs) == 1 and outs[0].target in self.nodes:
                after = self.nodes[outs[0].target]
                if self.is_step(after) and len(after.ins) == 1 and not self.msg_in.get(after.id) \
                        and after.tag != "boundaryEvent":
                    self.joins.add(after.id)
                    return _step(after.id)
            key = "synth:" + node.id
            if key not in self.synth:
                self.synth[key] = _Synth(key, node.id, EMPTY, node.name or "Waits for the parallel work", join=True)
                self.synth[key].tree = self._gateway_tree(node)
            return _step(key)
        if not outs:
            self.warn(node.id, f"{node.tag} '{node.id}' has no way out; the case ends there")
            return self.implicit_end(node)
        return self._gateway_tree(node)

    def _link_name(self, node: _Node) -> str:
        for child in node.element:
            if _local(child.tag) == "linkEventDefinition":
                return child.get("name") or node.name or ""
        return node.name or ""

    def _gateway_tree(self, node: _Node) -> _Tree:
        outs = node.outs
        if not outs:
            return self.implicit_end(node)
        if len(outs) == 1:
            return self._labelled(outs[0])
        if node.kind == "and":
            return _Tree("par", origin=node.id, branches=[(None, s.name, self.follow(s)) for s in outs])
        if node.kind == "or" and len(node.outs) > 1:
            self.warn(node.id, f"inclusive gateway '{node.id}' may take several of its ways at once; it is "
                      "read as a choice of one (exclusive gateway)")
        if node.kind == "complex":
            self.warn(node.id, f"complex gateway '{node.id}' is read as a choice of one of its ways "
                      "(exclusive gateway)")
        if node.kind == "event":
            self.warn(node.id, f"event-based gateway '{node.id}' races its events; it is read as a choice "
                      "of one, with the chances given or equal")
        return self._choice(node.id, outs)

    def _labelled(self, seq: _Seq) -> _Tree:
        tree = self.follow(seq)
        if seq.name and tree.kind == "step":
            return _Tree("choice", origin=seq.source, branches=[(self.flow_p.get(seq.id), seq.name, tree)])
        return tree

    def _choice(self, origin: str, seqs: list[_Seq]) -> _Tree:
        return _Tree("choice", origin=origin, branches=[(self.flow_p.get(s.id), s.name, self.follow(s)) for s in seqs])

    def _messages(self, node: _Node) -> list:
        out = []
        for target in self.msg_out.get(node.id, []):
            t = self.nodes[target]
            if t.tag == "boundaryEvent" or t.kind in GATEWAYS.values():
                self.warn(target, f"message flow into {t.tag} '{target}' is not mapped (only messages to "
                          "tasks, events and pools are)")
                continue
            out.append((None, None, self.after(t) if t.tag == "startEvent" else self.enter(t)))
        return out

    def after(self, node: _Node) -> _Tree:
        """Where a case goes when `node` (a step, event or sub-process) is done."""
        outs = node.outs
        if not outs:
            tree = EMPTY
        elif len(outs) == 1:
            tree = self._labelled(outs[0])
        elif any(s.conditional for s in outs) or node.element.get("default"):
            if node.kind == "activity":
                self.warn(node.id, f"{self.what(node.id)} has conditional flows out; they are read as a choice "
                          "of one")
            tree = self._choice(node.id, outs)
        else:
            tree = _Tree("par", origin=node.id, branches=[(None, s.name, self.follow(s)) for s in outs])
        messages = self._messages(node) if node.tag not in ("endEvent",) else []
        if messages:
            branches = ([(None, None, tree)] if tree.kind != "empty" else []) + messages
            tree = branches[0][2] if len(branches) == 1 else _Tree("par", origin=node.id, branches=branches)
        if node.tag != "boundaryEvent":
            extra, alongside = [], []
            for b in self.boundaries.get(node.id, []):
                if b.definition == "timer" and node.expanded is False and b.element.get("cancelActivity") != "false":
                    if self._timer_seconds(b) is not None or b.element.get(_B + "after") is not None:
                        continue  # a timeout, set on the step
                    self.warn(b.id, f"the timer of boundary event {self.what(b.id)} is not an ISO 8601 duration "
                              "(like P5D); read as a branch out of the step instead of a timeout")
                    extra.append((None, b.name, self.after(b)))
                    continue
                if b.element.get("cancelActivity") == "false":
                    if b.definition == "compensate" or node.expanded:
                        self.warn(b.id, f"non-interrupting {b.definition or ''} boundary event {self.what(b.id)} "
                                  f"on {self.what(node.id)} is not mapped")
                        continue
                    self.warn(b.id, f"non-interrupting {b.definition or ''} boundary event {self.what(b.id)} on "
                              f"{self.what(node.id)} starts extra work while the step goes on; read as work "
                              "that always starts alongside the step's next one (split: all)")
                    alongside.append((None, b.name, self.after(b)))
                    continue
                if b.definition in ("compensate",) or (node.expanded and b.definition in
                                                      ("timer", "error", "cancel", "escalation")):
                    if not (node.expanded and b.definition in ("error", "cancel", "escalation")):
                        self.warn(b.id, f"{b.definition} boundary event {self.what(b.id)} on {self.what(node.id)} "
                                  "is not mapped")
                    continue
                extra.append((None, b.name, self.after(b)))
            if extra:
                if node.kind == "activity" and not node.expanded and self._boundary_ids(node):
                    self.warn(node.id + "#boundary", f"{self.what(node.id)} can be left by a boundary event "
                              f"({', '.join(self.nodes[b].definition or '' for b in self._boundary_ids(node))}); "
                              "read as a branch out of the step; give the chances as p")
                tree = _Tree("choice", origin=node.id + "#out",
                             branches=([(None, None, tree)] if tree.kind != "empty" else []) + extra)
            if alongside:
                tree = _Tree("par", origin=node.id + "#along",
                             branches=([(None, None, tree)] if tree.kind != "empty" else []) + alongside)
        return tree

    def _boundary_ids(self, node):
        return [b.id for b in self.boundaries.get(node.id, []) if b.definition != "timer"]

    # ---- trees to flows --------------------------------------------------------------------------
    def _synth_of(self, tree: _Tree) -> str:
        origin = tree.origin or "start"
        key = "synth:" + origin + (":" + tree.kind if origin in self.nodes and self.is_step(self.nodes[origin]) else "")
        base_key, i = key, 2
        while key in self.synth and self.synth[key].tree is not tree:
            key, i = f"{base_key}:{i}", i + 1
        if key not in self.synth:
            names = {"par": "Starts work in parallel", "choice": "Decides"}
            base = self.nodes.get(origin.split("#")[0])
            name = base.name if base is not None and base.kind in GATEWAYS.values() and base.name else names[tree.kind]
            if base is not None and base.tag == "startEvent":
                name = base.name or "Starts"
            self.synth[key] = _Synth(key, origin.split("#")[0], tree, name)
        return key

    def resolve(self, tree: _Tree) -> tuple[str, list[list], bool]:
        """The flows out of a step for a tree: ``(mode, [[p, label, key]], weighted)``."""
        if tree.kind == "empty":
            return "none", [], False
        if tree.kind == "step":
            return "one", [[1.0, None, tree.key]], False
        if tree.kind == "par":
            items: list[list] = []
            for _, label, sub in tree.branches:
                if sub.kind == "par":
                    items += self.resolve(sub)[1]
                elif sub.kind == "step":
                    items.append([1.0, label, sub.key])
                elif sub.kind == "choice" and len(sub.branches) == 1 and sub.branches[0][2].kind == "step":
                    items.append([1.0, label or sub.branches[0][1], sub.branches[0][2].key])
                elif sub.kind == "choice":
                    items.append([1.0, label, self._synth_of(sub)])
            seen: dict[str, list] = {}
            for item in items:
                if item[2] in seen:
                    self.warn(tree.origin or item[2], f"'{tree.origin}' sends the case down two parallel ways "
                              f"that meet at '{item[2]}' with nothing between; read as one way")
                    continue
                seen[item[2]] = item
            return ("all" if len(seen) > 1 else "one"), list(seen.values()), False
        ps = [b[0] for b in tree.branches]
        n = len(ps)
        given = [p for p in ps if p is not None]
        weighted = bool(given)
        if given:
            total = sum(given)
            if len(given) == n and total > 1.5 and abs(total - 100) < 1:
                ps = [p / 100 for p in ps]
                given = [p / 100 for p in given]
                total = sum(given)
            if len(given) < n:
                rest = max(0.0, 1.0 - total) / (n - len(given))
                self.warn(tree.origin + "#p", f"only some ways out of '{tree.origin}' have a chance; the others "
                          f"share what is left ({rest:.3g} each)")
                ps = [p if p is not None else rest for p in ps]
            total = sum(ps)
            if total <= 0:
                ps, weighted = [1.0 / n] * n, False
            elif abs(total - 1) > 1e-9:
                if abs(total - 1) > 1e-3:
                    self.warn(tree.origin + "#p", f"the chances out of '{tree.origin}' add up to {total:.6g}; "
                              "rescaled to add up to 1")
                ps = [p / total for p in ps]
        else:
            ps = [1.0 / n] * n
        items = []
        for p, (_, label, sub) in zip(ps, tree.branches):
            if sub.kind == "choice":
                _, inner, inner_weighted = self.resolve(sub)
                weighted = weighted or inner_weighted or len(sub.branches) > 1
                items += [[p * q, label or l2, k] for q, l2, k in inner]
            elif sub.kind == "par":
                items.append([p, label, self._synth_of(sub)])
            elif sub.kind == "empty":
                items.append([p, label, self.implicit_end(self.nodes[tree.origin.split("#")[0]]).key])
            else:
                items.append([p, label, sub.key])
        merged: dict[str, list] = {}
        for item in items:
            if item[2] in merged:
                merged[item[2]][0] += item[0]
                weighted = True
            else:
                merged[item[2]] = item
        return ("choice" if len(merged) > 1 else "one"), list(merged.values()), weighted

    # ---- building the blueprint --------------------------------------------------------------------
    def _build(self) -> Blueprint:
        step_nodes = [n for n in self.nodes.values() if self.is_step(n)]
        out: dict[str, tuple] = {}
        timeouts: dict[str, tuple[Any, str]] = {}
        for node in step_nodes:
            if node.tag == "endEvent":
                continue
            out[node.id] = self.resolve(self.after(node))
            for b in self.boundaries.get(node.id, []):
                if b.definition != "timer" or b.element.get("cancelActivity") == "false":
                    continue
                if node.id in timeouts:
                    self.warn(b.id, f"'{node.id}' has a second timer boundary event '{b.id}'; only the "
                              "first is its timeout")
                    continue
                seconds = self._timer_seconds(b)
                after = self._ext_json(b.element, "after")
                if after is None and seconds is None:
                    continue  # read as a branch by after()
                tree = self.after(b)
                target = tree.key if tree.kind == "step" else (
                    tree.branches[0][2].key if tree.kind == "choice" and len(tree.branches) == 1
                    and tree.branches[0][2].kind == "step" else self._synth_of(
                        tree if tree.kind != "empty" else _Tree("choice", origin=b.id, branches=[])))
                if tree.kind == "empty":
                    target = self.implicit_end(b).key
                timeouts[node.id] = (after if after is not None else self._minutes(seconds), target)
        entry_mode, entry_items = self._entries()
        while True:  # synthesised steps may add more synthesised steps: work until none is left
            todo = [k for k in self.synth if k not in out]
            if not todo:
                break
            for key in todo:
                out[key] = self.resolve(self.synth[key].tree)
        return self._assemble(step_nodes, out, timeouts, entry_mode, entry_items)

    def _timer_seconds(self, node: _Node) -> float | None:
        for child in node.element:
            if _local(child.tag) == "timerEventDefinition":
                dur = child.find(_M + "timeDuration")
                return parse_iso_duration(dur.text if dur is not None else None)
        return None

    def _minutes(self, seconds: float) -> float:
        return round(seconds / 60.0, 6)

    def _ext_json(self, element, key: str):
        raw = element.get(_B + key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def _entries(self):
        per_process: dict[str, list] = {}
        for node in self.nodes.values():
            if node.tag == "startEvent" and node.parent is None and not self.msg_in.get(node.id):
                per_process.setdefault(node.process, []).append((None, None, self.after(node)))
        for process in self.process_name:
            if process in per_process or any(n.tag == "startEvent" and n.process == process and n.parent is None
                                             for n in self.nodes.values()):
                continue
            loose = [n for n in self.nodes.values() if n.process == process and n.parent is None and not n.ins
                     and not self.msg_in.get(n.id) and n.tag != "boundaryEvent"
                     and n.element.get("isForCompensation") != "true" and n.tag != "endEvent"]
            if loose:
                if not self.ours:
                    self.warn(process + "#start", f"process '{process}' has no start event; it starts at every "
                              f"step that nothing flows into ({', '.join(n.id for n in loose[:5])})")
                per_process[process] = [(None, None, _Tree("par", origin=loose[0].id,
                                                           branches=[(None, None, self.enter(n)) for n in loose]))
                                        if len(loose) > 1 else (None, None, self.enter(loose[0]))]
        trees = []
        firsts = [n.id for n in self.nodes.values() if n.tag == "startEvent" and n.parent is None] + \
            [n.id for n in self.nodes.values() if n.parent is None]
        for process, starts in per_process.items():
            first = next((n.id for n in self.nodes.values() if n.tag == "startEvent" and n.process == process), None)
            trees.append(starts[0][2] if len(starts) == 1 else
                         _Tree("choice", origin=first or process, branches=[(b[0], b[1], b[2]) for b in starts]))
        if not trees:
            self.fail("no place to start: every start event is reached by a message and no step is free of "
                      "incoming flows; add a start event")
        tree = trees[0] if len(trees) == 1 else _Tree("par", origin=firsts[0],
                                                      branches=[(None, None, t) for t in trees])
        mode, items, weighted = self.resolve(tree)
        ends = any(k in self.implicit_ends or (k in self.nodes and self.nodes[k].tag == "endEvent")
                   for _, _, k in items)
        if mode == "all" or ends:  # a start must be a step that is not an outcome: draw one
            key = self._synth_of(tree if tree.kind == "par" else
                                 _Tree("choice", origin=firsts[0], branches=[(None, None, tree)]))
            return "one", [[1.0, None, key]]
        if not weighted:
            items = [[None, l, k] for _, l, k in items]
        return mode, items

    def _assemble(self, step_nodes, out, timeouts, entry_mode, entry_items) -> Blueprint:
        lanes = self._ext_list("lanes") or list(DEFAULT_LANES)
        used: set[str] = set()
        ids: dict[str, str] = {}
        for node in step_nodes:
            if self.ours or (node.element.get(_B + "step") is not None):
                ids[node.id] = _unique(node.id if re.match(r"^[A-Za-z_][A-Za-z0-9_-]*$", node.id)
                                       else slug(node.id), used)
        for node in step_nodes:
            if node.id not in ids:
                ids[node.id] = _unique(slug(node.name) if node.name else slug(node.id), used)
        for key, s in self.synth.items():
            ids[key] = _unique(slug(s.name, "step"), used)
        for key in self.implicit_ends:
            ids[key] = _unique("end", used)
        steps: dict[str, dict] = {}
        teams: dict[str, dict] = {}
        for node in step_nodes:
            steps[ids[node.id]] = self._step_data(node, lanes, teams)
        for key, s in self.synth.items():
            base = self.nodes.get(s.origin)
            data = {"name": s.name}
            if base is not None:
                data.update(self._placement(base, lanes, teams))
            else:
                data["lane"] = "backstage"
            if s.join or key in self.joins:
                data["join"] = "all"
            steps[ids[key]] = data
        for key, process in self.implicit_ends.items():
            steps[ids[key]] = {"name": "Ends", "outcome": "success"}
            if not self.ours:
                self.warn(key, f"a path in process '{process}' stops without an end event; it ends at a "
                          "success outcome 'end'")
        flows = []
        for key, (mode, items, weighted) in out.items():
            sid = ids[key]
            if mode == "none":
                if not steps[sid].get("outcome") and not self.ours:
                    end = "end:" + (self.nodes[key].process if key in self.nodes else "synth")
                    if end not in ids:
                        ids[end] = _unique("end", used)
                        steps[ids[end]] = {"name": "Ends", "outcome": "success"}
                        self.warn(end, "a step with no way out ends the case at a success outcome 'end' "
                                  "(BPMN's implicit end)")
                    flows.append({"from": sid, "to": ids[end]})
                continue
            if mode == "all":
                steps[sid]["split"] = "all"
            for p, label, target in items:
                flow: dict[str, Any] = {"from": sid, "to": ids[target]}
                if mode == "choice" and weighted or (mode == "one" and key in self.nodes and
                                                     self.nodes[key].outs and self._one_p(key)):
                    flow["p"] = (p if self.ours else round(p, 12)) if mode == "choice" else self._one_p(key)
                if label:
                    flow["label"] = label
                flows.append(flow)
        for nid in self.joins:
            steps[ids[nid]]["join"] = "all"
        for target, sources in self.msg_in.items():
            if sources and target in ids and self.nodes[target].ins and self.nodes[target].tag != "endEvent":
                steps[ids[target]]["join"] = "all"
        for nid, (after, target) in timeouts.items():
            steps[ids[nid]]["timeout"] = {"after": after, "to": ids[target]}
        self._fix_probabilities(flows)
        order = self._ext_json_dict(self.model_ext, "order")
        if isinstance(order, list):  # the file's own order of flows, where the flows are still there
            place = {tuple(pair): i for i, pair in enumerate(order) if isinstance(pair, list)}
            flows.sort(key=lambda f: place.get((f["from"], f["to"]), len(place)))
        self._frontstage(steps, flows, ids)
        for sid, data in steps.items():
            if data.get("lane") == "__staff__":
                data["lane"] = "backstage"
        if entry_mode == "one" or len(entry_items) == 1:
            start: Any = ids[entry_items[0][2]]
        else:
            ps = [p for p, _, _ in entry_items]
            if any(p is None for p in ps):
                ps = [1.0 / len(entry_items)] * len(entry_items)
            start = {ids[k]: round(p, 12) for p, (_, _, k) in zip(ps, entry_items)}
        data: dict[str, Any] = {"name": self._name()}
        description = self._documentation_of_process()
        if description:
            data["description"] = description
        for key in ("time_unit",):
            if self.model_ext.get(key):
                data[key] = self.model_ext[key]
        for key in ("blueprint", "lanes", "stages", "arrivals", "patience", "checks"):
            value = self._ext_json_dict(self.model_ext, key)
            if value is not None:
                data[key] = value
        if "arrivals" not in data and self.qbp_arrivals:
            data["arrivals"] = {"every": self.qbp_arrivals}
        for tid in self.team_ext:  # teams that own no step come back too, in the order written
            self._team(teams, tid, tid)
        data["teams"] = {tid: teams[tid] for tid in list(self.team_ext) + list(teams) if tid in teams}
        data["steps"] = steps
        data["flows"] = flows
        written = self._ext_json_dict(self.model_ext, "start")
        if isinstance(written, dict) and isinstance(start, str) and set(written) == {start}:
            start = {start: 1.0}
        elif isinstance(written, str) and isinstance(start, dict) and set(start) == {written}:
            start = written
        data["start"] = start
        self._systems(teams, steps, ids)
        from .loader import build

        try:
            return build(data, file=self.file)
        except BlueprintError as exc:
            raise BlueprintError(["the BPMN file maps to a blueprint that is not valid:"] + exc.problems,
                                 file=self.file) from None

    def _one_p(self, key):
        node = self.nodes.get(key)
        if node is None or len(node.outs) != 1:
            return None
        p = self.flow_p.get(node.outs[0].id)
        return p if self.ours and node.element.get(_B + "split") is None else None

    def _fix_probabilities(self, flows) -> None:
        by_source: dict[str, list] = {}
        for f in flows:
            by_source.setdefault(f["from"], []).append(f)
        for group in by_source.values():
            ps = [f.get("p") for f in group]
            if any(p is None for p in ps) and any(p is not None for p in ps):
                for f in group:
                    f.pop("p", None)
            elif ps and all(p is not None for p in ps):
                total = sum(ps)
                if total > 0 and abs(total - 1) > 1e-9:
                    for f in group:
                        f["p"] = f["p"] / total
                    if abs(total - 1) > 1e-3 and len(group) == 1:
                        group[0]["p"] = 1.0

    def _frontstage(self, steps, flows, ids) -> None:
        """A staff step without a named lane goes frontstage when it meets the customer."""
        customer = {sid for sid, s in steps.items() if s.get("lane") == CUSTOMER}
        touching = {ids[n] for n in self.touches_customer if n in ids}
        for f in flows:
            if f["from"] in customer:
                touching.add(f["to"])
            if f["to"] in customer:
                touching.add(f["from"])
        for sid in touching:
            if steps.get(sid, {}).get("lane") == "__staff__":
                steps[sid]["lane"] = "frontstage"

    def _systems(self, teams, steps, ids) -> None:
        for nid, stores in self.stores.items():
            owner = steps.get(ids.get(nid, ""), {}).get("owner")
            if owner in teams and "systems" not in self.team_ext.get(owner, {}):
                systems = teams[owner].setdefault("systems", [])
                for s in stores:
                    if s not in systems:
                        systems.append(s)

    def _ext_list(self, key):
        value = self._ext_json_dict(self.model_ext, key)
        return value if isinstance(value, list) else None

    def _ext_json_dict(self, attrs: dict, key: str):
        raw = attrs.get(key)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def _name(self) -> str:
        if self.model_ext.get("name"):
            return self.model_ext["name"]
        for p in self.process_pool.values():
            if p.get("name"):
                return " ".join(p.get("name").split())
        for name in self.process_name.values():
            if name:
                return " ".join(name.split())
        return self.root.get("name") or Path(self.file).stem

    def _documentation_of_process(self) -> str | None:
        for pid in self.process_name:
            el = self.by_id.get(pid)
            doc = el.find(_M + "documentation") if el is not None else None
            if doc is not None and (doc.text or "").strip():
                return doc.text if self.ours else doc.text.strip()
        return None

    # ---- lanes, teams and step attributes ------------------------------------------------------------
    def _chain(self, node: _Node) -> list:
        while node is not None:
            chain = self.lane_chain.get(node.id)
            if chain:
                return chain
            node = self.nodes.get(node.parent) if node.parent else None
        return []

    def _team(self, teams: dict, team_id: str | None, name: str | None, extra: dict | None = None) -> str:
        if team_id and team_id in self.team_ext:
            if team_id not in teams:
                attrs = self.team_ext[team_id]
                data = {}
                for key in ("name", "description", "hours"):
                    if attrs.get(key) is not None:
                        data[key] = attrs[key]
                for key in ("staff", "systems", "can", "external"):
                    if attrs.get(key) is not None:
                        data[key] = json.loads(attrs[key])
                teams[team_id] = data
            return team_id
        tid = team_id or slug(name or "team", "team")
        if tid not in teams:
            teams[tid] = {"name": " ".join((name or tid).split())}
            if extra:
                teams[tid].update({k: v for k, v in extra.items() if v is not None})
        return tid

    def _placement(self, node: _Node, lanes: list[str], teams: dict) -> dict:
        """The lane and owner of a step drawn as `node`."""
        chain = self._chain(node)
        lane = team = None
        for el in chain:
            named = el.get(_B + "lane") or _blueprint_lane_of(el.get("name"), lanes)
            if named:
                lane = named
            elif is_customer_name(el.get("name")) and lane is None:
                lane = CUSTOMER
        pool = self.process_pool.get(node.process)
        if lane is None and pool is not None:
            lane = _blueprint_lane_of(pool.get("name"), lanes) or (
                CUSTOMER if pool.get("id") in self.customer_pools else None)
        if lane == CUSTOMER:
            return {"lane": CUSTOMER}
        for el in reversed(chain):
            if el.get(_B + "team"):
                team = self._team(teams, el.get(_B + "team"), el.get("name"))
                break
            if not el.get(_B + "lane") and not _blueprint_lane_of(el.get("name"), lanes) \
                    and el.get(_B + "team") is None and (el.get("name") or "").strip():
                team = self._team(teams, None, el.get("name"))
                break
        if chain and chain[-1].get(_B + "team") == "":
            team = None
        elif team is None and not (self.ours and chain):
            rid = self.qbp_task_resource.get(node.id)
            if rid in self.qbp_resource:
                res = self.qbp_resource[rid]
                staff = None
                try:
                    staff = int(float(res["staff"])) if res["staff"] is not None else None
                except ValueError:
                    pass
                team = self._team(teams, None, res["name"], {"staff": staff, "hours": res["hours"]})
            else:
                names = [pool.get("name") if pool is not None else None, self.process_name.get(node.process)]
                team = self._team(teams, None, next((n for n in names if n and n.strip()), "Process"))
        if lane is None:
            lane = "support" if node.tag in AUTOMATED else "__staff__"
        out = {"lane": lane}
        if team is not None:
            out["owner"] = team
        return out

    def _step_data(self, node: _Node, lanes: list[str], teams: dict) -> dict:
        el = node.element
        data: dict[str, Any] = {}
        if node.name:
            data["name"] = " ".join(node.name.split())
        doc = el.find(_M + "documentation")
        notes = ([doc.text if self.ours else doc.text.strip()] if doc is not None and (doc.text or "").strip() else []) \
            + self.annotations.get(node.id, [])
        if notes:
            data["description"] = "\n".join(notes)
        if node.tag == "endEvent":
            data["outcome"] = "failure" if node.definition in FAILURE_ENDS else "success"
            if node.definition == "terminate" and not self.ours:
                self.warn(node.id + "#terminate", f"terminate end event '{node.id}' is read as a failure "
                          "outcome; change it to success if ending there is a good end")
            for key in ("lane", "owner"):
                if el.get(_B + key):
                    data[key] = el.get(_B + key)
            if data.get("owner"):
                self._team(teams, data["owner"], data["owner"])
        else:
            data.update(self._placement(node, lanes, teams))
            if node.tag == "intermediateCatchEvent" and node.definition == "timer":
                seconds = self._timer_seconds(node)
                if seconds is not None:
                    data["duration"] = self._minutes(seconds)
                else:
                    self.warn(node.id, f"the timer of {self.what(node.id)} is not an ISO 8601 duration (like "
                              "PT2H); it waits no time")
            if node.id in self.qbp_duration and self.qbp_duration[node.id] is not None:
                data["duration"] = self.qbp_duration[node.id]
        for key in ("stage", "channel", "evidence", "fail_point", "moment"):
            if el.get(_B + key) is not None:
                data[key] = el.get(_B + key)
        for key in ("duration", "emotion", "needs", "split", "join"):
            value = self._ext_json(el, key)
            if value is not None:
                data[key] = value
        if data.get("split") != "all":
            data.pop("split", None)
        if data.get("join") != "all":
            data.pop("join", None)
        return data


def _parse(path: str | Path):
    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as SafeET

    from .files import readable_file

    name = str(path)
    path = readable_file(path, "a .bpmn file")
    try:
        return SafeET.parse(str(path)).getroot()
    except DefusedXmlException as exc:
        raise BlueprintError(f"the XML declares entities or external references ({type(exc).__name__}); "
                             "a BPMN file never needs them, so it is refused (an entity expansion bomb?)",
                             file=name) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        from .errors import Problem

        raise BlueprintError([Problem("", f"not well-formed XML: {str(exc).split(':')[0]}; check the file "
                                          "near this place", line, (column or 0) + 1 if line else None)],
                             file=name) from None
    except OSError as exc:
        raise BlueprintError(f"cannot read the file: {exc.strerror}", file=name) from None


def import_bpmn(path: str | Path) -> tuple[Blueprint, list[str]]:
    """A blueprint made of a BPMN 2.0 file, with what could not be mapped (one message per element).

    Parameters
    ----------
    path : str or Path
        The ``.bpmn`` file.

    Returns
    -------
    (Blueprint, list of str)
        The model and the warnings, each naming the element id it is about.

    Raises
    ------
    BlueprintError
        When the file is not well-formed XML, not BPMN, declares entities, or has nothing to import.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.bpmn"
    >>> _ = path.write_text('''<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
    ...  <process id="p"><startEvent id="s"/><task id="t" name="Answer"/><endEvent id="e"/>
    ...   <sequenceFlow id="f1" sourceRef="s" targetRef="t"/><sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
    ...  </process></definitions>''')
    >>> model, notes = import_bpmn(path)
    >>> sorted(model.steps), model.entry, notes
    (['answer', 'e'], {'answer': 1.0}, [])
    """
    root = _parse(path)
    reader = _Reader(root, str(path))
    try:
        model = reader.read()
    except RecursionError:
        raise BlueprintError("the process is nested too deeply to be read", file=str(path)) from None
    return model, list(reader.warned.values())


def read_bpmn(path: str | Path) -> Blueprint:
    """Load a BPMN 2.0 file as a blueprint; what cannot be mapped is reported as a :class:`MappingWarning`.

    See :func:`import_bpmn` (which returns the warnings instead) and ``docs/bpmn.md`` for the mapping.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.bpmn"
    >>> _ = path.write_text('''<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
    ...  <process id="p"><startEvent id="s"/><task id="t" name="Answer"/><endEvent id="e"/>
    ...   <sequenceFlow id="f1" sourceRef="s" targetRef="t"/><sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
    ...  </process></definitions>''')
    >>> read_bpmn(path).steps["answer"].owner
    'process'
    """
    model, notes = import_bpmn(path)
    for note in notes:
        warnings.warn(MappingWarning(f"{path}: {note}"), stacklevel=2)
    return model


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------
_TEXT_KEYS = ("stage", "channel", "evidence", "fail_point", "moment")
_JSON_KEYS = ("duration", "emotion", "needs")
TASK_W, TASK_H, EVENT, GATE = 100, 80, 36, 50
COL, ROW, POOL_HEAD, LANE_HEAD, TOP_PAD = 150, 110, 30, 30, 15


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


class _Writer:
    def __init__(self, model: Blueprint):
        self.model = model
        self.used: set[str] = set(model.steps)
        self.elements: list[tuple[str, str, str | None]] = []   # (id, kind, step it belongs to)
        self.band: dict[str, tuple[str, str | None]] = {}
        self.edges: list[tuple[str, str, str, dict]] = []       # (id, source, target, attrs)
        self.node_el: dict[str, Any] = {}

    def new_id(self, base: str) -> str:
        return _unique(base, self.used)

    def write(self) -> str:
        m = self.model
        for prefix, uri in (("bpmn", MODEL), ("bpmndi", BPMNDI), ("dc", DC), ("di", DDI), ("blueprint", BLUEPRINT_NS)):
            ET.register_namespace(prefix, uri)
        root = ET.Element(_M + "definitions", {"id": self.new_id("Definitions"),
                                                "targetNamespace": "urn:blueprint:model",
                                                "exporter": "blueprint", "exporterVersion": _version()})
        collab = ET.SubElement(root, _M + "collaboration", {"id": self.new_id("Collaboration")})
        pid = self.new_id("Process")
        self.pool_id = self.new_id("Pool")
        ET.SubElement(collab, _M + "participant", {"id": self.pool_id, "name": m.name or "Service",
                                                    "processRef": pid})
        process = ET.SubElement(root, _M + "process", {"id": pid, "isExecutable": "false"})
        if m.name:
            process.set("name", m.name)
        if m.description:
            ET.SubElement(process, _M + "documentation").text = m.description
        ext = ET.SubElement(process, _M + "extensionElements")
        data = m.to_data()
        model_attrs = {"name": m.name}
        for key in ("blueprint", "time_unit", "lanes", "stages", "arrivals", "patience", "checks", "start"):
            if key in data:
                model_attrs[key] = data[key] if key == "time_unit" else _json(data[key])
        model_attrs["order"] = _json([[f.source, f.target] for f in m.flows])
        ET.SubElement(ext, _B + "model", model_attrs)
        for tid, team in data.get("teams", {}).items():
            attrs = {"id": tid}
            for key, value in team.items():
                attrs[key] = value if key in ("name", "description", "hours") else _json(value)
            ET.SubElement(ext, _B + "team", attrs)
        self.lane_set = ET.SubElement(process, _M + "laneSet", {"id": self.new_id("LaneSet")})
        self.process = process
        self._nodes()
        self._lanes()
        for eid, source, target, attrs in self.edges:
            ET.SubElement(process, _M + "sequenceFlow", {"id": eid, "sourceRef": source, "targetRef": target, **attrs})
        self._diagram(root, collab.get("id"))
        ET.indent(root, "  ")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

    # ---- the process -------------------------------------------------------------------------
    def _add(self, tag: str, eid: str, band_of: str | None, attrs: dict | None = None):
        el = ET.SubElement(self.process, _M + tag, {"id": eid, **(attrs or {})})
        self.elements.append((eid, tag, band_of))
        self.node_el[eid] = el
        return el

    def _edge(self, source: str, target: str, attrs: dict | None = None) -> None:
        self.edges.append((self.new_id(f"Flow_{source}_{target}"), source, target, attrs or {}))

    def _nodes(self) -> None:
        m = self.model
        incoming: dict[str, int] = {sid: len(m.incoming[sid]) for sid in m.steps}
        for step in m.steps.values():
            if step.timeout is not None:
                incoming[step.timeout.to] += 1
        for sid in m.entry:
            incoming[sid] += 1
        self.into: dict[str, str] = {}
        for sid, step in m.steps.items():
            attrs: dict[str, str] = {}
            if step.name:
                attrs["name"] = step.name
            for key in _TEXT_KEYS:
                if getattr(step, key) is not None:
                    attrs[_B + key] = getattr(step, key)
            raw = m.to_data()["steps"][sid]
            for key in _JSON_KEYS:
                if key in raw and raw[key] not in (None, []):
                    attrs[_B + key] = _json(raw[key])
            for key in ("split", "join"):
                if getattr(step, key):
                    attrs[_B + key] = getattr(step, key)
            if step.is_outcome:
                for key in ("lane", "owner"):
                    if getattr(step, key):
                        attrs[_B + key] = getattr(step, key)
                el = self._add("endEvent", sid, sid, attrs)
                if step.outcome == "failure":
                    ET.SubElement(el, _M + "errorEventDefinition", {"id": self.new_id(f"Error_{sid}")})
            else:
                el = self._add("task", sid, sid, attrs)
            if step.description:
                doc = ET.Element(_M + "documentation")
                doc.text = step.description
                el.insert(0, doc)
            self.into[sid] = sid
            if step.join == "all" and incoming[sid] > 0:
                gid = self.new_id(f"Join_{sid}")
                self._add("parallelGateway", gid, sid, {"gatewayDirection": "Converging"})
                self._edge(gid, sid)
                self.into[sid] = gid
            elif incoming[sid] > 1:
                gid = self.new_id(f"Merge_{sid}")
                self._add("exclusiveGateway", gid, sid, {"gatewayDirection": "Converging"})
                self._edge(gid, sid)
                self.into[sid] = gid
        start = self._add("startEvent", self.new_id("Start"), next(iter(m.entry), None))
        if len(m.entry) == 1:
            self._edge(start.get("id"), self.into[next(iter(m.entry))])
        else:
            gid = self.new_id("Start_choice")
            self._add("exclusiveGateway", gid, next(iter(m.entry)), {"gatewayDirection": "Diverging"})
            self._edge(start.get("id"), gid)
            for sid, weight in m.entry.items():
                self._edge(gid, self.into[sid], {_B + "p": repr(float(weight))})
        for sid, step in m.steps.items():
            flows = m.outgoing[sid]
            source = sid
            if len(flows) > 1 or (step.split == "all" and flows):
                kind = "parallelGateway" if step.split == "all" else "exclusiveGateway"
                source = self.new_id(("Split_" if step.split == "all" else "Choice_") + sid)
                self._add(kind, source, sid, {"gatewayDirection": "Diverging"})
                self._edge(sid, source)
            for flow in flows:
                attrs = {}
                if flow.label:
                    attrs["name"] = flow.label
                if flow.p is not None:
                    attrs[_B + "p"] = repr(float(flow.p))
                self._edge(source, self.into[flow.target], attrs)
            if step.timeout is not None:
                bid = self.new_id(f"Timeout_{sid}")
                raw = m.to_data()["steps"][sid]["timeout"]["after"]
                b = self._add("boundaryEvent", bid, sid, {"attachedToRef": sid, "cancelActivity": "true",
                                                          _B + "after": _json(raw)})
                timer = ET.SubElement(b, _M + "timerEventDefinition", {"id": self.new_id(f"Timer_{sid}")})
                seconds = mean_of(step.timeout.after, m.time_unit) * _seconds_in(m.time_unit)
                ET.SubElement(timer, _M + "timeDuration").text = iso_duration(seconds)
                self._edge(bid, self.into[step.timeout.to])

    def _band_of_step(self, sid: str | None) -> tuple[str, str | None]:
        m = self.model
        if sid is None or sid not in m.steps:
            return (m.lanes[0], None)
        step = m.steps[sid]
        if step.lane is not None:
            return (step.lane, step.owner)
        for flow in m.incoming[sid]:  # an outcome: drawn beside the step before it
            other = m.steps[flow.source]
            if other.lane is not None:
                return (other.lane, other.owner)
        return (m.lanes[-1] if CUSTOMER != m.lanes[-1] else m.lanes[0], None)

    def _lanes(self) -> None:
        m = self.model
        bands: dict[str, list] = {lane: [] for lane in m.lanes}
        for eid, _, sid in self.elements:
            lane, team = self._band_of_step(sid)
            self.band[eid] = (lane, team)
            if team not in bands[lane]:
                bands[lane].append(team)
        self.bands: list[tuple[str, str | None]] = []
        self.lane_ids: dict[tuple, str] = {}
        for lane in m.lanes:
            teams = bands[lane]
            if not teams:
                continue
            teams.sort(key=lambda t: (t is not None, list(m.teams).index(t) if t in m.teams else 0))
            lane_el = ET.SubElement(self.lane_set, _M + "lane", {"id": self.new_id(f"Lane_{lane}"),
                                                                 "name": lane.title(), _B + "lane": lane})
            self.lane_ids[(lane,)] = lane_el.get("id")
            for eid, _, _ in self.elements:
                if self.band[eid] == (lane, None):
                    ET.SubElement(lane_el, _M + "flowNodeRef").text = eid
            named = [t for t in teams if t is not None]
            if named:
                child = ET.SubElement(lane_el, _M + "childLaneSet", {"id": self.new_id(f"LaneSet_{lane}")})
                for team in named:
                    team_el = ET.SubElement(child, _M + "lane", {"id": self.new_id(f"Lane_{lane}_{team}"),
                                                                 "name": m.team_name(team), _B + "team": team})
                    self.lane_ids[(lane, team)] = team_el.get("id")
                    for eid, _, _ in self.elements:
                        if self.band[eid] == (lane, team):
                            ET.SubElement(team_el, _M + "flowNodeRef").text = eid
            self.bands += [(lane, t) for t in teams]

    # ---- the diagram -------------------------------------------------------------------------
    def _ranks(self) -> dict[str, int]:
        succ: dict[str, list[str]] = {eid: [] for eid, _, _ in self.elements}
        host = {}
        for eid, tag, sid in self.elements:
            if tag == "boundaryEvent":
                host[eid] = sid
        for _, s, t, _ in self.edges:
            succ[host.get(s, s)].append(t)
        starts = [eid for eid, tag, _ in self.elements if tag == "startEvent"]
        back, post = depth_first({e: v for e, v in succ.items() if e not in host}, starts)
        rank = {eid: 0 for eid in succ}
        for node in reversed(post):
            for nxt in succ[node]:
                if (node, nxt) not in back:
                    rank[nxt] = max(rank[nxt], rank[node] + 1)
        for b, h in host.items():
            rank[b] = rank[h]
        self.back = back
        return rank

    def _diagram(self, root, collab_id: str) -> None:
        rank = self._ranks()
        rows: dict[tuple, dict[int, int]] = {band: {} for band in self.bands}
        slot: dict[str, int] = {}
        for eid, tag, _ in self.elements:
            if tag == "boundaryEvent":
                continue
            band = self.band[eid]
            taken = rows[band]
            slot[eid] = taken.get(rank[eid], 0)
            taken[rank[eid]] = slot[eid] + 1
        height = {band: max(list(rows[band].values()) + [1]) * ROW + 2 * TOP_PAD for band in self.bands}
        top, y = {}, 0
        for band in self.bands:
            top[band] = y
            y += height[band]
        total_h = max(y, ROW)
        left = POOL_HEAD + LANE_HEAD * 2
        total_w = left + (max(rank.values(), default=0) + 1) * COL + 40
        box: dict[str, tuple[float, float, float, float]] = {}
        for eid, tag, _ in self.elements:
            if tag == "boundaryEvent":
                continue
            w, h = (TASK_W, TASK_H) if tag == "task" else (GATE, GATE) if tag.endswith("Gateway") else (EVENT, EVENT)
            cx = left + rank[eid] * COL + COL / 2
            cy = top[self.band[eid]] + TOP_PAD + slot[eid] * ROW + ROW / 2
            box[eid] = (cx - w / 2, cy - h / 2, w, h)
        for eid, tag, sid in self.elements:
            if tag == "boundaryEvent":
                x, y0, w, h = box[sid]
                box[eid] = (x + w - EVENT - 4, y0 + h - EVENT / 2, EVENT, EVENT)
        diagram = ET.SubElement(root, "{%s}BPMNDiagram" % BPMNDI, {"id": self.new_id("Diagram")})
        plane = ET.SubElement(diagram, "{%s}BPMNPlane" % BPMNDI, {"id": self.new_id("Plane"), "bpmnElement": collab_id})

        def shape(element: str, x, y0, w, h, horizontal=None):
            attrs = {"id": self.new_id(f"{element}_di"), "bpmnElement": element}
            if horizontal is not None:
                attrs["isHorizontal"] = horizontal
            s = ET.SubElement(plane, "{%s}BPMNShape" % BPMNDI, attrs)
            ET.SubElement(s, "{%s}Bounds" % DC, {"x": _num(x), "y": _num(y0), "width": _num(w), "height": _num(h)})

        shape(self.pool_id, 0, 0, total_w, total_h, "true")
        for lane in dict.fromkeys(b[0] for b in self.bands):
            mine = [b for b in self.bands if b[0] == lane]
            y0 = top[mine[0]]
            shape(self.lane_ids[(lane,)], POOL_HEAD, y0, total_w - POOL_HEAD, sum(height[b] for b in mine), "true")
            for band in mine:
                if band[1] is not None:
                    shape(self.lane_ids[band], POOL_HEAD + LANE_HEAD, top[band], total_w - POOL_HEAD - LANE_HEAD,
                          height[band], "true")
        for eid, tag, _ in self.elements:
            shape(eid, *box[eid])
        for eid, source, target, _ in self.edges:
            edge = ET.SubElement(plane, "{%s}BPMNEdge" % BPMNDI, {"id": self.new_id(f"{eid}_di"), "bpmnElement": eid})
            for x, y0 in self._route(box[source], box[target], source, target):
                ET.SubElement(edge, "{%s}waypoint" % DDI, {"x": _num(x), "y": _num(y0)})

    def _route(self, a, b, source, target):
        ax, ay, aw, ah = a
        bx, by, bw, bh = b
        if dict(self.elements_by_id()).get(source) == "boundaryEvent":
            start = (ax + aw / 2, ay + ah)
            end = (bx + bw / 2, by + bh) if bx + bw / 2 < start[0] else (bx, by + bh / 2)
            low = max(start[1], end[1]) + 20
            return [start, (start[0], low), (end[0], low), end] if end[1] == by + bh else \
                [start, (start[0], end[1]), end]
        if bx <= ax:  # a way back: under both shapes
            start, end = (ax + aw / 2, ay + ah), (bx + bw / 2, by + bh)
            low = max(ay + ah, by + bh) + 15
            return [start, (start[0], low), (end[0], low), end]
        start, end = (ax + aw, ay + ah / 2), (bx, by + bh / 2)
        if abs(start[1] - end[1]) < 0.5:
            return [start, end]
        mid = (start[0] + end[0]) / 2
        return [start, (mid, start[1]), (mid, end[1]), end]

    def elements_by_id(self):
        if not hasattr(self, "_kinds"):
            self._kinds = {eid: tag for eid, tag, _ in self.elements}
        return self._kinds


def _seconds_in(unit: str) -> float:
    from .durations import TIME_UNITS

    return TIME_UNITS[unit]


def _num(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) > 1e-9 else str(int(round(x)))


def _version() -> str:
    from . import __version__

    return __version__


def to_bpmn(model: Blueprint) -> str:
    """The blueprint as BPMN 2.0 XML with a laid-out diagram, readable back by :func:`read_bpmn`.

    One pool holds one horizontal lane per blueprint lane in use, split into one lane per team;
    steps become tasks, outcomes end events (an error end for a failure), branches an exclusive
    gateway with the chances on its flows, ``split: all`` and ``join: all`` parallel gateways, a
    timeout a boundary timer. The rest travels in the ``blueprint:`` namespace.

    Examples
    --------
    >>> from blueprint import loads
    >>> xml = to_bpmn(loads("steps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]"))
    >>> '<bpmn:task id="a"' in xml, '<bpmn:endEvent id="b"' in xml, "BPMNShape" in xml
    (True, True, True)
    """
    return _Writer(model).write()
