"""The consultant's deliverable: one self-contained file to send a client, HTML or PDF.

:func:`report` checks the blueprint, solves its exact expectations, simulates it and draws it
fitted to a page; with ``after`` it does the same for the redesign and compares the two on
common random numbers (:func:`blueprint.compare`). The result reads top to bottom:

1. the title and what was done (how many cases, replications, the seed);
2. at a glance: the chance of a good outcome, contacts, handoffs, repeated stories, the findings;
3. the picture (both, with ``after``);
4. where it fails: the findings in plain words, numbered as the marks on the picture, each with
   its fix;
5. exact expectations per case, and the simulated KPIs with their 95% intervals;
6. cost and failure demand (:mod:`blueprint.chain.costs`): exact and simulated, the year's figure where
   the arrivals give a rate, and what each figure means;
7. with ``after``: each KPI before and after with its paired interval, and the findings resolved
   and new.

The content is built once as blocks (:class:`Block`); HTML and PDF are two ways of setting the
same blocks. The HTML has everything inline (the SVG pictures, the style sheet; nothing is
fetched). The PDF is set by **Typst** (the ``typst`` package on PyPI: the typesetter compiled
into the wheel, no system install): it breaks lines and tables across pages, embeds and subsets
the fonts, and draws the SVG pictures as vectors, which the ``svg2pdf`` already used for
drawings cannot do for a document of several pages.
"""
from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .chain import stats
from .chain.costs import MEANINGS, saving_sentence, year_sentence
from .checker import check
from .compare import compare
from .drawing.htmlpage import document
from .drawing.labels import headline, marks, plain, what_and_fix
from .drawing.render import svg_of
from .drawing.swimlane import drawing
from .errors import BlueprintError
from .files import write_atomic
from .findings import Report
from .formats import format_of
from .loader import load
from .model import Blueprint
from .numbers import figure, percent
from .simulation import simulate
from .tables import Table, comparison_rows, simulation_tables, stats_tables

__all__ = ["report", "write_report", "Block", "FORMATS"]

#: What a report can be written as.
FORMATS = ("html", "pdf")
#: How many places the report explains in full (the rest are counted).
SHOWN = 10


@dataclass
class Block:
    """One piece of the report: a heading, a paragraph, a picture, a table or the findings."""

    kind: str                        # "title", "heading", "text", "note", "picture", "table", "findings", "glance"
    text: str = ""
    table: Table | None = None
    svg: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Side:
    """What the report says of one blueprint."""

    name: str
    model: Blueprint
    report: Report
    stats: dict | None
    why_no_stats: str
    svg: str
    simulated: dict | None = None


def _side(which: Blueprint | str | Path, default: str, engine: str | None, page: str) -> _Side:
    model = which if isinstance(which, Blueprint) else load(which)
    name = model.name or (default if isinstance(which, Blueprint) else Path(which).stem)
    found = check(model)
    try:
        doc, why = stats(model).to_json(), ""
    except (BlueprintError, ArithmeticError, ValueError) as exc:
        doc, why = None, str(exc)
    svg = svg_of(drawing(model, findings=found, engine=engine, page=page))
    return _Side(name, model, found, doc, why, svg)


def _good(side: _Side) -> float | None:
    if side.stats is None:
        return None
    return sum(p for sid, p in (side.stats.get("outcomes") or {}).items()
               if sid in side.model.steps and side.model.steps[sid].outcome == "success")


def _glance(side: _Side) -> list[dict[str, str]]:
    """The figures a reader sees first."""
    s = side.stats or {}
    sim = side.simulated or {}
    counts = side.report.summary
    items = []
    good = _good(side)
    if good is not None:
        items.append({"label": "chance of a good outcome", "value": percent(round(good, 3))})
    for key, label in (("expected_contacts", "customer contacts per case"),
                       ("expected_story_repeats", "times the customer repeats the story"),
                       ("expected_handoffs", "handoffs between teams per case")):
        if s.get(key) is not None:
            items.append({"label": label, "value": figure(s[key])})
    if s.get("expected_cost") is not None:
        currency = getattr(side.model, "currency", None)
        items.append({"label": "cost per case" + (f" ({currency})" if currency else ""),
                      "value": figure(s["expected_cost"])})
    mean = (sim.get("time_in_system") or {}).get("mean")
    if mean is not None:
        items.append({"label": f"time to an outcome ({sim.get('time_unit')}s, simulated)", "value": figure(mean)})
    items.append({"label": "findings", "value": f"{counts['error']} errors, {counts['warning']} warnings"})
    return items


