"""The blueprint as a Graphviz graph laid out as swimlanes: every step pinned in its lane and column.

Graphviz's ``dot`` cannot be made to keep clusters in a given order top to bottom, so the
drawing is laid out here and Graphviz only sizes the labels and routes the arrows (its ``nop2``
layout: pinned nodes, clusters drawn from their ``bb``, edges routed around the steps):

1. what every step, flow and finding says comes from :mod:`blueprint.drawing.labels`; the findings become
   numbered marks, one a step, explained in the key (:mod:`blueprint.drawing.key`);
2. every label is measured by Graphviz itself (a first run on the nodes alone), so the boxes are
   the size the engine that draws them gives them;
3. :mod:`blueprint.drawing.sheet` arranges them: columns, bands that fit a landscape page, lanes, the key;
4. this module writes the DOT with every position pinned (:func:`drawing`).

The DOT source holds the positions (``pos``) and ``layout=nop2``, so it draws the same with any
Graphviz: ``dot -Tsvg blueprint.drawing.dot``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..checker import check
from ..errors import BlueprintError
from ..findings import Report
from ..model import Blueprint
from .dot import attrs, measure, quote
from .engines import graphviz_engine
from .heat import Heat, read_heat
from .key import Block, blocks
from .labels import Mark, Part, clean, flow_texts, is_outside, marks, plain, step_lines, timeout_text, wrap
from .layout import placement
from .sheet import Content, Sheet, arrange, band_suffix
from .style import (
    ARROW,
    CONNECTOR,
    ERROR_PEN,
    EVIDENCE,
    FAILURE,
    FEELING,
    FONT,
    INK,
    LANE_CAPTIONS,
    LANE_GAP,
    LINE,
    LINE_NAMES,
    NODE_FONT_SIZE,
    OUTSIDE_FILL,
    OUTSIDE_STROKE,
    PAD,
    PAGES,
    SEVERITY_COLOUR,
    STAGE_HEIGHT,
    STEP_PEN,
    STEP_STROKE,
    SUCCESS,
    TIMEOUT,
    lane_colour,
)

__all__ = ["Drawing", "drawing", "LINE_NAMES", "PAGE_CHOICES"]

#: The pages a drawing can be fitted to; ``"none"`` draws the journey in one band.
PAGE_CHOICES = ("a4", "a3", "none")
TITLE = "graph title"  # the drawing's own nodes have a space in their name: no step id has one
NODE_DEFAULTS = {"fontname": FONT, "fontsize": str(NODE_FONT_SIZE), "shape": "box", "style": "rounded,filled",
                 "fillcolor": "white", "color": STEP_STROKE, "penwidth": str(STEP_PEN), "margin": "0.1,0.05"}
_TEXT = {"shape": "plaintext", "style": "", "margin": "0,0", "width": "0.01", "height": "0.01"}


@dataclass
class Drawing:
    """A blueprint ready to draw: the DOT source and what :mod:`blueprint.drawing.dress` needs to style it."""

    source: str
    lines: dict[str, list[Part]]  # SVG id of a node -> [(kind, text)] in label order
    report: Report | None
    heat: Heat | None
    model: Blueprint
    engine: str
    sheet: Sheet
    marks: list[Mark]
    blocks: list[Block]
    flow_labels: dict[str, tuple[list[str], tuple[float, float]]]  # SVG id of a flow -> (lines, size)


def _findings(model: Blueprint, findings: Any) -> Report | None:
    if findings is None or findings is False:
        return None
    if isinstance(findings, Report):
        return findings
    return check(model)


def _label(lines: list[Part], end: str = "\\n") -> str:
    return end.join(text for _, text in lines) + ("\\l" if end == "\\l" else "")


def _step_nodes(model: Blueprint, heat: Heat | None, found: list[Mark], lines: dict) -> dict[str, dict]:
    """The attributes of every step's node: its label, shape and outline."""
    worst = {m.step: m for m in found if m.step}
    nodes = {}
    for sid, step in model.steps.items():
        busy = heat.utilization.get(step.owner) if heat is not None and step.owner else None
        visits = heat.visits.get(sid) if heat is not None and heat.visits else None
        kinds = step_lines(model, sid, busy, visits)
        lines[f"step-{sid}"] = kinds
        a: dict[str, Any] = {"label": _label(kinds), "id": f"step-{sid}", "class": "step",
                             "tooltip": clean(step.name or sid)}
        fill = heat.visit_colour(visits) if visits is not None else "white"
        if is_outside(model, sid):
            a.update(style="rounded,filled,dashed", color=OUTSIDE_STROKE, fillcolor=OUTSIDE_FILL)
            a["class"] += " outside"
            fill = fill if fill != "white" else "#FAFBFC"
        if step.is_outcome:
            a["class"] = f"outcome {step.outcome}"
            stroke, light = SUCCESS if step.outcome == "success" else FAILURE
            a.update(style="filled", color=stroke, margin="0.04,0.02")
            a.update(shape="ellipse", peripheries="2") if step.outcome == "success" else a.update(shape="octagon",
                                                                                                   penwidth="1.6")
            fill = fill if fill != "white" else light
        a["fillcolor"] = fill
        mark = worst.get(sid)
        if mark is not None:
            a["class"] += f" finding-{mark.severity}"
            if mark.severity == "error":
                a.update(color=SEVERITY_COLOUR["error"], penwidth=str(ERROR_PEN))
            a["tooltip"] += "\\n" + "\\n".join(clean(f"{f.severity}: {plain(model, f.message)}") for f in mark.findings)
        nodes[sid] = a
    return nodes


