"""replay: small logs worked out by hand, the real logs against what discover makes of them, the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import cli
from blueprint.errors import BlueprintError
from blueprint.writing import dumps

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT.parent / "shared" / "logs"
needs_logs = pytest.mark.skipif(not LOGS.is_dir(), reason="../shared/logs is not there")

DESK = bp.loads("""
name: Help desk
teams:
  desk: {name: Desk, staff: 1, systems: [crm], hours: "Mon-Fri 09:02-17:00"}
  back: {name: Back office, systems: [erp]}
steps:
  ask:    {name: Asks, lane: customer, channel: phone}
  answer: {name: Answers the question, lane: frontstage, owner: desk}
  fix:    {name: Fixes it, lane: backstage, owner: back}
  done:   {name: Sorted, outcome: success}
  lost:   {name: Lost, outcome: failure}
flows:
  - [ask, answer]
  - {from: answer, to: done, p: 0.5}
  - {from: answer, to: fix, p: 0.5}
  - {from: fix, to: done, p: 0.9}
  - {from: fix, to: lost, p: 0.1}
start: ask
""")


def rows(cases: dict, **case_columns) -> list[dict]:
    """Log rows: {case: [(activity, end minute), ...]} on Monday 2024-01-01 from 09:00; a third
    item is the start minute, a fourth the visit's status, a fifth the resource."""
    out = []
    for case, visits in cases.items():
        for visit in visits:
            activity, end = visit[:2]
            row = {"case": case, "activity": activity, "timestamp": _at(end)}
            if len(visit) > 2 and visit[2] is not None:
                row["start_timestamp"] = _at(visit[2])
            if len(visit) > 3:
                row["outcome"] = visit[3]
            if len(visit) > 4:
                row["resource"] = visit[4]
            row.update({k: v.get(case, "") for k, v in case_columns.items()})
            out.append(row)
    keys = {k for r in out for k in r}
    return [{k: r.get(k, "") for k in keys} for r in out]


def _at(minute: float) -> str:
    return f"2024-01-01 {9 + int(minute) // 60:02d}:{int(minute) % 60:02d}:{round(minute % 1 * 60):02d}"


def by_kind(fit) -> dict:
    return {(d["kind"], tuple(d["steps"]), d.get("activity")): d["cases"] for d in fit.deviations}


def test_five_cases_worked_out_by_hand():
    fit = bp.replay(rows({
        "1": [("ask", 0), ("answer", 10), ("fix", 40)],          # fits; ends by fix -> done
        "2": [("ask", 0), ("Answers the question", 10)],         # by name; ends by answer -> done
        "3": [("answer", 0), ("fix", 5)],                        # starts where the blueprint does not
        "4": [("ask", 0), ("answer", 10), ("call", 20)],         # an unknown activity; ends in failure
        "5": [("ask", 0), ("fix", 10), ("answer", 20)],          # two moves along missing flows
    }, **{"case:outcome": {"4": "failure"}}), DESK)
    assert (fit.cases, fit.fitting, fit.fitness) == (5, 2, 0.4)
    assert (fit.moves, fit.fitting_moves) == (18, 13)  # 4 + 3 + 3 + 4 + 4 moves, 4 + 3 + 2 + 2 + 2 fit
    assert by_kind(fit) == {("missing-start", ("answer",), None): 1, ("unknown-activity", (), "call"): 1,
                            ("no-outcome", ("answer",), None): 1, ("missing-flow", ("ask", "fix"), None): 1,
                            ("missing-flow", ("fix", "answer"), None): 1, ("unused-flow", ("fix", "lost"), None): 0}
    doc = fit.to_json()
    assert doc["flows"]["ask->answer"] == {"observed": 0.75, "model": 1.0, "count": 3}
    assert doc["flows"]["ask->fix"] == {"observed": 0.25, "model": None, "count": 1}
    assert doc["flows"]["answer->fix"] == {"observed": 0.5, "model": 0.5, "count": 2}
    assert doc["flows"]["fix->done"] == {"observed": pytest.approx(2 / 3, rel=1e-5), "model": 0.9, "count": 2}
    assert doc["flows"]["fix->lost"]["count"] == 0
    assert doc["activities"]["unmatched"] == {"call": 1}
    assert doc["activities"]["matched"]["Answers the question"] == "answer"
    # contacts [1,1,0,1,1]; handoffs desk->back in 1 and 3, back->desk in 5; a repeat in 5 (crm after erp)
    assert doc["per_case"]["contacts"]["observed"] == 0.8
    assert doc["per_case"]["handoffs"] == {"observed": 0.6, "model": pytest.approx(0.5)}
    assert doc["per_case"]["story_repeats"]["observed"] == 0.2
    assert doc["outcomes"]["done"] == {"observed": 0.8, "model": pytest.approx(0.95), "count": 4}
    assert "<td>missing-flow</td>" in fit._repr_html_() and "1 of 5 cases" not in fit.to_text()
    assert "2 of 5 cases fit (40.0%)" in str(fit)
    message = next(d["message"] for d in fit.deviations if d["kind"] == "no-outcome")
    assert "after Answers the question [answer] (the log says: failure)" in message and "failure outcome" in message


