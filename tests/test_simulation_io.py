"""Simulation out: event logs that pm4py reads, the `blueprint simulate` command, dask clusters."""
import json
import subprocess
import sys
from collections import Counter
from xml.etree import ElementTree

import pandas as pd
import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import EXIT_BAD_INPUT, EXIT_OK, cli
from blueprint.eventlog import Event, timestamps, to_csv, to_xes

from .conftest import EXAMPLES, FIXTURES

EVERY = FIXTURES / "valid" / "every_feature.yaml"
MINIMAL = FIXTURES / "valid" / "minimal.yaml"


@pytest.fixture(scope="module")
def every_feature():
    return bp.simulate(bp.load(EVERY), cases=60, seed=4)


@pytest.mark.parametrize("time,unit,stamp", [
    (0, "minute", "2024-01-01T00:00:00.000Z"),      # time 0 is Monday 2024-01-01
    (9 * 60, "minute", "2024-01-01T09:00:00.000Z"),
    (7, "day", "2024-01-08T00:00:00.000Z"),           # a week later: Monday again
    (1.5, "second", "2024-01-01T00:00:01.500Z"),
    (36, "hour", "2024-01-02T12:00:00.000Z"),
])
def test_timestamps_count_from_monday_2024_01_01(time, unit, stamp):
    assert timestamps([time], unit) == [stamp]


def test_pm4py_reads_the_xes_with_the_standard_lifecycle_and_each_case_outcome(every_feature, tmp_path):
    pm4py = pytest.importorskip("pm4py")
    path = tmp_path / "log.xes"
    every_feature.write_events(path)
    log = pm4py.read_xes(str(path))
    started = [e for e in every_feature.events if e.start is not None and e.outcome not in ("success", "failure")]
    ended = [e for e in every_feature.events if e.end is not None]
    assert len(log) == len(started) + len(ended)
    # finished work completes; work stopped by the customer giving up is aborted once started,
    # withdrawn before (both happen in this run), never "complete"
    by_transition = {t: set(rows["outcome"]) for t, rows in log.groupby("lifecycle:transition")}
    assert by_transition == {"start": {"done", "abandoned"}, "complete": {"done", "success"},
                             "ate_abort": {"abandoned"}, "withdraw": {"abandoned"}}
    assert set(log["case:concept:name"]) == {str(e.case) for e in every_feature.events}
    assert set(log["concept:name"]) == {e.step for e in every_feature.events}
    assert set(log["org:resource"].dropna()) <= set(bp.load(EVERY).teams)
    assert log["time:timestamp"].min() >= pd.Timestamp("2024-01-01", tz="UTC")
    for _, trace in log.groupby("case:concept:name"):
        assert trace["time:timestamp"].is_monotonic_increasing
    # the trace attributes say how each case ended: the same counts as the simulation's
    cases = log.drop_duplicates("case:concept:name")
    ended_at = Counter(cases["case:outcome_step"].fillna(cases["case:outcome"]))
    assert ended_at == {k: n for k, n in every_feature.to_json()["cases"]["by_outcome"].items() if n}
    assert set(cases["case:outcome"]) == {"success", "abandoned"}


def test_pm4py_reads_the_csv_and_finds_the_start_and_end_activities(every_feature, tmp_path):
    pm4py = pytest.importorskip("pm4py")
    path = tmp_path / "log.csv"
    every_feature.write_events(path)
    frame = pm4py.format_dataframe(pd.read_csv(path), case_id="case", activity_key="step",
                                   timestamp_key="timestamp", start_timestamp_key="start_timestamp")
    assert len(frame) == len(every_feature.events)
    cases = frame.drop_duplicates("case:concept:name")  # each case's outcome, on each of its rows
    assert Counter(cases["case:outcome_step"].fillna(cases["case:outcome"])) == {
        k: n for k, n in every_feature.to_json()["cases"]["by_outcome"].items() if n}
    assert set(pm4py.get_start_activities(frame)) == {"call"}
    assert set(pm4py.get_end_activities(frame)) <= {"fixed", "refunded", "wait", "chase", "reply", "log", "ship",
                                                    "both", "stock", "account", "fork", "call"}