def _head_nodes(model: Blueprint, lines: dict) -> tuple[dict, dict, dict, dict]:
    """The lane titles, the names of the lines between lanes, and the titles of the other rows."""
    nodes, heads, line_heads, rows = {}, {}, {}, {}
    for lane in model.lanes:
        title = [("lane", line) for line in wrap(lane.replace("_", " ").capitalize(), 16)]
        title += [("caption", line) for line in wrap(LANE_CAPTIONS.get(lane, ""), 18) if line.strip()]
        heads[lane] = f"lane {lane}"
        lines[heads[lane]] = title
        nodes[heads[lane]] = {"label": _label(title), "shape": "plaintext", "style": "", "fontsize": "12"}
    for (above, below), name in LINE_NAMES.items():
        if (above, below) in zip(model.lanes, model.lanes[1:]):
            slug = name.replace(" ", "-")
            line_heads[slug] = f"line {slug}"
            lines[line_heads[slug]] = [("line", name)]
            nodes[line_heads[slug]] = {"label": name, "shape": "plaintext", "style": "", "fontsize": "10",
                                       "fontcolor": LINE, "height": "0.2", "margin": "0.04,0"}
    for row, text in (("evidence", "Physical evidence"), ("feeling", "How the customer feels"),
                      ("outside", "Outside party")):
        rows[row] = f"row {row}"
        lines[rows[row]] = [("lane", line) for line in wrap(text, 12)]
        nodes[rows[row]] = {"label": _label(lines[rows[row]]), "shape": "plaintext", "style": "", "fontsize": "12"}
    return nodes, heads, line_heads, rows


def _key_nodes(key: list[Block], lines: dict) -> dict[str, dict]:
    nodes = {}
    for block in key:
        lines[block.node] = [("heading", block.heading)]
        nodes[block.node] = {**_TEXT, "label": block.heading, "fontsize": "12"}
        for row in block.rows:
            lines[row.node] = row.lines
            nodes[row.node] = {**_TEXT, "label": _label(row.lines, "\\l"), "fontsize": "10"}
    return nodes


