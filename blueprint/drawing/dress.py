"""Dressing the SVG that Graphviz draws of a blueprint: the look of every line, and what Graphviz
cannot draw.

Graphviz lays out plain labels (the embedded Graphviz has no HTML-like labels), one SVG ``<text>``
per label line, in order. :func:`dress` gives each line its look by what it says (a team name in
italics, a fail point in red, the key's findings in their severity's colour), and adds, in the
drawing's own coordinates (:class:`blueprint.drawing.sheet.Sheet`):

- a numbered mark on the corner of each step a finding bites at, and a channel icon on each
  customer contact;
- the curve of how the customer feels, across the customer's steps;
- the outside parties' strips hatched; the teams shaded by utilisation when there is heat;
- the key's samples;
- every arrow's label moved beside its arrow, over no other label, arrow or step
  (:mod:`blueprint.drawing.placing`).

The result is the same whichever Graphviz laid it out, and PNG and PDF are made from it.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from .heat import team_colour
from .icons import SVG, channel_icon, mark, q, sample
from .labels import channel_kind
from .placing import Box, path_points, place_labels
from .sheet import LEAD
from .style import FEELING, FONTS, LOOKS, MARK_RADIUS, OUTSIDE_HATCH, SAMPLE

if TYPE_CHECKING:  # pragma: no cover
    from .swimlane import Drawing

__all__ = ["dress"]

XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)


def _float(value: str | None, default: float = 0.0) -> float:
    try:
        return float(re.sub(r"[a-z]+$", "", value or ""))
    except ValueError:
        return default


def dress(svg: str, drawing: Drawing) -> str:
    """The SVG of a blueprint with its label lines styled and what Graphviz cannot draw added.

    Parameters
    ----------
    svg : str
        What Graphviz drew from ``drawing.source``.
    drawing : Drawing
        The DOT source's companion: the kind of every label line, the geometry, the marks.

    Returns
    -------
    str
        The SVG document, without XML declaration (ready to inline in HTML too).

    Examples
    --------
    >>> from blueprint import loads
    >>> from blueprint.drawing.swimlane import drawing
    >>> from blueprint.drawing.engines import run_graphviz
    >>> model = loads("steps: {a: {name: Asks, lane: customer, fail_point: Lost}, b: {outcome: success}}"
    ...               "\\nflows: [[a, b]]")
    >>> laid_out = drawing(model, engine="embedded")
    >>> raw = run_graphviz(laid_out.source, engine="embedded", layout="nop2").decode()
    >>> svg = dress(raw, laid_out)
    >>> '#B71C1C' in svg and 'How to read it' in svg
    True
    """
    root = ET.fromstring(svg.encode("utf-8"))
    for text in root.iter(q("text")):
        text.set("font-family", FONTS)
    graph = next(g for g in root.iter(q("g")) if g.get("class") == "graph")
    groups = {g.get("id"): g for g in root.iter(q("g")) if g.get("id")}
    _style_lines(groups, drawing)
    _hatch(root, groups)
    overlay = ET.SubElement(graph, q("g"), {"id": "overlay", "transform": f"translate(0,{-drawing.sheet.height:.2f})"})
    _key_background(graph, drawing)
    taken = _marks_and_icons(ET.SubElement(overlay, q("g"), {"id": "marks"}),
                             ET.SubElement(overlay, q("g"), {"id": "channels"}), drawing)
    taken += _feelings(overlay, drawing)
    _samples(ET.SubElement(overlay, q("g"), {"id": "key-samples"}), drawing)
    _flow_labels(groups, overlay, drawing, taken)
    return ET.tostring(root, encoding="unicode")


def _style_lines(groups: dict, drawing: Drawing) -> None:
    team_colours = {}
    if drawing.heat is not None:
        team_colours = {drawing.model.team_name(t): team_colour(u) for t, u in drawing.heat.utilization.items()}
    for gid, group in groups.items():
        kinds = drawing.lines.get(gid)
        if not kinds:
            continue
        texts = [t for t in group.iter(q("text"))]
        for (kind, _), text in zip(kinds, texts):
            size, colour, weight, style = LOOKS.get(kind, LOOKS["name"])
            if kind == "stage":
                size, colour = 12, "white"
            text.set("font-size", f"{size:.2f}")
            text.set("fill", colour)
            if weight != "normal":
                text.set("font-weight", weight)
            if style != "normal":
                text.set("font-style", style)
        if team_colours:
            _shade_owners(group, kinds, texts, team_colours)


def _shade_owners(group, kinds, texts, team_colours) -> None:
    """A chip in the team's utilisation colour behind the owner line of a step."""
    for (kind, line), text in zip(kinds, texts):
        if kind not in ("owner", "outside"):
            continue
        colour = team_colours.get(line.split(" · ")[0].replace(" (outside party)", ""))
        if colour is None:
            continue
        size = _float(text.get("font-size"), 10)
        width = len(line) * size * 0.56 + 8
        x, y = _float(text.get("x")), _float(text.get("y"))
        if text.get("text-anchor") == "start":
            x += width / 2 - 4
        chip = ET.Element(q("rect"), {"x": f"{x - width / 2:.2f}", "y": f"{y - size:.2f}", "width": f"{width:.2f}",
                                      "height": f"{size + 3.5:.2f}", "rx": "3", "fill": colour,
                                      "stroke": "#6A5ACD", "stroke-width": "0.5", "class": "team-heat"})
        parent = next((e for e in group.iter() if text in list(e)), group)
        parent.insert(list(parent).index(text), chip)


