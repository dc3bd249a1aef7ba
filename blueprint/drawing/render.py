"""Drawing a blueprint as the swimlane diagram a consultant puts in front of a client.

The picture reads like a service blueprint, not like a generic graph:

- the lanes run across the page, top to bottom in the blueprint's lane order, each labelled at
  the left, with the **line of interaction**, the **line of visibility** and the **line of
  internal interaction** drawn and named between them;
- the stages are columns, named at the top and parted by dotted lines; each step sits in its
  lane and in its stage, in journey order left to right;
- flows are arrows with their chance on them; a timeout's way out is dashed; ``split``/``join``
  steps say so (⇉, ⇛);
- physical evidence sits in a row above the customer lane, over its step; fail points (⚠) are
  written on their step; staff steps name their team (in italics); customer contacts name their
  channel (☎); outcomes are terminal shapes: success a double ellipse (✔), failure an octagon (✖);
- customer contacts carry their channel's icon (phone, email, letter, store, social, chat, a
  visit at home; a plain mark for any other); how the customer feels is a curve across the
  customer's steps; an outside party's steps sit in a hatched strip of their lane;
- with ``findings`` (the default) each finding is a numbered mark on the one step where it bites
  (errors also outline the step), and the key beside the drawing says in plain words what each
  mark means; the key also says who holds which case record;
- with ``heat`` (the JSON of ``blueprint simulate``) steps are shaded by the expected visits per
  case and teams by their utilisation;
- the drawing is fitted to a landscape page (``page``: A4 by default, A3, or none): a long journey
  is cut into bands, stage by stage, never wider than twice its height.

:mod:`blueprint.drawing.swimlane` lays it out, Graphviz (:mod:`blueprint.drawing.engines`) routes the arrows and
draws the SVG, :mod:`blueprint.drawing.dress` styles it and draws what Graphviz cannot; PNG and PDF are
made from that SVG, so every format looks the same whichever Graphviz drew it.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import BlueprintError
from ..formats import format_of
from ..model import Blueprint
from .dress import dress
from .engines import run_graphviz, svg_to_pdf, svg_to_png
from .htmlpage import page as html_page
from .mermaid import to_mermaid
from .swimlane import PAGE_CHOICES, Drawing, drawing

__all__ = ["render", "to_dot", "format_for", "FORMATS", "PAGE_CHOICES", "svg_of"]

#: What :func:`render` can draw, and the type each comes back as.
FORMATS = {"svg": str, "png": bytes, "pdf": bytes, "dot": str, "mermaid": str, "html": str}


def format_for(path: str | Path, format: str | None = None) -> str:
    """The format to draw: `format` when given, else the one the file's extension names.

    Examples
    --------
    >>> format_for("fires.png"), format_for("fires.out", "svg"), format_for("notes.mmd")
    ('png', 'svg', 'mermaid')
    """
    return format_of(path, FORMATS, format)


def to_dot(model: Blueprint, *, findings: Any = True, heat: Any = None, engine: str | None = None,
           page: str | None = "a4") -> str:
    """The blueprint as Graphviz DOT, every step pinned in its lane and column (``layout=nop2``).

    Each lane is a cluster ``cluster_lane LANE`` holding its steps (named by step id), in lane
    order (``cluster_lane LANE bandN`` in the Nth band of a long journey); every flow is an edge.
    ``dot -Tsvg`` draws it as :func:`render` does, without the marks, icons and key samples.

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
    >>> source = to_dot(model, engine="embedded")
    >>> source.startswith("digraph"), '"cluster_lane customer"' in source, "Help desk" in source
    (True, True, True)
    """
    return drawing(model, findings=findings, heat=heat, engine=engine, page=page).source


def svg_of(laid_out: Drawing) -> str:
    """The dressed SVG of a laid-out drawing."""
    raw = run_graphviz(laid_out.source, "svg", engine=laid_out.engine, layout="nop2")
    return dress(raw.decode("utf-8", "replace"), laid_out)


def on_page(svg: str, page: tuple[float, float]) -> str:
    """The SVG as a page of this size, the drawing centred and scaled to fit it (for ``svg2pdf``,
    which makes a PDF point of each SVG pixel).

    Examples
    --------
    >>> on_page('<svg width="200pt" height="100pt" viewBox="0 0 200 100"></svg>', (842, 595))[:56]
    '<svg width="842" height="595" viewBox="0 0 200 100"></sv'
    """
    head, sep, rest = svg.partition(">")
    head = re.sub(r'\bwidth="[^"]*"', f'width="{page[0]:g}"', head, count=1)
    head = re.sub(r'\bheight="[^"]*"', f'height="{page[1]:g}"', head, count=1)
    return head + sep + rest


#: The most steps drawn unless asked for more: Graphviz's layout grows much faster than the
#: blueprint (250 layered steps take about 7 s, 1,000 about 85 s, 500 steps of random flows over
#: 5 minutes), and a page of more steps cannot be read anyway.
MOST_STEPS_DRAWN = 500


def too_large_to_draw(model: Blueprint, max_steps: int | None, option: str = "max_steps",
                      file: str | None = None) -> None:
    """Refuse, before Graphviz starts, a blueprint with more than `max_steps` steps or twice as many
    flows (``None``: no limit).

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {a: {lane: customer}, b: {lane: customer}, ok: {outcome: success}}\\n"
    ...               "flows: [[a, b], [b, ok]]")
    >>> too_large_to_draw(model, 3)
    >>> too_large_to_draw(model, 2, "--max-steps", file="shop.yaml")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: shop.yaml: the blueprint has 3 steps and 2 flows, more than the 2 steps ...
    ... raise the limit with --max-steps 3
    """
    if max_steps is None:
        return
    steps, flows = len(model.steps), len(model.flows)
    if steps > max_steps or flows > 2 * max_steps:
        raise BlueprintError(
            f"the blueprint has {steps:,} steps and {flows:,} flows, more than the {max_steps:,} steps "
            f"(or {2 * max_steps:,} flows) drawn at most: Graphviz would take minutes and the page could "
            f"not be read. Draw a smaller part, or raise the limit with {option} "
            f"{max(steps, (flows + 1) // 2)}", file=file)


def render(model: Blueprint, format: str = "svg", *, findings: Any = True, heat: Any = None,
           engine: str | None = None, page: str | None = "a4",
           max_steps: int | None = MOST_STEPS_DRAWN) -> str | bytes:
    """Draw the blueprint as a swimlane diagram.

    Parameters
    ----------
    model : Blueprint
        What to draw.
    format : {"svg", "png", "pdf", "dot", "mermaid", "html"}
        ``svg``, ``dot``, ``mermaid`` and ``html`` come back as ``str``; ``png`` and ``pdf`` as
        ``bytes``. ``html`` is one self-contained page: the drawing, the findings and the stats.
    findings : bool or Report
        Mark what :func:`blueprint.check` finds (default), explained in plain words in the key.
    heat : dict, str, Path or None
        The JSON of ``blueprint simulate`` (or its file): teams shaded by utilisation, steps by
        expected visits per case.
    engine : {"system", "embedded"}, optional
        Which Graphviz draws; default the system ``dot`` when it is on PATH, else the embedded one.
    page : {"a4", "a3", "none"}
        The landscape page the drawing is fitted to; a PDF is that page. ``"none"``: one band, at
        the drawing's own size.
    max_steps : int or None
        Refuse a blueprint of more steps (or more than twice as many flows) before Graphviz starts
        (:data:`MOST_STEPS_DRAWN` by default; ``None``: no limit). A Mermaid drawing has no limit.

    Raises
    ------
    BlueprintError
        For an unknown format or page, a heat file that cannot be used, a blueprint over
        `max_steps`, or a drawing Graphviz cannot make.

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
    >>> svg = render(model, "svg")
    >>> svg.startswith("<svg"), "Asks a question" in svg, "line of interaction" in svg
    (True, True, True)
    >>> render(model, "png")[:4]
    b'\\x89PNG'
    """
    fmt = format_for("", format or "svg")
    if fmt == "mermaid":
        return to_mermaid(model, findings=findings)
    too_large_to_draw(model, max_steps)
    laid_out = drawing(model, findings=findings, heat=heat, engine=engine, page=page)
    if fmt == "dot":
        return laid_out.source
    svg = svg_of(laid_out)
    if fmt == "svg":
        return svg
    if fmt == "png":
        return svg_to_png(svg)
    if fmt == "pdf":
        sheet = laid_out.sheet.page
        return svg_to_pdf(on_page(svg, sheet) if sheet else svg)
    return html_page(model, svg, laid_out.report, laid_out.heat)
