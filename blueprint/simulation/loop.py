"""The event loop over arrays: the same handlers as :mod:`~blueprint.simulation.engine`, for numba.

This is :class:`~blueprint.simulation.engine.Engine` written again over flat arrays, so that numba
can compile it (:mod:`~blueprint.simulation.compiled` does, at the first compiled run, and caches
the machine code on disk). Read the engine first: every function here is named for the handler or
action it stands for and does what it does, in the same order, with the same arithmetic, so that
the two give the same figures bit for bit on the same seed (``tests/test_simulation_compiled.py``
runs both). The engine stays the reference a reader follows; this is the fast one.

It covers the whole of SPEC section 2 (hours, timeouts, patience, capabilities, parallel work,
costs, story repeats, the named random streams); :func:`compiled.covers` says why a blueprint
cannot run on it (more than 62 contact steps or kinds of record: their bits are one integer here).
A case lives in one **slot** of the case arrays (``case_i``, ``case_f``) and each of its branches
in a slot of the branch arrays (``branch_i``, ``branch_f``; the columns are named in
:mod:`~blueprint.simulation.arrays`); :mod:`~blueprint.simulation.branches` makes them, joins them
and forgets them. Slots are reused once a case ends: what is kept grows with the cases open at
once, as in the engine. A branch slot's ``VISIT`` only grows (it is not reset when the slot is
reused), so an event for an earlier visit, or for the branch that had the slot before, is stale.

The heap holds ``(time, order, visit, who)`` as in the engine, ``who`` being a branch slot (work
ends, timeouts), a case slot (patience) or a team number (openings). Team queues are linked lists
in one pool (``queue`` rows: branch slot, visit, next). Random draws come from the blocks of the named streams
(:mod:`~blueprint.simulation.streams`): each stream's current block sits in its own region of
one ``pool``, and when it runs out, ``refill`` (Python, in numba's object mode) draws the next
block, the same blocks the engine draws. The slots, the queue entries, the heap and the pool grow
inside the loop as they need. The loop gives control back to Python (:func:`advance` returns a
``NEED_*`` code) between events, when the block of ended cases or of event rows is full, or it is
time to look at the clock; nothing is lost, and the next call goes on where it stopped.

Every function here is compiled by numba at its first call and cached on disk (beside this file,
or in numba's cache directory where that is not writable). Only the compiled engine imports this
module (:func:`compiled.load`), so importing blueprint does not pay for numba.
"""
from __future__ import annotations

import numpy as np

from .arrays import (
    ABANDONED,
    ABANDONED_AS,
    ARRIVALS,
    ARRIVE_BY,
    ARRIVED_AT,
    BOOKED,
    BUSY,
    BUSY_TIME,
    BY_TIMES,
    CANCELLED,
    CASES,
    CHECK_AT,
    CHECK_EVERY,
    CLOSES,
    CONTACT,
    CONTACTS,
    COST,
    DEADEND,
    DONE,
    DONE_ROW,
    DRAWN,
    END,
    EXTRA,
    FAILED,
    FAILS,
    FAILURES,
    FIRST_BRANCH,
    GONE,
    HANDOFFS,
    HAS_PATIENCE,
    IDLE,
    IN_USE,
    INF,
    JOIN,
    LAST,
    LAST_T,
    LISTED,
    MAX_QUEUE,
    MET,
    MOVING,
    N_CASES,
    N_ENDED,
    N_EVENTS,
    N_ROWS,
    NEED_FLUSH,
    NEED_LOOK,
    NEED_ROWS,
    NEXT_ARRIVAL,
    NEXT_BRANCH,
    NIL,
    NOW,
    NUMBER,
    OF_CASE,
    OPEN_CASES,
    OPENS,
    OUTCOME,
    OUTCOME_AT,
    OVER,
    OVERTIME,
    PAID,
    PATIENCE_STREAM,
    PATIENCES,
    QUEUED,
    QUEUED_N,
    REACHED,
    RECORD,
    REPEATS,
    RETELLING,
    SEEN,
    SERIAL,
    START,
    STARTED,
    STARTS,
    STATE,
    STEP,
    STOPS,
    STORY,
    STUCK,
    STUCK_HERE,
    TALLY_BLOCK,
    TIMED_OUT,
    TIMEOUT_SET,
    TIMEOUTS,
    UNTIL,
    VISIT,
    WAIT_SUM,
    WINDOW_SET,
    WINDOW_T,
    WORKING,
)
from .branches import (
    comes_from,
    forget,
    handed_over,
    joined,
    new_branch,
    new_case,
)
from .kernel import (
    after_closing,
    compact,
    dequeue,
    draw,
    enqueue,
    next_opening,
    open_until,
    pop,
    push,
    put,
    row,
    tally,
)
from .structs import SOURCES, cases_of, compiled, inlined, layout_struct, state_struct

