"""The simulation's semantics, one key of the format at a time, on small models worked out by hand."""
import json

import numpy as np
import pytest

import blueprint as bp
from blueprint.errors import BlueprintError
from blueprint.simulation import prepare, run_replication

from .conftest import EXAMPLES, FIXTURES


def model(text: str) -> bp.Blueprint:
    return bp.loads(text)


def rows(result, case=None, step=None):
    return [e for e in result.events if (case is None or e.case == case) and (step is None or e.step == step)]


DESK = """
time_unit: hour
teams: {desk: {name: Help desk, staff: 1, hours: "Mon-Fri 09:00-17:00"}}
steps:
  ask: {lane: customer, channel: phone}
  answer: {lane: frontstage, owner: desk, duration: 0.5}
  done: {outcome: success}
flows: [[ask, answer], [answer, done]]
"""


@pytest.mark.parametrize("arrive,start", [
    (0, 9.0),                      # Monday 00:00: the desk opens at 09:00
    (10, 10.0),                    # Monday 10:00: open, free
    (16.9, 16.9),                  # Monday 16:54: started before closing, finished after it
    (17, 24 + 9.0),                # Monday 17:00: closed until Tuesday 09:00
    (4 * 24 + 17, 7 * 24 + 9.0),   # Friday 17:00: closed until next Monday 09:00
    (5 * 24 + 12, 7 * 24 + 9.0),   # Saturday noon
    (7 * 24 + 8, 7 * 24 + 9.0),    # the next Monday 08:00
])
def test_hours_stop_a_team_starting_work_outside_them(arrive, start):
    result = bp.simulate(model(DESK + f"arrivals: {{at: [{arrive}]}}\n"), cases=1)
    (answer,) = rows(result, step="answer")
    assert (answer.enqueue, answer.start, answer.end) == pytest.approx((arrive, start, start + 0.5))


def test_hours_hold_a_queue_that_starts_first_come_first_served_at_opening():
    result = bp.simulate(model(DESK + "arrivals: {at: [1, 2, 3]}\n"), cases=3)
    starts = [(e.case, e.start) for e in rows(result, step="answer")]
    assert starts == [(1, 9.0), (2, 9.5), (3, 10.0)]
    assert result.to_json()["teams"]["desk"]["max_queue"] == 3


def test_utilization_of_a_team_with_hours_counts_its_time_on_duty():
    text = DESK + "arrivals: {every: 1h}\n"  # 8 working hours a day, 16 half-hour cases a day
    team = bp.simulate(model(text), until="1w").to_json()["teams"]["desk"]
    assert team["utilization"] == pytest.approx(1.0)            # 40 of its 40 hours on duty
    assert team["mean_busy"] == pytest.approx(40 / 168)         # of the whole week


@pytest.mark.parametrize("arrivals,cases,until,times", [
    ("{every: 5}", 3, None, [5, 10, 15]),
    ("{every: {fixed: 2h}}", 2, None, [120, 240]),
    ("{at: [0, 30, 90]}", None, None, [0, 30, 90]),
    ("{at: [90, 0, 30]}", 2, None, [0, 30]),
    ("{every: 1}", None, 4, [1, 2, 3]),      # arrivals before the horizon only
    ("{at: [0, 30, 90]}", None, "1h", [0, 30]),
])
def test_arrivals_come_when_the_file_says(arrivals, cases, until, times):
    text = f"steps: {{a: {{lane: customer}}, b: {{outcome: success}}}}\nflows: [[a, b]]\narrivals: {arrivals}\n"
    result = bp.simulate(model(text), cases=cases, until=until)
    assert [e.enqueue for e in rows(result, step="a")] == times
    assert result.to_json()["cases"]["arrived"] == len(times)


@pytest.mark.parametrize("arrivals,mean_gap", [
    (None, 1.0),                 # no arrivals in the file: one per time_unit, at random
    ("{rate: 12/h}", 5.0),
    ("{rate: 3/2h}", 40.0),
    ("{every: {exponential: 7}}", 7.0),
])
def test_random_arrivals_have_the_mean_gap_the_file_says(arrivals, mean_gap):
    text = "steps: {a: {lane: customer}, b: {outcome: success}}\nflows: [[a, b]]\n"
    text += f"arrivals: {arrivals}\n" if arrivals else ""
    times = np.array([e.enqueue for e in rows(bp.simulate(model(text), cases=20_000, seed=3), step="a")])
    gaps = np.diff(np.concatenate([[0.0], times]))
    assert gaps.mean() == pytest.approx(mean_gap, rel=0.03)
    assert gaps.std() == pytest.approx(mean_gap, rel=0.05)  # exponential: sd = mean


