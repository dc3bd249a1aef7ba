"""What a step, a flow and a finding say on a drawing, in the consultant's words.

One place for the words of every picture: the swimlane SVG (:mod:`blueprint.drawing.swimlane`), the
Mermaid flowchart, the HTML page and the report all write a step, a flow and a finding from here.

- a step says its name, its team (an outside party says so), its contact channel, its fail point,
  the moment that matters, how the customer feels, and whether it splits or joins;
- a flow says its label and its chance where its step branches;
- a finding is **marked** on the one step where it bites (the step where the customer tells the
  story again, the contact the customer keeps coming back to, the step that cannot be done), at
  most one mark per step, numbered most serious first; the key beside the drawing says in plain
  words what each mark means (:func:`marks`, :func:`mark_lines`).
"""
from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..durations import mean_of
from ..findings import SEVERITIES, Finding, Report
from ..model import Blueprint
from ..numbers import number, percent
from ..rules import RULES
from .style import NAME_WIDTH, PANEL_WIDTH

__all__ = ["clean", "wrap", "step_parts", "step_lines", "flow_texts", "timeout_text", "channel_kind",
           "feeling", "headline", "anchor", "Mark", "marks", "mark_lines", "plain", "what_and_fix",
           "CHANNEL_KINDS"]

Part = tuple[str, str]  # (kind of line, text)


def clean(text: Any) -> str:
    """Text safe to put in a label: no control characters, no backslash escapes.

    Examples
    --------
    >>> clean("a\\x01b") == "a b", clean("a\\\\n") == "a\u29f5n"
    (True, True)
    """
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", str(text))
    return text.replace("\\", "\u29f5")  # a backslash would start a DOT escape (\n, \l, \N...)


def wrap(text: str, width: int = NAME_WIDTH) -> list[str]:
    """`text` in lines of at most `width` characters (long words broken).

    Examples
    --------
    >>> wrap("Phones the store about the broken glass")
    ['Phones the store', 'about the broken', 'glass']
    """
    lines = textwrap.wrap(clean(text).replace("\n", " "), width=width, break_long_words=True,
                          break_on_hyphens=True)
    return lines or [" "]


# --- steps -----------------------------------------------------------------------------------------
#: The channels a customer contact is drawn by, and the words that name each.
CHANNEL_KINDS = {
    "phone": ("phone", "call", "calls", "telephone", "tel", "mobile", "hotline", "ivr"),
    "email": ("email", "e-mail", "mailbox", "inbox"),
    "letter": ("letter", "post", "mail", "postal", "paper"),
    "store": ("store", "shop", "branch", "counter", "person", "in-person", "face", "desk", "office"),
    "social": ("social", "twitter", "facebook", "instagram", "x", "linkedin", "tiktok"),
    "chat": ("chat", "message", "messages", "sms", "text", "whatsapp", "messenger", "webchat"),
    "home": ("home", "visit", "door", "doorstep", "house", "site", "engineer"),
}


def channel_kind(channel: str | None) -> str | None:
    """The kind of contact a channel is, for its icon; ``"other"`` when no word names one.

    Examples
    --------
    >>> [channel_kind(c) for c in ("phone", "E-mail", "post", "in person", "social", "sms", "door", "web")]
    ['phone', 'email', 'letter', 'store', 'social', 'chat', 'home', 'other']
    >>> channel_kind(None) is None
    True
    """
    if not channel:
        return None
    words = re.findall(r"[a-z]+(?:-[a-z]+)?", channel.lower())
    for kind, names in CHANNEL_KINDS.items():
        if any(w in names or w.replace("-", "") in names for w in words):
            return kind
    return "other"


def feeling(emotion: float) -> Part:
    """How the customer feels at a step, as words.

    Examples
    --------
    >>> feeling(2), feeling(-3.5), feeling(0)
    (('feel_good', '☺ feels +2'), ('feel_bad', '☹ feels -3.5'), ('feel', '○ feels neutral'))
    """
    if emotion > 0:
        return "feel_good", f"☺ feels {emotion:+g}"
    if emotion < 0:
        return "feel_bad", f"☹ feels {emotion:+g}"
    return "feel", "○ feels neutral"


def is_outside(model: Blueprint, sid: str) -> bool:
    """Whether an outside party (a team with ``external: true``) does the step.

    Examples
    --------
    >>> from blueprint import loads
    >>> m = loads("teams: {maker: {external: true}}\\nsteps: {a: {lane: backstage, owner: maker},"
    ...           " b: {outcome: success}}\\nflows: [[a, b]]")
    >>> is_outside(m, "a"), is_outside(m, "b")
    (True, False)
    """
    owner = model.steps[sid].owner
    team = model.teams.get(owner) if owner else None
    return bool(team is not None and team.external)


