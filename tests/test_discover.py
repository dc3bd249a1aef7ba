"""Event logs in (discover) and out (simulated logs read by pm4py)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import blueprint as bp
from blueprint.errors import BlueprintError
from blueprint.logs.discover import discover
from blueprint.logs.reading import read_events

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT.parent / "shared" / "logs"
needs_logs = pytest.mark.skipif(not LOGS.is_dir(), reason="../shared/logs is not there")


def cli(*args):
    """Run the command line in this process: (exit code, stderr)."""
    from click.testing import CliRunner

    from blueprint.cli import cli as group

    done = CliRunner().invoke(group, [str(a) for a in args])
    return done.exit_code, done.stderr


def write(tmp_path, text: str, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


SMALL = """case,activity,timestamp,resource
1,ask,2024-01-01 09:00,Customer
1,answer,2024-01-01 09:10,Desk
1,close,2024-01-01 09:40,Back office
2,ask,2024-01-01 10:00,Customer
2,answer,2024-01-01 10:20,Desk
3,answer,2024-01-01 11:00,Desk
3,answer,2024-01-01 11:30,Desk
3,close,2024-01-01 12:30,Back office
"""


def test_a_small_log_worked_out_by_hand(tmp_path):
    model = discover(write(tmp_path, SMALL))
    flows = {(f.source, f.target): f.p for f in model.flows}
    # answer happens 4 times: followed by close twice, by answer once, and ends case 2 once
    assert flows == {("ask", "answer"): 1.0, ("answer", "close"): 0.5, ("answer", "answer"): 0.25,
                     ("answer", "answer_end"): 0.25, ("close", "close_end"): 1.0}
    assert model.entry == pytest.approx({"ask": 2 / 3, "answer": 1 / 3}, abs=1e-12)
    assert model.steps["ask"].lane == "customer" and model.steps["ask"].owner is None
    assert (model.steps["answer"].lane, model.steps["answer"].owner) == ("frontstage", "desk")
    assert (model.steps["close"].lane, model.steps["close"].owner) == ("backstage", "back_office")
    assert model.time_unit == "minute"
    # no start times: a step takes the time since the case's previous event (the first one, none)
    assert sorted(model.steps["answer"].duration.empirical) == [0, 10, 20, 30]
    assert sorted(model.steps["close"].duration.empirical) == [30, 60]
    assert model.steps["answer_end"].outcome == "success"
    assert model.teams["desk"].staff is None  # waiting is in these times: no finite staff
    assert not [f for f in bp.check(model) if f.severity == "error"]


def test_start_and_end_times_give_service_times_and_staff(tmp_path):
    log = ("case:concept:name,concept:name,start_timestamp,time:timestamp,org:resource\n"
           "a,fix,2024-01-01T09:00:00,2024-01-01T09:45:00,Ann\n"
           "b,fix,2024-01-01T09:10:00,2024-01-01T09:25:00,Bob\n")
    with pytest.warns(UserWarning, match="single event"):  # one event a case: said about the log, once
        model = discover(write(tmp_path, log))
    assert sorted(model.steps["fix"].duration.empirical) == [15, 45]
    assert model.teams["ann"].staff == 1


def test_lifecycle_start_and_complete_are_paired(tmp_path):
    log = ("case,activity,timestamp,lifecycle:transition\n"
           "1,fix,2024-01-01 09:00,start\n1,fix,2024-01-01 11:00,complete\n"
           "2,fix,2024-01-01 09:00,start\n2,fix,2024-01-01 10:00,complete\n")
    with pytest.warns(UserWarning, match="single event"):
        model = discover(write(tmp_path, log))
    assert sorted(model.steps["fix"].duration.empirical) == [1, 2] and model.time_unit == "hour"


ENDINGS = """case,activity,timestamp,case:outcome
1,ask,2024-01-01 09:00,success
1,answer,2024-01-01 09:10,success
1,close,2024-01-01 09:10,success
2,ask,2024-01-01 10:00,failure
2,answer,2024-01-01 10:30,failure
3,ask,2024-01-01 11:00,abandoned
3,answer,2024-01-01 11:20,abandoned
4,ask,2024-01-01 12:00,open
5,ask,2024-01-01 13:00,success
5,answer,2024-01-01 13:15,success
5,close,2024-01-01 13:15,success
"""


def test_each_case_ends_the_way_the_log_says_worked_out_by_hand(tmp_path):
    model = discover(write(tmp_path, ENDINGS))
    # answer is left 4 ways: twice to close, once the case failed, once the customer gave up;
    # case 4 is still open after ask: that is no way out of ask (it has another)
    assert {(f.source, f.target): f.p for f in model.flows} == {
        ("ask", "answer"): 1.0, ("answer", "close"): 0.5, ("answer", "answer_failed"): 0.25,
        ("answer", "abandoned"): 0.25}
    # close only ever ends cases, successfully, in no time: it is the success outcome itself
    assert {s: (x.outcome, x.name) for s, x in model.steps.items() if x.is_outcome} == {
        "close": ("success", "close"), "answer_failed": ("failure", "Case fails after answer"),
        "abandoned": ("failure", "The customer gave up")}
    assert bp.stats(model).to_json()["outcomes"] == pytest.approx(
        {"close": 0.5, "answer_failed": 0.25, "abandoned": 0.25}, abs=1e-12)


def test_activities_named_like_endings_are_steps_like_any_other(tmp_path):
    log = "case,activity,timestamp\n" + "".join(f"{c},{a},2024-01-0{c} 09:{m}\n" for c in (1, 2) for a, m in
                                                 (("open", 10), ("success", 20), ("abandoned", 30)))
    model = discover(write(tmp_path, log))
    assert {(f.source, f.target): f.p for f in model.flows} == {
        ("open", "success"): 1.0, ("success", "abandoned"): 1.0, ("abandoned", "abandoned_end"): 1.0}


@pytest.mark.parametrize("log, words", [
    ("case,activity\n1,a\n", ["no timestamp column", "--timestamp"]),
    ("id,activity,timestamp\n1,a,2024-01-01\n", ["no case column", "--case"]),
    ("case,activity,timestamp\n1,a,2024-01-01\n2,b,yesterday\n", ["line 3", "column timestamp", "'yesterday'"]),
    ("case,activity,timestamp\n1,a,2024-01-01\n,b,2024-01-02\n", ["line 3", "no case id"]),
    ("case,activity,timestamp\n1,,2024-01-01\n", ["line 2", "no activity"]),
    ("", ["empty"]),
])
def test_bad_logs_are_one_clear_error_naming_the_row(tmp_path, log, words):
    path = write(tmp_path, log)
    with pytest.raises(BlueprintError) as err:
        discover(path)
    assert all(w in str(err.value) for w in words), str(err.value)
    code, stderr = cli("discover", path, "-o", tmp_path / "m.yaml")
    assert code == 2 and "Traceback" not in stderr and not (tmp_path / "m.yaml").exists()


def test_named_columns_and_a_column_that_is_not_there(tmp_path):
    path = write(tmp_path, "ticket_no,what,when\n1,a,2024-01-01 09:00\n1,b,2024-01-01 09:05\n")
    assert sorted(discover(path, case="ticket_no", activity="what", timestamp="when").steps) == ["a", "b", "b_end"]
    with pytest.raises(BlueprintError, match="no column 'wen' for the timestamp; did you mean 'when'"):
        discover(path, case="ticket_no", activity="what", timestamp="wen")


def test_an_xes_bomb_is_refused(tmp_path):
    path = write(tmp_path, '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                           '<log><trace><string key="concept:name" value="&b;"/></trace></log>', "bomb.xes")
    with pytest.raises(BlueprintError, match="entities"):
        discover(path)


@needs_logs
def test_running_example_csv_and_xes_give_the_same_blueprint():
    a, b = discover(LOGS / "running-example.csv"), discover(LOGS / "running-example.xes")
    assert {(f.source, f.target): round(f.p, 12) for f in a.flows} == {(f.source, f.target): round(f.p, 12)
                                                                       for f in b.flows}
    assert a.entry == b.entry == {"register_request": 1.0}
    assert {s: x.owner for s, x in a.steps.items()} == {s: x.owner for s, x in b.steps.items()}


@needs_logs
def test_flows_are_pm4py_directly_follows_counts():
    pm4py = pytest.importorskip("pm4py")
    log = pm4py.read_xes(str(LOGS / "running-example.xes"))
    dfg, starts, ends = pm4py.discover_dfg(log)
    model = discover(LOGS / "running-example.xes")
    names = {s.name: sid for sid, s in model.steps.items() if not s.is_outcome}
    out = Counter()
    for (a, _), n in dfg.items():
        out[a] += n
    for a, n in ends.items():
        out[a] += n
    expected = {(names[a], names[b]): n / out[a] for (a, b), n in dfg.items()}
    got = {(f.source, f.target): f.p for f in model.flows if not model.steps[f.target].is_outcome}
    assert got.keys() == expected.keys() and all(abs(got[k] - expected[k]) < 1e-12 for k in got)
    assert model.entry == {names[a]: n / sum(starts.values()) for a, n in starts.items()}


def _frequencies(steps) -> dict[str, float]:
    counts = Counter(steps)
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}


@needs_logs
@pytest.mark.parametrize("log, cases", [("running-example.xes", 4000), ("interval_event_log.csv", 4000),
                                        ("receipt.csv", 6000)])
def test_simulating_a_discovered_blueprint_reproduces_activity_frequencies(log, cases):
    model = discover(LOGS / log)
    assert not [f for f in bp.check(model) if f.severity == "error"]
    ids = {s.name: sid for sid, s in model.steps.items() if not s.is_outcome}
    logged = _frequencies(ids[v.activity] for case in read_events(LOGS / log).cases() for v in case.visits)
    result = bp.simulate(model, cases=cases, seed=7)
    simulated = _frequencies(e.step for e in result.events if not model.steps[e.step].is_outcome)
    for step, share in logged.items():
        if share >= 0.02:  # every activity with at least 2% of the events: within 5% of its share
            assert abs(simulated.get(step, 0) - share) <= 0.05 * share, (step, share, simulated.get(step))
        else:
            assert abs(simulated.get(step, 0) - share) <= 0.002, (step, share, simulated.get(step))


@needs_logs
def test_cli_discover_writes_a_blueprint_that_loads(tmp_path):
    out = tmp_path / "receipt.yaml"
    code, stderr = cli("discover", LOGS / "receipt.csv", "-o", out)
    assert code == 0, stderr
    model = bp.load(out)
    assert len([s for s in model.steps.values() if not s.is_outcome]) == 27
    assert {t.name for t in model.teams.values()} >= {"Group 1", "Group 4"}


# --------------------------------------------------------------------------------------------
# logs out: what the simulation writes, read by pm4py
# --------------------------------------------------------------------------------------------
SERIAL = """
teams: {desk: {name: Desk, staff: 2}, back: {name: Back office, staff: 1}}
steps:
  ask:    {lane: customer, channel: phone}
  answer: {lane: frontstage, owner: desk, duration: {exponential: 5}}
  check:  {lane: backstage, owner: back, duration: {exponential: 8}}
  retry:  {lane: customer, channel: phone}
  never:  {lane: frontstage, owner: desk}
  done:   {outcome: success}
  lost:   {outcome: failure}
