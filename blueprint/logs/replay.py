"""Holding a blueprint against a real event log: which cases fit, where the log deviates, the
observed figures beside the blueprint's, and a blueprint calibrated on the log.

:func:`replay` reads a log as ``discover`` does (:func:`blueprint.logs.reading.read_events`: CSV or
XES, gzip too, lifecycle start/complete or single events, the same column options), matches each
activity to a step, plays every case through the blueprint (:mod:`blueprint.logs.conformance`) and
gathers what the log shows (:mod:`blueprint.logs.observed`). It streams: each case is played as soon as
it is read, and what is kept grows by a few numbers a visit.

**Matching** an activity to a step: by the step's id, then its id in any case, then its name
(case, spaces, ``_`` and ``-`` aside); a ``mapping`` (``--map FILE``, YAML or JSON
``{activity: step}``) comes first and may map an activity to ``null`` to leave it out. A name that
two steps share matches neither.

**Fitness** is the share of cases that fit (every move along a flow of the blueprint, started at a
start step, ended at an outcome); ``move_fitness`` the share of moves (each visit, and each ending)
that fit.
"""
from __future__ import annotations

import gc
import json
import math
from pathlib import Path
from typing import Any

import yaml

from ..chain import stats as exact_stats
from ..errors import BlueprintError, did_you_mean
from ..loader import load
from ..model import Blueprint
from . import calibrate as calibration
from . import replayfigures as figures
from .conformance import EARLY_JOIN, KINDS, MISSING_FLOW, MISSING_START, UNKNOWN, UNUSED_FLOW, Rules, play
from .observed import Observed
from .opening import DEFAULT_MAX_BYTES
from .reading import read_events

__all__ = ["replay", "Replay", "Matcher", "read_mapping", "heat_figures", "is_replay", "EXAMPLES"]

#: Example case ids kept for each deviation.
EXAMPLES = 3


def _key(text: str) -> str:
    return " ".join(str(text).casefold().replace("_", " ").replace("-", " ").split())


class Matcher:
    """Activity -> step number (``None``: no step; ``-1``: left out), by the rules in the module notes.

    Examples
    --------
    >>> from blueprint import loads
    >>> from blueprint.logs.conformance import Rules
    >>> rules = Rules(loads("steps: {ask: {name: Asks a Question, lane: customer}, done: {outcome: success}}\\n"
    ...                     "flows: [[ask, done]]"))
    >>> match = Matcher(rules, {"noise": None})
    >>> match("ask"), match("ASK"), match("asks  a_question"), match("noise"), match("other")
    (0, 0, 0, -1, None)
    """

    def __init__(self, rules: Rules, mapping: dict | None = None):
        model = rules.model
        self.rules, self.mapping = rules, dict(mapping or {})
        self.by_lower: dict[str, int | None] = {}
        self.by_name: dict[str, int | None] = {}
        for i, (sid, step) in enumerate(model.steps.items()):
            for table, key in ((self.by_lower, sid.casefold()), (self.by_name, _key(step.name or ""))):
                if key:
                    table[key] = None if key in table and table[key] != i else i  # shared: neither
        self.cache: dict[str, int | None] = {}

    def __call__(self, activity: str) -> int | None:
        found = self.cache.get(activity, -2)
        if found != -2:
            return found
        if activity in self.mapping:
            target = self.mapping[activity]
            found = -1 if target is None else self.rules.index[target]
        elif activity in self.rules.index:
            found = self.rules.index[activity]
        else:
            found = self.by_lower.get(activity.casefold())
            if found is None:
                found = self.by_name.get(_key(activity))
        self.cache[activity] = found
        return found


