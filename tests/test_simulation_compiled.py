"""The compiled engine gives what the Python engine gives, bit for bit, on the same seed.

The Python loop (:mod:`blueprint.simulation.engine`) is the reference; the compiled one
(:mod:`blueprint.simulation.loop`, driven by :mod:`blueprint.simulation.compiled`) must give the
same KPIs, the same per-case figures and the same event rows: on every example and fixture, by
cases and by time, with team hours, timeouts, patience, parallel work, costs, contacts and story
repeats; on generated blueprints; when its pools start tiny and have to grow; and when it is
stopped early.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import blueprint as bp
from blueprint.errors import BlueprintError
from blueprint.simulation import arrays as cols
from blueprint.simulation import compiled, engine, parts, plan, prepare, run_replication
from blueprint.simulation.compiled import choose, covers, run_compiled
from blueprint.strategies import blueprints

from .conftest import EXAMPLES, FIXTURES

RUNNABLE = sorted(EXAMPLES.glob("*.yaml")) + sorted((FIXTURES / "valid").glob("*.yaml"))
FIGURES = ("outcome", "time_in_system", "contacts", "handoffs", "story_repeats", "failure_contacts", "cost")


def same_replication(a, b) -> None:
    """Two replications are the same, figure for figure and row for row."""
    assert a.arrived == b.arrived and a.n_events == b.n_events and a.interrupted == b.interrupted
    assert (a.horizon, a.window) == (b.horizon, b.window)
    for name in ("busy_time", "duty_time", "window_busy", "window_duty", "wait_sum", "started", "max_queue"):
        assert list(getattr(a, name)) == list(getattr(b, name)), name
    ours, theirs = a.tally.per_case(), b.tally.per_case()
    for name in FIGURES:
        assert ours[name].tolist() == theirs[name].tolist(), name
    assert a.events == b.events


def test_the_array_codes_are_the_engines():
    kinds = (engine.OPEN, engine.TIMEOUT, engine.PATIENCE, engine.STOP)
    assert tuple(k * engine.KIND for k in kinds) == (cols.OPENS, cols.TIMEOUTS, cols.PATIENCES, cols.STOPS)
    assert (cols.MOVING, cols.QUEUED, cols.WORKING, cols.JOINWAIT, cols.STUCK_HERE, cols.DEADEND, cols.GONE,
            cols.IDLE) == (parts.MOVING, parts.QUEUED, parts.WORKING, parts.JOINWAIT, parts.STUCK_HERE,
                           parts.DEADEND, parts.GONE, parts.IDLE)
    assert (cols.OUTCOME, cols.CONTACT, cols.TIMEOUT_SET, cols.STUCK, cols.FAILS, cols.PAID) == (
        plan.OUTCOME, plan.CONTACT, plan.TIMEOUT_SET, plan.STUCK, plan.FAILS, plan.PAID)
    assert parts.STATUSES[cols.STILL_OPEN] == "open" and parts.STATUSES[cols.TIMED_OUT] == "timeout"


@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: p.name)
@pytest.mark.parametrize("options", [dict(cases=3000, seed=7, replications=2), dict(until="2w", seed=11)],
                         ids=["by cases", "by time"])
def test_both_engines_give_the_same_simulation(path, options):
    model = bp.load(path)
    python = bp.simulate(model, engine="python", events=True, **options)
    fast = bp.simulate(model, engine="compiled", events=True, **options)
    assert fast.to_json() == python.to_json()
    for a, b in zip(fast.runs, python.runs):
        same_replication(a, b)


def test_pools_that_start_tiny_grow_without_changing_anything(monkeypatch):
    """Case and branch slots, queue entries, rows for joins and lists of teams, the heap, the pool of
    random draws and the scratch room start at 2 and must grow; blocks of event rows and ended cases
    are handed over every 16 and 8."""
    for name in ("_SLOTS", "_QUEUE", "_HEAP", "_POOL", "_SCRATCH"):
        monkeypatch.setattr(compiled, name, 2)
    monkeypatch.setattr(compiled, "_ROWS", 16)
    monkeypatch.setattr(compiled, "_TALLY_BLOCK", 8)
    for name in ("damaged_fires.yaml", "chief_executive_after.yaml"):  # queues; branches waiting at joins
        crowded = prepare(bp.load(EXAMPLES / name))
        same_replication(run_compiled(crowded, 5, cases=400, record=True),
                         run_replication(crowded, 5, cases=400, record=True))


@pytest.mark.parametrize("options", [dict(cases=60_000), dict(until=30_000.0)])
def test_stopped_at_the_first_look_both_stop_at_the_same_event(options):
    model = prepare(bp.load(EXAMPLES / "jackson_network.yaml"))
    fast = run_compiled(model, 2, record=False, should_stop=lambda: True, **options)
    reference = run_replication(model, 2, record=False, should_stop=lambda: True, **options)
    assert fast.interrupted and reference.interrupted
    same_replication(fast, reference)


def test_progress_is_reported_as_the_engine_reports_it():
    model = prepare(bp.load(EXAMPLES / "jackson_network.yaml"))
    seen: dict[str, list] = {"compiled": [], "python": []}
    run_compiled(model, 1, cases=20_000, record=False, progress=lambda *a: seen["compiled"].append(a))
    run_replication(model, 1, cases=20_000, record=False, progress=lambda *a: seen["python"].append(a))
    assert seen["compiled"] == seen["python"] and len(seen["python"]) >= 3


def test_a_loop_that_takes_no_time_stops_with_the_engines_message():
    """The way out is there, but taken once in 10^12 rounds, all at one moment."""
    model = prepare(bp.loads("steps: {a: {lane: customer}, b: {lane: customer}, c: {outcome: success}}\n"
                             "flows: [[a, b], [b, a, 0.999999999999], [b, c, 0.000000000001]]\nstart: a\n"))
    messages = []
    for run in (run_compiled, run_replication):
        with pytest.raises(BlueprintError) as caught:
            run(model, 0, cases=3)
        messages.append(str(caught.value))
    assert messages[0] == messages[1] and "without time passing" in messages[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=blueprints())
def test_generated_blueprints_simulate_the_same_on_both_engines(model):
    """With parallel work, racing branches, loops, timeouts and patience among them."""
    prepared = prepare(model)
    assert covers(prepared) is None
    fast = run_compiled(prepared, 3, cases=200, record=True)
    reference = run_replication(prepared, 3, cases=200, record=True)
    same_replication(fast, reference)


@pytest.mark.parametrize("asked, cases, replications, expected", [
    ("python", 10**7, 1, "python"),
    ("compiled", 10, 1, "compiled"),
    ("auto", 1000, 1, "python"),  # too short to pay for loading the compiled engine
    ("auto", 200_000, 1, "compiled"),
    ("auto", 50_000, 4, "compiled"),
])
def test_the_engine_chosen_for_a_run(asked, cases, replications, expected, monkeypatch):
    monkeypatch.delenv("BLUEPRINT_ENGINE", raising=False)
    jackson = prepare(bp.load(EXAMPLES / "jackson_network.yaml"))
    assert choose(jackson, asked, cases, math.inf, replications) == expected


def many_contacts(n: int) -> bp.Blueprint:
    """A journey of `n` phone calls, one after another."""
    steps = "".join(f"  call{i}: {{lane: customer, channel: phone, duration: 1}}\n" for i in range(n))
    flows = ", ".join(f"[call{i}, call{i + 1}]" for i in range(n - 1))
    return bp.loads(f"steps:\n{steps}  done: {{outcome: success}}\nflows: [{flows}, [call{n - 1}, done]]\n"
                    "start: call0\n")


def test_more_contact_steps_than_the_compiled_loop_counts_run_on_the_python_engine():
    wide = prepare(many_contacts(63))
    assert "more than 62 contact steps" in covers(wide)
    assert choose(wide, "auto", 10**7, math.inf) == "python"
    with pytest.raises(BlueprintError, match="cannot run this blueprint: it has more than 62 contact steps"):
        choose(wide, "compiled", 10, math.inf)
    with pytest.raises(BlueprintError, match="'fast' is not an engine"):
        choose(wide, "fast", 10, math.inf)
    assert covers(prepare(many_contacts(62))) is None


def test_a_replication_by_time_counts_every_arrival_before_the_horizon():
    model = prepare(bp.loads("steps: {a: {lane: customer, duration: 2}, b: {outcome: success}}\n"
                             "flows: [[a, b]]\narrivals: {at: [1, 2, 5, 9]}"))
    fast = run_compiled(model, 0, until=6.0)
    assert fast.arrived == 3 and fast.horizon == 6.0
    assert np.array_equal(fast.tally.per_case()["outcome"], [0, 0, -1])


def test_whether_the_compiled_loop_is_in_numbas_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert not compiled.is_cached()
    index = tmp_path / "blueprint" / "simulation" / "loop.advance-512.py311.nbi"
    index.parent.mkdir(parents=True)
    index.write_bytes(b"")
    assert compiled.is_cached()


def test_a_note_is_said_as_a_note_on_the_command_line(capsys):
    from blueprint.cli import _show_warning

    _show_warning("compiling the simulation engine", compiled.CompilingNote, "x.py", 1)
    _show_warning("a gateway could not be mapped", UserWarning, "x.py", 1)
    assert capsys.readouterr().err.splitlines() == ["note: compiling the simulation engine",
                                                    "warning: a gateway could not be mapped"]


def test_processes_give_what_one_process_gives_on_the_compiled_engine():
    fires = bp.load(EXAMPLES / "damaged_fires.yaml")
    here = bp.simulate(fires, cases=300, seed=5, replications=3, events=True, engine="compiled")
    there = bp.simulate(fires, cases=300, seed=5, replications=3, jobs=2, events=True, engine="compiled")
    python = bp.simulate(fires, cases=300, seed=5, replications=3, events=True, engine="python")
    assert here.to_json() == there.to_json() == python.to_json()
    assert [r.events for r in here.runs] == [r.events for r in there.runs] == [r.events for r in python.runs]


@pytest.mark.parametrize("named, asked, expected", [("python", "auto", "python"), ("compiled", "auto", "compiled"),
                                                    ("compiled", "python", "python")])
def test_the_environment_names_the_engine_auto_takes(monkeypatch, named, asked, expected):
    monkeypatch.setenv("BLUEPRINT_ENGINE", named)
    assert choose(prepare(bp.load(EXAMPLES / "jackson_network.yaml")), asked, 10, math.inf) == expected


def test_an_engine_the_environment_names_wrongly_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("BLUEPRINT_ENGINE", "numba")
    with pytest.raises(BlueprintError, match="BLUEPRINT_ENGINE: 'numba' is not an engine"):
        choose(prepare(bp.load(EXAMPLES / "jackson_network.yaml")), "auto", 10, math.inf)
