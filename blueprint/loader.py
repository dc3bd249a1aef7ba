"""Reading blueprint files: YAML or JSON text in, a validated :class:`Blueprint` or one
:class:`BlueprintError` with every problem out.

Parsing is fast on the happy path (libyaml, ``json``); line and column numbers are worked out only
when they are needed: for an error, or for a finding's place in SARIF and text output.
"""
from __future__ import annotations

import gc
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import BlueprintError, Problem, did_you_mean
from .files import readable_file
from .model import Blueprint, Flow, Step, Team, Timeout
from .references import ReferenceProblems, reference_problems, view_of_data

__all__ = ["load", "loads", "read_text", "source_position"]



class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's safe loader, reading booleans as YAML 1.2 does: only true and false.

    YAML 1.1 also reads yes, no, on and off as booleans, which turns a step called ``no`` or a
    rule level ``off`` into true/false behind a consultant's back.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).insert(
        0, ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")))


@dataclass
class Source:
    """Where a model came from, to find the line of a place in it later."""

    format: str
    text: str
    node: Any = None
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
            except (yaml.YAMLError, RecursionError):
                self.node = None
        return self.node


def _walk(node, path, key=False):
    """The node at `path` (or the key node of its last part), or the deepest one found."""
    found = node
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(found, yaml.MappingNode):
            for k, v in found.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                    found = k if (key and last) else v
                    break
            else:
                return found
        elif isinstance(found, yaml.SequenceNode):
            index = part if isinstance(part, int) else {"from": 0, "to": 1, "p": 2}.get(part)
            if index is None or index >= len(found.value):
                return found
            found = found.value[index]
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
    node = _walk(root, path, key)
    return node.start_mark.line + 1, node.start_mark.column + 1


