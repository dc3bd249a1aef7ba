"""What pydantic finds wrong with a blueprint, said in the file format's words, with the fix.

pydantic's own messages speak of Python ("Input should be a valid integer", "String should match
pattern '^[A-Za-z_]...'", "datetime.date(2024, 1, 1)"). :func:`explain` turns each error into what
a consultant reads: what was found, what goes at that place, and how to write it. Every error type
pydantic can give for this format has its wording here; :data:`WORDED` lists them.

The keys each part of the file takes come from the models, as :data:`blueprint.model.KEYS`, handed
in by the caller: this module sits under the models and does not import them.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .errors import did_you_mean
from .references import ReferenceProblems

__all__ = ["explain", "translate", "shown", "path_text", "WORDED", "MOST_STAFF"]

#: The most staff a team can have (``teams.*.staff``); more is a typo, not a team.
MOST_STAFF = 1_000_000
#: The keys of each part of a file (:data:`blueprint.model.KEYS`).
Keys = Mapping[str, list[str]]

_ID = "an id starts with a letter or _ and holds letters, digits, _ and - (no spaces)"
_TEXT = "text"
_NAMES = "a list of names, like [crm, erp]"
#: What goes at each key of the format, by the key's name (and, where it differs, its parent).
TAKES = {
    "blueprint": "1, the format version (or leave it out)",
    "name": _TEXT, "description": _TEXT, "label": _TEXT, "lane": "a lane's name, as text",
    "stage": "a stage's name, as text", "channel": "text, like phone or email",
    "evidence": _TEXT, "fail_point": _TEXT, "moment": _TEXT,
    "hours": 'working hours as text, like "Mon-Fri 09:00-17:00"',
    "time_unit": "one of second, minute, hour, day, week",
    "lanes": "a list of lane names, top to bottom", "stages": "a list of stage names, left to right",
    "systems": _NAMES, "can": "a list of capabilities, like [outbound_call, refund]",
    "needs": "a list of capabilities, like [outbound_call]",
    "teams": "a mapping of team ids to teams: {desk: {name: Help desk, staff: 2}}",
    "steps": "a mapping of step ids to steps: {ask: {lane: customer}, done: {outcome: success}}",
    "flows": "a list of flows: [FROM, TO], [FROM, TO, P] or {from: FROM, to: TO, p: P}",
    "staff": f"a whole number of people from 0 to {MOST_STAFF:,} (leave it out for unlimited)",
    "external": "true or false", "emotion": "a number from -5 to +5",
    "outcome": "success or failure", "split": "all (or leave it out)", "join": "all (or leave it out)",
    "owner": "the id of a team declared under teams", "from": "the id of a step", "to": "the id of a step",
    "p": "a chance from 0 to 1, like 0.3", "start": "a step id, or {step: weight, ...} with weights adding up to 1",
    "timeout": "{after: TIME, to: STEP}", "after": "a time, like 5, 2h or 3d",
    "checks": "a mapping of rule ids to levels: {lost-context: off, repeat-loop: error}",
    "arrivals": "one of {every: TIME}, {rate: N/unit}, {at: [TIMES]}",
    "patience": "a time, like 5, 2h or 3d", "duration": "a time, like 5, 2h or 3d, or a distribution",
    "at": "a list of times, like [0, 30, 90]", "every": "a time, like 2h, or a distribution",
    "rate": "a rate, like 5/day or 12/h", "mean": "a time, like 5 or 2h", "sd": "a time, like 5 or 2h",
    "fixed": "a time, like 5 or 2h", "exponential": "its mean time, like 5 or 2h",
    "uniform": "[A, B]: two times", "triangular": "[MIN, MODE, MAX]: three times",
    "empirical": "[X, ...]: a list of times", "normal": "{mean: M, sd: S}", "lognormal": "{mean: M, sd: S}",
}
#: The pydantic error types this format can give, each said in the format's words here (any other
#: falls back to naming what goes at the place).
WORDED = ("extra_forbidden", "missing", "duration", "arrivals", "literal_error", "value_error",
          "string_pattern_mismatch", "string_type", "int_type", "int_parsing", "int_from_float",
          "int_parsing_size", "float_type", "float_parsing", "finite_number", "bool_type", "bool_parsing",
          "dict_type", "model_type", "list_type", "tuple_type", "too_short", "too_long",
          "greater_than_equal", "less_than_equal")

_TYPE_PARTS = re.compile(r"^(str|int|float|bool|none|constrained-str|function-.*|lax-.*|json-or-python.*|"
                         r"(dict|list|tuple|union|nullable|tagged-union|chain|set)\[.*|quantity|Every|"
                         r"RateArrivals|At|\[key\])$")


def shown(value: Any) -> str:
    """A value as the file writes it, short: ``true``, ``2.5``, ``'2h'``, ``a list``, ``nothing``.

    Examples
    --------
    >>> shown(True), shown(None), shown(2.5), shown("2h"), shown([1]), shown({}), shown(10**40)
    ('true', 'nothing (null)', '2.5', "'2h'", 'a list [...]', 'a mapping {...}', 'a number of 41 digits')
    """
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        digits = len(str(abs(value))) if abs(value) < 10**200 else 201
        return str(value) if digits <= 20 else f"a number of {digits if digits <= 200 else 'over 200'} digits"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        return (".inf" if value > 0 else "-.inf") if math.isinf(value) else f"{value:g}"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, (list, tuple)):
        return "a list [...]"
    if isinstance(value, dict):
        return "a mapping {...}"
    return "a value of another kind"


def path_text(loc) -> str:
    """A location as the user writes it: ``steps.a.owner``, ``flows[2].to``.

    Examples
    --------
    >>> path_text(("flows", 2, "to")), path_text(("steps", "a", "duration", "uniform"))
    ('flows[2].to', 'steps.a.duration.uniform')
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _clean(loc) -> tuple:
    """pydantic's location without its type names (``constrained-str``, ``function-after[...]``);
    an id under teams, steps or checks is kept whatever it is called."""
    out: list = []
    for i, part in enumerate(loc):
        is_id = i == 1 and loc[0] in ("teams", "steps", "checks")
        if isinstance(part, str) and not is_id and _TYPE_PARTS.match(part):
            continue
        if out and part == out[-1] and isinstance(part, str) and not is_id:
            continue  # a tagged union repeats its tag: duration.triangular.triangular
        out.append(part)
    return tuple(out)


