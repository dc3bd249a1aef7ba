"""Long simulations: memory that does not grow with the cases simulated, and Ctrl-C that keeps
what was simulated so far."""
import json
import tracemalloc
from functools import partial

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import EXIT_OK, cli
from blueprint.simulation import compiled, engine, tally

from .conftest import EXAMPLES

JACKSON = EXAMPLES / "jackson_network.yaml"


def _peak_bytes(model: bp.Blueprint, cases: int, run_on: str = "python") -> int:
    tracemalloc.start()
    try:
        bp.simulate(model, cases=cases, seed=1, engine=run_on).to_json()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("run_on", ["python", "compiled"])
def test_memory_does_not_grow_with_the_cases_once_the_tally_folds(monkeypatch, run_on):
    # Past the cases kept one by one, the tally keeps running sums and a sketch: four times the
    # cases must not take more memory (event rows off). Both runs are past the warm-up of the random
    # streams, whose blocks grow to 8,192 draws each (about 2 MB for this network) and stay there.
    # (tracemalloc sees what Python and numpy allocate; the compiled loop's own arrays grow only
    # with the cases open at once.)
    for module in (engine, compiled):
        monkeypatch.setattr(module, "CaseTally", partial(tally.CaseTally, exact=2_000))
    model = bp.load(JACKSON)
    small, large = _peak_bytes(model, 40_000, run_on), _peak_bytes(model, 160_000, run_on)
    assert large < 1.2 * small, (small, large)


def test_memory_per_case_kept_one_by_one_is_small():
    # Up to EXACT_CASES the figures of each case are kept (exact quantiles): number, outcome, time,
    # four counts and the cost, about 50 bytes, copied twice at the peak (gathered, then sorted).
    model = bp.load(JACKSON)
    small, large = _peak_bytes(model, 10_000), _peak_bytes(model, 100_000)
    assert (large - small) / 90_000 < 200, (small, large)


def _interrupt_after(monkeypatch, events: int) -> None:
    """Make the work_ends handler raise KeyboardInterrupt (as Ctrl-C does) at its `events`-th call."""
    calls = {"n": 0}
    handler = engine.Engine.work_ends

    def work_ends(self, *args):
        calls["n"] += 1
        if calls["n"] == events:
            raise KeyboardInterrupt
        return handler(self, *args)
    monkeypatch.setattr(engine.Engine, "work_ends", work_ends)


def test_ctrl_c_in_the_loop_gives_the_cases_so_far(monkeypatch):
    _interrupt_after(monkeypatch, 5_000)
    result = bp.simulate(bp.load(JACKSON), cases=50_000, seed=1, replications=3, engine="python")
    doc = result.to_json()
    assert result.interrupted and doc["interrupted"] is True
    assert 0 < doc["cases"]["finished"] < doc["cases"]["arrived"] < 50_000
    assert len(result.per_replication) == 1  # the replications not begun are left out
    assert doc["time_in_system"]["mean"] > 0


def test_ctrl_c_at_the_command_line_prints_the_result_and_a_note(monkeypatch):
    _interrupt_after(monkeypatch, 2_000)
    run = CliRunner().invoke(cli, ["simulate", str(JACKSON), "--cases", "100000", "--format", "json",
                                   "--no-progress", "--engine", "python"])
    assert run.exit_code == EXIT_OK, run.output
    assert "interrupted" in run.stderr and "Traceback" not in run.stderr
    doc = json.loads(run.stdout)
    assert doc["interrupted"] is True and 0 < doc["cases"]["arrived"] < 100_000


@pytest.mark.parametrize("events", [True, False])
def test_an_interrupted_run_keeps_event_rows_up_to_then(monkeypatch, events):
    _interrupt_after(monkeypatch, 300)
    result = bp.simulate(bp.load(JACKSON), cases=10_000, seed=1, events=events, engine="python")
    if events:
        assert 0 < len(result.events) < 10_000 * 3
    assert result.interrupted


def test_ctrl_c_while_the_compiled_loop_runs_gives_the_cases_so_far(monkeypatch):
    """Ctrl-C reaches Python when the compiled loop hands back control (every 16,384 events at
    most): here at its third look at the clock."""
    looks = {"n": 0}
    look = compiled._look

    def interrupted_look(*args):
        looks["n"] += 1
        if looks["n"] == 3:
            raise KeyboardInterrupt
        return look(*args)
    monkeypatch.setattr(compiled, "_look", interrupted_look)
    run = CliRunner().invoke(cli, ["simulate", str(JACKSON), "--cases", "200000", "--format", "json",
                                   "--no-progress", "--engine", "compiled"])
    assert run.exit_code == EXIT_OK, run.output
    doc = json.loads(run.stdout)
    assert "interrupted" in run.stderr and doc["interrupted"] is True
    assert 0 < doc["cases"]["finished"] < doc["cases"]["arrived"] < 200_000