__all__ = ["advance", "next_arrival", "work_until", "layout_struct", "state_struct", "cases_of", "SOURCES"]


# --- the shared actions -----------------------------------------------------------------------

@inlined
def push_work(lay, st, b, t):
    """Engine.start_work's last part: the work's end goes on the heap."""
    bi = st.branch_i
    push(st, t + draw(lay, st, lay.step_duration[bi[b, STEP]]) + st.branch_f[b, EXTRA], bi[b, SERIAL], bi[b, VISIT],
         b)


@inlined
def start_work(lay, st, team, b, t):
    """Engine.start_work: a staff member of `team` (already counted busy) starts on branch `b`."""
    st.team_f[team, WAIT_SUM] += t - st.branch_f[b, REACHED]
    st.team_i[team, STARTS] += 1
    st.branch_f[b, STARTED] = t
    st.branch_i[b, STATE] = WORKING
    push_work(lay, st, b, t)


@compiled
def take_next(lay, st, team, t, opening):
    """Engine.take_next: `team` takes cases from its queue while it has free staff and is open."""
    hours = lay.team_hours[team]
    close = 0.0
    if hours:
        close = open_until(lay, team, t)
        if not close:
            if opening:
                close = open_until(lay, team, t + 1e-9)
                if not close:
                    close = t
            else:
                if not st.team_i[team, BOOKED]:
                    st.team_i[team, BOOKED] = 1
                    push(st, next_opening(lay, team, t), OPENS + team, 0, team)
                return
    ti = st.team_i
    while ti[team, QUEUED_N] and ti[team, BUSY] < lay.team_staff[team]:
        b, visit = dequeue(st, team)
        if st.branch_i[b, VISIT] == visit:
            ti[team, QUEUED_N] -= 1
            ti[team, BUSY] += 1
            st.team_f[team, BUSY_TIME] -= t
            if hours:
                st.branch_f[b, CLOSES] = close
            start_work(lay, st, team, b, t)


@inlined
def hand_over(lay, st, team, t):
    """Engine.hand_over: the staff member who just finished takes the next in `team`'s queue."""
    b, visit = dequeue(st, team)
    while st.branch_i[b, VISIT] != visit:
        b, visit = dequeue(st, team)
    st.team_i[team, QUEUED_N] -= 1
    start_work(lay, st, team, b, t)


@inlined
def free_staff(lay, st, team, b, t):
    """Engine.free_staff."""
    st.team_i[team, BUSY] -= 1
    st.team_f[team, BUSY_TIME] += t
    if lay.team_hours[team] and t > st.branch_f[b, CLOSES]:
        st.team_f[team, OVERTIME] += after_closing(lay, team, st.branch_f[b, CLOSES], t)


@inlined
def reach_special(lay, st, b, step, t, came_from):
    """Engine.reach_special: False when the branch stops here."""
    special, c = lay.step_flags[step], st.branch_i[b, OF_CASE]
    ci, cf = st.case_i, st.case_f
    if special & OUTCOME:
        cf[c, COST] += lay.step_amount[step]
        st.branch_i[b, STATE] = GONE
        if lay.settings_i[RECORD]:
            row(st, ci[c, NUMBER], step, t, t, t, lay.step_ended_as[step])
        end_case(lay, st, c, t, lay.step_outcome[step], CANCELLED)
        return False
    if special & JOIN and comes_from(lay, step, came_from) and not joined(lay, st, b, step, came_from):
        return False
    if special & PAID:
        cf[c, COST] += lay.step_amount[step]
    st.branch_f[b, STARTED] = np.nan
    if special & STUCK:
        st.branch_i[b, STATE] = STUCK_HERE
        return False
    if special & CONTACT:
        ci[c, CONTACTS] += 1
        bit = np.int64(1) << lay.step_contact[step]
        if ci[c, FAILED] or ci[c, MET] & bit:
            ci[c, FAILURES] += 1
        else:
            ci[c, MET] |= bit
    if special & FAILS:
        ci[c, FAILED] = 1
    if special & TIMEOUT_SET:
        push(st, t + draw(lay, st, lay.step_timeout[step]), TIMEOUTS + st.branch_i[b, SERIAL],
             st.branch_i[b, VISIT], b)
    return True


