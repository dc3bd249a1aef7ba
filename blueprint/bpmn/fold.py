"""The second pass of reading BPMN: gateways and events folded into the flows between steps.

Gateways are not steps in a blueprint. From each step, the walk follows the file's sequence flows
through gateways, link events and sub-process borders until it meets steps again, and keeps what
it found as a :class:`Tree`: a step, a choice between trees (exclusive gateways, chances
multiplied along chains) or parallel work (parallel gateways, implicit splits, messages). A tree
that cannot be said as the flows of one step (a choice behind a parallel split, a join followed by
a choice, a start that is an outcome) gets an extra step of its own (:class:`ExtraStep`).

:func:`fold` walks the whole file once, remembering what it has worked out for each element (the
:class:`Fold` it carries), and returns the result as a :class:`Folded` record.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import BlueprintError
from ..tolerance import TOLERANCE
from .iso import parse_iso_duration
from .read import GATEWAYS, Document, Node, Seq
from .xmlfile import B, M, Notes, json_attr, local

__all__ = ["Tree", "ExtraStep", "Fold", "Folded", "fold", "is_step", "timer_seconds", "minutes"]


class Tree:
    """Where a case goes after a point in the BPMN graph: a step, a choice or parallel work.

    ``branches`` holds ``(chance or None, label or None, Tree)`` for a choice or parallel work.
    """

    __slots__ = ("kind", "key", "origin", "branches")

    def __init__(self, kind: str, key: str | None = None, origin: str | None = None, branches=None):
        self.kind, self.key, self.origin, self.branches = kind, key, origin, branches or []


def _step(key: str) -> Tree:
    return Tree("step", key)


EMPTY = Tree("empty")


@dataclass
class ExtraStep:
    """A step the blueprint needs where the file has none (for a gateway, a join, a start)."""

    key: str
    origin: str        # the BPMN element it stands for (its lane gives the step's lane and owner)
    tree: Tree
    name: str
    join: bool = False


@dataclass
class Fold:
    """The walk over one file: the file, and what the walk has worked out so far."""

    doc: Document
    chances: dict[str, float]
    notes: Notes
    trees: dict[str, Tree] = field(default_factory=dict)       # element id -> where a case goes from there
    entering: set[str] = field(default_factory=set)            # elements on the walk's path
    looped: set[str] = field(default_factory=set)              # gateways the walk came round to again
    extra: dict[str, ExtraStep] = field(default_factory=dict)  # steps drawn for gateways and starts
    joins: set[str] = field(default_factory=set)               # steps that wait for all their ways in
    ends: dict[str, str] = field(default_factory=dict)         # implicit end key -> its process


@dataclass(frozen=True)
class Folded:
    """The steps and flows a file folds into, before ids and attributes are given."""

    steps: list[Node]                       # flow nodes that are steps, in the file's order
    out: dict[str, tuple[str, list, bool]]  # step key -> (mode, [[p, label, key]], weighted)
    timeouts: dict[str, tuple[Any, str]]    # step key -> (after, key of the step it leads to)
    entry: tuple[str, list]                 # (mode, [[p, label, key]]) of the start
    extra: dict[str, ExtraStep]
    joins: set[str]
    ends: dict[str, str]


def is_step(doc: Document, node: Node) -> bool:
    """Whether the flow node `node` becomes a step of its own."""
    if node.tag in ("boundaryEvent", "startEvent") or node.kind in GATEWAYS.values() or node.expanded:
        return False
    if node.definition == "link" and node.tag in ("intermediateCatchEvent", "intermediateThrowEvent"):
        return False
    if node.tag == "endEvent" and node.parent is not None:
        return node.definition in ("error", "cancel") and _catcher(doc, node) is None
    return True


def timer_seconds(node: Node) -> float | None:
    """The seconds of a timer event's ISO 8601 ``timeDuration``, ``None`` if it has none."""
    for child in node.element:
        if local(child.tag) == "timerEventDefinition":
            dur = child.find(M + "timeDuration")
            return parse_iso_duration(dur.text if dur is not None else None)
    return None


