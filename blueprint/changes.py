"""Changing a blueprint by paths: ``teams.store.staff``, ``flows[unpack->fitted].p``, ``teams.*.systems``.

A path names a place in the file. ``*`` stands for every key at its level. A flow is named by its
ends, ``flows[FROM->TO]`` (or by its index, ``flows[3]``); setting a branch's ``p`` rescales the
other branches of the same step so that they still add up to 1.

Changes are made on plain data, knowing the keys of each part of the file from the table the
models give (:data:`blueprint.model.KEYS`); :meth:`blueprint.Blueprint.with_changes` validates the
result. This module sits under the models and does not import them.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from .errors import BlueprintError, did_you_mean

__all__ = ["apply_changes", "parse_path"]

_SEGMENT = re.compile(r"([^.\[\]]+)(?:\[([^\]]*)\])?")
#: The keys of each part of a file (:data:`blueprint.model.KEYS`).
Keys = Mapping[str, list[str]]


def parse_path(path: str) -> list[str | tuple[str, str]]:
    """Split a path into its parts; a flow selector becomes ``("flows", "a->b")``.

    Examples
    --------
    >>> parse_path("flows[unpack->fitted].p")
    [('flows', 'unpack->fitted'), 'p']
    >>> parse_path("teams.*.systems")
    ['teams', '*', 'systems']
    """
    parts: list[str | tuple[str, str]] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        match = _SEGMENT.match(text, pos)
        if not match:
            raise BlueprintError(f"'{path}' is not a path; write it like teams.store.staff or "
                                 "flows[unpack->fitted].p")
        name, selector = match.groups()
        parts.append((name, selector.strip()) if selector is not None else name)
        pos = match.end()
        if pos < len(text):
            if text[pos] != ".":
                raise BlueprintError(f"'{path}' is not a path; separate its parts with dots")
            pos += 1
    if not parts:
        raise BlueprintError("an empty path; write it like teams.store.staff")
    return parts


def _find_flow(flows: list[dict], selector: str, path: str) -> int:
    if selector.isdigit():
        if int(selector) < len(flows):
            return int(selector)
        raise BlueprintError(f"no '{path}': there are {len(flows)} flows (flows[0] to flows[{len(flows) - 1}])")
    source, sep, target = selector.partition("->")
    if not sep:
        raise BlueprintError(f"no '{path}': name a flow by its ends, like flows[unpack->fitted]")
    for i, flow in enumerate(flows):
        if flow["from"] == source.strip() and flow["to"] == target.strip():
            return i
    names = [f"{f['from']}->{f['to']}" for f in flows]
    raise BlueprintError(f"no '{path}': there is no flow {selector}"
                         + did_you_mean(selector, names).replace("'", "'flows[", 1).replace("'?", "]'?"))


def _flow_data(value: Any, path: str) -> dict:
    """A flow given whole, as the mapping the other changes work on; validated with the rest."""
    if isinstance(value, (list, tuple)) and len(value) in (2, 3):
        return dict(zip(("from", "to", "p"), value))
    if isinstance(value, dict) and {"from", "to"} <= set(value):
        return dict(value)
    raise BlueprintError(f"{path}: a flow is [FROM, TO], [FROM, TO, P] or {{from: FROM, to: TO, p: P}}, "
                         f"not {value!r}")


def _set_p(flows: list[dict], index: int, value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise BlueprintError(f"{path}: a chance is a number from 0 to 1, not {value!r}")
    source = flows[index]["from"]
    siblings = [i for i, f in enumerate(flows) if f["from"] == source and i != index]
    if not siblings and value != 1:
        raise BlueprintError(f"{path}: it is the only flow out of '{source}', so its p must be 1")
    rest = 1.0 - value
    total = sum(flows[i].get("p") or 0.0 for i in siblings)
    weighted = all(flows[i].get("p") is not None for i in siblings)
    for i in siblings:
        flows[i]["p"] = (flows[i]["p"] * rest / total) if weighted and total > 0 else rest / len(siblings)
    flows[index]["p"] = float(value)


def _apply(data: dict, path: str, value: Any, keys: Keys) -> None:
    parts = parse_path(path)
    head = parts[0]
    if isinstance(head, tuple):
        name, selector = head
        if name != "flows":
            raise BlueprintError(f"no '{path}': only flows are named with [...]; did you mean "
                                 f"'{name}.{selector}'?")
        flows = data.setdefault("flows", [])
        index = _find_flow(flows, selector, path)
        if len(parts) == 1:
            flows[index] = _flow_data(value, path)
            return
        if len(parts) != 2 or parts[1] not in keys["flows"]:
            key = parts[1] if len(parts) > 1 else ""
            raise BlueprintError(f"no '{path}': a flow has {', '.join(keys['flows'])}"
                                 + did_you_mean(str(key), keys["flows"]))
        if parts[1] == "p":
            _set_p(flows, index, value, path)
        else:
            flows[index][parts[1]] = value
        return
    if head not in keys["blueprint"]:
        raise BlueprintError(f"no '{path}': '{head}' is not a key of a blueprint"
                             f"{did_you_mean(head, keys['blueprint'])}")
    if any(isinstance(p, tuple) for p in parts[1:]):
        raise BlueprintError(f"no '{path}': only flows are named with [...]")
    _set(data, [head], parts[1:], value, path, keys)


def _set(node: dict, done: list[str], rest: list[str], value: Any, path: str, keys: Keys) -> None:
    key = done[-1]
    if not rest:
        if value is None:
            node.pop(key, None)
        else:
            node[key] = copy.deepcopy(value)
        return
    child = node.get(key)
    if child is None and key in ("teams", "steps"):
        child = node[key] = {}
    entity_level = len(done) == 1 and key in ("teams", "steps")
    if entity_level:
        names = list(child)
        targets = names if rest[0] == "*" else [rest[0]]
        if rest[0] != "*" and rest[0] not in child:
            raise BlueprintError(f"no '{path}': there is no {key[:-1]} '{rest[0]}'"
                                 + did_you_mean(rest[0], names).replace("'", f"'{key}.", 1))
        for name in targets:
            if len(rest) > 1 and rest[1] not in keys[key] and rest[1] not in child[name]:
                raise BlueprintError(f"no '{path}': a {key[:-1]} has no '{rest[1]}'"
                                     + did_you_mean(rest[1], keys[key]).replace("'", f"'{key}.{name}.", 1))
            _set(child, [*done, name], rest[1:], value, path, keys)
        return
    if not isinstance(child, dict):
        if child is None and len(done) == 3 and done[-1] == "timeout" and rest[0] in keys["timeout"]:
            child = node[key] = {}
        else:
            raise BlueprintError(f"no '{path}': '{'.'.join(done)}' holds {child!r}, which has no '{rest[0]}'")
    if rest[0] == "*":
        for name in list(child):
            _set(child, [*done, name], rest[1:], value, path, keys)
        return
    known = (keys[done[0]] if len(done) == 2 and done[0] in ("teams", "steps") else
             keys["timeout"] if len(done) == 3 and done[2] == "timeout" else [])
    if rest[0] not in child and rest[0] not in known:
        raise BlueprintError(f"no '{path}': '{'.'.join(done)}' has no '{rest[0]}'"
                             + did_you_mean(rest[0], list(child)))
    _set(child, [*done, rest[0]], rest[1:], value, path, keys)


def apply_changes(data: dict, changes: dict[str, Any], keys: Keys) -> dict:
    """Make `changes` on a blueprint's plain data (a fresh ``model_dump(by_alias=True)``: it is
    changed in place) and return it, not yet validated; `keys`: the keys of each part of the file
    (:data:`blueprint.model.KEYS`).

    Examples
    --------
    >>> keys = {"blueprint": ["steps", "flows"], "flows": ["from", "to", "p", "label"]}
    >>> data = {"steps": {}, "flows": [{"from": "a", "to": "b", "p": 0.5}, {"from": "a", "to": "c", "p": 0.5}]}
    >>> [f["p"] for f in apply_changes(data, {"flows[a->b].p": 0.9}, keys)["flows"]]
    [0.9, 0.09999999999999998]
    >>> apply_changes(data, {"flows[a->b].q": 1}, keys)
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: no 'flows[a->b].q': a flow has from, to, p, label
    """
    data["flows"] = [dict(f) for f in data.get("flows", [])]
    for path, value in changes.items():
        _apply(data, path, value, keys)
    return data