def test_the_jsonl_has_one_row_per_event_with_its_fields(every_feature, tmp_path):
    path = tmp_path / "log.jsonl"
    every_feature.write_events(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [Event(**row) for row in lines] == every_feature.events


def test_xes_escapes_names_and_keeps_cases_apart():
    text = to_xes([Event(1, "a<b", "t&u", None, 0.0, None, 2.0, "timeout"),
                   Event(2, "a<b", None, "customer", 1.0, 1.0, 1.0, "done")], "minute", name='x"y')
    root = ElementTree.fromstring(text)
    ns = {"x": "http://www.xes-standard.org/"}
    assert root.find("x:string[@key='concept:name']", ns).get("value") == 'x"y'
    traces = root.findall("x:trace", ns)
    assert [t.find("x:string", ns).get("value") for t in traces] == ["1", "2"]
    first = traces[0].find("x:event", ns)
    assert {a.get("key"): a.get("value") for a in first} == {
        "concept:name": "a<b", "org:resource": "t&u", "time:timestamp": "2024-01-01T00:02:00.000Z",
        "lifecycle:transition": "withdraw", "outcome": "timeout"}  # left by its timeout before it started
    assert [a.get("value") for t in traces for e in t.findall("x:event", ns)
            for a in e if a.get("key") == "lifecycle:transition"] == ["withdraw", "start", "complete"]


@pytest.mark.parametrize("outcome, start, transitions", [
    ("done", 1.0, ["start", "complete"]),
    ("timeout", 1.0, ["start", "ate_abort"]),      # started, then left by its timeout
    ("cancelled", 1.0, ["start", "ate_abort"]),    # another branch ended the case
    ("cancelled", None, ["withdraw"]),             # ... before this one was started
    ("abandoned", 1.0, ["start", "ate_abort"]),    # the customer gave up during the work
    ("abandoned", None, ["withdraw"]),             # ... while it waited in the queue
    ("open", 1.0, ["start"]),                      # still being worked on at the end
    ("open", None, []),
])
def test_xes_lifecycle_of_a_visit_by_how_it_ended(outcome, start, transitions):
    end = None if outcome == "open" else 2.0
    root = ElementTree.fromstring(to_xes([Event(1, "fix", "desk", "backstage", 0.0, start, end, outcome)], "hour"))
    ns = {"x": "http://www.xes-standard.org/"}
    assert [a.get("value") for e in root.iter("{http://www.xes-standard.org/}event")
            for a in e if a.get("key") == "lifecycle:transition"] == transitions
    trace = {a.get("key"): a.get("value") for a in root.find("x:trace", ns) if a.tag.endswith("string")}
    assert trace == {"concept:name": "1", "outcome": "abandoned" if outcome == "abandoned" else "open"}


@pytest.mark.parametrize("last, outcome, step", [
    (Event(1, "fixed", None, None, 2.0, 2.0, 2.0, "success"), "success", "fixed"),
    (Event(1, "refunded", None, None, 2.0, 2.0, 2.0, "failure"), "failure", "refunded"),
    (Event(1, "wait", None, "customer", 2.0, 2.0, 5.0, "abandoned"), "abandoned", ""),
    (Event(1, "wait", None, "customer", 2.0, 2.0, None, "open"), "open", ""),
])
def test_each_row_of_the_csv_carries_its_case_outcome(last, outcome, step):
    rows = to_csv([Event(1, "call", None, "customer", 0.0, 0.0, 1.0, "done"), last], "hour").splitlines()
    assert rows[0].endswith(",case:outcome,case:outcome_step")
    assert all(row.endswith(f",{outcome},{step}") for row in rows[1:])


def test_csv_leaves_times_that_never_came_empty():
    text = to_csv([Event(3, "wait", "desk", "backstage", 1.0, None, None, "open")], "minute")
    assert text.splitlines()[1] == "3,wait,desk,backstage,1.0,,,open,,2024-01-01T00:01:00.000Z,open,"


def invoke(*args):
    return CliRunner().invoke(cli, ["simulate", *map(str, args)])


def test_cli_prints_the_json_document_and_nothing_else():
    result = invoke(EVERY, "--cases", 200, "--seed", 7, "--format", "json")
    assert result.exit_code == EXIT_OK, result.output
    doc = json.loads(result.stdout)
    assert doc["cases"]["arrived"] == 200 == doc["cases"]["finished"] + doc["cases"]["in_progress"]
    assert doc["seed"] == 7 and doc["time_unit"] == "hour"
    assert result.stderr == ""  # no terminal, no progress


def test_cli_runs_are_identical_with_a_seed_and_with_jobs():
    one = invoke(MINIMAL, "--cases", 300, "--seed", 3, "--format", "json", "--replications", 3).stdout
    assert one == invoke(MINIMAL, "--cases", 300, "--seed", 3, "--format", "json", "--replications", 3).stdout
    assert one == invoke(MINIMAL, "--cases", 300, "--seed", 3, "--format", "json", "--replications", 3,
                         "--jobs", 2).stdout


def test_cli_text_is_a_table_with_team_names():
    result = invoke(EXAMPLES / "jackson_network.yaml", "--cases", 2000, "--replications", 2)
    assert result.exit_code == EXIT_OK, result.output
    assert "time in system" in result.stdout and "Triage" in result.stdout and "utilization" in result.stdout
    assert "95% CI" in result.stdout


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "xes"])
def test_cli_writes_the_events_file(tmp_path, suffix):
    out = tmp_path / f"events.{suffix}"
    result = invoke(MINIMAL, "--cases", 20, "--events", out)
    assert result.exit_code == EXIT_OK, result.output
    assert "answer" in out.read_text()
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left behind


