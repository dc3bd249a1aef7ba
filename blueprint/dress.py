"""Styling the SVG that Graphviz draws of a blueprint, and adding its legend.

Graphviz lays out plain labels (the embedded Graphviz has no HTML-like labels), one SVG ``<text>``
per label line, in order. :func:`dress` gives each line its look by what it says (a team name in
italics, a fail point in red, a finding in its severity's colour), shades the teams by
utilisation when there is heat, and draws the legend under the blueprint. The result is the same
whichever Graphviz laid it out, and PNG and PDF are made from it.
"""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from typing import TYPE_CHECKING

from .findings import SEVERITIES

if TYPE_CHECKING:  # pragma: no cover
    from .swimlane import Drawing

__all__ = ["dress"]

SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG)
ET.register_namespace("xlink", XLINK)
#: Graphviz sizes the labels for DejaVu Sans, the widest of the common sans-serif fonts; where it
#: is missing, the narrower ones still fit.
FONTS = "'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif"
#: The look of each kind of label line: (font size, colour, weight, style).
LOOKS = {
    "name": (11, "#1B1B1B", "normal", "normal"),
    "kind": (9, "#455A64", "normal", "italic"),
    "owner": (10, "#37474F", "normal", "italic"),
    "contact": (10, "#5D4037", "normal", "normal"),
    "fail": (10, "#B71C1C", "normal", "normal"),
    "moment": (10, "#8D6E00", "normal", "italic"),
    "feel_good": (10, "#1B5E20", "bold", "normal"),
    "feel_bad": (10, "#B71C1C", "bold", "normal"),
    "feel": (10, "#455A64", "normal", "normal"),
    "split": (10, "#4A148C", "normal", "normal"),
    "join": (10, "#4A148C", "normal", "normal"),
    "finding": (10, "#C62828", "normal", "normal"),
    "visits": (10, "#3E2723", "normal", "normal"),
    "lane": (12, "#263238", "bold", "normal"),
    "title": (18, "#263238", "normal", "normal"),
    "caption": (9, "#546E7A", "normal", "italic"),
    "line": (10, "#263238", "normal", "italic"),
    "evidence": (10, "#3E2723", "normal", "normal"),
}
ROW = 15.0  # height of a legend row, in points


def _q(tag: str) -> str:
    return f"{{{SVG}}}{tag}"


def _float(value: str | None, default: float = 0.0) -> float:
    try:
        return float(re.sub(r"[a-z]+$", "", value or ""))
    except ValueError:
        return default


def _text_width(text: str, size: float) -> float:
    return len(text) * size * 0.56


def dress(svg: str, drawing: "Drawing") -> str:
    """The SVG of a blueprint with its label lines styled and the legend drawn under it.

    Parameters
    ----------
    svg : str
        What Graphviz drew from ``drawing.source``.
    drawing : Drawing
        The DOT source's companion: the kind of every label line, the findings and the heat.

    Returns
    -------
    str
        The SVG document, without XML declaration (ready to inline in HTML too).

    Examples
    --------
    >>> from blueprint import loads
    >>> from blueprint.swimlane import drawing
    >>> from blueprint.engines import run_graphviz
    >>> model = loads("steps: {a: {name: Asks, lane: customer, fail_point: Lost}, b: {outcome: success}}"
    ...               "\\nflows: [[a, b]]")
    >>> laid_out = drawing(model, engine="embedded")
    >>> raw = run_graphviz(laid_out.source, engine="embedded", layout="nop2").decode()
    >>> svg = dress(raw, laid_out)
    >>> '#B71C1C' in svg and 'Legend' in svg
    True
    """
    root = ET.fromstring(svg.encode("utf-8"))
    for text in root.iter(_q("text")):
        text.set("font-family", FONTS)
    worst = _worst_by_step(drawing)
    team_colours = {}
    if drawing.heat is not None:
        from .heat import team_colour

        team_colours = {drawing.model.team_name(t): team_colour(u) for t, u in drawing.heat.utilization.items()}
    for group in root.iter(_q("g")):
        kinds = drawing.lines.get(group.get("id", ""))
        if not kinds:
            continue
        texts = list(group.iter(_q("text")))
        for (kind, _), text in zip(kinds, texts):
            size, colour, weight, style = LOOKS.get(kind, LOOKS["name"])
            if kind == "finding":
                from .swimlane import SEVERITY_STYLE

                colour = SEVERITY_STYLE[worst.get(group.get("id", ""), "error")][0]
            text.set("font-size", f"{size:.2f}")
            text.set("fill", colour)
            if weight != "normal":
                text.set("font-weight", weight)
            if style != "normal":
                text.set("font-style", style)
        if team_colours:
            _shade_owners(group, kinds, texts, team_colours)
    _legend(root, drawing)
    return ET.tostring(root, encoding="unicode")