def read_mapping(mapping: Any, model: Blueprint) -> dict:
    """``{activity: step id or None}`` from a dict or a YAML/JSON file; every step must exist.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {ask: {lane: customer}, done: {outcome: success}}\\nflows: [[ask, done]]")
    >>> read_mapping({"Phone call": "ask", "Reminder sent": None}, model)
    {'Phone call': 'ask', 'Reminder sent': None}
    >>> read_mapping({"Phone call": "asks"}, model)
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: map: 'Phone call' -> 'asks': no such step; did you mean 'ask'?;
    the steps are ask, done
    """
    if mapping is None:
        return {}
    file = "map"
    if isinstance(mapping, (str, Path)):
        file = str(mapping)
        try:
            text = Path(mapping).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise BlueprintError(f"cannot read the map: {getattr(exc, 'strerror', None) or exc}", file=file) from None
        try:
            mapping = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise BlueprintError(f"the map is not YAML or JSON ({str(exc).splitlines()[0]}); write one "
                                 "'activity: step' a line", file=file) from None
    if not isinstance(mapping, dict):
        raise BlueprintError("the map is a mapping of activity to step id, like 'Phone call: ask' (or to "
                             "null to leave the activity out)", file=file)
    out = {}
    problems = []
    for activity, step in mapping.items():
        if step is not None and (not isinstance(step, str) or step not in model.steps):
            problems.append(f"{file}: '{activity}' -> '{step}': no such step{did_you_mean(str(step), model.steps)}; "
                            f"the steps are {', '.join(list(model.steps)[:12])}")
        out[str(activity)] = step
    if problems:
        raise BlueprintError(problems)
    return out


def replay(log: Any, model: Blueprint | str | Path, *, mapping: Any = None, case: str | None = None,
           activity: str | None = None, timestamp: str | None = None, resource: str | None = None,
           group: str | None = None, start_timestamp: str | None = None, lifecycle: str | None = None,
           outcome: str | None = None, encoding: str | None = None,
           max_bytes: int | str | None = DEFAULT_MAX_BYTES) -> Replay:
    """Play an event log through a blueprint: conformance, deviations, observed figures.

    Parameters
    ----------
    log : str, Path, DataFrame or iterable of mappings
        A ``.csv`` or ``.xes`` log (gzip, bzip2, xz too), or its events.
    model : Blueprint, str or Path
        The blueprint, or its file (whose comments :meth:`Replay.calibrated_text` keeps).
    mapping : dict, str or Path, optional
        ``{activity: step}`` (``None`` to leave an activity out), or a YAML/JSON file of it.
    case, activity, timestamp, resource, group, start_timestamp, lifecycle, outcome, encoding, max_bytes
        How to read the log, as for :func:`blueprint.logs.discover`.

    Returns
    -------
    Replay
        ``.to_json()`` the SPEC's ``replay`` document, ``.to_text()`` a report, ``.calibrated()``
        the blueprint with the log's figures.

    Raises
    ------
    BlueprintError
        For a log that cannot be read (named with its place and the fix), a missing column, times
        that go backwards, a map naming no step.

    Examples
    --------
    >>> import blueprint as bp
    >>> model = bp.loads('''
    ... steps:
    ...   ask: {name: Asks, lane: customer, channel: phone}
    ...   answer: {name: Answers, lane: frontstage}
    ...   done: {outcome: success}
    ... flows: [[ask, answer], [answer, done]]
    ... ''')
    >>> rows = [{"case": c, "activity": a, "timestamp": f"2024-01-01 09:0{m}"}
    ...         for c, acts in (("1", ["ask", "answer"]), ("2", ["answer", "ask"])) for m, a in enumerate(acts)]
    >>> fit = bp.replay(rows, model)
    >>> fit.fitness, [(d["kind"], d["flows"]) for d in fit.deviations]
    (0.5, [('missing-start', []), ('missing-flow', [['answer', 'ask']]), ('no-outcome', [])])
    """
    source = None
    if not isinstance(model, Blueprint):
        source, model = str(model), load(model)
    rules = Rules(model)
    match = Matcher(rules, read_mapping(mapping, model))
    read = read_events(log, case=case, activity=activity, timestamp=timestamp, resource=resource, group=group,
                       start_timestamp=start_timestamp, lifecycle=lifecycle, outcome=outcome, encoding=encoding,
                       max_bytes=max_bytes)
    seen = Observed(rules)
    found: dict[tuple, list] = {}  # deviation key -> [cases, example ids]
    unmatched: dict[str, int] = {}
    totals = [0, 0, 0, 0]  # cases, fitting cases, moves, fitting moves
    collecting = gc.isenabled()
    gc.disable()  # millions of small tuples and no cycles: spare them the collector's walks
    try:
        for logged in read.cases():
            visits = logged.visits
            if not visits:
                continue
            steps = [match(v.activity) for v in visits]
            played = play(rules, visits, steps, logged.outcome, seen.seen, case=logged.case)
            seen.case_done(played, logged.outcome)
            totals[0] += 1
            totals[1] += not played.deviations
            totals[2] += played.moves
            totals[3] += played.fitting
            for key in played.deviations:
                entry = found.get(key)
                if entry is None:
                    entry = found[key] = [0, []]
                entry[0] += 1
                if len(entry[1]) < EXAMPLES:
                    entry[1].append(logged.case)
            for v, s in zip(visits, steps):
                if s is None:
                    unmatched[v.activity] = unmatched.get(v.activity, 0) + 1
    finally:
        if collecting:
            gc.enable()
    if not totals[0]:
        raise BlueprintError("the log has no events", file=read.file)
    matched = {a: rules.ids[s] for a, s in match.cache.items() if s is not None and s >= 0}
    fit = Replay(model, rules, seen, read.file, totals, found, unmatched, matched,
                 [a for a, s in match.cache.items() if s == -1])
    fit.source = source
    return fit


