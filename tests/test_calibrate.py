"""Calibrating a blueprint on a log: the family of each duration, the file's comments kept, and the
calibrated blueprint simulated back into the log's activity shares and time in system."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import cli
from blueprint.durations import TIME_UNITS
from blueprint.logs.calibrate import as_written, fit_duration
from blueprint.logs.reading import read_events
from blueprint.writing import dumps

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT.parent / "shared" / "logs"
needs_logs = pytest.mark.skipif(not LOGS.is_dir(), reason="../shared/logs is not there")


@pytest.mark.parametrize("family, draw", [
    ("exponential", lambda rng: rng.exponential(5, 2000)),
    ("normal", lambda rng: rng.normal(30, 4, 2000)),
    ("lognormal", lambda rng: rng.lognormal(1, 0.6, 2000)),
    ("uniform", lambda rng: rng.uniform(2, 8, 2000)),
    ("triangular", lambda rng: rng.triangular(1, 2, 9, 2000)),
    ("empirical", lambda rng: np.r_[rng.normal(10, 1, 1000), rng.normal(30, 1, 1000)]),  # two humps
    ("empirical", lambda rng: rng.exponential(5, 12)),  # too few to choose a family
    ("fixed", lambda rng: np.full(40, 7.5)),
])
def test_each_family_is_recognised_from_its_draws(family, draw):
    found = fit_duration(draw(np.random.default_rng(3)))
    assert found.family == family
    assert (found.ks_p is None) == (family in ("empirical", "fixed"))


def test_the_written_duration_keeps_the_mean_of_the_times():
    rng = np.random.default_rng(0)
    times = rng.lognormal(2, 1.2, 4000)  # a long tail
    found = fit_duration(times)
    mean = bp.durations.mean_of(bp.Blueprint.model_validate(
        {"steps": {"a": {"lane": "customer", "duration": found.duration}, "b": {"outcome": "success"}},
         "flows": [["a", "b"]]}).steps["a"].duration)
    assert mean == pytest.approx(times.mean(), rel=1e-3)


@pytest.mark.parametrize("value, unit, written", [(1 / 3, "hour", "20min"), (2.0, "day", "2d"), (90, "minute", "90min"),
                                                  (1.5, "hour", "90min"), (0.1234567, "hour", 0.1235)])
def test_a_fixed_time_is_written_in_a_unit_it_is_whole_in(value, unit, written):
    assert as_written(value, unit) == written


COMMENTED = """\
# The help desk, as the team describes it
name: Help desk
time_unit: minute
teams:
  desk: {name: Desk, staff: 2}   # two people on the phones
steps:
  ask:
    name: Asks                   # the customer phones
    lane: customer
    channel: phone
  answer: {name: Answers, lane: frontstage, owner: desk, duration: 5}  # "about five minutes"
  fix:
    lane: backstage
    owner: desk
  done: {outcome: success}
flows:
  - [ask, answer]
  - [answer, done]   # most are sorted at once
  - from: answer
    to: fix
  - [fix, done]
