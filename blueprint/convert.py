"""Writing a blueprint in another format, chosen by the file's extension."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import yaml

from .errors import BlueprintError
from .files import write_atomic
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
    from .bpmn import to_bpmn

    return to_bpmn(model)


def _mermaid(model: Blueprint) -> str:
    from .render import render

    return render(model, format="mermaid")


#: Writers by file extension.
WRITERS: dict[str, Callable[[Blueprint], str]] = {
    ".yaml": _yaml, ".yml": _yaml, ".json": _json, ".bpmn": _bpmn, ".mmd": _mermaid,
}


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
    writer = WRITERS.get("." + format.lower().lstrip("."))
    if writer is None:
        raise BlueprintError(f"cannot write '{format}'; use one of {', '.join(w[1:] for w in WRITERS)}")
    return writer(model)


def save(model: Blueprint, path: str | Path) -> None:
    """Write the blueprint to `path` in the format its extension names, atomically."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        raise BlueprintError(f"cannot tell the format of '{path}' from its extension; end it with "
                             f"{', '.join(WRITERS)}")
    write_atomic(path, WRITERS[suffix](model))
