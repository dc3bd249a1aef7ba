"""Every pydantic error a blueprint can give is said in the format's words, at its place, with the fix."""
import pytest
import yaml
from pydantic import ValidationError

import blueprint as bp
from blueprint.explain import WORDED

#: Python's words, never shown to a consultant.
RAW = ("Input should", "input should", "should match pattern", "datetime", "Value error", "unable to parse",
       "after validation", "Dictionary should", "List should", "Tuple should", "instance of", "constrained-str",
       "function-", "[key]", "NoneType", "finite number")
REST = "\nsteps: {zz: {lane: customer}, yy: {outcome: success}}\nflows: [[zz, yy]]"

# (pydantic error type, the file, the place, words the message must hold)
TABLE = [
    ("extra_forbidden", "steps: {a: {lane: customer, chanel: phone}}", "steps.a.chanel", "did you mean 'channel'"),
    ("missing", "steps: {a: {lane: customer, timeout: {after: 1}}}", "steps.a.timeout.to", "the id of a step"),
    ("duration", "steps: {a: {lane: customer, duration: {expo: 2}}}", "steps.a.duration", "did you mean 'exponential'"),
    ("arrivals", "arrivals: {evry: 2}" + REST, "arrivals", "did you mean 'every'"),
    ("literal_error", "time_unit: days" + REST, "time_unit", "use second, minute, hour, day or week"),
    ("literal_error", "checks: {dead-end: loud}" + REST, "checks.dead-end", "use off, info, warning or error"),
    ("value_error", "patience: -1" + REST, "patience", "cannot be negative"),
    ("value_error", "steps: {a: {lane: customer, duration: 2024-01-01}}", "steps.a.duration",
     "'2024-01-01' is not a time"),
    ("string_pattern_mismatch", "teams: {'help desk': {}}" + REST, "teams.help desk", "is not an id: an id starts"),
    ("string_pattern_mismatch", "steps: {a: {lane: frontstage, owner: 'a b'}}", "steps.a.owner", "no spaces"),
    ("string_type", "steps: {a: {lane: 3}}", "steps.a.lane", "put it in quotes if you mean the text: '3'"),
    ("string_type", "lanes: [customer, [x]]" + REST, "lanes[1]", "expected a name (text), found a list"),
    ("int_type", "teams: {a: {staff: [2]}}" + REST, "teams.a.staff", "expected a whole number of people"),
    ("int_parsing", "teams: {a: {staff: many}}" + REST, "teams.a.staff", "found 'many'"),
    ("int_from_float", "teams: {a: {staff: 2.5}}" + REST, "teams.a.staff",
     "whole number of people from 0 to 1,000,000"),
    ("float_type", "steps: {a: {lane: customer, emotion: {x: 1}}}", "steps.a.emotion", "a number from -5 to +5"),
    ("float_parsing", "flows: [[zz, yy, half]]\nsteps: {zz: {lane: customer}, yy: {outcome: success}}",
     "flows[0].p", "a chance from 0 to 1"),
    ("int_parsing_size", "blueprint: 1" + "0" * 30 + REST, "blueprint", "a number of 31 digits"),
    ("finite_number", "teams: {a: {staff: .inf}}" + REST, "teams.a.staff", ".inf is not a number that can be used"),
    ("bool_type", "teams: {a: {external: [x]}}" + REST, "teams.a.external", "expected true or false"),
    ("bool_parsing", "teams: {a: {external: maybe}}" + REST, "teams.a.external", "found 'maybe'"),
    ("dict_type", "checks: [dead-end]" + REST, "checks", "a mapping of rule ids to levels"),
    ("model_type", "steps: {a: 3}", "steps.a", "expected a step: a mapping of its keys"),
    ("list_type", "steps: {a: {lane: customer, needs: refund}}", "steps.a.needs", "a list of capabilities"),
    ("tuple_type", "steps: {a: {lane: customer, duration: {triangular: 5}}}", "steps.a.duration.triangular",
     "[MIN, MODE, MAX]: three times"),
    ("too_short", "steps: {}", "steps", "a blueprint needs steps"),
    ("too_short", "arrivals: {at: []}" + REST, "arrivals.at", "at least 1"),
    ("too_long", "steps: {a: {lane: customer, duration: {uniform: [1, 2, 3]}}}", "steps.a.duration.uniform",
     "[A, B]: two times, found 3"),
    ("greater_than_equal", "teams: {a: {staff: -1}}" + REST, "teams.a.staff", "-1 is out of range"),
    ("less_than_equal", "steps: {a: {lane: customer, emotion: 9}}", "steps.a.emotion", "from -5 to +5"),
]


