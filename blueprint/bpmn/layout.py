"""The diagram (BPMNDI) of an exported blueprint: shapes in columns and lanes, edges between them."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from ..graph import depth_first
from .xmlfile import BPMNDI, DC, DDI

if TYPE_CHECKING:  # only for annotations: write.py imports this module
    from .write import Plan

#: A band of the diagram: a blueprint lane, and a team in it (``None``: the lane's own band).
Band = tuple[str, "str | None"]
TASK_W, TASK_H, EVENT, GATE = 100, 80, 36, 50
COL, ROW, POOL_HEAD, LANE_HEAD, TOP_PAD = 150, 110, 30, 30, 15
_DI = "{%s}" % BPMNDI


def _num(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) > 1e-9 else str(int(round(x)))


def _ranks(p: "Plan") -> tuple[dict[str, int], set]:
    succ: dict[str, list[str]] = {el.id: [] for el in p.elements}
    host = {el.id: el.attrs["attachedToRef"] for el in p.elements if el.tag == "boundaryEvent"}
    for edge in p.edges:
        succ[host.get(edge.source, edge.source)].append(edge.target)
    starts = [el.id for el in p.elements if el.tag == "startEvent"]
    back, post = depth_first({e: v for e, v in succ.items() if e not in host}, starts)
    rank = {eid: 0 for eid in succ}
    for node in reversed(post):
        for nxt in succ[node]:
            if (node, nxt) not in back:
                rank[nxt] = max(rank[nxt], rank[node] + 1)
    for b, h in host.items():
        rank[b] = rank[h]
    return rank, back


def layout(root, p: "Plan", band_of: dict, band_list: list, lane_ids: dict, pool_id: str, collab_id: str) -> None:
    """Add the diagram of the plan `p` to the definitions `root`."""
    rank, _ = _ranks(p)
    rows: dict[Band, dict[int, int]] = {band: {} for band in band_list}
    slot: dict[str, int] = {}
    for el in p.elements:
        if el.tag == "boundaryEvent":
            continue
        taken = rows[band_of[el.id]]
        slot[el.id] = taken.get(rank[el.id], 0)
        taken[rank[el.id]] = slot[el.id] + 1
    height = {band: max(list(rows[band].values()) + [1]) * ROW + 2 * TOP_PAD for band in band_list}
    top, y = {}, 0
    for band in band_list:
        top[band] = y
        y += height[band]
    total_h = max(y, ROW)
    left = POOL_HEAD + LANE_HEAD * 2
    total_w = left + (max(rank.values(), default=0) + 1) * COL + 40
    box: dict[str, tuple[float, float, float, float]] = {}
    for el in p.elements:
        if el.tag == "boundaryEvent":
            continue
        w, h = (TASK_W, TASK_H) if el.tag == "task" else (GATE, GATE) if el.tag.endswith("Gateway") else (EVENT, EVENT)
        cx = left + rank[el.id] * COL + COL / 2
        cy = top[band_of[el.id]] + TOP_PAD + slot[el.id] * ROW + ROW / 2
        box[el.id] = (cx - w / 2, cy - h / 2, w, h)
    for el in p.elements:
        if el.tag == "boundaryEvent":
            x, y0, w, h = box[el.attrs["attachedToRef"]]
            box[el.id] = (x + w - EVENT - 4, y0 + h - EVENT / 2, EVENT, EVENT)
    diagram = ET.SubElement(root, _DI + "BPMNDiagram", {"id": p.new_id("Diagram")})
    plane = ET.SubElement(diagram, _DI + "BPMNPlane", {"id": p.new_id("Plane"), "bpmnElement": collab_id})

    def shape(element: str, x, y0, w, h, horizontal=None):
        attrs = {"id": p.new_id(f"{element}_di"), "bpmnElement": element}
        if horizontal is not None:
            attrs["isHorizontal"] = horizontal
        s = ET.SubElement(plane, _DI + "BPMNShape", attrs)
        ET.SubElement(s, "{%s}Bounds" % DC, {"x": _num(x), "y": _num(y0), "width": _num(w), "height": _num(h)})

    shape(pool_id, 0, 0, total_w, total_h, "true")
    for lane in dict.fromkeys(b[0] for b in band_list):
        mine = [b for b in band_list if b[0] == lane]
        y0 = top[mine[0]]
        shape(lane_ids[(lane,)], POOL_HEAD, y0, total_w - POOL_HEAD, sum(height[b] for b in mine), "true")
        for band in mine:
            if band[1] is not None:
                shape(lane_ids[band], POOL_HEAD + LANE_HEAD, top[band], total_w - POOL_HEAD - LANE_HEAD,
                      height[band], "true")
    for el in p.elements:
        shape(el.id, *box[el.id])
    kinds = {el.id: el.tag for el in p.elements}
    for edge in p.edges:
        di = ET.SubElement(plane, _DI + "BPMNEdge", {"id": p.new_id(f"{edge.id}_di"), "bpmnElement": edge.id})
        for x, y0 in _route(box[edge.source], box[edge.target], kinds[edge.source] == "boundaryEvent"):
            ET.SubElement(di, "{%s}waypoint" % DDI, {"x": _num(x), "y": _num(y0)})


def _route(a, b, from_boundary: bool):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    if from_boundary:
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
