"""The simulation against queueing theory, against Ciw, and against the exact chain.

* An open Jackson network of M/M/c teams: mean time in system and utilisations from Erlang C.
* M/M/1 where the customer's patience (exponential) runs over the whole case, queueing and
  service alike, as the format's ``patience`` does: a birth-death process with death rate
  ``mu + n * theta`` in state ``n``, solved exactly; Little's law gives the time in system.
* A single M/M/c against Ciw on the same number of cases and replications.
* With unlimited staff, no hours and no patience nothing queues, so outcome frequencies, contacts,
  handoffs and the time in system must agree with :func:`blueprint.stats` on generated blueprints.
* Each Jackson station's exact load and utilization, and the simulated utilization of the busiest.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from scipy import stats as st

import blueprint as bp
from blueprint.strategies import blueprints

from .conftest import EXAMPLES


def erlang_c(c: int, a: float) -> float:
    """The chance an arrival waits at an M/M/c queue with offered load a = lambda / mu."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def jackson_expectations(model):
    """Visits per case, utilisations and the mean time in system of an open Jackson network."""
    stations = [s for s in model.steps if not model.steps[s].is_outcome]
    index = {s: i for i, s in enumerate(stations)}
    routing = np.zeros((len(stations), len(stations)))
    for f in model.flows:
        if f.target in index:
            routing[index[f.source], index[f.target]] = f.p
    arrivals = np.zeros(len(stations))
    arrivals[index[next(iter(model.entry))]] = 1.0
    visits = np.linalg.solve(np.eye(len(stations)) - routing.T, arrivals)  # per case
    rate = bp.durations.rate_in(model.arrivals.rate, model.time_unit)
    utilization, time = {}, 0.0
    for s, i in index.items():
        team, mean = model.steps[s].owner, model.mean_duration(s)
        c, a = model.teams[team].staff, rate * visits[i] * mean
        utilization[team] = a / c
        time += visits[i] * (erlang_c(c, a) * mean / (c - a) + mean)
    return utilization, time


def test_the_exact_load_of_each_jackson_station_is_lambda_times_mean_over_staff():
    """``stats`` gives each team's load and utilization from the traffic equations: lambda_i x mean_i
    (the staff it keeps busy) and that over c_i, Erlang's offered load per server, to 1e-9."""
    jackson = bp.load(EXAMPLES / "jackson_network.yaml")
    utilization, _ = jackson_expectations(jackson)
    teams = bp.stats(jackson).teams
    for team, rho in utilization.items():
        staff = jackson.teams[team].staff
        assert teams[team]["utilization"] == pytest.approx(rho, abs=1e-9)
        assert teams[team]["load"] == pytest.approx(rho * staff, abs=1e-9)


def test_the_busiest_jackson_station_is_simulated_within_one_percent_of_its_utilization():
    jackson = bp.load(EXAMPLES / "jackson_network.yaml")
    utilization, _ = jackson_expectations(jackson)
    busiest = max(utilization, key=utilization.get)
    doc = bp.simulate(jackson, cases=100_000, seed=3, events=False).to_json()
    assert doc["teams"][busiest]["utilization"] == pytest.approx(utilization[busiest], rel=0.01)


def test_jackson_network_matches_erlang_c_within_3_percent():
    jackson = bp.load(EXAMPLES / "jackson_network.yaml")
    utilization, time_in_system = jackson_expectations(jackson)
    assert time_in_system == pytest.approx(12.5087, abs=1e-4)  # worked out in the example's header
    doc = bp.simulate(jackson, cases=200_000, seed=11, events=False).to_json()
    assert doc["time_in_system"]["mean"] == pytest.approx(time_in_system, rel=0.03)
    for team, rho in utilization.items():
        assert doc["teams"][team]["utilization"] == pytest.approx(rho, rel=0.03), team
    assert doc["cases"]["finished"] == 200_000


def mm1_whole_case_patience(lam: float, mu: float, theta: float, most: int = 400):
    """(chance of abandoning, mean time in system) of M/M/1 whose customers leave at rate theta
    whether they wait or are served."""
    weights = [1.0]
    for n in range(1, most):
        weights.append(weights[-1] * lam / (mu + n * theta))
    p = np.array(weights) / sum(weights)
    mean_in_system = float(np.arange(most) @ p)
    return theta * mean_in_system / lam, mean_in_system / lam