def _findings(side: _Side, shown: int = SHOWN) -> Block:
    model = side.model
    items = []
    found = marks(model, side.report)
    for mark in found[:shown]:
        where = model.steps[mark.step].name or mark.step if mark.step else "The blueprint as a whole"
        said = []
        for f in mark.findings:
            what, fix = what_and_fix(plain(model, f.message))
            said.append({"headline": headline(f.rule), "severity": f.severity, "what": what, "fix": fix})
        items.append({"number": mark.number, "severity": mark.severity, "where": where, "findings": said})
    more = len(found) - len(items)
    return Block("findings", text=f"And {more} more places: blueprint check lists them all." if more > 0 else "",
                 items=items)


def _cost(side: _Side) -> list[Block]:
    """Cost and failure demand, where the documents carry them (the format's cost keys), the year's
    figure where the arrivals give a rate, and what each figure means."""
    s, sim = side.stats or {}, side.simulated or {}
    ci = sim.get("ci95") or {}

    def pair(key):
        low_high = ci.get(key)
        return f"[{figure(low_high[0])}, {figure(low_high[1])}]" if low_high else ""

    rows = []
    for key, label in (("expected_failure_contacts", "contacts caused by a failure, per case (exact)"),
                       ("expected_cost", "cost per case (exact, without queueing)"),
                       ("expected_failure_cost", "of which after a fail point or on retelling (exact)")):
        if s.get(key) is not None:
            rows.append([label, figure(s[key]), ""])
    failures = (sim.get("failure_contacts") or {}).get("mean")
    if failures is not None:
        rows.append(["contacts caused by a failure, per case (simulated)", figure(failures),
                     pair("failure_contacts.mean")])
    cost = sim.get("cost") or {}
    for key, label in (("mean", "cost per case (simulated: queues, hours, customers giving up)"),
                       ("total", f"cost of all {sim.get('cases', {}).get('arrived', '')} simulated cases")):
        if cost.get(key) is not None:
            rows.append([label, figure(cost[key]), pair(f"cost.{key}")])
    if not rows:
        return []
    currency = getattr(side.model, "currency", None) or ""
    out = [Block("heading", "Cost and failure demand" + (f" ({currency})" if currency else "")),
           Block("table", table=Table(["", "value", "95% interval"], rows, [1]))]
    year = year_sentence({**s, "currency": currency or None})
    return out + ([Block("text", year)] if year else []) + [Block("note", MEANINGS)]


def _about_side(side: _Side) -> list[Block]:
    out = [Block("heading", "Exact expectations per case")]
    if side.stats is None:
        out.append(Block("note", f"The flow chances give no exact figures here: {side.why_no_stats}"))
    else:
        labels = {sid: side.model.steps[sid].name or sid for sid in side.model.steps}
        out += [Block("table", table=t) for t in stats_tables(side.stats, labels)[:2]]
    if side.simulated is not None:
        names = {t: side.model.team_name(t) for t in side.model.teams}
        outcomes = {sid: side.model.steps[sid].name or sid for sid in side.model.steps}
        outcomes.setdefault("abandoned", "abandoned (out of patience)")
        out.append(Block("heading", "Simulated, with the teams' staff and hours"))
        out += [Block("table", table=t) for t in simulation_tables(side.simulated, names, outcomes)]
    return out + _cost(side)


