"""Cost, failure demand and retelling: the format's keys, the exact figures, the simulation's."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings

import blueprint as bp
from blueprint.schema import json_schema
from blueprint.strategies import blueprints

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


# --- exact figures, worked out by hand --------------------------------------------------------

LOOP = """
currency: GBP
teams: {desk: {cost: 30/hour}}
steps:
  call: {lane: customer, channel: phone, cost: 0.5}
  answer: {lane: frontstage, owner: desk, duration: 6}
  fixed: {outcome: success}
flows: [[call, answer], [answer, fixed, 0.8], [answer, call, 0.2]]
start: call
arrivals: {rate: 100/day}
"""

REDELIVERY = """
teams: {van: {cost: 60/hour}, desk: {cost: 20/hour}}
steps:
  order: {lane: customer, channel: store}
  deliver: {lane: backstage, owner: van, duration: 30, cost: 10, fail_point: Broken in transit}
  unpack: {lane: customer}
  call: {lane: customer, channel: phone}
  desk_takes: {lane: frontstage, owner: desk, duration: 15}
  fitted: {outcome: success}
flows: [[order, deliver], [deliver, unpack], [unpack, fitted, 0.7], [unpack, call, 0.3],
        [call, desk_takes], [desk_takes, deliver]]
start: order
arrivals: {rate: 10/day}
"""

RETELLING = """
retelling: 10min
teams: {a: {cost: 30/hour, systems: [x]}, b: {cost: 60/hour, systems: [y]}}
steps:
  phone: {lane: customer, channel: phone}
  first: {lane: frontstage, owner: a, duration: 5}
  second: {lane: frontstage, owner: b, duration: 5}
  done: {outcome: success}
flows: [[phone, first], [first, second], [second, done]]
start: phone
"""


@pytest.mark.parametrize("text, cost, failure_cost, failure_contacts, duration", [
    # 1.25 calls and answers (1 / 0.8); a visit: 0.5 telephony + 6 min at 0.5 a minute; 0.25 calls again
    (LOOP, 1.25 * (0.5 + 3.0), 0.0, 0.25, 7.5),
    # deliveries 1/0.7, each 10 + 30 min at 1 a minute; 0.3/0.7 calls, each 15 min at 1/3 a minute;
    # everything after the first delivery (the fail point) is failure cost; every call is after it
    (REDELIVERY, 40 / 0.7 + 5 * 0.3 / 0.7, 40 / 0.7 + 5 * 0.3 / 0.7 - 40, 0.3 / 0.7, 30 / 0.7 + 15 * 0.3 / 0.7),
    # the story is repeated once, at b (no shared system): 10 more minutes of b at 1 a minute;
    # retelling counts as failure cost, and adds to the working time
    (RETELLING, 2.5 + 5.0 + 10.0, 10.0, 0.0, 20.0),
    # the same with both teams at one rate: one figure for every repeat
    (RETELLING.replace("30/hour", "60/hour"), 5.0 + 5.0 + 10.0, 10.0, 0.0, 20.0),
    # no retelling: the repeat costs nothing
    (RETELLING.replace("retelling: 10min", ""), 7.5, 0.0, 0.0, 10.0),
])
def test_expected_cost_and_failure_demand_match_the_hand_worked_figures(text, cost, failure_cost,
                                                                       failure_contacts, duration):
    s = bp.stats(bp.loads(text))
    assert s.expected_cost == pytest.approx(cost)
    assert s.expected_failure_cost == pytest.approx(failure_cost, abs=1e-9)
    assert s.expected_failure_contacts == pytest.approx(failure_contacts, abs=1e-9)
    assert s.expected_duration == pytest.approx(duration)
    assert s.why_null == {}


@pytest.mark.parametrize("flows, failure_contacts", [
    # a contact inside a loop before any fail point: the first visit is value demand, the rest failure
    ("[[call, answer], [answer, fixed, 0.5], [answer, call, 0.5]]", 2.0 - 1.0),
    # a second contact reached half the time, then the loop: each first visit counts once
    ("[[call, answer], [answer, fixed, 0.5], [answer, chase, 0.5], [chase, call]]", 3.0 - (1.0 + 0.5)),
    # the fail point first: every contact after it is failure demand
    ("[[check, call], [call, answer], [answer, fixed]]", 1.0),
])
def test_failure_contacts_are_repeats_and_contacts_after_a_fail_point(flows, failure_contacts):
    text = f"""
