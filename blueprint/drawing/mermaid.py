"""The blueprint as a Mermaid flowchart, for Markdown: ``flowchart LR`` with a subgraph per lane.

Mermaid cannot pin lanes the way the SVG drawing does, but it keeps what matters in a README or
a wiki page: every step in its lane, saying what it says on the swimlane (:mod:`blueprint.drawing.labels`:
its team, contact channel, evidence, fail point, moment, feeling), the flows with their chances,
timeouts dotted, outcomes as terminal shapes (success a double circle, failure a hexagon) and,
with ``findings``, each finding written in plain words on the step where it bites, outlined by
severity.
"""
from __future__ import annotations

import re
from typing import Any

from ..checker import check
from ..findings import SEVERITIES, Report
from ..model import Blueprint
from .labels import flow_texts, headline, marks, step_parts, timeout_text
from .layout import placement
from .style import mermaid_class

__all__ = ["to_mermaid", "mermaid_text", "mermaid_ids"]

_ENTITIES = {"&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "|": "#124;",
             "`": "#96;", "%": "#37;"}  # % too: Mermaid reads %%{init: ...}%% anywhere in the text


def mermaid_text(text: Any) -> str:
    """Text safe inside a quoted Mermaid label: quotes, brackets, ``#`` and ``%`` as entity codes.

    Examples
    --------
    >>> mermaid_text('Says "call the <maker>" #1 & done')
    'Says #quot;call the #lt;maker#gt;#quot; #35;1 #amp; done'
    >>> mermaid_text("%%{init: {}}%%")
    '#37;#37;{init: {}}#37;#37;'
    """
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(text))
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def mermaid_ids(names) -> dict[str, str]:
    """A Mermaid node id for every name: letters, digits and ``_`` only, never clashing.

    Examples
    --------
    >>> mermaid_ids(["a-b", "a_b", "end"])
    {'a-b': 's_a_b', 'a_b': 's_a_b_2', 'end': 's_end'}
    """
    ids: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        base = "s_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}_{n}"
        used.add(candidate)
        ids[name] = candidate
    return ids


def _label(model: Blueprint, sid: str, found: list[str]) -> str:
    parts = []
    for kind, text in step_parts(model, sid):
        if kind in ("owner", "outside"):
            parts.append(f"<i>{mermaid_text(text)}</i>")
        elif kind == "contact":
            parts.append(mermaid_text(f"☎ {text}"))
        elif kind == "evidence":
            parts.append(mermaid_text(f"evidence: {text}"))
        else:
            parts.append(mermaid_text(text))
    parts += [mermaid_text(f"⚑ {text}") for text in found]
    return "<br/>".join(parts)


def to_mermaid(model: Blueprint, *, findings: Any = False) -> str:
    """The blueprint as a Mermaid ``flowchart LR``, one subgraph per lane in lane order.

    Parameters
    ----------
    model : Blueprint
        What to write.
    findings : bool or Report
        Outline the steps :func:`blueprint.check` finds fault with, by severity.

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
    >>> print(to_mermaid(model))
    flowchart LR
        subgraph lane_customer["Customer"]
            direction LR
            s_ask["Asks a question<br/>☎ phone"]
        end
        subgraph lane_frontstage["Frontstage"]
            direction LR
            s_answer["Answers<br/><i>Help desk</i>"]
            s_done((("✔ done<br/>success")))
        end
        s_ask --> s_answer
        s_answer --> s_done
    <BLANKLINE>
    """
    grid = placement(model)
    ids = mermaid_ids(model.steps)
    report = findings if isinstance(findings, Report) else check(model) if findings is True else None
    said: dict[str, list[str]] = {}
    worst: dict[str, str] = {}
    for mark in marks(model, report):
        if mark.step is not None:
            said[mark.step] = list(dict.fromkeys(headline(f.rule) for f in mark.findings))
            worst[mark.step] = mark.severity

    out = ["flowchart LR"]
    if model.name:
        out.append("    %% " + mermaid_text(model.name))
    lane_ids = mermaid_ids(model.lanes)
    for lane in model.lanes:
        members = sorted((sid for sid in model.steps if grid.lane[sid] == lane), key=lambda s: grid.column[s])
        if not members:
            continue
        title = lane.replace("_", " ").capitalize()
        out.append(f'    subgraph {lane_ids[lane].replace("s_", "lane_", 1)}["{mermaid_text(title)}"]')
        out.append("        direction LR")
        for sid in members:
            step = model.steps[sid]
            label = _label(model, sid, said.get(sid, []))
            if step.outcome == "success":
                shape = f'((("{label}")))'
            elif step.outcome == "failure":
                shape = f'{{{{"{label}"}}}}'
            else:
                shape = f'["{label}"]'
            out.append(f"        {ids[sid]}{shape}")
        out.append("    end")
    for flow in model.flows:
        texts = [" ".join(flow_texts(model, flow))] if flow_texts(model, flow) else []
        arrow = "-->" if not texts else f'-->|"{mermaid_text(" ".join(texts))}"|'
        out.append(f"    {ids[flow.source]} {arrow} {ids[flow.target]}")
    for sid, step in model.steps.items():
        if step.timeout is not None:
            text = timeout_text(model, sid)
            out.append(f'    {ids[sid]} -.->|"{mermaid_text(text)}"| {ids[step.timeout.to]}')
    if worst:
        for severity in SEVERITIES:
            members = [ids[s] for s, w in worst.items() if w == severity and s in ids]
            if members:
                out.append(f"    classDef {severity} {mermaid_class(severity)}")
                out.append(f"    class {','.join(members)} {severity}")
    return "\n".join(out) + "\n"
