"""The blueprint as a Graphviz graph laid out as swimlanes: every step pinned in its lane and column.

Graphviz's ``dot`` cannot be made to keep clusters in a given order top to bottom, so the
drawing is laid out here and Graphviz only sizes the labels and routes the arrows (its ``nop2``
layout: pinned nodes, clusters drawn from their ``bb``, edges routed around the steps):

1. the label of every step, note and lane title is measured by Graphviz itself (a first run on
   the nodes alone), so the boxes are the size the engine that draws them gives them;
2. :func:`blueprint.layout.placement` gives each step its lane and column; the steps that share
   a lane and a column are stacked, ordered by where the steps they come from are;
3. columns are as wide as their widest step, lanes as tall as their tallest stack; the stage
   headers span their columns, the lines between lanes run the full width, dotted lines part
   the stages.

The DOT source holds the positions (``pos``) and ``layout=nop2``, so it draws the same with any
Graphviz: ``dot -Tsvg blueprint.dot``.
"""
from __future__ import annotations

import json
import math
import re
import textwrap
from dataclasses import dataclass
from typing import Any

from .errors import BlueprintError
from .findings import SEVERITIES, Report
from .heat import Heat, read_heat
from .layout import Placement, placement
from .model import Blueprint

__all__ = ["Drawing", "drawing", "LINE_NAMES", "SEVERITY_STYLE", "LANE_COLOURS"]

#: The lines drawn between two lanes, by the lanes above and below.
LINE_NAMES = {("customer", "frontstage"): "line of interaction",
              ("frontstage", "backstage"): "line of visibility",
              ("backstage", "support"): "line of internal interaction"}
LANE_CAPTIONS = {"customer": "what the customer does", "frontstage": "staff the customer meets",
                 "backstage": "work the customer doesn't see", "support": "processes and systems behind it"}
LANE_COLOURS = {"customer": "#FFF6DA", "frontstage": "#E3F0FB", "backstage": "#E6F4E7", "support": "#F1E8F6"}
EXTRA_LANE_COLOURS = ("#EEF0F2", "#FBEDE6", "#E6F3F3")
#: How a finding's severity is drawn: (colour, pen width, line style).
SEVERITY_STYLE = {"error": ("#C62828", 3.0, "solid"), "warning": ("#E65100", 2.6, "dashed"),
                  "info": ("#1565C0", 2.0, "dotted")}
FONT = "DejaVu Sans"  # sizes the labels; see blueprint.dress.FONTS
NAME_WIDTH = 20  # characters before a step's name wraps
NOTE_WIDTH = 24
# the grid, in points
PAD = 12.0          # around the drawing
COLUMN_GAP = 64.0   # between columns where an arrow leaves with a label: room for it
NARROW_GAP = 40.0   # between the other columns
STACK_GAP = 22.0    # between steps stacked in one lane and column
LANE_PAD = 14.0     # above and below the steps of a lane
LANE_GAP = 20.0     # between lanes: the line between them runs in the middle
STAGE_HEIGHT = 24.0
MIN_COLUMN = 60.0
TITLE = "graph title"  # the drawing's own nodes have a space in their name: no step id has one