flows:
  - [ask, answer]
  - {from: answer, to: done, p: 0.6}
  - {from: answer, to: check, p: 0.4}
  - {from: check, to: retry, p: 0.5}
  - {from: check, to: done, p: 0.5}
  - {from: retry, to: answer, p: 0.9}
  - {from: retry, to: lost, p: 0.1}
  - [never, done]
start: ask
arrivals: {every: {exponential: 10}}
"""


@pytest.fixture(scope="module")
def simulated_logs(tmp_path_factory):
    model = bp.loads(SERIAL)
    result = bp.simulate(model, cases=300, seed=3)
    folder = tmp_path_factory.mktemp("logs")
    for ext in ("csv", "jsonl", "xes"):
        result.write_events(folder / f"events.{ext}")
    return model, result, folder


def _taken(events) -> set[tuple[str, str]]:
    by_case: dict[int, list[str]] = {}
    for e in events:
        by_case.setdefault(e.case, []).append(e.step)
    return {(a, b) for steps in by_case.values() for a, b in zip(steps, steps[1:])}


def test_pm4py_reads_our_csv_and_finds_exactly_the_flows_taken(simulated_logs):
    pm4py = pytest.importorskip("pm4py")
    import pandas as pd

    model, result, folder = simulated_logs
    frame = pd.read_csv(folder / "events.csv")
    frame = pm4py.format_dataframe(frame, case_id="case", activity_key="step", timestamp_key="timestamp")
    dfg, starts, _ = pm4py.discover_dfg(frame)
    taken = _taken(result.events)
    assert set(dfg) == taken and taken <= {(f.source, f.target) for f in model.flows}
    assert ("never", "done") not in dfg and set(starts) == {"ask"}


def test_pm4py_reads_our_jsonl_through_pandas(simulated_logs):
    pm4py = pytest.importorskip("pm4py")
    import pandas as pd

    _, result, folder = simulated_logs
    frame = pd.read_json(folder / "events.jsonl", lines=True)
    assert len(frame) == len(result.events)
    frame["time"] = pd.to_datetime(frame["end"], unit="m", origin="2024-01-01")
    frame = pm4py.format_dataframe(frame, case_id="case", activity_key="step", timestamp_key="time")
    dfg, _, _ = pm4py.discover_dfg(frame)
    assert set(dfg) == _taken(result.events)


def test_pm4py_reads_our_xes(simulated_logs):
    pm4py = pytest.importorskip("pm4py")
    _, result, folder = simulated_logs
    log = pm4py.read_xes(str(folder / "events.xes"))
    complete = log[log["lifecycle:transition"] == "complete"]
    assert complete["case:concept:name"].nunique() == len({e.case for e in result.events})
    dfg, _, _ = pm4py.discover_dfg(complete)
    assert set(dfg) == _taken(result.events)


def test_a_simulated_log_discovers_back_to_its_blueprint(simulated_logs):
    model, result, folder = simulated_logs
    mined = discover(folder / "events.csv", case="case", activity="step", timestamp="timestamp",
                     start_timestamp="start_timestamp", resource="team")
    # the outcome rows of the log (ending cases, in no time) are the outcomes of the mined model
    assert {(f.source, f.target) for f in mined.flows} == _taken(result.events)
    assert {s for s, step in mined.steps.items() if step.is_outcome} == {"done", "lost"}
    assert mined.steps["check"].owner == "back" and mined.teams["back"].staff == 1


def test_our_own_event_csv_is_discovered_without_naming_columns(tmp_path):
    model = bp.load(Path(__file__).resolve().parent.parent / "examples" / "damaged_fires.yaml")
    log = tmp_path / "events.csv"
    result = bp.simulate(model, cases=300, seed=4)
    result.write_events(log)
    mined = bp.discover(log)
    # the log says how each case ended: no case ends in a made-up success where the customer gave up
    assert {s: step.outcome for s, step in mined.steps.items() if step.is_outcome} == {
        "fitted": "success", "gave_up": "failure", "abandoned": "failure"}
    assert set(mined.steps) <= set(model.steps) | {"abandoned"}
    assert {s for s, step in mined.steps.items() if step.lane == "customer"} == {
        s for s, step in model.steps.items() if step.lane == "customer" and s in mined.steps}
    assert mined.steps["deliver"].owner == "delivery" and mined.steps["order"].owner is None


# --------------------------------------------------------------------------------------------
# simulate -> discover: outcomes and staff come back
# --------------------------------------------------------------------------------------------
BUSY = """
teams: {desk: {name: Desk, staff: 3}, back: {name: Back office, staff: 2}}
steps:
  ask:    {lane: customer, channel: phone, duration: 1}
  answer: {lane: frontstage, owner: desk, duration: {exponential: 10}}
  check:  {lane: backstage, owner: back, duration: {exponential: 6}}
  fixed:  {outcome: success}
  lost:   {outcome: failure}
