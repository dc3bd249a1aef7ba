"""The first pass of reading BPMN: the XML into plain records (:class:`Document`).

Nothing here decides what becomes a step: this pass only says what the file holds (flow nodes,
sequence flows, pools, lanes, message flows, annotations, data stores and the ``blueprint:``
extension) with every id reference resolved. :mod:`.fold` and :mod:`.assemble` do the rest.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import BlueprintError
from ..naming import is_customer_name, unique_id
from .xmlfile import MODEL, B, M, Notes, idref, local, namespace

__all__ = ["Node", "Seq", "Process", "Ours", "Messages", "Document", "read_document", "ACTIVITIES", "GATEWAYS",
           "EVENTS"]

ACTIVITIES = frozenset({"task", "userTask", "manualTask", "serviceTask", "scriptTask", "businessRuleTask",
                        "sendTask", "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"})
GATEWAYS = {"exclusiveGateway": "xor", "parallelGateway": "and", "inclusiveGateway": "or",
            "eventBasedGateway": "event", "complexGateway": "complex"}
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"})
FLOW_NODES = ACTIVITIES | EVENTS | set(GATEWAYS)
#: Elements of a process that say nothing a blueprint keeps, or that are reported elsewhere.
_QUIET = {"sequenceFlow", "laneSet", "extensionElements", "documentation", "ioSpecification", "property",
          "textAnnotation", "association", "incoming", "outgoing", "auditing", "monitoring",
          "standardLoopCharacteristics", "multiInstanceLoopCharacteristics", "dataInputAssociation",
          "dataOutputAssociation", "resourceRole", "performer", "potentialOwner", "humanPerformer",
          "dataStoreReference", "correlationSubscription", "supports"}


@dataclass
class Node:
    """A flow node of the file: an activity, an event or a gateway."""

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
        """``activity``, the gateway's kind (``xor``, ``and``, ``or``, ``event``, ``complex``) or the tag."""
        if self.tag in ACTIVITIES:
            return "activity"
        return GATEWAYS.get(self.tag, self.tag)


@dataclass(frozen=True)
class Seq:
    """A sequence flow."""

    id: str
    source: str
    target: str
    name: str | None
    conditional: bool


@dataclass(frozen=True)
class Process:
    """A process that is imported, with the pool (participant) that shows it, if any."""

    id: str
    name: str | None
    element: Any
    pool: Any = None


@dataclass(frozen=True)
class Ours:
    """The ``blueprint:`` extension of a file written by :func:`blueprint.bpmn.to_bpmn`."""

    written: bool = False          # the file carries blueprint: data
    model: dict = field(default_factory=dict)
    teams: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Messages:
    """Message flows between flow nodes (``sent[a]`` lists who `a` sends to), and the flow nodes
    that exchange messages with the customer's pool when that pool has no process."""

    sent: dict[str, list[str]] = field(default_factory=dict)
    received: dict[str, list[str]] = field(default_factory=dict)
    with_customer: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Document:
    """What a BPMN file holds, as plain records."""

    file: str
    root: Any
    by_id: dict[str, Any]
    ours: Ours
    processes: dict[str, Process]
    customer_pools: set[str]
    nodes: dict[str, Node]
    seqs: dict[str, Seq]
    boundaries: dict[str, list[Node]]     # activity id -> its boundary events
    lane_chain: dict[str, list]           # flow node id -> the lanes it is in, outermost first
    messages: Messages
    annotations: dict[str, list[str]]     # flow node id -> the text annotations associated with it
    stores: dict[str, list[str]]          # flow node id -> the data stores it reads or writes

    def what(self, node_id: str) -> str:
        """How a message names an element: its id, and its name where it has one."""
        node = self.nodes.get(node_id)
        name = node.name if node is not None else None
        return f"'{node_id}'" + (f" ({' '.join(name.split())})" if name else "")


