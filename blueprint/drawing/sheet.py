"""Where everything goes on the sheet: columns, bands, lanes, the key, and the page they fit.

:func:`arrange` takes the grid of :func:`blueprint.drawing.layout.placement` (a lane and a column for each
step) and the size Graphviz gives every label, and decides the geometry of the drawing:

1. **columns** are as wide as their widest step or note, with room between them for the arrows
   (more where an arrow leaves with a label);
2. **bands**: a long journey is cut, between stages where it can be, into bands stacked top to
   bottom, each with the full set of lanes; a flow from one band to another ends at a lettered
   connector and goes on from the same letter;
3. **rows** of a band, top to bottom: the stage headers, physical evidence, how the customer
   feels, then the lanes (a lane with steps of an outside party has a strip for them at its
   foot); the steps of a lane and a column are stacked;
4. **the key** flows in columns beside the bands or under them;
5. of the ways to cut and place, the one that fits the page best wins: the largest scale at which
   the drawing fits a landscape A4 or A3 page, never wider than twice its height (nor taller);
   with ``page=None`` the journey is one band with the key under it.

Everything here is in points, x to the right and y down from the top left corner.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from itertools import combinations, product

from ..model import Blueprint
from .key import BOLD, Block, row_height
from .layout import Placement
from .style import (
    BAND_GAP,
    COLUMN_GAP,
    CONNECTOR,
    FEELING_HEIGHT,
    LANE_GAP,
    LANE_PAD,
    LINE_NAMES,
    MIN_COLUMN,
    MOST_ASPECT,
    NARROW_GAP,
    PAD,
    READABLE,
    STACK_GAP,
    STAGE_HEIGHT,
)

__all__ = ["Sheet", "Band", "Connector", "arrange", "band_suffix"]

Size = dict[str, tuple[float, float]]
#: Room before the first column of a band (for a connector coming in) and after its last.
LEAD = CONNECTOR + 14
KEY_GAP = 22.0      # between the columns of the key, and between the key and the bands
BLOCK_GAP = 12.0    # between two blocks of the key


def band_suffix(band: int) -> str:
    """What the SVG ids of a band's lanes and labels end with: nothing for the first band.

    Examples
    --------
    >>> band_suffix(0), band_suffix(1)
    ('', '-band2')
    """
    return "" if band == 0 else f"-band{band + 1}"


@dataclass
class Band:
    """A strip of the journey: columns ``first`` to ``last`` with every lane, from ``top`` to ``bottom``."""

    index: int
    first: int
    last: int
    top: float = 0.0
    bottom: float = 0.0
    rows: dict[str, tuple[float, float]] = field(default_factory=dict)  # lane / "stages" / ... -> (top, bottom)
    stages: list[tuple[str, int, int]] = field(default_factory=list)   # (label, first, last) in this band


@dataclass
class Connector:
    """A flow from one band to another: it leaves by the connector ``letter`` and comes in at it."""

    letter: str
    source: str
    target: str
    flow: str           # the SVG id of the flow it carries ("flow-3", "timeout-wait")
    out_node: str
    in_node: str


@dataclass
class Sheet:
    """The geometry of a drawing; see the module notes."""

    width: float
    height: float
    where: dict[str, tuple[float, float]]
    size: Size
    bands: list[Band]
    band_of: dict[str, int]
    left: dict[int, float]
    column_width: dict[int, float]
    gap: dict[int, float]
    lanes_left: float
    lanes_right: float
    connectors: list[Connector]
    key_rows: dict[str, tuple[float, float, float]]   # row node -> (x, top, height): where its sample goes
    key_box: tuple[float, float, float, float] | None
    page: tuple[float, float] | None
    cells: dict[tuple[str, int, int], list[str]]

    @property
    def aspect(self) -> float:
        """The longer side over the shorter."""
        return max(self.width / self.height, self.height / self.width)

    def box(self, name: str) -> tuple[float, float, float, float]:
        """The box (x0, y0, x1, y1) of a node."""
        (x, y), (w, h) = self.where[name], self.size[name]
        return x - w / 2, y - h / 2, x + w / 2, y + h / 2


@dataclass
class Content:
    """What is drawn, as :func:`arrange` needs it (made by :mod:`blueprint.drawing.swimlane`)."""

    title: str | None               # the title node
    heads: dict[str, str]           # lane -> the node measuring its head
    line_heads: dict[str, str]      # line slug -> the node measuring its name
    outside: set[str]               # steps of outside parties
    evidence: dict[str, str]        # step -> its note node
    feelings: set[str]              # customer steps with an emotion
    labelled: dict[int, float]      # column -> the room the labels of the arrows leaving it need
    blocks: list[Block]
    row_label: dict[str, str]       # "evidence" / "feeling" / "outside" -> the node measuring its row's head
    flows: list[tuple[str, str, str]]  # (source, target, SVG id) of every flow and timeout


def _cells(model: Blueprint, grid: Placement, outside: set[str]) -> dict[tuple[str, int, int], list[str]]:
    """The steps of each lane, strip (0 own, 1 outside) and column, top to bottom: by where the
    steps they come from sit."""
    cells: dict[tuple[str, int, int], list[str]] = {}
    for sid in model.steps:
        cells.setdefault((grid.lane[sid], int(sid in outside), grid.column[sid]), []).append(sid)
    lane_index = {lane: i for i, lane in enumerate(model.lanes)}
    where: dict[str, float] = {}
    sources: dict[str, list[str]] = {sid: [] for sid in model.steps}
    for flow in model.flows:
        sources[flow.target].append(flow.source)
    for key in sorted(cells, key=lambda k: k[2]):
        members = cells[key]

        def seen(sid: str) -> float:
            known = [where[s] for s in sources[sid] if s in where]
            return sum(known) / len(known) if known else 0.5

        members.sort(key=seen)
        for i, sid in enumerate(members):
            where[sid] = lane_index[key[0]] + key[1] * 0.5 + (i + 0.5) / len(members) / 2
    return cells


class _Plan:
    """The measures every candidate shares: column widths, stacks, row heights by band."""

    def __init__(self, model: Blueprint, grid: Placement, size: Size, content: Content):
        self.model, self.grid, self.size, self.content = model, grid, size, content
        self.cells = _cells(model, grid, content.outside)
        last = grid.columns
        self.width = {c: MIN_COLUMN for c in range(1, last + 1)}
        for sid in model.steps:
            c = grid.column[sid]
            self.width[c] = max(self.width[c], size[sid][0])
        for sid, note in content.evidence.items():
            c = grid.column[sid]
            self.width[c] = max(self.width[c], size[note][0])
        self.gap = {c: max(COLUMN_GAP, min(content.labelled[c], 170.0)) if c in content.labelled else NARROW_GAP
                    for c in range(0, last + 1)}
        self.notes: dict[int, list[str]] = {}  # column -> its notes, top to bottom
        for sid in sorted(content.evidence, key=lambda s: (grid.column[s], list(model.lanes).index(grid.lane[s]))):
            self.notes.setdefault(grid.column[sid], []).append(content.evidence[sid])
        heads = [size[n][0] * BOLD for n in content.heads.values()] + [size[n][0] for n in content.row_label.values()]
        self.head_width = max(heads)
        self.stack = {cell: sum(size[s][1] for s in members) + STACK_GAP * (len(members) - 1)
                      for cell, members in self.cells.items()}
        self.title_height = size[content.title][1] + 8 if content.title else 0.0
        self.one_band = False

    # --- one band ------------------------------------------------------------------------------
    def band_width(self, first: int, last: int) -> float:
        inner = sum(self.width[c] + self.gap[c] for c in range(first, last + 1)) - self.gap[last]
        return PAD + self.head_width + 10 + LEAD + inner + LEAD + PAD

    def rows(self, first: int, last: int) -> list[tuple[str, float]]:
        """The rows of a band, top to bottom, with their heights."""
        model, size, content = self.model, self.size, self.content
        columns = range(first, last + 1)
        rows: list[tuple[str, float]] = []
        if model.stages:
            rows.append(("stages", STAGE_HEIGHT + 8))
        stacks = [self.note_stack(c) for c in columns if c in self.notes]
        if stacks:
            tall = max(stacks + [size[content.row_label["evidence"]][1]])
            rows.append(("evidence", tall + 22))
        if any(self.grid.column[s] in columns for s in content.feelings):
            rows.append(("feeling", max(FEELING_HEIGHT, size[content.row_label["feeling"]][1] + 12)))
        for i, lane in enumerate(model.lanes):
            own = max([self.stack[k] for k in self.stack if k[0] == lane and k[1] == 0 and k[2] in columns]
                      + [size[content.heads[lane]][1]])
            rows.append((lane, own + 2 * LANE_PAD + (LANE_GAP if i > 0 else 0)))
            strip = [self.stack[k] for k in self.stack if k[0] == lane and k[1] == 1 and k[2] in columns]
            if strip:
                rows.append((f"outside {lane}", max(strip + [size[content.row_label["outside"]][1]]) + LANE_PAD))
        return rows

    def note_stack(self, column: int) -> float:
        return sum(self.size[n][1] for n in self.notes[column]) + 6 * (len(self.notes[column]) - 1)

    def band_height(self, first: int, last: int) -> float:
        return sum(h for _, h in self.rows(first, last))

    # --- the key -------------------------------------------------------------------------------
    def key_items(self) -> list[tuple[str, str, float, float]]:
        """(kind, node, width, height) of every heading and row of the key, in order."""
        items = []
        for b, block in enumerate(self.content.blocks):
            w, h = self.size[block.node]
            items.append(("heading", block.node, w * BOLD, h + 6 + (BLOCK_GAP if b else 0)))
            for row in block.rows:
                if row.sample == "connector" and self.one_band:
                    continue  # no connectors to explain
                w, h = self.size[row.node]
                bold = BOLD if any(kind == "where" for kind, _ in row.lines) else 1.0
                items.append(("row", row.node, row.sample_width + w * bold, row_height(row, h)))
        return items

    def pack_key(self, limit: float) -> list[list[tuple[str, str, float, float]]]:
        """The key's items flowed into columns no taller than `limit` (a heading never ends a column)."""
        columns: list[list] = [[]]
        height = 0.0
        for item in self.key_items():
            if columns[-1] and height + item[3] > limit:
                carried = [columns[-1].pop()] if columns[-1][-1][0] == "heading" else []
                columns.append(carried)
                height = sum(i[3] for i in carried)
            columns[-1].append(item)
            height += item[3]
        return [c for c in columns if c]

    @staticmethod
    def key_size(columns) -> tuple[float, float]:
        width = sum(max(i[2] for i in col) for col in columns) + KEY_GAP * (len(columns) - 1)
        return width, max(sum(i[3] for i in col) for col in columns)


