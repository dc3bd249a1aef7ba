"""Cost, failure demand and retelling: the format's keys, the exact figures, the simulation's."""
from __future__ import annotations

import pytest

import blueprint as bp
from blueprint.schema import json_schema

BASE = """
currency: GBP
teams: {desk: {staff: 1, cost: 30/hour}}
steps: {a: {lane: frontstage, owner: desk, duration: 3, cost: 2.5}, b: {outcome: success}}
flows: [[a, b]]
"""


def test_cost_keys_are_read_as_written():
    model = bp.loads(BASE + "retelling: 5min\n")
    assert (model.currency, model.retelling, model.teams["desk"].cost, model.steps["a"].cost) == (
        "GBP", "5min", "30/hour", 2.5)
    assert bp.loads(BASE.replace("GBP", "eur")).currency == "EUR"


@pytest.mark.parametrize("old, new, place, words", [
    ("30/hour", "30", "teams.desk.cost", "with its time unit, like 30/hour"),
    ("30/hour", "lots/hour", "teams.desk.cost", "is not a cost of time"),
    ("30/hour", "30/0h", "teams.desk.cost", "divides by zero time"),
    ("cost: 2.5", "cost: -1", "steps.a.cost", "from 0 to 1e12"),
    ("cost: 2.5", "cost: lots", "steps.a.cost", "a number like 12.5"),
    ("cost: 2.5", "costs: 2.5", "steps.a.costs", "did you mean 'cost'"),
    ("GBP", "pounds", "currency", "three-letter code"),
    ("GBP", "£", "currency", "three-letter code"),
])
def test_bad_cost_values_are_located_errors(old, new, place, words):
    with pytest.raises(bp.BlueprintError) as caught:
        bp.loads(BASE.replace(old, new, 1))
    assert place in str(caught.value) and words in str(caught.value)


@pytest.mark.parametrize("value, words", [("-5", "cannot be negative"), ("soon", "is not a time")])
def test_bad_retelling_is_a_located_error(value, words):
    with pytest.raises(bp.BlueprintError) as caught:
        bp.loads(BASE + f"retelling: {value}\n")
    assert "retelling" in str(caught.value) and words in str(caught.value)


def test_schema_lists_the_cost_keys():
    text = str(json_schema())
    assert "currency" in text and "retelling" in text and "30/hour" in text
