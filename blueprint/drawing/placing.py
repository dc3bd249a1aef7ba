"""Finding a free place for the label of an arrow: beside the arrow, over no other label, arrow or step.

Graphviz routes the arrows around the steps but puts an arrow's label wherever it likes, often on
another arrow. :func:`place_labels` moves each label along its own arrow, on either side, and
keeps the first place where its box touches nothing: no step or other text, no arrow (its own
included), inside the band it belongs to. Where no such place exists it settles, in turn, for
crossing a line between lanes, then for crossing another arrow, and last for the place that
covers the least text.

Points are in the drawing's coordinates (x right, y down), boxes ``(x0, y0, x1, y1)``.
"""
from __future__ import annotations

import math
import re
from itertools import chain

__all__ = ["path_points", "place_labels", "overlaps", "crosses"]

Box = tuple[float, float, float, float]
Point = tuple[float, float]

#: Where along its arrow a label is tried, from the middle out.
_ALONG = (0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82, 0.1, 0.9, 0.05, 0.95)
#: How far from the arrow.
_AWAY = (3.0, 9.0, 18.0, 30.0, 45.0)


def path_points(d: str, dy: float = 0.0, steps: int = 10) -> list[Point]:
    """The points of an SVG path of lines and cubic curves (as Graphviz writes them), shifted by `dy`.

    Examples
    --------
    >>> path_points("M0,0 C0,10 10,10 10,0", steps=2)
    [(0.0, 0.0), (5.0, 7.5), (10.0, 0.0)]
    >>> path_points("M0,0L3,4", dy=1)
    [(0.0, 1.0), (3.0, 5.0)]
    """
    tokens = re.findall(r"[MCLmcl]|-?\d*\.?\d+(?:e-?\d+)?", d)
    points: list[Point] = []
    command, numbers = None, []

    def flush():
        nonlocal numbers
        if command == "M" and len(numbers) >= 2:
            points.append((numbers[0], numbers[1] + dy))
            rest = numbers[2:]
            for i in range(0, len(rest) - 1, 2):
                points.append((rest[i], rest[i + 1] + dy))
        elif command == "L":
            for i in range(0, len(numbers) - 1, 2):
                points.append((numbers[i], numbers[i + 1] + dy))
        elif command == "C" and points:
            for i in range(0, len(numbers) - 5, 6):
                p0 = points[-1]
                c1, c2 = (numbers[i], numbers[i + 1] + dy), (numbers[i + 2], numbers[i + 3] + dy)
                p3 = (numbers[i + 4], numbers[i + 5] + dy)
                for k in range(1, steps + 1):
                    t = k / steps
                    a, b, c, e = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
                    points.append((a * p0[0] + b * c1[0] + c * c2[0] + e * p3[0],
                                   a * p0[1] + b * c1[1] + c * c2[1] + e * p3[1]))
        numbers = []

    for token in tokens:
        if token.isalpha():
            flush()
            command = token.upper()
        else:
            numbers.append(float(token))
    flush()
    return points


def overlaps(a: Box, b: Box, margin: float = 0.5) -> bool:
    """Whether two boxes overlap (touching within `margin` does not count).

    Examples
    --------
    >>> overlaps((0, 0, 10, 10), (9, 9, 20, 20)), overlaps((0, 0, 10, 10), (10, 0, 20, 10))
    (True, False)
    """
    return a[0] < b[2] - margin and b[0] < a[2] - margin and a[1] < b[3] - margin and b[1] < a[3] - margin


def _segment_hits(box: Box, p: Point, q: Point) -> bool:
    """Whether the segment p-q passes through the box (Liang-Barsky clipping)."""
    x0, y0, x1, y1 = box
    dx, dy = q[0] - p[0], q[1] - p[1]
    low, high = 0.0, 1.0
    for edge_p, edge_q in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if edge_p == 0:
            if edge_q < 0:
                return False
            continue
        t = edge_q / edge_p
        if edge_p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return False
    return True


