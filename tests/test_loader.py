"""The loader: every valid fixture loads, every invalid one is refused with its place and its fix."""
import json

import pydantic
import pytest

import blueprint as bp
from blueprint.durations import mean_of

from .conftest import EXAMPLES, FIXTURES

VALID = sorted((FIXTURES / "valid").glob("*.*"))
INVALID = json.loads((FIXTURES / "invalid" / "expected.json").read_text())


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_fixture_loads(path):
    model = bp.load(path)
    assert model.steps and model.entry


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_example_loads(path):
    assert bp.load(path).name


@pytest.mark.parametrize("name,needles", sorted(INVALID.items()))
def test_invalid_fixture_is_refused_naming_place_and_value(name, needles):
    with pytest.raises(bp.BlueprintError) as caught:
        bp.load(FIXTURES / "invalid" / name)
    text = str(caught.value)
    assert all(n.lower() in text.lower() for n in needles), text
    assert name in text


def test_json_and_yaml_give_the_same_model():
    assert bp.load(FIXTURES / "valid" / "minimal.yaml") == bp.load(FIXTURES / "valid" / "minimal.json")


def test_every_problem_is_reported_at_once_with_lines():
    text = """\
name: Three problems
teams: {desk: {staff: -1}}
steps:
  a: {lane: customer, chanel: phone}
  b: {lane: frontstage, owner: dsk}
  end: {outcome: success}
flows: [[a, b], [b, ennd]]
start: a
"""
    with pytest.raises(bp.BlueprintError) as caught:
        bp.loads(text, file="three.yaml")
    problems = {p.path: p for p in caught.value.problems}
    assert set(problems) >= {"teams.desk.staff", "steps.a.chanel", "steps.b.owner", "flows[1].to"}
    assert (problems["steps.a.chanel"].line, problems["steps.a.chanel"].column) == (4, 23)
    assert problems["steps.b.owner"].line == 5
    assert problems["flows[1].to"].line == 7
    assert "did you mean 'desk'" in problems["steps.b.owner"].message
    assert str(caught.value).splitlines()[0].startswith("three.yaml:")


def test_json_errors_have_lines_too(tmp_file):
    path = tmp_file("x.json", '{\n  "steps": {\n    "a": {"lane": "custmer"}\n  }\n}\n')
    with pytest.raises(bp.BlueprintError) as caught:
        bp.load(path)
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == ("steps.a.lane", 3)
    assert "did you mean 'customer'" in problem.message


@pytest.mark.parametrize("text,place,words", [
    ("steps: {a: {lane: customer, duration: {expo: 2h}}}", "steps.a.duration", "did you mean 'exponential'"),
    ("steps: {a: {lane: customer, duration: two hours}}", "steps.a.duration", "not a time"),
    ("steps: {a: {lane: customer, duration: {uniform: [3, 1]}}}", "steps.a.duration", "A <= B"),
    ("steps: {a: {lane: customer, duration: {normal: {mean: 2, sd: -1}}}}", "steps.a.duration", "negative"),
    ("steps: {a: {lane: customer, duration: {empirical: []}}}", "steps.a.duration", "at least 1"),
    ("steps: {a: {lane: customer, duration: 1e999}}", "steps.a.duration", "finite"),
    ("steps: {a: {lane: customer, duration: 123456789012345678901234567890}}", "steps.a.duration", "too large"),
    ("steps: {a: {lane: customer}}\narrivals: {rates: 5/day}", "arrivals", "did you mean 'rate'"),
    ("steps: {a: {lane: customer}}\narrivals: {rate: 5/fortnight}", "arrivals.rate", "N/unit"),
    ("steps: {a: {lane: customer}}\nteams: {x: {hours: Mon-Fri 9-5}}", "teams.x.hours", "09:00-17:00"),
    ("steps: {a: {}}", "steps.a", "lane"),
    ("steps: {a: {outcome: sucess}}", "steps.a.outcome", "did you mean 'success'"),
    ("steps: {a: {lane: customer, owner: x}}\nteams: {x: {}}", "steps.a.owner", "customer step has no owner"),
    ("steps: {a: {lane: customer, stage: Later}}\nstages: [Now]", "steps.a.stage", "use one of Now"),
    ("steps: {a: {lane: customer}, b: {outcome: success}}\nflows: [[a, b], [a, b]]", "flows[1]",
     "declared at flows[0]"),
    ("steps: {a: {lane: customer}, b: {outcome: success}}\nflows: [[b, a]]", "flows[0].from", "outcome"),
    ("steps: {a: {lane: customer}, b: {outcome: success}}\nflows: [[a, b, 0.5], [a, a]]", "flows[0].p", "to none"),
    ("steps: {a: {lane: customer}, b: {lane: customer}}\nflows: []", "start", "say where cases start"),
    ("steps: {a: {lane: customer}}\nchecks: {dead-ends: off}", "checks.dead-ends", "did you mean 'dead-end'"),
    ("steps: {a: {lane: customer}}\nstart: {a: 0.5}", "start", "add up to 0.5"),
    ("steps: {a: {lane: customer, timeout: {after: 2d, to: nowhere}}}", "steps.a.timeout.to", "no step 'nowhere'"),
    ("steps: {1bad: {lane: customer}}", "steps.1bad", "not an id"),
    ("steps: []", "steps", "mapping"),
])
def test_bad_value_names_place_and_fix(text, place, words):
    with pytest.raises(bp.BlueprintError) as caught:
        bp.loads(text)
    messages = {p.path: p.message for p in caught.value.problems}
    assert any(path.startswith(place) and words in msg for path, msg in messages.items()), messages