# --- choosing the cut and the place of the key ------------------------------------------------------
def _cuts(plan: _Plan, allowed: list[int], k: int) -> list[tuple[int, int]] | None:
    """`k` bands cut at `allowed` column boundaries (a cut after column c), widest band smallest."""
    last = plan.grid.columns
    if k == 1:
        return [(1, last)]
    if len(allowed) < k - 1:
        return None
    best, chosen = None, None
    if len(allowed) <= 14:
        options = combinations(allowed, k - 1)
    else:  # many columns: cuts where the widths balance
        total = plan.band_width(1, last)
        marks, target, run = [], total / k, 0.0
        for c in range(1, last):
            run += plan.width[c] + plan.gap[c]
            if run >= target * (len(marks) + 1) and c in allowed and len(marks) < k - 1:
                marks.append(c)
        options = [tuple(marks)] if len(marks) == k - 1 else []
    for cut in options:
        bounds = [0, *cut, last]
        bands = [(bounds[i] + 1, bounds[i + 1]) for i in range(k)]
        widest = max(plan.band_width(a, b) for a, b in bands)
        if best is None or widest < best:
            best, chosen = widest, bands
    return chosen


def _measure(plan: _Plan, bands: list[tuple[int, int]], key_right: bool) -> tuple[float, float, float]:
    """Width and height of the drawing cut into `bands` with the key beside or under it, and the
    height limit of the key's columns."""
    plan.one_band = len(bands) == 1
    width = max(plan.band_width(a, b) for a, b in bands)
    height = plan.title_height + PAD + sum(plan.band_height(a, b) for a, b in bands) + BAND_GAP * (len(bands) - 1)
    if key_right:
        limit = max(height - plan.title_height - PAD, 200.0)
        kw, kh = plan.key_size(plan.pack_key(limit))
        return width + kw + KEY_GAP, max(height, plan.title_height + PAD + kh) + PAD, limit
    limit = 120.0
    total = sum(i[3] for i in plan.key_items())
    while True:  # the shortest key that is no wider than the bands, and leaves the sheet no wider than 2:1
        kw, kh = plan.key_size(plan.pack_key(limit))
        w, h = max(width, kw + 2 * PAD + 8), height + 16 + kh + PAD
        if (kw <= width - 2 * PAD and w <= MOST_ASPECT * h) or limit >= total:
            break
        limit += 40.0
    return w, h, limit