def step_parts(model: Blueprint, sid: str) -> list[Part]:
    """Everything a step says, one part a line, unwrapped: what every picture of it draws from.

    Examples
    --------
    >>> from blueprint import loads
    >>> m = loads("teams: {store: {name: Store}}\\nsteps: {a: {name: Calls, lane: customer, channel: phone,"
    ...           " emotion: -2}, b: {name: Answers, lane: frontstage, owner: store, fail_point: Lost},"
    ...           " c: {outcome: success}}\\nflows: [[a, b], [b, c]]")
    >>> step_parts(m, "a")
    [('name', 'Calls'), ('contact', 'phone'), ('feel_bad', '☹ feels -2')]
    >>> step_parts(m, "b")
    [('name', 'Answers'), ('owner', 'Store'), ('fail', '⚠ Lost')]
    >>> step_parts(m, "c")
    [('name', '✔ c'), ('kind', 'success')]
    """
    step = model.steps[sid]
    if step.is_outcome:
        parts = [("name", f"{'✔' if step.outcome == 'success' else '✖'} {step.name or sid}"), ("kind", step.outcome)]
    else:
        parts = [("name", step.name or sid)]
    if step.owner:
        team = model.team_name(step.owner)
        parts.append(("outside", f"{team} (outside party)") if is_outside(model, sid) else ("owner", team))
    if step.channel:
        parts.append(("contact", step.channel))
    if step.evidence:
        parts.append(("evidence", step.evidence))
    if step.fail_point:
        parts.append(("fail", f"⚠ {step.fail_point}"))
    if step.moment:
        parts.append(("moment", f"★ {step.moment}"))
    if step.emotion is not None:
        parts.append(feeling(step.emotion))
    if step.split == "all":
        parts.append(("split", "⇉ split: every way at once"))
    if step.join == "all":
        parts.append(("join", "⇛ join: waits for every way"))
    return parts


#: How wide each kind of line may run on the swimlane, in characters.
_WIDTHS = {"name": NAME_WIDTH, "owner": NAME_WIDTH + 4, "outside": NAME_WIDTH + 4, "fail": NAME_WIDTH + 2,
           "moment": NAME_WIDTH + 2}


def step_lines(model: Blueprint, sid: str, busy: float | None = None, visits: float | None = None) -> list[Part]:
    """The lines written in a step's box on the swimlane: wrapped, without what the drawing shows
    another way (the evidence is a note above it, the feeling a point on the emotion curve).

    Examples
    --------
    >>> from blueprint import loads
    >>> m = loads("teams: {desk: {name: Help desk}}\\nsteps: {a: {name: Answers the phone call, lane: frontstage,"
    ...           " owner: desk}, b: {outcome: success}}\\nflows: [[a, b]]")
    >>> step_lines(m, "a", busy=0.5, visits=2)
    [('name', 'Answers the phone'), ('name', 'call'), ('owner', 'Help desk · 50% busy'),
     ('visits', '2 visits per case')]
    """
    lines: list[Part] = []
    outcome = model.steps[sid].is_outcome
    for kind, text in step_parts(model, sid):
        if kind in ("evidence", "feel", "feel_good", "feel_bad"):
            continue
        if kind in ("owner", "outside") and busy is not None:
            text += f" · {busy:.0%} busy"
        width = NAME_WIDTH - 4 if outcome and kind == "name" else _WIDTHS.get(kind, NAME_WIDTH + 4)
        lines += [(kind, line) for line in wrap(text, width)]
    if visits is not None:
        lines.append(("visits", f"{number(visits)} visit{'' if visits == 1 else 's'} per case"))
    return lines


# --- flows -----------------------------------------------------------------------------------------
def flow_texts(model: Blueprint, flow) -> list[str]:
    """The lines written on a flow: its label, and its chance where its step branches.

    Examples
    --------
    >>> from blueprint import loads
    >>> m = loads("steps: {a: {lane: customer}, b: {outcome: success}, c: {outcome: failure}}\\n"
    ...           "flows: [{from: a, to: b, p: 0.6, label: Glass intact}, [a, c, 0.4]]")
    >>> flow_texts(m, m.flows[0]), flow_texts(m, m.flows[1])
    (['Glass intact', '60%'], ['40%'])
    """
    texts = wrap(flow.label, NAME_WIDTH - 2) if flow.label else []
    split = model.steps[flow.source].split == "all"
    if flow.p is not None and len(model.outgoing[flow.source]) > 1 and not split:
        texts.append(percent(flow.p))
    if split:
        texts.append("all")
    return texts


