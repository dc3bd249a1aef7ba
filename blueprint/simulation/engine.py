"""The event loop: one replication of a plan, with one named handler for each kind of event.

Read it as Ciw is read: **arrivals** bring new cases (:meth:`Engine.arrival`); **teams** work on
at most ``staff`` cases at once and keep one first-come-first-served queue (:meth:`Engine.work_ends`,
:meth:`Engine.team_opens`); **cases** move from step to step along the flows, and leave a step early
by its timeout (:meth:`Engine.timeout_expires`) or end when the customer's patience runs out
(:meth:`Engine.patience_runs_out`). The handlers share three actions, each written once:
:meth:`Engine.reach` (a branch reaches a step: the one place contacts, handoffs and story repeats
are counted, a step's timer is set, and work starts or the branch queues), :meth:`Engine.start_work`
(a staff member starts on a branch) and :meth:`Engine.end_case` (a case ends: at an outcome, or
abandoned). :meth:`Engine.run` is the loop itself: it takes the next event and hands it to its
handler.

How time moves: the one loop and its tie-break order
-----------------------------------------------------
The heap holds ``(time, order, visit, what)`` tuples, ``order`` being ``kind * KIND + who``. At
equal times events are taken in this order: work ends (``END``, kind 0: ``order`` is the branch's
serial), then teams opening (``OPEN``), then timeouts (``TIMEOUT``), then patience running out
(``PATIENCE``); within one kind, the older branch (made first), team (in file order) or case
(arrived first) first. New arrivals are not on the heap: the next arrival time is
kept aside and taken when it is earlier than everything on the heap, so an arrival comes after
every heap event at the same time. ``visit`` numbers each step a branch reaches; an event whose
branch has moved on since (a work end after a timeout, a timeout after the work ended) is stale
and skipped. Staff freed by a timeout or by a customer giving up take the next case in line at
that same moment. After a split, the branches reach their steps in the order of the flows, at the
same moment; once one of them ends the case, the others stop.

Memory stays bounded however long the simulation runs: a case is forgotten when it ends (its
figures go to the :class:`~blueprint.simulation.tally.CaseTally`), so what is kept grows with the
cases open at once, not with the cases simulated (event rows, when kept, grow with the events).
"""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import chain, islice, repeat, takewhile

import numpy as np

from ..errors import BlueprintError
from ..gcpause import without_gc
from .clock import CHECK_EVERY, going_round, look_at_clock
from .duty import next_opening, open_until
from .parts import (
    DEADEND,
    GONE,
    IDLE,
    JOINWAIT,
    MOVING,
    QUEUED,
    STUCK_HERE,
    WORKING,
    Branch,
    Case,
    Step,
    Team,
    live_parts,
)
from .plan import CONTACT, FAILS, JOIN, OUTCOME, PAID, STUCK, TIMEOUT_SET, Plan
from .streams import arrival_times, choices, draws
from .tally import CaseTally, Replication

__all__ = ["run_replication", "Engine", "END", "OPEN", "TIMEOUT", "PATIENCE", "STOP", "KIND", "TALLY_BLOCK"]

INF = math.inf

#: Kinds of event, in the order they are taken at equal times.
END, OPEN, TIMEOUT, PATIENCE, STOP = range(5)
#: An event's place in that order is ``kind * KIND + who`` (branch serial, team or case number).
KIND = 1 << 40
_OPENS, _TIMEOUTS, _PATIENCES, _STOPS = OPEN * KIND, TIMEOUT * KIND, PATIENCE * KIND, STOP * KIND

# How a step visit ended: the codes of parts.STATUSES.
_DONE, _TIMED_OUT, _ABANDONED, _CANCELLED, _STILL_OPEN = range(5)

#: Ended cases handed to the tally at once.
TALLY_BLOCK = 1 << 12