def read_document(root, file: str, notes: Notes) -> Document:
    """The records of the BPMN file whose root element is `root`.

    Raises
    ------
    BlueprintError
        When the root is not BPMN 2.0's ``definitions``.
    """
    if local(root.tag) != "definitions" or namespace(root.tag) != MODEL:
        raise BlueprintError(f"not a BPMN 2.0 file: the root element is <{local(root.tag)}> in namespace "
                             f"'{namespace(root.tag) or 'none'}'; a BPMN file starts with <definitions "
                             f"xmlns=\"{MODEL}\">", file=file)
    by_id = _normalise(root, notes)
    ours = _read_ours(root)
    collaborations = [el for el in root if el.tag == M + "collaboration"]
    participants = [p for c in collaborations for p in c if p.tag == M + "participant"]
    processes, customer_pools = _read_processes(root, participants, notes)
    nodes: dict[str, Node] = {}
    seqs: dict[str, Seq] = {}
    for p in processes.values():
        _read_container(p.element, p.id, None, nodes, seqs, by_id, ours.written, notes)
    _link(nodes, seqs)
    boundaries: dict[str, list[Node]] = {}
    for node in nodes.values():
        if node.tag == "boundaryEvent":
            boundaries.setdefault(node.element.get("attachedToRef"), []).append(node)
    doc = Document(file, root, by_id, ours, processes, customer_pools, nodes, seqs, boundaries,
                   _read_lanes(processes), Messages(), {}, {})
    for c in collaborations:
        for mf in c:
            if mf.tag == M + "messageFlow":
                _read_message_flow(doc, mf, participants, notes)
            elif local(mf.tag) not in ("participant", "extensionElements", "documentation", "textAnnotation",
                                       "association"):
                notes.warn(mf.get("id") or local(mf.tag), f"{local(mf.tag)} '{mf.get('id')}' in the "
                           "collaboration is not part of a blueprint; ignored")
    containers = [p.element for p in processes.values()] + collaborations
    _read_annotations(doc, containers)
    _read_stores(doc)
    _drop_replies(doc, notes)
    return doc


#: Attributes that hold id references (``xsd:QName`` in BPMN's schema, ``IDREF`` in DI), with
#: those of the simulation dialects; and elements whose text is one.
_REF_ATTRIBUTES = frozenset({"default", "calledElement", "elementId", "elementRef", "processRef", "attachedToRef"})
#: Tags of the diagram interchange namespaces (shapes, bounds, waypoints), which the reader skips.
_DIAGRAM = ("{http://www.omg.org/spec/BPMN/20100524/DI}", "{http://www.omg.org/spec/DD/20100524/")
_REF_TEXTS = frozenset({"incoming", "outgoing", "flowNodeRef", "sourceRef", "targetRef", "eventDefinitionRef",
                        "dataInputRefs", "dataOutputRefs", "inputSetRefs", "outputSetRefs", "supportedInterfaceRef"})
#: Elements a reader needs to tell apart, so that an element without an id is given one.
_NEEDS_ID = FLOW_NODES | {"process", "participant", "collaboration", "sequenceFlow", "messageFlow", "lane",
                          "textAnnotation", "association", "dataStoreReference", "dataStore"}


def _normalise(root, notes: Notes) -> dict[str, Any]:
    """Every element by id, after giving an id to the elements that need one and have none, and
    resolving every id reference written as a QName (``processRef="bpmn2:P1"``) to the plain id."""
    by_id: dict[str, Any] = {}
    missing = []
    qualified = []  # elements with a colon in an attribute or their text: perhaps a QName reference
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str) or tag.startswith(_DIAGRAM):  # the diagram: nothing read from it
            continue
        eid = el.get("id")
        if eid:
            by_id.setdefault(eid, el)
        elif tag.startswith(M) and local(tag) in _NEEDS_ID:
            missing.append(el)
        if (el.text and ":" in el.text) or any(":" in v for v in el.attrib.values()):
            qualified.append(el)
    used = set(by_id)
    for el in missing:
        tag = local(el.tag)
        eid = unique_id(f"{tag}_no_id", used)
        el.set("id", eid)
        by_id[eid] = el
        if tag in FLOW_NODES or tag in ("process", "sequenceFlow", "messageFlow", "participant"):
            notes.warn(eid, f"a {tag}{_named(el)} has no id (BPMN requires one, and nothing can refer to "
                       f"an element without it); it is called '{eid}' here")
    for el in qualified:
        for key, value in el.attrib.items():
            if ":" in value and (key in _REF_ATTRIBUTES or key.endswith("Ref")) and value.strip() not in by_id:
                el.set(key, idref(value, by_id))
        if el.text and ":" in el.text and local(el.tag) in _REF_TEXTS:
            el.text = idref(el.text, by_id)
    return by_id


def _read_ours(root) -> Ours:
    model: dict = {}
    teams: dict = {}
    written = False
    for el in root.iter(B + "model"):
        written = True
        model = dict(el.attrib)
    for el in root.iter(B + "team"):
        teams[el.get("id", "")] = dict(el.attrib)
    return Ours(written, model, teams)