def minutes(seconds: float) -> float:
    """Seconds in the blueprint's default time unit."""
    return round(seconds / 60.0, 6)


def fold(doc: Document, chances: dict[str, float], notes: Notes) -> Folded:
    """Fold the gateways and events of `doc` into steps and their flows.

    Raises
    ------
    BlueprintError
        When nothing in the file becomes a step, or no step can start a case.
    """
    f = Fold(doc, chances, notes)
    steps = [n for n in doc.nodes.values() if is_step(doc, n)]
    if not steps:
        said = "; ".join(notes.values())
        raise BlueprintError("nothing to import: the file has no process with a task or an end event"
                             + (f" that can be mapped ({said})" if said else "") + "; draw at least one task in a "
                             "process", file=doc.file)
    out: dict[str, tuple[str, list, bool]] = {}
    timeouts: dict[str, tuple[Any, str]] = {}
    for node in steps:
        if node.tag == "endEvent":
            continue
        out[node.id] = resolve(f, after(f, node))
        timeout = _timeout(f, node)
        if timeout is not None:
            timeouts[node.id] = timeout
    entry = _entries(f)
    while True:  # extra steps may need more extra steps: work until none is left
        todo = [k for k in f.extra if k not in out]
        if not todo:
            break
        for key in todo:
            out[key] = resolve(f, f.extra[key].tree)
    return Folded(steps, out, timeouts, entry, f.extra, f.joins, f.ends)


def _catcher(doc: Document, end: Node) -> Node | None:
    """The error boundary event on the sub-process an error end event leaves, if there is one."""
    for b in doc.boundaries.get(end.parent, []):
        if b.definition in ("error", "cancel", "escalation"):
            return b
    return None


def _timeout(f: Fold, node: Node) -> tuple[Any, str] | None:
    """``(after, target key)`` of the first interrupting boundary timer on `node` with a duration."""
    found = None
    for b in f.doc.boundaries.get(node.id, []):
        if b.definition != "timer" or b.element.get("cancelActivity") == "false":
            continue
        if found is not None:
            f.notes.warn(b.id, f"'{node.id}' has a second timer boundary event '{b.id}'; only the "
                         "first is its timeout")
            continue
        seconds = timer_seconds(b)
        written = json_attr(b.element.attrib, B + "after")
        if written is None and seconds is None:
            continue  # read as a branch by after()
        tree = after(f, b)
        if tree.kind == "empty":
            f.notes.warn(b.id, f"the timer boundary event {f.doc.what(b.id)} on {f.doc.what(node.id)} has no "
                         "way out: when it fires, the case ends (at a success outcome 'end'); draw the flow "
                         "to what should happen instead")
            target = implicit_end(f, b).key
        elif tree.kind == "step":
            target = tree.key
        elif tree.kind == "choice" and len(tree.branches) == 1 and tree.branches[0][2].kind == "step":
            target = tree.branches[0][2].key
        else:
            target = extra_step(f, tree)
        found = (written if written is not None else minutes(seconds), target)
    return found


# ----------------------------------------------------------------------------------------------
# where a case goes from an element
# ----------------------------------------------------------------------------------------------
def follow(f: Fold, seq: Seq) -> Tree:
    """Where a case goes along the sequence flow `seq`."""
    node = f.doc.nodes.get(seq.target)
    if node is None:
        f.notes.warn(seq.id, f"sequence flow '{seq.id}' leads to '{seq.target}', which is not a step, "
                     "event or gateway of the process; not mapped")
        return implicit_end(f, f.doc.nodes[seq.source])
    return enter(f, node)


def implicit_end(f: Fold, node: Node) -> Tree:
    """The success outcome a path of `node`'s process ends at when it stops without an end event."""
    key = "end:" + node.process
    f.ends.setdefault(key, node.process)
    return _step(key)


