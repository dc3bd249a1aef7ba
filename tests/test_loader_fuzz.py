"""Mutated blueprints: the loader returns a model or raises BlueprintError, nothing else, ever."""
import contextlib
import copy
import json

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import blueprint as bp
from blueprint.cli import cli

from .conftest import EXAMPLES, FIXTURES

SOURCES = [p.read_text() for p in sorted((FIXTURES / "valid").glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))]
DATA = [yaml.safe_load(text) for text in SOURCES]
FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_data(draw):
    data = copy.deepcopy(draw(st.sampled_from(DATA)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["drop", "retype", "rename"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "retype":
            parent[path[-1]] = draw(st.one_of(
                st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(), st.text(max_size=8),
                st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)))
        elif isinstance(parent[path[-1]], str):
            parent[path[-1]] = parent[path[-1]] + draw(st.sampled_from(["x", "_2", "-", ""]))
    return data


@st.composite
def mutated_text(draw):
    text = draw(st.sampled_from(SOURCES)).encode()
    at = draw(st.integers(0, len(text)))
    action = draw(st.sampled_from(["cut", "insert", "replace"]))
    junk = draw(st.binary(min_size=1, max_size=12))
    if action == "cut":
        return text[:at]
    if action == "insert":
        return text[:at] + junk + text[at:]
    return text[:at] + junk + text[at + len(junk):]


@FUZZ
@given(mutated_data())
def test_mutated_data_gives_a_model_or_a_blueprint_error(data):
    with contextlib.suppress(ValueError):  # pydantic's ValidationError is a ValueError
        bp.Blueprint.model_validate(data)
    try:
        model = bp.loads(json.dumps(data, default=str), format="json")
    except bp.BlueprintError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        assert not [p for p in exc.problems if any(word in p.message for word in PYTHON_WORDS)], exc.problems
    else:
        assert isinstance(model, bp.Blueprint)
        bp.check(model)


#: pydantic's and Python's wording, which a consultant never reads (see blueprint.explain).
PYTHON_WORDS = ("Input should", "input should", "should match pattern", "datetime", "Value error", "unable to parse",
                "after validation", "instance of", "[key]", "NoneType")


@FUZZ
@given(mutated_text())
def test_mutated_text_gives_a_model_or_a_blueprint_error(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("fuzz") / "mutated.yaml"
    path.write_bytes(raw)
    try:
        model = bp.load(path)
    except bp.BlueprintError as exc:
        assert "mutated.yaml" in str(exc)
    else:
        bp.check(model)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_text())
def test_cli_never_prints_a_traceback(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("fuzz") / "mutated.yaml"
    path.write_bytes(raw)
    result = CliRunner().invoke(cli, ["check", str(path), "--format", "json"])
    assert result.exit_code in (0, 1, 2)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


class _Reference(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's own loader, resolver and constructor, with the blueprint's booleans and dates."""


def _reference_resolvers():
    from blueprint.loader import _Loader

    _Reference.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    return _Reference


@FUZZ
@given(mutated_text())
def test_the_plain_walk_builds_what_pyyaml_builds(raw):
    from blueprint.loader import parse_yaml

    try:
        text = raw.decode("utf-8")
        expected = yaml.load(text, Loader=_reference_resolvers())
    except (UnicodeDecodeError, yaml.YAMLError, ValueError, RecursionError):
        return
    try:
        got = parse_yaml(text)
    except bp.BlueprintError:
        return  # refused: a key twice, a strange tag, a long number (PyYAML takes them)
    assert got == expected or (got != got and expected != expected)


YAMLISH = st.recursive(st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False)
                       | st.text(max_size=8), lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=5) | st.integers(0, 9), inner, max_size=4), max_leaves=30)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(YAMLISH, st.sampled_from([None, True, False]))
def test_the_plain_walk_reads_any_dumped_data_back(data, flow):
    from blueprint.loader import parse_yaml

    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    assert parse_yaml(text) == yaml.load(text, Loader=_reference_resolvers())
