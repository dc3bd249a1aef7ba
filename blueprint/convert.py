"""Writing a blueprint in another format, chosen by the file's extension (:mod:`blueprint.formats`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import yaml

from .bpmn import to_bpmn
from .errors import BlueprintError
from .files import write_atomic
from .formats import format_of
from .drawing.mermaid import to_mermaid
from .model import Blueprint

__all__ = ["dumps", "save", "WRITERS"]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    pass


def _yaml(model: Blueprint) -> str:
    return yaml.dump(model.to_data(), Dumper=_Dumper, sort_keys=False, default_flow_style=None,
                     allow_unicode=True, width=100)


def _json(model: Blueprint) -> str:
    return json.dumps(model.to_data(), indent=2, ensure_ascii=False) + "\n"


def _bpmn(model: Blueprint) -> str:
    return to_bpmn(model)


def _mermaid(model: Blueprint) -> str:
    return to_mermaid(model)


#: Writers by format (the formats of :data:`blueprint.formats.SUFFIXES`).
WRITERS: dict[str, Callable[[Blueprint], str]] = {"yaml": _yaml, "json": _json, "bpmn": _bpmn, "mermaid": _mermaid}


def dumps(model: Blueprint, format: str = "yaml") -> str:
    """The blueprint as text: ``yaml``, ``json``, ``bpmn`` or ``mmd`` (Mermaid).

    Examples
    --------
    >>> from blueprint import loads
    >>> print(dumps(loads("steps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]")))
    steps:
      a: {lane: customer}
      b: {outcome: success}
    flows:
    - [a, b]
    <BLANKLINE>
    """
    fmt = {"mmd": "mermaid", "yml": "yaml"}.get(format.lower().lstrip("."), format.lower().lstrip("."))
    if fmt not in WRITERS:
        raise BlueprintError(f"cannot write '{format}'; use one of yaml, json, bpmn, mmd")
    return WRITERS[fmt](model)


def save(model: Blueprint, path: str | Path) -> None:
    """Write the blueprint to `path` in the format its extension names, atomically."""
    write_atomic(path, WRITERS[format_of(path, WRITERS, hint="")](model))
