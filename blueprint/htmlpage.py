"""One self-contained HTML page of a blueprint: the drawing, the findings and the exact stats.

Everything is inline (the SVG, the style sheet; no script, font or image is fetched), so the page
opens from a file or an e-mail attachment without a network.
"""
from __future__ import annotations

import html
import math
from typing import Any

from .findings import Report
from .heat import Heat
from .model import Blueprint

__all__ = ["page"]

STYLE = """
body { font-family: 'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif; color: #263238; margin: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
p.about { color: #546E7A; max-width: 70em; }
.drawing { overflow-x: auto; border: 1px solid #CFD8DC; padding: 8px; background: white; }
.drawing svg { height: auto; max-width: none; }
table { border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid #ECEFF1; vertical-align: top; }
th { background: #ECEFF1; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.error { color: #C62828; font-weight: bold; } .warning { color: #E65100; font-weight: bold; }
.info { color: #1565C0; }
code { font-size: 12px; background: #F5F5F5; padding: 0 3px; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _findings_table(report: Report | None, model: Blueprint) -> str:
    if report is None:
        return ""
    if not len(report):
        return "<h2>Findings</h2>\n<p>No findings: <code>blueprint check</code> finds nothing wrong.</p>"
    rows = []
    for f in report:
        where = ", ".join(_e(model.label(s)) for s in f.steps if s in model.steps)
        rows.append(f'<tr><td class="{_e(f.severity)}">{_e(f.severity)}</td><td><code>{_e(f.rule)}</code></td>'
                    f"<td>{_e(f.message)}</td><td>{where}</td></tr>")
    counts = ", ".join(f"{n} {s}" for s, n in report.summary.items())
    return (f"<h2>Findings ({_e(counts)})</h2>\n<table><tr><th>severity</th><th>rule</th><th>what</th>"
            f"<th>where</th></tr>\n" + "\n".join(rows) + "\n</table>")


def _stats_tables(model: Blueprint) -> str:
    import blueprint

    stats = getattr(blueprint, "stats", None)
    if not callable(stats):
        return ""
    try:
        data = stats(model)
        data = data.to_json() if hasattr(data, "to_json") else dict(data)
    except (blueprint.BlueprintError, ArithmeticError, ValueError, TypeError):
        return ""
    unit = data.get("time_unit", model.time_unit)

    def num(x: Any) -> str:
        if x is None:
            return "without end"  # a loop with no way out; why_null says which
        return f"{x:.3g}" if isinstance(x, (int, float)) and math.isfinite(x) else _e(x)

    rows = [("chance the case never finishes", num(data.get("never_finishes"))),
            ("expected customer contacts", num(data.get("expected_contacts"))),
            ("expected handoffs", num(data.get("expected_handoffs"))),
            (f"expected time, without queueing ({_e(unit)}s)", num(data.get("expected_duration")))]
    out = ["<h2>Exact expectations per case (<code>blueprint stats</code>)</h2>", "<table>"]
    out += [f'<tr><td>{label}</td><td class="num">{value}</td></tr>' for label, value in rows]
    out.append("</table>")
    outcomes = data.get("outcomes") or {}
    if outcomes:
        out.append("<h2>Outcomes</h2>\n<table><tr><th>outcome</th><th>chance</th></tr>")
        out += [f'<tr><td>{_e(model.label(s) if s in model.steps else s)}</td><td class="num">{num(p)}</td></tr>'
                for s, p in outcomes.items()]
        out.append("</table>")
    visits = data.get("expected_visits") or {}
    if visits:
        out.append("<h2>Expected visits per case</h2>\n<table><tr><th>step</th><th>visits</th></tr>")
        out += [f'<tr><td>{_e(model.label(s) if s in model.steps else s)}</td><td class="num">{num(v)}</td></tr>'
                for s, v in sorted(visits.items(), key=lambda kv: -math.inf if kv[1] is None else -kv[1])]
        out.append("</table>")
    why = data.get("why_null") or {}
    if why:
        out.append("<h2>Figures without an answer</h2>\n<ul>")
        out += [f"<li><code>{_e(key)}</code>: {_e(reason)}</li>" for key, reason in why.items()]
        out.append("</ul>")
    return "\n".join(out)


def _heat_table(heat: Heat | None, model: Blueprint) -> str:
    if heat is None or not heat.utilization:
        return ""
    rows = [f'<tr><td>{_e(model.team_name(t))}</td><td class="num">{u:.0%}</td></tr>'
            for t, u in sorted(heat.utilization.items(), key=lambda kv: -kv[1])]
    source = f" from <code>{_e(heat.source)}</code>" if heat.source else ""
    return (f"<h2>Team utilisation (simulated{source})</h2>\n<table><tr><th>team</th><th>busy</th></tr>\n"
            + "\n".join(rows) + "\n</table>")


def page(model: Blueprint, svg: str, report: Report | None = None, heat: Heat | None = None) -> str:
    """A self-contained HTML page: the drawing inline, the findings table and the stats.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("name: Help\\nsteps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]")
    >>> text = page(model, '<svg xmlns="http://www.w3.org/2000/svg"/>')
    >>> text.startswith("<!DOCTYPE html>"), "<svg" in text, "http://" in text.replace("http://www.w3.org/", "")
    (True, True, False)
    """
    title = model.name or "Service blueprint"
    about = f'<p class="about">{_e(model.description)}</p>' if model.description else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head><body>",
        f"<h1>{_e(title)}</h1>",
        about,
        f'<div class="drawing">{svg}</div>',
        _findings_table(report, model),
        _heat_table(heat, model),
        _stats_tables(model),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
