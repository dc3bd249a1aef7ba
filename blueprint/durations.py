"""Time in a blueprint: quantities with units, rates, and duration distributions.

A **quantity** is a bare number, counted in the blueprint's ``time_unit``, or a string with a
unit: ``45s``, ``10min``, ``2h``, ``3d``, ``1w``. A **duration** is a quantity (always that long)
or one distribution, written as a mapping with one key::

    {fixed: 15min}            {exponential: 2h}          {uniform: [1, 3]}
    {triangular: [1d, 2d, 5d]}                           {normal: {mean: 30min, sd: 10min}}
    {lognormal: {mean: 2d, sd: 12h}}                     {empirical: [1, 2, 2, 3, 8]}

A normal duration is cut at 0: a draw below 0 counts as 0. A lognormal takes the mean and the
standard deviation of the duration itself (not of its logarithm). Every distribution knows its
:meth:`mean` and can draw samples with a numpy ``Generator`` passed in (never a global one).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, PlainValidator, Tag, WithJsonSchema, field_validator

__all__ = [
    "TIME_UNITS", "Quantity", "Rate", "CostRate", "Duration", "Fixed", "Exponential", "Uniform", "Triangular",
    "Normal", "Lognormal", "Empirical", "to_unit", "rate_in", "mean_of", "sample", "Law", "law_of",
]

#: Seconds in each time unit a blueprint may count in.
TIME_UNITS: dict[str, float] = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0,
                                "week": 604800.0}
_UNIT_WORDS = {
    "s": "second", "sec": "second", "secs": "second", "second": "second", "seconds": "second",
    "m": "minute", "min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
    "h": "hour", "hr": "hour", "hrs": "hour", "hour": "hour", "hours": "hour",
    "d": "day", "day": "day", "days": "day",
    "w": "week", "wk": "week", "wks": "week", "week": "week", "weeks": "week",
}
_NUMBER = r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
_UNIT_ALTERNATIVES = "|".join(sorted(_UNIT_WORDS, key=len, reverse=True))
QUANTITY_PATTERN = rf"^\s*({_NUMBER})\s*({_UNIT_ALTERNATIVES})?\s*$"
RATE_PATTERN = rf"^\s*({_NUMBER})\s*/\s*({_NUMBER})?\s*({_UNIT_ALTERNATIVES})\s*$"
_QUANTITY_RE = re.compile(QUANTITY_PATTERN)
_RATE_RE = re.compile(RATE_PATTERN)
#: Larger than any duration a service could have, in any unit; bigger numbers are typos.
LARGEST = 1e12


def _finite(x: float, what: str) -> float:
    if isinstance(x, bool):
        raise ValueError(f"{what} must be a number, not {x!r}")
    try:
        value = float(x)
    except OverflowError:
        raise ValueError(f"{what} {x} is too large") from None
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, not {x!r}")
    if abs(value) > LARGEST:
        raise ValueError(f"{what} {x} is too large (at most {LARGEST:g})")
    return value


def _check_quantity(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a time here (5, '2h', '10min'), found {value!r}")
    if isinstance(value, str):
        if not _QUANTITY_RE.match(value):
            raise ValueError(f"'{value}' is not a time; write a number (in the time_unit) or a number "
                             "with a unit: 45s, 10min, 2h, 3d, 1w")
        number = _finite(float(_QUANTITY_RE.match(value).group(1)), "a time")
    else:
        number = _finite(value, "a time")
    if number < 0:
        raise ValueError(f"a time cannot be negative ({value}); use 0 or more")
    return value


#: A non-negative time: a number in the blueprint's ``time_unit`` or a string with a unit.
Quantity = Annotated[
    int | float | str,
    PlainValidator(_check_quantity),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": 0},
                              {"type": "string", "pattern": QUANTITY_PATTERN}],
                    "description": "a time: a number in the time_unit, or a number with a unit "
                                   "(45s, 10min, 2h, 3d, 1w)"}),
]


def _check_rate(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a rate here (5/day, 12/h), found {value!r}")
    if isinstance(value, str):
        match = _RATE_RE.match(value)
        if not match:
            raise ValueError(f"'{value}' is not a rate; write it as N/unit, like 5/day or 12/h")
        _finite(float(match.group(1)), "a rate")
        if match.group(2) is not None and float(match.group(2)) == 0:
            raise ValueError(f"'{value}' divides by zero time")
        number = float(match.group(1))
    else:
        number = _finite(value, "a rate")
    if number <= 0:
        raise ValueError(f"a rate must be more than 0, not {value}")
    return value


#: Arrivals per time: ``5/day``, ``12/h``, ``3/2h``, or a bare number per ``time_unit``.
Rate = Annotated[
    int | float | str,
    PlainValidator(_check_rate),
    WithJsonSchema({"anyOf": [{"type": "number", "exclusiveMinimum": 0},
                              {"type": "string", "pattern": RATE_PATTERN}],
                    "description": "arrivals per time: N/unit (5/day, 12/h) or a number per time_unit"}),
]


def _check_cost_rate(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"expected what an hour of the team's work costs, with its time unit, like 30/hour or "
                         f"0.5/minute, found {value!r}")
    match = _RATE_RE.match(value)
    if not match:
        raise ValueError(f"'{value}' is not a cost of time; write an amount per unit of time, like 30/hour "
                         "or 0.5/minute")
    _finite(float(match.group(1)), "a cost")
    if match.group(2) is not None and float(match.group(2)) == 0:
        raise ValueError(f"'{value}' divides by zero time")
    return value


#: What a team's time costs: an amount per unit of time, ``30/hour``, ``0.5/minute``, ``240/day``
#: (0 allowed: volunteers); the unit is required, so a bare number is never read in the wrong unit.
CostRate = Annotated[
    str,
    PlainValidator(_check_cost_rate),
    WithJsonSchema({"type": "string", "pattern": RATE_PATTERN,
                    "description": "an amount per unit of time: 30/hour, 0.5/minute"}),
]


def to_unit(quantity: float | str, unit: str = "minute") -> float:
    """A quantity counted in `unit`.

    Parameters
    ----------
    quantity : float or str
        A bare number (already in `unit`) or a string with a unit such as ``"2h"``.
    unit : str
        One of :data:`TIME_UNITS`.

    Examples
    --------
    >>> to_unit("2h", "minute")
    120.0
    >>> to_unit("36h", "day")
    1.5
    >>> to_unit(7, "hour")
    7.0
    """
    if isinstance(quantity, str):
        match = _QUANTITY_RE.match(quantity)
        if not match:
            raise ValueError(f"'{quantity}' is not a time")
        number, word = float(match.group(1)), match.group(2)
        if word is None:
            return number
        return number * TIME_UNITS[_UNIT_WORDS[word]] / TIME_UNITS[unit]
    return float(quantity)


def rate_in(rate: float | str, unit: str = "minute") -> float:
    """Arrivals per one `unit` of time.

    Examples
    --------
    >>> rate_in("5/day", "hour") * 24
    5.0
    >>> rate_in("3/2h", "hour")
    1.5
    >>> rate_in(0.5, "minute")
    0.5
    """
    if isinstance(rate, str):
        match = _RATE_RE.match(rate)
        count, per, word = float(match.group(1)), float(match.group(2) or 1), match.group(3)
        return count / (per * TIME_UNITS[_UNIT_WORDS[word]] / TIME_UNITS[unit])
    return float(rate)


# --- the law of a duration: its tail, for timeouts -----------------------------------------------
_SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True)
class Law:
    """A duration's probability law in one time unit: ``atoms`` for a time that takes a few values
    (each equally likely), or ``sf`` (the tail: the chance of lasting beyond t) and ``pdf`` for a
    continuous one; ``zero`` is the chance of exactly 0 (a normal time cut at 0), ``low`` and
    ``top`` the shortest and longest it lasts, ``exponential`` the mean of an exponential time (for
    its closed forms).

    Examples
    --------
    >>> Uniform(uniform=[0, 10]).law("minute").beyond(2.5), Law.atoms_of(1.0, 3.0).beyond(2.0)
    (0.75, 0.5)
    """

    atoms: tuple[float, ...] | None = None
    sf: Callable[[float], float] | None = None
    pdf: Callable[[float], float] | None = None
    zero: float = 0.0
    low: float = 0.0
    top: float = math.inf
    exponential: float | None = None

    @classmethod
    def atoms_of(cls, *values: float) -> Law:
        """A time that takes one of `values`, each equally likely."""
        return cls(atoms=tuple(float(v) for v in values), low=min(values), top=max(values))

    def beyond(self, t: float) -> float:
        """``P(X > t)``: the tail of the duration at `t`."""
        if self.atoms is not None:
            return sum(a > t for a in self.atoms) / len(self.atoms)
        return 1.0 if t < 0 else float(min(max(self.sf(t), 0.0), 1.0))


class _Distribution(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def mean(self, unit: str = "minute") -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int, unit: str = "minute") -> np.ndarray:
        raise NotImplementedError  # pragma: no cover

    def law(self, unit: str = "minute") -> Law:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def tail(self, t: float, unit: str = "minute") -> float:
        """The chance this duration lasts longer than `t` (in `unit`): what a timeout after `t` catches.

        Examples
        --------
        >>> Exponential(exponential=2).tail(2.0) == math.exp(-1), Fixed(fixed="1h").tail(30)
        (True, 1.0)
        """
        return self.law(unit).beyond(t)


class Fixed(_Distribution):
    """Always the same time: ``{fixed: 15min}``."""

    fixed: Quantity

    def mean(self, unit: str = "minute") -> float:
        return to_unit(self.fixed, unit)

    def sample(self, rng, size, unit="minute"):
        return np.full(size, self.mean(unit))

    def law(self, unit="minute"):
        return Law.atoms_of(self.mean(unit))


class Exponential(_Distribution):
    """Memoryless time with the given mean: ``{exponential: 2h}``."""

    exponential: Quantity = Field(description="the mean")

    @field_validator("exponential")
    @classmethod
    def _positive(cls, v):
        if to_unit(v, "second") <= 0:
            raise ValueError("the mean of an exponential time must be more than 0; use {fixed: 0} for no time")
        return v

    def mean(self, unit: str = "minute") -> float:
        return to_unit(self.exponential, unit)

    def sample(self, rng, size, unit="minute"):
        return rng.exponential(self.mean(unit), size)

    def law(self, unit="minute"):
        m = self.mean(unit)
        return Law(sf=lambda t: math.exp(-t / m), pdf=lambda t: math.exp(-t / m) / m if t >= 0 else 0.0,
                   exponential=m)


def _ordered(values: list, names: str) -> tuple:
    seconds = [to_unit(v, "second") for v in values]
    if any(a > b for a, b in zip(seconds, seconds[1:])):
        raise ValueError(f"needs {names} in that order, got {values}")
    return tuple(values)


class Uniform(_Distribution):
    """Any time between A and B, equally likely: ``{uniform: [1, 3]}``."""

    uniform: tuple[Quantity, Quantity] = Field(description="[A, B] with A <= B")

    @field_validator("uniform")
    @classmethod
    def _order(cls, v):
        return _ordered(list(v), "[A, B] with A <= B")

    def mean(self, unit: str = "minute") -> float:
        a, b = (to_unit(x, unit) for x in self.uniform)
        return (a + b) / 2

    def sample(self, rng, size, unit="minute"):
        a, b = (to_unit(x, unit) for x in self.uniform)
        return rng.uniform(a, b, size)

    def law(self, unit="minute"):
        a, b = (to_unit(x, unit) for x in self.uniform)
        if a == b:
            return Law.atoms_of(a)
        return Law(sf=lambda t: min(max((b - t) / (b - a), 0.0), 1.0),
                   pdf=lambda t: 1.0 / (b - a) if a <= t <= b else 0.0, low=a, top=b)


class Triangular(_Distribution):
    """Between MIN and MAX, most often MODE: ``{triangular: [1d, 2d, 5d]}``."""

    triangular: tuple[Quantity, Quantity, Quantity] = Field(description="[MIN, MODE, MAX]")

    @field_validator("triangular", mode="before")
    @classmethod
    def _three(cls, v):
        if isinstance(v, (list, tuple)) and len(v) != 3:
            raise ValueError(f"triangular needs three times [MIN, MODE, MAX], got {len(v)}: {list(v)}")
        return v

    @field_validator("triangular")
    @classmethod
    def _order(cls, v):
        return _ordered(list(v), "[MIN, MODE, MAX] with MIN <= MODE <= MAX")

    def mean(self, unit: str = "minute") -> float:
        return sum(to_unit(x, unit) for x in self.triangular) / 3

    def sample(self, rng, size, unit="minute"):
        lo, mode, hi = (to_unit(x, unit) for x in self.triangular)
        if lo == hi:
            return np.full(size, lo)
        return rng.triangular(lo, mode, hi, size)

    def law(self, unit="minute"):
        lo, mode, hi = (to_unit(x, unit) for x in self.triangular)
        if lo == hi:
            return Law.atoms_of(lo)

        def sf(t: float) -> float:
            if t <= lo:
                return 1.0
            if t >= hi:
                return 0.0
            if t < mode:
                return 1.0 - (t - lo) ** 2 / ((hi - lo) * (mode - lo))
            return (hi - t) ** 2 / ((hi - lo) * (hi - mode))

        def pdf(t: float) -> float:
            if t < lo or t > hi:
                return 0.0
            return 2 * (t - lo) / ((hi - lo) * (mode - lo)) if t < mode else 2 * (hi - t) / ((hi - lo) * (hi - mode))
        return Law(sf=sf, pdf=pdf, low=lo, top=hi)


class MeanSd(BaseModel):
    """The mean and standard deviation of a time."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    mean: Quantity
    sd: Quantity = Field(description="standard deviation, 0 or more")