@inlined
def reach(lay, st, b, step, t, came_from):
    """Engine.reach: branch `b` reaches `step` at `t` (from `came_from`)."""
    bi, bf = st.branch_i, st.branch_f
    bi[b, VISIT] += 1
    bi[b, STEP] = step
    bf[b, REACHED] = t
    if lay.step_flags[step] and not reach_special(lay, st, b, step, t, came_from):
        return
    team = lay.step_team[step]
    if team < 0:
        bf[b, STARTED] = t
        bi[b, STATE] = WORKING
        push(st, t + draw(lay, st, lay.step_duration[step]), bi[b, SERIAL], bi[b, VISIT], b)
        return
    c, last = bi[b, OF_CASE], bi[b, LAST]
    if last != team:
        if last >= 0:
            st.case_i[c, HANDOFFS] += 1
        elif last == -2:
            st.case_i[c, HANDOFFS] += handed_over(st, b, team)
        bi[b, LAST] = team
    if lay.settings_i[STORY]:
        known, test = bi[b, SEEN], lay.step_test[step]
        if test and known and not known & test:
            st.case_i[c, REPEATS] += 1
            bf[b, EXTRA] = lay.settings_f[RETELLING]
        elif bf[b, EXTRA]:
            bf[b, EXTRA] = 0.0
        bi[b, SEEN] = known | lay.team_touch[team]
    ti = st.team_i
    if lay.step_idle[step]:
        bf[b, STARTED] = np.nan
        bi[b, STATE] = IDLE
        return
    if ti[team, BUSY] < lay.team_staff[team] and not ti[team, QUEUED_N]:
        close = open_until(lay, team, t) if lay.team_hours[team] else 1.0
        if close:
            ti[team, BUSY] += 1
            st.team_f[team, BUSY_TIME] -= t
            if lay.team_hours[team]:
                bf[b, CLOSES] = close
            ti[team, STARTS] += 1
            bf[b, STARTED] = t
            bi[b, STATE] = WORKING
            push_work(lay, st, b, t)
            return
    enqueue(st, team, b)
    bf[b, STARTED] = np.nan
    bi[b, STATE] = QUEUED
    ti[team, QUEUED_N] += 1
    if ti[team, QUEUED_N] > ti[team, MAX_QUEUE]:
        ti[team, MAX_QUEUE] = ti[team, QUEUED_N]
    if ti[team, BUSY] < lay.team_staff[team]:
        take_next(lay, st, team, t, False)


@compiled
def go_on(lay, st, b, step, t):
    """Engine.go_on, for a step that is not one flow (work_ends takes that itself): one branch down
    each flow of a split (the new ones made first, then each reaches its step in the order of the
    flows, until one of them ends the case), or a dead end, where the branch stays."""
    first, n = lay.targets_at[step], lay.targets_at[step + 1] - lay.targets_at[step]
    if not (lay.step_split[step] and n):
        st.branch_i[b, STATE] = DEADEND
        return
    c = st.branch_i[b, OF_CASE]
    branches = np.empty(n, dtype=np.int64)
    branches[0] = b
    for k in range(1, n):
        branches[k] = new_branch(st, c, b)
    for k in range(n):
        if k and st.case_i[c, OUTCOME_AT] >= 0:
            break  # a branch before it ended the case
        reach(lay, st, branches[k], lay.targets[first + k], t, step)


