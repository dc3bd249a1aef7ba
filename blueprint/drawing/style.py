"""How a blueprint drawing looks: colours, lines, fonts and sizes, in one place.

The swimlane SVG (:mod:`blueprint.drawing.swimlane`, :mod:`blueprint.drawing.dress`), the Mermaid flowchart, the
HTML page and the report all take their look from here, so a finding is the same red wherever it
is shown. Sizes are in points (1/72 inch), as Graphviz measures.
"""
from __future__ import annotations

__all__ = ["FONT", "FONTS", "LANE_COLOURS", "SEVERITY_COLOUR", "LOOKS", "PAGES", "lane_colour"]

#: Graphviz sizes the labels for DejaVu Sans, the widest of the common sans-serif fonts; where it
#: is missing, the narrower ones still fit.
FONT = "DejaVu Sans"
FONTS = "'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif"

# --- colours ---------------------------------------------------------------------------------------
INK = "#263238"          # titles, headings
TEXT = "#1B1B1B"         # step names
MUTED = "#546E7A"        # captions
LINE = "#37474F"         # the lines between lanes, stage headers
ARROW = "#455A64"        # flows
TIMEOUT = "#6D4C41"      # a timeout's way out
LANE_COLOURS = {"customer": "#FFF6DA", "frontstage": "#E3F0FB", "backstage": "#E6F4E7", "support": "#F1E8F6"}
EXTRA_LANE_COLOURS = ("#EEF0F2", "#FBEDE6", "#E6F3F3")
#: An outside party's strip of a lane: grey, hatched, its steps dashed.
OUTSIDE_FILL = "#ECEFF1"
OUTSIDE_HATCH = "#CFD8DC"
OUTSIDE_STROKE = "#78909C"
SEVERITY_COLOUR = {"error": "#C62828", "warning": "#E65100", "info": "#1565C0"}
SUCCESS = ("#2E7D32", "#E8F5E9")   # stroke, fill
FAILURE = ("#B71C1C", "#FFEBEE")
EVIDENCE = ("#A1887F", "#FFFDE7")
STEP_STROKE = "#78909C"
#: How the customer feels: the curve's line, and its points above and below 0.
FEELING = {"line": "#5D4037", "good": "#2E7D32", "bad": "#C62828", "neutral": "#78909C", "row": "#FFFBF0"}
CHANNEL_COLOUR = "#5D4037"
#: One colour per system (case record), in the order the systems are first named.
SYSTEM_COLOURS = ("#1E88E5", "#8E24AA", "#00897B", "#F4511E", "#6D4C41", "#3949AB", "#C0CA33", "#D81B60")
#: Light to dark, for steps by expected visits and teams by utilisation.
VISIT_COLOURS = ("#F4FBFB", "#D2EEEF", "#A9DCDF", "#7CC5CB", "#4FA9B0")  # teal: apart from the findings' colours
TEAM_COLOURS = ("#F2F0F7", "#DADAEB", "#BCBDDC", "#9E9AC8", "#8A84C0")

# --- lines -----------------------------------------------------------------------------------------
ERROR_PEN = 3.0          # the outline of a step with an error
STEP_PEN = 1.2
DASH = {"dashed": "5,2", "dotted": "1.5,2.5"}

# --- text: (font size, colour, weight, style) by the kind of a label line ---------------------------
LOOKS = {
    "name": (11, TEXT, "normal", "normal"),
    "kind": (9, ARROW, "normal", "italic"),
    "owner": (10, LINE, "normal", "italic"),
    "outside": (10, "#607D8B", "normal", "italic"),
    "contact": (10, CHANNEL_COLOUR, "normal", "normal"),
    "fail": (10, "#B71C1C", "normal", "normal"),
    "moment": (10, "#8D6E00", "normal", "italic"),
    "split": (10, "#4A148C", "normal", "normal"),
    "join": (10, "#4A148C", "normal", "normal"),
    "visits": (10, "#3E2723", "normal", "normal"),
    "lane": (12, INK, "bold", "normal"),
    "title": (18, INK, "normal", "normal"),
    "caption": (9, MUTED, "normal", "italic"),
    "line": (10, INK, "normal", "italic"),
    "evidence": (10, "#3E2723", "normal", "normal"),
    "flow": (10, INK, "normal", "normal"),
    "timeout": (10, TIMEOUT, "normal", "normal"),
    "heading": (12, INK, "bold", "normal"),
    "key": (10, INK, "normal", "normal"),
    "where": (10, TEXT, "bold", "normal"),
    "finding-error": (10, SEVERITY_COLOUR["error"], "normal", "normal"),
    "finding-warning": (10, "#BF360C", "normal", "normal"),
    "finding-info": (10, SEVERITY_COLOUR["info"], "normal", "normal"),
    "connector": (10, "white", "bold", "normal"),
}
NODE_FONT_SIZE = 11      # Graphviz measures every line at this size; LOOKS only ever make it smaller or bold