def _crossings(plan: _Plan, bands: list[tuple[int, int]]) -> int:
    """How many arrows go from one band to another (each needs a pair of connectors)."""
    column = plan.grid.column
    band = {c: i for i, (a, b) in enumerate(bands) for c in range(a, b + 1)}
    return sum(band[column[source]] != band[column[target]] for source, target, _ in plan.content.flows)


def _choose(plan: _Plan, page: tuple[float, float] | None):
    """The cut into bands and the place of the key that fit the page best (see the module notes)."""
    grid = plan.grid
    if page is None:
        bands = [(1, grid.columns)]
        return bands, False, _measure(plan, bands, False)[2]
    stage_cuts = [end for _, _, end in grid.stages[:-1]]
    every_cut = list(range(1, grid.columns))
    candidates = []
    for allowed, penalty in ((stage_cuts, 1.0), (every_cut, 0.85)):
        for k in range(1, min(len(allowed) + 1, 8) + 1):
            bands = _cuts(plan, allowed, k)
            if bands is None:
                continue
            for right in (False, True):
                w, h, limit = _measure(plan, bands, right)
                scale = min(page[0] / w, page[1] / h) * 0.97 ** _crossings(plan, bands)
                aspect = max(w / h, h / w)
                candidates.append((aspect <= MOST_ASPECT, scale * penalty, -k, bands, right, limit, aspect))
    fits = [c for c in candidates if c[0]]
    if not fits:
        best = min(candidates, key=lambda c: c[6])
    else:
        readable = [c for c in fits if c[1] >= READABLE]
        best = max(readable, key=lambda c: (c[2], c[1])) if readable else max(fits, key=lambda c: (c[1], c[2]))
    return best[3], best[4], best[5]