def _read_processes(root, participants, notes: Notes) -> tuple[dict[str, Process], set[str]]:
    """The processes to import and the customer's pools.

    Every process is imported, in a pool or not, except one that a call activity calls: that is
    the inside of the call activity's one step, and is reported as left out.
    """
    pools: dict[str, Any] = {}
    customer_pools: set[str] = set()
    for p in participants:
        if p.get("processRef"):
            pools.setdefault(p.get("processRef"), p)
        if is_customer_name(p.get("name")):
            customer_pools.add(p.get("id"))
    callers: dict[str, list] = {}
    for el in root.iter(M + "callActivity"):
        callers.setdefault(el.get("calledElement"), []).append(el)
    processes: dict[str, Process] = {}
    for p in root.findall(M + "process"):
        pid = p.get("id")
        if pid not in pools and pid in callers and any(local(c.tag) in FLOW_NODES for c in p):
            caller = callers[pid][0]
            steps = sum(local(c.tag) in ACTIVITIES | EVENTS for c in p)
            notes.warn(pid, f"process '{pid}'{_named(p)} is in no pool: it is what call activity "
                       f"'{caller.get('id')}'{_named(caller)} does, which is imported as one step; the "
                       f"{steps} activities and events inside it are not imported one by one")
            continue
        if pid not in processes:
            processes[pid] = Process(pid, p.get("name"), p, pools.get(pid))
    return processes, customer_pools


def _named(el) -> str:
    name = " ".join((el.get("name") or "").split())
    return f" ({name})" if name else ""


def name_of(el, exact: bool) -> str | None:
    """The ``name`` of an element: as written in a file written by blueprint (a round trip keeps
    line breaks and spaces), else with white space runs made single spaces (modellers break long
    labels over lines).

    Examples
    --------
    >>> from xml.etree.ElementTree import Element
    >>> el = Element("task", name=" Check\\n credit ")
    >>> name_of(el, True), name_of(el, False), name_of(Element("task"), False)
    (' Check\\n credit ', 'Check credit', None)
    """
    name = el.get("name")
    if exact and el.get(B + "unnamed") == "true":  # the label written for BPMN tools where the step has no name
        return None
    if exact or name is None:
        return name
    return " ".join(name.split()) or None


def _read_container(container, process: str, parent: str | None, nodes: dict, seqs: dict, by_id: dict,
                    exact: bool, notes: Notes) -> None:
    """The flow nodes and sequence flows of a process or an expanded sub-process, into `nodes` and `seqs`."""
    for el in container:
        tag = local(el.tag)
        if namespace(el.tag) != MODEL:
            continue
        eid = el.get("id")
        if tag in FLOW_NODES:
            node = _flow_node(el, tag, eid, process, parent, by_id, exact, notes)
            if node is None:
                continue
            nodes[eid] = node
            if node.expanded:
                _read_container(el, process, eid, nodes, seqs, by_id, exact, notes)
        elif tag == "sequenceFlow":
            label = el.get(B + "label") if exact and el.get(B + "label") is not None else name_of(el, exact)
            seqs[eid] = Seq(eid, el.get("sourceRef"), el.get("targetRef"), label,
                            el.find(M + "conditionExpression") is not None)
        elif tag in ("dataObjectReference", "group", "dataInput", "dataOutput"):
            notes.warn(eid, f"{tag} '{eid}' ({el.get('name') or 'unnamed'}) is not mapped: a blueprint "
                       "step holds no data object (use evidence or a team's systems)")
        elif tag not in _QUIET and tag not in ("dataObject", "dataStore"):  # those two: through their references
            notes.warn(eid, f"{tag} '{eid}' is not mapped to the blueprint; ignored")


def _flow_node(el, tag: str, eid: str, process: str, parent: str | None, by_id: dict, exact: bool,
               notes: Notes) -> Node | None:
    if tag == "subProcess" and el.get("triggeredByEvent") == "true":
        notes.warn(eid, f"event sub-process '{eid}' ({el.get('name') or 'unnamed'}) is not "
                   "mapped: the blueprint has no work started by an event inside a step")
        return None
    definition = None
    for child in el:
        if local(child.tag).endswith("EventDefinition"):
            definition = local(child.tag)[: -len("EventDefinition")]
            break
        if local(child.tag) == "eventDefinitionRef" and child.text:
            ref = by_id.get((child.text or "").strip())
            definition = local(ref.tag)[: -len("EventDefinition")] if ref is not None else None
    node = Node(eid, tag, el, process, parent, name_of(el, exact), definition)
    inner = [c for c in el if local(c.tag) in FLOW_NODES]
    if tag in ("subProcess", "transaction") and inner:
        node.expanded = True
    if tag == "adHocSubProcess" and inner:
        notes.warn(eid, f"ad-hoc sub-process '{eid}' is imported as one step; the tasks inside "
                   "it have no order, so they are not imported one by one")
    for loop in ("standardLoopCharacteristics", "multiInstanceLoopCharacteristics"):
        if el.find(M + loop) is not None:
            name = f" ({' '.join(node.name.split())})" if node.name else ""
            notes.warn(eid, f"'{eid}'{name} repeats ({loop[:-len('LoopCharacteristics')]} loop); the "
                       "blueprint counts one visit of the step; draw the loop as a flow back")
    return node