def _clean(text: Any) -> str:
    """Text safe to put in a DOT label: no control characters, no escape sequences."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", str(text))
    return text.replace("\\", "\u29f5")  # a backslash would start a DOT escape (\n, \l, \N...)


def _wrap(text: str, width: int = NAME_WIDTH) -> list[str]:
    lines = textwrap.wrap(_clean(text).replace("\n", " "), width=width, break_long_words=True,
                          break_on_hyphens=True)
    return lines or [" "]


def number(x: float) -> str:
    """A number for a label, with no more digits than it needs.

    Examples
    --------
    >>> number(3.0), number(0.25), number(5 / 3), number(1234.5), number(float("inf"))
    ('3', '0.25', '1.67', '1234', '∞')
    """
    if not math.isfinite(x):
        return "∞" if x > 0 else "-∞" if x < 0 else "?"
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}" if abs(x) >= 0.01 else f"{x:.2g}"


def percent(p: float) -> str:
    """A branch chance as a percentage.

    Examples
    --------
    >>> percent(0.6), percent(1 / 3), percent(0.005), percent(1.0)
    ('60%', '33.3%', '0.5%', '100%')
    """
    value = 100 * p
    if abs(value - round(value)) < 1e-9:
        return f"{round(value)}%"
    return f"{value:.3g}%"


@dataclass
class Drawing:
    """A blueprint ready to draw: the DOT source and what :mod:`blueprint.dress` needs to style it."""

    source: str
    lines: dict[str, list[tuple[str, str]]]  # SVG id of a node -> [(kind, text)] in label order
    report: Report | None
    heat: Heat | None
    model: Blueprint
    engine: str


def _findings(model: Blueprint, findings: Any) -> Report | None:
    if findings is None or findings is False:
        return None
    if isinstance(findings, Report):
        return findings
    from .checker import check

    return check(model)


def _worst(severities) -> str | None:
    return next((s for s in SEVERITIES if s in severities), None)


def _lane_colour(model: Blueprint, lane: str) -> str:
    if lane in LANE_COLOURS:
        return LANE_COLOURS[lane]
    extras = [x for x in model.lanes if x not in LANE_COLOURS]
    return EXTRA_LANE_COLOURS[extras.index(lane) % len(EXTRA_LANE_COLOURS)]


def _step_lines(model: Blueprint, sid: str, heat: Heat | None, rules: list[str]) -> list[tuple[str, str]]:
    step = model.steps[sid]
    lines: list[tuple[str, str]] = []
    if step.is_outcome:
        mark = "✔" if step.outcome == "success" else "✖"
        lines += [("name", line) for line in _wrap(f"{mark} {step.name or sid}", NAME_WIDTH - 4)]
        lines.append(("kind", step.outcome))
    else:
        lines += [("name", line) for line in _wrap(step.name or sid)]
    if step.owner:
        team = _clean(model.team_name(step.owner))
        if heat is not None and step.owner in heat.utilization:
            team += f" · {heat.utilization[step.owner]:.0%} busy"
        lines += [("owner", line) for line in _wrap(team, NAME_WIDTH + 4)]
    if step.channel:
        lines.append(("contact", f"☎ {_clean(step.channel)}"))
    if step.fail_point:
        lines += [("fail", line) for line in _wrap(f"⚠ {step.fail_point}", NAME_WIDTH + 2)]
    if step.moment:
        lines += [("moment", line) for line in _wrap(f"★ {_clean(step.moment)}", NAME_WIDTH + 2)]
    if step.emotion is not None:
        kind, face = ("feel_good", "☺") if step.emotion > 0 else ("feel_bad", "☹") if step.emotion < 0 else ("feel", "○")
        lines.append((kind, f"{face} feels {step.emotion:+g}" if step.emotion else f"{face} feels neutral"))
    if step.split == "all":
        lines.append(("split", "⇉ split: every way at once"))
    if step.join == "all":
        lines.append(("join", "⇛ join: waits for every way"))
    if rules:
        lines += [("finding", line) for line in _wrap("⚑ " + ", ".join(rules), NAME_WIDTH + 4)]
    if heat is not None and heat.visits is not None and sid in heat.visits:
        visits = heat.visits[sid]
        lines.append(("visits", f"{number(visits)} visit{'' if visits == 1 else 's'} per case"))
    return lines


def _label(lines: list[tuple[str, str]]) -> str:
    return "\\n".join(text for _, text in lines)


def _flow_texts(model: Blueprint, flow, flow_rules: dict) -> list[str]:
    """The lines written on a flow: its label, its chance where the step branches, its findings."""
    texts = _wrap(flow.label, NAME_WIDTH - 2) if flow.label else []
    split = model.steps[flow.source].split == "all"
    if flow.p is not None and len(model.outgoing[flow.source]) > 1 and not split:
        texts.append(percent(flow.p))
    if split:
        texts.append("all")
    rules = flow_rules.get((flow.source, flow.target))
    if rules:
        texts.append("⚑ " + ", ".join(rules))
    return texts


def _timeout_text(model: Blueprint, sid: str) -> str:
    after = model.steps[sid].timeout.after
    if isinstance(after, (int, float)):
        return f"timeout after {number(after)} {model.time_unit}{'s' if after != 1 else ''}"
    if isinstance(after, str):
        return f"timeout after {after.strip()}"
    from .durations import mean_of

    return f"timeout after {number(mean_of(after, model.time_unit))} {model.time_unit}s on average"


def _findings_by_place(report: Report | None):
    """Rule ids and severities by step and by flow; a flow names the rule only when no step does."""
    step_rules: dict[str, list[str]] = {}
    step_severity: dict[str, set[str]] = {}
    flow_rules: dict[tuple[str, str], list[str]] = {}
    flow_severity: dict[tuple[str, str], set[str]] = {}
    for f in report or ():
        for sid in f.steps:
            rules = step_rules.setdefault(sid, [])
            if f.rule not in rules:
                rules.append(f.rule)
            step_severity.setdefault(sid, set()).add(f.severity)
        for pair in f.flows:
            key = (pair[0], pair[1])
            rules = flow_rules.setdefault(key, [])
            if f.rule not in rules and not f.steps:
                rules.append(f.rule)
            flow_severity.setdefault(key, set()).add(f.severity)
    return step_rules, step_severity, flow_rules, flow_severity


def quote(value: Any) -> str:
    """A DOT string that Graphviz reads as plain text, always in double quotes.

    Never an HTML-like label: ``graphviz.quoting.quote`` passes ``<...>`` through as one, which
    lets a step name carry links (``<td href="javascript:...">``) into the SVG. The text is
    :func:`_clean`-ed (no control characters, no backslash escapes) and its quotes escaped; the
    only backslashes left are the line breaks (``\\n``) this module writes itself.

    Examples
    --------
    >>> print(quote('<<table><tr><td href="javascript:x">Click</td></tr></table>>'))
    "<<table><tr><td href=\\"javascript:x\\">Click</td></tr></table>>"
    >>> print(quote("step"), quote('a "b"'))
    "step" "a \\"b\\""
    """
    return '"' + _plain(value).replace('"', '\\"') + '"'


def _plain(value: Any) -> str:
    """The text Graphviz reads back from :func:`quote`: no control characters, and no backslash
    but those of the line breaks (``\\n``) this module writes itself."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", str(value))
    return re.sub(r"\\(?!n)", "\u29f5", text)