def _worst_by_step(drawing: "Drawing") -> dict[str, str]:
    worst: dict[str, str] = {}
    for f in drawing.report or ():
        for sid in f.steps:
            key = f"step-{sid}"
            if key not in worst or SEVERITIES.index(f.severity) < SEVERITIES.index(worst[key]):
                worst[key] = f.severity
    return worst


def _shade_owners(group, kinds, texts, team_colours) -> None:
    """A chip in the team's utilisation colour behind the owner line of a step."""
    for (kind, line), text in zip(kinds, texts):
        if kind != "owner":
            continue
        team = line.split(" · ")[0]
        colour = team_colours.get(team)
        if colour is None:
            continue
        size = _float(text.get("font-size"), 10)
        width = _text_width(line, size) + 8
        x, y = _float(text.get("x")), _float(text.get("y"))
        if text.get("text-anchor") == "start":
            x += width / 2 - 4
        chip = ET.Element(_q("rect"), {"x": f"{x - width / 2:.2f}", "y": f"{y - size:.2f}",
                                       "width": f"{width:.2f}", "height": f"{size + 3.5:.2f}", "rx": "3",
                                       "fill": colour, "stroke": "#6A5ACD", "stroke-width": "0.5",
                                       "class": "team-heat"})
        parent = _parent_of(group, text)
        parent.insert(list(parent).index(text), chip)


def _parent_of(group, child):
    for element in group.iter():
        if child in list(element):
            return element
    return group  # pragma: no cover


# --- the legend --------------------------------------------------------------------------------
class _Column:
    """A column of legend rows, drawn at (x, y) in points; each row is a sample and a text."""

    def __init__(self, title: str):
        self.title = title
        self.rows: list[tuple[str, dict, str, dict]] = []  # (sample kind, sample options, text, text style)

    def add(self, sample: str, text: str, **options):
        style = options.pop("text_style", {})
        self.rows.append((sample, options, text, style))

    @property
    def width(self) -> float:
        texts = [_text_width(self.title, 11)] + [_text_width(t, 9.5) + 40 for _, _, t, _ in self.rows]
        return max(texts) + 18

    @property
    def height(self) -> float:
        return ROW * (len(self.rows) + 1) + 6