class Normal(_Distribution):
    """Bell-shaped around the mean, cut at 0: ``{normal: {mean: 30min, sd: 10min}}``."""

    normal: MeanSd

    def mean(self, unit: str = "minute") -> float:
        mu, sd = to_unit(self.normal.mean, unit), to_unit(self.normal.sd, unit)
        if sd == 0:
            return mu
        z = mu / sd  # E[max(0, X)] for X ~ N(mu, sd)
        return mu * 0.5 * math.erfc(-z / math.sqrt(2)) + sd * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    def sample(self, rng, size, unit="minute"):
        mu, sd = to_unit(self.normal.mean, unit), to_unit(self.normal.sd, unit)
        return np.maximum(rng.normal(mu, sd, size), 0.0)

    def law(self, unit="minute"):
        mu, sd = to_unit(self.normal.mean, unit), to_unit(self.normal.sd, unit)
        if sd == 0:
            return Law.atoms_of(max(mu, 0.0))
        return Law(sf=lambda t: 0.5 * math.erfc((t - mu) / (sd * _SQRT2)),
                   pdf=lambda t: math.exp(-0.5 * ((t - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)),
                   zero=0.5 * math.erfc(mu / (sd * _SQRT2)))


class Lognormal(_Distribution):
    """Skewed to the right, never negative: ``{lognormal: {mean: 2d, sd: 12h}}``."""

    lognormal: MeanSd

    @field_validator("lognormal")
    @classmethod
    def _positive(cls, v):
        if to_unit(v.mean, "second") <= 0:
            raise ValueError("the mean of a lognormal time must be more than 0")
        return v

    def mean(self, unit: str = "minute") -> float:
        return to_unit(self.lognormal.mean, unit)

    def sample(self, rng, size, unit="minute"):
        m, s = to_unit(self.lognormal.mean, unit), to_unit(self.lognormal.sd, unit)
        sigma2 = math.log1p((s / m) ** 2)
        return rng.lognormal(math.log(m) - sigma2 / 2, math.sqrt(sigma2), size)

    def law(self, unit="minute"):
        m, s = to_unit(self.lognormal.mean, unit), to_unit(self.lognormal.sd, unit)
        if s == 0:
            return Law.atoms_of(m)
        sigma = math.sqrt(math.log1p((s / m) ** 2))
        mu = math.log(m) - sigma * sigma / 2
        return Law(sf=lambda t: 1.0 if t <= 0 else 0.5 * math.erfc((math.log(t) - mu) / (sigma * _SQRT2)),
                   pdf=lambda t: 0.0 if t <= 0 else math.exp(-0.5 * ((math.log(t) - mu) / sigma) ** 2)
                   / (t * sigma * math.sqrt(2 * math.pi)))


class Empirical(_Distribution):
    """One of the observed times, each equally likely: ``{empirical: [1, 2, 2, 3, 8]}``."""

    empirical: list[Quantity] = Field(min_length=1, description="observed times, at least one")

    def mean(self, unit: str = "minute") -> float:
        return float(np.mean([to_unit(x, unit) for x in self.empirical]))

    def sample(self, rng, size, unit="minute"):
        values = np.array([to_unit(x, unit) for x in self.empirical])
        return values[rng.integers(0, len(values), size)]

    def law(self, unit="minute"):
        return Law.atoms_of(*(to_unit(x, unit) for x in self.empirical))


_KINDS = {"fixed": Fixed, "exponential": Exponential, "uniform": Uniform, "triangular": Triangular,
          "normal": Normal, "lognormal": Lognormal, "empirical": Empirical}


def _duration_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        keys = list(value)
        return keys[0] if len(keys) == 1 and keys[0] in _KINDS else None
    if isinstance(value, _Distribution):
        return next(k for k, cls in _KINDS.items() if isinstance(value, cls))
    return "quantity"


#: How long a step takes: a quantity, or one distribution as a one-key mapping.
Duration = Annotated[
    Annotated[Quantity, Tag("quantity")] | Annotated[Fixed, Tag("fixed")]
    | Annotated[Exponential, Tag("exponential")] | Annotated[Uniform, Tag("uniform")]
    | Annotated[Triangular, Tag("triangular")] | Annotated[Normal, Tag("normal")]
    | Annotated[Lognormal, Tag("lognormal")] | Annotated[Empirical, Tag("empirical")],
    Discriminator(
        _duration_kind,
        custom_error_type="duration",
        custom_error_message="a duration is a time (5, '2h') or one of {fixed: X}, {exponential: MEAN}, "
                             "{uniform: [A, B]}, {triangular: [MIN, MODE, MAX]}, {normal: {mean: M, sd: S}}, "
                             "{lognormal: {mean: M, sd: S}}, {empirical: [X, ...]}",
    ),
]


def mean_of(duration: Any, unit: str = "minute") -> float:
    """The mean of a duration (or quantity, or ``None`` for no time) in `unit`.

    Examples
    --------
    >>> mean_of("90s", "minute")
    1.5
    >>> mean_of(Triangular(triangular=[1, 2, 6]), "hour")
    3.0
    >>> mean_of(None)
    0.0
    """
    if duration is None:
        return 0.0
    if isinstance(duration, _Distribution):
        return duration.mean(unit)
    return to_unit(duration, unit)


def sample(duration: Any, rng: np.random.Generator, size: int, unit: str = "minute") -> np.ndarray:
    """`size` draws of a duration in `unit`, from the generator `rng`.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> sample("1h", rng, 3, "minute")
    array([60., 60., 60.])
    >>> float(sample(Uniform(uniform=[1, 3]), rng, 100_000, "hour").mean().round(1))
    2.0
    """
    if duration is None:
        return np.zeros(size)
    if isinstance(duration, _Distribution):
        return duration.sample(rng, size, unit)
    return np.full(size, to_unit(duration, unit))


TimeUnit = Literal["second", "minute", "hour", "day", "week"]


def law_of(duration: Any, unit: str) -> Law:
    """The law of a duration (or ``None`` for no time) in `unit`, as the simulation draws it.

    Examples
    --------
    >>> law_of(Uniform(uniform=[0, 10]), "minute").beyond(2.5)
    0.75
    >>> law_of("2h", "hour").atoms, law_of(None, "hour").atoms
    ((2.0,), (0.0,))
    """
    if duration is None:
        return Law.atoms_of(0.0)
    if isinstance(duration, _Distribution):
        return duration.law(unit)
    return Law.atoms_of(to_unit(duration, unit))
