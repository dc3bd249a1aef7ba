"""The key beside a blueprint drawing: where it fails (the numbered marks in plain words), how to
read it, who holds which case record, and the load when there is heat.

The key is made of **blocks** (a heading and rows); a row is a small sample (a marker, an icon, a
line) and text. Every text is a Graphviz node, measured with the drawing's other labels, so the key
is laid out with the sizes it is drawn at; :mod:`blueprint.drawing.sheet` flows the blocks into columns
beside or under the drawing, and :mod:`blueprint.drawing.dress` draws the samples.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..findings import SEVERITIES, Report
from ..model import Blueprint
from ..numbers import number
from .heat import Heat, team_colour
from .labels import CHANNEL_KINDS, Mark, Part, channel_kind, is_outside, mark_lines, wrap
from .style import MARK_RADIUS, PANEL_WIDTH, ROW, SAMPLE, TEAM_COLOURS, VISIT_COLOURS, system_colours

__all__ = ["Row", "Block", "blocks", "BOLD"]

#: How much wider bold text runs than the regular text Graphviz measures.
BOLD = 1.2


@dataclass
class Row:
    """One row of the key: a sample (drawn by :mod:`blueprint.drawing.dress`) and its text, a node."""

    node: str
    lines: list[Part]
    sample: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def sample_width(self) -> float:
        if self.sample is None:
            return 0.0
        return 2 * MARK_RADIUS + 8 if self.sample == "mark" else SAMPLE[0] + 8


@dataclass
class Block:
    """A heading and its rows."""

    heading: str
    node: str
    rows: list[Row] = field(default_factory=list)

    def add(self, sample: str | None, text: str | list[Part], **options: Any) -> None:
        lines = [("key", line) for line in wrap(text, PANEL_WIDTH)] if isinstance(text, str) else text
        self.rows.append(Row(f"{self.node} row {len(self.rows)}", lines, sample, options))


def _findings(model: Blueprint, report: Report, found: list[Mark]) -> Block:
    counts = report.summary
    said = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}" for s in SEVERITIES if counts[s])
    block = Block(f"Where it fails ({said})" if said else "Where it fails", "key findings")
    if not found:
        block.add("ok", "No findings: blueprint check finds nothing wrong")
    for mark in found:
        block.add("mark", mark_lines(model, mark), number=mark.number, severity=mark.severity,
                  on_drawing=mark.step is not None)
    return block


_CHANNEL_WORDS = {"phone": "a phone call", "email": "an email", "letter": "a letter or post", "store": "in a store",
                  "social": "social media", "chat": "a chat or text message", "home": "a visit at home",
                  "other": "another channel"}


def _reading(model: Blueprint, found: list[Mark], bands: int) -> Block:
    steps = model.steps.values()
    block = Block("How to read it", "key reading")
    block.add("step", "a step; its team in italics")
    if any(is_outside(model, sid) for sid in model.steps):
        block.add("outside", "a step of an outside party, in its strip")
    if any(s.outcome == "success" for s in steps):
        block.add("success", "a good outcome")
    if any(s.outcome == "failure" for s in steps):
        block.add("failure", "a bad outcome")
    if any(m.severity == "error" and m.step for m in found):
        block.add("error", "outlined: an error at this step")
    if any(s.evidence for s in steps):
        block.add("evidence", "what the customer sees or holds")
    if any(s.fail_point for s in steps):
        block.add("glyph", "a fail point: what can go wrong", glyph="⚠", fill="#B71C1C")
    kinds = {channel_kind(s.channel) for s in steps if s.channel}
    for kind in [*CHANNEL_KINDS, "other"]:
        if kind in kinds:
            block.add("channel", f"customer contact: {_CHANNEL_WORDS[kind]}", kind=kind)
    if any(s.moment for s in steps):
        block.add("glyph", "a moment that matters to the customer", glyph="★", fill="#8D6E00")
    if any(s.emotion is not None for s in steps):
        block.add("feeling", "how the customer feels, -5 to +5")
    block.add("flow", "a flow, with its chance")
    if any(s.timeout for s in steps):
        block.add("timeout", "a timeout: the case leaves this way")
    if any(s.split or s.join for s in steps):
        block.add("glyph", "split / join: every way at once", glyph="⇉", fill="#4A148C")
    if bands > 1:
        block.add("connector", "the journey goes on at the same letter", letter="A")
    if len(model.lanes) > 1:
        block.add("line", "a line between lanes")
    return block


def _records(model: Blueprint) -> Block | None:
    systems = list(dict.fromkeys(s for team in model.teams.values() for s in team.systems))
    if not systems:
        return None
    colours = system_colours(systems)
    block = Block("Who holds the case record", "key records")
    for system in systems:
        holders = [model.team_name(t) for t, team in model.teams.items() if system in team.systems]
        shared = "shared by " if len(holders) > 1 else ""
        block.add("system", f"{system}: {shared}{', '.join(holders)}", fill=colours[system])
    for t, team in model.teams.items():
        if not team.systems:
            block.add("system", f"{model.team_name(t)}: no record", fill="none")
    return block


def _heat(model: Blueprint, heat: Heat) -> list[Block]:
    out = []
    if heat.visits is not None:
        visits = Block("Expected visits per case", "key visits")
        top, n = heat.visit_top, len(VISIT_COLOURS)
        for i, colour in enumerate(VISIT_COLOURS):
            visits.add("swatch", f"{number(top * i / n)} to {number(top * (i + 1) / n)}", fill=colour)
        out.append(visits)
    teams = Block("Team utilisation (simulated)", "key teams")
    n = len(TEAM_COLOURS)
    for i, colour in enumerate(TEAM_COLOURS):
        teams.add("swatch", f"{100 * i // n}% to {100 * (i + 1) // n}% busy", fill=colour)
    for team_id, u in sorted(heat.utilization.items(), key=lambda kv: -kv[1]):
        teams.add("bar", f"{model.team_name(team_id)}: {u:.0%}", share=u, fill=team_colour(u))
    out.append(teams)
    return out


def blocks(model: Blueprint, report: Report | None, found: list[Mark], heat: Heat | None, bands: int) -> list[Block]:
    """The key's blocks, in reading order.

    Examples
    --------
    >>> from blueprint import loads, check
    >>> from blueprint.drawing.labels import marks
    >>> m = loads("teams: {desk: {name: Desk, systems: [crm]}}\\nsteps: {a: {lane: customer, channel: phone},"
    ...           " b: {lane: frontstage, owner: desk}, c: {outcome: success}}\\nflows: [[a, b], [b, c]]")
    >>> [b.heading for b in blocks(m, check(m), [], None, 1)]
    ['Where it fails', 'How to read it', 'Who holds the case record']
    """
    out = []
    if report is not None:
        out.append(_findings(model, report, found))
    out.append(_reading(model, found, bands))
    records = _records(model)
    if records is not None:
        out.append(records)
    if heat is not None:
        out += _heat(model, heat)
    return out


def row_height(row: Row, text_height: float) -> float:
    """The height of a row: its text, or its sample, whichever is taller, and a little air."""
    sample = 2 * MARK_RADIUS if row.sample == "mark" else SAMPLE[1] if row.sample else 0.0
    return max(text_height, sample, ROW - 4) + 4


