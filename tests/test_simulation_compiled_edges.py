"""The compiled engine on odd, small blueprints nobody drew on purpose: the same as the Python engine.

Each blueprint here pins one corner of SPEC section 2 where the two loops could part: team hours
over weekends and nights, staff 0 and unlimited, steps the team cannot do, timeouts that lead into
joins, patience with parallel work, races to outcomes, joins without an owner after a handoff,
splits inside loops, degenerate durations, arrivals at given times, runs shorter than the first
arrival, one case. And the command line's answers when the compiled engine cannot run a file.
"""
import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import cli
from blueprint.errors import BlueprintError
from blueprint.simulation import prepare, run_replication
from blueprint.simulation.compiled import run_compiled

from .test_simulation_compiled import many_contacts, same_replication

HOURS = """
time_unit: hour
teams:
  day: {staff: 2, hours: "Mon-Fri 09:00-17:00"}
  night: {staff: 1, hours: "Mon-Sun 00:00-06:00 22:00-24:00"}
  weekend: {staff: 1, hours: "Sat-Sun 10:00-14:00"}
  always: {staff: 1}
steps:
  c: {lane: customer, channel: phone}
  a: {lane: frontstage, owner: day, duration: {exponential: 0.5}}
  b: {lane: backstage, owner: night, duration: {triangular: [0.1, 0.5, 3]}, timeout: {after: 30h, to: esc}}
  e: {lane: backstage, owner: weekend, duration: 1}
  esc: {lane: frontstage, owner: always, duration: 0.2}
  done: {outcome: success}
flows: [[c, a], [a, b], [b, e, 0.3], [b, done, 0.7], [e, done], [esc, done]]
start: c
arrivals: {every: {exponential: 1h}}
"""
NOBODY = """
teams: {t: {staff: 0}, u: {}}
steps:
  c: {lane: customer, channel: phone}
  w: {lane: frontstage, owner: t, duration: 5, timeout: {after: 10, to: give}}
  v: {lane: frontstage, owner: t, duration: 5}
  x: {lane: frontstage, owner: u, duration: {lognormal: {mean: 5, sd: 9}}}
  give: {outcome: failure}
  done: {outcome: success}
flows: [[c, w, 0.3], [c, v, 0.3], [c, x, 0.4], [w, done], [v, done], [x, done]]
start: c
arrivals: {every: {uniform: [1, 3]}}
"""
INCAPABLE = """
teams: {t: {staff: 2, can: [a]}}
steps:
  c: {lane: customer, channel: phone}
  w: {lane: frontstage, owner: t, needs: [b], duration: 3}
  w2: {lane: frontstage, owner: t, needs: [b], duration: 3, timeout: {after: {triangular: [1, 2, 9]}, to: c2}}
  w3: {lane: frontstage, owner: t, needs: [a], duration: {empirical: [1, 4]}}
  c2: {lane: customer, channel: email}
  done: {outcome: success}
  lost: {outcome: failure}
flows: [[c, w, 0.2], [c, w2, 0.4], [c, w3, 0.4], [w, done], [w2, done], [w3, done], [c2, lost]]
start: c
arrivals: {every: {empirical: [1, 1, 2, 7]}}
"""
TIMEOUT_INTO_JOIN = """
teams:
  a: {staff: 1, systems: [x], cost: 30/hour}
  b: {staff: 2, systems: [y], cost: 12/hour}
  c: {}
steps:
  call: {lane: customer, channel: phone, cost: 0.5}
  fork: {lane: frontstage, owner: a, split: all, duration: 1}
  left: {lane: backstage, owner: b, duration: {exponential: 4}, timeout: {after: 5, to: both}}
  right: {lane: backstage, owner: c, duration: {uniform: [1, 9]}}
  both: {lane: frontstage, owner: b, join: all, duration: 2, cost: 3}
  done: {outcome: success}
flows: [[call, fork], [fork, left], [fork, right], [left, both], [right, both], [both, done]]
start: call
arrivals: {every: {exponential: 3}}
retelling: 1.5
currency: GBP
"""
RACE = """
teams: {a: {staff: 1}, b: {staff: 1, hours: "Mon-Fri 09:00-17:00"}}
steps:
  call: {lane: customer, channel: phone}
  fork: {lane: frontstage, owner: a, split: all}
  x: {lane: backstage, owner: a, duration: {exponential: 2}}
  y: {lane: backstage, owner: b, duration: {exponential: 2}}
  z: {lane: customer, channel: email, duration: {empirical: [0, 1, 5]}}
  win: {outcome: success}
  lose: {outcome: failure}
flows: [[call, fork], [fork, x], [fork, y], [fork, z], [x, win], [y, lose], [z, win, 0.5], [z, call, 0.5]]
start: call
arrivals: {every: {exponential: 1}}
"""
JOIN_WITHOUT_OWNER = """
teams: {a: {staff: 1, systems: [x]}, b: {staff: 1, systems: [y]}, nobody: {staff: 0}}
steps:
  call: {lane: customer, channel: phone}
  fork: {lane: frontstage, owner: a, split: all, duration: 0.5}
  p: {lane: backstage, owner: a, duration: 1}
  q: {lane: backstage, owner: b, duration: 2}
  s: {lane: backstage, owner: nobody, duration: 1, timeout: {after: 5, to: back}}
  back: {lane: customer, channel: phone, join: all}
  talk: {lane: frontstage, owner: b, duration: 1}
  done: {outcome: success}
flows: [[call, fork], [fork, p], [fork, q], [fork, s], [p, back], [q, back], [s, back], [back, talk], [talk, done]]
start: call
arrivals: {every: 2}
retelling: 3
"""
SPLIT_IN_LOOP = """
teams: {a: {staff: 2}, b: {staff: 1, hours: "Sat-Sun 10:00-14:00"}}
steps:
  call: {lane: customer, channel: phone}
  fork: {lane: frontstage, owner: a, split: all, duration: 0.1}
  p: {lane: backstage, owner: a, duration: {exponential: 1}}
  q: {lane: backstage, owner: b, duration: {exponential: 1}}
  j: {lane: frontstage, owner: a, join: all, duration: 0.2, timeout: {after: 30, to: call}}
  done: {outcome: success}
flows: [[call, fork], [fork, p], [fork, q], [p, j], [q, j], [j, call, 0.6], [j, done, 0.4]]
start: call
arrivals: {every: {exponential: 2}}
"""
DEGENERATE = """
teams: {t: {staff: 2}}
steps:
  c: {lane: customer, duration: {triangular: [1, 1, 1]}}
  w: {lane: frontstage, owner: t, duration: {uniform: [2, 2]}}
  x: {lane: frontstage, owner: t, duration: {lognormal: {mean: 1, sd: 0}}}
  y: {lane: frontstage, owner: t, duration: {normal: {mean: 1, sd: 3}}}
  z: {lane: frontstage, owner: t, duration: {empirical: [3]}, timeout: {after: 0, to: d}}
  s: {lane: frontstage, owner: t, duration: {exponential: 5}, timeout: {after: 2, to: s}}
  d: {outcome: success}
flows: [[c, w], [w, x], [x, y], [y, z], [z, s], [s, d]]
start: c
arrivals: {every: {lognormal: {mean: 2, sd: 3}}}
"""
AT_TIMES = """
teams: {t: {staff: 1}}
steps:
  c: {lane: customer, channel: phone}
  w: {lane: frontstage, owner: t, duration: {exponential: 5}}
  done: {outcome: success}
flows: [[c, w], [w, done]]
start: c
arrivals: {at: [50, 50, 50, 51, 52.5, 300]}
"""
ODD = {"hours over nights and weekends": HOURS, "staff 0 and unlimited": NOBODY,
       "steps the team cannot do": INCAPABLE, "a timeout into a join, with costs": TIMEOUT_INTO_JOIN,
       "branches racing to outcomes": RACE, "a join without an owner after a handoff": JOIN_WITHOUT_OWNER,
       "a split inside a loop": SPLIT_IN_LOOP, "degenerate durations and timeouts": DEGENERATE,
       "arrivals at given times": AT_TIMES}
