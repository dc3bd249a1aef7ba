"""The event loop over arrays: the same handlers as :mod:`~blueprint.simulation.engine`, for numba.

This is :class:`~blueprint.simulation.engine.Engine` written again over flat arrays, so that numba
can compile it (:mod:`~blueprint.simulation.compiled` does, at the first compiled run, and caches
the machine code on disk). Read the engine first: every function here is named for the handler or
action it stands for and does what it does, in the same order, with the same arithmetic, so that
the two give the same figures bit for bit on the same seed (``tests/test_simulation_compiled.py``
runs both). The engine stays the reference a reader follows; this is the fast one.

What it covers: everything but parallel work (``split: all`` and ``join: all``), which needs a
changing set of branches per case; those blueprints run on the engine (:func:`compiled.covers`).
Without parallel work a case is one branch, so a case lives in one **slot** of the case arrays
(``case_i``, ``case_f``, columns named below), and its branch serial is its number. Slots are
reused once a case ends: what is kept grows with the cases open at once, as in the engine. A
slot's ``VISIT`` only grows (it is not reset when the slot is reused), so an event for an earlier
visit, or for the case that had the slot before, is stale.

The heap holds ``(time, order, visit, who)`` as in the engine, ``who`` being a slot (work ends,
timeouts, patience) or a team number (openings). Team queues are linked lists in one pool
(``queue`` rows: slot, visit, next). Random draws come from the blocks of the named streams
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
    ARRIVAL,
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
    FREE_TOP,
    GONE,
    HANDOFFS,
    HAS_PATIENCE,
    IDLE,
    INF,
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
    NIL,
    NOW,
    NUMBER,
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
from .kernel import (
    after_closing,
    compact,
    dequeue,
    draw,
    enqueue,
    grown,
    next_opening,
    open_until,
    pop,
    push,
    row,
    tally,
)
from .structs import SOURCES, cases_of, compiled, inlined, layout_struct, state_struct

__all__ = ["advance", "next_arrival", "work_until", "layout_struct", "state_struct", "cases_of", "SOURCES"]


# --- the shared actions -----------------------------------------------------------------------

@inlined
def push_work(lay, st, slot, t):
    """Engine.start_work's last part: the work's end goes on the heap."""
    step = st.case_i[slot, STEP]
    push(st, t + draw(lay, st, lay.step_duration[step]) + st.case_f[slot, EXTRA], st.case_i[slot, NUMBER],
         st.case_i[slot, VISIT], slot)


@inlined
def start_work(lay, st, team, slot, t):
    """Engine.start_work: a staff member of `team` (already counted busy) starts on `slot`."""
    st.team_f[team, WAIT_SUM] += t - st.case_f[slot, REACHED]
    st.team_i[team, STARTS] += 1
    st.case_f[slot, STARTED] = t
    st.case_i[slot, STATE] = WORKING
    push_work(lay, st, slot, t)


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
        slot, visit = dequeue(st, team)
        if st.case_i[slot, VISIT] == visit:
            ti[team, QUEUED_N] -= 1
            ti[team, BUSY] += 1
            st.team_f[team, BUSY_TIME] -= t
            if hours:
                st.case_f[slot, CLOSES] = close
            start_work(lay, st, team, slot, t)


@inlined
def hand_over(lay, st, team, t):
    """Engine.hand_over: the staff member who just finished takes the next in `team`'s queue."""
    slot, visit = dequeue(st, team)
    while st.case_i[slot, VISIT] != visit:
        slot, visit = dequeue(st, team)
    st.team_i[team, QUEUED_N] -= 1
    start_work(lay, st, team, slot, t)


@inlined
def free_staff(lay, st, team, slot, t):
    """Engine.free_staff."""
    st.team_i[team, BUSY] -= 1
    st.team_f[team, BUSY_TIME] += t
    if lay.team_hours[team] and t > st.case_f[slot, CLOSES]:
        st.team_f[team, OVERTIME] += after_closing(lay, team, st.case_f[slot, CLOSES], t)


@inlined
def reach_special(lay, st, slot, step, t):
    """Engine.reach_special, without joins: False when the case stops here."""
    special, ci, cf = lay.step_flags[step], st.case_i, st.case_f
    if special & OUTCOME:
        cf[slot, COST] += lay.step_amount[step]
        ci[slot, STATE] = GONE
        if lay.settings_i[RECORD]:
            row(st, ci[slot, NUMBER], step, t, t, t, lay.step_ended_as[step])
        end_case(lay, st, slot, t, lay.step_outcome[step], CANCELLED)
        return False
    if special & PAID:
        cf[slot, COST] += lay.step_amount[step]
    cf[slot, STARTED] = np.nan
    if special & STUCK:
        ci[slot, STATE] = STUCK_HERE
        return False
    if special & CONTACT:
        ci[slot, CONTACTS] += 1
        bit = np.int64(1) << lay.step_contact[step]
        if ci[slot, FAILED] or ci[slot, MET] & bit:
            ci[slot, FAILURES] += 1
        else:
            ci[slot, MET] |= bit
    if special & FAILS:
        ci[slot, FAILED] = 1
    if special & TIMEOUT_SET:
        push(st, t + draw(lay, st, lay.step_timeout[step]), TIMEOUTS + ci[slot, NUMBER], ci[slot, VISIT], slot)
    return True