@pytest.mark.parametrize("kind, text, place, words", TABLE, ids=[f"{row[0]}-{i}" for i, row in enumerate(TABLE)])
def test_each_pydantic_error_is_said_in_the_format_words_at_its_place(kind, text, place, words):
    with pytest.raises(ValidationError) as raw:
        bp.Blueprint.model_validate(yaml.load(text, Loader=bp.loader._Loader))
    assert kind in {e["type"] for e in raw.value.errors()}, "the row does not give this error type"
    with pytest.raises(bp.BlueprintError) as caught:
        bp.loads(text, file="x.yaml")
    messages = [(p.path, p.message) for p in caught.value.problems]
    assert any(path == place and words in message for path, message in messages), messages
    assert all(p.line for p in caught.value.problems)
    assert not [m for _, m in messages if any(r in m for r in RAW)], messages


def test_the_table_covers_every_error_type_the_format_can_give():
    assert {row[0] for row in TABLE} == set(WORDED)


@pytest.mark.parametrize("text, words", [
    ("[1, 2", "JSON syntax"), ('{"steps": {"a": {"lane": "customer"}}, "steps": {}}', "given twice"),
    ('{"teams": {"a": {"staff": ' + "9" * 5000 + "}}}", "5,000 digits"),
])
def test_json_duplicate_keys_and_huge_numbers_are_refused_with_the_line(text, words):
    with pytest.raises(bp.BlueprintError) as caught:
        bp.loads(text, format="json", file="x.json")
    assert words in str(caught.value)
    assert caught.value.problems[0].line is not None


@pytest.mark.parametrize("text, words", [
    ("teams: {a: {staff: " + "9" * 5000 + "}}" + REST, "5,000 digits"),
    ("teams: {a: {staff: " + ":".join(["1"] * 3000) + "}}" + REST, "digits"),  # YAML 1.1 base 60
    ("name: !!binary aGVsbG8=" + REST, "!!binary"),
    ("stages: !!set {a, b}" + REST, "!!set"),
    ("name: !!timestamp 2024-01-01" + REST, "!!timestamp"),
])
def test_yaml_numbers_too_long_and_strange_tags_are_refused_at_their_place(text, words):
    with pytest.raises(bp.BlueprintError) as caught:
        bp.loads(text, file="x.yaml")
    assert words in str(caught.value)
    assert caught.value.problems[0].line is not None


def test_dates_stay_text_so_the_message_quotes_them():
    model = bp.loads("name: 2024-01-01" + REST)
    assert model.name == "2024-01-01"


def test_checks_levels_are_validated_when_the_file_loads():
    with pytest.raises(bp.BlueprintError) as caught:
        bp.loads("checks: {dead-end: loud, livelock: 3, no-owner: off}" + REST, file="x.yaml")
    assert [(p.path, p.line) for p in caught.value.problems] == [("checks.dead-end", 1), ("checks.livelock", 1)]


@pytest.mark.parametrize("text", [
    b"steps: {a: {lane: customer}, b: {outcome: success}}\nflows: [[a, b]]",
    bytearray(b"\xef\xbb\xbfsteps: {a: {lane: customer}, b: {outcome: success}}\nflows: [[a, b]]"),
])
def test_loads_reads_bytes_as_utf8(text):
    assert sorted(bp.loads(text).steps) == ["a", "b"]


@pytest.mark.parametrize("value, words", [
    (None, "not None"), (42, "not int"), (b"name: caf\xe9", "not UTF-8"), (["steps"], "not list"),
])
def test_loads_of_something_else_raises_the_loader_error(value, words):
    with pytest.raises(bp.BlueprintError, match=words):
        bp.loads(value)
