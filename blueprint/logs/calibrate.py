"""A blueprint calibrated on a log: the replayed log's figures written into it.

:func:`calibrate` takes a :class:`blueprint.logs.replay.Replay` and writes into its blueprint:

- **branch chances**: each step that branches (not ``split: all``) gets ``p`` on its flows from
  the moves the log made along them (moves along flows the blueprint lacks are not counted; a flow
  no case took gets ``p: 0``); steps the log never left keep theirs;
- **durations**: each step's measured durations (start to end of finished visits; where the log
  has no start times, the time since the previous event, which includes waiting) fitted by
  :func:`fit_duration`: of ``exponential``, ``normal`` (where less than 1% of it falls below 0,
  where the format cuts it), ``lognormal`` (these three with the times' own mean and standard
  deviation, as the format writes them: the mean is kept), ``uniform`` and ``triangular`` (their
  ends just beyond the sample's, the mode by maximum likelihood), the one with the least AIC
  (log-likelihoods by :mod:`scipy.stats`), kept when a
  Kolmogorov-Smirnov test does not reject it at the 1% level; otherwise (or with fewer than
  :data:`MIN_FIT` values) the ``empirical`` one (at most 50 values, each the mean of an equal
  share of the sorted times, so that the mean is kept); ``fixed`` when every value is the same;
- **arrivals**: the times between the starts of the log's cases, fitted as durations are, as
  ``{every: DURATION}`` (``{rate: N/unit}`` at the log's mean rate where the blueprint gives a
  rate; arrivals ``at`` given times are kept); **start** weights where the blueprint starts at
  more than one step.

Staff, hours, timeouts and patience are the blueprint's own. Simulating the calibrated blueprint
gives back the log's activity shares and, where the log's waits are queueing for the blueprint's
staff (or the log has no start times), its time in system.

The calibrated file keeps the **comments** and layout of the blueprint's file (YAML or JSON):
each figure is written over the value PyYAML finds at its place in the text (or added beside its
siblings), and the edited text is checked to load as the calibrated blueprint. A blueprint with no
file in the format asked (built in Python, or read from BPMN), or a check that fails, is written
out plainly.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from ..durations import RATE_PATTERN, TIME_UNITS, Fixed, mean_of, to_unit
from ..errors import BlueprintError
from ..formats import SUFFIXES
from ..loader import loads, read_text
from ..model import At, Blueprint, Every, RateArrivals, build
from ..writing import dumps
from .discover import QUANTILES, _round

__all__ = ["calibrate", "Calibration", "fit_duration", "MIN_FIT", "LARGEST_FIT", "KS_LEVEL"]

#: Fewer measured values than this are kept as they are (``empirical``): too few to choose a family.
MIN_FIT = 20
#: At most this many values (drawn at random, seed 0) are used to fit and test a family.
LARGEST_FIT = 5000
#: A family is kept when the Kolmogorov-Smirnov test's p-value is at least this.
KS_LEVEL = 0.01


@dataclass
class Fit:
    """A fitted duration: as written in the file, and why."""

    duration: Any
    family: str
    aic: float | None = None
    ks_p: float | None = None
    n: int = 0


def _scipy_stats():
    """:mod:`scipy.stats`, imported when a duration is first fitted: it takes about a second to import,
    and every command would pay for it at start (``import blueprint`` imports this module)."""
    from scipy import stats  # deferred on purpose: see above

    return stats


def _families(x: np.ndarray) -> list[tuple[str, Any, Any, int]]:
    """``(name, frozen scipy distribution, as written in the file, parameters)`` fitted to `x`."""
    st = _scipy_stats()
    mean, sd = float(np.mean(x)), float(np.std(x))
    lo, hi = float(x.min()), float(x.max())
    out: list[tuple[str, Any, Any, int]] = [("exponential", st.expon(scale=mean), {"exponential": _round(mean)}, 1)]
    if st.norm.cdf(0, mean, sd) < 0.01:  # (the format cuts a normal at 0: only where that changes little)
        out.append(("normal", st.norm(mean, sd), {"normal": {"mean": _round(mean), "sd": _round(sd)}}, 2))
    if lo > 0 and mean > 0:  # the mean and sd of the times themselves, as the format writes them
        sigma2 = math.log1p((sd / mean) ** 2)
        out.append(("lognormal", st.lognorm(math.sqrt(sigma2), scale=mean * math.exp(-sigma2 / 2)),
                    {"lognormal": {"mean": _round(mean), "sd": _round(sd)}}, 2))
    pad = (hi - lo) / len(x)  # the ends of the sample are inside the range, not on it
    a, b = max(0.0, lo - pad), hi + pad
    out.append(("uniform", st.uniform(a, b - a), {"uniform": [_round(a), _round(b)]}, 2))
    best = None
    for c in np.unique(np.quantile(x, np.linspace(0, 1, 101))):
        shape = (c - a) / (b - a)
        ll = float(np.sum(st.triang(shape, a, b - a).logpdf(x)))
        if best is None or ll > best[0]:
            best = (ll, float(c), shape)
    if best is not None:
        out.append(("triangular", st.triang(best[2], a, b - a), {"triangular": [_round(a), _round(best[1]),
                                                                               _round(b)]}, 3))
    return out


def fit_duration(values, seed: int = 0) -> Fit:
    """The duration a step's measured times (in ``time_unit``) are written as (see the module notes).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> fit_duration(rng.lognormal(1.0, 0.5, 3000)).family
    'lognormal'
    >>> fit_duration(rng.uniform(2, 5, 3000)).duration  # the ends a little beyond the sample's
    {'uniform': [1.999, 5.001]}
    >>> fit_duration([4, 4, 4]).duration, fit_duration([1, 2, 9]).duration
    (4, {'empirical': [1, 2, 9]})
    >>> fit_duration(np.r_[rng.normal(10, 1, 1500), rng.normal(30, 1, 1500)]).family  # two humps: none fits
    'empirical'
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if not n:
        raise ValueError("no values to fit")
    if x[-1] - x[0] <= 1e-9 * max(1.0, abs(x[-1])):
        return Fit(_round(float(x[0])), "fixed", n=n)
    if n < MIN_FIT:
        return Fit({"empirical": _quantiles(x)}, "empirical", n=n)
    sample = x if n <= LARGEST_FIT else np.sort(np.random.default_rng(seed).choice(x, LARGEST_FIT, replace=False))
    best = None
    for name, dist, written, k in _families(sample):
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = float(np.sum(dist.logpdf(sample)))
        if not math.isfinite(ll):
            continue
        aic = 2 * k - 2 * ll
        if best is None or aic < best[0]:
            best = (aic, name, dist, written)
    if best is not None:
        p = float(_scipy_stats().kstest(sample, best[2].cdf).pvalue)
        if p >= KS_LEVEL:
            return Fit(best[3], best[1], aic=_round(best[0]), ks_p=_round(p), n=n)
    return Fit({"empirical": _quantiles(x)}, "empirical", aic=None, ks_p=None, n=n)