def test_start_weights_pick_the_entry_step():
    text = """
steps: {a: {lane: customer}, b: {lane: customer}, done: {outcome: success}}
flows: [[a, done], [b, done]]
start: {a: 0.25, b: 0.75}
"""
    result = bp.simulate(model(text), cases=20_000, seed=1)
    share = len(rows(result, step="a")) / 20_000
    assert share == pytest.approx(0.25, abs=0.01)


def test_branches_are_taken_with_their_chances():
    text = """
steps: {a: {lane: customer}, yes: {outcome: success}, no: {outcome: failure}}
flows: [[a, yes, 0.3], [a, no, 0.7]]
"""
    by = bp.simulate(model(text), cases=20_000, seed=2).to_json()["cases"]["by_outcome"]
    assert by["yes"] / 20_000 == pytest.approx(0.3, abs=0.01)
    assert by["yes"] + by["no"] == 20_000


def test_staff_limit_queues_cases_first_come_first_served():
    text = """
teams: {desk: {staff: 2}}
steps: {work: {lane: backstage, owner: desk, duration: 10}, done: {outcome: success}}
flows: [[work, done]]
arrivals: {at: [0, 0, 0, 1, 2]}
"""
    result = bp.simulate(model(text), cases=5)
    assert [(e.case, e.start, e.end) for e in rows(result, step="work")] == [
        (1, 0, 10), (2, 0, 10), (3, 10, 20), (4, 10, 20), (5, 20, 30)]
    team = result.to_json()["teams"]["desk"]
    assert team["max_queue"] == 3
    assert team["mean_wait"] == pytest.approx((0 + 0 + 10 + 9 + 18) / 5)
    assert team["utilization"] == 1.0  # cases arrive from 0 to 2, and both work all that time
    assert team["mean_busy"] == 2.0


@pytest.mark.parametrize("cases,until,utilization", [(None, 100, 0.1), (1, 100, 0.1), (1, None, 1.0)])
def test_utilization_is_over_the_horizon_or_until_the_last_case_ends(cases, until, utilization):
    text = """
teams: {desk: {staff: 1}}
steps: {work: {lane: backstage, owner: desk, duration: 10}, done: {outcome: success}}
flows: [[work, done]]
arrivals: {at: [0]}
"""
    doc = bp.simulate(model(text), cases=cases, until=until).to_json()
    assert doc["teams"]["desk"]["utilization"] == pytest.approx(utilization)


@pytest.mark.parametrize("staff,external,limit", [
    ("", "", None), ("", "external: true", None), ("staff: 1", "external: true", 1),
])
def test_teams_without_staff_are_unlimited_and_external_ones_too_unless_staffed(staff, external, limit):
    text = f"""
teams: {{maker: {{{", ".join(x for x in (staff, external) if x)}}}}}
steps: {{work: {{lane: backstage, owner: maker, duration: 10}}, done: {{outcome: success}}}}
flows: [[work, done]]
arrivals: {{at: [0, 0, 0]}}
"""
    result = bp.simulate(model(text), cases=3)
    ends = [e.end for e in rows(result, step="work")]
    assert ends == ([10, 10, 10] if limit is None else [10, 20, 30])
    assert (result.to_json()["teams"]["maker"]["utilization"] is None) == (limit is None)


def test_no_staff_at_all_keeps_cases_waiting_in_progress():
    text = """
teams: {desk: {staff: 0}}
steps: {work: {lane: backstage, owner: desk, duration: 1}, done: {outcome: success}}
flows: [[work, done]]
"""
    doc = bp.simulate(model(text), cases=50).to_json()
    assert doc["cases"] == {"arrived": 50, "finished": 0, "in_progress": 50, "by_outcome": {"done": 0}}
    assert doc["teams"]["desk"]["max_queue"] == 50


TIMER = """
teams: {desk: {staff: 1}}
steps:
  wait: {lane: backstage, owner: desk, duration: 4, timeout: {after: 6, to: chase}}
  chase: {lane: customer, channel: email}
  done: {outcome: success}
  chased: {outcome: failure}
flows: [[wait, done], [chase, chased]]
start: wait
arrivals: {at: [0, 0, 0]}
"""