@compiled
def reach(lay, st, slot, step, t):
    """Engine.reach: the case in `slot` reaches `step` at `t`."""
    ci, cf = st.case_i, st.case_f
    ci[slot, VISIT] += 1
    ci[slot, STEP] = step
    cf[slot, REACHED] = t
    if lay.step_flags[step] and not reach_special(lay, st, slot, step, t):
        return
    team = lay.step_team[step]
    if team < 0:
        cf[slot, STARTED] = t
        ci[slot, STATE] = WORKING
        push(st, t + draw(lay, st, lay.step_duration[step]), ci[slot, NUMBER], ci[slot, VISIT], slot)
        return
    last = ci[slot, LAST]
    if last != team:
        if last >= 0:
            ci[slot, HANDOFFS] += 1
        ci[slot, LAST] = team
    if lay.settings_i[STORY]:
        known, test = ci[slot, SEEN], lay.step_test[step]
        if test and known and not known & test:
            ci[slot, REPEATS] += 1
            cf[slot, EXTRA] = lay.settings_f[RETELLING]
        elif cf[slot, EXTRA]:
            cf[slot, EXTRA] = 0.0
        ci[slot, SEEN] = known | lay.team_touch[team]
    ti = st.team_i
    if lay.step_idle[step]:
        cf[slot, STARTED] = np.nan
        ci[slot, STATE] = IDLE
        return
    if ti[team, BUSY] < lay.team_staff[team] and not ti[team, QUEUED_N]:
        close = open_until(lay, team, t) if lay.team_hours[team] else 1.0
        if close:
            ti[team, BUSY] += 1
            st.team_f[team, BUSY_TIME] -= t
            if lay.team_hours[team]:
                cf[slot, CLOSES] = close
            ti[team, STARTS] += 1
            cf[slot, STARTED] = t
            ci[slot, STATE] = WORKING
            push_work(lay, st, slot, t)
            return
    enqueue(st, team, slot)
    cf[slot, STARTED] = np.nan
    ci[slot, STATE] = QUEUED
    ti[team, QUEUED_N] += 1
    if ti[team, QUEUED_N] > ti[team, MAX_QUEUE]:
        ti[team, MAX_QUEUE] = ti[team, QUEUED_N]
    if ti[team, BUSY] < lay.team_staff[team]:
        take_next(lay, st, team, t, False)


@compiled
def leave(lay, st, slot, t, status):
    """Engine.leave: the case leaves its step unfinished; returns the team whose staff it freed, or -1."""
    ci, cf = st.case_i, st.case_f
    state = ci[slot, STATE]
    if state in (GONE, DEADEND, MOVING):
        return NIL
    step = ci[slot, STEP]
    ci[slot, VISIT] += 1
    ci[slot, STATE] = MOVING
    if lay.settings_i[RECORD]:
        row(st, ci[slot, NUMBER], step, cf[slot, REACHED], cf[slot, STARTED], t, status)
    team = lay.step_team[step]
    if team >= 0:
        if state == WORKING:
            if lay.team_rate[team]:
                cf[slot, COST] += lay.team_rate[team] * (t - cf[slot, STARTED])
            free_staff(lay, st, team, slot, t)
            return team
        if state == QUEUED:
            st.team_i[team, QUEUED_N] -= 1
            if st.team_i[team, LISTED] > 2 * st.team_i[team, QUEUED_N] + 1024:
                compact(st, team)
    return NIL


@compiled
def end_case(lay, st, slot, t, outcome, status):
    """Engine.end_case: the case in `slot` ends at `t` with `outcome`."""
    st.case_f[slot, END] = t
    st.case_i[slot, OUTCOME_AT] = outcome
    st.clock_i[OPEN_CASES] -= 1
    freed = NIL
    if st.case_i[slot, STATE] != GONE:
        freed = leave(lay, st, slot, t, status)
        st.case_i[slot, STATE] = GONE
    if freed >= 0:
        take_next(lay, st, freed, t, False)
    tally(st, slot)
    st.free[st.clock_i[FREE_TOP]] = slot
    st.clock_i[FREE_TOP] += 1
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


@compiled
def more_slots(st):
    """Twice the slots for cases, the new ones free."""
    n = st.case_i.shape[0]
    st.case_i, st.case_f, st.free = grown(st.case_i, 2 * n), grown(st.case_f, 2 * n), grown(st.free, 2 * n)
    st.case_i[n:, STATE] = GONE
    for j in range(n):
        st.free[j] = 2 * n - 1 - j
    st.clock_i[FREE_TOP] = n