RUNS = {"by cases": dict(cases=150), "one case": dict(cases=1), "by time": dict(until=2000.0),
        "shorter than the first arrival": dict(until=1e-6), "cases and time": dict(cases=40, until=60.0)}


@pytest.mark.parametrize("patience", [None, "{exponential: 20}", "{fixed: 0}"],
                         ids=["no patience", "patience", "patience 0"])
@pytest.mark.parametrize("run", RUNS.values(), ids=RUNS.keys())
@pytest.mark.parametrize("text", ODD.values(), ids=ODD.keys())
def test_odd_blueprints_simulate_the_same_on_both_engines(text, run, patience):
    plan = prepare(bp.loads(text + (f"patience: {patience}\n" if patience else "")))
    for seed in (0, 1):
        same_replication(run_compiled(plan, seed, **run), run_replication(plan, seed, **run))


def test_a_split_wider_than_the_pools_simulates_the_same():
    """Seventy branches at once per case, each with a team of its own, hours and a timeout into the join."""
    n = 70
    teams = "".join(f"  t{i}: {{staff: {i % 3}, systems: [s{i % 5}], hours: 'Mon-Fri 0{i % 9}:00-17:00'}}\n"
                    for i in range(n))
    steps = "".join(f"  w{i}: {{lane: backstage, owner: t{i}, duration: {{exponential: {1 + i % 4}}}, "
                    f"timeout: {{after: {3 + i % 7}, to: j}}}}\n" for i in range(n))
    flows = ", ".join(f"[f, w{i}], [w{i}, j]" for i in range(n))
    plan = prepare(bp.loads(
        f"teams:\n{teams}  a: {{staff: 3, systems: [s1]}}\nsteps:\n  c: {{lane: customer, channel: phone}}\n"
        f"  f: {{lane: frontstage, owner: a, split: all, duration: 0.1}}\n{steps}"
        "  j: {lane: frontstage, owner: a, join: all, duration: 0.3}\n  d: {outcome: success}\n"
        f"  e: {{outcome: failure}}\nflows: [[c, f], {flows}, [j, d, 0.7], [j, c, 0.2], [j, e, 0.1]]\n"
        "start: c\narrivals: {every: {exponential: 0.5}}\npatience: {exponential: 40}\n"))
    same_replication(run_compiled(plan, 3, cases=120), run_replication(plan, 3, cases=120))