def test_timeout_counts_queueing_and_frees_the_staff_member_it_interrupts():
    result = bp.simulate(model(TIMER), cases=3)
    assert [(e.case, e.start, e.end, e.outcome) for e in rows(result, step="wait")] == [
        (1, 0, 4, "done"),         # finished in time
        (2, 4, 6, "timeout"),      # interrupted after 2 of its 4 hours of work
        (3, 6, 6, "timeout")]      # started when case 2 left, and its own time was up then too
    doc = result.to_json()
    assert doc["cases"]["by_outcome"] == {"done": 1, "chased": 2}
    assert doc["contacts"]["mean"] == pytest.approx(2 / 3)


def test_a_step_that_ends_exactly_at_its_timeout_has_finished():
    result = bp.simulate(model(TIMER.replace("after: 6", "after: 4")), cases=1)
    assert result.to_json()["cases"]["by_outcome"] == {"done": 1, "chased": 0}


def test_at_one_moment_timeouts_go_oldest_case_first_each_handing_the_staff_member_on():
    result = bp.simulate(model(TIMER.replace("duration: 4", "duration: 7")), cases=3)
    assert [(e.case, e.start, e.end, e.outcome) for e in rows(result, step="wait")] == [
        (1, 0, 6, "timeout"), (2, 6, 6, "timeout"), (3, 6, 6, "timeout")]


def test_timeout_leaves_a_queue_before_work_starts():
    text = DESK.replace("duration: 0.5}", "duration: 0.5, timeout: {after: 2h, to: chase}}").replace(
        "done: {outcome: success}", "done: {outcome: success}\n  chase: {lane: customer, channel: email}")
    result = bp.simulate(model(text + "start: ask\narrivals: {at: [1]}\n"), cases=1)
    assert [(e.step, e.start, e.end, e.outcome) for e in result.events] == [
        ("ask", 1, 1, "done"), ("answer", None, 3, "timeout"), ("chase", 3, 3, "done")]
    assert result.to_json()["cases"]["in_progress"] == 1  # chase is a dead end


PATIENT = """
teams: {desk: {staff: 1}}
steps:
  ask: {lane: customer, channel: phone}
  answer: {lane: frontstage, owner: desk, duration: 10}
  done: {outcome: success}
flows: [[ask, answer], [answer, done]]
arrivals: {at: [0, 0, 0]}
patience: 15
"""


def test_patience_abandons_cases_not_finished_in_time_wherever_they_are():
    result = bp.simulate(model(PATIENT), cases=3)
    doc = result.to_json()
    assert doc["cases"]["by_outcome"] == {"done": 1, "abandoned": 2}
    assert [(e.case, e.start, e.end, e.outcome) for e in rows(result, step="answer")] == [
        (1, 0, 10, "done"), (2, 10, 15, "abandoned"),
        (3, 15, 15, "abandoned")]  # at 15 the older case gives up first, handing the desk to the next
    assert doc["time_in_system"]["max"] == 15
    assert doc["teams"]["desk"]["utilization"] == pytest.approx(1.0)


PARALLEL = """
teams: {ops: {staff: 2}, it: {}}
steps:
  fork: {lane: backstage, owner: ops, split: all}
  stock: {lane: backstage, owner: ops, duration: 2}
  account: {lane: support, owner: it, duration: 5}
  both: {lane: backstage, owner: ops, join: all, duration: 1}
  done: {outcome: success}
flows: [[fork, stock], [fork, account], [stock, both], [account, both], [both, done]]
arrivals: {at: [0]}
"""


def test_split_runs_branches_in_parallel_and_join_waits_for_all_of_them():
    result = bp.simulate(model(PARALLEL), cases=1)
    assert [(e.step, e.start, e.end) for e in result.events] == [
        ("fork", 0, 0), ("stock", 0, 2), ("account", 0, 5), ("both", 5, 6), ("done", 6, 6)]
    doc = result.to_json()
    assert doc["time_in_system"]["mean"] == 6
    assert doc["handoffs"]["mean"] == 2  # ops -> it on one branch, it -> ops when it comes back