def _keys_at(loc, keys: Keys) -> list[str]:
    part = "blueprint" if not loc else None
    if len(loc) == 2 and loc[0] in ("teams", "steps", "flows"):
        part = loc[0]
    elif len(loc) == 3 and loc[0] == "steps" and loc[2] == "timeout":
        part = "timeout"
    if part is None or part not in keys:
        return ["mean", "sd", "every", "rate", "at", "after", "to"]
    return list(keys[part])


def _takes(loc, keys: Keys) -> str | None:
    """What goes at a location, from the last key that names a field."""
    if len(loc) == 2 and loc[0] in ("teams", "steps") and isinstance(loc[1], str):
        return f"a {loc[0][:-1]}: a mapping of its keys ({', '.join(_keys_at(loc, keys))})"
    if len(loc) == 2 and loc[0] == "flows":
        return TAKES["flows"].replace("a list of flows: ", "a flow: ")
    if len(loc) >= 2 and loc[0] == "checks":
        return "one of off, info, warning, error"
    if len(loc) >= 2 and loc[0] == "start":
        return "a weight: a chance from 0 to 1"
    for part in reversed(loc):
        if isinstance(part, str) and part in TAKES:
            if part in ("lanes", "stages", "systems", "can", "needs", "at") and isinstance(loc[-1], int):
                return "a name (text)" if part != "at" else TAKES["after"]
            return TAKES[part]
    return None


def _fallback(loc, value, keys: Keys) -> str:
    takes = _takes(loc, keys)
    return (f"{shown(value)} cannot be used here; " + (f"write {takes}" if takes else
            "see `blueprint schema` for what goes here"))