def _attrs(attrs: dict[str, Any]) -> str:
    return " ".join(f"{k}={quote(v)}" for k, v in attrs.items())


NODE_DEFAULTS = {"fontname": FONT, "fontsize": "11", "shape": "box", "style": "rounded,filled",
                 "fillcolor": "white", "color": "#78909C", "penwidth": "1.2", "margin": "0.1,0.05"}


def _measure(nodes: dict[str, dict[str, Any]], engine: str | None) -> dict[str, tuple[float, float]]:
    """Width and height in points of every node, as the Graphviz that will draw them sizes them."""
    from .engines import run_graphviz

    body = "\n".join(f"{quote(name)} [{_attrs(a)}]" for name, a in nodes.items())
    source = f"digraph measure {{\nnode [{_attrs(NODE_DEFAULTS)}]\n{body}\n}}\n"
    data = json.loads(run_graphviz(source, "json0", engine=engine, layout="dot").decode("utf-8", "replace"))
    measured = {}
    for obj in data.get("objects", []):
        if "name" in obj and "width" in obj:
            measured[obj["name"]] = (float(obj["width"]) * 72, float(obj["height"]) * 72)
    missing = sorted(name for name in nodes if _plain(name) not in measured)
    if missing:
        raise BlueprintError(f"Graphviz did not size the steps {', '.join(missing)}")
    return {name: measured[_plain(name)] for name in nodes}