def _link(nodes: dict[str, Node], seqs: dict[str, Seq]) -> None:
    """Each flow node's sequence flows in and out, in the file's order."""
    for seq in seqs.values():
        if seq.source in nodes:
            nodes[seq.source].outs.append(seq)
        if seq.target in nodes:
            nodes[seq.target].ins.append(seq)


def _read_lanes(processes: dict[str, Process]) -> dict[str, list]:
    chain: dict[str, list] = {}

    def walk(lane_set, path):
        for lane in lane_set:
            if lane.tag != M + "lane":
                continue
            here = path + [lane]
            for ref in lane.findall(M + "flowNodeRef"):
                key = (ref.text or "").strip()
                if len(here) > len(chain.get(key, [])):
                    chain[key] = here
            child = lane.find(M + "childLaneSet")
            if child is not None:
                walk(child, here)

    for process in processes.values():
        for lane_set in process.element.findall(M + "laneSet"):
            walk(lane_set, [])
    return chain


def _read_message_flow(doc: Document, mf, participants, notes: Notes) -> None:
    mid, src, tgt = mf.get("id"), mf.get("sourceRef"), mf.get("targetRef")
    pools = {p.get("id"): p for p in participants}
    messages = doc.messages
    if src in doc.nodes and tgt in doc.nodes:
        messages.sent.setdefault(src, []).append(tgt)
        messages.received.setdefault(tgt, []).append(src)
        return
    for here, there in ((src, tgt), (tgt, src)):
        if here in doc.nodes and there in pools:
            if there in doc.customer_pools:
                messages.with_customer.add(here)
                return
            notes.warn(mid, f"message flow '{mid}' connects '{here}' with pool "
                       f"'{pools[there].get('name') or there}', which has no process: there is no step "
                       "on the other side to hand off to; not mapped")
            return
    notes.warn(mid, f"message flow '{mid}' from '{src}' to '{tgt}' connects no two steps; not mapped")


def _read_annotations(doc: Document, containers) -> None:
    texts = {}
    for c in containers:
        for el in c.iter(M + "textAnnotation"):
            text = el.find(M + "text")
            texts[el.get("id")] = " ".join((text.text or "").split()) if text is not None else ""
    for c in containers:
        for assoc in c.iter(M + "association"):
            a, b = assoc.get("sourceRef"), assoc.get("targetRef")
            for node, note in ((a, b), (b, a)):
                if node in doc.nodes and note in texts and texts[note]:
                    doc.annotations.setdefault(node, []).append(texts[note])


def _read_stores(doc: Document) -> None:
    stores = {}
    for el in doc.root.iter(M + "dataStoreReference"):
        store = doc.by_id.get(el.get("dataStoreRef") or "")
        stores[el.get("id")] = (el.get("name") or (store.get("name") if store is not None else None) or el.get("id"))
    for node in doc.nodes.values():
        for assoc in list(node.element.findall(M + "dataInputAssociation")) + \
                list(node.element.findall(M + "dataOutputAssociation")):
            for ref in list(assoc.findall(M + "sourceRef")) + list(assoc.findall(M + "targetRef")):
                if (ref.text or "").strip() in stores:
                    doc.stores.setdefault(node.id, []).append(stores[(ref.text or "").strip()])


def _drop_replies(doc: Document, notes: Notes) -> None:
    """A message back to a step that comes before its sender is a reply, not a handoff."""
    succ: dict[str, set[str]] = {}
    for seq in doc.seqs.values():
        succ.setdefault(seq.source, set()).add(seq.target)
    for node in doc.nodes.values():
        if node.parent:
            succ.setdefault(node.parent, set()).add(node.id)
            succ.setdefault(node.id, set()).add(node.parent)
        if node.tag == "boundaryEvent":
            succ.setdefault(node.element.get("attachedToRef"), set()).add(node.id)
    for source, targets in doc.messages.sent.items():
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

    for source, targets in list(doc.messages.sent.items()):
        for target in list(targets):
            if doc.nodes[target].ins and reaches(target, source):
                targets.remove(target)
                doc.messages.received[target].remove(source)
                notes.warn(f"{source}->{target}", f"the message from {doc.what(source)} to {doc.what(target)} "
                           "answers work the receiver started; it is not a handoff, so it is not mapped as a flow")
