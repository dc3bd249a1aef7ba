"""The JSON Schema of the blueprint file format, generated from the models."""
from __future__ import annotations

from .model import Blueprint

__all__ = ["json_schema"]


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a blueprint file, for editors and validators.

    Unknown keys are refused (``additionalProperties: false``), as the loader refuses them.

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["$schema"], schema["properties"]["steps"]["type"]
    ('https://json-schema.org/draft/2020-12/schema', 'object')
    >>> schema["$defs"]["Step"]["additionalProperties"]
    False
    """
    schema = Blueprint.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://blueprint.readthedocs.io/schema/blueprint-1.json",
            "title": "Service blueprint", **{k: v for k, v in schema.items() if k != "title"}}