def test_durations_waits_and_their_causes_by_hand():
    # the desk (staff 1) opens at 09:02; case 2 waits while case 1 is answered
    fit = bp.replay(rows({"1": [("ask", 0, 0), ("answer", 15, 5)],
                          "2": [("ask", 10, 10), ("answer", 30, 15)]}), DESK)
    step = fit.to_json()["steps"]["answer"]
    assert step["duration"] == {"mean": 12.5, "p50": 12.5, "p90": 14.5}
    assert step["wait"] == {"mean": 5.0, "p50": 5.0, "p90": 5.0}
    # case 1: 2 min before opening, 3 min with the desk free; case 2: 5 min with the desk busy
    assert step["wait_causes"] == {"staff": 2.5, "hours": 1.0, "other": 1.5}
    team = fit.to_json()["teams"]["desk"]
    assert team["load"]["observed"] == pytest.approx(25 / 30) and team["most_at_once"] == 1


def test_waiting_for_staff_needs_everyone_seen_in_the_team_busy():
    # Ann and Bob answer; a case waits for staff only while both are at work
    fit = bp.replay(rows({"1": [("ask", 0, 0), ("answer", 20, 5, "done", "Ann")],
                          "2": [("ask", 6, 6), ("answer", 30, 10, "done", "Bob")],
                          "3": [("ask", 8, 8), ("answer", 40, 25, "done", "Ann")]}), DESK)
    step = fit.to_json()["steps"]["answer"]
    # waits: 5 (09:00-09:05, 2 of them before opening; Ann is the only one seen yet, and free),
    # 4 (09:06-09:10: Ann busy, Bob not yet seen: all busy), 17 (09:08-09:25: both busy 09:10-09:20)
    assert sorted(fit.observed.waits[fit.rules.index["answer"]].tolist()) == [4 * 60, 5 * 60, 17 * 60]
    assert step["wait_causes"]["hours"] == pytest.approx(2 / 3)
    assert step["wait_causes"]["staff"] == pytest.approx((4 + 2 + 10) / 3)
    assert fit.to_json()["teams"]["desk"]["people"] == 2


PARALLEL = bp.loads("""
teams: {desk: {staff: 2}, back: {}}
steps:
  begin: {lane: frontstage, owner: desk, split: all}
  a:     {lane: backstage, owner: back}
  b:     {lane: backstage, owner: desk}
  join:  {lane: backstage, owner: desk, join: all}
  done:  {outcome: success}
flows: [[begin, a], [begin, b], [a, join], [b, join], [join, done]]
""")