def explain(err: dict, keys: Keys | None = None) -> str:
    """One pydantic error (from ``ValidationError.errors()``) in the format's words; `keys` are
    the keys of each part of the file (:data:`blueprint.model.KEYS`), for an unknown key.

    Examples
    --------
    >>> explain({"type": "int_from_float", "loc": ("teams", "desk", "staff"), "input": 2.5})
    'expected a whole number of people from 0 to 1,000,000 (leave it out for unlimited), found 2.5'
    >>> explain({"type": "string_pattern_mismatch", "loc": ("steps", "a", "owner"), "input": "help desk"})
    "'help desk' is not an id: an id starts with a letter or _ and holds letters, digits, _ and - (no spaces)"
    """
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    keys = keys or {}
    loc = _clean(err["loc"])
    takes = _takes(loc, keys)
    if kind == "extra_forbidden":
        known = _keys_at(loc[:-1], keys)
        return (f"unknown key '{loc[-1]}'{did_you_mean(loc[-1], known)} "
                f"(the keys here: {', '.join(known)})")
    if kind == "missing":
        if loc == ("steps",):
            return "a blueprint needs steps: the things that happen, each with a lane or an outcome"
        return (f"'{loc[-1]}' is required here" + (f": write {takes}" if takes else "")) if loc else \
            "a required key is missing"
    if kind == "duration":
        message = err["msg"]
        if isinstance(value, dict) and len(value) == 1:
            name = str(next(iter(value)))
            kinds = ["fixed", "exponential", "uniform", "triangular", "normal", "lognormal", "empirical"]
            return f"'{name}' is not a distribution{did_you_mean(name, kinds)}; {message}"
        return message
    if kind == "arrivals":
        return err["msg"] + (did_you_mean(str(next(iter(value))), ["every", "rate", "at"])
                             if isinstance(value, dict) and value else "")
    if kind == "literal_error":
        expected = re.findall(r"'([^']*)'", ctx.get("expected", "")) or [ctx.get("expected", "")]
        listing = ", ".join(expected[:-1]) + (" or " if len(expected) > 1 else "") + expected[-1]
        return f"{shown(value)} is not allowed here; use {listing}{did_you_mean(str(value), expected)}"
    if kind == "value_error":
        error = ctx.get("error")
        return str(error) if error is not None else err["msg"].removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        return f"{shown(value)} is not an id: {_ID}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        if takes is None:
            bound = next(iter(ctx.values()), "?")
            words = {"greater_than_equal": "at least", "less_than_equal": "at most",
                     "greater_than": "more than", "less_than": "less than"}[kind]
            return f"{shown(value)} is out of range: it must be {words} {bound}"
        return f"{shown(value)} is out of range: write {takes}"
    if kind in ("too_short", "too_long"):
        return _length(loc, value, ctx, kind, takes)
    if kind in ("int_parsing_size", "finite_number"):
        return f"{shown(value)} is not a number that can be used here; write {takes or 'a finite number'}"
    if kind.endswith(("_type", "_parsing")) or kind == "int_from_float":
        quote = (kind == "string_type" and isinstance(value, (int, float, bool))
                 and not (isinstance(value, float) and not math.isfinite(value)))
        return f"expected {takes or _plain_kind(kind)}, found {shown(value)}" + (
            f"; put it in quotes if you mean the text: '{shown(value)}'" if quote else "")
    return _fallback(loc, value, keys)


def _plain_kind(kind: str) -> str:
    return {"int": "a whole number", "float": "a number", "bool": "true or false", "string": "text",
            "dict": "a mapping {...}", "model": "a mapping {...}", "list": "a list [...]",
            "tuple": "a list [...]", "set": "a list [...]", "none": "nothing"}.get(kind.split("_")[0], "another value")


def _length(loc, value, ctx, kind, takes) -> str:
    if loc == ("steps",):
        return "a blueprint needs steps: the things that happen, each with a lane or an outcome"
    if loc == ("lanes",):
        return "lanes lists at least one lane; leave it out for customer, frontstage, backstage, support"
    n, most, least = ctx.get("actual_length"), ctx.get("max_length"), ctx.get("min_length")
    if "duration" in loc or "every" in loc or "after" in loc or "patience" in loc:
        what = {"uniform": "[A, B]: two times", "triangular": "[MIN, MODE, MAX]: three times",
                "empirical": "[X, ...]: at least 1 time"}.get(str(loc[-1]), "times")
        return f"{loc[-1]} takes {what}, found {n}"
    bound = f"at most {most}" if kind.endswith("too_long") else f"at least {least}"
    return f"{shown(value)} has {n} item{'s' if n != 1 else ''}; write {takes or 'a list'} with {bound}"


def translate(exc: ValidationError, keys: Keys) -> list[tuple[tuple, str, str]]:
    """Every error of `exc` as ``(location, message, kind)``, kind ``key``, ``type`` or ``reference``;
    one message per place. `keys`: the keys of each part of the file (:data:`blueprint.model.KEYS`)."""
    problems: list[tuple[tuple, str, str]] = []
    seen: set[tuple] = set()
    errors = exc.errors(include_url=False)
    if any(e["loc"][:1] == ("start",) and len(_clean(e["loc"])) > 1 for e in errors):
        seen.add(("start",))  # weights were given: what is wrong is inside them
    for err in errors:
        error = (err.get("ctx") or {}).get("error")
        loc = _clean(err["loc"])
        if isinstance(error, ReferenceProblems):
            problems += [(tuple(loc) + tuple(p_loc), msg, "reference") for p_loc, msg in error.problems]
            continue
        if loc in seen and err["type"] != "extra_forbidden":
            continue  # a union tried every way: one message is enough
        seen.add(loc)
        kind = "key" if err["type"] == "extra_forbidden" else "type"
        if _is_union(err["loc"]):
            message = _fallback(loc, err.get("input"), keys)
        else:
            message = explain(err, keys)
        problems.append((loc, message, kind))
    return problems


def _is_union(loc) -> bool:
    """Whether pydantic tried this place as one of several kinds (``start``: an id or weights)."""
    return len(loc) >= 2 and loc[0] == "start" and isinstance(loc[1], str) and _TYPE_PARTS.match(loc[1]) is not None \
        and len(_clean(loc)) == 1