def _stack_order(model: Blueprint, grid: Placement) -> dict[tuple[str, int], list[str]]:
    """The steps of each lane and column, top to bottom: by where the steps they come from sit."""
    cells: dict[tuple[str, int], list[str]] = {}
    for sid in model.steps:
        cells.setdefault((grid.lane[sid], grid.column[sid]), []).append(sid)
    lane_index = {lane: i for i, lane in enumerate(model.lanes)}
    where: dict[str, float] = {}
    sources: dict[str, list[str]] = {sid: [] for sid in model.steps}
    for flow in model.flows:
        sources[flow.target].append(flow.source)
    for (lane, column) in sorted(cells, key=lambda key: key[1]):
        members = cells[(lane, column)]

        def key(sid: str) -> float:
            seen = [where[s] for s in sources[sid] if s in where]
            return sum(seen) / len(seen) if seen else 0.5

        members.sort(key=key)
        for i, sid in enumerate(members):
            where[sid] = lane_index[lane] + (i + 0.5) / len(members)
    return cells


def drawing(model: Blueprint, *, findings: Any = True, heat: Any = None, engine: str | None = None) -> Drawing:
    """Lay the blueprint out as swimlanes and write it as DOT with every position pinned.

    Parameters
    ----------
    model : Blueprint
        What to draw.
    findings : bool or Report
        Outline what :func:`blueprint.check` finds (a ready report may be passed).
    heat : dict, str, Path, Heat or None
        See :func:`blueprint.heat.read_heat`.
    engine : {"system", "embedded"}, optional
        The Graphviz that sizes the labels (and will draw them).

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
    from .engines import graphviz_engine

    engine = engine or graphviz_engine()
    report = _findings(model, findings)
    heat = heat if isinstance(heat, Heat) or heat is None else read_heat(model, heat)
    grid = placement(model)
    step_rules, step_severity, flow_rules, flow_severity = _findings_by_place(report)

    # --- the nodes and their labels -------------------------------------------------------------
    nodes: dict[str, dict[str, Any]] = {}     # DOT name -> attributes
    lines: dict[str, list[tuple[str, str]]] = {}
    for sid, step in model.steps.items():
        kinds = _step_lines(model, sid, heat, step_rules.get(sid, []))
        lines[f"step-{sid}"] = kinds
        attrs: dict[str, Any] = {"label": _label(kinds), "id": f"step-{sid}", "class": "step",
                                 "tooltip": _clean(model.label(sid))}
        fill = "white"
        if heat is not None and heat.visits is not None and sid in heat.visits:
            fill = heat.visit_colour(heat.visits[sid])
        if step.is_outcome:
            attrs["class"] = f"outcome {step.outcome}"
            if step.outcome == "success":
                attrs.update(shape="ellipse", peripheries="2", color="#2E7D32", margin="0.04,0.02")
                fill = fill if fill != "white" else "#E8F5E9"
            else:
                attrs.update(shape="octagon", color="#B71C1C", penwidth="1.6", margin="0.04,0.02")
                fill = fill if fill != "white" else "#FFEBEE"
            attrs["style"] = "filled"
        attrs["fillcolor"] = fill
        worst = _worst(step_severity.get(sid, ()))
        if worst:
            colour, width, style = SEVERITY_STYLE[worst]
            base = "filled" if step.is_outcome else "rounded,filled"
            attrs.update(color=colour, penwidth=str(width), style=base + ("" if style == "solid" else f",{style}"))
            attrs["class"] += f" finding-{worst}"
            attrs["tooltip"] += "\\n" + "\\n".join(_clean(f"{f.severity} [{f.rule}] {f.message}")
                                                  for f in report if sid in f.steps)
        nodes[sid] = attrs
    evidence = {sid: s.evidence for sid, s in model.steps.items() if s.evidence}
    for sid, text in evidence.items():
        note = [("evidence", line) for line in _wrap(text, NOTE_WIDTH)]
        lines[f"evidence-{sid}"] = note
        nodes[f"evidence {sid}"] = {"label": _label(note), "shape": "note", "style": "filled",
                                    "fillcolor": "#FFFDE7", "color": "#A1887F", "fontsize": "10",
                                    "id": f"evidence-{sid}", "class": "evidence", "tooltip": _clean(text)}
    heads: dict[str, str] = {}  # lane or line -> its label node
    if evidence:
        lines["evidence-label"] = [("lane", "Physical"), ("lane", "evidence")]
        nodes["evidence label"] = {"label": "Physical\\nevidence", "shape": "plaintext", "style": "",
                                   "fontsize": "12", "id": "evidence-label", "class": "lane-label"}
    for i, lane in enumerate(model.lanes):
        title = [("lane", line) for line in _wrap(lane.replace("_", " ").capitalize(), 16)]
        title += [("caption", line) for line in textwrap.wrap(LANE_CAPTIONS.get(lane, ""), 18)]
        lines[f"lane-label-{lane}"] = title
        heads[lane] = f"lane {lane}"
        nodes[heads[lane]] = {"label": _label(title), "shape": "plaintext", "style": "", "fontsize": "12",
                              "id": f"lane-label-{lane}", "class": "lane-label"}
        if i > 0 and (model.lanes[i - 1], lane) in LINE_NAMES:
            name = LINE_NAMES[(model.lanes[i - 1], lane)]
            slug = name.replace(" ", "-")
            lines[slug] = [("line", name)]
            heads[name] = f"line {slug}"
            nodes[heads[name]] = {"label": name, "shape": "plaintext", "style": "", "fontsize": "10",
                                  "fontcolor": "#37474F", "height": "0.2", "margin": "0.04,0",
                                  "id": slug, "class": "line-label"}
    if model.name:
        lines["title"] = [("title", line) for line in _wrap(model.name, 90)]
        nodes[TITLE] = {"label": _label(lines["title"]), "shape": "plaintext", "style": "",
                          "fontsize": "18", "id": "title", "class": "title"}

    size = _measure(nodes, engine)

    # --- the grid -------------------------------------------------------------------------------
    cells = _stack_order(model, grid)
    last = grid.columns
    width = {c: MIN_COLUMN for c in range(1, last + 1)}
    for sid in model.steps:
        c = grid.column[sid]
        width[c] = max(width[c], size[sid][0])
    for sid in evidence:
        c = grid.column[sid]
        width[c] = max(width[c], size[f"evidence {sid}"][0])
    head_width = max(size[n][0] for n in heads.values())
    if evidence:
        head_width = max(head_width, size["evidence label"][0])
    labelled = {grid.column[f.source] for f in model.flows if _flow_texts(model, f, flow_rules)}
    labelled |= {grid.column[sid] for sid, s in model.steps.items() if s.timeout is not None}
    gap = {c: COLUMN_GAP if c in labelled else NARROW_GAP for c in range(0, last + 1)}
    left: dict[int, float] = {}
    x = PAD + head_width + 10 + gap[0] / 2
    for c in range(1, last + 1):
        left[c] = x
        x += width[c] + gap[c]
    right_edge = x - gap[last] / 2 + 6
    if TITLE in nodes:
        right_edge = max(right_edge, PAD + size[TITLE][0])
    centre = {c: left[c] + width[c] / 2 for c in left}

    y = PAD  # from the top, down
    tops: dict[str, tuple[float, float]] = {}  # row -> (top, bottom)
    if TITLE in nodes:
        tops["title"] = (y, y + size[TITLE][1])
        y += size[TITLE][1] + 8
    if grid.stages:
        tops["stages"] = (y, y + STAGE_HEIGHT)
        y += STAGE_HEIGHT + 8
    if evidence:
        tall = max(size[f"evidence {sid}"][1] for sid in evidence)
        tall = max(tall, size["evidence label"][1])
        tops["evidence"] = (y, y + tall + 2 * 8)
        y += tall + 2 * 8 + 6
    stack_height: dict[tuple[str, int], float] = {
        cell: sum(size[s][1] for s in members) + STACK_GAP * (len(members) - 1) for cell, members in cells.items()}
    lane_rows = {}
    for i, lane in enumerate(model.lanes):
        if i > 0:
            y += LANE_GAP
        tall = max([stack_height[cell] for cell in cells if cell[0] == lane] + [size[heads[lane]][1]])
        lane_rows[lane] = (y, y + tall + 2 * LANE_PAD)
        y += tall + 2 * LANE_PAD
    bottom = y + PAD
    H = bottom  # Graphviz measures y upwards

    def pos(x: float, y_down: float) -> str:
        return f"{x:.2f},{H - y_down:.2f}!"

    def bb(x0: float, top: float, x1: float, low: float) -> str:
        return f"{x0:.2f},{H - low:.2f},{x1:.2f},{H - top:.2f}"

    where: dict[str, tuple[float, float]] = {}
    for (lane, column), members in cells.items():
        top, low = lane_rows[lane]
        y = (top + low) / 2 - stack_height[(lane, column)] / 2
        for sid in members:
            where[sid] = (centre[column], y + size[sid][1] / 2)
            y += size[sid][1] + STACK_GAP
    for sid in evidence:
        top, low = tops["evidence"]
        where[f"evidence {sid}"] = (centre[grid.column[sid]], (top + low) / 2)
    if evidence:
        top, low = tops["evidence"]
        where["evidence label"] = (PAD + 6 + size["evidence label"][0] / 2, (top + low) / 2)
    for lane in model.lanes:
        top, low = lane_rows[lane]
        where[heads[lane]] = (PAD + 6 + size[heads[lane]][0] / 2, (top + low) / 2)
    line_paths = []
    for i, lane in enumerate(model.lanes[1:], start=1):
        name = LINE_NAMES.get((model.lanes[i - 1], lane))
        if name:
            at = lane_rows[lane][0] - LANE_GAP / 2
            w = size[heads[name]][0]
            where[heads[name]] = (PAD + 2 + w / 2, at)
            line_paths.append((name, PAD + 10 + w, at))
    if TITLE in nodes:
        where[TITLE] = (PAD + size[TITLE][0] / 2, sum(tops["title"]) / 2)

    # --- the DOT source -------------------------------------------------------------------------
    out = ["digraph blueprint {",
           "\t" + _attrs({"layout": "nop2", "splines": "true", "outputorder": "edgesfirst", "bgcolor": "white",
                          "pad": "0.2", "id": "blueprint", "forcelabels": "true", "fontname": FONT}),
           f"\tnode [{_attrs(NODE_DEFAULTS)}]",
           f"\tedge [{_attrs({'fontname': FONT, 'fontsize': '10', 'color': '#455A64', 'arrowsize': '0.7', 'fontcolor': '#263238'})}]"]

    def node(name: str, indent: str = "\t", **extra) -> None:
        attrs = {**nodes.get(name, {}), **extra}
        if name in where:
            attrs["pos"] = pos(*where[name])
        out.append(f"{indent}{quote(name)} [{_attrs(attrs)}]")

    if TITLE in nodes:
        node(TITLE)
    for k, (stage, first, end) in enumerate(grid.stages):
        x0 = left[first] - gap[first - 1] / 2 + 8
        x1 = left[end] + width[end] + gap[end] / 2 - 8
        top, low = tops["stages"]
        label = "\\n".join(_wrap(stage, max(4, int((x1 - x0) / 7.5))))
        out.append(f"\t{quote(f'stage {k}')} [{_attrs({'label': label, 'shape': 'box', 'style': 'filled', 'fixedsize': 'true', 'width': f'{(x1 - x0) / 72:.3f}', 'height': f'{STAGE_HEIGHT / 72:.3f}', 'fillcolor': '#37474F', 'color': '#37474F', 'fontcolor': 'white', 'fontsize': '12', 'id': f'stage-{k}', 'class': 'stage', 'pos': pos((x0 + x1) / 2, (top + low) / 2)})}]")
    if evidence:
        top, low = tops["evidence"]
        out.append("\tsubgraph cluster_evidence {")
        out.append("\t\t" + _attrs({"bb": bb(PAD, top, right_edge, low), "label": "", "style": "filled",
                                     "fillcolor": "#FAFAFA", "color": "#E0E0E0", "id": "evidence",
                                     "class": "evidence-row"}))
        node("evidence label", "\t\t")
        for sid in evidence:
            node(f"evidence {sid}", "\t\t")
        out.append("\t}")
    for lane in model.lanes:
        top, low = lane_rows[lane]
        colour = _lane_colour(model, lane)
        out.append(f"\tsubgraph {quote(f'cluster_lane {lane}')} {{")
        out.append("\t\t" + _attrs({"bb": bb(PAD, top, right_edge, low), "label": "", "style": "filled",
                                     "fillcolor": colour, "color": colour, "id": f"lane-{lane}",
                                     "class": "lane"}))
        node(heads[lane], "\t\t")
        for sid in model.steps:
            if grid.lane[sid] == lane:
                node(sid, "\t\t")
        out.append("\t}")
    # the lines between lanes, and the dotted lines between stages
    for name, x0, at in line_paths:
        slug = name.replace(" ", "-")
        node(heads[name])
        a, b = f"line-start {slug}", f"line-end {slug}"
        for end, x in ((a, x0), (b, right_edge)):
            out.append(f"\t{quote(end)} [{_attrs({'shape': 'point', 'style': 'invis', 'width': '0.01', 'label': '', 'pos': pos(x, at)})}]")
        path = " ".join(f"{px:.2f},{H - at:.2f}" for px in (x0, x0 + (right_edge - x0) / 3,
                                                            x0 + 2 * (right_edge - x0) / 3, right_edge))
        out.append(f"\t{quote(a)} -> {quote(b)} [{_attrs({'pos': path, 'arrowhead': 'none', 'style': 'dashed', 'penwidth': '1.6', 'color': '#37474F', 'id': f'{slug}-line', 'class': 'line'})}]")
    if grid.stages and len(grid.stages) > 1:
        top = tops.get("evidence", lane_rows[model.lanes[0]])[0]
        low = lane_rows[model.lanes[-1]][1]
        for k, (_, first, _) in enumerate(grid.stages[1:], start=1):
            x = left[first] - gap[first - 1] / 2
            a, b = f"stage-start {k}", f"stage-end {k}"
            for end, yy in ((a, top), (b, low)):
                out.append(f"\t{quote(end)} [{_attrs({'shape': 'point', 'style': 'invis', 'width': '0.01', 'label': '', 'pos': pos(x, yy)})}]")
            path = " ".join(f"{x:.2f},{H - yy:.2f}" for yy in (top, top + (low - top) / 3, top + 2 * (low - top) / 3, low))
            out.append(f"\t{quote(a)} -> {quote(b)} [{_attrs({'pos': path, 'arrowhead': 'none', 'style': 'dotted', 'color': '#90A4AE', 'id': f'stage-divider-{k}', 'class': 'stage-divider'})}]")

    # the flows
    for i, flow in enumerate(model.flows):
        key = (flow.source, flow.target)
        texts = _flow_texts(model, flow, flow_rules)
        attrs = {"id": f"flow-{i}", "class": "flow"}
        worst = _worst(flow_severity.get(key, ()))
        if worst:
            colour, pen, style = SEVERITY_STYLE[worst]
            attrs.update(color=colour, fontcolor=colour, penwidth=str(pen - 0.8), style=style)
            attrs["class"] += f" finding-{worst}"
        if texts:
            attrs["xlabel"] = "\\n".join(texts)
        out.append(f"\t{quote(flow.source)} -> {quote(flow.target)} [{_attrs(attrs)}]")
    for sid, step in model.steps.items():
        if step.timeout is not None:
            attrs = {"id": f"timeout-{sid}", "class": "flow timeout", "style": "dashed", "color": "#6D4C41",
                     "fontcolor": "#6D4C41", "xlabel": _timeout_text(model, sid)}
            out.append(f"\t{quote(sid)} -> {quote(step.timeout.to)} [{_attrs(attrs)}]")
    out.append("}")
    return Drawing(source="\n".join(out) + "\n", lines=lines, report=report, heat=heat, model=model, engine=engine)
