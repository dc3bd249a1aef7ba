"""The exact chain behind `stats`: small blueprints solved by hand, the infinite cases, split and join."""
import json
import math

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.chain import loop_rounds, time_spent, timeout_chance
from blueprint.cli import cli

from .conftest import EXAMPLES, FIXTURES

HELP_DESK = """
time_unit: minute
teams:
  desk: {name: Help desk, systems: [crm]}
  back: {name: Back office, systems: [erp]}
steps:
  call:     {name: Phones, lane: customer, channel: phone}
  answer:   {name: Answers, lane: frontstage, owner: desk, duration: 6}
  escalate: {name: Escalates, lane: backstage, owner: back, duration: {exponential: 30}}
  fixed:    {outcome: success}
  lost:     {outcome: failure}
flows:
  - [call, answer]
  - [answer, fixed, 0.5]
  - [answer, escalate, 0.3]
  - [answer, call, 0.2]
  - [escalate, fixed, 0.6]
  - [escalate, lost, 0.4]
start: call
"""


def test_a_small_chain_solved_by_hand():
    """The help desk, on paper.

    Visits: v(call) = 1 + 0.2 v(answer) and v(answer) = v(call), so v(call) = v(answer) = 1/0.8
    = 1.25; v(escalate) = 0.3 v(answer) = 0.375.
    Outcomes: fixed = 0.5 v(answer) + 0.6 v(escalate) = 0.625 + 0.225 = 0.85; lost = 0.4 x 0.375
    = 0.15; nothing is left to never finish.
    Contacts: the phone call only, 1.25. Handoffs: desk -> back office at each escalation, 0.375
    (answer -> call -> answer stays with the desk). Working time: 1.25 x 6 + 0.375 x 30 = 18.75.
    """
    s = bp.stats(bp.loads(HELP_DESK))
    assert s.outcomes == pytest.approx({"fixed": 0.85, "lost": 0.15})
    assert s.never_finishes == 0
    assert s.expected_visits == pytest.approx({"call": 1.25, "answer": 1.25, "escalate": 0.375,
                                               "fixed": 0.85, "lost": 0.15})
    assert s.expected_contacts == pytest.approx(1.25)
    assert s.expected_handoffs == pytest.approx(0.375)
    assert s.expected_duration == pytest.approx(18.75)
    assert s.why_null == {}


HANDOFF_THROUGH_THE_CUSTOMER = """
teams: {store: {name: Store}, delivery: {name: Delivery}}
steps:
  sell:    {lane: frontstage, owner: store}
  deliver: {lane: backstage, owner: delivery}
  unpack:  {lane: customer, channel: home}
  phone:   {lane: customer, channel: phone}
  answer:  {lane: frontstage, owner: {OWNER}}
  done:    {outcome: success}
flows: [[sell, deliver], [deliver, unpack], [unpack, phone], [phone, answer], [answer, done]]
start: sell
"""


@pytest.mark.parametrize("owner, handoffs", [("store", 2.0), ("delivery", 1.0)])
def test_handoffs_remember_the_owner_through_customer_steps(owner, handoffs):
    """sell (store) -> deliver (delivery) is one handoff; deliver -> unpack -> phone -> answer is a
    second one when the store answers (the customer steps keep the memory of delivery), none when
    delivery answers."""
    s = bp.stats(bp.loads(HANDOFF_THROUGH_THE_CUSTOMER.replace("{OWNER}", owner)))
    assert s.expected_handoffs == pytest.approx(handoffs)
    assert s.expected_contacts == pytest.approx(2.0)


def test_a_loop_with_no_way_out_has_infinite_visits_and_never_finishes():
    """Half the cases go to `chase`, which only leads to `wait` and back: never_finishes = 0.5, and
    the visits of both (and every total they enter) are infinite, reported as null with the reason."""
    s = bp.stats(bp.loads("""
steps:
  ask:   {lane: customer, channel: phone}
  chase: {name: Chases, lane: customer, channel: email, duration: 1}
  wait:  {name: Waits, lane: customer}
  done:  {outcome: success}
flows: [[ask, done, 0.5], [ask, chase, 0.5], [chase, wait], [wait, chase]]
start: ask
"""))
    assert s.outcomes == {"done": pytest.approx(0.5)}
    assert s.never_finishes == pytest.approx(0.5)
    assert s.expected_visits["chase"] is None and s.expected_visits["wait"] is None
    assert s.expected_visits["ask"] == 1.0
    assert s.expected_contacts is None and s.expected_duration is None
    assert "no way out" in s.why_null["expected_visits.chase"]
    assert "Chases [chase]" in s.why_null["expected_contacts"]
    doc = json.loads(json.dumps(s.to_json()))
    assert doc["expected_visits"]["wait"] is None and doc["expected_contacts"] is None


