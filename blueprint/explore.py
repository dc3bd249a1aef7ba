"""Explore: search a space of changes for the smallest one that breaks a service level.

Hypothesis draws changes from :func:`blueprint.strategies.variations` and evaluates the
requirement on each; when one breaks it, hypothesis shrinks it to the smallest change from the
baseline (fewest paths changed, each as close to its baseline value as it can be). Every
evaluation simulates with the same fixed seeds, so a KPI is a deterministic function of the
changes and shrinking is sound.

The search runs twice over the same seeded sequence of examples: first only to list the candidate
changes, which are then evaluated together in that order (in processes, or on a dask cluster), up
to the first that breaks the requirement (the search would stop there: the later ones are
dropped); then for real, where each evaluation is a look-up, and only the shrinking steps
simulate anew.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as seeded

from .chain import stats
from .errors import BlueprintError
from .model import Blueprint
from .parallel import iter_tasks
from .requirements import TIME_KPIS, Requirement, flatten, lookup, parse_requirement
from .simulation import simulate
from .strategies import baseline, variations

__all__ = ["explore", "Exploration", "evaluate_kpis"]


class _Broken(Exception):
    """The requirement broke for the changes being tried."""


@dataclass
class Exploration:
    """What explore found: whether the requirement holds, and the smallest change that breaks it."""

    requirement: str
    holds: bool
    counterexample: dict[str, Any] | None
    kpis: dict[str, float]
    value: float | None
    worst: dict[str, Any]
    evaluations: int
    time_unit: str = "minute"

    def to_json(self) -> dict:
        """The SPEC's ``explore`` document."""
        return {"requirement": self.requirement, "holds": self.holds, "counterexample": self.counterexample,
                "kpis": self.kpis, "value": self.value, "worst": self.worst, "evaluations": self.evaluations}

    def _show(self, value: float) -> str:
        kpi = self.requirement.split()[0]
        timed = any(part in TIME_KPIS for part in kpi.split("."))
        return f"{value:.4g} {self.time_unit}s" if timed else f"{value:.4g}"

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self) -> str:
        """What the search found, in a sentence or two: the requirement held, or the smallest change
        that breaks it."""
        kpi = self.requirement.split()[0]
        if self.holds:
            changes = ", ".join(f"{k} = {v}" for k, v in self.worst["changes"].items()) or "the baseline"
            return (f"The requirement {self.requirement} held in every example tried "
                    f"({self.evaluations} evaluations).\nWorst seen: {kpi} = {self._show(self.worst['value'])} "
                    f"with {changes}.")
        if not self.counterexample:
            return (f"The requirement {self.requirement} is already broken by the blueprint as it is: "
                    f"{kpi} = {self._show(self.value)}.")
        changes = "\n".join(f"  {k} = {v}" for k, v in self.counterexample.items())
        return (f"The requirement {self.requirement} breaks with this change:\n{changes}\n"
                f"which gives {kpi} = {self._show(self.value)} ({self.evaluations} evaluations).")


def evaluate_kpis(model: Blueprint, changes: Mapping[str, Any], *, stats_only: bool, cases: int,
                  replications: int, seed: int) -> dict[str, float]:
    """The KPIs of `model` with `changes`: the stats ones as ``stats.*``, and the simulated ones.

    Examples
    --------
    >>> import blueprint as bp
    >>> model = bp.loads("steps: {a: {lane: customer}, b: {outcome: success}, c: {outcome: failure}}\\n"
    ...                  "flows: [[a, b, 0.5], [a, c, 0.5]]")
    >>> figures = evaluate_kpis(model, {"flows[a->b].p": 0.9}, stats_only=True, cases=0, replications=1, seed=0)
    >>> figures["stats.outcomes.b"]
    0.9
    """
    changed = model.with_changes(dict(changes)) if changes else model
    kpis = {f"stats.{k}": v for k, v in flatten(stats(changed).to_json()).items()}
    if not stats_only:
        kpis.update(flatten(simulate(changed, cases=cases, seed=seed, replications=replications).to_json()))
    return kpis


def _key(changes: Mapping[str, Any]) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in changes.items()))


def _search(strategy, test: Callable[[dict], None], examples: int, seed: int) -> None:
    @seeded(seed)
    @settings(max_examples=examples, database=None, deadline=None, derandomize=False, print_blob=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
              verbosity=Verbosity.quiet, report_multiple_bugs=False)
    @given(strategy)
    def search(changes):
        test(changes)

    search()


