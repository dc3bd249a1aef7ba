"""Duration tails (the chance a duration lasts longer than t, which a timeout after t catches), by hand."""
import math

import pytest

from blueprint.durations import Empirical, Exponential, Fixed, Lognormal, Normal, Triangular, Uniform, law_of

# (duration, t in minutes, P(duration > t) worked out by hand)
TAILS = [
    (Fixed(fixed="1h"), 30, 1.0),
    (Fixed(fixed="1h"), 60, 0.0),  # ends exactly at t: finished in time
    (Exponential(exponential=2), 2, math.exp(-1)),
    (Exponential(exponential="1h"), 30, math.exp(-0.5)),
    (Uniform(uniform=[0, 10]), 2.5, 0.75),
    (Uniform(uniform=[4, 4]), 4, 0.0),
    (Triangular(triangular=[0, 5, 10]), 5, 0.5),
    (Triangular(triangular=[0, 5, 10]), 2.5, 1 - 2.5 ** 2 / 50),  # 1 - (t - lo)^2 / ((hi - lo)(mode - lo))
    (Triangular(triangular=[0, 5, 10]), 7.5, 2.5 ** 2 / 50),  # (hi - t)^2 / ((hi - lo)(hi - mode))
    (Normal(normal={"mean": 10, "sd": 2}), 10, 0.5),
    (Normal(normal={"mean": 10, "sd": 2}), 12, 0.5 * math.erfc(1 / math.sqrt(2))),
    (Lognormal(lognormal={"mean": 4, "sd": 0}), 3, 1.0),
    (Empirical(empirical=[1, 2, 2, 3, 8]), 2, 0.4),
    (Empirical(empirical=[1, 2, 2, 3, 8]), 0, 1.0),
]


@pytest.mark.parametrize("duration, t, expected", TAILS, ids=[f"{type(d).__name__}-{t}" for d, t, _ in TAILS])
def test_each_duration_knows_its_tail(duration, t, expected):
    assert duration.tail(t) == pytest.approx(expected, abs=1e-12)
    assert law_of(duration, "minute").beyond(t) == pytest.approx(expected, abs=1e-12)


def test_a_lognormal_tail_at_its_median_is_one_half():
    """For mean m and sd s: sigma^2 = log(1 + (s/m)^2), median = m / sqrt(1 + (s/m)^2)."""
    d = Lognormal(lognormal={"mean": 4, "sd": 3})
    assert d.tail(4 / math.sqrt(1 + (3 / 4) ** 2)) == pytest.approx(0.5)


@pytest.mark.parametrize("duration, unit, t, expected", [(Exponential(exponential="2h"), "hour", 2, math.exp(-1)),
                                                         (Uniform(uniform=["1h", "3h"]), "hour", 2, 0.5)])
def test_a_tail_is_read_in_the_unit_asked_for(duration, unit, t, expected):
    assert duration.tail(t, unit) == pytest.approx(expected)


@pytest.mark.parametrize("quantity, t, expected", [(None, 0, 0.0), ("2h", 1, 1.0), (5, 5, 0.0)])
def test_a_plain_quantity_or_no_time_has_a_tail_of_its_one_value(quantity, t, expected):
    assert law_of(quantity, "hour").beyond(t) == expected
