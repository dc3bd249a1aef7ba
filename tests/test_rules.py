"""Every rule of SPEC §5 fires on a minimal blueprint of its own and is silent on the fixed version."""
import pytest

import blueprint as bp
from blueprint.rules import RULES

from .conftest import EXAMPLES, FIXTURES

LOST_CONTEXT = """
teams: {store: {name: Store, systems: [till]}, delivery: {name: Home delivery, systems: [orders]}}
steps:
  deliver: {name: Delivers, lane: backstage, owner: delivery}
  unpack: {name: Unpacks, lane: customer, channel: home}
  call: {name: Phones the store, lane: customer, channel: phone}
  answer: {name: Takes the complaint, lane: frontstage, owner: store}
  done: {outcome: success}
flows: [[deliver, unpack], [unpack, call], [call, answer], [answer, done]]
start: deliver
"""

LIVELOCK = """
teams: {store: {}}
steps:
  phone: {name: Phones about the refund, lane: customer, channel: phone}
  told: {name: Says the refund is on its way, lane: frontstage, owner: store}
  wait: {name: Waits, lane: customer}
  done: {outcome: success}
flows: [[phone, told], [told, wait], [wait, phone]]
start: phone
"""

# (rule, failing blueprint, fixed blueprint, steps the finding names)
CASES = [
    ("dead-end", """
steps:
  email: {name: Emails the manager, lane: customer, channel: email}
  inbox: {name: Email auto-sorted, lane: customer}
  refunded: {outcome: success}
flows: [[email, inbox]]
start: email
""", """
steps:
  email: {name: Emails the manager, lane: customer, channel: email}
  inbox: {name: Email auto-sorted, lane: customer}
  refunded: {outcome: success}
flows: [[email, inbox], [inbox, refunded]]
start: email
""", ("inbox",)),
    ("no-resolution", """
teams: {store: {}}
steps:
  call: {name: Phones the store, lane: customer, channel: phone}
  refer: {name: Tells the customer to call the manufacturer, lane: frontstage, owner: store}
  gave_up: {outcome: failure}
  fixed: {outcome: success}
flows: [[call, fixed, 0.5], [call, refer, 0.5], [refer, gave_up]]
start: call
""", """
teams: {store: {}}
steps:
  call: {name: Phones the store, lane: customer, channel: phone}
  refer: {name: Sends a replacement, lane: frontstage, owner: store}
  gave_up: {outcome: failure}
  fixed: {outcome: success}
flows: [[call, fixed, 0.5], [call, refer, 0.5], [refer, fixed, 0.9], [refer, gave_up, 0.1]]
start: call
""", ("refer",)),
    ("livelock", LIVELOCK, LIVELOCK.replace("[wait, phone]]", "[wait, phone, 0.3], [wait, done, 0.7]]"),
     ("phone", "told", "wait")),
    ("deadlock", """
teams: {store: {}, finance: {}}
steps:
  ask: {lane: customer, channel: phone}
  manager: {lane: backstage, owner: store}
  finance: {lane: backstage, owner: finance}
  refund: {lane: backstage, owner: finance, join: all}
  done: {outcome: success}
flows: [[ask, manager, 0.5], [ask, finance, 0.5], [manager, refund], [finance, refund], [refund, done]]
start: ask
""", """
teams: {store: {}, finance: {}}
steps:
  ask: {lane: customer, channel: phone}
  log: {lane: frontstage, owner: store, split: all}
  manager: {lane: backstage, owner: store}
  finance: {lane: backstage, owner: finance}
  refund: {lane: backstage, owner: finance, join: all}
  done: {outcome: success}
flows: [[ask, log], [log, manager], [log, finance], [manager, refund], [finance, refund], [refund, done]]
start: ask
""", ("refund", "manager", "finance")),
    ("repeat-loop", """
teams: {store: {}}
steps:
  call: {name: Phones about the refund, lane: customer, channel: phone}
  promise: {name: Promises the refund, lane: frontstage, owner: store}
  wait: {name: Waits for the refund, lane: customer}
  paid: {outcome: success}
flows: [[call, promise], [promise, wait], [wait, paid, 0.4], [wait, call, 0.6]]
start: call
""", """
teams: {store: {}}
steps:
  call: {name: Phones about the refund, lane: customer, channel: phone}
  promise: {name: Promises the refund, lane: frontstage, owner: store}
  check: {name: Checks the refund went out, lane: backstage, owner: store}
  wait: {name: Waits for the refund, lane: customer}
  paid: {outcome: success}
flows: [[call, promise], [promise, check], [check, check, 0.5], [check, wait, 0.5], [wait, paid]]
start: call
""", ("call", "promise", "wait")),
    ("displaced-ownership", """
teams: {store: {name: Store}, maker: {name: Manufacturer, external: true}}
steps:
  refer: {name: Tells the customer to call the manufacturer, lane: frontstage, owner: store}
  call_maker: {name: Phones the manufacturer, lane: customer, channel: phone}
  maker_says: {name: Says the store must sort it out, lane: backstage, owner: maker}
  gave_up: {outcome: failure}
  fitted: {outcome: success}
flows: [[refer, call_maker], [call_maker, maker_says], [maker_says, gave_up, 0.5], [maker_says, fitted, 0.5]]
start: refer
""", """
teams: {store: {name: Store}, maker: {name: Manufacturer, external: true}}
steps:
  refer: {name: Claims a replacement from the manufacturer, lane: backstage, owner: store}
  maker_says: {name: Sends a replacement to the store, lane: backstage, owner: maker}
  fit: {name: Fits the replacement, lane: frontstage, owner: store}
  fitted: {outcome: success}
flows: [[refer, maker_says], [maker_says, fit], [fit, fitted]]
start: refer
""", ("refer", "call_maker", "maker_says")),
    ("lost-context", LOST_CONTEXT,
     LOST_CONTEXT.replace("[till]", "[till, cases]").replace("[orders]", "[orders, cases]"),
     ("deliver", "unpack", "call", "answer")),
    ("fail-point-without-recovery", """
teams: {finance: {}}
steps:
  refund: {name: Processes the refund, lane: backstage, owner: finance, fail_point: Refund not sent}
  done: {outcome: success}
flows: [[refund, done]]
start: refund
""", """
teams: {finance: {}}
steps:
  refund: {name: Processes the refund, lane: backstage, owner: finance, fail_point: Refund not sent}
  chase: {name: Checks failed refunds daily, lane: backstage, owner: finance}
  done: {outcome: success}
flows: [[refund, done, 0.9], [refund, chase, 0.1], [chase, done]]
start: refund
""", ("refund",)),
    ("no-owner", """
steps: {refund: {lane: backstage}, done: {outcome: success}}
flows: [[refund, done]]
""", """
teams: {finance: {}}
steps: {refund: {lane: backstage, owner: finance}, done: {outcome: success}}
flows: [[refund, done]]
""", ("refund",)),
    ("incapable-handoff", """
teams: {social: {can: [inbound_message]}}
steps: {call_back: {lane: frontstage, owner: social, needs: [outbound_call]}, done: {outcome: success}}
flows: [[call_back, done]]
""", """
teams: {social: {can: [inbound_message, outbound_call]}}
steps: {call_back: {lane: frontstage, owner: social, needs: [outbound_call]}, done: {outcome: success}}
flows: [[call_back, done]]
""", ("call_back",)),
    ("unstaffed", """
teams: {complaints: {staff: 0}}
steps: {review: {lane: backstage, owner: complaints}, done: {outcome: success}}
flows: [[review, done]]
""", """
teams: {complaints: {staff: 2}}
steps: {review: {lane: backstage, owner: complaints}, done: {outcome: success}}
flows: [[review, done]]
""", ("review",)),
    ("unreachable", """
steps: {call: {lane: customer}, escalate: {lane: customer}, done: {outcome: success}}
flows: [[call, done], [escalate, done]]
start: call
""", """
steps: {call: {lane: customer}, escalate: {lane: customer}, done: {outcome: success}}
flows: [[call, done, 0.8], [call, escalate, 0.2], [escalate, done]]
start: call
""", ("escalate",)),
    ("unweighted-branch", """
steps: {unpack: {lane: customer}, fitted: {outcome: success}, complain: {outcome: failure}}
flows: [[unpack, fitted], [unpack, complain]]
""", """
steps: {unpack: {lane: customer}, fitted: {outcome: success}, complain: {outcome: failure}}
flows: [[unpack, fitted, 0.3], [unpack, complain, 0.7]]
""", ("unpack",)),
]