def enter(f: Fold, node: Node) -> Tree:
    """What happens when a case arrives at `node`."""
    if node.id in f.trees:
        return f.trees[node.id]
    if is_step(f.doc, node):
        tree = _step(node.id)
        if node.tag == "endEvent" and f.doc.messages.sent.get(node.id):
            tree = Tree("par", origin=node.id, branches=[(None, None, tree)] + _messages(f, node))
        f.trees[node.id] = tree
        return tree
    if node.id in f.entering:
        f.looped.add(node.id)
        return _step("synth:" + node.id)
    f.entering.add(node.id)
    try:
        tree = _enter(f, node)
    finally:
        f.entering.discard(node.id)
    if node.id in f.looped:
        f.extra["synth:" + node.id] = ExtraStep("synth:" + node.id, node.id, tree, node.name or "Decides")
        tree = _step("synth:" + node.id)
    f.trees[node.id] = tree
    return tree


def _enter(f: Fold, node: Node) -> Tree:
    doc = f.doc
    if node.expanded:
        return _enter_sub_process(f, node)
    if node.tag == "endEvent":  # inside a sub-process: the sub-process is done (or caught)
        catcher = _catcher(doc, node) if node.definition in ("error", "cancel", "escalation") else None
        return after(f, catcher) if catcher is not None else after(f, doc.nodes[node.parent])
    if node.tag == "startEvent":
        return after(f, node)
    if node.definition == "link":
        if node.tag == "intermediateThrowEvent":
            catch = [n for n in doc.nodes.values() if n.tag == "intermediateCatchEvent" and n.definition == "link"
                     and n.process == node.process and _link_name(n) == _link_name(node)]
            if not catch:
                f.notes.warn(node.id, f"link event '{node.id}' has no catching link named "
                             f"'{_link_name(node)}'; the case ends there")
                return implicit_end(f, node)
            return after(f, catch[0])
        return after(f, node)
    outs = node.outs
    if node.kind == "and" and len(node.ins) > 1:
        return _enter_join(f, node)
    if not outs:
        f.notes.warn(node.id, f"{node.tag} '{node.id}' has no way out; the case ends there")
        return implicit_end(f, node)
    return _gateway_tree(f, node)


def _enter_sub_process(f: Fold, node: Node) -> Tree:
    inside = [n for n in f.doc.nodes.values() if n.parent == node.id]
    starts = [n for n in inside if n.tag == "startEvent"]
    if not starts:
        starts = [n for n in inside if not n.ins and n.tag != "boundaryEvent"
                  and n.element.get("isForCompensation") != "true"]
    trees = [(None, None, after(f, s) if s.tag == "startEvent" else enter(f, s)) for s in starts]
    if not trees:
        return after(f, node)
    return trees[0][2] if len(trees) == 1 else Tree("par", origin=node.id, branches=trees)


def _enter_join(f: Fold, node: Node) -> Tree:
    """A parallel gateway with several ways in: ``join: all`` on the step after it, or a step of its own."""
    outs, nodes = node.outs, f.doc.nodes
    if len(outs) == 1 and outs[0].target in nodes:
        nxt = nodes[outs[0].target]
        if is_step(f.doc, nxt) and len(nxt.ins) == 1 and not f.doc.messages.received.get(nxt.id) \
                and nxt.tag != "boundaryEvent":
            f.joins.add(nxt.id)
            return _step(nxt.id)
    key = "synth:" + node.id
    if key not in f.extra:
        f.extra[key] = ExtraStep(key, node.id, EMPTY, node.name or "Waits for the parallel work", join=True)
        f.extra[key].tree = _gateway_tree(f, node)
    return _step(key)


def _link_name(node: Node) -> str:
    for child in node.element:
        if local(child.tag) == "linkEventDefinition":
            return child.get("name") or node.name or ""
    return node.name or ""


def _gateway_tree(f: Fold, node: Node) -> Tree:
    outs = node.outs
    if not outs:
        return implicit_end(f, node)
    if len(outs) == 1:
        return _labelled(f, outs[0])
    if node.kind == "and":
        return Tree("par", origin=node.id, branches=[(None, s.name, follow(f, s)) for s in outs])
    read_as = {"or": f"inclusive gateway '{node.id}' may take several of its ways at once; it is read as a "
                     "choice of one (exclusive gateway)",
               "complex": f"complex gateway '{node.id}' is read as a choice of one of its ways (exclusive gateway)",
               "event": f"event-based gateway '{node.id}' races its events; it is read as a choice of one, "
                        "with the chances given or equal"}
    if node.kind in read_as:
        f.notes.warn(node.id, read_as[node.kind])
    return _choice(f, node.id, outs)