# --- placing -------------------------------------------------------------------------------------
def _letters():
    """A, B, ... Z, AA, AB, ...: the names of the connectors."""
    for n in range(1, 4):
        for letters in product(string.ascii_uppercase, repeat=n):
            yield "".join(letters)


def _connectors(content: Content, band_of: dict[str, int]) -> list[Connector]:
    out = []
    letters = _letters()
    for source, target, flow in content.flows:
        if band_of[source] != band_of[target]:
            letter = next(letters)
            out.append(Connector(letter, source, target, flow, f"connector {letter} out", f"connector {letter} in"))
    return out


def arrange(model: Blueprint, grid: Placement, size: Size, content: Content,
            page: tuple[float, float] | None) -> Sheet:
    """The geometry of the drawing: see the module notes.

    Examples
    --------
    >>> from blueprint import loads
    >>> from blueprint.drawing.swimlane import drawing
    >>> model = loads("stages: [Ask, Answer]\\nsteps: {a: {lane: customer, stage: Ask},"
    ...               " b: {lane: frontstage, stage: Answer}, c: {outcome: success}}\\nflows: [[a, b], [b, c]]")
    >>> sheet = drawing(model, engine="embedded").sheet
    >>> len(sheet.bands), sheet.aspect <= 2, sheet.where["a"][0] < sheet.where["b"][0]
    (1, True, True)
    """
    plan = _Plan(model, grid, size, content)
    cut, key_right, limit = _choose(plan, page)
    plan.one_band = len(cut) == 1
    band_of = {sid: next(i for i, (a, b) in enumerate(cut) if a <= grid.column[sid] <= b) for sid in model.steps}
    connectors = _connectors(content, band_of)
    for con in connectors:  # room for a connector beside its step
        plan.gap[grid.column[con.source]] = max(plan.gap[grid.column[con.source]], COLUMN_GAP)
        plan.gap[grid.column[con.target] - 1] = max(plan.gap[grid.column[con.target] - 1], COLUMN_GAP)
    where: dict[str, tuple[float, float]] = {}
    size = dict(size)
    left: dict[int, float] = {}
    lanes_left = PAD
    start_x = PAD + plan.head_width + 10 + LEAD
    for a, b in cut:
        x = start_x
        for c in range(a, b + 1):
            left[c] = x
            x += plan.width[c] + plan.gap[c]
    right = max(left[b] + plan.width[b] + LEAD for _, b in cut)
    y = PAD
    if content.title:
        where[content.title] = (PAD + size[content.title][0] / 2, y + size[content.title][1] / 2)
        y += plan.title_height
    bands = []
    for i, (a, b) in enumerate(cut):
        band = Band(i, a, b, top=y)
        for name, height in plan.rows(a, b):
            band.rows[name] = (y, y + height)
            y += height
        band.bottom = y
        band.stages = [(stage + (" (continued)" if first < a else ""), max(first, a), min(end, b))
                       for stage, first, end in grid.stages if first <= b and end >= a]
        bands.append(band)
        y += BAND_GAP
    bottom = y - BAND_GAP
    _place_steps(plan, bands, band_of, left, where)
    _place_heads(plan, bands, where, size)
    _place_connectors(connectors, left, plan, where, size)
    key_rows, key_box = _place_key(plan, key_right, limit, right, bottom, where)
    width = max([right + PAD] + ([key_box[2] + PAD] if key_box else []))
    height = max([bottom + PAD] + ([key_box[3] + PAD] if key_box else []))
    if content.title:
        width = max(width, PAD * 2 + size[content.title][0])
    return Sheet(width=width, height=height, where=where, size=size, bands=bands, band_of=band_of, left=left,
                 column_width=plan.width, gap=plan.gap, lanes_left=lanes_left, lanes_right=right,
                 connectors=connectors, key_rows=key_rows, key_box=key_box, page=page, cells=plan.cells)


