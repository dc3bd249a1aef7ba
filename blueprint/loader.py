"""Reading blueprint files: YAML or JSON text in, a validated :class:`Blueprint` or one
:class:`BlueprintError` with every problem out (BPMN through :mod:`blueprint.bpmn`).

Parsing is fast on the happy path (libyaml, ``json``); line and column numbers are worked out only
when they are needed: for an error, or for a finding's place in SARIF and text output.
"""
from __future__ import annotations

import gc
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .bpmn import read_bpmn
from .errors import BlueprintError, Problem
from .files import read_bytes
from .formats import reading_format
from .model import Blueprint, build
from .positions import Source, parse_json, yaml_index

__all__ = ["load", "loads", "read_text", "parse_yaml", "parse_value", "YAMLSyntaxError"]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's safe loader, reading booleans as YAML 1.2 does: only true and false.

    YAML 1.1 also reads yes, no, on and off as booleans, which turns a step called ``no`` or a
    rule level ``off`` into true/false behind a consultant's back.

    Its resolver is PyYAML's without path resolvers (which a blueprint never has): called for
    every value of the file, PyYAML's general one is a fifth of the time of reading a large file.
    """

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return self.DEFAULT_SCALAR_TAG
        return self.DEFAULT_MAPPING_TAG if kind is yaml.MappingNode else self.DEFAULT_SEQUENCE_TAG

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


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
    fmt = reading_format(name)
    if fmt == "bpmn":
        return read_bpmn(path)
    return loads(read_text(path), format=fmt, file=name)


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
    decoder = json.JSONDecoder(object_pairs_hook=_json_object, parse_int=_json_int)
    try:
        data, index = parse_json(text, decoder, _KeyTwice)
        return data, Source("json", text, index=index, compose=_compose)
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


def _compose(text: str):
    """The YAML tree of a text (JSON is YAML), for the exact place of a message; None if it has none."""
    try:
        loader = _Loader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except (yaml.YAMLError, RecursionError, ValueError):
        return None


def _too_long(number: str) -> str:
    return (f"a number of {len(number):,} digits ({number[:12]}...); numbers in a blueprint are at most "
            f"{MAX_NUMBER} characters long: check it")


#: Deeper nesting than this is refused before parsing (libyaml's composer recurses in C).
MAX_DEPTH = 1000


#: +1 for an opening bracket, -1 for a closing one, by byte.
_BRACKETS = np.zeros(256, dtype=np.int8)
_BRACKETS[[ord("["), ord("{")]] = 1
_BRACKETS[[ord("]"), ord("}")]] = -1
#: Every byte but the brackets: what bytes.translate drops before the brackets are counted.
_NOT_BRACKETS = bytes(b for b in range(256) if not _BRACKETS[b])
#: An indentation deeper than MAX_DEPTH levels of two spaces.
_TOO_INDENTED = " " * (2 * MAX_DEPTH + 1)


def _too_deep(text: str) -> bool:
    """Whether flow brackets or indentation nest deeper than :data:`MAX_DEPTH` (an upper bound:
    brackets inside quotes count too).

    Examples
    --------
    >>> _too_deep("a: [[b]]"), _too_deep("[" * 1001), _too_deep("a:\\n" + " " * 2001 + "b: c")
    (False, True, True)
    """
    brackets = text.encode("utf-8", "replace").translate(None, _NOT_BRACKETS)  # in C: the rest of a
    codes = np.frombuffer(brackets, dtype=np.uint8)  # large file is a few brackets a line
    if len(codes) and int(np.cumsum(_BRACKETS[codes], dtype=np.int32).max()) > MAX_DEPTH:
        return True
    return text.startswith(_TOO_INDENTED) or "\n" + _TOO_INDENTED in text


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


def parse_value(text: str, where: str = "--set") -> Any:
    """A value written on the command line, read as YAML with the guards a file is read with
    (nesting, alias bombs, numbers too long to be true): ``4``, ``0.9``, ``[crm]``, ``2h``.
    Text that is not YAML at all is taken as written.

    Examples
    --------
    >>> parse_value("4"), parse_value("[crm, erp]"), parse_value("2h"), parse_value("[open")
    (4, ['crm', 'erp'], '2h', '[open')
    >>> parse_value("1" * 5000, "--set teams.a.staff")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: --set teams.a.staff:1:1: a number of 5,000 digits (111111111111...); ...
    """
    try:
        return parse_yaml(text, file=where)
    except YAMLSyntaxError:
        return text


def _parse_yaml(text: str, file):
    if _too_deep(text):
        raise BlueprintError(f"the YAML is nested more than {MAX_DEPTH} levels deep; a blueprint is a few "
                             "levels deep (check the brackets and the indentation, line 1 on)", file=file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, Source("yaml", text)
        try:  # no anchor: nothing is shared, and one plain walk guards and builds
            if "&" in text and _ANCHOR.search(text) is not None:
                raise _Shared
            data = _construct(node, loader, file)
        except _Shared:
            _guard(node, file)
            data = loader.construct_document(node)
        return data, Source("yaml", text, node, yaml_index(node))
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


#: An anchor (&name) where a node may start: without one, no node is shared and no alias expands.
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s,\[\]{}]", re.M)


def _guard(root, file) -> None:
    """Refuse alias bombs, self-referencing aliases, strange tags and numbers too long to be true;
    report keys given twice."""
    _aliases(root, file)
    problems: list[Problem] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # a shared node is looked at once
            continue
        seen.add(id(node))
        problem = _strange(node)
        if problem is not None:
            problems.append(problem)
        if isinstance(node, yaml.MappingNode):
            keys = [k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)]
            if len(set(keys)) != len(keys):
                problems += _keys_twice(node.value)
            stack.extend(c for pair in node.value for c in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    if problems:
        raise BlueprintError(problems, file=file)


def _strange(node) -> Problem | None:
    """A tag a blueprint does not use, or an integer too long to be true."""
    if node.tag not in _PLAIN_TAGS:
        return _at(node, f"the YAML tag {node.tag.replace('tag:yaml.org,2002:', '!!')} has no meaning "
                         "in a blueprint; remove it (write the value as plain text or a number)")
    if node.tag == _INT and len(node.value) > MAX_NUMBER:
        return _at(node, _too_long(node.value))
    return None


class _Shared(Exception):
    """The document shares nodes (anchors, merge keys) or has keys that are not plain: built the
    general way."""


_STR, _INT, _NULL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:null"
_FLOAT = "tag:yaml.org,2002:float"
_MAP, _SEQ, _MERGE = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:merge"


def _construct(root, loader, file) -> Any:
    """The data of a document that shares no node, built in one walk that also refuses what
    :func:`_guard` refuses; what PyYAML builds, without its general machinery (the half of
    loading a large file). Text and null are read here, numbers and booleans by PyYAML.

    Equal texts become one object (`same`): a step's id is written once as a key and again in
    each flow, and the analysis looks ids up by the hundred thousand; with one object a lookup
    matches by identity (a tenth less time to validate and to check a large file).
    """
    problems: list[Problem] = []
    scalar_node, mapping_node = yaml.ScalarNode, yaml.MappingNode
    same = {}.setdefault

    def scalar(node):
        if node.tag == _FLOAT:  # a quarter of a large file's values (the chances): PyYAML's result, faster
            try:
                return float(node.value)
            except ValueError:
                pass  # .inf, 1:30.5, 1__0.5: as PyYAML reads them
        problem = _strange(node)
        if problem is not None:
            problems.append(problem)
            return node.value
        return loader.yaml_constructors[node.tag](loader, node)  # int, float, bool, null, str

    def container(node):
        if node.tag not in (_MAP, _SEQ):
            problems.append(_strange(node))
        return {} if node.__class__ is mapping_node else []

    if root.__class__ is scalar_node:
        data = scalar(root)
    else:
        data = container(root)
    stack = [(root, data)] if root.__class__ is not scalar_node else []
    while stack:
        node, into = stack.pop()
        if node.__class__ is mapping_node:
            for k, v in node.value:
                if k.__class__ is not scalar_node or k.tag == _MERGE:
                    raise _Shared
                key = same(k.value, k.value) if k.tag == _STR else scalar(k)
                if v.__class__ is scalar_node:
                    into[key] = same(v.value, v.value) if v.tag == _STR else scalar(v)
                else:
                    into[key] = value = container(v)
                    stack.append((v, value))
            if len(into) != len(node.value):
                problems += _keys_twice(node.value)
        else:
            append = into.append
            for item in node.value:
                if item.__class__ is scalar_node:
                    append(same(item.value, item.value) if item.tag == _STR else scalar(item))
                else:
                    append(value := container(item))
                    stack.append((item, value))
    if problems:
        raise BlueprintError(problems, file=file)
    return data


def _keys_twice(pairs) -> list[Problem]:
    first: dict[str, int] = {}
    out = []
    for k, _ in pairs:
        if isinstance(k, yaml.ScalarNode) and k.value != "<<":
            if k.value in first:
                out.append(_at(k, f"the key '{k.value}' is given twice in one mapping (first on line "
                                  f"{first[k.value]}); keep one"))
            else:
                first[k.value] = k.start_mark.line + 1
    return out


def _aliases(root, file) -> None:
    """Refuse an alias that contains itself, and a document that aliases expand far beyond what is written."""
    size: dict[int, int] = {}
    distinct = 0
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
            raise BlueprintError([_at(node, "an alias refers to itself (a recursive &anchor/*alias); "
                                            "a blueprint cannot contain itself")], file=file)
        distinct += 1
        on_path.add(key)
        stack.append((node, True))
        if isinstance(node, yaml.MappingNode):
            stack.extend((c, False) for pair in node.value for c in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((c, False) for c in node.value)
    if size[id(root)] > 4 * distinct + 10_000:
        raise BlueprintError(f"the YAML expands through aliases (&anchor/*alias) to {size[id(root)]:,} values "
                             f"from {distinct:,} written ones; a blueprint never needs that, so it is refused "
                             "(an alias bomb?)", file=file)


def _at(node, message: str) -> Problem:
    return Problem("", message, node.start_mark.line + 1, node.start_mark.column + 1)