# --- sizes (points) --------------------------------------------------------------------------------
NAME_WIDTH = 20          # characters before a step's name wraps
PANEL_WIDTH = 44         # characters before a line of the key wraps
PAD = 12.0               # around the drawing
COLUMN_GAP = 64.0        # between columns where an arrow leaves with a label: room for it
NARROW_GAP = 40.0        # between the other columns
STACK_GAP = 22.0         # between steps stacked in one lane and column
LANE_PAD = 14.0          # above and below the steps of a lane
LANE_GAP = 20.0          # between lanes: the line between them runs in the middle
STAGE_HEIGHT = 24.0
FEELING_HEIGHT = 46.0    # the row of the emotion curve
BAND_GAP = 28.0          # between two bands of a wrapped journey
MIN_COLUMN = 60.0
MARK_RADIUS = 7.5        # a numbered finding marker
CONNECTOR = 18.0         # the circle that carries a flow from one band to another
SAMPLE = (28.0, 11.0)    # a sample in the key
ROW = 15.0               # a row of the key

#: Landscape pages, in points: the shape a drawing is fitted to.
PAGES = {"a4": (842.0, 595.0), "a3": (1191.0, 842.0)}
#: The smallest scale at which a drawing on its page is still readable (11 pt names at 6 pt).
READABLE = 6.0 / NODE_FONT_SIZE
#: A drawing is never wider than this many times its height, nor taller.
MOST_ASPECT = 2.0

#: The lines drawn between two lanes, by the lanes above and below.
LINE_NAMES = {("customer", "frontstage"): "line of interaction",
              ("frontstage", "backstage"): "line of visibility",
              ("backstage", "support"): "line of internal interaction"}
LANE_CAPTIONS = {"customer": "what the customer does", "frontstage": "staff the customer meets",
                 "backstage": "work the customer doesn't see", "support": "processes and systems behind it"}


def lane_colour(lanes: list[str], lane: str) -> str:
    """The fill of a lane: its own colour, or one of the extra colours for a declared lane.

    Examples
    --------
    >>> lane_colour(["customer", "partners"], "customer"), lane_colour(["customer", "partners"], "partners")
    ('#FFF6DA', '#EEF0F2')
    """
    if lane in LANE_COLOURS:
        return LANE_COLOURS[lane]
    extras = [x for x in lanes if x not in LANE_COLOURS]
    return EXTRA_LANE_COLOURS[extras.index(lane) % len(EXTRA_LANE_COLOURS)]


def system_colours(systems: list[str]) -> dict[str, str]:
    """A colour for every system, in order.

    Examples
    --------
    >>> system_colours(["crm", "till"])
    {'crm': '#1E88E5', 'till': '#8E24AA'}
    """
    return {s: SYSTEM_COLOURS[i % len(SYSTEM_COLOURS)] for i, s in enumerate(systems)}


def mermaid_class(severity: str) -> str:
    """The Mermaid ``classDef`` style of a step with a finding of this severity.

    Examples
    --------
    >>> mermaid_class("error")
    'stroke:#C62828,stroke-width:3px'
    """
    colour = SEVERITY_COLOUR[severity]
    if severity == "error":
        return f"stroke:{colour},stroke-width:3px"
    dash = "5 3" if severity == "warning" else "2 2"
    return f"stroke:{colour},stroke-width:2px,stroke-dasharray:{dash}"