def explore(model: Blueprint, ranges: Mapping[str, tuple[Any, Any]], requirement: str | Requirement, *,
            examples: int = 40, cases: int = 2_000, replications: int = 1, seed: int = 0, jobs: int = 1,
            client: Any = None) -> Exploration:
    """Search for the smallest change within `ranges` that breaks `requirement`.

    Parameters
    ----------
    model : Blueprint
        The baseline.
    ranges : mapping of str to (low, high)
        What may vary: ``{"teams.store.staff": (1, 6), "flows[unpack->fitted].p": (0.1, 0.9)}``.
    requirement : str
        ``"KPI OP VALUE"``: a key of the simulate JSON (``time_in_system.p90``,
        ``cases.by_outcome.gave_up``, ``teams.store.utilization``) or ``stats.<key>`` of the stats
        JSON, compared with ``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``; times may carry a unit.
    examples : int
        How many changes to try before concluding that the requirement holds.
    cases, replications, seed
        Each evaluation's simulation (the same seeds for every evaluation).
    jobs, client
        Evaluate the candidates in `jobs` processes, or on a ``dask.distributed`` client.

    Returns
    -------
    Exploration
        ``holds``, the shrunk ``counterexample`` (``{path: value}``) or ``None``, and its KPIs.

    Examples
    --------
    >>> import blueprint as bp
    >>> model = bp.loads('''
    ... steps:
    ...   unpack: {lane: customer, channel: home}
    ...   fitted: {outcome: success}
    ...   complain: {outcome: failure}
    ... flows: [[unpack, fitted, 0.9], [unpack, complain, 0.1]]
    ... ''')
    >>> found = explore(model, {"flows[unpack->fitted].p": (0.5, 1.0)}, "stats.outcomes.complain < 0.25",
    ...                 examples=50, seed=1)
    >>> found.holds, round(found.counterexample["flows[unpack->fitted].p"], 2)
    (False, 0.75)
    """
    req = requirement if isinstance(requirement, Requirement) else parse_requirement(requirement, model.time_unit)
    if not ranges:
        raise BlueprintError("explore needs at least one --vary PATH=LOW..HIGH")
    strategy = variations(model, ranges)
    options = dict(stats_only=req.is_stats, cases=cases, replications=replications, seed=seed)
    cache: dict[tuple, dict[str, float]] = {}

    def kpis_of(changes: dict) -> dict[str, float]:
        key = _key(changes)
        if key not in cache:
            cache[key] = evaluate_kpis(model, changes, **options)
        return cache[key]

    as_is = kpis_of({})
    lookup(as_is, req.kpi)  # a KPI that does not exist is bad input, before any search
    candidates: dict[tuple, dict] = {}
    _search(strategy, lambda changes: candidates.setdefault(_key(changes), changes), examples, seed)
    todo = [c for k, c in candidates.items() if k not in cache]
    with closing(iter_tasks(_evaluate, [(model, c, options) for c in todo], jobs=jobs, client=client)) as results:
        for changes, kpis in zip(todo, results):
            cache[_key(changes)] = kpis
            if not req.holds(lookup(kpis, req.kpi)):
                break  # the search stops at the first example that breaks it: the later ones are dropped

    worst = {"changes": {}, "value": lookup(as_is, req.kpi)}
    broken: list[dict] = []

    def test(changes: dict) -> None:
        value = lookup(kpis_of(changes), req.kpi)
        if req.shortfall(value) > req.shortfall(worst["value"]):
            worst.update(changes=dict(changes), value=value)
        if not req.holds(value):
            broken.append(dict(changes))
            raise _Broken

    with contextlib.suppress(_Broken):
        _search(strategy, test, examples, seed)
    if not broken:
        return Exploration(req.text, True, None, as_is, worst["value"], worst, len(cache), model.time_unit)
    smallest = _closer(broken[-1], model, ranges, req, kpis_of)  # hypothesis replays the shrunk example last
    kpis = kpis_of(smallest)
    return Exploration(req.text, False, smallest, kpis, lookup(kpis, req.kpi), worst, len(cache), model.time_unit)


def _closer(changes: dict, model: Blueprint, ranges, req: Requirement, kpis_of, steps: int = 14) -> dict:
    """Move each float of a counterexample as close to its baseline as it can go and still break.

    Hypothesis shrinks a float towards a *simple* number; a consultant wants the *smallest* change.
    Bisect between the baseline and the counterexample, then take the roundest value that breaks.
    """
    def breaks(trial: dict) -> bool:
        return not req.holds(lookup(kpis_of(trial), req.kpi))

    changes = dict(changes)
    for path, value in list(changes.items()):
        if not isinstance(value, float):
            continue
        low, high = ranges[path]
        base = baseline(model, path)
        good = min(max(float(base if base is not None else low), low), high)
        bad = value
        for _ in range(steps):
            mid = (good + bad) / 2
            if breaks({**changes, path: mid}):
                bad = mid
            else:
                good = mid
        for digits in range(1, 7):
            rounded = round(bad, digits)
            within = min(good, bad) <= rounded <= max(good, bad) or rounded == round(bad, 6)
            if within and rounded != good and breaks({**changes, path: rounded}):
                bad = rounded
                break
        changes[path] = bad
    return changes


def _evaluate(task) -> dict[str, float]:
    model, changes, options = task
    return evaluate_kpis(model, changes, **options)