@pytest.mark.parametrize("content,words", [
    (b"", "empty"),
    (b"- a\n- b\n", "not a list"),
    (b"just text", "not a single text"),
    (b"\x00\x01\x02binary", "binary"),
    (b"name: caf\xe9\n", "not UTF-8"),
    (b"steps: {a: {lane: customer}\n", "line"),
    (b"a: &a [*a]\n", "refers to itself"),
    (b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
     b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
     "alias"),
    (b"name: x\nname: y\nsteps: {a: {lane: customer}}\n", "given twice"),
    (b"[" * 100_000, "line"),
])
def test_hostile_files_are_refused_cleanly(tmp_file, content, words):
    path = tmp_file("bad.yaml", content)
    with pytest.raises(bp.BlueprintError) as caught:
        bp.load(path)
    assert words in str(caught.value)
    assert "bad.yaml" in str(caught.value)


def test_deep_json_is_refused(tmp_file):
    with pytest.raises(bp.BlueprintError, match="nested too deeply|JSON"):
        bp.load(tmp_file("deep.json", "[" * 100_000 + "]" * 100_000))


def test_missing_file_and_folder_are_refused(tmp_path):
    with pytest.raises(bp.BlueprintError, match="no such file"):
        bp.load(tmp_path / "nope.yaml")
    with pytest.raises(bp.BlueprintError, match="folder"):
        bp.load(tmp_path)


def test_ten_megabytes_of_junk_is_refused_quickly(tmp_file):
    junk = ("}{ ][ :: - !!x " * 700_000).encode()
    with pytest.raises(bp.BlueprintError):
        bp.load(tmp_file("junk.yaml", junk))


@pytest.mark.parametrize("text,unit,expected", [
    ("45s", "minute", 0.75), ("10min", "hour", 1 / 6), ("2h", "minute", 120.0), ("3d", "hour", 72.0),
    ("1w", "day", 7.0), ("1.5h", "minute", 90.0), (30, "hour", 30.0),
])
def test_duration_strings_with_units(text, unit, expected):
    model = bp.loads(f"time_unit: {unit}\nsteps: {{a: {{lane: customer, duration: {text}}}}}")
    assert model.mean_duration("a") == pytest.approx(expected)


@pytest.mark.parametrize("duration,mean", [
    ({"fixed": "15min"}, 15), ({"exponential": "2h"}, 120), ({"uniform": [1, 3]}, 2),
    ({"triangular": ["1h", "2h", "6h"]}, 180), ({"normal": {"mean": 30, "sd": 0}}, 30),
    ({"lognormal": {"mean": "2d", "sd": "12h"}}, 2880), ({"empirical": [1, 2, 2, 3, 8]}, 3.2),
])
def test_every_distribution_loads_with_its_mean(duration, mean):
    model = bp.Blueprint.model_validate({"steps": {"a": {"lane": "customer", "duration": duration}}})
    assert mean_of(model.steps["a"].duration, "minute") == pytest.approx(mean)


def test_normal_cut_at_zero_has_the_mean_of_its_cut():
    normal = {"normal": {"mean": 0, "sd": 1}}
    model = bp.Blueprint.model_validate({"steps": {"a": {"lane": "customer", "duration": normal}}})
    # E[max(0, X)] for X ~ N(0, 1) is 1 / sqrt(2 pi)
    assert model.mean_duration("a") == pytest.approx(0.3989422804)


@pytest.mark.parametrize("arrivals,kind", [
    ({"every": {"exponential": "2h"}}, "Every"), ({"rate": "5/day"}, "RateArrivals"), ({"at": [0, 30, 90]}, "At"),
])
def test_arrivals_forms(arrivals, kind):
    model = bp.Blueprint.model_validate({"steps": {"a": {"lane": "customer"}}, "arrivals": arrivals})
    assert type(model.arrivals).__name__ == kind


def test_start_as_weights_and_default_start():
    model = bp.loads("steps: {a: {lane: customer}, b: {lane: customer}, c: {outcome: success}}\n"
                     "flows: [[a, c], [b, c]]\nstart: {a: 0.8, b: 0.2}")
    assert model.entry == {"a": 0.8, "b": 0.2}
    assert bp.loads("steps: {a: {lane: customer}, c: {outcome: success}}\nflows: [[a, c]]").entry == {"a": 1.0}


def test_models_are_immutable():
    model = bp.load(FIXTURES / "valid" / "minimal.yaml")
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        model.name = "other"
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        model.teams["desk"].staff = 4


def test_yaml_off_means_off_in_checks():
    model = bp.loads("steps: {a: {lane: customer}}\nchecks: {dead-end: off}")
    assert model.checks == {"dead-end": "off"}


def test_yes_no_on_off_stay_words_as_in_yaml_1_2():
    model = bp.loads("steps: {ask: {lane: customer}, yes: {outcome: success}, no: {outcome: failure}}\n"
                     "flows: [[ask, yes, 0.5], [ask, no, 0.5]]\nchecks: {dead-end: off}")
    assert set(model.steps) == {"ask", "yes", "no"}
    assert model.checks == {"dead-end": "off"}