def _flows(model: Blueprint) -> list[tuple[str, str, str, list[str], str]]:
    """Every arrow: (from, to, SVG id, its label lines, kind), flows then timeouts."""
    out = [(f.source, f.target, f"flow-{i}", flow_texts(model, f), "flow") for i, f in enumerate(model.flows)]
    out += [(sid, s.timeout.to, f"timeout-{sid}", wrap(timeout_text(model, sid), 24), "timeout")
            for sid, s in model.steps.items() if s.timeout is not None]
    return out


def drawing(model: Blueprint, *, findings: Any = True, heat: Any = None, engine: str | None = None,
            page: str | None = "a4") -> Drawing:
    """Lay the blueprint out as swimlanes and write it as DOT with every position pinned.

    Parameters
    ----------
    model : Blueprint
        What to draw.
    findings : bool or Report
        Mark what :func:`blueprint.check` finds (a ready report may be passed).
    heat : dict, str, Path, Heat or None
        See :func:`blueprint.drawing.heat.read_heat`.
    engine : {"system", "embedded"}, optional
        The Graphviz that sizes the labels (and will draw them).
    page : {"a4", "a3", "none"}
        The landscape page the drawing is fitted to (long journeys wrap into bands); ``"none"``
        draws the journey in one band.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads('''
    ... teams: {desk: {name: Help desk}}
    ... steps:
    ...   ask: {name: Asks a question, lane: customer, channel: phone}
    ...   answer: {name: Answers, lane: frontstage, owner: desk}
    ...   done: {outcome: success}
    ... flows: [[ask, answer], [answer, done]]
    ... ''')
    >>> d = drawing(model, engine="embedded")
    >>> 'layout="nop2"' in d.source, d.lines["step-answer"]
    (True, [('name', 'Answers'), ('owner', 'Help desk')])
    """
    page_key = "none" if page is None else str(page).lower()
    if page_key not in PAGE_CHOICES:
        raise BlueprintError(f"no page '{page}'; use one of {', '.join(PAGE_CHOICES)}")
    engine = engine or graphviz_engine()
    report = _findings(model, findings)
    heat = heat if isinstance(heat, Heat) or heat is None else read_heat(model, heat)
    grid = placement(model)
    lane_index = {lane: i for i, lane in enumerate(model.lanes)}
    found = marks(model, report, {s: grid.column[s] + lane_index[grid.lane[s]] / 10 for s in model.steps})
    lines: dict[str, list[Part]] = {}
    nodes = _step_nodes(model, heat, found, lines)
    for sid, step in model.steps.items():
        if step.evidence:
            note = [("evidence", line) for line in wrap(step.evidence, 24)]
            lines[f"evidence {sid}"] = note
            nodes[f"evidence {sid}"] = {"label": _label(note), "shape": "note", "style": "filled",
                                        "fillcolor": EVIDENCE[1], "color": EVIDENCE[0], "fontsize": "10",
                                        "id": f"evidence-{sid}", "class": "evidence", "tooltip": clean(step.evidence)}
    head_nodes, heads, line_heads, row_heads = _head_nodes(model, lines)
    nodes.update(head_nodes)
    if model.name:
        lines[TITLE] = [("title", line) for line in wrap(model.name, 90)]
        nodes[TITLE] = {"label": _label(lines[TITLE]), "shape": "plaintext", "style": "", "fontsize": "18",
                        "id": "title", "class": "title"}
    flows = _flows(model)
    key = blocks(model, report, found, heat, bands=2 if page_key != "none" else 1)
    key_nodes = _key_nodes(key, lines)
    label_nodes = {f"label {fid}": {**_TEXT, "label": "\\n".join(texts), "fontsize": "10"}
                   for _, _, fid, texts, _ in flows if texts}
    size = measure({**nodes, **key_nodes, **label_nodes}, NODE_DEFAULTS, engine)
    content = Content(
        title=TITLE if model.name else None, heads=heads, line_heads=line_heads,
        outside={sid for sid in model.steps if is_outside(model, sid)},
        evidence={sid: f"evidence {sid}" for sid, s in model.steps.items() if s.evidence},
        feelings={sid for sid, s in model.steps.items() if s.emotion is not None and grid.lane[sid] == model.lanes[0]},
        labelled=_room(grid, flows, size), blocks=key, row_label=row_heads,
        flows=[(a, b, fid) for a, b, fid, _, _ in flows])
    sheet = arrange(model, grid, size, content, PAGES.get(page_key))
    source = _write(model, sheet, content, {**nodes, **key_nodes}, lines, flows)
    labels = {fid: (texts, size[f"label {fid}"]) for _, _, fid, texts, _ in flows if texts}
    return Drawing(source=source, lines=lines, report=report, heat=heat, model=model, engine=engine, sheet=sheet,
                   marks=found, blocks=key, flow_labels=labels)


