"""The last pass of reading BPMN: the folded steps and flows, with ids, lanes, teams and attributes,
into a :class:`~blueprint.model.Blueprint` (through :func:`blueprint.model.build`,
so a file that maps to something invalid gets the loader's own messages).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import BlueprintError
from ..model import CUSTOMER, DEFAULT_LANES, Blueprint, build
from ..naming import is_customer_name, slug, unique_id
from ..tolerance import TOLERANCE
from .dialects import Simulation
from .fold import Folded, minutes, timer_seconds
from .read import Document, Node
from .xmlfile import B, M, Notes, json_attr

__all__ = ["assemble", "FAILURE_ENDS", "AUTOMATED"]

#: End events whose outcome is a failure.
FAILURE_ENDS = {"error", "terminate", "cancel"}
#: Task kinds done by a machine: their steps go in the support lane.
AUTOMATED = {"serviceTask", "scriptTask", "businessRuleTask"}
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_STAFF = "__staff__"  # a staff step whose lane is not known yet: frontstage or backstage, decided last


def assemble(doc: Document, sim: Simulation, folded: Folded, notes: Notes) -> Blueprint:
    """The blueprint of a folded file.

    Raises
    ------
    BlueprintError
        When what the file maps to is not a valid blueprint (with the loader's messages).
    """
    lanes = _written_list(doc, "lanes") or list(DEFAULT_LANES)
    ids = _ids(doc, folded)
    teams: dict[str, dict] = {}
    steps = _steps(doc, sim, folded, ids, lanes, teams, notes)
    flows = _flows(doc, sim, folded, ids, steps, notes)
    for nid, (after, target) in folded.timeouts.items():
        steps[ids[nid]]["timeout"] = {"after": after, "to": ids[target]}
    _frontstage(doc, steps, flows, ids)
    data = _model(doc, sim)
    for tid in doc.ours.teams:  # teams that own no step come back too, in the order written
        _team(doc, teams, tid, tid)
    data["teams"] = {tid: teams[tid] for tid in list(doc.ours.teams) + list(teams) if tid in teams}
    if doc.ours.written and not data["teams"]:
        del data["teams"]
    data["steps"] = steps
    data["flows"] = flows
    if not doc.ours.written or "start" in doc.ours.model:  # else the blueprint had no start: the same default
        data["start"] = _start(doc, folded, ids)
    _systems(doc, teams, steps, ids)
    try:
        return build(data, file=doc.file)
    except BlueprintError as exc:
        raise BlueprintError(["the BPMN file maps to a blueprint that is not valid:"] + exc.problems,
                             file=doc.file) from None


def _ids(doc: Document, folded: Folded) -> dict[str, str]:
    """The blueprint id of every step key: the file's own ids in files written by blueprint, else
    made of the names."""
    used: set[str] = set()
    ids: dict[str, str] = {}
    for node in folded.steps:
        written = node.element.get(B + "step") or node.id
        if doc.ours.written or node.element.get(B + "step") is not None:
            ids[node.id] = unique_id(written if _ID.match(written) else slug(written), used)
    for node in folded.steps:
        if node.id not in ids:
            ids[node.id] = unique_id(slug(node.name) if node.name else slug(node.id), used)
    for key, s in folded.extra.items():
        ids[key] = unique_id(slug(s.name, "step"), used)
    for key in folded.ends:
        ids[key] = unique_id("end", used)
    return ids


def _steps(doc: Document, sim: Simulation, folded: Folded, ids: dict[str, str], lanes: list[str],
           teams: dict, notes: Notes) -> dict[str, dict]:
    steps: dict[str, dict] = {}
    for node in folded.steps:
        steps[ids[node.id]] = _step_data(doc, sim, node, lanes, teams, notes)
    for key, s in folded.extra.items():
        base = doc.nodes.get(s.origin)
        data: dict[str, Any] = {"name": s.name}
        if base is not None:
            data.update(_placement(doc, sim, base, lanes, teams))
        else:
            data["lane"] = "backstage"
        if s.join or key in folded.joins:
            data["join"] = "all"
        steps[ids[key]] = data
    for key, process in folded.ends.items():
        steps[ids[key]] = {"name": "Ends", "outcome": "success"}
        if not doc.ours.written:
            notes.warn(key, f"a path in process '{process}' stops without an end event; it ends at a "
                       "success outcome 'end'")
    for nid in folded.joins:
        steps[ids[nid]]["join"] = "all"
    for target, sources in doc.messages.received.items():
        if sources and target in ids and doc.nodes[target].ins and doc.nodes[target].tag != "endEvent":
            steps[ids[target]]["join"] = "all"
    return steps


def _flows(doc: Document, sim: Simulation, folded: Folded, ids: dict[str, str], steps: dict[str, dict],
           notes: Notes) -> list[dict]:
    flows = []
    used = set(ids.values())
    for key, (mode, items, weighted) in folded.out.items():
        sid = ids[key]
        if mode == "none":
            if not steps[sid].get("outcome") and not doc.ours.written:
                end = "end:" + (doc.nodes[key].process if key in doc.nodes else "synth")
                if end not in ids:
                    ids[end] = unique_id("end", used)
                    steps[ids[end]] = {"name": "Ends", "outcome": "success"}
                    notes.warn(end, "a step with no way out ends the case at a success outcome 'end' "
                               "(BPMN's implicit end)")
                flows.append({"from": sid, "to": ids[end]})
            continue
        if mode == "all":
            steps[sid]["split"] = "all"
        one_p = _one_p(doc, sim, key) if mode == "one" else None
        for p, label, target in items:
            flow: dict[str, Any] = {"from": sid, "to": ids[target]}
            if mode == "choice" and weighted:
                flow["p"] = p if doc.ours.written else round(p, 12)
            elif one_p:
                flow["p"] = one_p
            if label:
                flow["label"] = label
            flows.append(flow)
    _fix_probabilities(flows)
    order = json_attr(doc.ours.model, "order")
    if isinstance(order, list):  # the file's own order of flows, where the flows are still there
        place = {tuple(pair): i for i, pair in enumerate(order) if isinstance(pair, list)}
        flows.sort(key=lambda f: place.get((f["from"], f["to"]), len(place)))
    return flows


def _one_p(doc: Document, sim: Simulation, key: str) -> float | None:
    """The chance written on the one flow out of a step (kept in files written by blueprint)."""
    node = doc.nodes.get(key)
    if node is None or len(node.outs) != 1:
        return None
    p = sim.chances.get(node.outs[0].id)
    return p if doc.ours.written and node.element.get(B + "split") is None else None


def _fix_probabilities(flows: list[dict]) -> None:
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
            if total > 0 and abs(total - 1) > TOLERANCE:
                for f in group:
                    f["p"] = f["p"] / total
                if abs(total - 1) > 1e-3 and len(group) == 1:
                    group[0]["p"] = 1.0


def _frontstage(doc: Document, steps: dict[str, dict], flows: list[dict], ids: dict[str, str]) -> None:
    """A staff step without a named lane goes frontstage when it meets the customer, else backstage."""
    customer = {sid for sid, s in steps.items() if s.get("lane") == CUSTOMER}
    touching = {ids[n] for n in doc.messages.with_customer if n in ids}
    for f in flows:
        if f["from"] in customer:
            touching.add(f["to"])
        if f["to"] in customer:
            touching.add(f["from"])
    for sid in touching:
        if steps.get(sid, {}).get("lane") == _STAFF:
            steps[sid]["lane"] = "frontstage"
    for data in steps.values():
        if data.get("lane") == _STAFF:
            data["lane"] = "backstage"


def _start(doc: Document, folded: Folded, ids: dict[str, str]) -> Any:
    mode, items = folded.entry
    if mode == "one" or len(items) == 1:
        start: Any = ids[items[0][2]]
    else:
        ps = [p for p, _, _ in items]
        if any(p is None for p in ps):
            ps = [1.0 / len(items)] * len(items)
        start = {ids[k]: round(p, 12) for p, (_, _, k) in zip(ps, items)}
    written = json_attr(doc.ours.model, "start")
    if isinstance(written, dict) and isinstance(start, str) and set(written) == {start}:
        return {start: 1.0}
    if isinstance(written, str) and isinstance(start, dict) and set(start) == {written}:
        return written
    return start


def _model(doc: Document, sim: Simulation) -> dict[str, Any]:
    """The blueprint's own keys: name, description, time unit, and what the file carries of the rest."""
    data: dict[str, Any] = {"name": _name(doc)} if _name(doc) else {}
    description = _process_documentation(doc)
    if description:
        data["description"] = description
    if doc.ours.model.get("time_unit"):
        data["time_unit"] = doc.ours.model["time_unit"]
    for key in ("blueprint", "lanes", "stages", "arrivals", "patience", "checks", "currency", "retelling"):
        value = json_attr(doc.ours.model, key)
        if value is not None:
            data[key] = value
    if "arrivals" not in data and sim.arrivals:
        data["arrivals"] = {"every": sim.arrivals}
    return data


def _written_list(doc: Document, key: str) -> list | None:
    value = json_attr(doc.ours.model, key)
    return value if isinstance(value, list) else None


def _systems(doc: Document, teams: dict, steps: dict, ids: dict[str, str]) -> None:
    """Data stores a step reads or writes become systems of its owner."""
    for nid, stores in doc.stores.items():
        owner = steps.get(ids.get(nid, ""), {}).get("owner")
        if owner in teams and "systems" not in doc.ours.teams.get(owner, {}):
            systems = teams[owner].setdefault("systems", [])
            for s in stores:
                if s not in systems:
                    systems.append(s)


def _name(doc: Document) -> str:
    if doc.ours.written and "name" in doc.ours.model:
        return doc.ours.model["name"]
    for pool in doc.root.iter(M + "participant"):
        if pool.get("processRef") and pool.get("name"):
            return " ".join(pool.get("name").split())
    for p in doc.processes.values():
        if p.name:
            return " ".join(p.name.split())
    return doc.root.get("name") or Path(doc.file).stem


def _process_documentation(doc: Document) -> str | None:
    for p in doc.processes.values():
        text = _documentation(doc, p.element)
        if text:
            return text
    return None


def _documentation(doc: Document, element) -> str | None:
    """The text of an element's ``documentation``: as written in files written by blueprint, else stripped."""
    found = element.find(M + "documentation") if element is not None else None
    if found is None or not (found.text or "").strip():
        return None
    return found.text if doc.ours.written else found.text.strip()


# ----------------------------------------------------------------------------------------------
# lanes, teams and step attributes
# ----------------------------------------------------------------------------------------------
def _lane_named(name: str | None, lanes: Iterable[str]) -> str | None:
    """The blueprint lane a BPMN lane or pool is named like (``Front stage`` is ``frontstage``)."""
    key = re.sub(r"[^a-z0-9]+", "", (name or "").lower())
    for lane in lanes:
        if key and key == re.sub(r"[^a-z0-9]+", "", lane.lower()):
            return lane
    return None


def _lane_chain(doc: Document, node: Node | None) -> list:
    while node is not None:
        chain = doc.lane_chain.get(node.id)
        if chain:
            return chain
        node = doc.nodes.get(node.parent) if node.parent else None
    return []


def _team(doc: Document, teams: dict, team_id: str | None, name: str | None, extra: dict | None = None) -> str:
    """The id of the team `team_id` (a team the file carries) or named `name`, added to `teams`."""
    if team_id and team_id in doc.ours.teams:
        if team_id not in teams:
            attrs = doc.ours.teams[team_id]
            data = {key: attrs[key] for key in ("name", "description", "hours") if attrs.get(key) is not None}
            for key in ("staff", "systems", "can", "external", "cost"):
                if attrs.get(key) is not None:
                    data[key] = json_attr(attrs, key)
            teams[team_id] = data
        return team_id
    tid = team_id or slug(name or "team", "team")
    if tid not in teams:
        teams[tid] = {"name": " ".join((name or tid).split())}
        if extra:
            teams[tid].update({k: v for k, v in extra.items() if v is not None})
    return tid


def _placement(doc: Document, sim: Simulation, node: Node, lanes: list[str], teams: dict) -> dict:
    """The lane and owner of a step drawn as `node`."""
    chain = _lane_chain(doc, node)
    lane = None
    for el in chain:
        named = el.get(B + "lane") or _lane_named(el.get("name"), lanes)
        if named:
            lane = named
        elif is_customer_name(el.get("name")) and lane is None:
            lane = CUSTOMER
    pool = doc.processes[node.process].pool if node.process in doc.processes else None
    if lane is None and pool is not None:
        lane = _lane_named(pool.get("name"), lanes) or (CUSTOMER if pool.get("id") in doc.customer_pools else None)
    if lane == CUSTOMER:
        return {"lane": CUSTOMER}
    team = _owner(doc, sim, node, chain, pool, lanes, teams)
    if lane is None:
        lane = "support" if node.tag in AUTOMATED else _STAFF
    out = {"lane": lane}
    if team is not None:
        out["owner"] = team
    return out


def _owner(doc: Document, sim: Simulation, node: Node, chain: list, pool, lanes: list[str], teams: dict) -> str | None:
    """The team of a staff step: its innermost named lane, its QBP resource, or its pool or process."""
    team = None
    for el in reversed(chain):
        if el.get(B + "team"):
            team = _team(doc, teams, el.get(B + "team"), el.get("name"))
            break
        if not el.get(B + "lane") and not _lane_named(el.get("name"), lanes) \
                and el.get(B + "team") is None and (el.get("name") or "").strip():
            team = _team(doc, teams, None, el.get("name"))
            break
    if chain and chain[-1].get(B + "team") == "":
        return None
    if team is not None or (doc.ours.written and chain):
        return team
    rid = sim.task_resource.get(node.id)
    if rid in sim.resources:
        res = sim.resources[rid]
        return _team(doc, teams, None, res["name"], {"staff": res["staff"], "hours": res["hours"]})
    process = doc.processes.get(node.process)
    names = [pool.get("name") if pool is not None else None, process.name if process is not None else None]
    return _team(doc, teams, None, next((n for n in names if n and n.strip()), "Process"))


def _step_data(doc: Document, sim: Simulation, node: Node, lanes: list[str], teams: dict, notes: Notes) -> dict:
    el = node.element
    data: dict[str, Any] = {}
    if node.name:
        data["name"] = node.name
    notes_text = ([_documentation(doc, el)] if _documentation(doc, el) else []) + doc.annotations.get(node.id, [])
    if notes_text:
        data["description"] = "\n".join(notes_text)
    if node.tag == "endEvent":
        data["outcome"] = "failure" if node.definition in FAILURE_ENDS else "success"
        if doc.ours.written and el.get(B + "outcome") in ("success", "failure"):
            data["outcome"] = el.get(B + "outcome")
        elif node.definition == "terminate" and not doc.ours.written:
            notes.warn(node.id + "#terminate", f"terminate end event '{node.id}' is read as a failure "
                       "outcome; change it to success if ending there is a good end")
        for key in ("lane", "owner"):
            if el.get(B + key):
                data[key] = el.get(B + key)
        if data.get("owner"):
            _team(doc, teams, data["owner"], data["owner"])
    else:
        data.update(_placement(doc, sim, node, lanes, teams))
        if node.tag == "intermediateCatchEvent" and node.definition == "timer":
            seconds = timer_seconds(node)
            if seconds is not None:
                data["duration"] = minutes(seconds)
            else:
                notes.warn(node.id, f"the timer of {doc.what(node.id)} is not an ISO 8601 duration (like "
                           "PT2H); it waits no time")
        if sim.durations.get(node.id) is not None:
            data["duration"] = sim.durations[node.id]
    for key in ("stage", "channel", "evidence", "fail_point", "moment"):
        if el.get(B + key) is not None:
            data[key] = el.get(B + key)
    for key in ("duration", "emotion", "needs", "split", "join", "cost"):
        value = json_attr(el.attrib, B + key)
        if value is not None:
            data[key] = value
    if data.get("split") != "all":
        data.pop("split", None)
    if data.get("join") != "all":
        data.pop("join", None)
    return data