def test_an_outcome_on_one_branch_ends_the_case_and_cancels_the_others():
    text = PARALLEL.replace("[stock, both]", "[stock, done]").replace("join: all, ", "")
    result = bp.simulate(model(text), cases=1)
    assert [(e.step, e.end, e.outcome) for e in result.events] == [
        ("fork", 0, "done"), ("stock", 2, "done"), ("account", 2, "cancelled"), ("done", 2, "success")]
    assert result.to_json()["cases"]["by_outcome"] == {"done": 1}


@pytest.mark.parametrize("text,open_step", [
    ("steps: {a: {lane: customer, duration: 1}, b: {lane: customer}}\nflows: [[a, b]]", None),
    ("steps: {a: {lane: customer, duration: 1}, b: {lane: customer, duration: 1}, c: {outcome: success}}\n"
     "flows: [[a, b], [b, a]]\nstart: a", "a"),
])
def test_a_dead_end_or_a_loop_with_no_way_out_keeps_the_case_in_progress(text, open_step):
    result = bp.simulate(model(text), cases=20)
    assert result.to_json()["cases"]["in_progress"] == 20
    assert {e.outcome for e in result.events if e.step == open_step} <= {"open", "done"}


def test_a_case_stuck_in_a_loop_still_runs_out_of_patience():
    text = ("steps: {a: {lane: customer, duration: 1}, b: {lane: customer, duration: 1}, c: {outcome: success}}\n"
            "flows: [[a, b], [b, a]]\nstart: a\npatience: 100\n")
    doc = bp.simulate(model(text), cases=20).to_json()
    assert doc["cases"]["by_outcome"] == {"c": 0, "abandoned": 20}
    assert doc["time_in_system"]["mean"] == 100


def test_a_loop_that_takes_no_time_is_bad_input_not_a_hang():
    """The way out is there, but taken once in 10^12 rounds, all at one moment."""
    text = ("steps: {a: {lane: customer}, b: {lane: customer}, c: {outcome: success}}\n"
            "flows: [[a, b], [b, a, 0.999999999999], [b, c, 0.000000000001]]\nstart: a\n")
    with pytest.raises(BlueprintError, match="without time passing"):
        bp.simulate(model(text), cases=1)


def test_a_loop_left_only_by_a_timeout_that_never_fires_keeps_the_case_in_progress():
    """b takes no time, so its timeout never fires: a and b go round for ever (a livelock, which
    check reports); the simulation stops the case at the loop's door instead of hanging."""
    text = ("steps: {a: {lane: customer}, b: {lane: customer, timeout: {after: 1, to: c}}, c: {outcome: success}}\n"
            "flows: [[a, b], [b, a]]\nstart: a\n")
    assert bp.simulate(model(text), cases=3).to_json()["cases"]["in_progress"] == 3
    assert bp.check(model(text)).by_rule("livelock")


COUNTS = """
teams:
  shop:   {systems: [till]}
  depot:  {systems: [orders]}
  social: {systems: [inbox]}
  care:   {systems: [till, crm]}
steps:
  order:  {lane: customer, channel: store}
  sell:   {lane: frontstage, owner: shop}
  pick:   {lane: backstage, owner: depot}
  unpack: {lane: customer}
  post:   {lane: customer, channel: social}
  reply:  {lane: frontstage, owner: social}
  phone:  {lane: customer, channel: phone}
  help:   {lane: frontstage, owner: care}
  note:   {lane: backstage, owner: care}
  done:   {outcome: success}
flows: [[order, sell], [sell, pick], [pick, unpack], [unpack, post], [post, reply], [reply, phone],
        [phone, help], [help, note], [note, done]]
"""


def test_contacts_handoffs_and_story_repeats_by_hand():
    doc = bp.simulate(model(COUNTS), cases=5).to_json()
    # contacts: order, post, phone (unpack has no channel)
    # handoffs: shop -> depot, depot -> social (through customer steps), social -> care; care -> care is none
    # story repeats: reply (social shares nothing with shop, depot); help (care shares till with shop): none
    assert (doc["contacts"]["mean"], doc["handoffs"]["mean"], doc["story_repeats"]["mean"]) == (3, 3, 1)


