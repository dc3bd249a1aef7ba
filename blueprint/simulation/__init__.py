"""Simulation: cases flowing through teams with finite staff.

:func:`simulate` runs a blueprint as a discrete-event simulation and returns a
:class:`SimulationResult`. The package is in four parts, each importing only the ones before it
(and the format: model, durations, hours, ways, story), so the engine and the results never
import each other:

* :mod:`~blueprint.simulation.plan`: the blueprint prepared once into plain data
  (:func:`prepare`), and :mod:`~blueprint.simulation.duty` for team hours in simulated time;
* :mod:`~blueprint.simulation.streams`: the named random streams, one per purpose;
* :mod:`~blueprint.simulation.engine`: the event loop (:func:`run_replication`), with one named
  handler per kind of event, over the steps, teams, cases and branches of
  :mod:`~blueprint.simulation.parts`, leaving a :class:`~blueprint.simulation.tally.Replication`;
* :mod:`~blueprint.simulation.kpis` and :mod:`~blueprint.simulation.results`: the KPIs pooled
  over replications, their intervals, the SPEC's JSON, a table, the event rows;
  :mod:`~blueprint.simulation.run` puts them together (:func:`simulate`).

The same event loop also runs **compiled** (:mod:`~blueprint.simulation.compiled`, with
:mod:`~blueprint.simulation.loop` and :mod:`~blueprint.simulation.kernel` over the arrays of
:mod:`~blueprint.simulation.arrays`): numba compiles the engine's handlers, written again over
arrays, once per installation. It gives the same result on a seed, bit for bit, several times
faster; ``simulate(..., engine="auto")`` takes it for runs long enough to pay for loading it
(about a third of a second per process).

What the simulation does with each key of the file
--------------------------------------------------
* ``arrivals``: ``{every: D}`` one case after another, ``D`` apart (the first after one ``D``);
  ``{rate: N/unit}`` Poisson arrivals; ``{at: [...]}`` a case at each time. **Without**
  ``arrivals``, cases arrive at random (Poisson) at **one per time_unit**. ``start`` picks each
  case's entry step by its weights.
* ``teams``: a team with ``staff: c`` works on at most ``c`` cases at once; the others wait in the
  team's one queue, first come first served. No ``staff`` means unlimited (``external`` teams too,
  unless staffed); ``staff: 0`` means nobody: cases wait for ever. ``hours`` stop a team *starting*
  work outside them (work started goes on until it is done). **Time 0 is Monday 00:00.**
* ``duration``: every distribution of the format, in ``time_unit``. Customer steps and steps
  nobody owns take their duration without queueing. Outcome steps take no time.
* ``flows``: after a step, a case takes one flow, chosen by ``p`` (equal chances without ``p``);
  ``split: all`` sends it down every flow at once (one *branch* each); ``join: all`` waits until a
  branch of the case has come in along every incoming flow, then one branch goes on (a branch
  that reaches a join another way, e.g. by a timeout, goes straight through).
* ``can`` / ``needs``: a step its team cannot do (:func:`blueprint.ways.incapable`) is never worked
  on: the case waits there for the step's timeout, or for ever.
* ``timeout: {after, to}``: a step not finished ``after`` the case reached it (queueing included)
  is left by the timeout's way, freeing the staff member working on it.
* ``patience``: a case not finished by then is abandoned (outcome ``abandoned``), wherever its
  branches are.
* An outcome ends the case (other branches of it stop, ``cancelled``). A dead end (a step with no
  way out) keeps the case ``in_progress``. A case that enters a loop it can never leave (the
  ``livelock`` of ``check``) stops at the door of that loop: it stays ``in_progress`` (or is
  abandoned when its patience runs out), as going round for ever would never end.

What is counted (the same definitions as :func:`blueprint.stats`)
------------------------------------------------------------------
When a case (or a branch of it) reaches a step:

* a **contact** for a customer step with a ``channel``;
* a **handoff** when the step's owner differs from the owner of the last owned step the same
  branch went through (customer and unowned steps in between do not reset that memory; a branch
  made by a split remembers what the case remembered; each branch that comes into a join from
  another team is a handoff of its own, and the case goes on from the join with the join's owner);
* a **story repeat** for a frontstage step whose owner shares no system with any team that owned
  a step the case reached before (when there was one; :mod:`blueprint.story`).

A case that joins a team's queue has been handed over even if it leaves it unserved (a timeout,
its patience). How time moves, and the order of events at one time, is told in
:mod:`blueprint.simulation.engine`; the random numbers in :mod:`blueprint.simulation.streams`.

Examples
--------
>>> import blueprint as bp
>>> model = bp.loads('''
... teams: {desk: {name: Help desk, staff: 1}}
... steps:
...   ask: {lane: customer, channel: phone}
...   answer: {lane: frontstage, owner: desk, duration: {exponential: 0.5}}
...   done: {outcome: success}
... flows: [[ask, answer], [answer, done]]
... ''')
>>> result = bp.simulate(model, cases=1000, seed=1)
>>> doc = result.to_json()
>>> doc["cases"]["arrived"], doc["cases"]["by_outcome"], doc["contacts"]["mean"]
(1000, {'done': 1000}, 1.0)
>>> 0.4 < doc["teams"]["desk"]["utilization"] < 0.6
True
"""
from .engine import END, OPEN, PATIENCE, STOP, TIMEOUT, Engine, run_replication
from .kpis import ci95, kpis
from .parts import STATUSES
from .plan import Plan, prepare
from .results import SimulationResult
from .run import DEFAULT_CASES, simulate
from .streams import stream
from .tally import EXACT_CASES, Replication

__all__ = ["simulate", "prepare", "run_replication", "Plan", "Replication", "SimulationResult", "Engine",
           "DEFAULT_CASES", "EXACT_CASES", "END", "OPEN", "TIMEOUT", "PATIENCE", "STOP", "STATUSES",
           "kpis", "ci95", "stream"]