@inlined
def arrival(lay, st, t):
    """Engine.arrival: a new case, in a free slot, reaches an entry step."""
    st.clock_f[NOW] = t
    number = st.clock_i[N_CASES]
    st.clock_i[N_CASES] = number + 1
    if st.clock_i[FREE_TOP] == 0:
        more_slots(st)
    st.clock_i[FREE_TOP] -= 1
    slot = st.free[st.clock_i[FREE_TOP]]
    ci, cf = st.case_i, st.case_f
    visit = ci[slot, VISIT]
    ci[slot, :] = 0
    ci[slot, NUMBER], ci[slot, VISIT], ci[slot, STATE], ci[slot, LAST], ci[slot, OUTCOME_AT] = (
        number, visit, MOVING, NIL, NIL)
    cf[slot, ARRIVAL], cf[slot, REACHED], cf[slot, STARTED] = t, 0.0, np.nan
    cf[slot, COST], cf[slot, EXTRA], cf[slot, CLOSES], cf[slot, END] = 0.0, 0.0, INF, INF
    st.clock_i[OPEN_CASES] += 1
    if lay.settings_i[HAS_PATIENCE]:
        push(st, t + draw(lay, st, PATIENCE_STREAM), PATIENCES + number, 0, slot)
    following = next_arrival(lay, st)
    st.clock_f[NEXT_ARRIVAL] = following
    if following == INF and lay.settings_f[UNTIL] == INF:
        st.clock_f[WINDOW_T] = t
        st.clock_i[WINDOW_SET] = 1
        work_until(lay, st, t, st.window_busy, st.window_duty)
    reach(lay, st, slot, lay.entry[int(draw(lay, st, START))], t)


@inlined
def work_ends(lay, st, t, slot, visit):
    """Engine.work_ends: the team takes its next case, and the case goes on."""
    ci, cf = st.case_i, st.case_f
    if ci[slot, VISIT] != visit:
        return
    st.clock_f[NOW] = t
    step = ci[slot, STEP]
    if lay.settings_i[RECORD]:
        row(st, ci[slot, NUMBER], step, cf[slot, REACHED], cf[slot, STARTED], t, DONE_ROW)
    team = lay.step_team[step]
    if team >= 0:
        if lay.team_rate[team]:
            cf[slot, COST] += lay.team_rate[team] * (t - cf[slot, STARTED])
        if not lay.team_hours[team]:
            if st.team_i[team, QUEUED_N]:
                hand_over(lay, st, team, t)
            else:
                st.team_i[team, BUSY] -= 1
                st.team_f[team, BUSY_TIME] += t
        else:
            free_staff(lay, st, team, slot, t)
            if st.team_i[team, QUEUED_N]:
                take_next(lay, st, team, t, False)
    route = lay.step_route[step]
    if route >= 0:
        reach(lay, st, slot, lay.targets[lay.targets_at[step] + int(draw(lay, st, route))], t)
    else:
        ci[slot, STATE] = DEADEND


@inlined
def timeout_expires(lay, st, t, slot, visit):
    """Engine.timeout_expires: the case leaves its step by the timeout's way."""
    if st.case_i[slot, VISIT] != visit:
        return
    st.clock_f[NOW] = t
    step = st.case_i[slot, STEP]
    freed = leave(lay, st, slot, t, TIMED_OUT)
    if freed >= 0:
        take_next(lay, st, freed, t, False)
    reach(lay, st, slot, lay.step_timeout_to[step], t)


@inlined
def patience_runs_out(lay, st, t, slot, number):
    """Engine.patience_runs_out: the customer gives up, unless the case has ended."""
    if st.case_i[slot, NUMBER] != number or st.case_i[slot, OUTCOME_AT] >= 0:
        return
    st.clock_f[NOW] = t
    end_case(lay, st, slot, t, lay.settings_i[ABANDONED_AS], ABANDONED)


@compiled
def work_until(lay, st, t, worked, duty):
    """Engine.work_until: each team's staff time spent working up to `t` (into `worked`), and the
    part of it on duty (into `duty`)."""
    late = st.team_f[:, OVERTIME].copy()
    working = np.nonzero(st.case_i[:, STATE] == WORKING)[0]
    order = np.argsort(st.case_i[working, NUMBER], kind="mergesort")
    for slot in working[order]:
        team = lay.step_team[st.case_i[slot, STEP]]
        if team >= 0 and lay.team_hours[team] and t > st.case_f[slot, CLOSES]:
            late[team] += after_closing(lay, team, st.case_f[slot, CLOSES], t)
    for j in range(worked.shape[0]):
        worked[j] = st.team_f[j, BUSY_TIME] + st.team_i[j, BUSY] * t
        duty[j] = worked[j] - late[j]


@compiled
def advance(lay, st):
    """Engine.run: take events in time order, each to its handler, until the end or until Python is
    needed (the code returned says why; call again to go on)."""
    ci, cf = st.clock_i, st.clock_f
    rows_room = st.rows_i.shape[0] - 8
    while True:
        if ci[N_ENDED] >= lay.settings_i[TALLY_BLOCK]:
            return NEED_FLUSH
        if lay.settings_i[RECORD] and ci[N_ROWS] > rows_room:
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