def examples_in(rule: str) -> tuple[str, str]:
    """The failing and passing blueprints of a rule's docstring (the indented blocks after
    "Failing example...::" and "Passing example...::")."""
    blocks, lines = [], RULES[rule].__doc__.splitlines()
    for i, line in enumerate(lines):
        if line.strip().endswith("::") and line.strip().startswith(("Failing example", "Passing example")):
            body = []
            for more in lines[i + 1:]:
                if more.strip() and not more.startswith("    "):
                    break
                body.append(more[4:])
            blocks.append("\n".join(body).strip() + "\n")
    return blocks[0], blocks[1]


#: Rules whose docstring examples are complete blueprints: the case is the docstring's own.
CASES += [
    ("missing-join", *examples_in("missing-join"), ("accept", "confirms")),
    ("racing-outcomes", *examples_in("racing-outcomes"), ("complaint", "refunded", "fitted")),
    ("overloaded", *examples_in("overloaded"), ("answer",)),
]
FAILING = {rule: failing for rule, failing, _, _ in CASES}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_examples_in_a_rules_docstring_load_and_fire_or_not(rule):
    """Every rule's docstring (what the rules reference shows users): its failing example is a complete
    blueprint that loads and fires the rule, its passing example one that loads and does not."""
    failing, passing = examples_in(rule)
    assert bp.check(bp.loads(failing)).by_rule(rule)
    assert bp.check(bp.loads(passing)).by_rule(rule) == []