def test_a_dead_end_is_finite_but_never_finishes():
    s = bp.stats(bp.loads("steps: {ask: {lane: customer}, inbox: {lane: customer}, done: {outcome: success}}\n"
                          "flows: [[ask, done, 0.25], [ask, inbox, 0.75]]\nstart: ask"))
    assert s.never_finishes == pytest.approx(0.75)
    assert s.expected_visits["inbox"] == pytest.approx(0.75)


def test_an_endless_loop_nobody_reaches_is_visited_zero_times():
    s = bp.stats(bp.loads("steps: {ask: {lane: customer}, x: {lane: customer}, y: {lane: customer}, "
                          "done: {outcome: success}}\nflows: [[ask, done], [x, y], [y, x]]\nstart: ask"))
    assert s.expected_visits["x"] == 0 and s.never_finishes == 0 and s.why_null == {}


PARALLEL = """
teams: {ops: {}, it: {}}
steps:
  fork:  {lane: backstage, owner: ops, split: all}
  stock: {lane: backstage, owner: ops, duration: 2}
  check: {lane: support, owner: it, duration: 3}
  both:  {lane: backstage, owner: ops, join: all}
  done:  {outcome: success}
flows: [[fork, stock], [fork, check], [stock, both], [check, both], [both, done]]
start: fork
"""


def test_split_counts_every_branch_and_join_fires_once():
    """Both branches are visited once; the join once (two arrivals, two flows in); the case ends
    once. Handoffs: fork -> check (ops -> it) and check -> both (it -> ops), a flow between two
    teams like any other (the stock branch stays with ops): 2. Working time 2 + 3 = 5 (no
    queueing, work is summed)."""
    s = bp.stats(bp.loads(PARALLEL))
    assert s.expected_visits == pytest.approx({"fork": 1, "stock": 1, "check": 1, "both": 1, "done": 1})
    assert s.outcomes == {"done": pytest.approx(1.0)} and s.never_finishes == 0
    assert s.expected_handoffs == pytest.approx(2.0)
    assert s.expected_duration == pytest.approx(5.0)


def test_a_split_straight_into_outcomes_ends_the_case_at_its_first_flow():
    """The branches start in file order and the first reaches its outcome at once: the case ends
    there before the second branch starts (as in the simulation)."""
    s = bp.stats(bp.loads("steps: {fork: {lane: customer, split: all}, ok: {outcome: success}, "
                          "bad: {outcome: failure}}\nflows: [[fork, ok], [fork, bad]]\nstart: fork"))
    assert s.outcomes == {"ok": 1.0, "bad": 0.0}
    assert s.expected_visits == {"fork": 1.0, "ok": 1.0, "bad": 0.0}


def test_a_split_that_feeds_itself_sends_out_branches_without_end_and_says_so():
    """Each visit of `fork` sends a branch back to `fork` through y, and one through x, which ends
    the case half the time: the branches pile up round after round. That is a clear error naming
    the limit, not a hang."""
    model = bp.loads("steps: {fork: {lane: customer, split: all}, x: {lane: customer, duration: 1}, "
                     "y: {lane: customer, duration: 1}, done: {outcome: success}}\n"
                     "flows: [[fork, x], [fork, y], [x, fork, 0.5], [x, done, 0.5], [y, fork]]\nstart: fork")
    with pytest.raises(bp.BlueprintError, match="more than 64 branches of one case"):
        bp.stats(model)


def test_a_deadlocked_join_never_starts_and_its_cases_never_finish():
    s = bp.stats(bp.loads("""
steps:
  ask:     {lane: customer, channel: phone}
  manager: {lane: backstage}
  finance: {lane: backstage}
  refund:  {lane: backstage, join: all}
  done:    {outcome: success}
flows: [[ask, manager, 0.5], [ask, finance, 0.5], [manager, refund], [finance, refund], [refund, done]]
start: ask
"""))
    assert s.expected_visits["refund"] == 0 and s.expected_visits["manager"] == pytest.approx(0.5)
    assert s.never_finishes == pytest.approx(1.0) and s.outcomes == {"done": 0.0}