flows:
  - [ask, answer]
  - {from: answer, to: fixed, p: 0.5}
  - {from: answer, to: check, p: 0.5}
  - {from: check, to: fixed, p: 0.7}
  - {from: check, to: lost, p: 0.3}
start: ask
arrivals: {every: {exponential: 3}}
patience: {exponential: 60}
"""


@pytest.fixture(scope="module")
def busy_logs(tmp_path_factory):
    model = bp.loads(BUSY)
    result = bp.simulate(model, cases=400, seed=11)
    folder = tmp_path_factory.mktemp("busy")
    for ext in ("csv", "xes"):
        result.write_events(folder / f"events.{ext}")
    return model, result, folder


@pytest.mark.parametrize("ext", ["csv", "xes"])
def test_simulate_then_discover_keeps_every_ending_and_the_staff(busy_logs, ext):
    model, result, folder = busy_logs
    mined = discover(folder / f"events.{ext}")
    ended = {k: n for k, n in result.to_json()["cases"]["by_outcome"].items() if n}
    assert ended.keys() == {"fixed", "lost", "abandoned"}  # the run has all three endings
    assert {s: step.outcome for s, step in mined.steps.items() if step.is_outcome} == {
        "fixed": "success", "lost": "failure", "abandoned": "failure"}
    # a discovered chain's chances are the log's counts: each ending's exact chance is its share
    exact = bp.stats(mined).to_json()["outcomes"]
    assert exact == pytest.approx({k: n / result.to_json()["cases"]["arrived"] for k, n in ended.items()},
                                  abs=1e-12)
    # the most of a team seen at work at once is its staff (both were fully busy in this run)
    assert {t: team.staff for t, team in mined.teams.items()} == {"desk": 3, "back": 2}


def test_pm4py_reads_our_xes_and_its_csv_of_it_discovers_the_same(busy_logs, tmp_path):
    pm4py = pytest.importorskip("pm4py")
    _, _, folder = busy_logs
    frame = pm4py.read_xes(str(folder / "events.xes"))
    assert {"case:outcome", "case:outcome_step", "lifecycle:transition"} <= set(frame.columns)
    frame.to_csv(tmp_path / "by_pm4py.csv", index=False)
    ours, theirs = discover(folder / "events.xes"), discover(tmp_path / "by_pm4py.csv")
    assert {(f.source, f.target): round(f.p, 12) for f in ours.flows} == {
        (f.source, f.target): round(f.p, 12) for f in theirs.flows}
    assert {s: x.outcome for s, x in ours.steps.items()} == {s: x.outcome for s, x in theirs.steps.items()}
    assert {t: x.staff for t, x in ours.teams.items()} == {t: x.staff for t, x in theirs.teams.items()}
