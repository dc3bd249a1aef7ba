"""Writing DOT that Graphviz reads as plain text, and asking Graphviz how big each label is."""
from __future__ import annotations

import json
import re
from typing import Any

from ..errors import BlueprintError
from .engines import run_graphviz

__all__ = ["quote", "attrs", "measure"]


def plain(value: Any) -> str:
    """The text Graphviz reads back from :func:`quote`: no control characters, and no backslash
    but those of the line breaks (``\\n``, ``\\l``) the drawing writes itself.

    Examples
    --------
    >>> plain("a\\\\b\\\\n")
    'a⧵b\\\\n'
    """
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", str(value))
    return re.sub(r"\\(?![nl])", "\u29f5", text)


def quote(value: Any) -> str:
    """A DOT string that Graphviz reads as plain text, always in double quotes.

    Never an HTML-like label: ``graphviz.quoting.quote`` passes ``<...>`` through as one, which
    lets a step name carry links (``<td href="javascript:...">``) into the SVG. The text is
    cleaned (no control characters, no backslash escapes) and its quotes escaped; the only
    backslashes left are the line breaks (``\\n``, ``\\l``) the drawing writes itself.

    Examples
    --------
    >>> print(quote('<<table><tr><td href="javascript:x">Click</td></tr></table>>'))
    "<<table><tr><td href=\\"javascript:x\\">Click</td></tr></table>>"
    >>> print(quote("step"), quote('a "b"'))
    "step" "a \\"b\\""
    """
    return '"' + plain(value).replace('"', '\\"') + '"'


def attrs(values: dict[str, Any]) -> str:
    """DOT attributes, every value quoted.

    Examples
    --------
    >>> attrs({"shape": "box", "label": "a b"})
    'shape="box" label="a b"'
    """
    return " ".join(f"{k}={quote(v)}" for k, v in values.items())


def measure(nodes: dict[str, dict[str, Any]], defaults: dict[str, Any],
            engine: str | None) -> dict[str, tuple[float, float]]:
    """Width and height in points of every node, as the Graphviz that will draw them sizes them.

    Examples
    --------
    >>> size = measure({"a": {"label": "Hello"}}, {"shape": "box", "fontname": "DejaVu Sans"}, "embedded")
    >>> size["a"][0] >= 54, size["a"][1] >= 36
    (True, True)
    """
    body = "\n".join(f"{quote(name)} [{attrs(a)}]" for name, a in nodes.items())
    source = f"digraph measure {{\nnode [{attrs(defaults)}]\n{body}\n}}\n"
    data = json.loads(run_graphviz(source, "json0", engine=engine, layout="dot").decode("utf-8", "replace"))
    measured = {}
    for obj in data.get("objects", []):
        if "name" in obj and "width" in obj:
            measured[obj["name"]] = (float(obj["width"]) * 72, float(obj["height"]) * 72)
    missing = sorted(name for name in nodes if plain(name) not in measured)
    if missing:
        raise BlueprintError(f"Graphviz did not size the steps {', '.join(missing)}")
    return {name: measured[plain(name)] for name in nodes}
