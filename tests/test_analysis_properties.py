"""Properties of `check` and `stats` on generated blueprints (blueprint.strategies.blueprints)."""
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blueprint as bp
from blueprint.strategies import blueprints

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(blueprints(max_steps=12))
def test_outcomes_and_never_finishing_add_up_to_one(model):
    s = bp.stats(model)
    if None in s.outcomes.values():  # branches race to different outcomes: no figure, and why
        assert set(s.outcomes.values()) == {None} and "racing-outcomes" in s.why_null["outcomes"]
        return
    assert math.fsum(s.outcomes.values()) + s.never_finishes == pytest.approx(1.0, abs=1e-9)
    assert all(0 <= p <= 1 for p in s.outcomes.values())


@PROPERTY
@given(blueprints(max_steps=12))
def test_a_service_where_every_step_can_finish_never_loses_a_case(model):
    """The strategy draws blueprints in which every step reaches an outcome and joins are fed by
    their splits: no case is lost, and no rule about lost cases fires."""
    assert bp.stats(model).never_finishes == pytest.approx(0.0, abs=1e-9)
    assert not {"dead-end", "livelock", "deadlock"} & {f.rule for f in bp.check(model)}


@PROPERTY
@given(blueprints(max_steps=12, loops=False, races=False, splits=False))
def test_without_loops_no_step_is_visited_more_than_once(model):
    s = bp.stats(model)
    assert all(v is not None and v <= 1 + 1e-9 for v in s.expected_visits.values())
    assert s.why_null == {}
    assert bp.check(model).by_rule("repeat-loop") == [] and bp.check(model).by_rule("livelock") == []


def _without_ways_out(model, step):
    data = model.to_data()
    data["flows"] = [f for f in data["flows"] if (f[0] if isinstance(f, list) else f["from"]) != step]
    data["steps"][step].pop("timeout", None)
    data["steps"][step].pop("split", None)
    return data


@PROPERTY
@given(blueprints(max_steps=10), st.data())
def test_a_flow_out_of_a_dead_end_removes_the_dead_end(model, data):
    step = data.draw(st.sampled_from([s for s, x in model.steps.items() if not x.is_outcome]))
    stuck = _without_ways_out(model, step)
    found = bp.check(bp.Blueprint.model_validate(stuck)).by_rule("dead-end")
    assert step in {s for f in found for s in f.steps}
    outcome = data.draw(st.sampled_from([s for s, x in model.steps.items() if x.is_outcome]))
    stuck["flows"].append([step, outcome])
    fixed = bp.check(bp.Blueprint.model_validate(stuck)).by_rule("dead-end")
    assert step not in {s for f in fixed for s in f.steps}


def _renamed(model, new):
    data = model.to_data()
    steps = {new(s): dict(x) for s, x in data["steps"].items()}
    for x in steps.values():
        if "owner" in x:
            x["owner"] = "team_" + x["owner"]
        if "timeout" in x:
            x["timeout"] = {**x["timeout"], "to": new(x["timeout"]["to"])}
    flows = []
    for f in data["flows"]:
        if isinstance(f, list):
            flows.append([new(f[0]), new(f[1])] + f[2:])
        else:
            flows.append({**f, "from": new(f["from"]), "to": new(f["to"])})
    start = data["start"]
    data.update(steps=steps, flows=flows, teams={"team_" + t: x for t, x in data.get("teams", {}).items()},
                start=new(start) if isinstance(start, str) else {new(k): v for k, v in start.items()})
    return bp.Blueprint.model_validate(data)


@PROPERTY
@given(blueprints(max_steps=10))
def test_renaming_every_id_changes_no_number(model):
    def new(sid):
        return "x_" + sid[::-1]

    renamed = _renamed(model, new)
    before, after = bp.stats(model), bp.stats(renamed)
    assert after.outcomes == pytest.approx({new(k): v for k, v in before.outcomes.items()})
    assert after.never_finishes == pytest.approx(before.never_finishes)
    assert after.expected_visits == pytest.approx({new(k): v for k, v in before.expected_visits.items()})
    for key in ("expected_contacts", "expected_handoffs", "expected_duration"):
        assert getattr(after, key) == pytest.approx(getattr(before, key))
    found_before = sorted((f.rule, sorted(map(new, f.steps))) for f in bp.check(model))
    found_after = sorted((f.rule, sorted(f.steps)) for f in bp.check(renamed))
    assert found_after == found_before