def single_queue(staff: int, service_mean: float, rate: float, patience: float | None = None) -> bp.Blueprint:
    data = {"teams": {"desk": {"staff": staff}},
            "steps": {"serve": {"lane": "frontstage", "owner": "desk", "duration": {"exponential": service_mean}},
                      "done": {"outcome": "success"}},
            "flows": [["serve", "done"]], "arrivals": {"rate": rate}}
    if patience is not None:
        data["patience"] = {"exponential": patience}
    return bp.Blueprint.model_validate(data)


@pytest.mark.parametrize("lam,mu,theta", [(1.0, 1.25, 0.2), (1.0, 0.8, 0.5)])  # light and overloaded
def test_mm1_with_patience_matches_the_birth_death_formulas(lam, mu, theta):
    abandon, time_in_system = mm1_whole_case_patience(lam, mu, theta)
    n = 60_000
    doc = bp.simulate(single_queue(1, 1 / mu, lam, 1 / theta), cases=n, seed=5, events=False).to_json()
    share = doc["cases"]["by_outcome"]["abandoned"] / n
    assert share == pytest.approx(abandon, abs=4 * math.sqrt(abandon * (1 - abandon) / n) + 0.005)
    assert doc["time_in_system"]["mean"] == pytest.approx(time_in_system, rel=0.04)


def test_a_single_mmc_queue_matches_ciw():
    ciw = pytest.importorskip("ciw")
    lam, mu, c, n, reps = 1.0, 1.0, 2, 5_000, 4
    network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=lam)],
                                 service_distributions=[ciw.dists.Exponential(rate=mu)], number_of_servers=[c])
    theirs = []
    for seed in range(reps):
        ciw.seed(seed)
        sim = ciw.Simulation(network)
        sim.simulate_until_max_customers(n, method="Finish")
        theirs.append(np.mean([r.exit_date - r.arrival_date for r in sim.get_all_records()]))
    model = single_queue(c, 1 / mu, lam)
    ours = [p["time_in_system.mean"] for p in bp.simulate(model, cases=n, replications=reps, seed=1,
                                                          events=False).per_replication]
    a, b = np.array(ours), np.array(theirs)
    spread = math.sqrt(a.var(ddof=1) / reps + b.var(ddof=1) / reps)
    assert abs(a.mean() - b.mean()) <= st.t.ppf(0.995, 2 * reps - 2) * spread
    exact = erlang_c(c, lam / mu) / (c * mu - lam) + 1 / mu
    assert a.mean() == pytest.approx(exact, rel=0.05) and b.mean() == pytest.approx(exact, rel=0.05)


Z = st.norm.ppf(1 - 0.01 / 2 / 8)  # 99% for the family of up to eight figures checked per blueprint


def within(sample: np.ndarray, expected: float) -> bool:
    """Whether `expected` lies in the 99% interval of the mean of `sample`."""
    spread = sample.std(ddof=1) / math.sqrt(len(sample))
    return abs(sample.mean() - expected) <= Z * spread + 1e-9 * (1 + abs(expected))  # + rounding


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(blueprints(min_steps=4, max_steps=8, staffed=False, hours=False, patience=False, splits=False, races=False))
def test_with_unlimited_staff_the_simulation_agrees_with_the_exact_chain(model):
    """Without parallel work the time in the system is the working time too (parallel work and races:
    tests/test_one_semantics.py)."""
    exact = bp.stats(model)
    n = 3000
    result = bp.simulate(model, cases=n, seed=2, events=False)
    run = result.runs[0]
    for i, outcome in enumerate(result.plan.outcomes):
        p = exact.outcomes[outcome]
        share = float(np.mean(run.outcome == i))
        assert abs(share - p) <= Z * math.sqrt(p * (1 - p) / n) + 1e-12, outcome
    assert within(run.contacts.astype(float), exact.expected_contacts)
    assert within(run.handoffs.astype(float), exact.expected_handoffs)
    assert within(run.time_in_system, exact.expected_duration)


def test_each_branch_into_a_join_from_another_team_is_a_handoff():
    model = bp.loads("""
teams: {x: {}, y: {}}
steps:
  a: {lane: backstage, owner: x, split: all}
  b: {lane: backstage, owner: y, duration: 1}
  c: {lane: customer}
  j: {lane: backstage, owner: x, join: all}
  done: {outcome: success}
flows: [[a, b], [a, c], [b, j], [c, j], [j, done]]
""")
    # a -> b hands over (x to y), b -> j hands back (y to x); the customer's branch stays with x
    assert bp.stats(model).expected_handoffs == 2.0
    run = bp.simulate(model, cases=50, seed=1, events=False).runs[0]
    assert set(run.handoffs.tolist()) == {2}