def test_parallel_branches_and_joins():
    fit = bp.replay(rows({
        "1": [("begin", 0), ("b", 1), ("a", 2), ("join", 3)],   # fits
        "2": [("begin", 0), ("a", 2), ("join", 3)],             # the join starts without b
        "3": [("begin", 0), ("a", 5), ("join", 5), ("b", 5)],   # one moment, logged out of order: fits
    }), PARALLEL)
    assert fit.fitting == 2
    assert by_kind(fit) == {("early-join", ("join",), None): 1}
    assert fit.deviations[0]["flows"] == [["b", "join"]]
    # a handoff to the back office, and one back into the desk's join: 2 a case, as stats says
    doc = fit.to_json()
    assert fit.observed.handoffs.tolist() == [2, 2, 2]
    assert doc["per_case"]["handoffs"]["model"] == 2.0
    assert doc["flows"]["begin->a"]["observed"] == 1.0 and doc["flows"]["begin->b"]["observed"] == pytest.approx(2 / 3)


TIMED = bp.loads("""
steps:
  wait:  {lane: customer, duration: 1, timeout: {after: 2, to: chase}}
  chase: {lane: customer, channel: phone}
  done:  {outcome: success}
flows: [[wait, done], [chase, done]]
start: wait
""")


def test_a_timeout_is_a_flow():
    fit = bp.replay(rows({"1": [("wait", 1, 0)], "2": [("wait", 2, 0, "timeout"), ("chase", 3, 2)]}), TIMED)
    doc = fit.to_json()
    assert fit.fitness == 1.0
    assert doc["timeouts"]["wait"] == {"to": "chase", "observed": 0.5, "model": 0.0, "count": 1}
    assert doc["flows"]["wait->done"] == {"observed": 1.0, "model": 1.0, "count": 1}


def test_times_that_go_backwards_are_refused_with_the_case_and_activity():
    with pytest.raises(BlueprintError, match=r"case '1', activity 'answer': it starts \(2024-01-01 09:30:00"
                                             r"\+00:00\) after it ends"):
        bp.replay(rows({"1": [("ask", 0, 0), ("answer", 10, 30)]}), DESK)


@pytest.mark.parametrize("activity, step", [("answer", "answer"), ("ANSWER", "answer"),
                                            ("answers_the  QUESTION", "answer"), ("Sorted", "done"),
                                            ("fixes-it", "fix"), ("answers", None)])
def test_activities_match_by_id_then_name(activity, step):
    from blueprint.logs.conformance import Rules
    from blueprint.logs.replay import Matcher

    rules = Rules(DESK)
    found = Matcher(rules)(activity)
    assert (rules.ids[found] if found is not None else None) == step


def test_a_name_two_steps_share_matches_neither_and_the_map_decides(tmp_path):
    model = DESK.with_changes({"steps.fix.name": "Answers the question"})
    log = rows({"1": [("ask", 0), ("Answers the question", 10), ("reminder sent", 11)]})
    fit = bp.replay(log, model)
    assert fit.to_json()["activities"]["unmatched"] == {"Answers the question": 1, "reminder sent": 1}
    mapping = tmp_path / "map.yaml"
    mapping.write_text("Answers the question: answer\nreminder sent: null\n")
    fit = bp.replay(log, model, mapping=mapping)
    assert fit.fitness == 1.0 and fit.to_json()["activities"]["left_out"] == ["reminder sent"]
    with pytest.raises(BlueprintError, match="'Answers the question' -> 'anser': no such step; did you mean 'answer'"):
        bp.replay(log, model, mapping={"Answers the question": "anser"})


def test_heat_figures_from_a_replay_document():
    from blueprint.logs.replay import heat_figures

    fit = bp.replay(rows({"1": [("ask", 0, 0), ("answer", 15, 5)], "2": [("ask", 10, 10), ("fix", 30, 15)]}), DESK)
    figures = heat_figures(DESK, json.loads(fit.dumps()))
    assert figures["visits"] == {"ask": 1.0, "answer": 0.5, "fix": 0.5, "done": 1.0, "lost": 0.0}
    assert figures["waits"]["answer"] == 5.0
    assert figures["deviations"]["flows"][("ask", "fix")] == 1
    assert figures["utilization"]["desk"] > 0


