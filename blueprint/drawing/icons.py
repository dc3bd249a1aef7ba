"""Small pictures drawn into the SVG: a channel's icon, a finding's numbered mark, the key's samples.

They are vector shapes, not characters of a font, so they look the same in the SVG, the PNG and
the PDF whatever fonts the machine has. Each function adds SVG elements to a parent element.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from .style import (
    ARROW,
    CHANNEL_COLOUR,
    DASH,
    EVIDENCE,
    FAILURE,
    FEELING,
    FONTS,
    LINE,
    MARK_RADIUS,
    OUTSIDE_FILL,
    OUTSIDE_STROKE,
    SAMPLE,
    SEVERITY_COLOUR,
    STEP_STROKE,
    SUCCESS,
    TIMEOUT,
)

__all__ = ["channel_icon", "mark", "sample", "q", "SVG"]

SVG = "http://www.w3.org/2000/svg"
ICON_RADIUS = 8.5

#: Each channel's icon: SVG path data in a 12 x 12 box centred on 0, 0, and whether it is filled.
ICONS = {
    "phone": ("M-3.9,-5.2 L-1.7,-3 L-2.6,-1.2 C-1.9,0.5 -0.6,1.8 1.1,2.6 L2.9,1.7 L5.1,3.9 L3.6,5.4 "
              "C-1.6,5 -5.1,1.5 -5.4,-3.6 Z", True),
    "email": ("M-5.5,-3.8 H5.5 V3.8 H-5.5 Z M-5.5,-3.8 L0,0.8 L5.5,-3.8", False),
    "letter": ("M-4,-5.5 H2 L4,-3.5 V5.5 H-4 Z M-2.2,-2 H2.2 M-2.2,0.5 H2.2 M-2.2,3 H1", False),
    "store": ("M-5.5,-1.5 L-4.5,-5 H4.5 L5.5,-1.5 Z M-4.5,-1.5 V5 H4.5 V-1.5 M-1.5,5 V1.5 H1.5 V5", False),
    "social": ("M-3.5,0 L3,-3.5 M-3.5,0 L3,3.5 M-2,0 A1.8,1.8 0 1 1 -5.6,0 A1.8,1.8 0 1 1 -2,0 "
               "M4.8,-3.5 A1.8,1.8 0 1 1 1.2,-3.5 A1.8,1.8 0 1 1 4.8,-3.5 "
               "M4.8,3.5 A1.8,1.8 0 1 1 1.2,3.5 A1.8,1.8 0 1 1 4.8,3.5", False),
    "chat": ("M-5.5,-4.5 H5.5 V2 H-1 L-4,5 V2 H-5.5 Z", False),
    "home": ("M-5.8,-0.5 L0,-5.5 L5.8,-0.5 M-4,-1.8 V5 H4 V-1.8 M-1.3,5 V1.5 H1.3 V5", False),
    "other": ("M-2.6,0 A2.6,2.6 0 1 1 2.6,0 A2.6,2.6 0 1 1 -2.6,0 Z", True),
}


def q(tag: str) -> str:
    """An SVG tag in the SVG namespace."""
    return f"{{{SVG}}}{tag}"


def _text(parent, x: float, y: float, text: str, size: float, fill: str, **extra) -> ET.Element:
    t = ET.SubElement(parent, q("text"), {"x": f"{x:.2f}", "y": f"{y:.2f}", "font-family": FONTS,
                                          "font-size": f"{size:g}", "fill": fill, **extra})
    t.text = text
    return t


def channel_icon(parent, kind: str, cx: float, cy: float, *, badge: bool = True) -> ET.Element:
    """A channel's icon centred at (cx, cy), on a white disc when `badge`."""
    group = ET.SubElement(parent, q("g"), {"class": f"channel channel-{kind}"})
    if badge:
        ET.SubElement(group, q("circle"), {"cx": f"{cx:.2f}", "cy": f"{cy:.2f}", "r": f"{ICON_RADIUS}",
                                           "fill": "white", "stroke": CHANNEL_COLOUR, "stroke-width": "0.9"})
    path, filled = ICONS.get(kind, ICONS["other"])
    ET.SubElement(group, q("path"), {
        "d": path, "transform": f"translate({cx:.2f},{cy:.2f}) scale(0.95)",
        "fill": CHANNEL_COLOUR if filled else "none", "stroke": "none" if filled else CHANNEL_COLOUR,
        "stroke-width": "1.1", "stroke-linejoin": "round", "stroke-linecap": "round"})
    return group


def mark(parent, number: int, severity: str, cx: float, cy: float) -> ET.Element:
    """A finding's numbered mark centred at (cx, cy), in its severity's colour."""
    group = ET.SubElement(parent, q("g"), {"class": f"mark mark-{severity}"})
    ET.SubElement(group, q("circle"), {"cx": f"{cx:.2f}", "cy": f"{cy:.2f}", "r": f"{MARK_RADIUS}",
                                       "fill": SEVERITY_COLOUR[severity], "stroke": "white", "stroke-width": "1.2"})
    size = 9 if number < 10 else 8 if number < 100 else 6.5
    _text(group, cx, cy + size * 0.36, str(number), size, "white", **{"text-anchor": "middle", "font-weight": "bold"})
    return group


def _step(parent, x, y, fill="white", stroke=STEP_STROKE, width=1.2, style=None):
    w, h = SAMPLE
    extra = {"stroke-dasharray": DASH[style]} if style in DASH else {}
    ET.SubElement(parent, q("rect"), {"x": f"{x}", "y": f"{y}", "width": f"{w}", "height": f"{h}", "rx": "3",
                                      "fill": fill, "stroke": stroke, "stroke-width": f"{width}", **extra})


