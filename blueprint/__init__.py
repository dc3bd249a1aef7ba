"""blueprint: service blueprinting and process modelling.

Describe a service as steps in lanes owned by teams, then find where it fails its customers
(:func:`check`), compute exact expectations (:func:`stats`), simulate it (:func:`simulate`),
ask what-if questions (:func:`whatif`, :func:`explore`), draw it (:func:`render`), exchange it
with BPMN tools and event logs (:func:`discover`) and hold it against a real log (:func:`replay`).

>>> import blueprint as bp
>>> model = bp.loads('''
... teams: {desk: {name: Help desk, staff: 1}}
... steps:
...   ask: {name: Asks a question, lane: customer, channel: phone}
...   answer: {name: Answers, lane: frontstage, owner: desk, duration: 5}
...   done: {outcome: success}
... flows: [[ask, answer], [answer, done]]
... arrivals: {rate: 6/hour}
... ''')
>>> len(bp.check(model))
0
"""
from .chain import Stats, stats
from .checker import check
from .compare import compare
from .drawing.render import render
from .errors import BlueprintError, Problem
from .explore import explore
from .findings import Finding, Report
from .loader import load, loads
from .logs.discover import discover
from .logs.replay import Replay, replay
from .model import Blueprint, Flow, Step, Team
from .report import report
from .simulation import simulate
from .version import __version__
from .whatif import whatif

__all__ = ["Blueprint", "BlueprintError", "Finding", "Flow", "Problem", "Replay", "Report", "Step", "Team",
           "Stats", "check", "compare", "discover", "explore", "load", "loads", "render", "replay", "report",
           "simulate", "stats", "whatif", "__version__"]


def _repr_svg_(model: Blueprint) -> str:
    """The drawing Jupyter shows for a blueprint (``render(model, format="svg")``)."""
    return render(model, format="svg")


# Jupyter looks for ``_repr_svg_`` on the object it shows. The model is the bottom of the package
# and the drawing is layers above it, so the package, which holds both, gives the model its drawing
# here: every import of a blueprint module runs this file first.
Blueprint._repr_svg_ = _repr_svg_