def _labelled(f: Fold, seq: Seq) -> Tree:
    tree = follow(f, seq)
    if seq.name and tree.kind == "step":
        return Tree("choice", origin=seq.source, branches=[(f.chances.get(seq.id), seq.name, tree)])
    return tree


def _choice(f: Fold, origin: str, seqs: list[Seq]) -> Tree:
    return Tree("choice", origin=origin, branches=[(f.chances.get(s.id), s.name, follow(f, s)) for s in seqs])


def _messages(f: Fold, node: Node) -> list:
    out = []
    for target in f.doc.messages.sent.get(node.id, []):
        t = f.doc.nodes[target]
        if t.tag == "boundaryEvent" or t.kind in GATEWAYS.values():
            f.notes.warn(target, f"message flow into {t.tag} '{target}' is not mapped (only messages to "
                         "tasks, events and pools are)")
            continue
        out.append((None, None, after(f, t) if t.tag == "startEvent" else enter(f, t)))
    return out


def after(f: Fold, node: Node) -> Tree:
    """Where a case goes when `node` (a step, event or sub-process) is done."""
    outs = node.outs
    if not outs:
        tree = EMPTY
    elif len(outs) == 1:
        tree = _labelled(f, outs[0])
    elif any(s.conditional for s in outs) or node.element.get("default"):
        if node.kind == "activity":
            f.notes.warn(node.id, f"{f.doc.what(node.id)} has conditional flows out; they are read as a choice "
                         "of one")
        tree = _choice(f, node.id, outs)
    else:
        tree = Tree("par", origin=node.id, branches=[(None, s.name, follow(f, s)) for s in outs])
    messages = _messages(f, node) if node.tag != "endEvent" else []
    if messages:
        branches = ([(None, None, tree)] if tree.kind != "empty" else []) + messages
        tree = branches[0][2] if len(branches) == 1 else Tree("par", origin=node.id, branches=branches)
    if node.tag == "boundaryEvent":
        return tree
    extra, alongside = _boundary_ways(f, node)
    if extra:
        boundary = [b.id for b in f.doc.boundaries.get(node.id, []) if b.definition != "timer"]
        if node.kind == "activity" and not node.expanded and boundary:
            f.notes.warn(node.id + "#boundary", f"{f.doc.what(node.id)} can be left by a boundary event "
                         f"({', '.join(f.doc.nodes[b].definition or '' for b in boundary)}); "
                         "read as a branch out of the step; give the chances as p")
        tree = Tree("choice", origin=node.id + "#out",
                    branches=([(None, None, tree)] if tree.kind != "empty" else []) + extra)
    if alongside:
        tree = Tree("par", origin=node.id + "#along",
                    branches=([(None, None, tree)] if tree.kind != "empty" else []) + alongside)
    return tree


def _boundary_ways(f: Fold, node: Node) -> tuple[list, list]:
    """The ways out of `node` through its boundary events: ``(instead of its flows, alongside them)``."""
    extra, alongside = [], []
    what = f.doc.what
    for b in f.doc.boundaries.get(node.id, []):
        interrupting = b.element.get("cancelActivity") != "false"
        if b.definition == "timer" and node.expanded is False and interrupting:
            if timer_seconds(b) is not None or b.element.get(B + "after") is not None:
                continue  # a timeout, set on the step
            f.notes.warn(b.id, f"the timer of boundary event {what(b.id)} is not an ISO 8601 duration "
                         "(like P5D); read as a branch out of the step instead of a timeout")
            extra.append((None, b.name, after(f, b)))
        elif not interrupting:
            if b.definition == "compensate" or node.expanded:
                f.notes.warn(b.id, f"non-interrupting {b.definition or ''} boundary event {what(b.id)} "
                             f"on {what(node.id)} is not mapped")
                continue
            f.notes.warn(b.id, f"non-interrupting {b.definition or ''} boundary event {what(b.id)} on "
                         f"{what(node.id)} starts extra work while the step goes on; read as work "
                         "that always starts alongside the step's next one (split: all)")
            alongside.append((None, b.name, after(f, b)))
        elif b.definition == "compensate" or (node.expanded and b.definition in ("timer", "error", "cancel",
                                                                                 "escalation")):
            if not (node.expanded and b.definition in ("error", "cancel", "escalation")):
                f.notes.warn(b.id, f"{b.definition} boundary event {what(b.id)} on {what(node.id)} is not mapped")
        else:
            extra.append((None, b.name, after(f, b)))
    return extra, alongside