def test_cli_until_simulates_a_horizon():
    doc = json.loads(invoke(EVERY, "--until", "2w", "--format", "json").stdout)
    assert 20 < doc["cases"]["arrived"] < 100  # 4 a day for 14 days
    assert doc["cases"]["in_progress"] > 0


@pytest.mark.parametrize("args,words", [
    (["--cases", "0"], "--cases"),
    (["--until", "soon"], "'soon' is not a time"),
    (["--events", "out.txt"], ".csv, .jsonl or .xes"),
    (["--replications", "0"], "--replications"),
    (["--seed", "-2"], "--seed"),
])
def test_cli_bad_options_are_bad_input_without_a_traceback(args, words, tmp_path):
    result = invoke(MINIMAL, *args)
    assert result.exit_code == EXIT_BAD_INPUT
    assert words in result.output and "Traceback" not in result.output


def test_cli_progress_shows_on_a_terminal_only():
    code = ("import sys, io; sys.stderr.isatty = lambda: True; from blueprint.cli import main; "
            f"main(['simulate', r'{EXAMPLES / 'jackson_network.yaml'}', '--cases', '20000', '--format', 'json'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "20,000 / 20,000 cases" in done.stderr and "events/s" in done.stderr
    json.loads(done.stdout)
    quiet = subprocess.run([sys.executable, "-c", code.replace("'json']", "'json', '--no-progress']")],
                           capture_output=True, text=True, timeout=120)
    assert quiet.stderr == "" and quiet.stdout == done.stdout


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        yield cluster


def test_a_dask_cluster_gives_the_local_result(cluster):
    from dask.distributed import Client

    fires = bp.load(EXAMPLES / "damaged_fires.yaml")
    local = bp.simulate(fires, cases=200, seed=8, replications=3, events=True)
    with Client(cluster) as client:
        remote = bp.simulate(fires, cases=200, seed=8, replications=3, client=client, events=True)
    assert json.dumps(remote.to_json()) == json.dumps(local.to_json())
    assert remote.events == local.events


def test_cli_scheduler_gives_the_local_result(cluster):
    args = (EVERY, "--cases", 100, "--seed", 2, "--replications", 2, "--format", "json")
    assert invoke(*args, "--scheduler", cluster.scheduler_address).stdout == invoke(*args).stdout
