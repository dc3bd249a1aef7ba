"""The diagram (BPMNDI) of an exported blueprint: shapes on a grid of columns and lane bands, and
sequence flows routed orthogonally around them.

Placement: each element's column is its longest distance from the start event (ways back left
out), its band the blueprint lane and team of the step it belongs to, its row within the band the
first free one in its column. Every shape sits inside its grid cell, so the space between two
columns (a *gap*) and between two rows of a band (a *corridor*) holds no shape from one end of the
diagram to the other.

Routing: a flow leaves its source on the right (a boundary event: downwards) and enters its target
on the left. It goes straight when nothing stands between them on its row; else it turns once in a
gap, where the row it runs along is free; else it runs along a corridor, entering and leaving it
through the gaps beside its source and its target. Horizontal runs stay in free rows, corridors and
the source's and target's own cells, vertical runs in gaps: so no flow crosses a shape, and flows
going back run along corridors, clear of shape borders. Flows sharing a gap or a corridor get
tracks of their own where there is room.
"""
from __future__ import annotations

import bisect
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from ..walks import depth_first
from .elements import Plan
from .xmlfile import BPMNDI, DC, DDI

__all__ = ["Band", "Box", "Placement", "place", "route", "layout"]

#: A band of the diagram: a blueprint lane, and a team in it (``None``: the lane's own band).
Band = tuple[str, "str | None"]
TASK_W, TASK_H, EVENT, GATE = 100, 80, 36, 50
COL, ROW, POOL_HEAD, LANE_HEAD, PAD = 150, 130, 30, 30, 15
LEFT = POOL_HEAD + LANE_HEAD * 2
#: Space kept between a flow and a lane border or a shape in a gap or corridor; between tracks.
MARGIN, TRACK = 6, 7
_DI = "{%s}" % BPMNDI
Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """A shape's bounds."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass
class _Channel:
    """A gap or corridor: where tracks can go (``lo`` to ``hi`` across it) and what each holds."""

    lo: float
    hi: float
    tracks: list[float] = field(default_factory=list)
    starts: list[list[float]] = field(default_factory=list)   # per track: where its runs start, in order
    ends: list[list[float]] = field(default_factory=list)     # and where each ends

    def __post_init__(self):
        middle = (self.lo + self.hi) / 2
        room = max(0.0, (self.hi - self.lo) / 2 - MARGIN)
        self.tracks = [middle]
        for k in range(1, int(room // TRACK) + 1):
            self.tracks += [middle - k * TRACK, middle + k * TRACK]
        self.starts = [[] for _ in self.tracks]
        self.ends = [[] for _ in self.tracks]

    def track(self, a: float, b: float) -> float:
        """The first track with nothing on it from `a` to `b` (the middle one if none is free)."""
        a, b = min(a, b) - MARGIN, max(a, b) + MARGIN
        for i, (starts, ends) in enumerate(zip(self.starts, self.ends)):
            at = bisect.bisect_left(starts, a)  # the runs of a track do not overlap: look at the neighbours
            if (at == len(starts) or starts[at] > b) and (at == 0 or ends[at - 1] < a):
                starts.insert(at, a)
                ends.insert(at, b)
                return self.tracks[i]
        return self.tracks[0]


@dataclass(frozen=True)
class Placement:
    """Where every element is: its box, its grid cell (global row, column), and the grid."""

    boxes: dict[str, Box]
    cell: dict[str, tuple[int, int]]
    band_top: dict[Band, float]
    band_height: dict[Band, float]
    row_band: list[Band]          # global row -> its band
    columns: int
    width: float
    height: float


def _ranks(p: Plan) -> dict[str, int]:
    """Each element's column: its longest distance from the start, ways back left out."""
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
    return rank


def _size(tag: str) -> tuple[float, float]:
    if tag == "task":
        return TASK_W, TASK_H
    return (GATE, GATE) if tag.endswith("Gateway") else (EVENT, EVENT)