class Engine:
    """One replication in progress: the heap, the teams, the open cases, and the handlers."""

    __slots__ = ("steps", "teams", "entry", "patience", "arrivals", "abandoned", "cases", "until", "story",
                 "heap", "rows", "open", "ended", "tally", "n_cases", "n_branches", "now", "next_arrival",
                 "window", "progress", "should_stop", "interrupted", "n_events", "plan", "instant", "arrival_after",
                 "retelling")

    def __init__(self, plan: Plan, seed: int = 0, rep: int = 0, *, cases: int | None = None,
                 until: float = INF, record: bool = True,
                 progress: Callable[[int, int], None] | None = None,
                 should_stop: Callable[[], bool] | None = None):
        base = np.random.SeedSequence(seed, spawn_key=(rep,))
        unit = plan.time_unit
        self.plan = plan
        self.steps, self.teams = live_parts(plan, base)
        self.entry = choices([self.steps[s] for s in plan.entry], plan.entry_chances, base, "start")
        self.patience = draws(plan.patience, unit, base, "patience") if plan.patience is not None else None
        self.arrivals = arrival_times(plan.arrivals, unit, base)
        # The time of the next arrival, infinite once `cases` have arrived or past the horizon: a
        # C-level iterator (no Python frame per arrival).
        times = islice(self.arrivals, cases) if cases is not None else self.arrivals
        if until < INF:
            times = takewhile(float(until).__gt__, times)
        self.arrival_after = chain(times, repeat(INF)).__next__
        self.abandoned = len(plan.outcomes) - 1
        self.cases, self.until, self.story = cases, until, plan.story
        self.retelling = plan.retelling
        self.heap: list[tuple] = [(until, _STOPS, 0, None)]
        self.rows: list[tuple] | None = [] if record else None
        self.open: dict[int, Case] = {}  # the cases that have not ended, by number
        self.ended: list[Case] = []  # cases ended since the last hand-over to the tally
        self.tally = CaseTally(len(plan.outcomes))
        self.n_cases = self.n_branches = self.n_events = 0
        self.now = 0.0
        self.next_arrival = INF
        self.window: tuple = (INF, None, None)  # the time cases arrive, and the work done in it
        self.progress, self.should_stop, self.interrupted = progress, should_stop, False
        self.instant = (-1.0, 0, 0)  # the time at the last look, and the events and cases then

    # --- the loop ---------------------------------------------------------------------------

    def run(self) -> Replication:
        """Take events in time order, each to its handler, until the horizon or the last case ends."""
        heap = self.heap
        arrival, work_ends, timeout_expires = self.arrival, self.work_ends, self.timeout_expires
        patience_runs_out, team_opens = self.patience_runs_out, self.team_opens
        events, check_at = 0, CHECK_EVERY
        self.next_arrival = next_arrival = self.arrival_after()
        try:
            with without_gc():  # the loop makes no reference cycles: spare it the collector
                while True:
                    if next_arrival < heap[0][0]:
                        next_arrival = arrival(next_arrival)
                        continue
                    t, order, visit, who = heappop(heap)
                    events += 1
                    if order < _OPENS:
                        work_ends(t, who, visit)
                    elif order < _TIMEOUTS:
                        team_opens(t, who)
                    elif order < _PATIENCES:
                        timeout_expires(t, who, visit)
                    elif order < _STOPS:
                        patience_runs_out(t, who)
                    else:  # STOP: the horizon, or every case has ended
                        if t < INF:
                            self.now = t
                        break
                    if events >= check_at:
                        check_at += CHECK_EVERY
                        self.n_events = events
                        if self.look_up(t):
                            break
        except KeyboardInterrupt:  # Ctrl-C while no handler of run.CtrlC notes it: stop here, keep what was done
            self.interrupted = True
        self.n_events = events
        return self.finish()

    def look_up(self, t: float) -> bool:
        """Now and then: report progress, notice a loop that takes no time; True to stop here."""
        self.instant = look_at_clock(self.instant, t, self.n_events, self.n_cases)
        if self.instant is None:
            raise BlueprintError(going_round(self.plan.steps[b.step.number] for b in self.working()))
        if self.progress is not None:
            self.progress(self.n_cases, self.n_events)
        if self.should_stop is not None and self.should_stop():
            self.interrupted = True
            return True
        return False

    # --- the five kinds of event ------------------------------------------------------------

    def arrival(self, t: float) -> float:
        """A new case arrives: its first branch reaches an entry step (chosen by ``start``); returns the
        time of the next arrival."""
        self.now = t
        number = self.n_cases
        case, self.n_cases = Case(number, t), number + 1
        self.open[number] = case
        branch, self.n_branches = Branch(self.n_branches, case), self.n_branches + 1  # new_branch(case), inline
        case.branches.append(branch)
        if self.patience is not None:
            heappush(self.heap, (t + self.patience(), _PATIENCES + number, 0, case))
        self.next_arrival = next_arrival = self.arrival_after()
        if next_arrival == INF and self.until == INF:  # the last case has arrived: the time cases arrive ends
            self.window = (t, *self.work_until(t))
        self.reach(branch, self.entry(), t, None)
        return next_arrival

    def work_ends(self, t: float, branch: Branch, visit: int) -> None:
        """Work on a step is done: the team takes its next case, and the branch goes on."""
        if branch.visit != visit:
            return  # stale: the branch has left the step (its timeout, the case ended)
        self.now = t
        step = branch.step
        if self.rows is not None:
            self.rows.append((branch.case.number, step.number, branch.reached, branch.started, t, _DONE))
        team = step.team
        if team is not None:
            if team.rate:
                branch.case.cost += team.rate * (t - branch.started)
            if team.hours is None:
                if team.queued:  # the same staff member takes the next in line
                    self.hand_over(team, t)
                else:  # free_staff(team, branch, t), inline
                    team.busy -= 1
                    team.busy_time += t
            else:
                self.free_staff(team, branch, t)
                if team.queued:
                    self.take_next(team, t)
        route = step.route
        if route is not None:  # one flow to take (go_on's usual case, inline)
            self.reach(branch, route(), t, step)
        else:
            self.go_on(branch, step, t)

    def team_opens(self, t: float, team: Team) -> None:
        """A team's hours begin: it takes cases from its queue."""
        self.now = t
        team.opening_booked = False
        self.take_next(team, t, opening=True)

    def timeout_expires(self, t: float, branch: Branch, visit: int) -> None:
        """A step has not finished in time: the branch leaves it by the timeout's way."""
        if branch.visit != visit:
            return  # stale: the step finished in time
        self.now = t
        step = branch.step
        freed = self.leave(branch, t, _TIMED_OUT)
        if freed is not None:
            self.take_next(freed, t)
        self.reach(branch, step.timeout_to, t, step)

    def patience_runs_out(self, t: float, case: Case) -> None:
        """The customer gives up, unless the case has ended: it ends ``abandoned``."""
        if case.outcome >= 0:
            return
        self.now = t
        self.end_case(case, t, self.abandoned, _ABANDONED)

    # --- the shared actions -----------------------------------------------------------------

    def reach(self, branch: Branch, step: Step, t: float, came_from: Step | None) -> None:
        """Branch `branch` reaches `step` at time `t` (from `came_from`): the one place it happens.

        Counts contacts, handoffs and story repeats, sets the step's timer, and starts the work or
        queues for the team.
        """
        branch.visit += 1
        branch.step = step
        branch.reached = t
        if step.special and not self.reach_special(branch, step, t, came_from):
            return  # an outcome, a join still waiting for other branches, a loop with no way out
        team = step.team
        if team is None:  # the customer's step, or nobody's: no queue
            branch.started = t
            branch.state = WORKING
            heappush(self.heap, (t + step.duration(), branch.serial, branch.visit, branch))
            return
        case, last = branch.case, branch.last
        if last != team.number:  # handed over (handed_over() is the rule; this is its usual case, inline)
            if last >= 0:
                case.handoffs += 1
            elif last == -2:
                case.handoffs += self.handed_over(branch, team.number)
            branch.last = team.number
        if self.story:
            known, test = branch.seen, step.test
            if test and known and not known & test:  # story.retells(known, test), inline
                case.repeats += 1
                branch.extra = self.retelling  # the story takes time to tell again
            elif branch.extra:
                branch.extra = 0.0
            branch.seen = known | team.touch
        if step.idle:  # its team cannot do it: the branch waits for the timeout, if any
            branch.started = None
            branch.state = IDLE
        elif team.busy < team.staff and not team.queued and (
                team.hours is None or (close := open_until(team.hours, t))):
            team.busy += 1
            team.busy_time -= t
            if team.hours is not None:
                branch.closes = close
            # start_work(team, branch, t), inline (it waited no time): the path of most step visits
            team.started += 1
            branch.started = t
            branch.state = WORKING
            heappush(self.heap, (t + step.duration() + branch.extra, branch.serial, branch.visit, branch))
        else:
            team.queue.append((branch, branch.visit))
            branch.started = None
            branch.state = QUEUED
            team.queued += 1
            if team.queued > team.max_queue:
                team.max_queue = team.queued
            if team.busy < team.staff:
                self.take_next(team, t)  # closed now: book the opening

    def reach_special(self, branch: Branch, step: Step, t: float, came_from: Step | None) -> bool:
        """The parts of reaching a step that only some steps have; False when the branch stops."""
        special, case = step.special, branch.case
        if special & OUTCOME:
            case.cost += step.amount
            branch.state = GONE
            if self.rows is not None:
                self.rows.append((case.number, step.number, t, t, t, step.ended_as))
            self.end_case(case, t, step.outcome, _CANCELLED)
            return False
        if special & JOIN and came_from in step.join_from and not self.joined(branch, step, came_from):
            return False
        if special & PAID:  # once a visit: a join is paid when it goes on
            case.cost += step.amount
        branch.started = None
        if special & STUCK:
            branch.state = STUCK_HERE
            return False
        if special & CONTACT:
            case.contacts += 1
            if case.failed or (case.met is not None and step.number in case.met):
                case.failures += 1
            elif case.met is None:
                case.met = {step.number}
            else:
                case.met.add(step.number)
        if special & FAILS:
            case.failed = True
        if special & TIMEOUT_SET:
            heappush(self.heap, (t + step.timeout_after(), _TIMEOUTS + branch.serial, branch.visit, branch))
        return True

    def start_work(self, team: Team, branch: Branch, t: float) -> None:
        """A staff member of `team` (already counted busy) starts on `branch` at time `t`."""
        team.wait_sum += t - branch.reached
        team.started += 1
        branch.started = t
        branch.state = WORKING
        heappush(self.heap, (t + branch.step.duration() + branch.extra, branch.serial, branch.visit, branch))

    def take_next(self, team: Team, t: float, opening: bool = False) -> None:
        """`team` takes cases from its queue while it has free staff and is open (else books its opening)."""
        hours = team.hours
        if hours is not None:
            close = open_until(hours, t)
            if not close:
                if opening:  # opening time itself, rounded to just before it
                    close = open_until(hours, t + 1e-9) or t
                else:
                    if not team.opening_booked:
                        team.opening_booked = True
                        heappush(self.heap, (next_opening(hours, t), _OPENS + team.number, 0, team))
                    return
        queue = team.queue
        while team.queued and team.busy < team.staff:
            branch, visit = queue.popleft()
            if branch.visit == visit:  # else the branch has left the queue (timeout, patience)
                team.queued -= 1
                team.busy += 1
                team.busy_time -= t
                if hours is not None:
                    branch.closes = close
                self.start_work(team, branch, t)

    def hand_over(self, team: Team, t: float) -> None:
        """The staff member who just finished takes the next branch in `team`'s queue."""
        queue = team.queue
        branch, visit = queue.popleft()
        while branch.visit != visit:
            branch, visit = queue.popleft()
        team.queued -= 1
        # start_work(team, branch, t), inline: the path of every case that queued
        team.wait_sum += t - branch.reached
        team.started += 1
        branch.started = t
        branch.state = WORKING
        heappush(self.heap, (t + branch.step.duration() + branch.extra, branch.serial, branch.visit, branch))

    def free_staff(self, team: Team, branch: Branch, t: float) -> None:
        """The staff member working on `branch` stops at `t` (counting work past closing time)."""
        team.busy -= 1
        team.busy_time += t
        if team.hours is not None and t > branch.closes:  # went on after closing time
            team.overtime += self.after_closing(team, branch.closes, t)

    def go_on(self, branch: Branch, step: Step, t: float) -> None:
        """After work on `step`, the branch takes a flow (or one branch down each flow of a split)."""
        if step.route is not None:
            self.reach(branch, step.route(), t, step)
        elif step.split_to is not None:
            first, *others = step.split_to
            more = [self.new_branch(branch.case, branch) for _ in others]
            self.reach(branch, first, t, step)
            for other, target in zip(more, others):
                if other.case.outcome >= 0:
                    break  # a branch before it ended the case
                self.reach(other, target, t, step)
        else:  # a dead end: the branch stays here
            branch.state = DEADEND

    def end_case(self, case: Case, t: float, outcome: int, status: int) -> None:
        """`case` ends at `t` with `outcome`; its other branches stop where they are, with `status`."""
        case.end = t
        case.outcome = outcome
        del self.open[case.number]
        freed = None
        for branch in case.branches:
            if branch.state != GONE:
                team = self.leave(branch, t, status)
                branch.state = GONE
                if team is not None:
                    freed = [team] if freed is None else freed + [team]
        if freed is not None:
            for team in freed:
                self.take_next(team, t)
        case.branches = ()
        case.waiting = None
        ended = self.ended
        ended.append(case)
        if len(ended) >= TALLY_BLOCK:
            self.tally.add(ended)
            self.ended = []
        if not self.open and self.next_arrival == INF and self.until == INF:
            heappush(self.heap, (t, _STOPS, 0, None))  # every case has ended and no more will come

    # --- branches ---------------------------------------------------------------------------

    def new_branch(self, case: Case, parent: Branch | None = None) -> Branch:
        """A new branch of `case`, remembering what branch `parent` remembers."""
        if parent is None:
            branch = Branch(self.n_branches, case)
        else:
            branch = Branch(self.n_branches, case, parent.last, parent.seen)
            if parent.last == -2:
                branch.several = list(parent.several)
        self.n_branches += 1
        case.branches.append(branch)
        return branch

    def leave(self, branch: Branch, t: float, status: int) -> Team | None:
        """`branch` leaves its step unfinished; returns the team whose staff it freed, if any."""
        state = branch.state
        if state in (GONE, DEADEND, MOVING):
            return None
        step = branch.step
        branch.visit += 1
        branch.state = MOVING
        if self.rows is not None:
            self.rows.append((branch.case.number, step.number, branch.reached, branch.started, t, status))
        team = step.team
        if team is not None:
            if state == WORKING:
                if team.rate:
                    branch.case.cost += team.rate * (t - branch.started)
                self.free_staff(team, branch, t)
                return team
            if state == QUEUED:
                team.queued -= 1
                if len(team.queue) > 2 * team.queued + 1024:  # mostly branches that left: keep the rest
                    team.queue = deque(e for e in team.queue if e[0].visit == e[1])
        return None

    def handed_over(self, branch: Branch, team: int) -> int:
        """Handoffs when `branch` comes to a step of `team`: one for each team it was last with
        that is not `team` (several after a join without an owner)."""
        last = branch.last
        branch.last = team
        if last == -2:
            several, branch.several = branch.several or [], None
            return sum(t != team for t in several)
        return 1 if 0 <= last != team else 0

    def joined(self, branch: Branch, step: Step, came_from: Step) -> bool:
        """`branch` reached join `step`: True when it goes on (every incoming flow has come in).

        Each branch that comes in from another team hands its work over (a handoff is a flow);
        the case goes on from the join with the join's owner.
        """
        case, team = branch.case, step.team
        if team is not None:
            case.handoffs += self.handed_over(branch, team.number)
        if case.waiting is None:
            case.waiting = {}
        at_step = case.waiting.setdefault(step, {})
        at_step.setdefault(came_from, []).append(branch)
        if len(at_step) < len(step.join_from):
            branch.started = None
            branch.state = JOINWAIT
            return False
        lasts: list[int] = []
        for source in list(at_step):
            other = at_step[source].pop(0)
            if not at_step[source]:
                del at_step[source]
            branch.seen |= other.seen  # the joined branch remembers what any of them met
            if team is None:  # and, without an owner here, every team they were last with
                last = other.last
                lasts.extend((other.several or []) if last == -2 else [last] if last >= 0 else [])
            if other is not branch:
                other.state = GONE
        if team is None:
            branch.last = lasts[0] if len(lasts) == 1 else -1 if not lasts else -2
            branch.several = lasts if len(lasts) > 1 else None
        return True

    # --- time on duty, and the end ------------------------------------------------------------

    def after_closing(self, team: Team, close: float, t: float) -> float:
        """The part of work that went on from closing time `close` to `t` outside the team's hours."""
        return (t - close) - (team.duty_clock(t) - team.duty_clock(close))

    def working(self) -> list[Branch]:
        """The branches being worked on now, oldest first."""
        return sorted((b for case in self.open.values() for b in case.branches if b.state == WORKING),
                      key=lambda b: b.serial)

    def work_until(self, t: float) -> tuple[list[float], list[float]]:
        """Each team's staff time spent working up to `t`, and the part of it on duty."""
        late = [team.overtime for team in self.teams]
        for b in self.working():  # work going on at t, begun before closing time
            team = b.step.team
            if team is not None and team.hours is not None and t > b.closes:
                late[team.number] += self.after_closing(team, b.closes, t)
        worked = [team.busy_time + team.busy * t for team in self.teams]
        return worked, [w - x for w, x in zip(worked, late)]

    def finish(self) -> Replication:
        """What the replication produced, with the cases still open counted as in progress."""
        horizon = self.now
        full_busy, full_duty = self.work_until(horizon)
        window, window_busy, window_duty = self.window
        if window_busy is None:  # cases arrived up to the horizon (until)
            window, window_busy, window_duty = horizon, full_busy, full_duty
        still_open = list(self.open.values())
        if self.rows is not None:
            branches = sorted((b for case in still_open for b in case.branches), key=lambda b: b.serial)
            self.rows.extend((b.case.number, b.step.number, b.reached, b.started, None, _STILL_OPEN)
                             for b in branches if b.state in (QUEUED, WORKING, JOINWAIT, STUCK_HERE, IDLE))
        self.tally.add(self.ended)
        self.tally.add(still_open)
        self.ended = []
        teams = self.teams
        return Replication(
            arrived=self.n_cases, tally=self.tally, horizon=horizon, busy_time=full_busy, duty_time=full_duty,
            window=window, window_busy=window_busy, window_duty=window_duty,
            wait_sum=[team.wait_sum for team in teams], started=[team.started for team in teams],
            max_queue=[team.max_queue for team in teams], events=self.rows, n_events=self.n_events,
            interrupted=self.interrupted)