def _room(grid, flows, size) -> dict[int, float]:
    """The room between a column and the next that the labels of the arrows leaving it need: a label
    on an arrow to the next column sits between the two."""
    room: dict[int, float] = {}
    for source, target, fid, texts, _ in flows:
        if texts:
            c = grid.column[source]
            need = size[f"label {fid}"][0] + 16 if grid.column.get(target) == c + 1 else 0.0
            room[c] = max(room.get(c, 0.0), need)
    return room


# --- the DOT source ---------------------------------------------------------------------------------
class _Dot:
    """The DOT text of a sheet, written line by line; y is turned upwards for Graphviz."""

    def __init__(self, sheet: Sheet, nodes: dict[str, dict]):
        self.sheet, self.nodes, self.out = sheet, nodes, []
        self.H = sheet.height

    def pos(self, x: float, y: float) -> str:
        return f"{x:.2f},{self.H - y:.2f}!"

    def bb(self, x0: float, top: float, x1: float, low: float) -> str:
        return f"{x0:.2f},{self.H - low:.2f},{x1:.2f},{self.H - top:.2f}"

    def node(self, name: str, template: str | None = None, indent: str = "\t", **extra) -> None:
        a = {**self.nodes.get(template or name, {}), **extra}
        if name in self.sheet.where:
            a["pos"] = self.pos(*self.sheet.where[name])
        self.out.append(f"{indent}{quote(name)} [{attrs(a)}]")

    def point(self, name: str, x: float, y: float) -> None:
        self.node(name, shape="point", style="invis", width="0.01", label="", pos=self.pos(x, y))

    def line(self, name: str, ends: tuple[tuple[float, float], tuple[float, float]], **a) -> None:
        (x0, y0), (x1, y1) = ends
        self.point(f"{name} start", x0, y0)
        self.point(f"{name} end", x1, y1)
        path = " ".join(f"{x0 + (x1 - x0) * t:.2f},{self.H - (y0 + (y1 - y0) * t):.2f}" for t in (0, 1 / 3, 2 / 3, 1))
        self.out.append(f"\t{quote(f'{name} start')} -> {quote(f'{name} end')} "
                        f"[{attrs({'pos': path, 'arrowhead': 'none', **a})}]")

    def cluster(self, name: str, box: tuple[float, float, float, float], a: dict, members: list, indent="\t"):
        self.out.append(f"{indent}subgraph {quote(name)} {{")
        self.out.append(f"{indent}\t" + attrs({"bb": self.bb(*box), "label": "", "style": "filled", **a}))
        for member in members:
            if callable(member):
                member(indent + "\t")
            else:
                self.node(member[0], member[1], indent + "\t", **member[2])
        self.out.append(f"{indent}}}")


