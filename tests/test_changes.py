"""with_changes: paths into the file, rescaled branches, wildcards, and bad paths named."""
import pytest

import blueprint as bp

from .conftest import EXAMPLES

FIRES = bp.load(EXAMPLES / "damaged_fires.yaml")
BRANCHY = bp.loads("""
teams: {desk: {staff: 1, systems: [crm]}, back: {staff: 2}}
steps:
  a: {lane: frontstage, owner: desk}
  b: {lane: backstage, owner: back}
  ok: {outcome: success}
  ko: {outcome: failure}
  maybe: {outcome: failure}
flows: [[a, b], {from: b, to: ok, p: 0.5}, {from: b, to: ko, p: 0.3}, {from: b, to: maybe, p: 0.2}]
""")


def test_changing_staff_leaves_the_original_untouched():
    changed = FIRES.with_changes({"teams.store.staff": 4})
    assert changed.teams["store"].staff == 4
    assert FIRES.teams["store"].staff == 3
    assert changed.steps == FIRES.steps


@pytest.mark.parametrize("p,expected", [
    (0.9, {"ok": 0.9, "ko": 0.06, "maybe": 0.04}),
    (0.0, {"ok": 0.0, "ko": 0.6, "maybe": 0.4}),
    (1.0, {"ok": 1.0, "ko": 0.0, "maybe": 0.0}),
])
def test_setting_a_branch_rescales_the_others(p, expected):
    changed = BRANCHY.with_changes({"flows[b->ok].p": p})
    got = {f.target: f.p for f in changed.outgoing["b"]}
    assert got == pytest.approx(expected)
    assert sum(got.values()) == pytest.approx(1.0, abs=1e-12)


def test_setting_a_branch_without_p_shares_the_rest_equally():
    model = bp.loads("steps: {a: {lane: customer}, x: {outcome: success}, y: {outcome: failure}, "
                     "z: {outcome: failure}}\nflows: [[a, x], [a, y], [a, z]]")
    changed = model.with_changes({"flows[a->x].p": 0.5})
    assert [f.p for f in changed.outgoing["a"]] == pytest.approx([0.5, 0.25, 0.25])


def test_wildcard_changes_every_team():
    changed = FIRES.with_changes({"teams.*.systems": ["crm"]})
    assert {t.systems[0] for t in changed.teams.values()} == {"crm"}


@pytest.mark.parametrize("changes,words", [
    ({"teams.stor.staff": 4}, "did you mean 'teams.store'"),
    ({"teams.store.staf": 4}, "did you mean 'teams.store.staff'"),
    ({"team.store.staff": 4}, "did you mean 'teams'"),
    ({"flows[unpack->fited].p": 0.5}, "did you mean 'flows[unpack->fitted]'"),
    ({"flows[unpack->fitted].q": 0.5}, "a flow has"),
    ({"flows[unpack->fitted].p": 1.5}, "from 0 to 1"),
    ({"flows[order->sell].p": 0.5}, "only flow out of 'order'"),
    ({"teams.store.staff": -1}, "teams.store.staff"),
    ({"steps.sell.owner": "nobody"}, "no team 'nobody'"),
    ({"name.first": 1}, "has no 'first'"),
])
def test_bad_changes_are_refused_naming_the_place(changes, words):
    with pytest.raises(bp.BlueprintError) as caught:
        FIRES.with_changes(changes)
    assert words in str(caught.value)


def test_structural_change_removes_a_finding():
    before = {f.rule for f in bp.check(FIRES)}
    after = {f.rule for f in bp.check(FIRES.with_changes({"steps.social_reply.needs": []}))}
    assert "incapable-handoff" in before and "incapable-handoff" not in after


def test_timeout_can_be_added_by_path():
    changed = FIRES.with_changes({"steps.wait_call.timeout.after": "3d", "steps.wait_call.timeout.to": "gave_up"})
    assert changed.steps["wait_call"].timeout.to == "gave_up"
