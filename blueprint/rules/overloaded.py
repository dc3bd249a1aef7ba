"""A team gets more work than its staff can do in their hours: its queue grows without end.

From the arrivals, the chances of the flows and the durations, the exact chain knows how much of a
team's time each case takes on average (``blueprint stats``, ``teams``): its **load** is how many
of its staff that keeps busy, and its **utilization** that load over the staff it has on duty
(``staff``, for the share of the week its ``hours`` are open). At 100% or more the team cannot
keep up however the work is shared out: cases pile up in its queue week after week, every wait
grows, and in a simulation the time in the system only says how long it was run for. The finding
names the steps that bring the work and the staff the team would need to keep up; aim higher than
that, as a team near 100% keeps long queues.

Failing example (2 cases an hour, 45 minutes each, one person)::

    time_unit: hour
    teams:
      desk: {name: Help desk, staff: 1}
    steps:
      call:   {name: Phones, lane: customer, channel: phone}
      answer: {name: Sorts out the problem, lane: frontstage, owner: desk, duration: 45min}
      done:   {name: Sorted, outcome: success}
    flows: [[call, answer], [answer, done]]
    start: call
    arrivals: {rate: 2/hour}

Passing example (two people)::

    time_unit: hour
    teams:
      desk: {name: Help desk, staff: 2}
    steps:
      call:   {name: Phones, lane: customer, channel: phone}
      answer: {name: Sorts out the problem, lane: frontstage, owner: desk, duration: 45min}
      done:   {name: Sorted, outcome: success}
    flows: [[call, answer], [answer, done]]
    start: call
    arrivals: {rate: 2/hour}
"""
import math

from ..chain import workload
from ..chain.capacity import on_duty
from ..errors import BlueprintError
from ..findings import Issue
from ._wording import listing

ID = "overloaded"
SEVERITY = "error"


def needed(model, team_id: str, load: float) -> int:
    """The fewest staff with whom the team's utilization is below 1, in its hours."""
    share = on_duty(model, team_id) / model.teams[team_id].staff
    return math.floor(load / share) + 1


def check(facts):
    model = facts.model
    if not any(t.staff for t in model.teams.values()):
        return
    try:
        teams, by_step = workload(model)
    except BlueprintError:
        return  # the parallel work is too large to follow: stats says so
    for tid, cap in teams.items():
        if cap.utilization is None or cap.utilization < 1:
            continue
        team = model.teams[tid]
        steps = sorted(by_step.get(tid, {}).items(), key=lambda kv: (-kv[1], facts.index[kv[0]]))
        hours = f" in its hours ({team.hours})" if team.hours else ""
        who = f"{team.staff} staff{hours}"
        brings = listing(model, [s for s, _ in steps], 3)
        pace = (f" (the file gives no arrivals: cases come at random, one a {model.time_unit}, as "
                "the simulation brings them; say how many come with arrivals:)" if model.arrivals is None else "")
        yield Issue(f"{model.team_name(tid)} gets more work than it can do{pace}: on average its work keeps "
                    f"{cap.load:.2f} staff busy, and it has {who}, so it is {cap.utilization:.0%} busy and its "
                    f"queue grows without end. The work comes from {brings}. It needs at least "
                    f"{needed(model, tid, cap.load)} staff{hours} to keep up (more for short queues), or less "
                    "work: fewer visits to those steps, or shorter ones.", steps=tuple(s for s, _ in steps))
