"""One semantics (SPEC §2): check, stats and simulate tell the same story of every blueprint.

Small models worked out by hand, then properties on generated blueprints (parallel work, races,
timeouts, steps a team cannot do): with unlimited staff, no hours and no patience, the simulation
agrees with the exact chain within its 99% interval on every figure the chain gives, and where the
chain gives none, ``check`` has the finding that says why.
"""
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from scipy import stats as st

import blueprint as bp
from blueprint.strategies import blueprints

FORK = """
teams: {ops: {name: Operations}}
steps:
  fork:  {lane: backstage, owner: ops, split: all}
  a:     {lane: backstage, owner: ops, duration: {exponential: 1}}
  b:     {lane: backstage, owner: ops, duration: {exponential: 2}}
  stall: {lane: backstage, owner: ops}
  both:  {lane: backstage, owner: ops, join: all}
  done:  {outcome: success}
flows: [[fork, a], [fork, b], [a, both], [b, both, 0.5], [b, stall, 0.5], [both, done]]
start: fork
"""


def test_a_branch_that_stalls_half_the_time_holds_the_join_half_the_time():
    """The join needs both branches: it fires only when b goes on to it, so half the time (the old
    chain shared the case out and said 0.75)."""
    s = bp.stats(bp.loads(FORK))
    assert s.outcomes == {"done": pytest.approx(0.5)} and s.never_finishes == pytest.approx(0.5)
    assert s.expected_visits == pytest.approx({"fork": 1, "a": 1, "b": 1, "stall": 0.5, "both": 0.5, "done": 0.5})
    doc = bp.simulate(bp.loads(FORK), cases=4000, seed=1).to_json()["cases"]
    assert doc["by_outcome"]["done"] / 4000 == pytest.approx(0.5, abs=0.03)


MERGE = """
teams: {ops: {name: Operations}}
steps:
  fork:  {name: Starts, lane: backstage, owner: ops, split: all}
  a:     {name: Writes, lane: backstage, owner: ops, duration: 1}
  b:     {name: Pays, lane: backstage, owner: ops, duration: 2}
  m:     {name: Confirms, lane: frontstage, owner: ops, duration: 3}
  done:  {outcome: success}
flows: [[fork, a], [fork, b], [a, m], [b, m], [m, done]]
start: fork
"""


def test_branches_that_merge_without_a_join_race_to_the_end():
    """Both branches reach m, which does not wait: whichever finishes m first ends the case, so how
    often m is done depends on time. The outcome is certain; m's visits are not."""
    model = bp.loads(MERGE)
    s = bp.stats(model)
    assert s.outcomes == {"done": 1.0} and s.never_finishes == 0
    assert s.expected_visits["fork"] == s.expected_visits["a"] == s.expected_visits["b"] == 1.0
    assert s.expected_visits["m"] is None and "racing-outcomes" in s.why_null["expected_visits.m"]
    rules = {f.rule for f in bp.check(model)}
    assert {"missing-join", "racing-outcomes"} <= rules


@pytest.mark.parametrize("text, outcomes", [
    # straight into two outcomes: the split's flows start in file order, and the first ends the case
    ("steps: {fork: {lane: customer, split: all}, ok: {outcome: success}, bad: {outcome: failure}}\n"
     "flows: [[fork, ok], [fork, bad]]\nstart: fork", {"ok": 1.0, "bad": 0.0}),
    # through a step each: whichever is faster decides, so no figure
    ("steps: {fork: {lane: customer, split: all}, a: {lane: customer, duration: 1}, b: {lane: customer, "
     "duration: 2}, ok: {outcome: success}, bad: {outcome: failure}}\n"
     "flows: [[fork, a], [fork, b], [a, ok], [b, bad]]\nstart: fork", {"ok": None, "bad": None}),
])
def test_a_split_to_two_outcomes(text, outcomes):
    model = bp.loads(text)
    s = bp.stats(model)
    assert s.outcomes == outcomes and s.never_finishes == 0
    if None in outcomes.values():
        assert "racing-outcomes" in s.why_null["outcomes"]
        assert bp.check(model).by_rule("racing-outcomes")
    else:
        by = bp.simulate(model, cases=200, seed=1).to_json()["cases"]["by_outcome"]
        assert by == {"ok": 200, "bad": 0}