def place(p: Plan, band_of: dict[str, Band], band_list: list[Band]) -> Placement:
    """Put every element of `p` in a grid cell: column by rank, band by lane and team, first free row."""
    rank = _ranks(p)
    taken: dict[Band, dict[int, int]] = {band: {} for band in band_list}
    slot: dict[str, int] = {}
    for el in p.elements:
        if el.tag != "boundaryEvent":
            used = taken[band_of[el.id]]
            slot[el.id] = used.get(rank[el.id], 0)
            used[rank[el.id]] = slot[el.id] + 1
    band_top: dict[Band, float] = {}
    band_height: dict[Band, float] = {}
    first_row: dict[Band, int] = {}
    row_band: list[Band] = []
    y = 0.0
    for band in band_list:
        rows = max(list(taken[band].values()) + [1])
        band_top[band], band_height[band], first_row[band] = y, rows * ROW + 2 * PAD, len(row_band)
        row_band += [band] * rows
        y += band_height[band]
    columns = max(rank.values(), default=0) + 1
    boxes: dict[str, Box] = {}
    cell: dict[str, tuple[int, int]] = {}
    for el in p.elements:
        if el.tag == "boundaryEvent":
            continue
        band = band_of[el.id]
        w, h = _size(el.tag)
        cx = LEFT + rank[el.id] * COL + COL / 2
        cy = band_top[band] + PAD + slot[el.id] * ROW + ROW / 2
        boxes[el.id] = Box(cx - w / 2, cy - h / 2, w, h)
        cell[el.id] = (first_row[band] + slot[el.id], rank[el.id])
    for el in p.elements:
        if el.tag == "boundaryEvent":  # on the bottom border of its task, at the right
            host = el.attrs["attachedToRef"]
            hb = boxes[host]
            boxes[el.id] = Box(hb.right - EVENT - 4, hb.bottom - EVENT / 2, EVENT, EVENT)
            cell[el.id] = cell[host]
    return Placement(boxes, cell, band_top, band_height, row_band, columns,
                     LEFT + columns * COL + 40, max(y, ROW))


@dataclass
class _Grid:
    """The free space of a placement: which cells hold a shape, and the gaps and corridors."""

    occupied: list[list[int]]  # per global row, the columns that hold a shape, in order
    gaps: list[_Channel]     # gap g: between column g - 1 and column g (the last: right of the last column)
    above: list[_Channel]    # the corridor over each global row, inside the row's band
    below: list[_Channel]    # the corridor under it (the same one as over the next row of the band)


def _grid(pl: Placement) -> _Grid:
    rows = len(pl.row_band)
    left_edge = [LEFT + c * COL + COL for c in range(pl.columns)]   # the least x of a shape in the column
    right_edge = [LEFT + c * COL for c in range(pl.columns)]        # the most x of a shape in the column
    top = [float("inf")] * rows
    bottom = [float("-inf")] * rows
    for eid, box in pl.boxes.items():
        r, c = pl.cell[eid]
        left_edge[c], right_edge[c] = min(left_edge[c], box.x), max(right_edge[c], box.right)
        top[r], bottom[r] = min(top[r], box.y), max(bottom[r], box.bottom)
    gaps = [_Channel(LEFT, left_edge[0])]
    gaps += [_Channel(right_edge[c - 1], left_edge[c]) for c in range(1, pl.columns)]
    gaps.append(_Channel(right_edge[-1], pl.width))
    above: list = [None] * rows
    below: list = [None] * rows
    for r, band in enumerate(pl.row_band):
        if r == 0 or pl.row_band[r - 1] != band:
            above[r] = _Channel(pl.band_top[band], top[r])
        else:
            above[r] = below[r - 1] = _Channel(bottom[r - 1], top[r])
        if r == rows - 1 or pl.row_band[r + 1] != band:
            below[r] = _Channel(bottom[r], pl.band_top[band] + pl.band_height[band])
    occupied: list[set[int]] = [set() for _ in range(rows)]
    for r, c in pl.cell.values():
        occupied[r].add(c)
    return _Grid([sorted(cols) for cols in occupied], gaps, above, below)


def route(p: Plan, pl: Placement) -> dict[str, list[Point]]:
    """The waypoints of every sequence flow of `p`, by flow id."""
    grid = _grid(pl)
    kinds = {el.id: el.tag for el in p.elements}
    return {edge.id: _route_one(grid, pl, edge.source, edge.target, kinds[edge.source] == "boundaryEvent")
            for edge in p.edges}


def _free(grid: _Grid, row: int, first: int, last: int) -> bool:
    """Whether no shape stands in the row from column `first` to column `last`."""
    columns = grid.occupied[row]
    at = bisect.bisect_left(columns, first)
    return at == len(columns) or columns[at] > last


