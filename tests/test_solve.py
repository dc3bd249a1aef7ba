"""The chain's solves: direct and iterative agree to the stated tolerance, and the limits are messages."""
import math
import random

import numpy as np
import pytest
import scipy.sparse as sp

import blueprint as bp
from blueprint.chain import solve as solving
from blueprint.chain.rounds import loop_rounds, rounds_of_loops
from blueprint.graph import Facts
from blueprint.rule_ids import RULE_IDS
from blueprint.rules import RULES
from blueprint.tolerance import TOLERANCE


def random_flows(steps: int, seed: int, teams: int = 3) -> dict:
    """A blueprint of `steps` steps, each with 2 to 5 flows to random steps, about one in six with a
    flow out to an outcome: one large loop, as bench_scale.py makes them larger."""
    rng = random.Random(seed)
    data = {"teams": {f"t{t}": {"staff": 20} for t in range(teams)}, "steps": {}, "flows": [], "start": "s0",
            "arrivals": {"rate": 0.1}}
    for i in range(steps):
        lane = rng.choice(["customer", "frontstage", "backstage"])
        step = {"lane": lane, "duration": round(rng.uniform(0.5, 5), 2)}
        if lane == "customer":
            step["channel"] = "phone"
        else:
            step["owner"] = f"t{rng.randrange(teams)}"
        data["steps"][f"s{i}"] = step
    data["steps"]["done"] = {"outcome": "success"}
    data["steps"]["lost"] = {"outcome": "failure"}
    for i in range(steps):
        names = list(dict.fromkeys(f"s{t}" for t in rng.sample(range(steps), rng.randint(2, min(5, steps)))))
        if rng.random() < 0.17 or i == steps - 1:
            names.append(rng.choice(["done", "lost"]))
        weights = [rng.uniform(1, 9) for _ in names]
        data["flows"] += [{"from": f"s{i}", "to": t, "p": w / sum(weights)} for t, w in zip(names, weights)]
    return data


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


@pytest.mark.parametrize("steps, seed", [(5, 1), (30, 2), (120, 3), (400, 4), (400, 5)])
def test_iterative_stats_agree_with_the_direct_solve(steps, seed, monkeypatch):
    model = bp.Blueprint.model_validate(random_flows(steps, seed))
    direct = bp.stats(model).to_json()
    monkeypatch.setattr(solving, "DIRECT_MOST", 0)  # every loop solved iteratively
    iterative = bp.stats(bp.Blueprint.model_validate(random_flows(steps, seed))).to_json()
    assert direct["outcomes"].keys() == iterative["outcomes"].keys()
    for key in ("expected_contacts", "expected_handoffs", "expected_duration", "never_finishes"):
        assert _close(direct[key], iterative[key]), key
    for table in ("outcomes", "expected_visits"):
        for sid, value in direct[table].items():
            assert _close(value, iterative[table][sid]), (table, sid)


@pytest.mark.parametrize("n, seed", [(10, 1), (300, 2), (3000, 3)])
def test_the_solver_meets_the_tolerance_both_ways(n, seed, monkeypatch):
    """A random substochastic matrix: the residual of each way's answer, and the two answers' distance."""
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), 4)
    cols = rng.integers(0, n, 4 * n)
    vals = rng.uniform(0, 1, 4 * n)
    P = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    P = sp.diags(0.9 / np.asarray(P.sum(axis=1)).ravel()) @ P  # each row leaks 10%
    b = rng.uniform(0, 1, n)
    direct = sp.linalg.spsolve((sp.identity(n) - P.T).tocsc(), b)
    monkeypatch.setattr(solving, "DIRECT_MOST", 0)
    iterative = solving.visits_solver(P)(b)
    assert np.max(np.abs(iterative - direct)) <= TOLERANCE * np.max(np.abs(direct))