def test_every_rule_has_a_case_here():
    assert {case[0] for case in CASES} == set(RULES)


@pytest.mark.parametrize("rule, failing, fixed, steps", CASES, ids=[c[0] for c in CASES])
def test_rule_fires_on_its_example_and_is_silent_on_the_fix(rule, failing, fixed, steps):
    found = bp.check(bp.loads(failing)).by_rule(rule)
    assert len(found) == 1, [f.message for f in found]
    assert set(steps) <= set(found[0].steps)
    assert found[0].severity == RULES[rule].SEVERITY
    for step in steps:
        assert f"[{step}]" in found[0].message or rule in ("livelock", "lost-context", "displaced-ownership")
    assert bp.check(bp.loads(fixed)).by_rule(rule) == []


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_explains_itself_to_a_consultant(rule):
    module = RULES[rule]
    assert module.SEVERITY in ("error", "warning", "info")
    doc = module.__doc__
    assert "Failing example" in doc and "Passing example" in doc


def test_repeat_loop_gives_the_expected_number_of_calls():
    """From `call`, the case comes back with chance 0.6 (wait -> call): 1 / 0.4 = 2.5 calls."""
    (finding,) = bp.check(bp.loads(FAILING["repeat-loop"])).by_rule("repeat-loop")
    assert "the customer phones 2.5 times on average (Phones about the refund [call])" in finding.message
    assert set(finding.flows) == {("call", "promise"), ("promise", "wait"), ("wait", "call")}


def test_repeat_loop_without_chances_asks_for_them():
    model = bp.loads("steps: {call: {lane: customer, channel: phone}, wait: {lane: customer}, "
                     "done: {outcome: success}}\nflows: [[call, wait], [wait, call], [wait, done]]\nstart: call")
    (finding,) = bp.check(model).by_rule("repeat-loop")
    assert "Give the branches in the loop their p" in finding.message


