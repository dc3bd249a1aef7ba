"""What-if and explore on the Jackson network, where queueing theory says what must happen."""
import json

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, cli
from blueprint.requirements import parse_requirement
from blueprint.whatif import paired_interval

from .conftest import EXAMPLES

JACKSON = bp.load(EXAMPLES / "jackson_network.yaml")
FIRES = bp.load(EXAMPLES / "damaged_fires.yaml")


def test_more_staff_on_the_busiest_team_cuts_time_with_an_interval_excluding_zero():
    answer = bp.whatif(JACKSON, {"teams.triage.staff": 3}, cases=4000, replications=6, seed=2)
    delta = answer.delta["time_in_system.mean"]
    assert delta["value"] < 0
    assert delta["ci95"][1] < 0 and delta["significant"]
    doc = answer.to_json()
    assert set(doc) >= {"baseline", "scenario", "changes", "delta"}
    assert doc["changes"] == ["teams.triage.staff=3"]
    assert doc["baseline"]["replications"] == 6


def test_change_to_a_team_nobody_waits_for_gives_an_interval_containing_zero():
    roomy = JACKSON.with_changes({"teams.review.staff": 6})
    answer = bp.whatif(roomy, {"teams.review.staff": 7}, cases=4000, replications=6, seed=2)
    low, high = answer.delta["time_in_system.mean"]["ci95"]
    assert low <= 0 <= high
    assert not answer.delta["time_in_system.mean"]["significant"]


def test_common_random_numbers_make_a_no_op_change_exactly_zero():
    answer = bp.whatif(JACKSON, {"teams.review.systems": ["crm"]}, cases=1000, replications=3, seed=5)
    assert answer.delta["time_in_system.mean"] == {"value": 0.0, "ci95": [0.0, 0.0], "significant": False}


def test_structural_change_reports_the_findings_it_resolves():
    answer = bp.whatif(FIRES, {"steps.social_reply.needs": []}, cases=300, replications=2, seed=1)
    assert "incapable-handoff" in {f["rule"] for f in answer.findings["resolved"]}
    assert answer.findings["appeared"] == []


@pytest.mark.parametrize("values,mean,interval", [
    ([1.0, 2.0, 3.0], 2.0, (-0.4841, 4.4841)),   # t(0.975, 2) = 4.3027, sd = 1
    ([2.0, 2.0, 2.0, 2.0], 2.0, (2.0, 2.0)),
])
def test_paired_interval_is_student_t(values, mean, interval):
    got_mean, got = paired_interval(values)
    assert got_mean == pytest.approx(mean)
    assert got == pytest.approx(list(interval), abs=1e-4)


def test_whatif_cli_prints_a_slide_and_json():
    runner = CliRunner()
    text = runner.invoke(cli, ["whatif", str(EXAMPLES / "jackson_network.yaml"), "--set", "teams.triage.staff=3",
                               "--cases", "1000", "--replications", "3"])
    assert text.exit_code == EXIT_OK, text.output
    assert "time_in_system.mean" in text.stdout and "significant" in text.stdout
    doc = json.loads(runner.invoke(cli, ["whatif", str(EXAMPLES / "jackson_network.yaml"), "--set",
                                         "teams.triage.staff=3", "--cases", "500", "--replications", "2",
                                         "--format", "json"]).stdout)
    assert doc["delta"]["time_in_system.mean"]["value"] < 0


