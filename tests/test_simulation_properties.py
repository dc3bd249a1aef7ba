"""Properties of every simulation, on generated blueprints with staff, hours, timeouts, splits,
joins and patience: no case is lost, time runs forward, no team works over its staff, nobody starts
outside their hours, queues are first come first served, and a seed fixes the result."""
import json
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blueprint as bp
from blueprint.simulation.duty import is_open as _is_open
from blueprint.simulation.duty import next_opening as _next_opening
from blueprint.strategies import blueprints

EVERYTHING = blueprints(max_steps=8, hours=True, staffed=None, patience=None, timeouts=True, splits=True)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def simulated(model, cases=150, until=None, seed=1):
    return bp.simulate(model, cases=cases, until=until, seed=seed)


@SETTINGS
@given(EVERYTHING, st.integers(1, 300), st.integers(0, 2 ** 32 - 1))
def test_every_case_that_arrives_is_finished_or_in_progress(model, cases, seed):
    doc = simulated(model, cases=cases, seed=seed).to_json()["cases"]
    assert doc["arrived"] == cases  # generated arrivals never run out
    assert doc["arrived"] == doc["finished"] + doc["in_progress"]
    assert sum(doc["by_outcome"].values()) == doc["finished"]


@SETTINGS
@given(EVERYTHING, st.sampled_from([50, 500, "12h"]))
def test_conservation_holds_at_a_horizon_too(model, until):
    result = simulated(model, cases=None, until=until)
    doc = result.to_json()["cases"]
    assert doc["arrived"] == doc["finished"] + doc["in_progress"]
    horizon = bp.durations.to_unit(until, model.time_unit)
    assert all(e.enqueue < horizon and (e.end is None or e.end <= horizon) for e in result.events)


@SETTINGS
@given(EVERYTHING)
def test_time_runs_forward_in_every_step_visit(model):
    result = simulated(model)
    for e in result.events:
        assert e.start is None or e.start >= e.enqueue
        assert e.end is None or e.end >= (e.start if e.start is not None else e.enqueue)
        assert e.outcome in ("done", "timeout", "abandoned", "cancelled", "open", "success", "failure")
    assert all(t >= 0 for r in result.runs for t in r.time_in_system)


def work_by_team(result):
    """Started visits per team: (start, end or None, enqueue)."""
    spans = defaultdict(list)
    for e in result.events:
        if e.team is not None and e.start is not None and e.outcome not in ("success", "failure"):
            spans[e.team].append((e.start, e.end, e.enqueue))
    return spans


@SETTINGS
@given(EVERYTHING)
def test_no_team_works_on_more_cases_at_once_than_its_staff(model):
    result = simulated(model)
    for team, spans in work_by_team(result).items():
        staff = model.teams[team].staff
        if staff is None:
            continue
        changes = sorted([(s, 1) for s, _, _ in spans] + [(e, -1) for _, e, _ in spans if e is not None])
        busy = most = 0
        for _, step in sorted(changes, key=lambda c: (c[0], c[1])):  # ends before starts at one time
            busy += step
            most = max(most, busy)
        assert most <= staff, team


@SETTINGS
@given(EVERYTHING)
def test_nobody_starts_work_outside_their_hours(model):
    result = simulated(model)
    for team, spans in work_by_team(result).items():
        hours = result.plan.hours[result.plan.teams.index(team)]
        if hours is None:
            continue
        for start, _, _ in spans:
            opening = _next_opening(hours, start - 1e-9)
            assert _is_open(hours, start) or abs(opening - start) < 1e-6, (team, start)


@SETTINGS
@given(EVERYTHING)
def test_staffed_teams_start_cases_first_come_first_served(model):
    result = simulated(model)
    for team, spans in work_by_team(result).items():
        if model.teams[team].staff is None and model.teams[team].hours is None:
            continue
        queued = [enqueue for _, _, enqueue in sorted(spans, key=lambda s: (s[0], s[2]))]
        assert queued == sorted(queued), team


@SETTINGS
@given(EVERYTHING)
def test_each_finished_case_has_its_outcome_row_and_no_other(model):
    result = simulated(model)
    doc = result.to_json()
    ends = defaultdict(list)
    for e in result.events:
        if e.outcome in ("success", "failure"):
            ends[e.case].append(e.step)
    assert all(len(steps) == 1 for steps in ends.values())
    for outcome, count in doc["cases"]["by_outcome"].items():
        if outcome != "abandoned":
            assert sum(steps == [outcome] for steps in ends.values()) == count


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EVERYTHING, st.integers(0, 1000))
def test_a_seed_fixes_the_result_bit_for_bit(model, seed):
    one = bp.simulate(model, cases=100, seed=seed, replications=2)
    two = bp.simulate(model, cases=100, seed=seed, replications=2)
    assert json.dumps(one.to_json()) == json.dumps(two.to_json())
    assert one.events == two.events