def timeout_text(model: Blueprint, sid: str) -> str:
    """What a step's timeout says on its way out.

    Examples
    --------
    >>> from blueprint import loads
    >>> m = loads("steps: {a: {lane: customer, timeout: {after: 3d, to: b}}, b: {outcome: success}}\\n"
    ...           "flows: [[a, b]]")
    >>> timeout_text(m, "a")
    'timeout after 3d'
    """
    after = model.steps[sid].timeout.after
    if isinstance(after, (int, float)):
        return f"timeout after {number(after)} {model.time_unit}{'s' if after != 1 else ''}"
    if isinstance(after, str):
        return f"timeout after {after.strip()}"
    return f"timeout after {number(mean_of(after, model.time_unit))} {model.time_unit}s on average"


# --- findings --------------------------------------------------------------------------------------
#: What each rule's finding means, in a few plain words (a rule not here says its docstring's first sentence).
HEADLINES = {
    "dead-end": "The case stops here: nothing comes next",
    "no-resolution": "No way from here to a good outcome",
    "livelock": "A loop the case can never leave",
    "deadlock": "Waits for work that can never arrive",
    "no-owner": "Nobody owns this step",
    "incapable-handoff": "Handed to a team that cannot do it",
    "unstaffed": "The team that owns this has nobody",
    "repeat-loop": "The customer goes round and round",
    "displaced-ownership": "Sent to an outside party: nobody owns the case",
    "lost-context": "No shared record: the customer repeats the story",
    "fail-point-without-recovery": "Nothing catches this failure",
    "unreachable": "No case ever gets here",
    "unweighted-branch": "The chances of these branches are a guess",
    "overloaded": "More work than the team can do: the queue grows",
    "missing-join": "Parallel work meets without waiting for all of it",
    "racing-outcomes": "Parallel branches race: the faster decides the outcome",
}


def headline(rule: str) -> str:
    """A finding's meaning in a few plain words.

    Examples
    --------
    >>> headline("lost-context")
    'No shared record: the customer repeats the story'
    """
    if rule in HEADLINES:
        return HEADLINES[rule]
    doc = (getattr(RULES.get(rule), "__doc__", None) or rule).strip()
    return re.split(r"[:.]\s", doc, maxsplit=1)[0]


def _owned_targets(model: Blueprint, f: Finding) -> list[str]:
    return [b for _, b in f.flows if b in model.steps and model.steps[b].owner]


def _retold_at(model: Blueprint, f: Finding) -> str | None:
    """Lost context bites where the next team starts without the record: a frontstage one first."""
    targets = _owned_targets(model, f)
    front = [t for t in targets if model.steps[t].lane == "frontstage"]
    return (front or targets or [None])[0]


def _comes_back_to(model: Blueprint, f: Finding) -> str | None:
    """A repeat loop bites at the contact the customer keeps coming back to."""
    loop = set(f.steps)
    contacts = [s for s in f.steps if s in model.steps and model.steps[s].channel]
    if not contacts:
        return None
    return max(contacts, key=lambda s: sum(flow.source in loop for flow in model.incoming[s]))


def _fails_at(model: Blueprint, f: Finding) -> str | None:
    return next((s for s in f.steps if s in model.steps and model.steps[s].fail_point), None)


_ANCHORS: dict[str, Callable[[Blueprint, Finding], str | None]] = {
    "lost-context": _retold_at, "repeat-loop": _comes_back_to, "fail-point-without-recovery": _fails_at}


def anchor(model: Blueprint, f: Finding) -> str | None:
    """The one step a finding is marked on: where it bites (``None`` for a finding about no step).

    Examples
    --------
    >>> from blueprint import loads, check
    >>> m = loads("teams: {a: {systems: [x]}, b: {systems: [y]}}\\nsteps: {s: {lane: frontstage, owner: a},"
    ...           " t: {lane: backstage, owner: b}, u: {lane: frontstage, owner: a}, o: {outcome: success}}\\n"
    ...           "flows: [[s, t], [t, u], [u, o]]")
    >>> [(f.rule, anchor(m, f)) for f in check(m)]
    [('lost-context', 'u')]
    """
    chosen = _ANCHORS.get(f.rule, lambda m, f: None)(model, f)
    if chosen is None:
        chosen = next((s for s in f.steps if s in model.steps), None)
    return chosen


def _detail(model: Blueprint, f: Finding, step: str | None) -> str:
    """The few words that make a headline specific: which teams, which capability, which failure."""
    owners = list(dict.fromkeys(model.steps[s].owner for s in f.steps if s in model.steps and model.steps[s].owner))
    if f.rule == "lost-context" and len(owners) > 1:
        return " and ".join(model.team_name(t) for t in owners[:2])
    if f.rule == "incapable-handoff" and step:
        s = model.steps[step]
        team = model.teams.get(s.owner) if s.owner else None
        missing = [n for n in s.needs if team is None or n not in team.can]
        if missing:
            return f"{model.team_name(s.owner)} lacks {' and '.join(n.replace('_', ' ') for n in missing)}"
    if f.rule == "displaced-ownership":
        outside = [t for t in owners if t in model.teams and model.teams[t].external]
        if outside:
            return ", ".join(model.team_name(t) for t in outside)
    if f.rule == "fail-point-without-recovery" and step and model.steps[step].fail_point:
        return str(model.steps[step].fail_point)
    return ""