start: ask
# arrivals as the manager guessed them
arrivals: {every: 10}
"""


def _simulated(tmp_path, text: str, changes: dict, cases: int = 400) -> Path:
    truth = bp.loads(text).with_changes(changes)
    path = tmp_path / "log.csv"
    bp.simulate(truth, cases=cases, seed=5, events=True).write_events(path)
    return path


def test_calibrating_keeps_every_comment_and_writes_the_logs_figures(tmp_path):
    source = tmp_path / "desk.yaml"
    source.write_text(COMMENTED)
    log = _simulated(tmp_path, COMMENTED, {"flows[answer->done].p": 0.7, "flows[answer->fix].p": 0.3,
                                           "steps.fix.duration": {"exponential": 30},
                                           "steps.answer.duration": 8, "arrivals": {"every": {"exponential": 20}}})
    fit = bp.replay(log, source)
    text = fit.calibrated_text("yaml")
    comments = [line[line.index("#"):] for line in COMMENTED.splitlines() if "#" in line]
    assert all(c in text for c in comments)
    assert bp.loads(text) == fit.calibrated()
    model = fit.calibrated()
    chances = {(f.source, f.target): f.p for f in model.flows}
    assert chances[("answer", "done")] == pytest.approx(0.7, abs=0.07)
    assert chances[("answer", "done")] + chances[("answer", "fix")] == 1.0
    assert model.steps["answer"].duration == "8min"
    assert model.steps["fix"].duration.exponential == pytest.approx(30, rel=0.25)
    assert model.arrivals.every.exponential == pytest.approx(20, rel=0.15)
    assert "  - from: answer\n    to: fix\n    p: " in text or "  - p: " in text  # beside its siblings
    assert text.count("\n") >= COMMENTED.count("\n")


def test_calibrating_a_json_file_keeps_its_layout_and_a_blueprint_without_a_file_is_written_plainly(tmp_path):
    source = tmp_path / "desk.json"
    source.write_text(dumps(bp.loads(COMMENTED), "json"))
    log = _simulated(tmp_path, COMMENTED, {"flows[answer->done].p": 0.6, "flows[answer->fix].p": 0.4})
    fit = bp.replay(log, bp.load(source))
    text = fit.calibrated_text("json", source=source)
    assert bp.loads(text, format="json") == fit.calibrated()
    assert text.splitlines()[:3] == source.read_text().splitlines()[:3]
    plain = bp.replay(log, bp.loads(COMMENTED).with_changes({})).calibrated_text("yaml")
    assert bp.loads(plain) == bp.replay(log, bp.loads(COMMENTED)).calibrated()


def test_the_command_writes_the_calibrated_blueprint(tmp_path):
    source = tmp_path / "desk.yaml"
    source.write_text(COMMENTED)
    log = _simulated(tmp_path, COMMENTED, {})
    for name in ("calibrated.yaml", "calibrated.json", "calibrated.bpmn"):
        done = CliRunner().invoke(cli, ["replay", str(log), str(source), "--calibrate", str(tmp_path / name)])
        assert done.exit_code == 0, done.output
        assert "calibrated answer: chances done 0." in done.stderr
        assert set(bp.load(tmp_path / name).steps) >= {"ask", "answer", "fix"}
    assert "# two people on the phones" in (tmp_path / "calibrated.yaml").read_text()


def _log_figures(path: Path, unit: str) -> tuple[Counter, float]:
    shares: Counter = Counter()
    times = []
    for case in read_events(path).cases():
        shares.update(v.activity for v in case.visits)
        first = case.visits[0].start if case.visits[0].start is not None else case.visits[0].end
        times.append(case.visits[-1].end - first)
    return shares, float(np.mean(times)) / TIME_UNITS[unit]


#: How close the calibrated blueprint's simulation comes to the log (20,000 simulated cases).
SHARE_TOLERANCE = 0.01     # each activity's share of all visits, absolute
TIME_TOLERANCE = 0.05      # the mean time in system, relative


def calibrated_against(path: Path, cases: int = 20_000, seed: int = 3) -> dict:
    """Discover a blueprint, spoil its figures (equal chances, every duration 1, arrivals 1 apart),
    calibrate it on the log, simulate it: the figures side by side."""
    data = bp.discover(path).to_data()
    for step in data["steps"].values():
        if "duration" in step:
            step["duration"] = 1
    data["flows"] = [{"from": f["from"], "to": f["to"]} if isinstance(f, dict) else f[:2] for f in data["flows"]]
    data["arrivals"] = {"every": 1}
    spoilt = bp.Blueprint.model_validate(data)
    model = bp.replay(path, spoilt).calibrated()
    shares, log_time = _log_figures(path, model.time_unit)
    result = bp.simulate(model, cases=cases, seed=seed, events=True)
    names = {sid: s.name for sid, s in model.steps.items() if not s.is_outcome}
    simulated = Counter(names[e.step] for e in result.events if e.step in names)
    total, sim_total = sum(shares.values()), sum(simulated.values())
    worst = max(shares, key=lambda a: abs(shares[a] / total - simulated[a] / sim_total))
    return {"log": path.name, "cases": sum(1 for _ in read_events(path).cases()), "unit": model.time_unit,
            "activities": len(shares), "worst activity": worst,
            "share in log": shares[worst] / total, "share simulated": simulated[worst] / sim_total,
            "time in log": log_time, "time simulated": result.to_json()["time_in_system"]["mean"]}


@needs_logs
@pytest.mark.parametrize("name", ["running-example.csv", "receipt.csv"])
def test_a_calibrated_blueprint_simulates_back_into_the_log(name):
    row = calibrated_against(LOGS / name)
    assert abs(row["share in log"] - row["share simulated"]) <= SHARE_TOLERANCE, row
    assert row["time simulated"] == pytest.approx(row["time in log"], rel=TIME_TOLERANCE), row


def table() -> str:
    """The table of docs/replay.md: ``python -m tests.test_calibrate``."""
    lines = ["| log | cases | activities | largest gap in an activity's share (log / simulated) | "
             "mean time in system (log / simulated) |", "|---|---|---|---|---|"]
    for name in ("running-example.csv", "receipt.csv"):
        r = calibrated_against(LOGS / name)
        lines.append(f"| `{r['log']}` | {r['cases']:,} | {r['activities']} | {r['worst activity']}: "
                     f"{r['share in log']:.2%} / {r['share simulated']:.2%} | {r['time in log']:,.1f} / "
                     f"{r['time simulated']:,.1f} {r['unit']}s ({r['time simulated'] / r['time in log'] - 1:+.1%}) |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
