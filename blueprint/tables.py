"""The JSON documents of ``check``, ``stats``, ``simulate`` and ``whatif``/``compare`` as HTML tables.

Jupyter shows a result by its ``_repr_html_``, which calls these; the report
(:mod:`blueprint.report`) puts the same tables in its page. They read the documents of SPEC §4
with ``.get``, so a key added later (a cost, failure contacts) shows up where it is present and
nothing breaks where it is not.
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .numbers import figure, interval, percent, signed
from .requirements import flatten

__all__ = ["Table", "html_table", "check_table", "stats_table", "stats_tables", "simulation_table",
           "simulation_tables", "comparison_table", "comparison_rows", "KPI_NAMES", "HEADLINE"]

#: What each KPI of the simulate document is called for people, in the order tables show them.
KPI_NAMES = {
    "time_in_system.mean": "time to an outcome, mean",
    "time_in_system.p50": "time to an outcome, median",
    "time_in_system.p90": "time to an outcome, 90th percentile",
    "time_in_system.p95": "time to an outcome, 95th percentile",
    "contacts.mean": "customer contacts per case",
    "failure_contacts.mean": "contacts caused by a failure, per case",
    "handoffs.mean": "handoffs per case",
    "story_repeats.mean": "times the customer repeats the story",
    "cost.mean": "cost per case",
    "cost.total": "cost, all cases",
    "cases.finished": "cases finished",
    "cases.in_progress": "cases still open",
}
#: The KPIs a comparison shows first (those present in the document).
HEADLINE = tuple(KPI_NAMES)
_STYLE = "border-collapse:collapse"


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


@dataclass
class Table:
    """A table as plain cells, for HTML (:meth:`html`) or any other typesetting."""

    headers: list[str]
    rows: list[list[str]]
    numeric: Sequence[int] = ()
    caption: str | None = None

    def html(self) -> str:
        return html_table(self.headers, self.rows, caption=self.caption, numeric=self.numeric)


def html_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, caption: str | None = None,
               numeric: Sequence[int] = ()) -> str:
    """An HTML table; cells are escaped, the columns in `numeric` aligned right.

    Examples
    --------
    >>> print(html_table(["step", "visits"], [["Asks <a>", "1.5"]], numeric=[1]).replace("<thead>", "\\n<thead>"))
    <table class="blueprint" style="border-collapse:collapse">
    <thead><tr><th>step</th><th style="text-align:right">visits</th></tr></thead>
    <tbody>
    <tr><td>Asks &lt;a&gt;</td><td style="text-align:right">1.5</td></tr>
    </tbody></table>
    """
    right = ' style="text-align:right"'
    head = "".join(f"<th{right if i in numeric else ''}>{_e(h)}</th>" for i, h in enumerate(headers))
    body = "\n".join("<tr>" + "".join(f"<td{right if i in numeric else ''}>{_e(c)}</td>" for i, c in enumerate(row))
                     + "</tr>" for row in rows)
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return (f'<table class="blueprint" style="{_STYLE}">{cap}<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table>")


def check_table(doc: Mapping[str, Any]) -> str:
    """The findings of a ``check`` document, most serious first.

    Examples
    --------
    >>> doc = {"file": "x.yaml", "findings": [{"rule": "dead-end", "severity": "error", "message": "Stops",
    ...        "steps": ["a"], "flows": []}], "summary": {"error": 1, "warning": 0, "info": 0}}
    >>> "<td>dead-end</td>" in check_table(doc)
    True
    """
    findings = doc.get("findings") or []
    summary = doc.get("summary") or {}
    counts = ", ".join(f"{n} {s}" for s, n in summary.items())
    caption = f"{doc.get('file') or 'Findings'}: {counts or 'no findings'}"
    if not findings:
        return html_table(["finding"], [["no findings"]], caption=caption)
    rows = [[f.get("severity"), f.get("rule"), f.get("message"), ", ".join(f.get("steps") or [])] for f in findings]
    return html_table(["severity", "rule", "what", "steps"], rows, caption=caption)


def stats_tables(doc: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> list[Table]:
    """The tables of a ``stats`` document: per-case expectations, outcome chances, expected visits.

    Examples
    --------
    >>> doc = {"time_unit": "hour", "outcomes": {"done": 1.0}, "never_finishes": 0.0,
    ...        "expected_visits": {"a": 2.0}, "expected_contacts": 2.0}
    >>> [t.rows for t in stats_tables(doc)][:2]
    [[['customer contacts', '2'], ['chance it never finishes', '0%']], [['done', '100%']]]
    """
    labels = labels or {}
    unit = doc.get("time_unit", "")
    per_case = [(label, doc.get(key)) for key, label in (
        ("expected_contacts", "customer contacts"), ("expected_failure_contacts", "contacts caused by a failure"),
        ("expected_handoffs", "handoffs between teams"), ("expected_story_repeats", "times the story is repeated"),
        ("expected_duration", f"working time ({unit}s, without queueing)"), ("expected_cost", "cost"),
        ("expected_failure_cost", "cost after a fail point or on retelling"))
        if key in doc and not (key.endswith("_cost") and doc[key] is None and key not in (doc.get("why_null") or {}))]
    unanswered = "no figure: see below"
    rows = [[label, unanswered if value is None else figure(value)] for label, value in per_case]
    never = doc.get("never_finishes", 0.0)
    rows.append(["chance it never finishes", unanswered if never is None else percent(never)])
    out = [Table(["per case, exactly", "expected"], rows, [1])]
    outcomes = doc.get("outcomes") or {}
    if outcomes:
        out.append(Table(["outcome", "chance"], [[labels.get(k, k), unanswered if v is None else percent(v)]
                                                 for k, v in outcomes.items()], [1]))
    visits = doc.get("expected_visits") or {}
    if visits:  # an expected visit without a figure is a loop that never ends
        out.append(Table(["step", "expected visits"], [[labels.get(k, k), "without end" if v is None else figure(v)]
                                                       for k, v in visits.items()], [1]))
    why = doc.get("why_null") or {}
    if why:
        out.append(Table(["Figures without an answer", "why"], [[key, str(reason)] for key, reason in why.items()]))
    return out


def stats_table(doc: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """A ``stats`` document as HTML tables (see :func:`stats_tables`).

    Examples
    --------
    >>> table = stats_table({"outcomes": {"done": 1.0}, "never_finishes": 0.0, "expected_contacts": 2.0})
    >>> "customer contacts" in table and "100%" in table
    True
    """
    return "\n".join(t.html() for t in stats_tables(doc, labels))


def simulation_tables(doc: Mapping[str, Any], names: Mapping[str, str] | None = None,
                      outcomes: Mapping[str, str] | None = None) -> list[Table]:
    """The tables of a ``simulate`` document: the KPIs with their 95% intervals, then the teams.

    Examples
    --------
    >>> doc = {"time_unit": "minute", "replications": 2, "cases": {"arrived": 10, "finished": 9,
    ...        "in_progress": 1, "by_outcome": {"done": 9}}, "time_in_system": {"mean": 4.0},
    ...        "contacts": {"mean": 1.0, "max": 1}, "teams": {}, "ci95": {"time_in_system.mean": [3.5, 4.5]}}
    >>> simulation_tables(doc)[0].rows[0]
    ['time to an outcome, mean', '4', '[3.5, 4.5]']
    """
    names, outcomes = names or {}, outcomes or {}
    flat, ci = flatten(dict(doc)), doc.get("ci95") or {}
    cases = doc.get("cases") or {}
    caption = (f"{figure(cases.get('arrived'))} cases, {doc.get('replications', 1)} replications; "
               f"times in {doc.get('time_unit', '')}s")
    rows = [[name, figure(flat[key]), interval(ci.get(key))] for key, name in KPI_NAMES.items() if key in flat]
    rows += [[f"cases ending at {outcomes.get(k, k)}", figure(n), interval(ci.get(f"cases.by_outcome.{k}"))]
             for k, n in (cases.get("by_outcome") or {}).items()]
    out = [Table(["KPI", "value", "95% interval"], rows, [1], caption)]
    teams = doc.get("teams") or {}
    if teams:
        team_rows = []
        for team, k in teams.items():
            use = k.get("utilization")
            team_rows.append([names.get(team, team), "no limit" if use is None else percent(round(use, 3)),
                              figure(k.get("mean_wait")), figure(k.get("max_queue"))])
        out.append(Table(["team", "busy", "mean wait", "longest queue"], team_rows, [1, 2, 3]))
    return out


def simulation_table(doc: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """A ``simulate`` document as HTML tables (see :func:`simulation_tables`).

    Examples
    --------
    >>> "[3.5, 4.5]" in simulation_table({"time_in_system": {"mean": 4.0}, "ci95": {"time_in_system.mean": [3.5, 4.5]}})
    True
    """
    return "\n".join(t.html() for t in simulation_tables(doc, names))


def comparison_rows(doc: Mapping[str, Any], names: Mapping[str, str] | None = None) -> list[list[str]]:
    """The rows of a ``whatif``/``compare`` document: KPI, before, after, change, interval, verdict.

    `names` says what a KPI is called where :data:`KPI_NAMES` does not (an outcome, a team).

    Examples
    --------
    >>> doc = {"baseline": {"contacts": {"mean": 2.0}}, "scenario": {"contacts": {"mean": 1.0}},
    ...        "delta": {"contacts.mean": {"value": -1.0, "ci95": [-1.2, -0.8], "significant": True}}}
    >>> comparison_rows(doc)
    [['customer contacts per case', '2', '1', '-1', '[-1.2, -0.8]', 'better']]
    """
    before, after = flatten(dict(doc.get("baseline") or {})), flatten(dict(doc.get("scenario") or {}))
    delta = doc.get("delta") or {}
    keys = [k for k in HEADLINE if k in delta]
    keys += sorted(k for k in delta if k not in keys and k.startswith("cases.by_outcome."))
    keys += sorted(k for k in delta if k.startswith("teams.") and k.endswith(".utilization"))
    rows = []
    for key in keys:
        d = delta[key]
        rows.append([(names or {}).get(key) or KPI_NAMES.get(key, key), figure(before.get(key)), figure(after.get(key)),
                     signed(d.get("value")), interval(d.get("ci95")), _verdict(key, d)])
    return rows


def _verdict(key: str, d: Mapping[str, Any]) -> str:
    """Better, worse or no clear change: lower is better for every KPI but finished cases and
    successful outcomes (which the table cannot tell apart from failures, so it says 'up'/'down')."""
    if not d.get("significant"):
        return "no clear change"
    value = d.get("value") or 0.0
    if key.startswith("cases.") or key.startswith("teams."):
        return "up" if value > 0 else "down"
    return "better" if value < 0 else "worse"


def comparison_table(doc: Mapping[str, Any]) -> str:
    """A ``whatif`` or ``compare`` document: each KPI before and after, with the paired interval,
    then the findings that appear and those resolved.

    Examples
    --------
    >>> doc = {"changes": ["a.yaml", "b.yaml"], "baseline": {"contacts": {"mean": 2.0}},
    ...        "scenario": {"contacts": {"mean": 1.0}}, "delta": {"contacts.mean": {"value": -1.0,
    ...        "ci95": [-1.2, -0.8], "significant": True}}, "findings": {"resolved": [
    ...        {"rule": "dead-end", "severity": "error", "message": "Stops", "steps": ["a"]}]}}
    >>> table = comparison_table(doc)
    >>> "better" in table and "Stops" in table
    True
    """
    changes = doc.get("changes") or []
    parts = [html_table(["KPI", "before", "after", "change", "95% interval (paired)", ""], comparison_rows(doc),
                        caption=" -> ".join(map(str, changes)) if changes else None, numeric=[1, 2, 3])]
    findings = doc.get("findings") or {}
    for kind, title in (("resolved", "findings resolved"), ("appeared", "new findings")):
        if findings.get(kind):
            parts.append(html_table(["severity", "rule", title], [[f.get("severity"), f.get("rule"), f.get("message")]
                                                                  for f in findings[kind]]))
    return "\n".join(parts)