#: Units a fixed time is written in when it is a whole number of one: (suffix, seconds).
_WHOLE = (("w", 604800.0), ("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0))


def as_written(value: float, unit: str) -> Any:
    """A time in `unit` as a consultant writes it: ``"20min"`` for a whole number of a unit (the
    largest such), else the number, to 4 significant digits.

    Examples
    --------
    >>> as_written(1 / 3, "hour"), as_written(48.0, "hour"), as_written(0.1234567, "hour"), as_written(0, "hour")
    ('20min', '2d', 0.1235, 0)
    """
    seconds = value * TIME_UNITS[unit]
    if seconds > 0:
        for suffix, size in _WHOLE:
            whole = round(seconds / size)
            if whole >= 1 and abs(seconds / size - whole) <= 1e-6 * (seconds / size):
                return f"{whole}{suffix}"
    return _round(value)


def _constant(duration: Any, unit: str) -> float | None:
    """A duration that is always the same, in `unit` to 4 significant digits; else ``None``."""
    if duration is None or isinstance(duration, (int, float, str, Fixed)):
        return _round(mean_of(duration, unit))
    return None


def _quantiles(x: np.ndarray) -> list:
    """At most :data:`QUANTILES` values for sorted `x`: each the mean of an equal share of it (so the
    mean is kept, however long the tail)."""
    if len(x) > QUANTILES:
        x = np.array([part.mean() for part in np.array_split(x, QUANTILES)])
    return [_round(float(v)) for v in x]


# ------------------------------------------------------------------------------------------------
# the figures to write
# ------------------------------------------------------------------------------------------------
@dataclass
class Calibration:
    """The changes a log makes to a blueprint: ``changes`` as ``(place, value)``, with ``place`` a
    path in the file (``("steps", "sell", "duration")``, ``("flows", 3, "p")``, ``("start",)``,
    ``("arrivals",)``), ``notes`` on how each was found, and the calibrated ``model``."""

    base: Blueprint
    changes: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    fits: dict = field(default_factory=dict)
    model: Blueprint | None = None

    def to_text(self, format: str = "yaml", source: str | None = None) -> str:
        """The calibrated blueprint as YAML or JSON text; given the blueprint's `source` file (in that
        format), with its comments and layout kept (see the module notes)."""
        if source is not None and SUFFIXES.get(Path(source).suffix.lower()) == format:
            try:
                text = read_text(source)
                edited = _edit(text, _compose(text), self.changes, format)
                if loads(edited, format=format) == self.model:
                    return edited
            except (_CannotEdit, BlueprintError):
                pass
            self.notes.append(f"the layout of {source} could not be kept: the blueprint is written out plainly")
        return dumps(self.model, format)

    def __str__(self) -> str:
        return self.to_text()


def _compose(text: str):
    """The YAML tree of a blueprint file (JSON is YAML), with where each value starts and ends."""
    try:
        return yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, RecursionError) as exc:
        raise _CannotEdit(str(exc)) from None


def _chances(counts: list[int]) -> list[float]:
    total = sum(counts)
    shares = [round(n / total, 4) for n in counts]
    biggest = max(range(len(counts)), key=lambda i: counts[i])
    shares[biggest] = round(1.0 - sum(s for i, s in enumerate(shares) if i != biggest), 10)
    return shares


def calibrate(fit) -> Calibration:
    """The changes the replayed log `fit` makes to its blueprint (see the module notes)."""
    model, rules, seen = fit.model, fit.rules, fit.observed
    out = Calibration(model)
    per = TIME_UNITS[model.time_unit]
    data = model.to_data()
    for sid, step in model.steps.items():
        if step.split == "all" or len(model.outgoing[sid]) < 2:
            continue
        a = rules.index[sid]
        counts = [seen.moves[a, rules.index[f.target]] for f in model.outgoing[sid]]
        if sum(counts):
            chances = _chances(counts)
            for flow, p in zip(model.outgoing[sid], chances):
                out.changes.append((("flows", model.flows.index(flow), "p"), p))
            shares = ", ".join(f"{f.target} {p:g}" for f, p in zip(model.outgoing[sid], chances))
            out.notes.append(f"{sid}: chances {shares}"
                             f" from {sum(counts):,} moves")
    for i, sid in enumerate(rules.ids):
        if model.steps[sid].is_outcome:
            continue
        measured, how = seen.durations[i], "start to end"
        if not len(measured):
            measured, how = seen.spans[i], "from the previous event to the end (the log has no start times)"
        if not len(measured):
            continue
        values = np.frombuffer(measured) / per
        if not values.any() and model.steps[sid].duration is None:
            continue
        found = fit_duration(values)
        if found.family == "fixed":
            found.duration = as_written(float(values[0]), model.time_unit)
            if _constant(model.steps[sid].duration, model.time_unit) == _round(float(values[0])):
                continue  # the file says so already
        out.fits[sid] = found
        out.changes.append((("steps", sid, "duration"), found.duration))
        out.notes.append(f"{sid}: {found.family} from {found.n:,} times measured {how}"
                         + (f" (AIC {found.aic}, KS p {found.ks_p})" if found.aic is not None else ""))
    _arrivals(fit, out, per)
    for place, value in out.changes:
        _set(data, place, value)
    out.model = build(data, file=f"{model.name or 'blueprint'} (calibrated)")
    return out


def _arrivals(fit, out: Calibration, per: float) -> None:
    model, rules, seen = fit.model, fit.rules, fit.observed
    entry = list(model.entry)
    starts = [seen.starts[rules.index[s]] for s in entry]
    if len(entry) > 1 and sum(starts):
        out.changes.append((("start",), dict(zip(entry, _chances(starts)))))
    first, last, n = seen.arrivals
    if n < 2 or last <= first or isinstance(model.arrivals, At):
        return
    gap = (last - first) / (n - 1) / per
    if isinstance(model.arrivals, RateArrivals):
        value: dict = {"rate": _round(1.0 / gap)}
        written = re.match(RATE_PATTERN, str(model.arrivals.rate))
        if written:  # in the words the file used: 3/day stays so many a day
            each = float(written.group(2) or 1) * to_unit(f"1{written.group(3)}", model.time_unit)
            value = {"rate": f"{_round(each / gap)}/{written.group(2) or ''}{written.group(3)}"}
    else:  # the times between case starts, fitted as a step's durations are
        found = fit_duration(np.diff(np.sort(np.frombuffer(seen.case_starts))) / per)
        if found.family == "fixed" and isinstance(model.arrivals, Every) and _constant(
                model.arrivals.every, model.time_unit) == found.duration:
            return  # the file says so already
        value = {"every": as_written(found.duration, model.time_unit) if found.family == "fixed" else found.duration}
        out.fits["arrivals"] = found
    out.changes.append((("arrivals",), value))
    out.notes.append(f"arrivals: {n:,} cases over {(last - first) / per:,.4g} {model.time_unit}s")


def _set(data: dict, place: tuple, value: Any) -> None:
    if place[0] == "flows":
        flows = data["flows"]
        flow = flows[place[1]]
        if isinstance(flow, list):
            flows[place[1]] = [flow[0], flow[1], value]
        else:
            flow["p"] = value
    elif place[0] == "steps":
        data["steps"][place[1]][place[2]] = value
    else:
        data[place[0]] = value


# ------------------------------------------------------------------------------------------------
# writing the figures into the file's text
# ------------------------------------------------------------------------------------------------
class _CannotEdit(Exception):
    """The text has a shape the edits do not handle: write the blueprint out plainly instead."""


_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ ./-]*$")


