"""What a story repeat is: the one definition that ``lost-context``, ``stats`` and ``simulate`` share.

SPEC §2: when a case reaches a frontstage step of a team that shares no system with any team
that handled the case before, the customer repeats the story. In detail:

* A team **handles** a case when the case reaches one of its steps (frontstage, backstage or
  support; a step its team cannot do, or a queue, counts too: the case was handed to them).
* When a case reaches a **frontstage** step, the customer tells the story again unless the step's
  team can see the case: a team it shares a system with has handled it before. A team **returning
  to its own case** sees it in its own systems; a team with **no systems** keeps no record, so the
  customer tells it the story again each time (whoever answers the phone this time). The first
  team a case meets hears the story for the first time: no repeat.
* **Outside parties** (``external: true``) are teams like the others: a customer sent to the
  manufacturer tells it the story again, unless it shares a system with a team of the case.
* **Parallel branches**: a branch made by a ``split: all`` remembers what the case remembered when
  it split, and then what it meets itself; the branches that a ``join: all`` brings together
  remember what any of them met. (So what one branch learns does not depend on how fast the other
  branch is, and the exact chain can follow it.)

How it is kept: a case's memory is a bit mask. Bit 0 (:data:`SEEN`) says some team has handled the
case; every other bit stands for one frontstage team's *circle* (the teams it shares a system
with, itself included when it has one; teams with the same circle share a bit), set once a team
of that circle has handled the case. The circle of a team without systems is empty: its bit is
never set. :func:`retells` and :func:`remember` are the rule itself; :func:`records` works out the
bits of a blueprint once.

Examples
--------
>>> from blueprint import loads
>>> model = loads('''
... teams:
...   store:    {systems: [till]}
...   delivery: {systems: [orders]}
...   care:     {systems: [orders, crm]}
... steps:
...   sell:    {lane: frontstage, owner: store}
...   deliver: {lane: backstage, owner: delivery}
...   answer:  {lane: frontstage, owner: store}
...   help:    {lane: frontstage, owner: care}
...   done:    {outcome: success}
... flows: [[sell, deliver], [deliver, answer], [answer, help], [help, done]]
... ''')
>>> r = records(model)
>>> known, told = 0, []
>>> for step in ["sell", "deliver", "answer", "help"]:
...     told.append(retells(known, r.test.get(step)))
...     known = remember(known, r.touch[model.steps[step].owner])
>>> told  # first telling; backstage; the store knows its own case; care shares orders with delivery
[False, False, False, False]
>>> retells(remember(0, r.touch["store"]), r.test["help"])  # care after the store alone: a repeat
True
>>> phones = records(loads("teams: {phones: {}}\\nsteps: {call: {lane: frontstage, owner: phones}, "
...                        "ok: {outcome: success}}\\nflows: [[call, call, 0.5], [call, ok, 0.5]]\\nstart: call"))
>>> retells(remember(0, phones.touch["phones"]), phones.test["call"])  # no record: told again
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .model import Blueprint
from .ways import columns

__all__ = ["SEEN", "Records", "records", "retells", "remember"]

#: The bit that says some team has handled the case.
SEEN = 1


@dataclass(frozen=True)
class Records:
    """The bits of one blueprint's memory (see the module notes).

    Attributes
    ----------
    circles : list of frozenset
        For each bit after :data:`SEEN`, in order, the teams whose handling sets it.
    touch : dict
        For each team, the bits its handling sets (:data:`SEEN` and the circles it is in).
    test : dict
        For each frontstage step with an owner, the bit of its team's circle: the customer repeats
        the story there when the case has been handled (``SEEN``) and that bit is not set.
    """

    circles: list[frozenset] = field(default_factory=list)
    touch: dict[str, int] = field(default_factory=dict)
    test: dict[str, int] = field(default_factory=dict)

    @property
    def bits(self) -> int:
        """How many bits the memory has, :data:`SEEN` included."""
        return 1 + len(self.circles)


def records(model: Blueprint) -> Records:
    """The memory bits of a blueprint: one per circle of a frontstage team (see the module notes).

    A step owned by a team the blueprint does not declare has no systems. Worked out once per model
    (a model does not change: a change makes a new one); `check` reads them in three places.
    """
    found = model.__dict__.get("_records")
    if found is None:
        found = model.__dict__["_records"] = _records(model)
    return found


def _records(model: Blueprint) -> Records:
    systems = {tid: set(team.systems) for tid, team in model.teams.items()}
    c = columns(model)
    owners = set(c.teams)
    # the owners of frontstage steps (outcomes too), in the order they first come
    front = list(dict.fromkeys(c.owner[i] for i in np.flatnonzero(c.frontstage & (c.team >= 0)).tolist()))
    circles: list[frozenset] = []
    bit_of: dict[str, int] = {}
    for team in front:
        mine = systems.get(team, set())
        circle = frozenset(t for t in sorted(owners | set(systems)) if mine & systems.get(t, set()))
        if circle not in circles:
            circles.append(circle)
        bit_of[team] = 2 << circles.index(circle)
    touch = {}
    for team in sorted(owners | set(systems)):
        bits = SEEN
        for i, circle in enumerate(circles):
            if team in circle:
                bits |= 2 << i
        touch[team] = bits
    test = {c.ids[i]: bit_of[c.owner[i]] for i in np.flatnonzero(c.front).tolist()}
    return Records(circles, touch, test)


def retells(known: int, test: int | None) -> bool:
    """Whether the customer repeats the story on reaching a step: `known` is the case's (or the
    branch's) memory before the step, `test` the step's bit from :attr:`Records.test` (``None`` for
    a step that is not frontstage with an owner)."""
    return test is not None and known != 0 and not known & test


def remember(known: int, touch: int) -> int:
    """The memory after a team with the bits `touch` has handled the case."""
    return known | touch