def _sample(parent, kind: str, x: float, y: float, o: dict) -> None:
    """A small picture of a drawing element, 28 x 11 points, its top left at (x, y)."""
    sub = ET.SubElement
    stroke = o.get("stroke", "#78909C")
    dash = {"dashed": "5,2", "dotted": "1.5,2.5"}.get(o.get("style", ""), None)
    extra = {"stroke-dasharray": dash} if dash else {}
    if kind == "step":
        sub(parent, _q("rect"), {"x": f"{x}", "y": f"{y}", "width": "28", "height": "11", "rx": "3",
                                  "fill": o.get("fill", "white"), "stroke": stroke,
                                  "stroke-width": str(o.get("width", 1.2)), **extra})
    elif kind == "success":
        for rx, ry in ((14, 6), (11.5, 4)):
            sub(parent, _q("ellipse"), {"cx": f"{x + 14}", "cy": f"{y + 5.5}", "rx": str(rx), "ry": str(ry),
                                         "fill": "#E8F5E9" if rx == 11.5 else "none", "stroke": "#2E7D32"})
    elif kind == "failure":
        pts = [(x + 6, y), (x + 22, y), (x + 28, y + 3.5), (x + 28, y + 7.5), (x + 22, y + 11), (x + 6, y + 11),
               (x, y + 7.5), (x, y + 3.5)]
        sub(parent, _q("polygon"), {"points": " ".join(f"{a:.1f},{b:.1f}" for a, b in pts),
                                     "fill": "#FFEBEE", "stroke": "#B71C1C", "stroke-width": "1.6"})
    elif kind == "evidence":
        pts = [(x + 4, y), (x + 21, y), (x + 24, y + 3), (x + 24, y + 11), (x + 4, y + 11)]
        sub(parent, _q("polygon"), {"points": " ".join(f"{a:.1f},{b:.1f}" for a, b in pts),
                                     "fill": "#FFFDE7", "stroke": "#A1887F"})
    elif kind in ("flow", "timeout", "line"):
        colour = {"flow": "#455A64", "timeout": "#6D4C41", "line": "#37474F"}[kind]
        dash = "5,2" if kind in ("timeout", "line") else None
        sub(parent, _q("path"), {"d": f"M{x},{y + 5.5} L{x + 24},{y + 5.5}", "stroke": colour,
                                  "stroke-width": "1.6" if kind == "line" else "1", "fill": "none",
                                  **({"stroke-dasharray": dash} if dash else {})})
        if kind != "line":
            sub(parent, _q("polygon"), {"points": f"{x + 24},{y + 2.5} {x + 29},{y + 5.5} {x + 24},{y + 8.5}",
                                         "fill": colour, "stroke": colour})
    elif kind == "swatch":
        sub(parent, _q("rect"), {"x": f"{x}", "y": f"{y}", "width": "28", "height": "11",
                                  "fill": o["fill"], "stroke": "#9E9E9E", "stroke-width": "0.5"})
    elif kind == "bar":
        share = max(0.0, min(float(o.get("share", 0)), 1.0))
        sub(parent, _q("rect"), {"x": f"{x}", "y": f"{y}", "width": "28", "height": "11", "fill": "white",
                                  "stroke": "#9E9E9E", "stroke-width": "0.5"})
        sub(parent, _q("rect"), {"x": f"{x}", "y": f"{y}", "width": f"{28 * share:.2f}", "height": "11",
                                  "fill": o["fill"], "stroke": "none"})
    elif kind == "glyph":
        t = sub(parent, _q("text"), {"x": f"{x + 14}", "y": f"{y + 9.5}", "text-anchor": "middle",
                                      "font-family": FONTS, "font-size": "11", "fill": o.get("fill", "#1B1B1B")})
        t.text = o["glyph"]


def _columns(drawing: "Drawing") -> list[_Column]:
    from .heat import TEAM_COLOURS, VISIT_COLOURS, team_colour
    from .swimlane import SEVERITY_STYLE
    from .swimlane import number as _number

    model = drawing.model
    key = _Column("How to read it")
    key.add("step", "a step (its team in italics)")
    if any(s.outcome == "success" for s in model.steps.values()):
        key.add("success", "✔ success outcome")
    if any(s.outcome == "failure" for s in model.steps.values()):
        key.add("failure", "✖ failure outcome")
    if any(s.evidence for s in model.steps.values()):
        key.add("evidence", "physical evidence")
    if any(s.fail_point for s in model.steps.values()):
        key.add("glyph", "fail point", glyph="⚠", fill="#B71C1C")
    if any(s.channel for s in model.steps.values()):
        key.add("glyph", "customer contact, by channel", glyph="☎", fill="#5D4037")
    if any(s.moment for s in model.steps.values()):
        key.add("glyph", "a moment that matters to the customer", glyph="★", fill="#8D6E00")
    if any(s.emotion is not None for s in model.steps.values()):
        key.add("glyph", "how the customer feels, -5 to +5", glyph="☺", fill="#1B5E20")
    key.add("flow", "flow, with its chance")
    if any(s.timeout for s in model.steps.values()):
        key.add("timeout", "timeout: leaves by this way")
    if any(s.split or s.join for s in model.steps.values()):
        key.add("glyph", "split / join: all ways at once", glyph="⇉", fill="#4A148C")
    key.add("line", "a line between lanes")
    columns = [key]

    if drawing.report is not None:
        found = _Column("Findings (blueprint check)")
        summary = drawing.report.summary
        for severity in SEVERITIES:
            colour, width, style = SEVERITY_STYLE[severity]
            found.add("step", f"{severity}: {summary[severity]}", stroke=colour, width=width, style=style,
                      text_style={"fill": colour})
        rules = Counter((f.rule, f.severity) for f in drawing.report)
        for (rule, severity), n in sorted(rules.items(), key=lambda kv: (SEVERITIES.index(kv[0][1]), kv[0][0]))[:12]:
            found.add("glyph", f"{rule}" + (f" ×{n}" if n > 1 else ""), glyph="⚑",
                      fill=SEVERITY_STYLE[severity][0])
        if len(rules) > 12:
            found.add("glyph", f"and {len(rules) - 12} more rules", glyph="…")
        if not len(drawing.report):
            found.add("glyph", "no findings", glyph="✔", fill="#2E7D32")
        columns.append(found)

    heat = drawing.heat
    if heat is not None:
        if heat.visits is not None:
            visits = _Column("Expected visits per case")
            top = heat.visit_top
            n = len(VISIT_COLOURS)
            for i, colour in enumerate(VISIT_COLOURS):
                visits.add("swatch", f"{_number(top * i / n)} to {_number(top * (i + 1) / n)}", fill=colour)
            columns.append(visits)
        teams = _Column("Team utilisation (simulated)")
        n = len(TEAM_COLOURS)
        for i, colour in enumerate(TEAM_COLOURS):
            teams.add("swatch", f"{100 * i // n}% to {100 * (i + 1) // n}% busy", fill=colour)
        for team_id, u in sorted(heat.utilization.items(), key=lambda kv: -kv[1]):
            teams.add("bar", f"{model.team_name(team_id)}: {u:.0%}", share=u, fill=team_colour(u))
        columns.append(teams)
    return columns


