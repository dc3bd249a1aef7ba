"""Where things are in a blueprint file: line and column of a place such as ``("steps", "sell")``.

The places a report points at (each team, step and flow, and each top-level key) are indexed in
the same pass that reads the file: from the composed YAML, or by :func:`parse_json`, which reads
the first two levels of a JSON file itself (the rest through ``json``'s C scanner) and notes where
each entry starts. Looking a place up then costs a dictionary lookup, whatever the size of the
file, and the parsed YAML tree is not kept once the model is built.

Deeper places (``steps.a.duration.uniform``) are exact while the tree is there: for the messages
of a file that does not load. After that, a deeper place is given the position of its team, step
or flow.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from json.decoder import WHITESPACE, scanstring
from typing import Any

import numpy as np
import yaml

__all__ = ["Source", "Index", "yaml_index", "parse_json", "source_position"]

#: Where each place starts, packed as ``line << 32 | column`` (1-based): top-level keys in ``top``,
#: the entries of a top-level mapping or list (teams, steps, flows, ...) in ``entries``.
_SHIFT = 32


@dataclass
class Index:
    top: dict[str, int] = field(default_factory=dict)
    entries: dict[str, dict[str, int] | list[int]] = field(default_factory=dict)

    def exact(self, path) -> tuple[int, int] | None:
        """The position of `path` when it is indexed itself (a top-level key, or one of its entries)."""
        if len(path) == 1 and path[0] in self.top:
            return self.find(path)
        entries = self.entries.get(path[0]) if len(path) == 2 else None
        if (isinstance(entries, dict) and path[1] in entries) or (
                isinstance(entries, list) and isinstance(path[1], int) and 0 <= path[1] < len(entries)):
            return self.find(path)
        return None

    def find(self, path) -> tuple[int, int] | None:
        """The position of `path`, or of the deepest part of it that is indexed."""
        if not path or path[0] not in self.top:
            return None
        found = self.top[path[0]]
        if len(path) > 1:
            entries = self.entries.get(path[0])
            part = path[1]
            keyed = isinstance(entries, dict) and isinstance(part, str) and part in entries
            listed = isinstance(entries, list) and isinstance(part, int) and 0 <= part < len(entries)
            if keyed or listed:
                found = entries[part]
        return found >> _SHIFT, found & ((1 << _SHIFT) - 1)


def _pack(mark) -> int:
    return ((mark.line + 1) << _SHIFT) | (mark.column + 1)


def yaml_index(root) -> Index:
    """The index of a composed YAML document (the first of a key given twice wins)."""
    index = Index()
    if not isinstance(root, yaml.MappingNode):
        return index
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode) or key.value in index.top:
            continue
        index.top[key.value] = _pack(value.start_mark)
        if isinstance(value, yaml.MappingNode):
            entries: dict[str, int] = {}
            for k, v in value.value:
                if isinstance(k, yaml.ScalarNode) and k.value not in entries:
                    entries[k.value] = _pack(v.start_mark)
            index.entries[key.value] = entries
        elif isinstance(value, yaml.SequenceNode):
            index.entries[key.value] = [_pack(item.start_mark) for item in value.value]
    return index


def _pack_offsets(text: str, index: Index) -> None:
    """Turn the character offsets noted in `index` into packed lines and columns, all at once."""
    data = text.encode("utf-8") if text.isascii() else text.encode("utf-32-le")
    codes = np.frombuffer(data, dtype=np.uint8 if text.isascii() else np.uint32)
    starts = np.concatenate(([0], np.flatnonzero(codes == 10) + 1))

    def pack(offsets: list[int]) -> list[int]:
        at = np.asarray(offsets, dtype=np.int64)
        line = np.searchsorted(starts, at, side="right")
        return ((line << _SHIFT) | (at - starts[line - 1] + 1)).tolist() if len(at) else []

    index.top = dict(zip(index.top, pack(list(index.top.values()))))
    for name, places in index.entries.items():
        index.entries[name] = (dict(zip(places, pack(list(places.values())))) if isinstance(places, dict)
                               else pack(places))


def parse_json(text: str, decoder: json.JSONDecoder, key_twice: Callable[[str], Exception]) -> tuple[Any, Index]:
    """The data of a JSON document and the index of its first two levels, in one pass.

    The top-level object and the objects and arrays it holds are walked here (a few hundred
    thousand entries at most), every value below them is read by `decoder`'s C scanner. A key given
    twice at these two levels raises ``key_twice(key)``; below them, `decoder`'s own hooks
    apply. Anything this walk does not expect (a document that is not an object, bad syntax) is
    left to ``decoder.decode``, which gives the data or JSON's own error.

    Examples
    --------
    >>> data, index = parse_json('{"steps": {"a": {"lane": "customer"},\\n  "b": {}}, "flows": [["a", "b"]]}',
    ...                          json.JSONDecoder(), KeyError)
    >>> data["steps"]["b"], index.find(("steps", "b")), index.find(("flows", 0, "to"))
    ({}, (2, 8), (2, 23))
    """
    try:
        return _walk_json(text, decoder, key_twice)
    except _NotHere:
        return decoder.decode(text), Index()


class _NotHere(Exception):
    """The walk met something it leaves to the decoder."""


def _walk_json(text: str, decoder: json.JSONDecoder, key_twice) -> tuple[Any, Index]:
    scan, index = decoder.scan_once, Index()

    def skip(at: int) -> int:
        return WHITESPACE.match(text, at).end()

    def expect(at: int, char: str) -> int:
        at = skip(at)
        if text[at:at + 1] != char:
            raise _NotHere
        return at + 1

    def value_at(at: int, level: int, into: str | None):
        """The value starting at `at` (after whitespace), and where it ends; notes its entries."""
        at = skip(at)
        opening = text[at:at + 1]
        if level == 2 or opening not in ("{", "["):
            try:
                return scan(text, at)
            except (StopIteration, json.JSONDecodeError) as exc:
                raise _NotHere from exc
        closing = "}" if opening == "{" else "]"
        at = skip(at + 1)
        mapping: dict[str, Any] = {}
        items: list[Any] = []
        places: dict[str, int] | list[int] = {} if opening == "{" else []
        if text[at:at + 1] == closing:
            at += 1
        else:
            while True:
                if opening == "{":
                    at = skip(at)
                    if text[at:at + 1] != '"':
                        raise _NotHere
                    key, at = scanstring(text, at + 1)
                    at = skip(expect(at, ":"))
                    if key in mapping:
                        raise key_twice(key)
                    if level == 0:
                        index.top[key] = at
                    elif into is not None:
                        places[key] = at
                    mapping[key], at = value_at(at, level + 1, key if level == 0 else None)
                else:
                    at = skip(at)
                    if into is not None:
                        places.append(at)
                    value, at = value_at(at, level + 1, None)
                    items.append(value)
                at = skip(at)
                if text[at:at + 1] == ",":
                    at += 1
                    continue
                if text[at:at + 1] == closing:
                    at += 1
                    break
                raise _NotHere
        if into is not None:
            index.entries[into] = places
        if opening == "{":
            hook = decoder.object_pairs_hook
            return (hook(list(mapping.items())) if hook is not None else mapping), at
        return items, at

    at = skip(0)
    if text[at:at + 1] != "{":
        raise _NotHere
    data, end = value_at(at, 0, None)
    if skip(end) != len(text):
        raise _NotHere
    _pack_offsets(text, index)
    return data, index


@dataclass
class Source:
    """Where a model came from: its format and the index of its places.

    While the model is being built, ``node`` holds the composed YAML (for JSON it is composed from
    ``text`` when a message needs a deeper place); :meth:`release` drops both once the model is
    built.
    """

    format: str
    text: str | None = None
    node: Any = None
    index: Index = field(default_factory=Index, repr=False)
    compose: Callable[[str], Any] | None = field(default=None, repr=False)
    _composed: bool = field(default=False, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def root(self):
        """The composed YAML of the file, while it is there (composing JSON once, for a message)."""
        if self.node is None and not self._composed and self.text is not None and self.compose is not None:
            self._composed = True
            self.node = self.compose(self.text)
        return self.node

    def release(self) -> None:
        """Keep the index only: the tree and the text are not needed once the model is built."""
        self.node, self.text, self.compose, self._composed, self._cache = None, None, None, True, {}


def _walk(node, path, key=False, cache=None):
    """The node at `path` (or the key node of its last part), or the deepest one found; `cache`
    keeps the entries of large mappings by key, so that many lookups stay linear."""
    found = node
    cache = {} if cache is None else cache
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(found, yaml.MappingNode):
            if len(found.value) > 16:
                if id(found) not in cache:
                    entries: dict[str, tuple] = {}
                    for k, v in found.value:
                        if isinstance(k, yaml.ScalarNode):
                            entries.setdefault(k.value, (k, v))
                    cache[id(found)] = entries
                pair = cache[id(found)].get(str(part))
            else:
                pair = next(((k, v) for k, v in found.value
                             if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
            if pair is None:
                return found
            found = pair[0] if (key and last) else pair[1]
        elif isinstance(found, yaml.SequenceNode):
            at = part if isinstance(part, int) else {"from": 0, "to": 1, "p": 2}.get(part)
            if at is None or at >= len(found.value):
                return found
            found = found.value[at]
        else:
            return found
    return found


def source_position(source: Source | None, path, key: bool = False) -> tuple[int, int] | None:
    """1-based (line, column) of a place such as ``("steps", "a", "owner")`` in a source.

    From the index for a team, step, flow or top-level key (and, once the model is built, for
    anything deeper: the position of its team, step or flow); from the YAML tree while it is there
    for a deeper place or a key.
    """
    if source is None:
        return None
    path = tuple(path)
    if not key and path:
        found = source.index.exact(path)
        if found is not None:
            return found
    root = source.root()
    if root is None:
        return source.index.find(path)
    node = _walk(root, path, key, source._cache)
    return node.start_mark.line + 1, node.start_mark.column + 1