class Replay:
    """What :func:`replay` found; ``.to_json()`` is the SPEC's ``replay`` document.

    Attributes
    ----------
    model : Blueprint
        The blueprint the log was held against.
    cases, fitting : int
        Cases in the log, and those that fit.
    fitness, move_fitness : float
        The share of cases that fit, and of moves.
    deviations : list of dict
        Each deviation: ``kind``, ``steps``, ``flows``, ``cases``, ``message`` (and ``examples``).
    """

    def __init__(self, model, rules, observed, file, totals, found, unmatched, matched, left_out):
        self.model, self.rules, self.observed, self.file = model, rules, observed, file
        self.cases, self.fitting, self.moves, self.fitting_moves = totals
        self.fitness = self.fitting / self.cases
        self.move_fitness = self.fitting_moves / self.moves if self.moves else 1.0
        self.unmatched, self.matched, self.left_out = unmatched, matched, left_out
        try:
            self.stats = exact_stats(model)
        except (BlueprintError, ArithmeticError, ValueError):
            self.stats = None
        self.deviations = _deviations(self, found)
        self._doc: dict | None = None
        self._calibration = None
        self.source: str | None = None  # the blueprint's file, where replay read it from one

    # --- the document -------------------------------------------------------------------------
    def to_json(self) -> dict:
        """The SPEC's ``replay`` document (with more keys: see the docs page "Hold your blueprint
        against the logs")."""
        if self._doc is None:
            self._doc = figures.document(self)
        return self._doc

    def dumps(self) -> str:
        """The document as JSON text."""
        return json.dumps(self.to_json(), indent=2)

    def calibration(self) -> calibration.Calibration:
        """The log's figures to write into the blueprint, with the reasons (see :mod:`blueprint.logs.calibrate`)."""
        if self._calibration is None:
            self._calibration = calibration.calibrate(self)
        return self._calibration

    def calibrated(self) -> Blueprint:
        """The blueprint with the log's figures written in: branch chances, durations, arrivals."""
        return self.calibration().model

    def calibrated_text(self, format: str = "yaml", source: str | Path | None = None) -> str:
        """The calibrated blueprint as YAML or JSON text, with the comments and layout of the
        blueprint's file kept: `source`, or the file :func:`replay` was given, in that format."""
        source = source if source is not None else self.source
        return self.calibration().to_text(format, None if source is None else str(source))

    def to_text(self) -> str:
        """A report for a consultant: fitness, deviations, then the figures beside the blueprint's."""
        return figures.text(self.to_json(), self.model)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Replay of {self.file}: {self.fitting:,} of {self.cases:,} cases fit>"

    def _repr_html_(self) -> str:
        return figures.html_table(self.to_json(), self.model)