PROMISE = """
time_unit: hour
teams:
  social: {name: Social media team, systems: [inbox], can: [inbound_message]}
  store:  {name: Store, systems: [till], can: [inbound_call, outbound_call]}
steps:
  message: {name: Messages the store, lane: customer, channel: social}
  promise: {name: Promises a call-back, lane: frontstage, owner: social, duration: 1, needs: [outbound_call]{TIMEOUT}}
  called:  {name: Called back, outcome: success}
  chase:   {name: Phones the store, lane: customer, channel: phone}
  answer:  {name: Takes the call, lane: frontstage, owner: store, duration: 0.25}
  sorted:  {name: Sorted on the phone, outcome: success}
flows: [[message, promise], [promise, called], [chase, answer], [answer, sorted]]
start: message
"""


@pytest.mark.parametrize("timeout, never, chased, spent", [
    ("", 1.0, 0.0, 0.0),                                     # never done, no promise kept: stays for ever
    (", timeout: {after: 2d, to: chase}", 0.0, 1.0, 48.25),  # the promise times out after two days
])
def test_a_step_its_team_cannot_do_is_left_only_by_its_timeout(timeout, never, chased, spent):
    model = bp.loads(PROMISE.replace("{TIMEOUT}", timeout))
    s = bp.stats(model)
    assert s.outcomes["called"] == 0 and s.never_finishes == pytest.approx(never)
    assert s.expected_visits["chase"] == pytest.approx(chased)
    assert s.expected_duration == (pytest.approx(spent) if never == 0 else 0.0)
    assert s.teams["social"]["load"] == 0  # nobody works on it
    doc = bp.simulate(model, cases=50, seed=1).to_json()
    assert doc["cases"]["in_progress"] == 50 * never
    assert doc["cases"]["by_outcome"]["called"] == 0
    if never == 0:
        assert doc["time_in_system"]["mean"] == pytest.approx(48.25)
        assert doc["contacts"]["mean"] == 2 and s.expected_contacts == 2


def test_giving_the_team_the_capability_changes_what_happens_to_cases():
    """The what-if of the fires story: once the social media team can phone out, the promise is
    kept: no second contact, and every case ends at "called" instead of "sorted"."""
    model = bp.loads(PROMISE.replace("{TIMEOUT}", ", timeout: {after: 2d, to: chase}"))
    answer = bp.whatif(model, {"teams.social.can": ["inbound_message", "outbound_call"]},
                       cases=300, replications=3, seed=1)
    assert answer.delta["contacts.mean"]["value"] == pytest.approx(-1.0)
    # a count over the 3 replications of 300 cases, as both arms show it: all 900 now end at "called"
    assert answer.delta["cases.by_outcome.called"]["value"] == pytest.approx(900)
    assert answer.delta["time_in_system.mean"]["value"] == pytest.approx(1 - 48.25)
    assert "incapable-handoff" in {f["rule"] for f in answer.findings["resolved"]}


def test_a_timeout_that_sends_a_case_round_a_loop_for_ever_is_a_livelock_everywhere():
    """Issue 16: the answer always outlasts its timeout, which sends it round again."""
    model = bp.loads("steps: {ask: {lane: customer, channel: phone}, answer: {lane: customer, duration: 5, "
                     "timeout: {after: 1, to: answer}}, done: {outcome: success}}\n"
                     "flows: [[ask, answer], [answer, done]]\nstart: ask")
    assert bp.check(model).by_rule("livelock")
    s = bp.stats(model)
    assert s.never_finishes == 1.0 and "livelock" in s.why_null["expected_visits.answer"]
    assert bp.simulate(model, cases=5).to_json()["cases"]["in_progress"] == 5


# --- properties on generated blueprints ------------------------------------------------------------
FIGURES = 8
Z = st.norm.ppf(1 - 0.01 / 2 / FIGURES)  # 99% for the family of figures compared per blueprint


