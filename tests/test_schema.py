"""The JSON Schema, generated from the models, accepts what the loader accepts."""
import json

import jsonschema
import pytest
import yaml

from blueprint.schema import json_schema

from .conftest import EXAMPLES, FIXTURES

SCHEMA = json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _data(path):
    return json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", sorted((FIXTURES / "valid").glob("*.*")) + sorted(EXAMPLES.glob("*.yaml")),
                         ids=lambda p: p.name)
def test_schema_accepts_every_valid_file(path):
    data = _data(path)
    if isinstance(data.get("checks"), dict):  # YAML 1.1 reads `off` as false; the loader maps it back
        data["checks"] = {k: ("off" if v is False else v) for k, v in data["checks"].items()}
    errors = list(VALIDATOR.iter_errors(data))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("name,words", [
    ("typo_key.yaml", "chanel"), ("negative_staff.yaml", "-2"), ("bad_duration.yaml", "triangular"),
])
def test_schema_rejects_what_the_loader_rejects(name, words):
    errors = list(VALIDATOR.iter_errors(_data(FIXTURES / "invalid" / name)))
    assert errors
    assert any(words in e.message or words in json.dumps(list(e.path)) or words in str(e.instance) for e in errors)