@compiled
def leave(lay, st, b, t, status):
    """Engine.leave: branch `b` leaves its step unfinished; returns the team whose staff it freed, or -1."""
    bi, bf = st.branch_i, st.branch_f
    state = bi[b, STATE]
    if state in (GONE, DEADEND, MOVING):
        return NIL
    step, c = bi[b, STEP], bi[b, OF_CASE]
    bi[b, VISIT] += 1
    bi[b, STATE] = MOVING
    if lay.settings_i[RECORD]:
        row(st, st.case_i[c, NUMBER], step, bf[b, REACHED], bf[b, STARTED], t, status)
    team = lay.step_team[step]
    if team >= 0:
        if state == WORKING:
            if lay.team_rate[team]:
                st.case_f[c, COST] += lay.team_rate[team] * (t - bf[b, STARTED])
            free_staff(lay, st, team, b, t)
            return team
        if state == QUEUED:
            st.team_i[team, QUEUED_N] -= 1
            if st.team_i[team, LISTED] > 2 * st.team_i[team, QUEUED_N] + 1024:
                compact(st, team)
    return NIL


@compiled
def end_case(lay, st, c, t, outcome, status):
    """Engine.end_case: case `c` ends at `t` with `outcome`; its other branches stop where they are."""
    st.case_f[c, END] = t
    st.case_i[c, OUTCOME_AT] = outcome
    st.clock_i[OPEN_CASES] -= 1
    freed, b = 0, st.case_i[c, FIRST_BRANCH]
    while b != NIL:
        if st.branch_i[b, STATE] != GONE:
            team = leave(lay, st, b, t, status)
            st.branch_i[b, STATE] = GONE
            if team >= 0:
                put(st, freed, team)
                freed += 1
        b = st.branch_i[b, NEXT_BRANCH]
    for k in range(freed):
        take_next(lay, st, st.scratch[k], t, False)
    forget(st, c)
    tally(st, c)
    if (st.clock_i[OPEN_CASES] == 0 and st.clock_f[NEXT_ARRIVAL] == INF
            and lay.settings_f[UNTIL] == INF):
        push(st, t, STOPS, 0, NIL)


# --- the five kinds of event, and arrivals ----------------------------------------------------

@compiled
def next_arrival(lay, st):
    """The time of the next case (Engine.arrival_after): INF once `cases` came or past `until`."""
    ci = st.clock_i
    if ci[OVER]:
        return INF
    n = ci[DRAWN]
    if n == lay.settings_i[CASES] or (lay.settings_i[ARRIVE_BY] == BY_TIMES and n == lay.at_times.shape[0]):
        ci[OVER] = 1
        return INF
    if lay.settings_i[ARRIVE_BY] == BY_TIMES:
        t = lay.at_times[n]
    else:
        gap = draw(lay, st, ARRIVALS)
        t = st.clock_f[ARRIVED_AT] + gap if n else gap
        st.clock_f[ARRIVED_AT] = t
    ci[DRAWN] = n + 1
    until = lay.settings_f[UNTIL]
    if until < INF and not until > t:
        ci[OVER] = 1
        return INF
    return t


@inlined
def arrival(lay, st, t):
    """Engine.arrival: a new case, its first branch reaching an entry step."""
    st.clock_f[NOW] = t
    number = st.clock_i[N_CASES]
    st.clock_i[N_CASES] = number + 1
    c = new_case(st, number, t)
    b = new_branch(st, c, NIL)
    st.clock_i[OPEN_CASES] += 1
    if lay.settings_i[HAS_PATIENCE]:
        push(st, t + draw(lay, st, PATIENCE_STREAM), PATIENCES + number, 0, c)
    following = next_arrival(lay, st)
    st.clock_f[NEXT_ARRIVAL] = following
    if following == INF and lay.settings_f[UNTIL] == INF:
        st.clock_f[WINDOW_T] = t
        st.clock_i[WINDOW_SET] = 1
        work_until(lay, st, t, st.window_busy, st.window_duty)
    reach(lay, st, b, lay.entry[int(draw(lay, st, START))], t, NIL)