def test_the_same_seed_gives_the_same_json_bit_for_bit_and_another_seed_does_not():
    fires = bp.load(EXAMPLES / "damaged_fires.yaml")
    one = json.dumps(bp.simulate(fires, cases=300, seed=3, replications=2).to_json())
    assert one == json.dumps(bp.simulate(fires, cases=300, seed=3, replications=2).to_json())
    assert one != json.dumps(bp.simulate(fires, cases=300, seed=4, replications=2).to_json())


def test_jobs_give_the_same_result_as_one_process():
    fires = bp.load(EXAMPLES / "damaged_fires.yaml")
    here = bp.simulate(fires, cases=300, seed=5, replications=3, events=True)
    there = bp.simulate(fires, cases=300, seed=5, replications=3, jobs=2, events=True)
    assert there.to_json() == here.to_json()
    assert there.events == here.events


def test_rows_not_kept_are_made_again_the_same_when_read():
    fires = bp.load(EXAMPLES / "damaged_fires.yaml")
    kept = bp.simulate(fires, until="30d", seed=6, replications=2, events=True)
    later = bp.simulate(fires, until="30d", seed=6, replications=2)
    assert later.runs[0].events is None and later.events == kept.events
    assert {e.case for e in kept.events} == set(range(1, kept.to_json()["cases"]["arrived"] + 1))


def test_changing_one_teams_staff_leaves_arrivals_and_other_steps_draws_alone():
    text = """
teams: {first: {staff: 1}, second: {staff: 1}}
steps:
  ask: {lane: customer}
  sort: {lane: frontstage, owner: first, duration: {exponential: 0.5}}
  fix: {lane: backstage, owner: second, duration: {exponential: 0.9}}
  done: {outcome: success}
flows: [[ask, sort], [sort, fix], [fix, done]]
"""
    base = model(text)
    more = base.with_changes({"teams.second.staff": 3})
    a, b = (bp.simulate(m, cases=500, seed=9) for m in (base, more))
    assert [e.enqueue for e in rows(a, step="ask")] == [e.enqueue for e in rows(b, step="ask")]
    assert [(e.start, e.end) for e in rows(a, step="sort")] == [(e.start, e.end) for e in rows(b, step="sort")]
    work = lambda r: sorted(round(e.end - e.start, 12) for e in rows(r, step="fix"))
    assert work(a) == work(b)  # the same work times, handed out to the cases in another order
    assert a["time_in_system.mean"] > b["time_in_system.mean"]


def test_replications_pool_cases_and_give_student_t_intervals():
    jackson = bp.load(EXAMPLES / "jackson_network.yaml")
    result = bp.simulate(jackson, cases=500, seed=1, replications=4)
    doc = result.to_json()
    assert doc["cases"]["arrived"] == 2000 and len(result.per_replication) == 4
    means = [p["time_in_system.mean"] for p in result.per_replication]
    half = 3.182446305284263 * np.std(means, ddof=1) / 2  # t(0.975, 3) / sqrt(4)
    assert doc["ci95"]["time_in_system.mean"] == pytest.approx([np.mean(means) - half, np.mean(means) + half])
    counts = [p["cases.by_outcome.done"] for p in result.per_replication]
    assert sum(counts) == doc["cases"]["by_outcome"]["done"] == 2000
    assert doc["ci95"]["cases.by_outcome.done"] == [2000, 2000]
    pooled = np.concatenate([r.time_in_system for r in result.runs])
    assert doc["time_in_system"]["p90"] == pytest.approx(np.percentile(pooled, 90))


def test_kpis_are_read_by_their_dotted_keys():
    result = bp.simulate(bp.load(FIXTURES / "valid" / "every_feature.yaml"), cases=50, seed=1)
    assert result["cases.arrived"] == 50 and result["teams.it.utilization"] is None
    assert result["time_in_system.p90"] == result.to_json()["time_in_system"]["p90"]
    with pytest.raises(BlueprintError, match="did you mean 'time_in_system.p95'"):
        result["time_in_system.p99"]
    with pytest.raises(BlueprintError, match="name one: teams.desk.utilization"):
        result["teams.desk"]