def read_text(path: str | Path) -> str:
    """The text of a file, or a :class:`BlueprintError` saying why it is not a readable text file."""
    name = str(path)
    path = readable_file(path, "a .yaml or .json file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BlueprintError(f"cannot read the file: {exc.strerror}", file=name) from None
    if b"\x00" in raw:
        raise BlueprintError("this is a binary file, not text; a blueprint is a YAML or JSON text file",
                             file=name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BlueprintError([Problem("", f"not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be read; "
                                          "save the file as UTF-8", line, column)], file=name) from None


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
    name = str(path)
    suffix = Path(path).suffix.lower()
    if suffix == ".bpmn":
        from .bpmn import read_bpmn

        return read_bpmn(path)
    text = read_text(path)
    return loads(text, format="json" if suffix == ".json" else "yaml", file=name)


def loads(text: str, format: str = "yaml", *, file: str | None = None) -> Blueprint:
    """Load a blueprint from text.

    Parameters
    ----------
    text : str
        The blueprint, as YAML or JSON.
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
    """
    if format not in ("yaml", "json"):
        raise BlueprintError(f"unknown format '{format}'; use 'yaml' or 'json'", file=file)
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


def _parse_json(text: str, file):
    try:
        return json.loads(text), Source("json", text)
    except json.JSONDecodeError as exc:
        raise BlueprintError([Problem("", f"JSON syntax: {exc.msg} at line {exc.lineno} column {exc.colno}; "
                                          "check the commas, quotes and brackets there",
                                      exc.lineno, exc.colno)], file=file) from None
    except RecursionError:
        raise BlueprintError("the JSON is nested too deeply to be a blueprint", file=file) from None
    except ValueError as exc:  # e.g. an integer with thousands of digits
        raise BlueprintError(f"JSON: {exc}", file=file) from None


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


def _parse_yaml(text: str, file):
    if _depth(text) > MAX_DEPTH:
        raise BlueprintError(f"the YAML is nested more than {MAX_DEPTH} levels deep; a blueprint is a few "
                             "levels deep (check the brackets and the indentation, line 1 on)", file=file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, Source("yaml", text)
        _guard(node, file)
        return loader.construct_document(node), Source("yaml", text, node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise BlueprintError([Problem("", f"YAML syntax: {what} near line {line}; check the indentation, "
                                          "colons, quotes and brackets there", line, column)], file=file) from None
    except yaml.YAMLError as exc:
        raise BlueprintError(f"YAML syntax: {exc}; check the file near the place named", file=file) from None
    except RecursionError:
        raise BlueprintError("the YAML is nested too deeply to be a blueprint", file=file) from None
    finally:
        loader.dispose()


def _guard(root, file):
    """Refuse alias bombs and self-referencing aliases; report keys given twice."""
    size: dict[int, int] = {}
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
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value != "<<":
                    if k.value in seen:
                        problems.append(Problem("", f"the key '{k.value}' is given twice in one mapping (first "
                                                    f"on line {seen[k.value]}); keep one",
                                                k.start_mark.line + 1, k.start_mark.column + 1))
                    seen[k.value] = k.start_mark.line + 1
                stack.append((k, False))
                stack.append((v, False))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((c, False) for c in node.value)
    if size[id(root)] > 4 * distinct + 10_000:
        raise BlueprintError(f"the file expands through aliases (&anchor/*alias) to {size[id(root)]:,} values "
                             f"from {distinct:,} written ones; a blueprint never needs that, so it is refused "
                             "(an alias bomb?)", file=file)
    if problems:
        raise BlueprintError(problems, file=file)


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
        problems = _translate(exc, source)
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
            bool: "true/false"}.get(type(value), type(value).__name__)


def _path(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TYPE_PARTS = re.compile(r"^(str|int|float|bool|none|constrained-str|function-.*|lax-.*|json-or-python.*|"
                         r"(dict|list|tuple|union|nullable|tagged-union|chain|set)\[.*|quantity|Every|"
                         r"RateArrivals|At)$")


def _clean(loc) -> tuple:
    out: list = []
    for part in loc:
        if isinstance(part, str) and _TYPE_PARTS.match(part):
            continue
        if out and part == out[-1] and isinstance(part, str):
            continue  # a tagged union repeats its tag: duration.triangular.triangular
        out.append(part)
    return tuple(out)


def _keys_at(loc) -> list[str]:
    kind = None
    if len(loc) == 0:
        kind = Blueprint
    elif loc[0] == "teams" and len(loc) == 2:
        kind = Team
    elif loc[0] == "steps" and len(loc) == 2:
        kind = Step
    elif loc[0] == "steps" and len(loc) == 3 and loc[2] == "timeout":
        kind = Timeout
    elif loc[0] == "flows" and len(loc) == 2:
        kind = Flow
    if kind is None:
        return ["mean", "sd", "every", "rate", "at", "after", "to"]
    return [info.alias or name for name, info in kind.model_fields.items()]


def _translate(exc: ValidationError, source) -> list[tuple[tuple, str, str]]:
    problems: list[tuple[tuple, str, str]] = []
    seen: set[tuple] = set()
    for err in exc.errors(include_url=False):
        kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
        loc = _clean(err["loc"])
        error = ctx.get("error")
        if isinstance(error, ReferenceProblems):
            problems += [(tuple(loc) + tuple(p_loc), msg, "reference") for p_loc, msg in error.problems]
            continue
        if loc in seen and kind != "extra_forbidden":
            continue
        seen.add(loc)
        if kind == "extra_forbidden":
            known = _keys_at(loc[:-1])
            message = (f"unknown key '{loc[-1]}'{did_you_mean(loc[-1], known)} "
                       f"(the keys here: {', '.join(known)})")
            problems.append((loc, message, "key"))
            continue
        if kind == "missing":
            message = f"'{loc[-1]}' is required here" if loc else "a required key is missing"
            if loc == ("steps",):
                message = "a blueprint needs steps: the things that happen, each with a lane or an outcome"
        elif kind == "duration":
            message = err["msg"]
            if isinstance(value, dict) and len(value) == 1:
                message = f"'{next(iter(value))}' is not a distribution{did_you_mean(next(iter(value)), ['fixed', 'exponential', 'uniform', 'triangular', 'normal', 'lognormal', 'empirical'])}; {message}"
        elif kind == "arrivals":
            message = err["msg"] + (did_you_mean(next(iter(value)), ["every", "rate", "at"])
                                    if isinstance(value, dict) and value else "")
        elif kind == "literal_error":
            expected = re.findall(r"'([^']*)'", ctx.get("expected", ""))
            message = (f"'{value}' is not allowed here{did_you_mean(value, expected)}; use "
                       f"{ctx.get('expected', 'one of the listed values')}")
        elif kind == "value_error":
            message = str(error) if error is not None else err["msg"].removeprefix("Value error, ")
        elif kind == "string_pattern_mismatch" and loc and loc[0] in ("teams", "steps"):
            message = (f"'{value}' is not an id: an id starts with a letter or _ and holds letters, "
                       "digits, _ and -")
        elif kind in ("dict_type", "model_type", "model_attributes_type"):
            message = f"expected a mapping of keys here, found {_kind(value)}"
        elif kind in ("list_type", "tuple_type"):
            message = f"expected a list [...] here, found {_kind(value)}"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            message = f"{value!r} is out of range: {err['msg'][0].lower()}{err['msg'][1:]}"
        else:
            message = f"{err['msg'][0].lower()}{err['msg'][1:]}" + (
                f" (found {value!r})" if value is not None and not isinstance(value, (dict, list)) else "")
        problems.append((loc, message, "type"))
    return problems


def _placed(problems, source) -> list[Problem]:
    out, seen = [], set()
    for loc, message, kind in problems:
        if (loc, message) in seen:
            continue
        seen.add((loc, message))
        where = source_position(source, loc, key=(kind == "key")) if source is not None else None
        out.append(Problem(_path(loc), message, *(where or (None, None))))
    return out