@inlined
def work_ends(lay, st, t, b, visit):
    """Engine.work_ends: the team takes its next case, and the branch goes on."""
    bi, bf = st.branch_i, st.branch_f
    if bi[b, VISIT] != visit:
        return
    st.clock_f[NOW] = t
    step, c = bi[b, STEP], bi[b, OF_CASE]
    if lay.settings_i[RECORD]:
        row(st, st.case_i[c, NUMBER], step, bf[b, REACHED], bf[b, STARTED], t, DONE_ROW)
    team = lay.step_team[step]
    if team >= 0:
        if lay.team_rate[team]:
            st.case_f[c, COST] += lay.team_rate[team] * (t - bf[b, STARTED])
        if not lay.team_hours[team]:
            if st.team_i[team, QUEUED_N]:
                hand_over(lay, st, team, t)
            else:
                st.team_i[team, BUSY] -= 1
                st.team_f[team, BUSY_TIME] += t
        else:
            free_staff(lay, st, team, b, t)
            if st.team_i[team, QUEUED_N]:
                take_next(lay, st, team, t, False)
    route = lay.step_route[step]
    if route >= 0:  # one flow to take (go_on's usual case)
        reach(lay, st, b, lay.targets[lay.targets_at[step] + int(draw(lay, st, route))], t, step)
    else:
        go_on(lay, st, b, step, t)


@inlined
def timeout_expires(lay, st, t, b, visit):
    """Engine.timeout_expires: the branch leaves its step by the timeout's way."""
    if st.branch_i[b, VISIT] != visit:
        return
    st.clock_f[NOW] = t
    step = st.branch_i[b, STEP]
    freed = leave(lay, st, b, t, TIMED_OUT)
    if freed >= 0:
        take_next(lay, st, freed, t, False)
    reach(lay, st, b, lay.step_timeout_to[step], t, step)


@inlined
def patience_runs_out(lay, st, t, c, number):
    """Engine.patience_runs_out: the customer gives up, unless the case has ended (its slot was
    freed when it ended, and may hold another case since)."""
    if not st.case_i[c, IN_USE] or st.case_i[c, NUMBER] != number:
        return
    st.clock_f[NOW] = t
    end_case(lay, st, c, t, lay.settings_i[ABANDONED_AS], ABANDONED)


@compiled
def work_until(lay, st, t, worked, duty):
    """Engine.work_until: each team's staff time spent working up to `t` (into `worked`), and the
    part of it on duty (into `duty`)."""
    late = st.team_f[:, OVERTIME].copy()
    working = np.nonzero(st.branch_i[:, STATE] == WORKING)[0]
    order = np.argsort(st.branch_i[working, SERIAL], kind="mergesort")
    for b in working[order]:
        team = lay.step_team[st.branch_i[b, STEP]]
        if team >= 0 and lay.team_hours[team] and t > st.branch_f[b, CLOSES]:
            late[team] += after_closing(lay, team, st.branch_f[b, CLOSES], t)
    for j in range(worked.shape[0]):
        worked[j] = st.team_f[j, BUSY_TIME] + st.team_i[j, BUSY] * t
        duty[j] = worked[j] - late[j]


@compiled
def advance(lay, st):
    """Engine.run: take events in time order, each to its handler, until the end or until Python is
    needed (the code returned says why; call again to go on)."""
    ci, cf = st.clock_i, st.clock_f
    rows_room = st.rows_i.shape[0] - 8 if lay.settings_i[RECORD] else ci[N_ROWS] + 1
    block = lay.settings_i[TALLY_BLOCK]
    while True:
        if ci[N_ENDED] >= block:
            return NEED_FLUSH
        if ci[N_ROWS] > rows_room:
            return NEED_ROWS
        if cf[NEXT_ARRIVAL] < st.heap_t[0]:
            arrival(lay, st, cf[NEXT_ARRIVAL])
            continue
        t, order, visit, who = pop(st)
        ci[N_EVENTS] += 1
        if order < OPENS:
            work_ends(lay, st, t, who, visit)
        elif order < TIMEOUTS:
            st.clock_f[NOW] = t
            st.team_i[who, BOOKED] = 0
            take_next(lay, st, who, t, True)
        elif order < PATIENCES:
            timeout_expires(lay, st, t, who, visit)
        elif order < STOPS:
            patience_runs_out(lay, st, t, who, order - PATIENCES)
        else:
            if t < INF:
                cf[NOW] = t
            return DONE
        if ci[N_EVENTS] >= ci[CHECK_AT]:
            ci[CHECK_AT] += lay.settings_i[CHECK_EVERY]
            cf[LAST_T] = t
            return NEED_LOOK