def _place_steps(plan: _Plan, bands: list[Band], band_of, left, where) -> None:
    size = plan.size
    for (lane, part, column), members in plan.cells.items():
        band = bands[band_of[members[0]]]
        top, low = band.rows[lane if part == 0 else f"outside {lane}"]
        if part == 0 and lane != plan.model.lanes[0]:
            top += LANE_GAP
        y = (top + low) / 2 - plan.stack[(lane, part, column)] / 2
        centre = left[column] + plan.width[column] / 2
        for sid in members:
            where[sid] = (centre, y + size[sid][1] / 2)
            y += size[sid][1] + STACK_GAP
    for column, notes in plan.notes.items():
        band = next(b for b in bands if b.first <= column <= b.last)
        top, low = band.rows["evidence"]
        y = (top + low) / 2 - plan.note_stack(column) / 2
        for note in notes:
            where[note] = (left[column] + plan.width[column] / 2, y + size[note][1] / 2)
            y += size[note][1] + 6


def _place_heads(plan: _Plan, bands: list[Band], where, size) -> None:
    """The lane titles, the names of the lines between lanes and the row titles at the left of each band."""
    content = plan.content
    x0 = PAD + 6
    for band in bands:
        s = band.index
        for lane, head in content.heads.items():
            top, low = band.rows[lane]
            if lane != plan.model.lanes[0]:
                top += LANE_GAP
            name = f"{head} {s}"
            size[name] = size[head]
            where[name] = (x0 + size[head][0] * BOLD / 2, (top + low) / 2)
        for row, head in content.row_label.items():
            targets = [r for r in band.rows if r == row or (row == "outside" and r.startswith("outside "))]
            for r in targets:
                name = f"{head} {s} {r}"
                size[name] = size[head]
                top, low = band.rows[r]
                where[name] = (x0 + size[head][0] / 2, (top + low) / 2)
        for i, lane in enumerate(plan.model.lanes[1:], start=1):
            slug = _line_slug(plan.model.lanes[i - 1], lane)
            if slug in content.line_heads:
                head = content.line_heads[slug]
                name = f"{head} {s}"
                size[name] = size[head]
                at = band.rows[lane][0] + LANE_GAP / 2
                where[name] = (PAD + 2 + size[head][0] / 2, at)