# ------------------------------------------------------------------------------------------------
# the real logs
# ------------------------------------------------------------------------------------------------
@needs_logs
@pytest.mark.parametrize("name", ["running-example.csv", "running-example.xes", "receipt.csv",
                                  "interval_event_log.csv"])
def test_a_real_log_fits_the_blueprint_discover_makes_of_it(name):
    model = bp.discover(LOGS / name)
    fit = bp.replay(LOGS / name, model)
    doc = fit.to_json()
    assert fit.fitness == 1.0 and fit.move_fitness == 1.0
    assert [d["kind"] for d in doc["deviations"]] == []
    # discover's chances are the log's directly-follows shares: replay sees the same moves
    for key, flow in doc["flows"].items():
        assert flow["observed"] == pytest.approx(flow["model"], abs=1e-5), key
    assert doc["per_case"]["handoffs"]["observed"] == pytest.approx(doc["per_case"]["handoffs"]["model"], abs=1e-5)
    assert doc["per_case"]["contacts"]["observed"] == pytest.approx(doc["per_case"]["contacts"]["model"], abs=1e-9)


# ------------------------------------------------------------------------------------------------
# the command line
# ------------------------------------------------------------------------------------------------
def run(*args):
    done = CliRunner().invoke(cli, [str(a) for a in args])
    assert done.exception is None or isinstance(done.exception, SystemExit), repr(done.exception)
    return done


def test_the_command_prints_the_spec_document_and_exits_1_when_cases_deviate(tmp_path):
    import csv

    path = tmp_path / "log.csv"
    log = rows({"1": [("ask", 0), ("answer", 10)], "2": [("answer", 0)]})
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(log[0]))
        writer.writeheader()
        writer.writerows(log)
    model = tmp_path / "desk.yaml"
    model.write_text(dumps(DESK))
    done = run("replay", path, model, "--format", "json")
    assert done.exit_code == 1
    doc = json.loads(done.stdout)
    assert {"log", "cases", "fitting", "fitness", "deviations", "flows", "steps"} <= set(doc)
    assert (doc["log"], doc["cases"], doc["fitting"], doc["fitness"]) == (str(path), 2, 1, 0.5)
    assert set(doc["deviations"][0]) >= {"kind", "steps", "flows", "cases", "message"}
    assert set(doc["flows"]["ask->answer"]) == {"observed", "model", "count"}
    assert set(doc["steps"]["answer"]) >= {"count", "duration", "wait"}
    text = run("replay", path, model)
    assert text.exit_code == 1 and "1 of 2 cases fit" in text.stdout
    fitting = run("replay", path, model, "--map", _write(tmp_path, "map.yaml", "answer: null\n"))
    assert fitting.exit_code == 1  # case 1 still ends at ask, where no outcome is
    calibrated = tmp_path / "calibrated.yaml"
    done = run("replay", path, model, "--calibrate", calibrated)
    assert calibrated.exists() and bp.load(calibrated).steps.keys() == DESK.steps.keys()