def test_one_finding_per_loop_not_per_step():
    model = bp.loads("""
steps:
  a: {lane: customer, channel: phone}
  b: {lane: customer, channel: email}
  c: {lane: customer, fail_point: lost}
  d: {lane: customer, channel: phone}
  e: {lane: customer}
  done: {outcome: success}
flows: [[a, b], [b, c], [c, a, 0.5], [c, d, 0.5], [d, e], [e, d, 0.5], [e, done, 0.5]]
start: a
""")
    found = bp.check(model).by_rule("repeat-loop")
    assert sorted(sorted(f.steps) for f in found) == [["a", "b", "c"], ["d", "e"]]


def test_lost_context_names_the_teams_and_where_the_story_is_told_again():
    (finding,) = bp.check(bp.loads(FAILING["lost-context"])).by_rule("lost-context")
    assert "Home delivery and Store share no system" in finding.message
    assert "tells the story again at Takes the complaint [answer]" in finding.message
    assert finding.flows == (("deliver", "unpack"), ("unpack", "call"), ("call", "answer"))


def test_a_join_waiting_for_a_step_after_it_is_a_deadlock():
    model = bp.loads("""
steps:
  fork: {lane: customer, split: all}
  a: {lane: customer}
  join: {lane: customer, join: all}
  later: {lane: customer}
  done: {outcome: success}
flows: [[fork, a], [fork, done], [a, join], [join, later], [later, join], [later, done]]
start: fork
""")
    (finding,) = bp.check(model).by_rule("deadlock")
    assert "only comes after [join] itself" in finding.message
    assert finding.flows == (("later", "join"),)


def test_a_loop_with_no_way_out_is_a_livelock_and_not_also_a_repeat_loop():
    report = bp.check(bp.loads(FAILING["livelock"]))
    assert len(report.by_rule("livelock")) == 1 and report.by_rule("repeat-loop") == []


def test_the_damaged_fires_show_the_story():
    report = bp.check(bp.load(EXAMPLES / "damaged_fires.yaml"))
    rules = {f.rule for f in report}
    assert {"repeat-loop", "incapable-handoff", "displaced-ownership", "no-resolution", "lost-context"} <= rules
    (loop,) = report.by_rule("repeat-loop")
    assert "the customer phones" in loop.message and "times on average" in loop.message
    (displaced,) = report.by_rule("displaced-ownership")
    assert "Manufacturer" in displaced.message
    pairs = {tuple(sorted(f.message.split(" share no system")[0].split(" and ")))
             for f in report.by_rule("lost-context")}
    assert {("Home delivery", "Store"), ("Social media team", "Store")} <= pairs


def test_the_double_charge_shows_the_story():
    report = bp.check(bp.load(EXAMPLES / "double_charge.yaml"))
    rules = {f.rule for f in report}
    assert {"dead-end", "repeat-loop", "lost-context"} <= rules
    (inbox,) = report.by_rule("dead-end")
    assert "auto-sorted" in inbox.message.lower()


def test_every_feature_fixture_passes_its_own_rule_levels():
    report = bp.check(bp.load(FIXTURES / "valid" / "every_feature.yaml"))
    assert report.by_rule("lost-context") == []  # checks: {lost-context: off}
    assert report.worst != "error"


def test_lost_context_ignores_handoffs_no_case_makes():
    model = bp.loads("""
teams: {a: {systems: [crm]}, b: {systems: [erp]}}
steps:
  s: {lane: frontstage, owner: a}
  w: {lane: frontstage, owner: a}
  u: {lane: backstage, owner: b}
  done: {outcome: success}
flows: [[s, w], [w, done], [u, w]]
start: s
""")
    assert [f.rule for f in bp.check(model)] == ["unreachable"]