def _line_slug(above: str, below: str) -> str:
    name = LINE_NAMES.get((above, below))
    return name.replace(" ", "-") if name else ""


def _place_connectors(connectors: list[Connector], left, plan: _Plan, where, size) -> None:
    outs: dict[str, int] = {}
    ins: dict[str, int] = {}
    for con in connectors:
        for node, sid, counter, side in ((con.out_node, con.source, outs, 1), (con.in_node, con.target, ins, -1)):
            k = counter.get(sid, 0)
            counter[sid] = k + 1
            column = plan.grid.column[sid]
            x = left[column] + plan.width[column] + 16 if side > 0 else left[column] - 16
            # out below the step's middle, in above it: the middle stays free for arrows within the band
            offset = side * (size[sid][1] / 4 + k * (CONNECTOR + 4))
            where[node] = (x, where[sid][1] + offset)
            size[node] = (CONNECTOR, CONNECTOR)


def _place_key(plan: _Plan, key_right: bool, limit: float, right: float, bottom: float, where):
    """The key's headings and rows: their text nodes in `where`; where each row's sample goes."""
    if not plan.content.blocks:
        return {}, None
    columns = plan.pack_key(limit)
    x0 = right + KEY_GAP if key_right else PAD + 8
    y0 = (plan.title_height + PAD) if key_right else bottom + 16
    rows = {r.node: r for block in plan.content.blocks for r in block.rows}
    key_rows: dict[str, tuple[float, float, float]] = {}
    x = x0
    height = 0.0
    for column in columns:
        y = y0
        for kind, node, _, h in column:
            tw, th = plan.size[node]
            if kind == "heading":
                where[node] = (x + tw / 2, y + h - th / 2 - 3)
            else:
                row = rows[node]
                where[node] = (x + row.sample_width + tw / 2, y + h / 2)
                key_rows[node] = (x, y, h)
            y += h
        height = max(height, y - y0)
        x += max(i[2] for i in column) + KEY_GAP
    return key_rows, (x0, y0, x - KEY_GAP, y0 + height)