@pytest.mark.parametrize("args,words", [
    (["--set", "teams.triag.staff=3"], "did you mean 'teams.triage'"),
    (["--set", "teams.triage.staff"], "PATH=VALUE"),
    (["--set", "teams.triage.staff=-1"], "teams.triage.staff"),
])
def test_whatif_bad_changes_are_bad_input(args, words):
    result = CliRunner().invoke(cli, ["whatif", str(EXAMPLES / "jackson_network.yaml"), *args, "--cases", "100",
                                      "--replications", "2"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert words in result.stderr


def test_explore_finds_the_cut_below_load_and_shrinks_to_that_one_change():
    baseline = bp.simulate(JACKSON, cases=3000, seed=0).to_json()["time_in_system"]["mean"]
    found = bp.explore(JACKSON, {"teams.triage.staff": (1, 4), "teams.review.staff": (1, 3),
                                 "teams.repairs.staff": (2, 4)},
                       f"time_in_system.mean < {1.5 * baseline:.3f}", examples=30, cases=3000, seed=3)
    assert not found.holds
    assert found.counterexample == {"teams.triage.staff": 1}
    assert found.value >= 1.5 * baseline


def test_explore_holds_when_nothing_in_range_breaks_it_and_reports_the_worst():
    found = bp.explore(JACKSON, {"teams.review.staff": (1, 3)}, "time_in_system.mean < 1000",
                       examples=5, cases=1000, seed=1)
    assert found.holds and found.counterexample is None
    # more reviewers never slow the service down: the worst seen is the blueprint as it is
    baseline = bp.simulate(JACKSON, cases=1000, seed=1).to_json()["time_in_system"]["mean"]
    assert found.worst == {"changes": {}, "value": baseline}
    assert "held in every example" in found.to_text() and "minutes" in found.to_text()


def test_explore_is_reproducible_with_a_seed():
    args = ({"flows[triage->advice].p": (0.1, 0.9)}, "stats.expected_visits.review < 0.35")
    first = bp.explore(JACKSON, *args, examples=20, seed=4).to_json()
    assert first == bp.explore(JACKSON, *args, examples=20, seed=4).to_json()
    assert not first["holds"]


def test_explore_cli_exits_1_with_a_counterexample():
    result = CliRunner().invoke(cli, ["explore", str(EXAMPLES / "jackson_network.yaml"),
                                      "--vary", "teams.triage.staff=1..3", "--require", "time_in_system.mean < 30",
                                      "--examples", "10", "--cases", "1500", "--format", "json"])
    assert result.exit_code == EXIT_FINDINGS, result.output
    assert json.loads(result.stdout)["counterexample"] == {"teams.triage.staff": 1}


@pytest.mark.parametrize("args,words", [
    (["--vary", "teams.triage.staff=1-3"], "PATH=LOW..HIGH"),
    (["--vary", "teams.triage.staff=3..1"], "range 3..1 is empty"),
    (["--vary", "teams.triage.staff=1..3", "--require", "time_in_sytem.mean < 3"],
     "did you mean 'time_in_system.mean'"),
    (["--vary", "teams.triage.staff=1..3", "--require", "fast please"], "KPI OP VALUE"),
])
def test_explore_bad_input(args, words):
    args = args + ([] if "--require" in args else ["--require", "time_in_system.mean < 30"])
    result = CliRunner().invoke(cli, ["explore", str(EXAMPLES / "jackson_network.yaml"), *args,
                                      "--examples", "3", "--cases", "200"])
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert words in result.stderr


@pytest.mark.parametrize("text,unit,kpi,op,target", [
    ("time_in_system.p90 < 48", "hour", "time_in_system.p90", "<", 48.0),
    ("time_in_system.p90 < 2d", "hour", "time_in_system.p90", "<", 48.0),
    ("teams.store.utilization <= 0.85", "minute", "teams.store.utilization", "<=", 0.85),
    ("stats.never_finishes == 0", "minute", "stats.never_finishes", "==", 0.0),
])
def test_requirements_read_as_kpi_op_value(text, unit, kpi, op, target):
    req = parse_requirement(text, unit)
    assert (req.kpi, req.op, req.target) == (kpi, op, target)


def test_a_finding_that_only_changes_shape_is_neither_new_nor_resolved():
    # shortening the call-back loop keeps the same repeat-loop, so it must not be listed as news
    answer = bp.whatif(FIRES, {"flows[wait_call->call_store].p": 0.3}, cases=200, replications=2, seed=1)
    rules = [f["rule"] for f in answer.findings["appeared"] + answer.findings["resolved"]]
    assert "repeat-loop" not in rules


def test_explore_in_processes_finds_what_it_finds_in_one_and_stops_at_the_first_break():
    # The candidates are simulated in order in two processes, and those after the first that breaks
    # the requirement are dropped: the search, its shrinking and its answer are those of one process.
    args = ({"teams.triage.staff": (1, 4), "teams.repairs.staff": (2, 4)}, "time_in_system.mean < 30")
    one = bp.explore(JACKSON, *args, examples=40, cases=1000, seed=3)
    two = bp.explore(JACKSON, *args, examples=40, cases=1000, seed=3, jobs=2)
    assert not one.holds and two.to_json()["counterexample"] == one.to_json()["counterexample"]
    assert two.value == one.value
    assert two.evaluations == one.evaluations  # tasks run ahead and dropped are not counted


def test_a_count_over_every_replication_changes_by_the_difference_of_the_arms_totals():
    # cases.* are totals over the replications in both arms; their change is too
    model = bp.loads("steps: {a: {lane: customer}, ok: {outcome: success}, no: {outcome: failure}}\n"
                     "flows: [[a, ok, 0.8], [a, no, 0.2]]\nstart: a")
    answer = bp.whatif(model, {"flows[a->ok].p": 0.9}, cases=500, replications=4, seed=3)
    doc = answer.to_json()
    for key, before, after in [("cases.by_outcome.ok", doc["baseline"]["cases"]["by_outcome"]["ok"],
                                doc["scenario"]["cases"]["by_outcome"]["ok"]),
                               ("cases.finished", doc["baseline"]["cases"]["finished"],
                                doc["scenario"]["cases"]["finished"])]:
        assert answer.delta[key]["value"] == pytest.approx(after - before), key