def _kpi_names(*sides: _Side) -> dict[str, str]:
    """What the outcome and team KPIs of a comparison are called, by the blueprints' own names."""
    names = {}
    for side in sides:
        for sid, step in side.model.steps.items():
            if step.is_outcome:
                names.setdefault(f"cases.by_outcome.{sid}", f"cases ending at {step.name or sid}")
        for team in side.model.teams:
            names.setdefault(f"teams.{team}.utilization", f"{side.model.team_name(team)}: share of time busy")
    names["cases.by_outcome.abandoned"] = "cases abandoned (out of patience)"
    return names


def _comparison(doc: dict, before: _Side, after: _Side) -> list[Block]:
    rows = comparison_rows(doc, _kpi_names(before, after))
    out = [Block("heading", f"Before and after: {before.name} and {after.name}"),
           Block("note", "Both simulated on common random numbers: the same customers arrive at the same times, "
                         "so a change is the redesign's doing. Lower is better for every figure but finished cases."),
           Block("table", table=Table(["", "before", "after", "change", "95% interval (paired)", ""], rows, [1, 2, 3]))]
    saving = saving_sentence(doc, (before.stats or {}).get("per_year"), getattr(before.model, "currency", None))
    if saving:
        out.insert(2, Block("text", saving))
    for kind, title, side in (("resolved", "Findings the redesign resolves", before),
                              ("appeared", "Findings the redesign brings", after)):
        found = (doc.get("findings") or {}).get(kind) or []
        if found:
            out.append(Block("heading", title))
            rows = [[headline(f["rule"]), ", ".join(side.model.steps[s].name or s for s in f.get("steps", [])[:3]
                                                    if s in side.model.steps)] for f in found]
            out.append(Block("table", table=Table(["", "where"], rows)))
    return out


def _blocks(before: _Side, after: _Side | None, comparison: dict | None, settings: str) -> list[Block]:
    title = before.name if after is None else f"{before.name}: before and after"
    out = [Block("title", title)]
    if before.model.description:
        out.append(Block("text", before.model.description.strip()))
    out.append(Block("note", settings))
    for side, label in ((before, "As it is" if after else ""), (after, "As it could be")):
        if side is None:
            continue
        out.append(Block("heading", f"{label}: {side.name}" if label else "At a glance"))
        out.append(Block("glance", items=_glance(side)))
    for side, label in ((before, "As it is" if after else "The blueprint"), (after, "As it could be")):
        if side is not None:
            out.append(Block("picture", f"{label}: {side.name}", svg=side.svg))
    out.append(Block("heading", "Where it fails, and the fix"))
    out.append(_findings(before) if len(before.report) else Block("note", "blueprint check finds nothing wrong."))
    if comparison is not None:
        out += _comparison(comparison, before, after)
    out += _about_side(before)
    if after is not None:
        out.append(Block("heading", f"As it could be: {after.name}"))
        if len(after.report):
            out.append(_findings(after))
        out += _about_side(after)
    return out