# ------------------------------------------------------------------------------------------------
# deviations, in a consultant's words
# ------------------------------------------------------------------------------------------------
def _cases(n: int) -> str:
    return f"{n:,} case{'s' if n != 1 else ''}"


def _deviation(fit: Replay, key: tuple, n: int, examples: list) -> dict:
    model, ids, kind = fit.model, fit.rules.ids, key[0]
    label = model.label
    share = f" ({n / fit.cases:.0%} of the log)" if fit.cases else ""
    steps: list[str] = []
    flows: list[list[str]] = []
    if kind == UNKNOWN:
        activity = key[1]
        names = [s.name for s in model.steps.values() if s.name] + list(model.steps)
        message = (f"'{activity}' happens in {_cases(n)}{share} but matches no step of the blueprint by id or by "
                   f"name{did_you_mean(activity, names)}; add the step, or map the activity to one with --map "
                   "(or to null to leave it out)")
        return {"kind": kind, "steps": [], "flows": [], "cases": n, "message": message, "activity": activity,
                "examples": examples}
    if kind == MISSING_START:
        step = ids[key[1]]
        steps = [step]
        starts = ", ".join(label(s) for s in model.entry)
        message = (f"{_cases(n)}{share} start at {label(step)}, where the blueprint does not start (it starts at "
                   f"{starts}); add it to start:, or check whether the log misses the first steps of these cases")
    elif kind == MISSING_FLOW:
        a, b = ids[key[1]], ids[key[2]]
        steps, flows = [a, b], [[a, b]]
        message = (f"In {_cases(n)}{share} the work went from {label(a)} to {label(b)}, a flow the blueprint "
                   "lacks; add the flow if that is how the service runs, or find out why these cases go that way")
    elif kind == EARLY_JOIN:
        join = ids[key[1]]
        missing = [ids[s] for s in key[2]]
        steps, flows = [join], [[s, join] for s in missing]
        message = (f"In {_cases(n)}{share} {label(join)} started before the work from "
                   f"{', '.join(label(s) for s in missing)} had come in, though it waits for every branch "
                   "(join: all); that work is not needed there, or the log misses it")
    else:  # NO_OUTCOME
        step = ids[key[1]] if key[1] != fit.rules.START else None
        steps = [step] if step else []
        how = {"success": "a success outcome", "failure": "a failure outcome",
               "abandoned": "a failure outcome (the customer gave up; the blueprint has no patience)"}
        where = f"after {label(step)}" if step else "before reaching any step of the blueprint"
        said = f" (the log says: {key[2]})" if key[2] in how else ""
        message = (f"{_cases(n)}{share} end {where}{said}, where the blueprint has no flow to "
                   f"{how.get(key[2], 'an outcome')}; add that flow, or check whether these cases were still "
                   "open when the log was taken")
    return {"kind": kind, "steps": steps, "flows": flows, "cases": n, "message": message, "examples": examples}


def _unused(fit: Replay) -> list[dict]:
    """A deviation for every flow of the blueprint no case took."""
    model, seen, out = fit.model, fit.observed, []
    for flow in model.flows:
        a, b = fit.rules.index[flow.source], fit.rules.index[flow.target]
        if seen.moves[a, b]:
            continue
        left = seen.finished[a] if fit.rules.split[a] else seen.ways_out(a)
        p = dict(model.branches(flow.source)).get(flow.target, 0.0)
        expected = round(p * left, 2) if left else None
        if not seen.visits[a]:
            why = f"no case in the log reached {model.label(flow.source)}"
        elif left:
            why = (f"the blueprint expects about {p * left:,.1f} of the {_cases(left)} that left "
                   f"{model.label(flow.source)} to go that way" + (f" (p {p:.3g})" if flow.p is not None else ""))
        else:
            why = f"no case in the log went on from {model.label(flow.source)}"
        out.append({"kind": UNUSED_FLOW, "steps": [flow.source, flow.target], "flows": [[flow.source, flow.target]],
                    "cases": 0, "message": f"No case went from {model.label(flow.source)} to "
                                           f"{model.label(flow.target)}; {why}: check the flow, or whether the log "
                                           "records that work", "examples": [], "expected": expected})
    return out


