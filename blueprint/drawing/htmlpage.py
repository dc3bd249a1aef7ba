"""One self-contained HTML page of a blueprint: the drawing, the findings and the exact stats.

Everything is inline (the SVG, the style sheet; no script, font or image is fetched), so the page
opens from a file or an e-mail attachment without a network. The report
(:mod:`blueprint.report`) builds on the same parts.
"""
from __future__ import annotations

import html
from typing import Any

from ..chain import stats
from ..errors import BlueprintError
from ..findings import Report
from ..model import Blueprint
from ..tables import html_table, stats_table
from .heat import Heat
from .labels import headline, marks, plain, what_and_fix
from .style import FONTS, SEVERITY_COLOUR

__all__ = ["page", "findings_html", "stats_html", "STYLE", "document"]

STYLE = f"""
body {{ font-family: {FONTS}; color: #263238; margin: 24px auto; max-width: 1200px; padding: 0 16px; }}
h1 {{ font-size: 24px; margin: 0 0 4px; }} h2 {{ font-size: 18px; margin: 32px 0 8px; }}
h3 {{ font-size: 15px; margin: 20px 0 6px; }}
p.about {{ color: #546E7A; max-width: 70em; }}
.drawing {{ border: 1px solid #CFD8DC; padding: 8px; background: white; }}
.drawing svg {{ width: 100%; height: auto; }}
table.blueprint {{ border-collapse: collapse; font-size: 13px; margin: 6px 0 14px; }}
table.blueprint caption {{ text-align: left; font-weight: bold; padding: 4px 0; }}
table.blueprint th, table.blueprint td {{ text-align: left; padding: 4px 10px; border-bottom: 1px solid #ECEFF1;
  vertical-align: top; }}
table.blueprint th {{ background: #ECEFF1; }}
ol.findings {{ padding-left: 0; list-style: none; }}
ol.findings li {{ margin: 0 0 12px; padding: 6px 10px; border-left: 4px solid #B0BEC5; background: #FAFAFA; }}
ol.findings li.error {{ border-color: {SEVERITY_COLOUR['error']}; }}
ol.findings li.warning {{ border-color: {SEVERITY_COLOUR['warning']}; }}
ol.findings li.info {{ border-color: {SEVERITY_COLOUR['info']}; }}
.num {{ display: inline-block; min-width: 1.4em; height: 1.4em; line-height: 1.4em; border-radius: 0.7em;
  color: white; text-align: center; font-weight: bold; font-size: 12px; margin-right: 6px; }}
.num.error {{ background: {SEVERITY_COLOUR['error']}; }} .num.warning {{ background: {SEVERITY_COLOUR['warning']}; }}
.num.info {{ background: {SEVERITY_COLOUR['info']}; }}
.fix {{ color: #1B5E20; }} .where {{ font-weight: bold; }}
.note {{ color: #546E7A; font-size: 13px; }}
@media print {{ body {{ margin: 0; max-width: none; }} h2 {{ break-after: avoid; }} .drawing {{ border: none; }} }}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def findings_html(model: Blueprint, report: Report | None, shown: int | None = None) -> str:
    """The findings as a numbered list in plain words, the numbers those of the marks on the
    drawing: where, what is wrong, and the fix.

    Examples
    --------
    >>> from blueprint import loads, check
    >>> m = loads("steps: {email: {name: Emails the manager, lane: customer, channel: email},"
    ...           " inbox: {name: Email auto-sorted, lane: backstage}}\\nflows: [[email, inbox]]")
    >>> text = findings_html(m, check(m))
    >>> "The case stops here" in text and "[inbox]" not in text
    True
    """
    if report is None:
        return ""
    if not len(report):
        return "<p>No findings: <code>blueprint check</code> finds nothing wrong.</p>"
    items = []
    found = marks(model, report)
    for mark in found[:shown]:
        where = model.steps[mark.step].name or mark.step if mark.step else "The blueprint as a whole"
        parts = []
        for f in mark.findings:
            what, fix = what_and_fix(plain(model, f.message))
            parts.append(f"<p><b>{_e(headline(f.rule))}</b> ({_e(f.severity)}). {_e(what)}"
                         + (f' <span class="fix">Fix: {_e(fix)}</span>' if fix else "") + "</p>")
        items.append(f'<li class="{_e(mark.severity)}"><span class="num {_e(mark.severity)}">{mark.number}</span>'
                     f'<span class="where">{_e(where)}</span>{"".join(parts)}</li>')
    more = len(found) - len(items)
    tail = (f'<p class="note">And {more} more places: <code>blueprint check</code> lists them all.</p>'
            if more > 0 else "")
    return '<ol class="findings">\n' + "\n".join(items) + "\n</ol>" + tail


def stats_html(model: Blueprint) -> str:
    """The exact expectations per case as tables ('' where the chain cannot answer)."""
    try:
        doc = stats(model).to_json()
    except (BlueprintError, ArithmeticError, ValueError):
        return ""
    labels = {sid: model.steps[sid].name or sid for sid in model.steps}
    return stats_table(doc, labels)


def _heat_table(heat: Heat | None, model: Blueprint) -> str:
    if heat is None or not heat.utilization:
        return ""
    rows = [[model.team_name(t), f"{u:.0%}"] for t, u in sorted(heat.utilization.items(), key=lambda kv: -kv[1])]
    source = f" from {heat.source}" if heat.source else ""
    return f"<h2>Team utilisation (simulated{_e(source)})</h2>\n" + html_table(["team", "busy"], rows, numeric=[1])


def document(title: str, body: list[str]) -> str:
    """A complete HTML document with the style sheet inline."""
    head = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>", f"<style>{STYLE}</style>", "</head><body>"]
    return "\n".join(head + [b for b in body if b] + ["</body></html>"]) + "\n"


def page(model: Blueprint, svg: str, report: Report | None = None, heat: Heat | None = None) -> str:
    """A self-contained HTML page: the drawing inline, the findings and the stats.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("name: Help\\nsteps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]")
    >>> text = page(model, '<svg xmlns="http://www.w3.org/2000/svg"/>')
    >>> text.startswith("<!DOCTYPE html>"), "<svg" in text, "http://" in text.replace("http://www.w3.org/", "")
    (True, True, False)
    """
    title = model.name or "Service blueprint"
    found = findings_html(model, report)
    return document(title, [
        f"<h1>{_e(title)}</h1>",
        f'<p class="about">{_e(model.description)}</p>' if model.description else "",
        f'<div class="drawing">{svg}</div>',
        f"<h2>Where it fails ({', '.join(f'{n} {s}' for s, n in report.summary.items())})</h2>\n{found}"
        if report is not None else "",
        _heat_table(heat, model),
        "<h2>Exact expectations per case (<code>blueprint stats</code>)</h2>\n" + stats_html(model),
    ])