# ----------------------------------------------------------------------------------------------
# trees to flows
# ----------------------------------------------------------------------------------------------
def extra_step(f: Fold, tree: Tree) -> str:
    """The key of the extra step that stands for `tree` (made the first time)."""
    origin = tree.origin or "start"
    node = f.doc.nodes.get(origin)
    key = "synth:" + origin + (":" + tree.kind if node is not None and is_step(f.doc, node) else "")
    base_key, i = key, 2
    while key in f.extra and f.extra[key].tree is not tree:
        key, i = f"{base_key}:{i}", i + 1
    if key not in f.extra:
        names = {"par": "Starts work in parallel", "choice": "Decides"}
        base = f.doc.nodes.get(origin.split("#")[0])
        name = base.name if base is not None and base.kind in GATEWAYS.values() and base.name else names[tree.kind]
        if base is not None and base.tag == "startEvent":
            name = base.name or "Starts"
        f.extra[key] = ExtraStep(key, origin.split("#")[0], tree, name)
    return key


def resolve(f: Fold, tree: Tree) -> tuple[str, list[list], bool]:
    """The flows out of a step for a tree: ``(mode, [[p, label, key]], weighted)``."""
    if tree.kind == "empty" or (tree.kind in ("choice", "par") and not tree.branches):
        return "none", [], False
    if tree.kind == "step":
        return "one", [[1.0, None, tree.key]], False
    if tree.kind == "par":
        return _resolve_parallel(f, tree)
    return _resolve_choice(f, tree)


def _resolve_parallel(f: Fold, tree: Tree) -> tuple[str, list[list], bool]:
    items: list[list] = []
    for _, label, sub in tree.branches:
        if sub.kind == "par":
            items += resolve(f, sub)[1]
        elif sub.kind == "step":
            items.append([1.0, label, sub.key])
        elif sub.kind == "choice" and len(sub.branches) == 1 and sub.branches[0][2].kind == "step":
            items.append([1.0, label or sub.branches[0][1], sub.branches[0][2].key])
        elif sub.kind == "choice":
            items.append([1.0, label, extra_step(f, sub)])
    seen: dict[str, list] = {}
    for item in items:
        if item[2] in seen:
            f.notes.warn(tree.origin or item[2], f"'{tree.origin}' sends the case down two parallel ways "
                         f"that meet at '{item[2]}' with nothing between; read as one way")
            continue
        seen[item[2]] = item
    return ("all" if len(seen) > 1 else "one"), list(seen.values()), False


def _chances(f: Fold, tree: Tree) -> tuple[list[float], bool]:
    """The chance of each branch of a choice (given, scaled or equal), and whether any was given."""
    ps = [b[0] for b in tree.branches]
    n = len(ps)
    given = [p for p in ps if p is not None]
    if not given:
        return [1.0 / n] * n, False
    total = sum(given)
    if len(given) == n and total > 1.5 and abs(total - 100) < 1:  # percentages
        ps = [p / 100 for p in ps]
        given = [p / 100 for p in given]
        total = sum(given)
    if len(given) < n:
        rest = max(0.0, 1.0 - total) / (n - len(given))
        f.notes.warn(tree.origin + "#p", f"only some ways out of '{tree.origin}' have a chance; the others "
                     f"share what is left ({rest:.3g} each)")
        ps = [p if p is not None else rest for p in ps]
    total = sum(ps)
    if total <= 0:
        return [1.0 / n] * n, False
    if abs(total - 1) > TOLERANCE:
        if abs(total - 1) > 1e-3:
            f.notes.warn(tree.origin + "#p", f"the chances out of '{tree.origin}' add up to {total:.6g}; "
                         "rescaled to add up to 1")
        ps = [p / total for p in ps]
    return ps, True