TIMED = """
time_unit: day
steps:
  wait:  {lane: customer, duration: {DURATION}, timeout: {after: 2d, to: chase}}
  chase: {outcome: failure}
  done:  {outcome: success}
flows: [[wait, done]]
start: wait
"""


@pytest.mark.parametrize("duration, chance, spent", [
    ("{exponential: 2d}", math.exp(-1), 2 * (1 - math.exp(-1))),  # P(D > 2) = e^-1; E[min] = m(1 - e^-t/m)
    ("{uniform: [1d, 5d]}", 0.75, 1.875),                          # 3/4 exceed 2; 1 + int_1^2 (5-u)/4 du
    ("{fixed: 3d}", 1.0, 2.0),
    ("1d", 0.0, 1.0),
    ("{empirical: [1, 3, 3, 4]}", 0.75, 1.75),                     # (1 + 2 + 2 + 2) / 4
    ("{triangular: [0, 0, 4]}", 0.25, 7 / 6),                      # sf = (1-u/4)^2; int_0^2 = (4/3)(1 - 1/8)
])
def test_a_timeout_is_taken_when_the_step_takes_longer(duration, chance, spent):
    model = bp.loads(TIMED.replace("{DURATION}", duration))
    assert timeout_chance(model, "wait") == pytest.approx(chance)
    s = bp.stats(model)
    assert s.outcomes == pytest.approx({"chase": chance, "done": 1 - chance})
    assert time_spent(model, "wait") == pytest.approx(spent)
    assert s.expected_duration == pytest.approx(spent)


def test_loop_rounds_count_the_visits_of_one_step():
    """From `call`, the case comes back with chance 0.2 x 1 (answer -> call): 1 / 0.8 = 1.25 rounds."""
    model = bp.loads(HELP_DESK)
    assert loop_rounds(model, ["call", "answer"], ["call"]) == {"call": pytest.approx(1.25)}


def test_stats_of_the_damaged_fires_add_up():
    s = bp.stats(bp.load(EXAMPLES / "damaged_fires.yaml"))
    assert sum(s.outcomes.values()) + s.never_finishes == pytest.approx(1.0)
    assert s.expected_visits["order"] == 1.0
    assert s.expected_contacts > s.expected_visits["call_store"] > 0.5


def test_stats_command_prints_the_json_document_and_a_table():
    runner = CliRunner()
    out = runner.invoke(cli, ["stats", str(FIXTURES / "valid" / "minimal.yaml"), "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert set(doc) >= {"time_unit", "outcomes", "never_finishes", "expected_visits", "expected_contacts",
                        "expected_handoffs", "expected_duration"}
    assert doc["outcomes"] == {"done": 1.0} and doc["expected_contacts"] == 1.0
    text = runner.invoke(cli, ["stats", str(FIXTURES / "valid" / "minimal.yaml")])
    assert text.exit_code == 0 and "contacts" in text.output and "done" in text.output


def test_stats_command_refuses_bad_input_without_a_traceback(tmp_file):
    path = tmp_file("bad.yaml", "steps: {a: {lane: nowhere}}\n")
    out = CliRunner().invoke(cli, ["stats", str(path)])
    assert out.exit_code == 2 and "Traceback" not in out.output


def test_parallel_work_beyond_the_limit_of_states_is_a_clear_error(monkeypatch):
    """Three branches of five steps each: 6^3 orders of their moves. With the limit set to 100
    states, stats says so, naming the limit and the split, instead of working on."""
    import sys

    monkeypatch.setattr(sys.modules["blueprint.chain.branches"], "MAX_STATES", 100)
    monkeypatch.setattr(sys.modules["blueprint.chain.stats"], "MAX_STATES", 100)
    steps = {"fork": {"name": "Starts", "lane": "backstage", "split": "all"}, "join": {"lane": "backstage",
             "join": "all"}, "done": {"outcome": "success"}}
    flows = [["join", "done"]]
    for b in range(3):
        chain = [f"b{b}_{i}" for i in range(5)]
        steps.update({sid: {"lane": "backstage"} for sid in chain})
        flows += [["fork", chain[0]]] + [[x, y] for x, y in zip(chain, chain[1:])] + [[chain[-1], "join"]]
    model = bp.Blueprint.model_validate({"steps": steps, "flows": flows, "start": "fork"})
    with pytest.raises(bp.BlueprintError, match=r"from Starts \[fork\]\) needs more than 100 states"):
        bp.stats(model)