def within(sample: np.ndarray, expected: float) -> bool:
    """Whether `expected` lies in the 99% interval of the mean of `sample` (exactly, if it never varies)."""
    spread = sample.std(ddof=1) / math.sqrt(len(sample))
    return abs(sample.mean() - expected) <= Z * spread + 1e-9 * (1 + abs(expected))


def chance_within(hits: int, n: int, p: float) -> bool:
    return abs(hits / n - p) <= Z * math.sqrt(p * (1 - p) / n) + 1e-9


UNQUEUED = blueprints(min_steps=2, max_steps=8, staffed=False, hours=False, patience=False, dead_ends=True)
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@PROPERTY
@given(UNQUEUED)
def test_without_queues_the_simulation_agrees_with_every_exact_figure(model):
    exact = bp.stats(model)
    n = 2000
    run = bp.simulate(model, cases=n, seed=7, events=False).runs[0]
    if None not in exact.outcomes.values():
        for i, outcome in enumerate(exact.outcomes):
            assert chance_within(int(np.sum(run.outcome == i)), n, exact.outcomes[outcome]), outcome
    assert chance_within(int(np.sum(run.outcome < 0)), n, exact.never_finishes)
    for figure, sample in (("expected_contacts", run.contacts), ("expected_handoffs", run.handoffs),
                           ("expected_story_repeats", run.story_repeats),
                           ("expected_failure_contacts", run.tally.per_case()["failure_contacts"])):
        if getattr(exact, figure) is not None:
            assert within(sample.astype(float), getattr(exact, figure)), figure


@PROPERTY
@given(UNQUEUED)
def test_where_stats_has_no_figure_check_says_why(model):
    exact = bp.stats(model)
    found = {f.rule for f in bp.check(model)}
    for key, reason in exact.why_null.items():
        if key.startswith("teams."):
            continue  # unlimited staff, no long-run rate: not a finding
        if key in ("expected_failure_contacts", "expected_failure_cost", "expected_cost", "retelling") \
                and "simulate for" in reason:
            continue  # failure demand with parallel work: followed by the simulation only, not a finding
        rule = re.search(r"\(check: ([a-z-]+)\)", reason)
        assert rule, (key, reason)
        assert rule.group(1) in found, (key, reason, found)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(blueprints(min_steps=2, max_steps=8, staffed=False, hours=False, patience=False, splits=False, races=False,
                  incapable=False, dead_ends=False))
def test_without_parallel_work_or_races_every_figure_is_known(model):
    s = bp.stats(model)
    assert None not in s.outcomes.values()
    costs = ("expected_cost", "expected_failure_cost")  # null when the blueprint gives no costs
    assert all(v is not None for k, v in s.to_json().items() if k.startswith("expected_") and k not in costs)


# --- the same bytes whatever the hash seed -----------------------------------------------------------
TANGLED = """
teams:
  store:  {systems: [till]}
  social: {systems: [inbox]}
  care:   {systems: [crm], staff: 1}
steps:
  order:  {lane: customer, channel: store}
  fork:   {lane: frontstage, owner: store, split: all}
  reply:  {lane: frontstage, owner: social, duration: {exponential: 2}}
  help:   {lane: frontstage, owner: care, duration: {exponential: 1}}
  left:   {lane: backstage, owner: care}
  right:  {lane: backstage, owner: social}
  lost1:  {lane: customer}
  lost2:  {lane: customer}
  lost3:  {lane: customer}
  ok:     {outcome: success}
  bad:    {outcome: failure}
flows: [[order, fork], [fork, reply], [fork, help], [reply, ok], [help, bad], [lost1, lost2], [lost3, ok],
        [left, right], [right, left]]
start: order
"""


_EVERY_COMMAND = """
import contextlib, io, sys
from blueprint.cli import cli
for path in sys.argv[1:]:
    for args in (["check", path, "--format", "json"], ["stats", path, "--format", "json"],
                 ["simulate", path, "--cases", "300", "--format", "json"]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                cli.main(args, standalone_mode=False)
            except SystemExit:
                pass
        print(args[0], out.getvalue())
"""


