"""Reading blueprint files: YAML or JSON text in, a validated :class:`Blueprint` or one
:class:`BlueprintError` with every problem out.

Parsing is fast on the happy path (libyaml, ``json``); line and column numbers are worked out only
when they are needed: for an error, or for a finding's place in SARIF and text output.
"""
from __future__ import annotations

import gc
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import BlueprintError, Problem
from .explain import path_text, translate
from .files import read_bytes
from .model import Blueprint
from .references import ReferenceProblems, reference_problems, view_of_data

__all__ = ["load", "loads", "read_text", "parse_yaml", "source_position", "YAMLSyntaxError"]



class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's safe loader, reading booleans as YAML 1.2 does: only true and false.

    YAML 1.1 also reads yes, no, on and off as booleans, which turns a step called ``no`` or a
    rule level ``off`` into true/false behind a consultant's back.
    """


_Loader.yaml_implicit_resolvers = {  # and dates stay text: `2024-01-01` is not a time in a blueprint
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
#: The YAML tags a blueprint is written with; others (!!binary, !!set, !!timestamp, ...) are refused.
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge")}
#: The longest number a blueprint holds, in characters; longer ones are typos or attacks.
MAX_NUMBER = 100
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")))


@dataclass
class Source:
    """Where a model came from, to find the line of a place in it later.

    ``node`` is the composed YAML of the file (JSON is composed as YAML the first time a place is
    asked for, once); ``index`` holds, for every large mapping in it, its entries by key, so that
    finding a place costs the depth of the path, not the size of the file.
    """

    format: str
    text: str
    node: Any = None
    index: dict[int, dict[str, tuple[Any, Any]]] = field(default_factory=dict, repr=False)
    _composed: bool = field(default=False, repr=False)

    def root(self):
        if self.node is None and not self._composed:
            self._composed = True
            try:  # JSON is (nearly) YAML: compose it for positions only
                loader = _Loader(self.text)
                try:
                    self.node = loader.get_single_node()
                finally:
                    loader.dispose()
            except (yaml.YAMLError, RecursionError, ValueError):
                self.node = None
            if self.node is not None:
                self.index = _index(self.node)
        return self.node


#: Mappings with more entries than this are indexed by key; smaller ones are searched in order.
_INDEXED = 16


def _index(root) -> dict[int, dict[str, tuple[Any, Any]]]:
    """The entries of every large mapping under `root`, by key (the first of a key given twice)."""
    index: dict[int, dict[str, tuple[Any, Any]]] = {}
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            if len(node.value) > _INDEXED:
                entries: dict[str, tuple[Any, Any]] = {}
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode):
                        entries.setdefault(k.value, (k, v))
                index[id(node)] = entries
            stack.extend(v for _, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return index


def _walk(node, path, key=False, index=None):
    """The node at `path` (or the key node of its last part), or the deepest one found."""
    found = node
    index = index or {}
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(found, yaml.MappingNode):
            entries = index.get(id(found))
            if entries is not None:
                pair = entries.get(str(part))
            else:
                pair = next(((k, v) for k, v in found.value
                             if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            if pair is None:
                return found
            found = pair[0] if (key and last) else pair[1]
        elif isinstance(found, yaml.SequenceNode):
            index_of = part if isinstance(part, int) else {"from": 0, "to": 1, "p": 2}.get(part)
            if index_of is None or index_of >= len(found.value):
                return found
            found = found.value[index_of]
        else:
            return found
    return found


def source_position(source: Source | None, path, key: bool = False) -> tuple[int, int] | None:
    """1-based (line, column) of a place such as ``("steps", "a", "owner")`` in a source."""
    if source is None:
        return None
    root = source.root()
    if root is None:
        return None
    node = _walk(root, path, key, source.index)
    return node.start_mark.line + 1, node.start_mark.column + 1


def _decode(raw: bytes, file: str | None) -> str:
    """UTF-8 text (a BOM is dropped), or a located error for a binary or otherwise encoded file."""
    if b"\x00" in raw:
        raise BlueprintError("this is a binary file, not text; a blueprint is a YAML or JSON text file",
                             file=file)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BlueprintError([Problem("", f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be read; "
                                          "save the file as UTF-8", line, column)], file=file) from None


def read_text(path: str | Path) -> str:
    """The text of a file, or a :class:`BlueprintError` saying why it is not a readable text file."""
    name = os.fsdecode(path)
    return _decode(read_bytes(path, "a .yaml or .json file"), name)


def load(path: str | Path) -> Blueprint:
    """Load a blueprint file: ``.yaml``, ``.yml``, ``.json`` (or ``.bpmn``).

    Parameters
    ----------
    path : str or Path
        The file to read.

    Returns
    -------
    Blueprint
        The validated model.

    Raises
    ------
    BlueprintError
        Listing every problem in the file, each with its place and its fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "help.yaml"
    >>> _ = path.write_text("steps: {ask: {lane: customer, channel: phone}, done: {outcome: success}}\\n"
    ...                     "flows: [[ask, done]]\\n")
    >>> load(path).steps["ask"].channel
    'phone'
    """
    name = os.fsdecode(path)
    suffix = os.path.splitext(name)[1].lower()
    if suffix == ".bpmn":
        from .bpmn import read_bpmn

        return read_bpmn(path)
    text = read_text(path)
    return loads(text, format="json" if suffix == ".json" else "yaml", file=name)


def loads(text: str | bytes, format: str = "yaml", *, file: str | None = None) -> Blueprint:
    """Load a blueprint from text.

    Parameters
    ----------
    text : str or bytes
        The blueprint, as YAML or JSON (bytes are read as UTF-8).
    format : {"yaml", "json"}
        How the text is written. (JSON is also read correctly as YAML.)
    file : str, optional
        A name for the text in error messages.

    Examples
    --------
    >>> model = loads('{"steps": {"a": {"lane": "customer"}, "b": {"outcome": "success"}}, '
    ...               '"flows": [["a", "b"]]}', format="json")
    >>> sorted(model.steps)
    ['a', 'b']
    >>> loads("steps: {a: {lane: customer, chanel: phone}}")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: 1:29: steps.a.chanel: unknown key 'chanel'; did you mean 'channel'? ...
    >>> loads(None)
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: loads takes the text of a blueprint (a str, or UTF-8 bytes), not None; ...
    """
    if format not in ("yaml", "json"):
        raise BlueprintError(f"unknown format '{format}'; use 'yaml' or 'json'", file=file)
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = _decode(bytes(text), file)
    elif not isinstance(text, str):
        raise BlueprintError("loads takes the text of a blueprint (a str, or UTF-8 bytes), not "
                             f"{'None' if text is None else type(text).__name__}; to read a file, use load(path)",
                             file=file)
    with _collector_paused():
        data, source = (_parse_json if format == "json" else _parse_yaml)(text, file)
        return build(data, source, file)


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while a file becomes objects.

    Reading a large blueprint makes hundreds of thousands of objects and no cycles; the collector
    would walk them again and again (half the time of loading 100,000 steps).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _KeyTwice(ValueError):
    """A JSON object gives a key twice."""


def _json_object(pairs: list) -> dict:
    data = dict(pairs)
    if len(data) != len(pairs):
        raise _KeyTwice(next(k for i, (k, _) in enumerate(pairs) if any(k == j for j, _ in pairs[:i])))
    return data


def _json_int(text: str) -> int:
    if len(text) > MAX_NUMBER:
        raise _TooLong(text)
    return int(text)


class _TooLong(ValueError):
    """A number of more than MAX_NUMBER characters."""


def _parse_json(text: str, file):
    try:
        return json.loads(text, object_pairs_hook=_json_object, parse_int=_json_int), Source("json", text)
    except json.JSONDecodeError as exc:
        raise BlueprintError([Problem("", f"JSON syntax: {exc.msg} at line {exc.lineno} column {exc.colno}; "
                                          "check the commas, quotes and brackets there",
                                      exc.lineno, exc.colno)], file=file) from None
    except RecursionError:
        raise BlueprintError("the JSON is nested too deeply to be a blueprint", file=file) from None
    except (_KeyTwice, _TooLong) as exc:
        # JSON is YAML: the YAML reader finds the place, and says what is wrong there
        _parse_yaml(text, file)
        what = (f"the key '{exc.args[0]}' is given twice in one object; keep one" if isinstance(exc, _KeyTwice)
                else _too_long(exc.args[0]))
        raise BlueprintError(what, file=file) from None


def _too_long(number: str) -> str:
    return (f"a number of {len(number):,} digits ({number[:12]}...); numbers in a blueprint are at most "
            f"{MAX_NUMBER} characters long: check it")


#: Deeper nesting than this is refused before parsing (libyaml's composer recurses in C).
MAX_DEPTH = 1000


def _depth(text: str) -> int:
    """An upper bound of the nesting of flow brackets, and the deepest indentation."""
    import numpy as np

    codes = np.frombuffer(text.encode("utf-8", "replace"), dtype=np.uint8)
    steps = np.zeros(len(codes), dtype=np.int32)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    brackets = int(np.cumsum(steps).max()) if len(codes) else 0
    indent = max((len(line) - len(line.lstrip(" ")) for line in text.splitlines()), default=0)
    return max(brackets, indent // 2)


class YAMLSyntaxError(BlueprintError):
    """Text that is not YAML at all (the guards' refusals are plain :class:`BlueprintError`)."""


def parse_yaml(text: str, file: str | None = None) -> Any:
    """Plain data from YAML text, read with the guards of :func:`load`: nesting, alias bombs, keys
    given twice, tags a blueprint does not use, numbers too long to be true.

    Examples
    --------
    >>> parse_yaml("[crm, {staff: 4}]")
    ['crm', {'staff': 4}]
    >>> parse_yaml("a: &a [x, x, x, x, x, x, x, x, x, x]\\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\\n"
    ...            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]",
    ...            file="--set checks")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: --set checks: the YAML expands through aliases ...
    """
    return _parse_yaml(text, file)[0]


def _parse_yaml(text: str, file):
    if _depth(text) > MAX_DEPTH:
        raise BlueprintError(f"the YAML is nested more than {MAX_DEPTH} levels deep; a blueprint is a few "
                             "levels deep (check the brackets and the indentation, line 1 on)", file=file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, Source("yaml", text)
        index = _guard(node, file)
        return loader.construct_document(node), Source("yaml", text, node, index)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise YAMLSyntaxError([Problem("", f"YAML syntax: {what} near line {line}; check the indentation, "
                                           "colons, quotes and brackets there", line, column)], file=file) from None
    except yaml.YAMLError as exc:
        raise YAMLSyntaxError(f"YAML syntax: {exc}; check the file near the place named", file=file) from None
    except RecursionError:
        raise BlueprintError("the YAML is nested too deeply to be a blueprint", file=file) from None
    finally:
        loader.dispose()


def _guard(root, file) -> dict[int, dict[str, tuple[Any, Any]]]:
    """Refuse alias bombs, self-referencing aliases, strange tags and numbers too long to be true;
    report keys given twice. Gives the index of the large mappings (see :class:`Source`), made on
    the way."""
    size: dict[int, int] = {}
    index: dict[int, dict[str, tuple[Any, Any]]] = {}
    distinct = 0
    problems = []
    stack = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = ([v for pair in node.value for v in pair] if isinstance(node, yaml.MappingNode)
                        else node.value if isinstance(node, yaml.SequenceNode) else [])
            size[key] = 1 + sum(size[id(c)] for c in children)
            continue
        if key in size:
            continue
        if key in on_path:
            mark = node.start_mark
            raise BlueprintError([Problem("", "an alias refers to itself (a recursive &anchor/*alias); "
                                              "a blueprint cannot contain itself", mark.line + 1, mark.column + 1)],
                                 file=file)
        distinct += 1
        on_path.add(key)
        stack.append((node, True))
        if node.tag not in _PLAIN_TAGS:
            problems.append(_at(node, f"the YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} has no meaning "
                                      "in a blueprint; remove it (write the value as plain text or a number)"))
        elif node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_NUMBER:
            problems.append(_at(node, _too_long(node.value)))
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value != "<<":
                    if k.value in seen:
                        first = seen[k.value][0].start_mark.line + 1
                        problems.append(_at(k, f"the key '{k.value}' is given twice in one mapping (first "
                                               f"on line {first}); keep one"))
                    else:
                        seen[k.value] = (k, v)
                stack.append((k, False))
                stack.append((v, False))
            if len(node.value) > _INDEXED:
                index[key] = seen
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((c, False) for c in node.value)
    if size[id(root)] > 4 * distinct + 10_000:
        raise BlueprintError(f"the YAML expands through aliases (&anchor/*alias) to {size[id(root)]:,} values "
                             f"from {distinct:,} written ones; a blueprint never needs that, so it is refused "
                             "(an alias bomb?)", file=file)
    if problems:
        raise BlueprintError(problems, file=file)
    return index


def _at(node, message: str) -> Problem:
    return Problem("", message, node.start_mark.line + 1, node.start_mark.column + 1)


def build(data: Any, source: Source | None = None, file: str | None = None) -> Blueprint:
    """Validate parsed data into a model, or raise one :class:`BlueprintError` with every problem."""
    if data is None:
        raise BlueprintError("the file is empty; a blueprint needs at least steps: and flows:", file=file)
    if not isinstance(data, dict):
        raise BlueprintError(f"a blueprint is a mapping of keys (name, teams, steps, flows, start), "
                             f"not {_kind(data)}", file=file)
    try:
        model = Blueprint.model_validate(data)
    except ValidationError as exc:
        problems = translate(exc)
        if not any(p[2] == "reference" for p in problems):
            try:
                extra = reference_problems(view_of_data(data))
            except Exception:  # a view of broken data is best effort only
                extra = []
            problems += [(loc, msg, "reference") for loc, msg in extra]
        raise BlueprintError(_placed(problems, source), file=file) from None
    except RecursionError:
        raise BlueprintError("the blueprint is nested too deeply", file=file) from None
    model._source = source
    return model


def _kind(value: Any) -> str:
    return {list: "a list", str: "a single text", int: "a number", float: "a number",
            bool: "true/false"}.get(type(value), "a value of another kind")


def _placed(problems, source) -> list[Problem]:
    out, seen = [], set()
    for loc, message, kind in problems:
        if (loc, message) in seen:
            continue
        seen.add((loc, message))
        where = source_position(source, loc, key=(kind == "key")) if source is not None else None
        out.append(Problem(path_text(loc), message, *(where or (None, None))))
    return out