@dataclass
class Mark:
    """A numbered mark on one step (or on none: a finding about the whole blueprint) and the
    findings it stands for, most serious first."""

    number: int
    step: str | None
    severity: str
    findings: list[Finding] = field(default_factory=list)


def marks(model: Blueprint, report: Report | None, order: dict[str, float] | None = None) -> list[Mark]:
    """The findings of `report` as numbered marks: one a step, most serious first, then in
    journey order (`order`: a position for each step, default the file's order).

    Examples
    --------
    >>> from blueprint import loads, check
    >>> m = loads("steps: {email: {name: Emails, lane: customer, channel: email},"
    ...           " inbox: {name: Sorted, lane: backstage}}\\nflows: [[email, inbox]]")
    >>> [(k.number, k.step, k.severity, [f.rule for f in k.findings]) for k in marks(m, check(m))]
    [(1, 'inbox', 'error', ['dead-end', 'no-owner']), (2, None, 'error', ['no-resolution'])]
    """
    if not report:
        return []
    order = order or {sid: i for i, sid in enumerate(model.steps)}
    grouped: dict[str | None, list[Finding]] = {}
    for f in report:
        grouped.setdefault(anchor(model, f), []).append(f)
    ranked = sorted(grouped.items(), key=lambda kv: (
        min(SEVERITIES.index(f.severity) for f in kv[1]), kv[0] is None, order.get(kv[0], 0) if kv[0] else 0))
    out = []
    for i, (step, found) in enumerate(ranked, start=1):
        found = sorted(found, key=lambda f: SEVERITIES.index(f.severity))
        out.append(Mark(i, step, found[0].severity, found))
    return out


def mark_lines(model: Blueprint, mark: Mark, width: int = PANEL_WIDTH) -> list[Part]:
    """What the key says of a mark: the step, then each finding in plain words, wrapped.

    Examples
    --------
    >>> from blueprint import loads, check
    >>> m = loads("teams: {social: {name: Social media team, can: [reply]}}\\nsteps: {ask: {lane: customer},"
    ...           " call: {name: Phones back, lane: frontstage, owner: social, needs: [outbound_call],"
    ...           " timeout: {after: 1d, to: done}},"
    ...           " done: {outcome: success}}\\nflows: [[ask, call], [call, done]]")
    >>> mark_lines(m, marks(m, check(m))[0])
    [('where', 'Phones back'), ('finding-error', 'Handed to a team that cannot do it: Social'),
     ('finding-error', 'media team lacks outbound call')]
    """
    where = model.steps[mark.step].name or mark.step if mark.step else "The blueprint as a whole"
    lines = [("where", line) for line in wrap(where, width)]
    said: dict[str, tuple[str, list[str]]] = {}  # headline -> (severity, details): one line a kind of finding
    for f in mark.findings:
        severity, details = said.setdefault(headline(f.rule), (f.severity, []))
        detail = _detail(model, f, mark.step)
        if detail and detail not in details:
            details.append(detail)
    for text, (severity, details) in said.items():
        lines += [(f"finding-{severity}", line) for line in wrap(text + (f": {'; '.join(details)}" if details else ""),
                                                                width)]
    return lines


def plain(model: Blueprint, message: str) -> str:
    """A finding's message without the step ids in brackets: for a client, not for an editor.

    Examples
    --------
    >>> from blueprint import loads
    >>> m = loads("steps: {ask: {name: Asks, lane: customer}, done: {outcome: success}}\\nflows: [[ask, done]]")
    >>> plain(m, "From Asks [ask] on, nothing reaches [done].")
    'From Asks on, nothing reaches done.'
    """
    def named(match: re.Match) -> str:
        sid = match[2]
        if sid not in model.steps:
            return match[0]
        return match[1] + sid if not model.steps[sid].name else ""

    return re.sub(r"( ?)\[([A-Za-z_][A-Za-z0-9_-]*)\]", named, message)


def what_and_fix(message: str) -> tuple[str, str]:
    """A finding's message split into what is wrong and the fix it ends with (its last sentence).

    Examples
    --------
    >>> what_and_fix("Nothing happens after Sorted. Add a flow from it to a step that answers.")
    ('Nothing happens after Sorted.', 'Add a flow from it to a step that answers.')
    >>> what_and_fix("One sentence only.")
    ('One sentence only.', '')
    """
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z])", message.strip())
    if len(parts) < 2:
        return message.strip(), ""
    return " ".join(parts[:-1]), parts[-1]