def _hatch(root, groups: dict) -> None:
    """The outside parties' strips filled with grey hatching."""
    strips = [g for gid, g in groups.items() if gid.startswith("outside-") and "cluster" in g.get("class", "").split()]
    if not strips:
        return
    defs = ET.Element(q("defs"))
    pattern = ET.SubElement(defs, q("pattern"), {"id": "outside-hatch", "width": "8", "height": "8",
                                                 "patternUnits": "userSpaceOnUse",
                                                 "patternTransform": "rotate(45)"})
    ET.SubElement(pattern, q("rect"), {"width": "8", "height": "8", "fill": "#F3F5F6"})
    ET.SubElement(pattern, q("line"), {"x1": "0", "y1": "0", "x2": "0", "y2": "8", "stroke": OUTSIDE_HATCH,
                                       "stroke-width": "2.5"})
    root.insert(0, defs)
    for strip in strips:
        for shape in strip.iter(q("polygon")):
            shape.set("fill", "url(#outside-hatch)")
            break


def _corners(drawing: Drawing, sid: str) -> tuple[Box, bool]:
    box = drawing.sheet.box(sid)
    step = drawing.model.steps[sid]
    if step.outcome == "success":  # an ellipse: its corners are outside it
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        rx, ry = (box[2] - box[0]) / 2 * 0.72, (box[3] - box[1]) / 2 * 0.72
        return (cx - rx, cy - ry, cx + rx, cy + ry), True
    return box, False


def _marks_and_icons(marks, channels, drawing: Drawing) -> list[Box]:
    """A finding's mark on the top right corner of its step, a channel's icon on the top left."""
    taken = []
    for m in drawing.marks:
        if m.step is None:
            continue
        (x0, y0, x1, y1), _ = _corners(drawing, m.step)
        mark(marks, m.number, m.severity, x1, y0)
        taken.append((x1 - MARK_RADIUS, y0 - MARK_RADIUS, x1 + MARK_RADIUS, y0 + MARK_RADIUS))
    for sid, step in drawing.model.steps.items():
        kind = channel_kind(step.channel)
        if kind is None:
            continue
        (x0, y0, x1, y1), _ = _corners(drawing, sid)
        channel_icon(channels, kind, x0, y0)
        taken.append((x0 - 9, y0 - 9, x0 + 9, y0 + 9))
    return taken


def _feelings(overlay, drawing: Drawing) -> list[Box]:
    """How the customer feels, step by step: a curve across each band's feeling row."""
    sheet, model = drawing.sheet, drawing.model
    taken: list[Box] = []
    for band in sheet.bands:
        if "feeling" not in band.rows:
            continue
        top, low = band.rows["feeling"]
        top, low = top + 9, low - 9
        middle = (top + low) / 2
        steps = sorted((sid for sid in model.steps if sheet.band_of[sid] == band.index
                        and model.steps[sid].emotion is not None and sid in sheet.where
                        and model.steps[sid].lane == model.lanes[0]),
                       key=lambda s: (sheet.where[s][0], sheet.where[s][1]))
        if not steps:
            continue
        x0 = sheet.left[band.first] - LEAD / 2
        group = ET.SubElement(overlay, q("g"), {"class": "feelings", "id": f"feelings-{band.index + 1}"})
        ET.SubElement(group, q("path"), {"d": f"M{x0:.2f},{middle:.2f} L{sheet.lanes_right - 6:.2f},{middle:.2f}",
                                         "stroke": "#D7CCC8", "stroke-width": "0.8", "stroke-dasharray": "3,2",
                                         "fill": "none"})
        spread: dict[float, int] = {}
        points = []
        for sid in steps:
            x = sheet.where[sid][0]
            k = spread.get(x, 0)
            spread[x] = k + 1
            value = float(model.steps[sid].emotion)
            points.append((x + 26 * k, middle - value / 5 * (low - top) / 2, value, sid))
        ET.SubElement(group, q("polyline"), {"points": " ".join(f"{x:.2f},{y:.2f}" for x, y, _, _ in points),
                                             "fill": "none", "stroke": FEELING["line"], "stroke-width": "1.6",
                                             "stroke-linejoin": "round", "class": "feeling-curve"})
        for x, y, value, _ in points:
            tone = "good" if value > 0 else "bad" if value < 0 else "neutral"
            ET.SubElement(group, q("circle"), {"cx": f"{x:.2f}", "cy": f"{y:.2f}", "r": "3.2", "fill": FEELING[tone],
                                               "stroke": "white", "stroke-width": "0.8"})
            text = f"{value:+g}" if value else "0"
            width = len(text) * 5.6 + 1
            t = ET.SubElement(group, q("text"), {"x": f"{x + 5:.2f}", "y": f"{y + 3.2:.2f}", "font-family": FONTS,
                                                 "font-size": "9", "fill": FEELING[tone], "font-weight": "bold"})
            t.text = text
            taken.append((x + 5, y - 4.5, x + 5 + width, y + 4.5))
            taken.append((x - 4, y - 4, x + 4, y + 4))
    return taken


