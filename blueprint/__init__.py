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
from importlib import metadata as _metadata

try:  # the distribution is `service-blueprint` (`blueprint` on PyPI is another project); the import is `blueprint`
    __version__ = _metadata.version("service-blueprint")
except _metadata.PackageNotFoundError:  # run from a source tree that is not installed
    __version__ = "0.1.0"
# (set before the imports below: modules they import read it, bpmn's exporter, while the package loads)

from .chain import Stats, stats
from .checker import check
from .compare import compare
from .logs.discover import discover
from .errors import BlueprintError, Problem
from .explore import explore
from .findings import Finding, Report
from .loader import load, loads
from .model import Blueprint, Flow, Step, Team
from .drawing.render import render
from .logs.replay import Replay, replay
from .report import report
from .simulation import simulate
from .whatif import whatif

__all__ = ["Blueprint", "BlueprintError", "Finding", "Flow", "Problem", "Replay", "Report", "Step", "Team",
           "Stats", "check", "compare", "discover", "explore", "load", "loads", "render", "replay", "report",
           "simulate", "stats", "whatif"]
