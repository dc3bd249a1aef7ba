"""replay on generated blueprints: a blueprint's own simulated log fits it; a blueprint with a flow
removed or a step renamed does not, and the deviation names what changed."""
from __future__ import annotations

import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import blueprint as bp
from blueprint.strategies import blueprints

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])
#: Parallel work, timeouts, loops, finite staff, hours and patience: everything the simulation does.
MODELS = blueprints(max_steps=6, hours=True, weighted=None)
#: The same without branches that race to an outcome: a racing branch still at work while the
#: joined case goes round a loop is credited with the loop's next visit when the two are logged at
#: one moment (a known limit of the replay, found by this property; the closing note of issue 14).
FITTING = blueprints(max_steps=6, hours=True, weighted=None, races=False)
CASES = 250
#: Standard errors an observed chance may be from its p (the property runs thousands of flows).
Z = 5.0


def simulated_log(model, tmp_path, kind: str, seed: int = 1):
    result = bp.simulate(model, cases=CASES, seed=seed, events=True)
    path = tmp_path / f"log.{kind}"
    result.write_events(path)
    return path, result


@SETTINGS
@given(FITTING, st.sampled_from(["csv", "xes"]))
def test_a_blueprints_own_log_fits_it_with_its_chances_and_counts(tmp_path_factory, model, kind):
    path, result = simulated_log(model, tmp_path_factory.mktemp("log"), kind)
    fit = bp.replay(path, model)
    assert fit.fitness == 1.0, fit.deviations[:3]
    assert all(d["kind"] == "unused-flow" for d in fit.deviations)
    doc = fit.to_json()
    seen = fit.observed
    for flow in model.flows:
        if model.steps[flow.source].split == "all":
            continue
        a = fit.rules.index[flow.source]
        n, p = seen.ways_out(a), dict(model.branches(flow.source))[flow.target]
        observed = doc["flows"][f"{flow.source}->{flow.target}"]["observed"]
        if n:
            assert abs(observed - p) <= Z * math.sqrt(p * (1 - p) / n) + 1e-5, (flow, n, observed, p)
    # the same counts as the simulation, case by case (CSV keeps every visit; XES leaves out visits
    # that never started and never ended, and with them the counts made when the case reached them)
    if kind == "csv":
        simulated = result.runs[0]
        assert sorted(seen.contacts.tolist()) == sorted(simulated.contacts.tolist())
        assert sorted(seen.handoffs.tolist()) == sorted(simulated.handoffs.tolist())
        if not any(s.split for s in model.steps.values()):  # (case-wide memory: the order branches meet teams)
            assert sorted(seen.repeats.tolist()) == sorted(simulated.story_repeats.tolist())


def _without(model, flow):
    """The blueprint with `flow` removed and its siblings' chances rescaled."""
    data = model.to_data()
    kept = []
    for f in model.flows:
        if (f.source, f.target) == (flow.source, flow.target):
            continue
        kept.append({"from": f.source, "to": f.target, **({"p": f.p} if f.p is not None else {})})
    siblings = [f for f in kept if f["from"] == flow.source and "p" in f]
    total = sum(f["p"] for f in siblings)
    for f in siblings:
        f["p"] /= total
    if siblings:
        siblings[-1]["p"] = 1.0 - math.fsum(f["p"] for f in siblings[:-1])
    data["flows"] = kept
    return bp.Blueprint.model_validate(data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(MODELS, st.data())
def test_a_flow_removed_is_named_by_a_deviation(tmp_path_factory, model, data):
    path, _ = simulated_log(model, tmp_path_factory.mktemp("log"), "csv")
    fit = bp.replay(path, model)
    used = [f for f in model.flows if len(model.outgoing[f.source]) > 1 and model.steps[f.source].split is None
            and fit.observed.moves[fit.rules.index[f.source], fit.rules.index[f.target]]
            and not (model.steps[f.source].timeout and model.steps[f.source].timeout.to == f.target)]
    parallel = any(s.split == "all" for s in model.steps.values())
    if parallel:
        # with branches out at once, a move into a step that another step also flows into can be
        # credited to the branch there instead (the log says what happened, not which branch did it)
        into = {}
        for f in model.flows:
            into.setdefault(f.target, set()).add(f.source)
        used = [f for f in used if into[f.target] == {f.source}]
    assume(used)
    flow = data.draw(st.sampled_from(used))
    changed = bp.replay(path, _without(model, flow))
    assert changed.fitness < 1.0
    # the move is named by where it went; with parallel work out, by the branch that moved last
    # (a missing move takes the most recent token: see blueprint.logs.conformance), which need not
    # be the flow's source
    named = [d for d in changed.deviations if d["kind"] == "missing-flow"
             and (d["flows"] == [[flow.source, flow.target]] or parallel and d["flows"][0][1] == flow.target)]
    assert named and named[0]["cases"] >= 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(MODELS, st.data())
def test_a_step_renamed_leaves_its_activity_unmatched(tmp_path_factory, model, data):
    path, result = simulated_log(model, tmp_path_factory.mktemp("log"), "csv")
    visited = sorted({e.step for e in result.events} - {s for s, step in model.steps.items() if step.is_outcome})
    step = data.draw(st.sampled_from(visited))
    renamed = _renamed(model, step, f"{step}_renamed")
    fit = bp.replay(path, renamed)
    unknown = [d for d in fit.deviations if d["kind"] == "unknown-activity"]
    assert [d["activity"] for d in unknown] == [step]
    assert unknown[0]["cases"] == len({e.case for e in result.events if e.step == step})
    assert fit.to_json()["activities"]["unmatched"] == {step: sum(e.step == step for e in result.events)}


def _renamed(model, old: str, new: str):
    data = model.to_data()
    data["steps"] = {(new if k == old else k): v for k, v in data["steps"].items()}
    for v in data["steps"].values():
        if "timeout" in v and v["timeout"]["to"] == old:
            v["timeout"]["to"] = new
    data["flows"] = [[new if x == old else x for x in f[:2]] + list(f[2:]) if isinstance(f, list) else
                     {**f, "from": new if f["from"] == old else f["from"], "to": new if f["to"] == old else f["to"]}
                     for f in data["flows"]]
    if isinstance(data.get("start"), str) and data["start"] == old:
        data["start"] = new
    elif isinstance(data.get("start"), dict):
        data["start"] = {(new if k == old else k): v for k, v in data["start"].items()}
    return bp.Blueprint.model_validate(data)

