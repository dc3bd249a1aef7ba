"""File formats by their suffix: the one table that reading, writing and drawing go by."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .errors import BlueprintError

__all__ = ["SUFFIXES", "format_of", "suffixes_of", "reading_format"]

#: The format each file suffix names.
SUFFIXES = {
    ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".bpmn": "bpmn",
    ".mmd": "mermaid", ".mermaid": "mermaid",
    ".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".html": "html", ".htm": "html",
}


def suffixes_of(formats: Iterable[str]) -> list[str]:
    """The suffixes that name one of `formats`.

    Examples
    --------
    >>> suffixes_of(["yaml", "mermaid"])
    ['.yaml', '.yml', '.mmd', '.mermaid']
    """
    wanted = set(formats)
    return [s for s, f in SUFFIXES.items() if f in wanted]


def format_of(path: str | Path, formats: Iterable[str], format: str | None = None, *,
              hint: str = " or give --format") -> str:
    """The format to write `path` in: `format` when given, else the one its suffix names; either
    must be one of `formats`.

    Examples
    --------
    >>> format_of("fires.png", ["svg", "png"]), format_of("fires.out", ["svg"], "SVG")
    ('png', 'svg')
    >>> format_of("fires.jpeg", ["svg", "png"])
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: cannot tell the format of 'fires.jpeg' from its extension;
    end it with .svg, .png or give --format
    """
    formats = list(formats)
    if format:
        fmt = format.lower().lstrip(".")
        fmt = SUFFIXES.get("." + fmt, fmt)
        if fmt not in formats:
            raise BlueprintError(f"cannot write '{format}' here; use one of {', '.join(formats)}")
        return fmt
    fmt = SUFFIXES.get(Path(path).suffix.lower())
    if fmt not in formats:
        raise BlueprintError(f"cannot tell the format of '{path}' from its extension; end it with "
                             f"{', '.join(suffixes_of(formats))}{hint}")
    return fmt


def reading_format(path: str | Path) -> str:
    """The format to read a blueprint file in: ``json`` or ``bpmn`` when its suffix says so, else
    ``yaml`` (which reads JSON too, whatever the file is called).

    Examples
    --------
    >>> reading_format("fires.JSON"), reading_format("process.bpmn"), reading_format("fires.txt")
    ('json', 'bpmn', 'yaml')
    """
    fmt = SUFFIXES.get(Path(path).suffix.lower())
    return fmt if fmt in ("json", "bpmn") else "yaml"
