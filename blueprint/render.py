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
- with ``findings`` (the default) the steps and flows that :func:`blueprint.check` finds fault
  with are outlined by severity (error: thick solid, warning: dashed, info: dotted) and carry the
  rule ids (⚑); with ``heat`` (the JSON of ``blueprint simulate``) steps are shaded by the
  expected visits per case and teams by their utilisation. A legend under the drawing explains it.

:mod:`blueprint.swimlane` lays it out, Graphviz (:mod:`blueprint.engines`) routes the arrows and
draws the SVG, :mod:`blueprint.dress` styles it and adds the legend; PNG and PDF are made from that
SVG, so every format looks the same whichever Graphviz drew it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import BlueprintError
from .model import Blueprint

__all__ = ["render", "to_dot", "format_for", "FORMATS", "EXTENSIONS"]

#: What :func:`render` can draw, and the type each comes back as.
FORMATS = {"svg": str, "png": bytes, "pdf": bytes, "dot": str, "mermaid": str, "html": str}
#: The format a file's extension names.
EXTENSIONS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot",
              ".mmd": "mermaid", ".mermaid": "mermaid", ".html": "html", ".htm": "html"}


def format_for(path: str | Path, format: str | None = None) -> str:
    """The format to write: `format` when given, else the one the file's extension names.

    Examples
    --------
    >>> format_for("fires.png"), format_for("fires.out", "svg"), format_for("notes.mmd")
    ('png', 'svg', 'mermaid')
    """
    if format:
        fmt = format.lower().lstrip(".")
        if fmt not in FORMATS:
            raise BlueprintError(f"cannot draw '{format}'; use one of {', '.join(FORMATS)}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in EXTENSIONS:
        raise BlueprintError(f"cannot tell the format of '{path}' from its extension; end it with "
                             f"{', '.join(EXTENSIONS)} or give --format")
    return EXTENSIONS[suffix]


def to_dot(model: Blueprint, *, findings: Any = True, heat: Any = None, engine: str | None = None) -> str:
    """The blueprint as Graphviz DOT, every step pinned in its lane and column (``layout=nop2``).

    Each lane is a cluster ``cluster_lane LANE`` holding its steps (named by step id), in lane
    order; every flow is an edge. ``dot -Tsvg`` draws it as :func:`render` does, without the legend.

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
    from .swimlane import drawing

    return drawing(model, findings=findings, heat=heat, engine=engine).source


def render(model: Blueprint, format: str = "svg", *, findings: Any = True, heat: Any = None,
           engine: str | None = None) -> str | bytes:
    """Draw the blueprint as a swimlane diagram.

    Parameters
    ----------
    model : Blueprint
        What to draw.
    format : {"svg", "png", "pdf", "dot", "mermaid", "html"}
        ``svg``, ``dot``, ``mermaid`` and ``html`` come back as ``str``; ``png`` and ``pdf`` as
        ``bytes``. ``html`` is one self-contained page: the drawing, the findings and the stats.
    findings : bool or Report
        Outline what :func:`blueprint.check` finds (default), with the rule ids and a legend.
    heat : dict, str, Path or None
        The JSON of ``blueprint simulate`` (or its file): teams shaded by utilisation, steps by
        expected visits per case.
    engine : {"system", "embedded"}, optional
        Which Graphviz draws; default the system ``dot`` when it is on PATH, else the embedded one.

    Raises
    ------
    BlueprintError
        For an unknown format, a heat file that cannot be used, or a drawing Graphviz cannot make.

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
        from .mermaid import to_mermaid

        return to_mermaid(model, findings=findings)
    from .swimlane import drawing

    laid_out = drawing(model, findings=findings, heat=heat, engine=engine)
    if fmt == "dot":
        return laid_out.source
    from .dress import dress
    from .engines import run_graphviz, svg_to_pdf, svg_to_png

    raw = run_graphviz(laid_out.source, "svg", engine=laid_out.engine, layout="nop2")
    svg = dress(raw.decode("utf-8", "replace"), laid_out)
    if fmt == "svg":
        return svg
    if fmt == "png":
        return svg_to_png(svg)
    if fmt == "pdf":
        try:
            return svg_to_pdf(svg)
        except BlueprintError:
            if laid_out.engine != "system":
                raise
            return run_graphviz(laid_out.source, "pdf", engine="system", layout="nop2")  # without the legend
    from .htmlpage import page

    return page(model, svg, laid_out.report, laid_out.heat)
