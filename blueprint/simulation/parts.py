"""What the event loop moves and keeps: steps, teams, cases and the branches of cases.

As in Ciw, the simulation is told in its own nouns. A :class:`Team` works on at most ``staff``
cases at once and keeps one first-come-first-served queue; a :class:`Case` arrives, is worked on
and ends at an outcome (or is abandoned); a case moves as one :class:`Branch`, or as several after
a ``split: all``. A :class:`Step` is a step of the plan with what one replication draws for it
(its own random streams, :mod:`blueprint.simulation.streams`). They are small records with
``__slots__``: the handlers of :mod:`blueprint.simulation.engine` read and change them.

Examples
--------
>>> import numpy as np, blueprint as bp
>>> from blueprint.simulation.plan import prepare
>>> plan = prepare(bp.loads("teams: {desk: {staff: 2}}\\nsteps: {a: {lane: frontstage, owner: desk, "
...                         "duration: 3}, b: {outcome: success}}\\nflows: [[a, b]]"))
>>> steps, teams = live_parts(plan, np.random.SeedSequence(0, spawn_key=(0,)))
>>> steps[0].team is teams[0], teams[0].staff, steps[0].duration(), steps[0].route() is steps[1]
(True, 2, 3.0, True)
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from .duty import duty_clock
from .plan import JOIN, OUTCOME, Plan
from .streams import choices, draws

__all__ = ["Step", "Team", "Case", "Branch", "live_parts",
           "MOVING", "QUEUED", "WORKING", "JOINWAIT", "STUCK_HERE", "DEADEND", "GONE", "IDLE", "STATUSES"]

INF = math.inf

# Where a branch is. IDLE: at a step its team cannot do, waiting for the step's timeout.
MOVING, QUEUED, WORKING, JOINWAIT, STUCK_HERE, DEADEND, GONE, IDLE = range(8)

#: How a step visit ended, as written in the event rows (index = the code stored in raw rows);
#: an outcome step's row carries the outcome itself ("success" or "failure").
STATUSES = ("done", "timeout", "abandoned", "cancelled", "open", "success", "failure")


class Team:
    """A team in one replication: its staff and hours, who is busy, its queue, what it has done.

    ``queue`` holds ``(branch, visit)`` pairs; a pair whose branch has moved on since (a timeout,
    the customer's patience) is skipped when it comes up (``queued`` counts the live ones).
    ``busy_time`` is the staff time spent working (minus each start, plus each end); ``overtime``
    the part of it after closing time, of work that ended.
    """

    __slots__ = ("number", "staff", "hours", "touch", "busy", "queue", "queued", "max_queue", "opening_booked",
                 "busy_time", "overtime", "duty_clock", "wait_sum", "started", "rate")

    def __init__(self, number: int, staff: float, hours, touch: int):
        self.number, self.staff, self.hours, self.touch = number, staff, hours, touch
        self.busy = 0
        self.queue: deque = deque()
        self.queued = self.max_queue = self.started = 0
        self.opening_booked = False
        self.busy_time = self.overtime = self.wait_sum = 0.0
        self.duty_clock = duty_clock(hours)
        self.rate = 0.0  # what its work costs per time unit


class Step:
    """A step of the plan in one replication: its team, its flags, and its draws.

    ``duration()``, ``route()`` (the next step, for a step that is not a split) and
    ``timeout_after()`` each draw from the step's own stream.
    """

    __slots__ = ("number", "team", "special", "duration", "route", "split_to", "timeout_after", "timeout_to",
                 "join_from", "test", "idle", "outcome", "ended_as", "amount")

    def __init__(self, number: int, team: Team | None, special: int):
        self.number, self.team, self.special = number, team, special


class Case:
    """A case: when it arrived, how it ended, what happened to it, and its branches.

    ``outcome`` is the index of its outcome in the plan's outcomes, ``-1`` while it is open.
    ``waiting`` holds, per join step, the branches that came in along each incoming flow.
    """

    __slots__ = ("number", "arrival", "end", "outcome", "contacts", "handoffs", "repeats", "branches", "waiting",
                 "cost", "failures", "met", "failed")

    def __init__(self, number: int, arrival: float):
        self.number, self.arrival = number, arrival
        self.end = INF
        self.outcome = -1
        self.contacts = self.handoffs = self.repeats = 0
        self.cost = 0.0
        self.failures = 0  # contacts again at a contact step met before, or after a fail point
        self.met: set | None = None  # the contact steps met
        self.failed = False  # it has passed a fail point
        self.branches: list[Branch] = []
        self.waiting: dict | None = None


class Branch:
    """One line of work of a case: where it is and since when, and what it remembers.

    ``serial`` numbers branches in the order they were made (it breaks ties between events at one
    time); ``visit`` numbers the steps it has reached (an event for an earlier visit is stale).
    ``last`` is the team of the last owned step it went through (``-1`` none, ``-2`` several,
    listed in ``several``), ``seen`` its story memory (:mod:`blueprint.story`), ``closes`` when the
    team working on it closes (teams with hours).
    """

    __slots__ = ("serial", "case", "step", "visit", "state", "reached", "started", "last", "several", "seen", "closes",
                 "extra")

    def __init__(self, serial: int, case: Case, last: int = -1, seen: int = 0):
        self.serial, self.case, self.last, self.seen = serial, case, last, seen
        self.step: Step | None = None
        self.visit = 0
        self.state = MOVING
        self.reached = 0.0
        self.started: float | None = None
        self.several: list[int] | None = None
        self.closes = INF
        self.extra = 0.0  # the retelling time the work at this step takes more


def live_parts(plan: Plan, base: np.random.SeedSequence) -> tuple[list[Step], list[Team]]:
    """The steps and teams of one replication, each step with its own streams from `base`."""
    unit = plan.time_unit
    teams = [Team(j, plan.capacity[j], plan.hours[j], plan.touch[j]) for j in range(len(plan.teams))]
    for team, rate in zip(teams, plan.rate):
        team.rate = rate
    steps = [Step(s, teams[o] if o >= 0 else None, plan.flags[s]) for s, o in enumerate(plan.owner)]
    for s, step in enumerate(steps):
        name = plan.steps[s]
        targets = [steps[t] for t in plan.targets[s]]
        step.duration = draws(plan.durations[s], unit, base, f"duration:{name}")
        step.route = (choices(targets, plan.chances[s], base, f"route:{name}")
                      if targets and not plan.split[s] else None)
        step.split_to = targets if plan.split[s] and targets else None
        after = plan.timeout_after[s]
        step.timeout_after = draws(after, unit, base, f"timeout:{name}") if after is not None else None
        step.timeout_to = steps[plan.timeout_to[s]] if plan.timeout_to[s] >= 0 else None
        step.join_from = frozenset(steps[f] for f in plan.join_from[s]) if step.special & JOIN else frozenset()
        step.test, step.idle = plan.test[s], plan.idle[s]
        step.outcome = plan.outcome[s]
        step.amount = plan.amount[s] if plan.amount else 0.0
        step.ended_as = STATUSES.index(plan.results[s]) if step.special & OUTCOME else -1
    return steps, teams