def _write(model: Blueprint, sheet: Sheet, content: Content, nodes: dict, lines: dict, flows) -> str:
    dot = _Dot(sheet, nodes)
    dot.out += ["digraph blueprint {",
                "\t" + attrs({"layout": "nop2", "splines": "true", "outputorder": "edgesfirst", "bgcolor": "white",
                              "pad": "0.2", "id": "blueprint", "fontname": FONT,
                              "bb": f"0,0,{sheet.width:.2f},{sheet.height:.2f}"}),
                f"\tnode [{attrs(NODE_DEFAULTS)}]",
                "\tedge [" + attrs({"fontname": FONT, "fontsize": "10", "color": ARROW, "arrowsize": "0.7",
                                    "fontcolor": INK}) + "]"]
    corners = (("sheet corner 1", (0.36, 0.36)), ("sheet corner 2", (sheet.width - 0.36, sheet.height - 0.36)))
    for corner, (x, y) in corners:
        dot.point(corner, x, y)  # the drawing's bounding box is the sheet: Graphviz does not shift it
    if content.title:
        dot.node(content.title)
    stage_number = 0
    for band in sheet.bands:
        stage_number = _write_band(model, sheet, content, dot, band, lines, stage_number)
    for con in sheet.connectors:
        for node, side in ((con.out_node, "out"), (con.in_node, "in")):
            dot.node(node, shape="circle", style="filled", fixedsize="true", width=f"{CONNECTOR / 72:.3f}",
                     label=con.letter, fillcolor=LINE, color=LINE, fontcolor="white", fontsize="9",
                     id=f"connector-{con.letter}-{side}", **{"class": "connector"})
            lines[f"connector-{con.letter}-{side}"] = [("connector", con.letter)]
    for block in content.blocks:
        key_id = block.node.replace(" ", "-")
        dot.node(block.node, id=key_id, **{"class": "key-heading"})
        lines[key_id] = lines.pop(block.node)
        for row in block.rows:
            if row.node in sheet.where:
                row_id = row.node.replace(" ", "-")
                dot.node(row.node, id=row_id, **{"class": "key-row"})
                lines[row_id] = lines.pop(row.node)
    crossing = {con.flow: con for con in sheet.connectors}
    for source, target, fid, texts, kind in flows:
        a = {"id": fid, "class": kind if kind == "flow" else "flow timeout"}
        if kind == "timeout":
            a.update(style="dashed", color=TIMEOUT, fontcolor=TIMEOUT)
        if texts:
            a["xlabel"] = "\\n".join(texts)
        con = crossing.get(fid)
        if con is None:
            dot.out.append(f"\t{quote(source)} -> {quote(target)} [{attrs(a)}]")
            continue
        dot.out.append(f"\t{quote(source)} -> {quote(con.out_node)} [{attrs({**a, 'arrowhead': 'none'})}]")
        onward = {k: v for k, v in a.items() if k != "xlabel"}
        dot.out.append(f"\t{quote(con.in_node)} -> {quote(target)} [{attrs({**onward, 'id': fid + '-in'})}]")
    dot.out.append("}")
    return "\n".join(dot.out) + "\n"