def _write(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("log, options, message", [
    ("this is not, a log\nat all\n", [], "no case column"),
    ("case,activity\n1,ask\n", [], "no timestamp column"),
    ("case,activity,timestamp\n1,ask,2024-01-01\n", ["--activity", "step"], "no column 'step' for the activity"),
    ("case,activity,timestamp\n1,ask,yesterday\n", [], "line 2, column timestamp: 'yesterday' is not a time"),
    ("case,activity,start_timestamp,timestamp\n1,ask,2024-01-02,2024-01-01\n", [], "the times go backwards"),
    ("case,activity,timestamp\n1,caf\xe9,2024-01-01\n".encode("latin-1"), [], "is not utf-8 text"),
    ("case,activity,timestamp\n1,ask,2024-01-01\n", ["--map", "nowhere.yaml"], "cannot read the map"),
    ("case,activity,timestamp\n1,ask,2024-01-01\n", ["--calibrate", "out.txt"], "(--calibrate writes a blueprint)"),
    ("case,activity,timestamp\n1,ask,2024-01-01\n", ["--max-bytes", "lots"], "--max-bytes takes a size"),
])
def test_bad_input_is_one_located_message_and_exit_2(tmp_path, log, options, message):
    path = tmp_path / "log.csv"
    path.write_bytes(log if isinstance(log, bytes) else log.encode())
    model = _write(tmp_path, "desk.yaml", "steps: {ask: {lane: customer}, done: {outcome: success}}\n"
                                          "flows: [[ask, done]]\n")
    done = CliRunner().invoke(cli, ["replay", str(path), str(model), *[str(tmp_path / o) if o.endswith(
        (".yaml", ".txt")) else o for o in options]])
    assert done.exit_code == 2, done.output
    assert message in done.stderr and "Traceback" not in done.output


def test_the_worked_example_of_the_docs_page_says_what_the_page_says(tmp_path):
    """docs/replay.md: the fires redesign's own log fits it; against the old blueprint its new
    steps are unknown, the case jumps from the door to a fitted fire, and the old loops go unused."""
    examples = ROOT / "examples"
    log = tmp_path / "fires_after.csv"
    bp.simulate(bp.load(examples / "damaged_fires_after.yaml"), cases=500, seed=1, events=True).write_events(log)
    assert bp.replay(log, examples / "damaged_fires_after.yaml").fitness == 1.0
    fit = bp.replay(log, examples / "damaged_fires.yaml")
    kinds = {(d["kind"], d.get("activity") or tuple(map(tuple, d["flows"]))) for d in fit.deviations}
    assert {a for k, a in kinds if k == "unknown-activity"} == {
        "claim", "maker_sends", "check_glass", "wait_fitter", "fit", "log_damage", "own_case"}
    assert ("missing-flow", (("deliver", "fitted"),)) in kinds
    assert {("unused-flow", (("take_complaint", "reorder"),)), ("unused-flow", (("promise", "wait_call"),)),
            ("unused-flow", (("refer", "call_maker"),))} <= kinds
    doc = fit.to_json()
    assert doc["per_case"]["contacts"]["observed"] < doc["per_case"]["contacts"]["model"] / 2
    pick = doc["steps"]["pick"]["wait_causes"]
    assert pick["hours"] > 10 * pick["staff"]  # the van waits for the delivery team's hours, not its staff
    mapped = bp.replay(log, examples / "damaged_fires.yaml", mapping={a: None for a in (
        "claim", "maker_sends", "check_glass", "wait_fitter", "fit", "log_damage", "own_case")})
    assert fit.fitness < mapped.fitness < 1.0


def test_render_draws_a_replay_document_as_heat(tmp_path):
    fit = bp.replay(rows({"1": [("ask", 0, 0), ("answer", 15, 5)], "2": [("ask", 10, 10), ("answer", 30, 15),
                                                                          ("fix", 40, 30)]}), DESK)
    heat = tmp_path / "replay.json"
    heat.write_text(fit.dumps())
    from blueprint.drawing.heat import read_heat

    read = read_heat(DESK, heat)
    assert read.visits["answer"] == 1.0 and read.visits["fix"] == 0.5 and read.visits["done"] == 1.0
    assert read.utilization["desk"] == pytest.approx(fit.to_json()["teams"]["desk"]["utilization"]["observed"])
    done = run("render", _write(tmp_path, "desk.yaml", dumps(DESK)), "-o", tmp_path / "desk.svg", "--heat", heat)
    assert done.exit_code == 0, done.output
    assert "0.5 visits per case" in (tmp_path / "desk.svg").read_text()
