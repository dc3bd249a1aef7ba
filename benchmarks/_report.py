"""Shared by the benchmarks: write a section of docs/performance.md without touching the others.

Each benchmark owns one section, fenced by ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->``;
running a benchmark replaces its own section and leaves the rest of the page as it was.
"""
from __future__ import annotations

import platform
import re
import sys
from datetime import date
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
HEADER = """# Performance

Every figure on this page is written by a benchmark in `benchmarks/`, run on one machine in one
go, with the command shown under its heading. Re-run the command to refresh the figures.
"""


def machine() -> str:
    """A one-line description of the machine the figures come from."""
    import os

    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {sys.version.split()[0]}, {date.today().isoformat()}")


def write_section(name: str, markdown: str) -> None:
    """Replace (or add) the section `name` of docs/performance.md with `markdown`."""
    text = PAGE.read_text() if PAGE.exists() else HEADER
    block = f"<!-- bench:{name} -->\n{markdown.strip()}\n<!-- /bench:{name} -->"
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    tmp = PAGE.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(PAGE)


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