@pytest.mark.parametrize("env, args", [(None, ["--engine", "compiled"]), ("compiled", [])],
                         ids=["asked on the command line", "named by BLUEPRINT_ENGINE"])
def test_a_blueprint_the_compiled_engine_cannot_run_is_one_message_and_exit_2(tmp_path, monkeypatch, env, args):
    wide = tmp_path / "wide.yaml"
    wide.write_text(bp.writing.dumps(many_contacts(63)))
    if env:
        monkeypatch.setenv("BLUEPRINT_ENGINE", env)
    else:
        monkeypatch.delenv("BLUEPRINT_ENGINE", raising=False)
    result = CliRunner().invoke(cli, ["simulate", str(wide), "--cases", "5", *args])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "more than 62 contact steps" in result.stderr
    assert ("BLUEPRINT_ENGINE" in result.stderr) == bool(env)  # the fix named where it was asked


def test_the_environment_asking_for_the_compiled_engine_says_so_when_it_cannot(monkeypatch):
    monkeypatch.setenv("BLUEPRINT_ENGINE", "compiled")
    with pytest.raises(BlueprintError, match="BLUEPRINT_ENGINE=compiled: the compiled engine cannot run this "
                                             "blueprint: it has more than 62 contact steps; unset BLUEPRINT_ENGINE"):
        bp.simulate(many_contacts(63), cases=5)