def report(before: Blueprint | str | Path, *, after: Blueprint | str | Path | None = None, format: str = "html",
           cases: int = 2_000, replications: int = 5, seed: int = 0, engine: str | None = None, page: str = "a4",
           progress: Callable[[str], None] | None = None) -> str | bytes:
    """The consultant's deliverable as one self-contained HTML page or PDF.

    Parameters
    ----------
    before : Blueprint, str or Path
        The service (as it is).
    after : Blueprint, str or Path, optional
        The redesign: both pictures and the comparison of the two.
    format : {"html", "pdf"}
        ``html`` comes back as ``str``, ``pdf`` as ``bytes``.
    cases, replications, seed
        The simulation: `cases` per replication.
    engine : {"system", "embedded"}, optional
        The Graphviz that draws the pictures.
    page : {"a4", "a3"}
        The landscape page the pictures are fitted to.
    progress : callable, optional
        Called with a short note at each stage (simulating, drawing, setting the PDF).

    Examples
    --------
    >>> import blueprint as bp
    >>> model = bp.loads('''
    ... name: Help line
    ... teams: {desk: {name: Help desk, staff: 1}}
    ... steps:
    ...   ask: {name: Asks a question, lane: customer, channel: phone}
    ...   answer: {name: Answers, lane: frontstage, owner: desk, duration: 5}
    ...   done: {outcome: success}
    ... flows: [[ask, answer], [answer, done]]
    ... arrivals: {every: 10}
    ... ''')
    >>> page = report(model, cases=200, replications=2)
    >>> page.startswith("<!DOCTYPE html>"), page.count("<svg") >= 1, "Help desk" in page
    (True, True, True)
    """
    if format not in FORMATS:
        raise BlueprintError(f"cannot write a report as '{format}'; use html or pdf")
    say = progress or (lambda note: None)
    say("checking and drawing")
    first = _side(before, "Before", engine, page)
    second = _side(after, "After", engine, page) if after is not None else None
    settings = (f"Simulated: {replications} replications of {cases:,} cases each, seed {seed}. "
                f"Exact figures from the flow chances. Made with blueprint {_version()}.")
    comparison = None
    if second is None:
        say(f"simulating {replications} x {cases:,} cases")
        first.simulated = simulate(first.model, cases=cases, replications=replications, seed=seed).to_json()
    else:
        say(f"simulating {replications} x {cases:,} cases before and after, on common random numbers")
        both = compare(first.model, second.model, cases=cases, replications=replications, seed=seed)
        comparison = both.to_json()
        comparison["changes"] = [first.name, second.name]
        first.simulated, second.simulated = comparison["baseline"], comparison["scenario"]
    blocks = _blocks(first, second, comparison, settings)
    title = blocks[0].text
    if format == "html":
        return document(title, [_html(b) for b in blocks])
    say("setting the PDF")
    return _pdf(title, blocks)


def _version() -> str:
    try:
        return version("blueprint")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "(from source)"


def write_report(path: str | Path, before, **options: Any) -> None:
    """Write :func:`report` to `path`, as HTML or PDF by its extension, atomically."""
    fmt = format_of(path, FORMATS, options.pop("format", None), hint="")
    write_atomic(path, report(before, format=fmt, **options))


# --- HTML ------------------------------------------------------------------------------------------------
def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html(block: Block) -> str:
    if block.kind == "title":
        return f"<h1>{_e(block.text)}</h1>"
    if block.kind == "heading":
        return f"<h2>{_e(block.text)}</h2>"
    if block.kind == "text":
        return f'<p class="about">{_e(block.text)}</p>'
    if block.kind == "note":
        return f'<p class="note">{_e(block.text)}</p>'
    if block.kind == "picture":
        return f'<h2>{_e(block.text)}</h2>\n<div class="drawing">{block.svg}</div>'
    if block.kind == "table":
        return block.table.html()
    if block.kind == "glance":
        cells = "".join(f'<div class="glance"><div class="value">{_e(i["value"])}</div>'
                        f'<div class="label">{_e(i["label"])}</div></div>' for i in block.items)
        return f'<div class="glances">{cells}</div>'
    items = []
    for item in block.items:
        said = "".join(f'<p><b>{_e(f["headline"])}</b> ({_e(f["severity"])}). {_e(f["what"])}'
                       + (f' <span class="fix">Fix: {_e(f["fix"])}</span>' if f["fix"] else "") + "</p>"
                       for f in item["findings"])
        items.append(f'<li class="{_e(item["severity"])}"><span class="num {_e(item["severity"])}">{item["number"]}'
                     f'</span><span class="where">{_e(item["where"])}</span>{said}</li>')
    tail = f'<p class="note">{_e(block.text)}</p>' if block.text else ""
    return '<ol class="findings">\n' + "\n".join(items) + "\n</ol>" + tail