def _arrow(parent, x, y, colour, dash=None, head=True, width="1"):
    extra = {"stroke-dasharray": dash} if dash else {}
    ET.SubElement(parent, q("path"), {"d": f"M{x},{y + 5.5} L{x + 24},{y + 5.5}", "stroke": colour,
                                      "stroke-width": width, "fill": "none", **extra})
    if head:
        ET.SubElement(parent, q("polygon"), {"points": f"{x + 24},{y + 2.5} {x + 29},{y + 5.5} {x + 24},{y + 8.5}",
                                             "fill": colour, "stroke": colour})


def sample(parent, kind: str, x: float, y: float, o: dict[str, Any]) -> None:
    """A sample of a drawing element for the key, its top left at (x, y), 28 x 11 points."""
    w, h = SAMPLE
    if kind == "step":
        _step(parent, x, y)
    elif kind == "outside":
        _step(parent, x, y, fill=OUTSIDE_FILL, stroke=OUTSIDE_STROKE, style="dashed")
    elif kind == "error":
        _step(parent, x, y, stroke=SEVERITY_COLOUR["error"], width=3)
    elif kind == "success":
        for rx, ry in ((14, 6), (11.5, 4)):
            ET.SubElement(parent, q("ellipse"), {"cx": f"{x + 14}", "cy": f"{y + 5.5}", "rx": str(rx), "ry": str(ry),
                                                 "fill": SUCCESS[1] if rx == 11.5 else "none", "stroke": SUCCESS[0]})
    elif kind == "failure":
        pts = [(x + 6, y), (x + 22, y), (x + 28, y + 3.5), (x + 28, y + 7.5), (x + 22, y + 11), (x + 6, y + 11),
               (x, y + 7.5), (x, y + 3.5)]
        ET.SubElement(parent, q("polygon"), {"points": " ".join(f"{a:.1f},{b:.1f}" for a, b in pts),
                                             "fill": FAILURE[1], "stroke": FAILURE[0], "stroke-width": "1.6"})
    elif kind == "evidence":
        pts = [(x + 4, y), (x + 21, y), (x + 24, y + 3), (x + 24, y + 11), (x + 4, y + 11)]
        ET.SubElement(parent, q("polygon"), {"points": " ".join(f"{a:.1f},{b:.1f}" for a, b in pts),
                                             "fill": EVIDENCE[1], "stroke": EVIDENCE[0]})
    elif kind == "flow":
        _arrow(parent, x, y, ARROW)
    elif kind == "timeout":
        _arrow(parent, x, y, TIMEOUT, dash="5,2")
    elif kind == "line":
        _arrow(parent, x, y, LINE, dash="5,2", head=False, width="1.6")
    elif kind == "feeling":
        pts = [(x + 1, y + 8), (x + 9, y + 3), (x + 18, y + 9), (x + 27, y + 2)]
        ET.SubElement(parent, q("polyline"), {"points": " ".join(f"{a},{b}" for a, b in pts), "fill": "none",
                                              "stroke": FEELING["line"], "stroke-width": "1.4"})
        for (a, b), colour in zip(pts, ("good", "good", "bad", "good")):
            ET.SubElement(parent, q("circle"), {"cx": f"{a}", "cy": f"{b}", "r": "2", "fill": FEELING[colour]})
    elif kind == "channel":
        channel_icon(parent, o.get("kind", "other"), x + w / 2, y + h / 2)
    elif kind == "connector":
        r = 7.5
        ET.SubElement(parent, q("circle"), {"cx": f"{x + w / 2}", "cy": f"{y + h / 2}", "r": f"{r}", "fill": LINE})
        _text(parent, x + w / 2, y + h / 2 + 3.2, o.get("letter", "A"), 9, "white",
              **{"text-anchor": "middle", "font-weight": "bold"})
    elif kind == "mark":
        mark(parent, o["number"], o["severity"], x + MARK_RADIUS, y + MARK_RADIUS)
    elif kind == "ok":
        _text(parent, x + w / 2, y + 9.5, "✔", 11, SUCCESS[0], **{"text-anchor": "middle"})
    elif kind == "glyph":
        _text(parent, x + w / 2, y + 9.5, o["glyph"], 11, o.get("fill", "#1B1B1B"), **{"text-anchor": "middle"})
    elif kind in ("swatch", "system"):
        fill = o["fill"]
        ET.SubElement(parent, q("rect"), {"x": f"{x + (8 if kind == 'system' else 0)}", "y": f"{y}",
                                          "width": "12" if kind == "system" else f"{w}", "height": f"{h}",
                                          "rx": "2" if kind == "system" else "0", "fill": fill,
                                          "stroke": "#9E9E9E" if fill != "none" else "#B0BEC5",
                                          "stroke-width": "0.5" if fill != "none" else "1",
                                          **({"stroke-dasharray": "2,1.5"} if fill == "none" else {})})
    elif kind == "bar":
        share = max(0.0, min(float(o.get("share", 0)), 1.0))
        ET.SubElement(parent, q("rect"), {"x": f"{x}", "y": f"{y}", "width": f"{w}", "height": f"{h}", "fill": "white",
                                          "stroke": "#9E9E9E", "stroke-width": "0.5"})
        ET.SubElement(parent, q("rect"), {"x": f"{x}", "y": f"{y}", "width": f"{w * share:.2f}", "height": f"{h}",
                                          "fill": o["fill"], "stroke": "none"})
