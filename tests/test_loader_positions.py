"""Line and column of each team, step and flow: indexed in the pass that reads the file, the same
as walking the parsed YAML, from YAML and JSON alike."""
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blueprint as bp
from blueprint.checker import locate
from blueprint.positions import parse_json

from .conftest import EXAMPLES, FIXTURES

FILES = sorted((FIXTURES / "valid").glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))


def _places(data):
    yield from ((key,) for key in data)
    for key, value in data.items():
        if isinstance(value, dict):
            yield from ((key, k) for k in value)
        elif isinstance(value, list):
            yield from ((key, i) for i in range(len(value)))


def _composed_position(text, path, trees={}):  # noqa: B006 (the default is the cache of parsed trees)
    """Where the parsed YAML tree puts a place: the reference the index must agree with."""
    if text not in trees:
        trees.clear()
        trees[text] = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    node = trees[text]
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next(v for k, v in node.value if k.value == str(part))
        else:
            node = node.value[part]
    return node.start_mark.line + 1, node.start_mark.column + 1


def _as_json(path, indent):
    data = yaml.safe_load(path.read_text())
    return json.dumps(data, indent=indent, ensure_ascii=indent is None)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
@pytest.mark.parametrize("form", ["yaml", "json-indented", "json-one-line"])
def test_every_team_step_and_flow_is_where_the_parsed_tree_puts_it(path, form):
    text = path.read_text() if form == "yaml" else _as_json(path, 2 if form == "json-indented" else None)
    model = bp.loads(text, format="yaml" if form == "yaml" else "json")
    data = yaml.safe_load(text)
    for place in _places(data):
        assert model.location(*place) == _composed_position(text, place), place


def test_a_deeper_place_is_given_its_steps_position_once_the_model_is_built():
    text = ("steps:\n  a:\n    lane: customer\n    duration: {uniform: [1, 2]}\n"
            "  b: {outcome: success}\nflows: [[a, b]]\n")
    model = bp.loads(text)
    assert model.location("steps", "a", "duration", "uniform") == model.location("steps", "a") == (3, 5)


def test_while_loading_a_message_points_at_the_exact_deeper_place():
    text = "steps:\n  a:\n    lane: customer\n    duration: {uniform: [1, 2, 3]}\n  b: {outcome: success}\n"
    with pytest.raises(bp.BlueprintError) as caught:
        bp.loads(text)
    assert (caught.value.problems[0].line, caught.value.problems[0].column) == (4, 25)
    with pytest.raises(bp.BlueprintError) as caught:
        bp.loads(json.dumps(yaml.safe_load(text), indent=1), format="json")
    assert caught.value.problems[0].path == "steps.a.duration.uniform" and caught.value.problems[0].line == 6


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_findings_are_placed_the_same_from_yaml_and_json(fmt, tmp_path):
    source = EXAMPLES / "damaged_fires.yaml"
    path = tmp_path / f"fires.{fmt}"
    path.write_text(source.read_text() if fmt == "yaml" else _as_json(source, 2))
    model = bp.load(path)
    located = locate(bp.check(model), model)
    text = path.read_text()
    for finding in located:
        if finding.steps:
            assert (finding.line, finding.column) == _composed_position(text, ("steps", finding.steps[0]))


def test_the_parsed_yaml_tree_is_not_kept_after_loading():
    model = bp.load(FILES[0])
    assert model._source.node is None and model._source.text is None


JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
                       | st.text(max_size=6), lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(st.text(max_size=6), JSONISH, max_size=5), st.sampled_from([None, 0, 2]))
def test_reading_json_by_its_first_two_levels_gives_what_json_gives(data, indent):
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    got, index = parse_json(text, json.JSONDecoder(), KeyError)
    assert got == data
    for key in data:
        line, column = index.find((key,))
        lines = text.split("\n")
        assert lines[line - 1][column - 1:].startswith(json.dumps(data[key], indent=indent,
                                                                  ensure_ascii=False).split("\n")[0][:1])


@pytest.mark.parametrize("text", ['{"a": 1,}', '{"a": [1, 2', '["top", "list"]', '{"a": 1} x', ' {"a": NaN}'])
def test_json_the_walk_does_not_expect_is_left_to_json(text):
    try:
        expected = json.loads(text)
    except json.JSONDecodeError:
        with pytest.raises(json.JSONDecodeError):
            parse_json(text, json.JSONDecoder(), KeyError)
    else:
        assert parse_json(text, json.JSONDecoder(), KeyError)[0] == expected or expected != expected