def test_the_json_has_the_keys_of_the_spec():
    doc = bp.simulate(bp.load(FIXTURES / "valid" / "every_feature.yaml"), cases=200, seed=7).to_json()
    assert set(doc) >= {"time_unit", "seed", "replications", "cases", "time_in_system", "contacts", "handoffs",
                        "story_repeats", "teams", "ci95"}
    assert set(doc["cases"]) >= {"arrived", "finished", "in_progress", "by_outcome"}
    assert set(doc["time_in_system"]) >= {"mean", "p50", "p90", "p95", "max"}
    assert all(set(doc[k]) >= {"mean", "max"} for k in ("contacts", "handoffs", "story_repeats"))
    assert all(set(t) >= {"utilization", "mean_wait", "max_queue"} for t in doc["teams"].values())
    assert set(doc["cases"]["by_outcome"]) == {"fixed", "refunded", "abandoned"}
    assert doc["cases"]["arrived"] == doc["cases"]["finished"] + doc["cases"]["in_progress"] == 200


@pytest.mark.parametrize("options,words", [
    ({"cases": 0}, "cases must be a whole number, 1 or more"),
    ({"replications": 0}, "replications"),
    ({"jobs": 0}, "jobs"),
    ({"seed": -1}, "seed"),
    ({"until": "soon"}, "until: 'soon' is not a time"),
    ({"until": 0}, "is not a time to simulate for"),
])
def test_bad_options_are_bad_input(options, words):
    with pytest.raises(BlueprintError, match=words):
        bp.simulate(bp.load(FIXTURES / "valid" / "minimal.yaml"), **options)


def test_arrivals_every_zero_need_a_number_of_cases():
    text = "steps: {a: {lane: customer}, b: {outcome: success}}\nflows: [[a, b]]\narrivals: {every: 0}\n"
    with pytest.raises(BlueprintError, match="every 0"):
        bp.simulate(model(text), until=10)
    assert bp.simulate(model(text), cases=4).to_json()["cases"]["arrived"] == 4


def test_without_cases_or_until_ten_thousand_cases_are_simulated():
    plan = prepare(bp.load(FIXTURES / "valid" / "minimal.yaml"))
    assert run_replication(plan, cases=10, record=False).arrived == 10
    result = bp.simulate(bp.load(FIXTURES / "valid" / "minimal.yaml"), events=False)
    assert result.to_json()["cases"]["arrived"] == 10_000


def test_progress_is_reported_with_cases_done_and_a_rate():
    seen = []
    bp.simulate(bp.load(EXAMPLES / "jackson_network.yaml"), cases=40_000, seed=1, events=False,
                progress=lambda done, total, rate: seen.append((done, total, rate)))
    assert seen[-1][:2] == (40_000, 40_000) and all(rate > 0 for *_, rate in seen)
    assert len(seen) > 1 and [d for d, *_ in seen] == sorted(d for d, *_ in seen)


def test_utilization_is_over_the_time_cases_arrive_not_the_drain_after():
    """Cases arrive at 10, 20, ..., 50 and each takes 20: the desk works 10-110, but cases arrive
    only until 50, and in 0-50 it worked 40 of 50 (the queue left at 50 drains later)."""
    text = """
teams: {desk: {staff: 1}}
steps: {work: {lane: backstage, owner: desk, duration: 20}, done: {outcome: success}}
flows: [[work, done]]
arrivals: {every: 10}
"""
    team = bp.simulate(model(text), cases=5).to_json()["teams"]["desk"]
    assert team["utilization"] == pytest.approx(0.8) and team["mean_busy"] == pytest.approx(0.8)
    assert team["overtime"] == 0


def test_work_after_closing_is_overtime_not_utilization():
    """The desk opens 09:00-17:00; a 2-hour job begun at 16:00 runs an hour past closing: over the
    day (cases arrive until 24:00) it worked 1 hour of its 8 on duty, and 1 hour of overtime."""
    text = """
time_unit: hour
teams: {desk: {staff: 1, hours: "Mon-Fri 09:00-17:00"}}
steps: {work: {lane: backstage, owner: desk, duration: 2}, done: {outcome: success}}
flows: [[work, done]]
arrivals: {at: [16]}
"""
    team = bp.simulate(model(text), cases=1, until=24).to_json()["teams"]["desk"]
    assert team["utilization"] == pytest.approx(1 / 8) and team["overtime"] == pytest.approx(1 / 8)


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_utilization_is_never_above_one_on_any_example_with_until(name):
    doc = bp.simulate(bp.load(EXAMPLES / name), until="3w", seed=2).to_json()
    for team, figures in doc["teams"].items():
        assert figures["utilization"] is None or 0 <= figures["utilization"] <= 1, team