# --- PDF (Typst) ---------------------------------------------------------------------------------------
def _t(text: Any) -> str:
    """A Typst string literal: user text is never read as markup."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


_SEVERITY = {"error": "rgb(\"#C62828\")", "warning": "rgb(\"#E65100\")", "info": "rgb(\"#1565C0\")"}
_PREAMBLE = """#set document(title: {title})
#set page(paper: "a4", margin: (x: 1.8cm, y: 1.6cm), numbering: "1 / 1")
#set text(font: ("DejaVu Sans", "Libertinus Serif"), size: 9.5pt, fill: rgb("#263238"))
#set par(justify: false, leading: 0.55em)
#show heading: set text(fill: rgb("#263238"))
#set table(stroke: (x, y) => (bottom: 0.4pt + rgb("#CFD8DC")), inset: (x: 5pt, y: 3.5pt),
  fill: (x, y) => if y == 0 {{ rgb("#ECEFF1") }})
"""


def _typst(block: Block, images: dict[str, str]) -> str:
    if block.kind == "title":
        return f"#text(size: 20pt, weight: \"bold\", {_t(block.text)})\n"
    if block.kind == "heading":
        return f"#heading(level: 2, {_t(block.text)})\n"
    if block.kind in ("text", "note"):
        colour = ', fill: rgb("#546E7A")' if block.kind == "note" else ""
        return f"#par(text(size: {9 if block.kind == 'note' else 10}pt{colour}, {_t(block.text)}))\n"
    if block.kind == "picture":
        key = f"picture{len(images)}"
        images[key] = block.svg
        return (f'#page(flipped: true, margin: 1cm)[#text(size: 11pt, weight: "bold", {_t(block.text)})\n'
                f'#align(center + horizon, image(bytes(sys.inputs.{key}), format: "svg", width: 100%, '
                f'height: 94%, fit: "contain"))]\n')
    if block.kind == "table":
        t = block.table
        align = ", ".join("right" if i in t.numeric else "left" for i in range(len(t.headers)))
        cells = [f"table.header({', '.join(f'strong({_t(h)})' for h in t.headers)})"]
        cells += [_t(c) for row in t.rows for c in row]
        caption = f"#text(weight: \"bold\", {_t(t.caption)})\n" if t.caption else ""
        return (f"{caption}#table(columns: {len(t.headers)}, align: ({align},), {', '.join(cells)})\n"
                "#v(4pt)\n")
    if block.kind == "glance":
        cells = ", ".join(f'[#text(size: 16pt, weight: "bold", {_t(i["value"])}) \\ '
                          f'#text(size: 8.5pt, fill: rgb("#546E7A"), {_t(i["label"])})]' for i in block.items)
        return f"#grid(columns: (1fr,) * {min(len(block.items), 3)}, gutter: 10pt, {cells})\n"
    out = []
    for item in block.items:
        colour = _SEVERITY[item["severity"]]
        said = " ".join(f'#par[#strong({_t(f["headline"])}) (#{_t(f["severity"])}). #text({_t(f["what"])})'
                        + (f' #text(fill: rgb("#1B5E20"), {_t("Fix: " + f["fix"])})' if f["fix"] else "") + "]"
                        for f in item["findings"])
        out.append(f'#block(breakable: false, stroke: (left: 2.5pt + {colour}), inset: (left: 8pt, y: 4pt), '
                   f'width: 100%)[#box(circle(radius: 6pt, fill: {colour}, align(center + horizon, '
                   f'text(fill: white, size: 7.5pt, weight: "bold", {_t(item["number"])})))) '
                   f'#strong({_t(item["where"])}) {said}]\n#v(3pt)\n')
    if block.text:
        out.append(f"#par(text(size: 9pt, {_t(block.text)}))\n")
    return "".join(out)


def _pdf(title: str, blocks: list[Block]) -> bytes:
    try:
        import typst  # the typesetter, an optional import: only a PDF report needs it
    except ImportError:  # pragma: no cover - a dependency
        raise BlueprintError("a PDF report needs the typst package: pip install typst") from None
    images: dict[str, str] = {}
    body = "".join(_typst(b, images) for b in blocks)
    source = _PREAMBLE.format(title=_t(title)) + body
    try:
        return bytes(typst.compile(source.encode("utf-8"), sys_inputs=images))
    except Exception as exc:  # typst reports its own error type  # noqa: BLE001
        raise BlueprintError(f"could not set the PDF: {str(exc).splitlines()[0] if str(exc) else exc}") from None
