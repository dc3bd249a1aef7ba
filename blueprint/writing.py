"""Writing blueprint files: YAML, JSON or BPMN text, in the format a file's suffix names
(:mod:`blueprint.formats`).

Mermaid is a drawing (:func:`blueprint.render` with ``format="mermaid"``), not a file the loader
reads back: the ``convert`` command writes it through the drawing.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import yaml

from .bpmn import to_bpmn
from .files import write_atomic
from .formats import format_of
from .model import Blueprint

__all__ = ["dumps", "save", "WRITERS"]


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    pass


def _yaml(model: Blueprint) -> str:
    return yaml.dump(model.to_data(), Dumper=_Dumper, sort_keys=False, default_flow_style=None,
                     allow_unicode=True, width=100)


def _json(model: Blueprint) -> str:
    return json.dumps(model.to_data(), indent=2, ensure_ascii=False) + "\n"


#: Writers by format (the formats of :data:`blueprint.formats.SUFFIXES`).
WRITERS: dict[str, Callable[[Blueprint], str]] = {"yaml": _yaml, "json": _json, "bpmn": to_bpmn}


def dumps(model: Blueprint, format: str = "yaml") -> str:
    """The blueprint as text: ``yaml``, ``json`` or ``bpmn``.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]")
    >>> print(dumps(model))
    steps:
      a: {lane: customer}
      b: {outcome: success}
    flows:
    - [a, b]
    <BLANKLINE>
    >>> dumps(model, "mmd")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: cannot write 'mmd' here; use one of yaml, json, bpmn
    """
    return WRITERS[format_of("", WRITERS, format)](model)


def save(model: Blueprint, path: str | Path) -> None:
    """Write the blueprint to `path` in the format its extension names, atomically."""
    write_atomic(path, WRITERS[format_of(path, WRITERS, hint="")](model))
