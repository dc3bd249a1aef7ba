"""Numbers as people read them: on a drawing, in a table, in a report.

Plain functions of a number (no model): used by the drawing, the HTML tables and the report, so
a figure is written the same way wherever it appears.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["number", "percent", "figure", "interval", "signed", "cell"]


def number(x: float) -> str:
    """A number for a label, with no more digits than it needs.

    Examples
    --------
    >>> number(3.0), number(0.25), number(5 / 3), number(1234.5), number(float("inf"))
    ('3', '0.25', '1.67', '1234', '∞')
    """
    if not math.isfinite(x):
        return "∞" if x > 0 else "-∞" if x < 0 else "?"
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}" if abs(x) >= 0.01 else f"{x:.2g}"


def percent(p: float) -> str:
    """A chance as a percentage.

    Examples
    --------
    >>> percent(0.6), percent(1 / 3), percent(0.005), percent(1.0)
    ('60%', '33.3%', '0.5%', '100%')
    """
    value = 100 * p
    if abs(value - round(value)) < 1e-9:
        return f"{round(value)}%"
    return f"{value:.3g}%"


def figure(x: Any, digits: int = 3) -> str:
    """A figure in a table: thousands separated, `digits` significant digits, ``-`` for none.

    Examples
    --------
    >>> figure(1234567.8), figure(0.123456), figure(None), figure(12), figure(float("inf"))
    ('1,234,568', '0.123', '-', '12', 'infinite')
    """
    if x is None or isinstance(x, bool):
        return "-" if x is None else str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if not isinstance(x, float):
        return str(x)
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return "infinite"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    text = f"{x:.{digits}g}"
    return text if "e" not in text else f"{x:.2e}"


def signed(x: Any, digits: int = 3) -> str:
    """A change, with its sign.

    Examples
    --------
    >>> signed(-1.23456), signed(0.5), signed(None)
    ('-1.23', '+0.5', '-')
    """
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        return "-"
    return ("+" if x > 0 else "") + figure(float(x), digits)


def interval(pair: Sequence[float] | None, digits: int = 3) -> str:
    """A 95% interval as ``[low, high]``, or ``n/a`` without one.

    Examples
    --------
    >>> interval([1.2345, 2.5]), interval(None)
    ('[1.23, 2.5]', 'n/a')
    """
    if not pair:
        return "n/a"
    return f"[{figure(float(pair[0]), digits)}, {figure(float(pair[1]), digits)}]"


def cell(x: Any, width: int = 10) -> str:
    """A figure right-aligned in a column of a text table (``-`` for none), as simulate's report writes it.

    Examples
    --------
    >>> cell(12.3456), cell(1234567.8), cell(None, 4), cell(42)
    ('      12.3', ' 1,234,568', '   -', '        42')
    """
    if x is None:
        return f"{'-':>{width}}"
    if isinstance(x, int):
        return f"{x:>{width},}"
    return f"{x:>{width},.3g}" if abs(x) < 1000 else f"{x:>{width},.0f}"