def _deviations(fit: Replay, found: dict) -> list[dict]:
    listed = [_deviation(fit, key, n, examples) for key, (n, examples) in found.items()]
    listed.sort(key=lambda d: (-d["cases"], KINDS.index(d["kind"]), d["steps"], d.get("activity", "")))
    return listed + _unused(fit)


# ------------------------------------------------------------------------------------------------
# heat: what the drawing needs from a replay document
# ------------------------------------------------------------------------------------------------
def is_replay(doc: Any) -> bool:
    """Whether `doc` is a ``replay`` JSON document.

    Examples
    --------
    >>> is_replay({"log": "x.csv", "fitness": 1.0, "deviations": []}), is_replay({"teams": {}})
    (True, False)
    """
    return isinstance(doc, dict) and "fitness" in doc and "deviations" in doc


def heat_figures(model: Blueprint, doc: dict) -> dict:
    """What the log shows, as the heat drawing takes it: ``visits`` (observed visits per case by
    step), ``utilization`` (observed, by team, where the team's staff is known), ``waits`` (mean
    wait by step, in ``time_unit``) and ``deviations`` (cases by step and by flow). An outcome
    counts the cases that reached it, logged or not.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]")
    >>> doc = {"cases": 4, "fitness": 0.5, "deviations": [{"kind": "missing-flow", "steps": ["b", "a"],
    ...        "flows": [["b", "a"]], "cases": 2}], "steps": {"a": {"count": 6, "wait": {"mean": 1.5}}},
    ...        "teams": {}}
    >>> figures = heat_figures(model, doc)
    >>> figures["visits"], figures["waits"], figures["deviations"]
    ({'a': 1.5}, {'a': 1.5}, {'steps': {'b': 2, 'a': 2}, 'flows': {('b', 'a'): 2}})
    """
    if not is_replay(doc):
        raise BlueprintError("heat: not the JSON of `blueprint replay LOG FILE --format json`")
    cases = doc.get("cases") or 0
    steps = doc.get("steps") or {}
    reached = {sid: o.get("count") for sid, o in (doc.get("outcomes") or {}).items() if isinstance(o, dict)}
    visits = {sid: max(s["count"], reached.get(sid) or 0) / cases for sid, s in steps.items()
              if sid in model.steps and isinstance(s, dict) and isinstance(s.get("count"), (int, float)) and cases}
    waits = {sid: s["wait"]["mean"] for sid, s in steps.items()
             if sid in model.steps and isinstance(s, dict) and isinstance(s.get("wait"), dict)
             and isinstance(s["wait"].get("mean"), (int, float))}
    utilization = {}
    for tid, team in (doc.get("teams") or {}).items():
        value = ((team or {}).get("utilization") or {}).get("observed") if isinstance(team, dict) else None
        if tid in model.teams and isinstance(value, (int, float)) and math.isfinite(value):
            utilization[tid] = float(value)
    by_step: dict[str, int] = {}
    by_flow: dict[tuple, int] = {}
    for d in doc.get("deviations") or []:
        n = d.get("cases") or 0
        for sid in d.get("steps") or []:
            by_step[sid] = by_step.get(sid, 0) + n
        for a, b in d.get("flows") or []:
            by_flow[a, b] = by_flow.get((a, b), 0) + n
    return {"visits": visits, "utilization": utilization, "waits": waits,
            "deviations": {"steps": by_step, "flows": by_flow}}