def _legend(root, drawing: "Drawing") -> None:
    width = _float(root.get("width"))
    height = _float(root.get("height"))
    view = [float(v) for v in (root.get("viewBox") or f"0 0 {width} {height}").split()]
    columns = _columns(drawing)
    pad, gap = 14.0, 26.0
    total_w = pad * 2 + sum(c.width for c in columns) + gap * (len(columns) - 1)
    total_h = max(c.height for c in columns) + pad * 2 + ROW
    scale = width / view[2] if view[2] else 1.0
    top = view[1] + view[3]
    group = ET.SubElement(root, _q("g"), {"id": "legend", "class": "legend"})
    new_w = max(view[2], total_w)
    ET.SubElement(group, _q("rect"), {"x": f"{view[0]}", "y": f"{top}", "width": f"{new_w}",
                                       "height": f"{total_h}", "fill": "white", "stroke": "none"})
    ET.SubElement(group, _q("path"), {"d": f"M{view[0] + pad},{top + 4} L{view[0] + new_w - pad},{top + 4}",
                                       "stroke": "#B0BEC5", "stroke-width": "0.8"})
    heading = ET.SubElement(group, _q("text"), {"x": f"{view[0] + pad}", "y": f"{top + pad + 6}",
                                                 "font-family": FONTS, "font-size": "12", "font-weight": "bold",
                                                 "fill": "#263238"})
    heading.text = "Legend"
    x = view[0] + pad
    y0 = top + pad + ROW
    for column in columns:
        t = ET.SubElement(group, _q("text"), {"x": f"{x:.2f}", "y": f"{y0 + 10:.2f}", "font-family": FONTS,
                                               "font-size": "11", "font-weight": "bold", "fill": "#37474F"})
        t.text = column.title
        for i, (sample, options, text, style) in enumerate(column.rows):
            y = y0 + ROW * (i + 1) + 2
            _sample(group, sample, x, y, options)
            label = ET.SubElement(group, _q("text"), {"x": f"{x + 36:.2f}", "y": f"{y + 9:.2f}", "font-family": FONTS,
                                                       "font-size": "9.5", "fill": style.get("fill", "#263238")})
            label.text = text
        x += column.width + gap
    view[2], view[3] = new_w, view[3] + total_h
    root.set("viewBox", " ".join(f"{v:.2f}" for v in view))
    root.set("width", f"{new_w * scale:.0f}pt")
    root.set("height", f"{view[3] * scale:.0f}pt")
    if not math.isfinite(view[3]):  # pragma: no cover - Graphviz always gives a size
        root.attrib.pop("height")