def crosses(box: Box, line: list[Point]) -> bool:
    """Whether a polyline passes through a box.

    Examples
    --------
    >>> crosses((0, 0, 10, 10), [(-5, 5), (15, 5)]), crosses((0, 0, 10, 10), [(-5, 15), (15, 15)])
    (True, False)
    """
    return any(_segment_hits(box, a, b) for a, b in zip(line, line[1:]))


def _along(line: list[Point], t: float) -> tuple[Point, Point]:
    """The point at fraction `t` of a polyline's length, and the direction there."""
    lengths = [((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5 for a, b in zip(line, line[1:])]
    goal = t * sum(lengths)
    for (a, b), length in zip(zip(line, line[1:]), lengths):
        if goal <= length and length > 0:
            f = goal / length
            return (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])), (b[0] - a[0], b[1] - a[1])
        goal -= length
    return line[-1], (line[-1][0] - line[-2][0], line[-1][1] - line[-2][1]) if len(line) > 1 else (1.0, 0.0)


def _candidates(line: list[Point], w: float, h: float):
    for away in _AWAY:
        for t in _ALONG:
            (x, y), (dx, dy) = _along(line, t)
            if abs(dx) >= abs(dy):  # a flat stretch: above or below it, centred or to one side
                centres = [(x + shift, y + side * (h / 2 + away)) for shift in (0, w / 2, -w / 2) for side in (-1, 1)]
            else:                   # a steep one: beside it, level or to one side
                centres = [(x + side * (w / 2 + away), y + shift) for shift in (0, h / 2, -h / 2) for side in (1, -1)]
            for cx, cy in centres:
                yield cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _around(line: list[Point], w: float, h: float, reach: float = 160.0, step: float = 6.0):
    """Boxes ever further from the middle of an arrow, ring by ring: where to look when no place
    beside the arrow is free."""
    (x, y), _ = _along(line, 0.5)
    ring = step
    while ring <= reach:
        n = max(8, int(2 * math.pi * ring / step))
        for k in range(n):
            angle = 2 * math.pi * k / n
            cx, cy = x + ring * math.cos(angle), y + ring * math.sin(angle) * 0.6
            yield cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
        ring += step


def place_labels(labels: list[tuple[str, float, float, list[Point], Box]], boxes: list[Box],
                 arrows: dict[str, list[Point]], lines: list[list[Point]]) -> dict[str, Box]:
    """A box for each label, beside its own arrow.

    Parameters
    ----------
    labels : list of (id, width, height, arrow, bounds)
        Each label's size, the arrow it belongs to and the box it must stay inside.
    boxes : list of box
        What no label may cover: steps, notes, titles, marks, icons, other texts.
    arrows : dict
        Every arrow by id; a label crosses none of them, its own included.
    lines : list of polyline
        Lines a label should not cross but may when there is no other place (lines between lanes).

    Examples
    --------
    >>> arrow = [(0.0, 0.0), (100.0, 0.0)]
    >>> taken = [(40, -20, 60, -1)]  # above is taken
    >>> place_labels([("a", 20, 10, arrow, (-50, -50, 150, 50))], taken, {"a": arrow}, [])
    {'a': (40.0, 3.0, 60.0, 13.0)}
    """
    placed: dict[str, Box] = {}
    taken = list(boxes)
    for name, w, h, arrow, bounds in labels:
        if len(arrow) < 2:
            continue
        best, best_cost = None, None
        for box in chain(_candidates(arrow, w, h), _around(arrow, w, h)):
            if not (bounds[0] <= box[0] and box[2] <= bounds[2] and bounds[1] <= box[1] and box[3] <= bounds[3]):
                continue
            texts = sum(overlaps(box, other) for other in taken)
            if texts and best_cost is not None and best_cost[0] == 0:
                continue
            own = crosses(box, arrow)
            others = sum(crosses(box, line) for key, line in arrows.items() if key != name)
            dividers = sum(crosses(box, line) for line in lines)
            cost = (texts, own + others, dividers)
            if cost == (0, 0, 0):
                best = box
                break
            if best_cost is None or cost < best_cost:
                best, best_cost = box, cost
        if best is None:
            (x, y), _ = _along(arrow, 0.5)
            best = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        placed[name] = best
        taken.append(best)
    return placed
