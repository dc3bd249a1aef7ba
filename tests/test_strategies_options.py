"""The hypothesis strategies check their options like hypothesis.extra.numpy, and `baseline`
gives where a variation starts from."""
import pytest
from hypothesis.errors import InvalidArgument

import blueprint as bp
from blueprint.errors import BlueprintError
from blueprint.strategies import baseline, blueprints, durations

MODEL = bp.loads("""
teams: {desk: {staff: 3}, courier: {}}
steps:
  ask: {lane: customer, channel: phone}
  answer: {lane: frontstage, owner: desk, duration: 4}
  done: {outcome: success}
  lost: {outcome: failure}
flows: [[ask, answer], {from: answer, to: done, p: 0.8}, {from: answer, to: lost, p: 0.2}]
""")


@pytest.mark.parametrize("options, words", [
    (dict(min_steps=5, max_steps=3), "min_steps=5 is more than max_steps=3"),
    (dict(min_steps=0), "min_steps=0"),
    (dict(max_teams=True), "max_teams=True"),
    (dict(lanes="customer"), "lanes="),
    (dict(lanes=("a", "a")), "lanes="),
    (dict(max_mean=0), "max_mean=0"),
    (dict(staffed="yes"), "staffed='yes'"),
    (dict(loops=None), "loops=None"),
])
def test_blueprints_refuses_options_it_cannot_draw_from(options, words):
    with pytest.raises(InvalidArgument, match=words.replace("(", r"\(").replace(")", r"\)")):
        blueprints(**options)


def test_durations_takes_keyword_options_only():
    with pytest.raises(TypeError):
        durations(5)  # type: ignore[misc]


@pytest.mark.parametrize("path, value", [
    ("teams.desk.staff", 3),
    ("teams.courier.staff", None),  # not written: unlimited
    ("flows[answer->lost].p", 0.2),
    ("flows[ask->answer].p", 1.0),  # the one flow out of its step
    ("steps.answer.duration", 4),
])
def test_baseline_is_the_value_as_written(path, value):
    assert baseline(MODEL, path) == value


@pytest.mark.parametrize("path, words", [("teams.till.staff", "'till' is not there"),
                                         ("flows[ask->done].p", "there is no flow ask->done"),
                                         ("teams.*.staff", "without \\*")])
def test_baseline_of_a_path_that_names_nothing_is_bad_input(path, words):
    with pytest.raises(BlueprintError, match=words):
        baseline(MODEL, path)