def _write_band(model: Blueprint, sheet: Sheet, content: Content, dot: _Dot, band, lines: dict, k: int) -> int:
    """One band: its stage headers, evidence and feeling rows, lanes, lines and stage dividers."""
    s, sfx = band.index, band_suffix(band.index)
    x0, x1 = PAD, sheet.lanes_right
    left, width, gap = sheet.left, sheet.column_width, sheet.gap

    def head(node: str, name: str, svg_id: str, cls: str):
        lines[svg_id] = lines[node]
        return name, node, {"id": svg_id, "class": cls}

    first_stage = k
    for label, a, b in band.stages:
        top, low = band.rows["stages"]
        sx0, sx1 = left[a] - min(gap[a - 1], 40) / 2 + 4, left[b] + width[b] + min(gap[b], 40) / 2 - 4
        text = wrap(label, max(4, int((sx1 - sx0) / 7.5)))
        lines[f"stage-{k}"] = [("stage", line) for line in text]
        dot.node(f"stage {k}", label="\\n".join(text), shape="box", style="filled", fixedsize="true",
                 width=f"{(sx1 - sx0) / 72:.3f}", height=f"{STAGE_HEIGHT / 72:.3f}", fillcolor=LINE, color=LINE,
                 fontcolor="white", fontsize="12", id=f"stage-{k}",
                 pos=dot.pos((sx0 + sx1) / 2, top + STAGE_HEIGHT / 2),
                 **{"class": "stage"})
        k += 1
    if "evidence" in band.rows:
        top, low = band.rows["evidence"]
        members = [head(content.row_label["evidence"], f"row evidence {s} evidence", f"evidence-label{sfx}",
                        "lane-label")]
        members += [(note, None, {}) for sid, note in content.evidence.items() if sheet.band_of[sid] == s]
        dot.cluster(f"cluster_evidence{sfx}", (x0, top + 4, x1, low - 4),
                    {"fillcolor": "#FAFAFA", "color": "#E0E0E0", "id": f"evidence{sfx}", "class": "evidence-row"},
                    members)
    if "feeling" in band.rows:
        top, low = band.rows["feeling"]
        dot.cluster(f"cluster_feeling{sfx}", (x0, top + 2, x1, low - 2),
                    {"fillcolor": FEELING["row"], "color": "#EFE4C8", "id": f"feeling{sfx}", "class": "feeling-row"},
                    [head(content.row_label["feeling"], f"row feeling {s} feeling", f"feeling-label{sfx}",
                          "lane-label")])
    for i, lane in enumerate(model.lanes):
        top, low = band.rows[lane]
        strip = band.rows.get(f"outside {lane}")
        lane_top = top + (LANE_GAP if i > 0 else 0)
        members = [head(content.heads[lane], f"{content.heads[lane]} {s}", f"lane-label-{lane}{sfx}", "lane-label")]
        members += [(sid, None, {}) for (ln, part, _), steps in sheet.cells.items() if ln == lane and part == 0
                    for sid in steps if sheet.band_of[sid] == s]
        if strip:
            outside = [head(content.row_label["outside"], f"row outside {s} outside {lane}",
                            f"outside-label-{lane}{sfx}", "lane-label")]
            outside += [(sid, None, {}) for (ln, part, _), steps in sheet.cells.items() if ln == lane and part == 1
                        for sid in steps if sheet.band_of[sid] == s]
            members.append(lambda indent, strip=strip, outside=outside, lane=lane: dot.cluster(
                f"cluster_outside {lane}{sfx}", (x0 + 4, strip[0], x1 - 4, strip[1] - 4),
                {"fillcolor": OUTSIDE_FILL, "color": OUTSIDE_STROKE, "style": "filled,dashed",
                 "id": f"outside-{lane}{sfx}", "class": "outside-strip"}, outside, indent))
        colour = lane_colour(model.lanes, lane)
        name = f"cluster_lane {lane}" + (f" band{s + 1}" if s else "")
        dot.cluster(name, (x0, lane_top, x1, strip[1] if strip else low),
                    {"fillcolor": colour, "color": colour, "id": f"lane-{lane}{sfx}", "class": "lane"}, members)
    for i, lane in enumerate(model.lanes[1:], start=1):
        name = LINE_NAMES.get((model.lanes[i - 1], lane))
        if not name:
            continue
        slug = name.replace(" ", "-")
        node = f"{content.line_heads[slug]} {s}"
        lines[f"{slug}{sfx}"] = lines[content.line_heads[slug]]
        dot.node(node, content.line_heads[slug], id=f"{slug}{sfx}", **{"class": "line-label"})
        at = sheet.where[node][1]
        start = sheet.where[node][0] + sheet.size[node][0] / 2 + 8
        dot.line(f"line {slug}{sfx}", ((start, at), (x1, at)), style="dashed", penwidth="1.6", color=LINE,
                 id=f"{slug}-line{sfx}", **{"class": "line"})
    top = band.rows.get("evidence", band.rows.get("feeling", band.rows[model.lanes[0]]))[0]
    low = band.bottom
    for j, (_, a, _) in enumerate(band.stages[1:], start=first_stage + 1):
        x = left[a] - gap[a - 1] / 2
        dot.line(f"stage divider {j}", ((x, top), (x, low)), style="dotted", color="#90A4AE",
                 id=f"stage-divider-{j}", **{"class": "stage-divider"})
    return k