def test_check_stats_and_simulate_give_the_same_bytes_whatever_the_hash_seed(tmp_path):
    """Two processes with different PYTHONHASHSEED print the same JSON, byte for byte (set order
    once changed the order of check's findings)."""
    import os
    import subprocess
    import sys

    from .conftest import EXAMPLES

    tangled = tmp_path / "tangled.yaml"
    tangled.write_text(TANGLED)
    outputs = []
    for seed in (1, 2):
        command = [sys.executable, "-c", _EVERY_COMMAND, str(tangled), str(EXAMPLES / "damaged_fires.yaml")]
        done = subprocess.run(command,
                              capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)})
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert outputs[0].count('"findings"') == 2 and outputs[0].count('"why_null"') == 2
    assert outputs[0] == outputs[1]


def test_the_worked_example_of_the_concepts_page_gives_the_figures_it_explains():
    from .conftest import ROOT

    page = (ROOT / "docs" / "concepts.md").read_text()
    text = page.split("### A worked example")[1].split("```yaml\n")[1].split("```")[0]
    model = bp.loads(text)
    s = bp.stats(model)
    assert s.outcomes == pytest.approx({"fixed": 0.8, "refused": 0.2}) and s.never_finishes == 0
    assert (s.expected_contacts, s.expected_handoffs, s.expected_story_repeats) == pytest.approx((1.2, 5.2, 0.2))
    assert s.teams["loss"] == pytest.approx({"load": 6.0, "utilization": 0.75})
    assert s.teams["cover"]["load"] == pytest.approx(2.0)
    assert {f.rule for f in bp.check(model)} >= {"incapable-handoff", "lost-context"}
    assert "overloaded" not in {f.rule for f in bp.check(model)}


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(blueprints(min_steps=2, max_steps=8, splits=False, races=False, dead_ends=True))
def test_story_repeats_without_parallel_work_take_a_short_cut_to_the_same_figure(model):
    from blueprint.chain.branches import Explorer, Net, Teams
    from blueprint.chain.repeats import story_repeats
    from blueprint.chain.steps import StepChain
    from blueprint.graph import Facts
    from blueprint.ways import never_leaves

    net = Net(model, never_leaves(model))
    chain = StepChain.build(model, net, Explorer(net, Teams()), lambda: Facts(model).owners_carried)
    quick, general = story_repeats(chain)[0], story_repeats(chain, general=True)[0]
    assert (quick is None) == (general is None)
    assert quick is None or quick == pytest.approx(general, abs=1e-9)


def test_simulate_warns_before_it_runs_an_overloaded_blueprint(tmp_path):
    """The minimal blueprint brings its one member of staff 5 minutes of work every minute."""
    from click.testing import CliRunner

    from blueprint.cli import cli

    from .conftest import FIXTURES

    done = CliRunner().invoke(cli, ["simulate", str(FIXTURES / "valid" / "minimal.yaml"), "--cases", "50",
                                    "--format", "json"])
    assert done.exit_code == 0
    assert "Help desk is overloaded" in done.stderr and "500%" in done.stderr
    assert done.stdout.lstrip().startswith("{")  # machine output stays clean
    calm = tmp_path / "calm.yaml"
    calm.write_text((FIXTURES / "valid" / "minimal.yaml").read_text() + "arrivals: {rate: 6/hour}\n")
    assert "overloaded" not in CliRunner().invoke(cli, ["simulate", str(calm), "--cases", "50"]).stderr


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(blueprints(min_steps=2, max_steps=8, dead_ends=True))
def test_lost_context_names_a_repeat_exactly_where_stats_counts_one(model):
    """The one definition of a story repeat: where stats expects some, lost-context says where the
    customer tells the story again; where it expects none, no finding says so."""
    repeats = bp.stats(model).expected_story_repeats
    said = any("tells the story again" in f.message for f in bp.check(model).by_rule("lost-context"))
    if repeats is not None:
        assert said == (repeats > 1e-12)