def _resolve_choice(f: Fold, tree: Tree) -> tuple[str, list[list], bool]:
    ps, weighted = _chances(f, tree)
    items = []
    for p, (_, label, sub) in zip(ps, tree.branches):
        if sub.kind == "choice":
            _, inner, inner_weighted = resolve(f, sub)
            weighted = weighted or inner_weighted or len(sub.branches) > 1
            items += [[p * q, label or l2, k] for q, l2, k in inner]
        elif sub.kind == "par":
            items.append([p, label, extra_step(f, sub)])
        elif sub.kind == "empty":
            items.append([p, label, implicit_end(f, f.doc.nodes[tree.origin.split("#")[0]]).key])
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


# ----------------------------------------------------------------------------------------------
# where cases start
# ----------------------------------------------------------------------------------------------
def _entries(f: Fold) -> tuple[str, list]:
    doc = f.doc
    per_process: dict[str, list] = {}
    nowhere = []
    for node in doc.nodes.values():
        if node.tag == "startEvent" and node.parent is None and not doc.messages.received.get(node.id):
            tree = after(f, node)
            if tree.kind == "empty":
                nowhere.append(node.id)
                f.notes.warn(node.id, f"start event {doc.what(node.id)} has no way out: no case starts there; "
                             "ignored")
                continue
            per_process.setdefault(node.process, []).append((None, None, tree))
    for process in doc.processes:
        if process in per_process or any(n.tag == "startEvent" and n.process == process and n.parent is None
                                         for n in doc.nodes.values()):
            continue
        loose = [n for n in doc.nodes.values() if n.process == process and n.parent is None and not n.ins
                 and not doc.messages.received.get(n.id) and n.tag != "boundaryEvent"
                 and n.element.get("isForCompensation") != "true" and n.tag != "endEvent"]
        if loose:
            if not doc.ours.written:
                f.notes.warn(process + "#start", f"process '{process}' has no start event; it starts at every "
                             f"step that nothing flows into ({', '.join(n.id for n in loose[:5])})")
            per_process[process] = [(None, None, Tree("par", origin=loose[0].id,
                                                      branches=[(None, None, enter(f, n)) for n in loose]))
                                    if len(loose) > 1 else (None, None, enter(f, loose[0]))]
    firsts = [n.id for n in doc.nodes.values() if n.tag == "startEvent" and n.parent is None] + \
        [n.id for n in doc.nodes.values() if n.parent is None]
    trees = []
    for process, starts in per_process.items():
        first = next((n.id for n in doc.nodes.values() if n.tag == "startEvent" and n.process == process), None)
        trees.append(starts[0][2] if len(starts) == 1 else
                     Tree("choice", origin=first or process, branches=list(starts)))
    if not trees:
        why = (f"the start event{'s' if len(nowhere) > 1 else ''} {', '.join(map(doc.what, nowhere))} lead"
               f"{'' if len(nowhere) > 1 else 's'} nowhere; draw a sequence flow from the start event to the first "
               "step") if nowhere else ("every start event is reached by a message and no step is free of incoming "
                                        "flows; add a start event")
        raise BlueprintError(f"no place to start: {why}", file=doc.file)
    tree = trees[0] if len(trees) == 1 else Tree("par", origin=firsts[0], branches=[(None, None, t) for t in trees])
    mode, items, weighted = resolve(f, tree)
    ends = any(k in f.ends or (k in doc.nodes and doc.nodes[k].tag == "endEvent") for _, _, k in items)
    if mode == "all" or ends:  # a start must be a step that is not an outcome: draw one
        one = tree if tree.kind == "par" else Tree("choice", origin=firsts[0], branches=[(None, None, tree)])
        key = extra_step(f, one)
        return "one", [[1.0, None, key]]
    if not weighted:
        items = [[None, label, k] for _, label, k in items]
    return mode, items