def _route_one(grid: _Grid, pl: Placement, source: str, target: str, from_boundary: bool) -> list[Point]:
    s, t = pl.boxes[source], pl.boxes[target]
    (sr, sc), (tr, tc) = pl.cell[source], pl.cell[target]
    end = (t.x, t.cy)
    if from_boundary:  # down to the corridor under the task, along it, up or down the gap before the target
        yc = grid.below[sr].track(s.cx, LEFT + tc * COL)
        x2 = grid.gaps[tc].track(yc, t.cy)
        return _clean([(s.cx, s.bottom), (s.cx, yc), (x2, yc), (x2, t.cy), end])
    start = (s.right, s.cy)
    if tc > sc:
        if sr == tr and _free(grid, sr, sc + 1, tc - 1):
            return [start, end]
        if _free(grid, sr, sc + 1, tc - 1):   # along the source's row, then turn in the gap before the target
            x = grid.gaps[tc].track(s.cy, t.cy)
            return _clean([start, (x, s.cy), (x, t.cy), end])
        if _free(grid, tr, sc + 1, tc - 1):   # turn in the gap after the source, then along the target's row
            x = grid.gaps[sc + 1].track(s.cy, t.cy)
            return _clean([start, (x, s.cy), (x, t.cy), end])
    # along a corridor: the one under the source's row, or over it when the target is higher up
    corridor = grid.above[sr] if tr < sr else grid.below[sr]
    x1_gap, x2_gap = grid.gaps[sc + 1], grid.gaps[tc]
    yc = corridor.track(LEFT + (sc + 1) * COL, LEFT + tc * COL)
    x1 = x1_gap.track(s.cy, yc)
    x2 = x2_gap.track(yc, t.cy)
    return _clean([start, (x1, s.cy), (x1, yc), (x2, yc), (x2, t.cy), end])


def _clean(points: list[Point]) -> list[Point]:
    """The waypoints without repeats and without middle points of straight runs."""
    out: list[Point] = []
    for pt in points:
        if out and abs(out[-1][0] - pt[0]) < 1e-9 and abs(out[-1][1] - pt[1]) < 1e-9:
            continue
        if len(out) >= 2 and ((abs(out[-2][0] - out[-1][0]) < 1e-9 and abs(out[-1][0] - pt[0]) < 1e-9)
                              or (abs(out[-2][1] - out[-1][1]) < 1e-9 and abs(out[-1][1] - pt[1]) < 1e-9)):
            out[-1] = pt
            continue
        out.append(pt)
    return out


def _num(x: float) -> str:
    return f"{x:g}" if abs(x - round(x)) > 1e-9 else str(int(round(x)))


def layout(root, p: Plan, band_of: dict[str, Band], band_list: list[Band], lane_ids: dict, pool_id: str,
           collab_id: str) -> None:
    """Add the diagram of the plan `p` to the definitions element `root`: the pool, the lanes, a
    shape for every element and the waypoints of every flow."""
    pl = place(p, band_of, band_list)
    waypoints = route(p, pl)
    diagram = ET.SubElement(root, _DI + "BPMNDiagram", {"id": p.new_id("Diagram")})
    plane = ET.SubElement(diagram, _DI + "BPMNPlane", {"id": p.new_id("Plane"), "bpmnElement": collab_id})

    def shape(element: str, x: float, y: float, w: float, h: float, horizontal: bool = False) -> None:
        attrs = {"id": p.new_id(f"{element}_di"), "bpmnElement": element}
        if horizontal:
            attrs["isHorizontal"] = "true"
        s = ET.SubElement(plane, _DI + "BPMNShape", attrs)
        ET.SubElement(s, "{%s}Bounds" % DC, {"x": _num(x), "y": _num(y), "width": _num(w), "height": _num(h)})

    shape(pool_id, 0, 0, pl.width, pl.height, True)
    for lane in dict.fromkeys(b[0] for b in band_list):
        mine = [b for b in band_list if b[0] == lane]
        shape(lane_ids[(lane,)], POOL_HEAD, pl.band_top[mine[0]], pl.width - POOL_HEAD,
              sum(pl.band_height[b] for b in mine), True)
        for band in mine:
            if band[1] is not None:
                shape(lane_ids[band], POOL_HEAD + LANE_HEAD, pl.band_top[band], pl.width - POOL_HEAD - LANE_HEAD,
                      pl.band_height[band], True)
    for el in p.elements:
        box = pl.boxes[el.id]
        shape(el.id, box.x, box.y, box.w, box.h)
    for edge in p.edges:
        di = ET.SubElement(plane, _DI + "BPMNEdge", {"id": p.new_id(f"{edge.id}_di"), "bpmnElement": edge.id})
        for x, y in waypoints[edge.id]:
            ET.SubElement(di, "{%s}waypoint" % DDI, {"x": _num(x), "y": _num(y)})