teams: {{desk: {{}}}}
steps:
  check: {{lane: backstage, owner: desk, fail_point: Wrong bill}}
  call: {{lane: customer, channel: phone}}
  chase: {{lane: customer, channel: email}}
  answer: {{lane: frontstage, owner: desk}}
  fixed: {{outcome: success}}
flows: {flows}
start: {"check" if "check" in flows else "call"}
"""
    model = bp.loads(text)
    assert bp.stats(model).expected_failure_contacts == pytest.approx(failure_contacts)
    low, high = bp.simulate(model, cases=1000, replications=6, seed=5).to_json()["ci95"]["failure_contacts.mean"]
    assert low - 1e-9 <= failure_contacts <= high + 1e-9


def test_a_blueprint_without_costs_has_no_cost_and_no_reason():
    s = bp.stats(bp.loads(LOOP.replace("cost: 30/hour", "staff: 1").replace(", cost: 0.5", "")))
    assert s.expected_cost is None and s.expected_failure_cost is None and "expected_cost" not in s.why_null
    assert "cost" not in s.to_text().split("Team")[0].replace("working time", "")


def test_a_year_is_365_days_of_the_arrival_rate():
    s = bp.stats(bp.loads(LOOP))
    assert s.per_year["cases"] == pytest.approx(36_500)
    assert s.per_year["cost"] == pytest.approx(36_500 * 4.375)
    assert s.per_year["failure_contacts"] == pytest.approx(36_500 * 0.25)
    assert "A year (365 days of arrivals, 36,500 cases): about GBP 160k" in s.to_text()
    doc = s.to_json()
    assert doc["currency"] == "GBP" and doc["expected_cost"] == pytest.approx(4.375)
    at = bp.stats(bp.loads(LOOP.replace("{rate: 100/day}", "{at: [0, 5]}")))
    assert at.per_year is None and at.year_text() == ""


def test_parallel_work_gives_no_exact_failure_contacts_but_says_to_simulate():
    s = bp.stats(bp.loads("""
teams: {desk: {cost: 30/hour}}
steps:
  call: {lane: customer, channel: phone}
  fan: {lane: backstage, owner: desk, split: all}
  x: {lane: backstage, owner: desk, duration: 1}
  y: {lane: backstage, owner: desk, duration: 1}
  meet: {lane: backstage, owner: desk, join: all}
  done: {outcome: success}