def _render(value: Any, format: str) -> str:
    """A value as a flow-style YAML (or JSON) fragment."""
    if format == "json":
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_render(k, format)}: {_render(v, format)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_render(v, format) for v in value) + "]"
    if isinstance(value, str):
        plain = _PLAIN.match(value) and value.strip() == value and yaml.safe_load(value) == value
        return value if plain else json.dumps(value)
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _value(node, key: str):
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v
    return None


def _add_key(text: str, node, key: str, value: str, format: str, newline: str) -> tuple[int, int, str]:
    """The edit that adds ``key: value`` to the mapping `node`."""
    if not isinstance(node, yaml.MappingNode):
        raise _CannotEdit(key)
    item = f'"{key}": {value}' if format == "json" else f"{key}: {value}"
    if node.flow_style:
        at = node.start_mark.index
        if text[at:at + 1] != "{":
            raise _CannotEdit(key)
        return at + 1, at + 1, item + (", " if node.value else "")
    if not node.value:
        raise _CannotEdit(key)
    first, (_, last) = node.value[0][0], node.value[-1]
    if first.start_mark.column == 0:  # the top level: at the end of the file
        end = len(text.rstrip())
        return end, end, newline + item
    if last.start_mark.line == last.end_mark.line:  # after the last key, at the end of its line
        end = text.find("\n", last.end_mark.index)
        end = len(text) if end < 0 else end - (text[end - 1:end] == "\r")
        return end, end, newline + " " * first.start_mark.column + item
    return first.start_mark.index, first.start_mark.index, item + newline + " " * first.start_mark.column


def _edit(text: str, root, changes: list, format: str) -> str:
    """`text` with each change written at its place (see the module notes)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    edits = []
    for place, value in changes:
        rendered = _render(value, format)
        if place[0] == "flows":
            flows = _value(root, "flows")
            if not isinstance(flows, yaml.SequenceNode) or place[1] >= len(flows.value):
                raise _CannotEdit(place)
            node = flows.value[place[1]]
            if isinstance(node, yaml.SequenceNode):
                if len(node.value) == 3:
                    edits.append((node.value[2].start_mark.index, node.value[2].end_mark.index, rendered))
                elif len(node.value) == 2 and node.flow_style:
                    at = node.value[1].end_mark.index
                    edits.append((at, at, ", " + rendered))
                else:
                    raise _CannotEdit(place)
                continue
            target, key = node, "p"
        elif place[0] == "steps":
            target, key = _value(_value(root, "steps"), place[1]), place[2]
        else:
            target, key = root, place[0]
        existing = _value(target, key)
        if existing is not None:
            edits.append((existing.start_mark.index, existing.end_mark.index, rendered))
        else:
            edits.append(_add_key(text, target, key, rendered, format, newline))
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + new + text[end:]
    return text