@pytest.mark.parametrize("direct_most", [0, 2_000])
def test_a_loop_that_keeps_every_case_has_no_solution(direct_most, monkeypatch):
    monkeypatch.setattr(solving, "DIRECT_MOST", direct_most)
    keeps = sp.csr_matrix(([1.0, 1.0], ([0, 1], [1, 0])), shape=(2, 2))
    with pytest.raises(solving.NoSolution):
        solving.visits_solver(keeps)(np.array([1.0, 0.0]))


def test_a_chain_beyond_the_limit_is_a_message(monkeypatch):
    monkeypatch.setattr(solving, "MOST_STATES", 10)
    model = bp.Blueprint.model_validate(random_flows(30, 1))
    with pytest.raises(bp.BlueprintError, match="more than the 10 it can solve; simulate"):
        bp.stats(model)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_all_loops_solved_at_once_give_each_loops_rounds(seed):
    """A journey of many small rework loops: the one block-diagonal solve gives what one solve per loop gives."""
    rng = random.Random(seed)
    steps = {f"c{i}": {"lane": "customer", "channel": "phone"} for i in range(12)}
    steps["ok"] = {"outcome": "success"}
    flows = []
    for i in range(0, 12, 3):  # loops of 3 customer steps, the last step of each loop going on
        a, b, c = f"c{i}", f"c{i + 1}", f"c{i + 2}"
        back = rng.uniform(0.1, 0.8)
        nxt = f"c{i + 3}" if i + 3 < 12 else "ok"
        flows += [[a, b], [b, c], [c, a, back], [c, nxt, 1 - back]]
    model = bp.Blueprint.model_validate({"steps": steps, "flows": flows, "start": "c0"})
    loops = [(loop, loop) for loop in Facts(model).loops]
    together = rounds_of_loops(model, loops)
    assert together == [pytest.approx(loop_rounds(model, loop, cands)) for loop, cands in loops]
    for (loop, _), rounds in zip(loops, together):  # each step of a loop left with chance q: 1/q rounds
        q = 1 - next(f[2] for f in flows if f[0] == loop[2] and f[1] == loop[0])
        assert rounds[loop[0]] == pytest.approx(1 / q)


def test_the_formats_rule_ids_are_the_registrys():
    assert tuple(RULES) == RULE_IDS


@pytest.mark.parametrize("leave", [0.5, 1e-3, 1e-6])
def test_a_loop_cases_rarely_leave_is_solved_the_same_both_ways(leave, monkeypatch):
    """Round a, b, c and back: the case leaves at c with chance `leave`, so each step is visited 1/leave times."""
    text = ("steps: {a: {lane: customer}, b: {lane: customer}, c: {lane: customer}, ok: {outcome: success}}\n"
            f"flows: [[a, b], [b, c], [c, a, {1 - leave}], [c, ok, {leave}]]\nstart: a")
    direct = bp.stats(bp.loads(text)).expected_visits
    monkeypatch.setattr(solving, "DIRECT_MOST", 0)
    iterative = bp.stats(bp.loads(text)).expected_visits
    for sid in "abc":
        assert direct[sid] == pytest.approx(1 / leave, rel=1e-6)
        assert iterative[sid] == pytest.approx(direct[sid], rel=TOLERANCE)


@pytest.mark.parametrize("direct_most", [0, 2_000])
def test_a_loop_that_keeps_every_case_has_endless_rounds_beside_one_that_ends(direct_most, monkeypatch):
    monkeypatch.setattr(solving, "DIRECT_MOST", direct_most)
    model = bp.loads("steps: {c: {lane: customer, channel: phone}, a: {lane: customer, channel: phone}, "
                     "b: {lane: customer}, ok: {outcome: success}}\n"
                     "flows: [[c, c, 0.5], [c, a, 0.25], [c, ok, 0.25], [a, b], [b, a]]\nstart: c")
    assert rounds_of_loops(model, [(["c"], ["c"]), (["a", "b"], ["a"])]) == [{"c": 2.0}, {"a": math.inf}]