flows: [[call, fan], [fan, x], [fan, y], [x, meet], [y, meet], [meet, done]]
start: call
"""))
    assert s.expected_cost == pytest.approx(1.0)
    assert s.expected_failure_contacts is None and "simulate for" in s.why_null["expected_failure_contacts"]


# --- the simulation agrees with the exact figures ---------------------------------------------

@pytest.mark.parametrize("text", [LOOP, REDELIVERY, RETELLING, RETELLING.replace("30/hour", "60/hour")],
                         ids=["loop", "redelivery", "retelling", "retelling-one-rate"])
def test_with_unlimited_staff_the_simulated_cost_is_within_its_interval_of_the_exact_figure(text):
    model = bp.loads(text)
    exact = bp.stats(model)
    doc = bp.simulate(model, cases=2000, replications=8, seed=11).to_json()
    for kpi, figure in (("cost.mean", exact.expected_cost),
                        ("failure_contacts.mean", exact.expected_failure_contacts)):
        low, high = doc["ci95"][kpi]
        assert low - 1e-9 <= figure <= high + 1e-9, (kpi, figure, low, high)
    low, high = doc["ci95"]["cost.total"]
    assert low <= doc["cost"]["total"] <= high and doc["cost"]["total"] == pytest.approx(
        doc["cost"]["mean"] * doc["cases"]["arrived"])


def test_retelling_makes_the_frontstage_step_longer_in_the_simulation():
    plain = bp.simulate(bp.loads(RETELLING.replace("retelling: 10min", "")), cases=50, seed=1).to_json()
    told = bp.simulate(bp.loads(RETELLING), cases=50, seed=1).to_json()
    assert told["time_in_system"]["mean"] == pytest.approx(plain["time_in_system"]["mean"] + 10.0)
    assert told["cost"]["mean"] == pytest.approx(17.5) and plain["cost"]["mean"] == pytest.approx(7.5)


def test_the_simulation_has_no_cost_without_costs_but_counts_failure_contacts():
    doc = bp.simulate(bp.loads(LOOP.replace("cost: 30/hour", "staff: 1").replace(", cost: 0.5", "")),
                      cases=500, seed=2).to_json()
    assert "cost" not in doc and doc["failure_contacts"]["mean"] == pytest.approx(doc["contacts"]["mean"] - 1)


COSTED = blueprints(min_steps=2, max_steps=8, staffed=False, hours=False, patience=False, dead_ends=True)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(COSTED)
def test_on_generated_blueprints_the_simulated_cost_agrees_with_the_exact_one(model):
    changes = {"steps.*.cost": 1.5}
    if model.teams:
        changes["teams.*.cost"] = "30/hour"
    if not any(s.timeout for s in model.steps.values()):  # a timeout may cut the longer work short
        changes["retelling"] = 2
    model = model.with_changes(changes)
    exact = bp.stats(model).expected_cost
    if exact is None:
        return
    run = bp.simulate(model, cases=2000, seed=7, events=False).runs[0]
    sample = run.tally.per_case()["cost"]
    spread = sample.std(ddof=1) / math.sqrt(len(sample))
    assert abs(sample.mean() - exact) <= 3.5 * spread + 1e-9 * (1 + abs(exact))


# --- what-if and compare: cost rows with paired intervals -------------------------------------

def test_whatif_gives_cost_and_failure_contact_deltas_with_paired_intervals():
    model = bp.loads(LOOP)
    answer = bp.whatif(model, {"flows[answer->fixed].p": 0.9}, cases=1000, replications=5, seed=4)
    for key in ("cost.mean", "cost.total", "failure_contacts.mean"):
        d = answer.delta[key]
        assert d["value"] < 0 and d["ci95"][0] <= d["value"] <= d["ci95"][1], key
    # exactly: 1/0.9 - 1/0.8 visits of 3.5 each
    assert answer.delta["cost.mean"]["ci95"][0] <= 3.5 * (1 / 0.9 - 1 / 0.8) <= answer.delta["cost.mean"]["ci95"][1]
    doc = answer.to_json()
    assert answer.delta["cost.total"]["value"] == pytest.approx(
        doc["scenario"]["cost"]["total"] - doc["baseline"]["cost"]["total"])
    text = answer.to_text()
    assert "cost.mean" in text and "failure_contacts.mean" in text


def test_compare_of_the_fires_pair_has_cost_and_failure_rows():
    from pathlib import Path
    examples = Path(__file__).resolve().parent.parent / "examples"
    both = bp.compare(examples / "damaged_fires.yaml", examples / "damaged_fires_after.yaml",
                      cases=300, replications=3, seed=1)
    for key in ("contacts.mean", "time_in_system.mean", "failure_contacts.mean", "cost.mean"):
        assert both.delta[key]["ci95"] is not None, key
    assert both.delta["cost.mean"]["value"] < 0 and both.delta["failure_contacts.mean"]["value"] < 0


@pytest.mark.parametrize("delta, year, words", [
    ({"value": -2.0, "ci95": [-3.0, -1.0]}, {"cases": 10_000.0}, "saves about 20k a year (95% interval 10k to 30k)"),
    ({"value": 1.0, "ci95": [0.5, 1.5]}, {"cases": 10_000.0}, "adds about 10k a year (95% interval 5,000 to 15k)"),
    ({"value": -2.0, "ci95": None}, {"cases": 10_000.0}, "saves about 20k a year at 10,000 cases"),
    ({"value": -2.0, "ci95": None}, None, ""),
])
def test_the_saving_a_year_is_the_paired_cost_delta_times_the_cases_of_a_year(delta, year, words):
    from blueprint.chain.costs import saving_sentence
    text = saving_sentence({"delta": {"cost.mean": delta}}, year)
    assert words in text if words else text == ""
