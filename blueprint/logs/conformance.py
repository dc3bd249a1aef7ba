"""Playing a logged case through a blueprint: token replay on its flows, and what does not fit.

:func:`play` takes one case of a log (its visits in time order, from
:mod:`blueprint.logs.reading`), with each activity already matched to a step, and moves **tokens**
along the blueprint's flows the way a case moves in the simulation:

- a case starts with one token before the blueprint's ``start``: its first visit must be at a
  start step;
- a visit of a step takes a token that may move there: one left by a step with a flow (or a
  ``timeout``: timeouts are flows too) to it, the most recent first; a ``split: all`` step leaves one
  token on each of its flows, committed to that flow; a ``join: all`` step takes one token from
  each step that flows into it, and the case goes on from it with one token (a visit of a join
  that never started and did not finish while a branch is still out is one branch that came in
  and waited there: it takes its own token only);
- a finished visit leaves a token at its step; one stopped unfinished (withdrawn, aborted, timed
  out, cancelled) leaves one only where the step has a ``timeout``, committed to it (the blueprint's
  one way out of unfinished work); one still open when the log ends leaves none;
- an outcome ends the case; a case that ends without one (as real logs do: they rarely log "case
  closed") ends at an outcome when its last token's step has a flow to an outcome of the kind the
  log gives the case (success, failure; any when it does not say; a blueprint with ``patience``
  lets a customer give up anywhere). A case the log calls open has not ended.

What does not fit is a **deviation**, keyed by what it is about (each key counted once per case):

``unknown-activity``  an activity that matches no step (``(kind, activity)``);
``missing-start``     a case starting at a step that is not a start (``(kind, step)``);
``missing-flow``      a move along a flow the blueprint lacks (``(kind, from, to)``);
``early-join``        a ``join: all`` step that started before every branch came in
                      (``(kind, join, missing sources)``);
``no-outcome``        a case that ends where no outcome is (``(kind, step, how it ended)``).

A missing move still moves the case on (it takes the most recent token), so one deviation does
not make every later move of the case deviate too.

Per case the same counts as :func:`blueprint.stats` and :func:`blueprint.simulate` are made (see
:class:`Rules`): contacts, handoffs (per branch: a token remembers the owner of the last owned step
it went through) and story repeats.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

from ..errors import BlueprintError
from ..model import CUSTOMER, Blueprint
from ..story import records, remember, retells

__all__ = ["Rules", "Played", "play", "UNKNOWN", "MISSING_START", "MISSING_FLOW", "EARLY_JOIN", "NO_OUTCOME",
           "UNUSED_FLOW", "KINDS"]

UNKNOWN, MISSING_START, MISSING_FLOW = "unknown-activity", "missing-start", "missing-flow"
EARLY_JOIN, NO_OUTCOME, UNUSED_FLOW = "early-join", "no-outcome", "unused-flow"
#: Deviation kinds, in the order a report lists kinds with as many cases.
KINDS = (UNKNOWN, MISSING_START, MISSING_FLOW, EARLY_JOIN, NO_OUTCOME, UNUSED_FLOW)

#: How far a start may come after its end (seconds) before the log is refused: clock rounding.
_BACKWARDS = 1e-3


class Rules:
    """The blueprint as replay reads it: steps numbered in file order, the pseudo-step
    :attr:`START` (number ``len(ids)``) flowing to every start step.

    Examples
    --------
    >>> from blueprint import loads
    >>> rules = Rules(loads("steps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]"))
    >>> rules.ids, rules.targets[rules.START], rules.ends[0]
    (['a', 'b'], frozenset({0}), {'success': 1, None: 1})
    """

    def __init__(self, model: Blueprint):
        ids = list(model.steps)
        index = {sid: i for i, sid in enumerate(ids)}
        teams = list(model.teams)
        team_index = {t: i for i, t in enumerate(teams)}
        self.model, self.ids, self.index, self.teams = model, ids, index, teams
        self.START = len(ids)
        steps = list(model.steps.values())
        self.targets = [frozenset(index[f.target] for f in model.outgoing[sid]) for sid in ids]
        self.targets.append(frozenset(index[sid] for sid in model.entry))
        self.timeout_to = [index[s.timeout.to] if s.timeout else -1 for s in steps] + [-1]
        self.split = [s.split == "all" for s in steps] + [False]
        self.join_from = [frozenset(index[f.source] for f in model.incoming[sid]) if s.join == "all"
                          else frozenset() for sid, s in model.steps.items()]
        self.outcome = [s.outcome for s in steps]
        self.owner = [team_index.get(s.owner, -1) if s.owner else -1 for s in steps]
        self.contact = [s.lane == CUSTOMER and bool(s.channel) for s in steps]
        self.patience = model.patience is not None
        memory = records(model)  # the case record's bits, as the simulation and stats keep them
        self.test = [memory.test.get(sid) for sid in ids]
        self.touch = [memory.touch[s.owner] if s.owner else 0 for s in steps]
        self.ends = [self._ends(i) for i in range(len(ids))] + [{}]

    def _ends(self, i: int) -> dict:
        """The outcome a case ending after step `i` reaches by one of its flows: by kind, and any (None)."""
        out: dict = {}
        for t in sorted(self.targets[i] | ({self.timeout_to[i]} - {-1})):
            kind = self.outcome[t]
            if kind is not None:
                out.setdefault(kind, t)
                out.setdefault(None, t)
        return out

    def story(self, known: int, step: int) -> tuple[bool, int]:
        """Whether the customer repeats the story on reaching `step`, and what the case knows after.

        The rule of :mod:`blueprint.story` (SPEC §2), which the simulation and ``stats`` follow too:
        a frontstage step whose team shares no system with any team that owned a step the case
        reached before (when there was one).
        """
        touch = self.touch[step]
        if not touch or self.outcome[step] is not None:
            return False, known
        return retells(known, self.test[step]), remember(known, touch)


class Played(NamedTuple):
    """What one case did: its deviations (keys, see the module notes), moves, how many fitted."""

    deviations: set
    moves: int
    fitting: int
    outcome: int | None        # the outcome step reached, if any
    contacts: int
    handoffs: int
    repeats: int


# A token: [from step, committed to step or -1, when it was left (s) or None, last owner, by timeout]
_FROM, _TO, _AT, _OWNER, _TIMEOUT = range(5)


def _take(rules: Rules, tokens: list, step: int, v) -> tuple[list[int], frozenset, bool]:
    """The tokens a visit `v` of `step` takes, the join's sources it misses, and whether the case
    goes on from it (``False`` for a branch that came into a join and waited there); no tokens
    when none may move there.

    A visit of a ``join: all`` step that finished or started is the join firing: it takes a token
    from each step flowing into it (what it can). One that never started nor finished is the join
    firing when every branch is in, else one branch that came in and waited (it takes its own token).
    """
    sources = rules.join_from[step]
    targets, timeout_to = rules.targets, rules.timeout_to
    if sources:
        chosen: dict[int, int] = {}
        for i in range(len(tokens) - 1, -1, -1):
            t = tokens[i]
            src = t[_FROM]
            if src in sources and src not in chosen and (t[_TO] == step or t[_TO] < 0 and step in targets[src]):
                chosen[src] = i
        started = v.state == "complete" or v.start is not None
        if chosen and (started or len(chosen) == len(sources)):
            return sorted(chosen.values()), sources - chosen.keys(), True
    for committed in (True, False):  # a split's token committed to this flow first
        for i in range(len(tokens) - 1, -1, -1):
            t = tokens[i]
            if committed and t[_TO] == step or not committed and t[_TO] < 0 and (
                    step in targets[t[_FROM]] or timeout_to[t[_FROM]] == step):
                return [i], frozenset(), not sources or t[_FROM] not in sources
    return [], frozenset(), True


def _left(rules: Rules, step: int, v, last: int) -> list:
    """The tokens a visit of a step that is not an outcome leaves (see the module notes)."""
    if v.state == "complete":
        if rules.split[step]:
            return [[step, target, v.end, last, False] for target in sorted(rules.targets[step])]
        return [[step, -1, v.end, last, False]]
    if v.state == "stopped" and rules.timeout_to[step] >= 0:  # left unfinished: by its timeout only
        return [[step, rules.timeout_to[step], v.end, last, True]]
    return []


def _reorder(rules: Rules, tokens: list, visits: list, steps: list, order: list, i: int) -> None:
    """Visits at one moment may be logged in any order: when visit ``order[i]`` does not fit, play
    first another of that moment that fits and after which it fits (a branch's work before its join)."""
    v, step = visits[order[i]], steps[order[i]]
    j = i + 1
    while j < len(order) and visits[order[j]].end == v.end:
        other, there = visits[order[j]], steps[order[j]]
        if _fits(rules, tokens, there, other):
            taken, _, _ = _take(rules, tokens, there, other)
            after = [t for n, t in enumerate(tokens) if n not in taken]
            if rules.outcome[there] is None:
                after += _left(rules, there, other, -1)
            if _fits(rules, after, step, v):
                order[i], order[j] = order[j], order[i]
                return
        j += 1


def _fits(rules: Rules, tokens: list, step: int | None, v) -> bool:
    if step is None or step < 0:
        return False
    taken, missed, _ = _take(rules, tokens, step, v)
    return bool(taken) and not missed


def play(rules: Rules, visits: list, steps: list, outcome: str | None, seen, *, case: str = "?") -> Played:
    """Replay one case: `visits` in time order, `steps` the step number of each (``None``: no step;
    ``-1``: an activity to leave out), `outcome` how the log says the case ended.

    `seen` is called as ``seen(visit, step, taken tokens)`` for every visit played, and as
    ``seen(None, outcome step, [token])`` for a case that ends by a flow to an outcome that the log
    does not show, for the figures (:mod:`blueprint.logs.observed`).

    Examples
    --------
    >>> from blueprint import loads
    >>> from blueprint.logs.reading import Visit
    >>> rules = Rules(loads("steps: {a: {lane: customer}, b: {lane: customer}, c: {outcome: success}}\\n"
    ...                     "flows: [[a, b], [b, c]]"))
    >>> visits = [Visit("a", 0.0, 1.0, None, None, "complete"), Visit("b", 1.0, 2.0, None, None, "complete")]
    >>> played = play(rules, visits, [0, 1], None, lambda *a: None)
    >>> played.deviations, played.moves, played.fitting, rules.ids[played.outcome]
    (set(), 3, 3, 'c')
    >>> play(rules, visits[1:], [1], "failure", lambda *a: None).deviations == {
    ...     ("missing-start", 1), ("no-outcome", 1, "failure")}
    True
    """
    deviations: set = set()
    tokens: list = [[rules.START, -1, None, -1, False]]
    moves = fitting = contacts = handoffs = repeats = 0
    known = 0
    reached: int | None = None
    played_any = False
    order = list(range(len(visits)))
    n = len(order)
    i = 0
    while i < n:
        k = order[i]
        v, step = visits[k], steps[k]
        if v.start is not None and v.start > v.end + _BACKWARDS:
            raise BlueprintError(f"case '{case}', activity '{v.activity}': it starts ({_stamp(v.start)}) after it "
                                 f"ends ({_stamp(v.end)}); the times go backwards. Check the start and end "
                                 "columns (--start-timestamp, --timestamp) or correct that row")
        if step is not None and step < 0:  # left out by the map
            i += 1
            continue
        if i + 1 < n and visits[order[i + 1]].end == v.end and not _fits(rules, tokens, step, v):
            _reorder(rules, tokens, visits, steps, order, i)
            k = order[i]
            v, step = visits[k], steps[k]
        i += 1
        moves += 1
        if step is None:
            deviations.add((UNKNOWN, v.activity))
            continue
        played_any = True
        taken, missed, firing = _take(rules, tokens, step, v)
        if not taken:  # along a flow the blueprint lacks: from the most recent token
            if tokens:
                taken = [len(tokens) - 1]
                src = tokens[-1][_FROM]
            else:
                src = reached if reached is not None else rules.START
            deviations.add((MISSING_START, step) if src == rules.START else (MISSING_FLOW, src, step))
        elif missed:
            deviations.add((EARLY_JOIN, step, tuple(sorted(missed))))
        else:
            fitting += 1
        took = [tokens[t] for t in taken]
        for t in reversed(taken):
            del tokens[t]
        # --- the counts of stats and simulate, as the case reaches the step --------------------
        o = rules.owner[step]
        last = took[-1][_OWNER] if took else -1
        if o >= 0:
            handoffs += sum(1 for t in took if 0 <= t[_OWNER] != o) if len(took) > 1 else (0 <= last != o)
            last = o
        if rules.contact[step]:
            contacts += 1
        if firing:  # (a branch waiting at a join has not reached the step the case goes on from)
            told, known = rules.story(known, step)
            repeats += told
        # --- what the visit leaves ---------------------------------------------------------------
        if rules.outcome[step] is not None:
            if v.state != "open" and reached is None:
                reached = step
        else:
            tokens += _left(rules, step, v, last)
        seen(v, step, took)
    ending = _ending(rules, tokens, reached, outcome, visits, played_any)
    if ending is not None:
        moves += 1
        if isinstance(ending[0], str):
            deviations.add(ending)
        else:
            fitting += 1
            target, token = ending
            if token is not None:
                reached = target
                seen(None, target, [token])
    return Played(deviations, moves, fitting, reached, contacts, handoffs, repeats)


def _ending(rules: Rules, tokens: list, reached, outcome, visits, played_any):
    """How the case ends: ``None`` (not a move: open, or nothing played), ``(outcome step, token)``
    for a move from that token to an outcome the log does not show, ``(-1, None)`` for an ending
    that fits without a move (an outcome visited, a customer who gave up), or a deviation key."""
    if not played_any or outcome == "open" or outcome is None and visits and visits[-1].state == "open":
        return None
    if reached is not None or outcome == "abandoned" and rules.patience:
        return -1, None
    kind = {"success": "success", "failure": "failure", "abandoned": "failure"}.get(outcome)
    for t in reversed(tokens):
        if t[_TO] >= 0:
            target = t[_TO] if rules.outcome[t[_TO]] is not None and kind in (None, rules.outcome[t[_TO]]) else None
        else:
            target = rules.ends[t[_FROM]].get(kind)
        if target is not None:
            return target, t
    last = tokens[-1][_FROM] if tokens else rules.START
    return NO_OUTCOME, last, outcome or "ended"


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(sep=" ", timespec="seconds")