def run_replication(plan: Plan, seed: int = 0, rep: int = 0, *, cases: int | None = None,
                    until: float = INF, record: bool = True,
                    progress: Callable[[int, int], None] | None = None,
                    should_stop: Callable[[], bool] | None = None) -> Replication:
    """Simulate one replication of a prepared blueprint.

    Parameters
    ----------
    plan : Plan
        From :func:`~blueprint.simulation.plan.prepare`.
    seed, rep : int
        The replication draws from ``SeedSequence(seed, spawn_key=(rep,))``.
    cases : int, optional
        Stop arrivals after this many cases and run until they have all ended or cannot move.
    until : float
        Stop at this time (in ``time_unit``); cases still open are in progress.
    record : bool
        Keep one row per step visit in ``events``.
    progress : callable, optional
        Called now and then as ``progress(cases_arrived, events_so_far)``.
    should_stop : callable, optional
        Asked now and then; when it answers true the replication stops there (``interrupted``).

    Examples
    --------
    >>> import blueprint as bp
    >>> from blueprint.simulation import prepare
    >>> plan = prepare(bp.loads("steps: {a: {lane: customer, duration: 2}, b: {outcome: success}}\\n"
    ...                         "flows: [[a, b]]\\narrivals: {every: 5}"))
    >>> rep = run_replication(plan, cases=3)
    >>> rep.arrived, rep.time_in_system.tolist(), rep.events[:2]
    (3, [2.0, 2.0, 2.0], [(0, 0, 5.0, 5.0, 7.0, 0), (0, 1, 7.0, 7.0, 7.0, 5)])
    """
    return Engine(plan, seed, rep, cases=cases, until=until, record=record, progress=progress,
                  should_stop=should_stop).run()