def _key_background(graph, drawing: Drawing) -> None:
    """A light panel behind the key, under everything else."""
    box = drawing.sheet.key_box
    if box is None:
        return
    x0, y0, x1, y1 = box
    H = drawing.sheet.height
    panel = ET.Element(q("rect"), {"x": f"{x0 - 8:.2f}", "y": f"{y0 - 8 - H:.2f}", "width": f"{x1 - x0 + 16:.2f}",
                                   "height": f"{y1 - y0 + 14:.2f}", "rx": "4", "fill": "#FAFAFA",
                                   "stroke": "#E0E0E0", "stroke-width": "0.8", "class": "key-panel"})
    graph.insert(1, panel)


def _samples(overlay, drawing: Drawing) -> None:
    """The key's samples, each at the left of its row."""
    rows = {row.node: row for block in drawing.blocks for row in block.rows}
    for node, (x, top, height) in drawing.sheet.key_rows.items():
        row = rows[node]
        if row.sample is None:
            continue
        if row.sample == "mark":
            y = top + 2
        else:
            y = top + (min(height, 18) - SAMPLE[1]) / 2
        sample(overlay, row.sample, x, y, row.options)


def _flow_labels(groups: dict, overlay, drawing: Drawing, taken: list[Box]) -> None:
    """Every arrow's label beside its arrow: Graphviz's own placement replaced."""
    sheet = drawing.sheet
    H = sheet.height
    arrows: dict[str, list] = {}
    heads: list[Box] = []
    for gid, group in groups.items():
        if "flow" in group.get("class", "").split():
            for path in group.iter(q("path")):
                arrows[gid] = path_points(path.get("d", ""), dy=H)
            for head in group.iter(q("polygon")):
                pts = path_points("M" + head.get("points", "").replace(" ", " "), dy=H)
                if pts:
                    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                    heads.append((min(xs), min(ys), max(xs), max(ys)))
    boxes = [sheet.box(name) for name in sheet.where if name in sheet.size] + heads + taken
    dividers = [path_points(p.get("d", ""), dy=H) for gid, g in groups.items()
                if {"line", "stage-divider"} & set(g.get("class", "").split()) for p in g.iter(q("path"))]
    dividers += [[tuple(map(float, xy.split(","))) for xy in line.get("points", "").split()]
                 for line in overlay.iter(q("polyline")) if line.get("class") == "feeling-curve"]
    crossing = {con.flow: con for con in sheet.connectors}
    labels = []
    for fid, (_, (w, h)) in drawing.flow_labels.items():
        con = crossing.get(fid)
        source = con.source if con else _source_of(drawing, fid)
        band = sheet.bands[sheet.band_of[source]]
        bounds = (sheet.left[band.first] - LEAD + 2, band.top, sheet.lanes_right, band.bottom)
        labels.append((fid, w, h, arrows.get(fid, []), bounds))
    placed = place_labels(labels, boxes, arrows, dividers)
    for fid, (x0, y0, x1, y1) in placed.items():
        group = groups.get(fid)
        texts, _ = drawing.flow_labels[fid]
        for old in [t for t in group.iter(q("text"))]:
            next((e for e in group.iter() if old in list(e)), group).remove(old)
        kind = "timeout" if fid.startswith("timeout-") else "flow"
        size, colour, _, _ = LOOKS[kind]
        line_height = (y1 - y0) / max(len(texts), 1)
        for i, text in enumerate(texts):
            t = ET.SubElement(group, q("text"), {"x": f"{(x0 + x1) / 2:.2f}",
                                                 "y": f"{y0 + line_height * (i + 0.78) - H:.2f}",
                                                 "text-anchor": "middle", "font-family": FONTS,
                                                 "font-size": f"{size}", "fill": colour, "class": "flow-label"})
            t.text = text


def _source_of(drawing: Drawing, fid: str) -> str:
    if fid.startswith("timeout-"):
        return fid[len("timeout-"):]
    return drawing.model.flows[int(fid.split("-")[1])].source
