"""The arrays of the compiled engine: what each column holds, and what the loop hands back.

:mod:`~blueprint.simulation.kernel` (the loop, compiled by numba) and
:mod:`~blueprint.simulation.compiled` (its driver, in Python) share these names: the columns of
the case, team and clock arrays, the codes the loop returns, and the two records of arrays,
:class:`Layout` (the plan, fixed during a run) and :class:`State` (what the loop changes). The
engine's event kinds, branch states and step flags are spelled again here as plain numbers, the
same values as in :mod:`~blueprint.simulation.engine`, :mod:`~blueprint.simulation.parts` and
:mod:`~blueprint.simulation.plan` (``tests/test_simulation_compiled.py`` checks they agree).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

INF = math.inf

# How the loop gave control back.
DONE, NEED_FLUSH, NEED_ROWS, NEED_LOOK = range(4)

# The engine's event order (engine.END ... STOP) and branch states (parts.MOVING ...), as here.
KIND = 1 << 40
OPENS, TIMEOUTS, PATIENCES, STOPS = KIND, 2 * KIND, 3 * KIND, 4 * KIND
MOVING, QUEUED, WORKING, JOINWAIT, STUCK_HERE, DEADEND, GONE, IDLE = range(8)
DONE_ROW, TIMED_OUT, ABANDONED, CANCELLED, STILL_OPEN = range(5)
# Step flags (plan.OUTCOME ...).
OUTCOME, JOIN, CONTACT, TIMEOUT_SET, STUCK, FAILS, PAID = 1, 2, 4, 8, 16, 32, 64

# Columns of branch_i (integers) and branch_f (floats), one row a branch: its serial, its case's
# slot, the visit it is at, where it is (state, step), the team it was last with (-1 none, -2
# several: the list at SEVERAL), its story bits, the next branch of its case (in the order made).
SERIAL, OF_CASE, VISIT, STATE, STEP, LAST, SEEN, NEXT_BRANCH, SEVERAL = range(9)
BRANCH_INTS = 9
REACHED, STARTED, EXTRA, CLOSES = range(4)
BRANCH_FLOATS = 4
# Columns of case_i and case_f, one row a case: its figures, its branches (first and last made),
# the branches waiting at its joins (a list in `waits`), whether the slot holds a case.
(NUMBER, CONTACTS, HANDOFFS, REPEATS, FAILURES, FAILED, MET, OUTCOME_AT, FIRST_BRANCH, LAST_BRANCH, WAITING,
 IN_USE) = range(12)
CASE_INTS = 12
ARRIVAL, COST, END = range(3)
CASE_FLOATS = 3
# Rows of `waits` (a branch waiting at a join: the join, the step it came from, the branch, the
# next row of the case's list) and of `several` (a team, the next row).
W_STEP, W_FROM, W_BRANCH, W_NEXT = range(4)
S_TEAM, S_NEXT = range(2)
# Columns of team_i and team_f, one row a team.
BUSY, QUEUED_N, MAX_QUEUE, STARTS, BOOKED, HEAD, TAIL, LISTED = range(8)
BUSY_TIME, OVERTIME, WAIT_SUM = range(3)
# The loop's counters (clock_i) and times (clock_f).
(N_CASES, N_EVENTS, CHECK_AT, OPEN_CASES, FREE_TOP, QUEUE_FREE, N_ROWS, N_ENDED, DRAWN, WINDOW_SET, OVER,
 HEAP_N, POOL_USED, N_BRANCHES, BRANCH_TOP, WAIT_FREE, SEVERAL_FREE) = range(17)
CLOCK_INTS, CLOCK_FLOATS = 17, 5
NOW, NEXT_ARRIVAL, ARRIVED_AT, WINDOW_T, LAST_T = range(5)
# Settings (settings_i, settings_f).
CASES, STORY, ABANDONED_AS, ARRIVE_BY, TOKEN, RECORD, CHECK_EVERY, TALLY_BLOCK, HAS_PATIENCE = range(9)
UNTIL, RETELLING = range(2)
BY_GAPS, BY_TIMES = 0, 1  # ARRIVE_BY: gaps from stream 0, or the times in `at_times`
ARRIVALS, START, PATIENCE_STREAM = 0, 1, 2  # the first three streams; then three per step
NIL = -1


class Layout(NamedTuple):
    """A plan as arrays (made by :func:`compiled.layout`): what does not change during a run."""

    step_team: np.ndarray
    step_flags: np.ndarray
    step_duration: np.ndarray  # the stream of its durations
    step_route: np.ndarray  # the stream of its choices of flow, -1 for none
    targets_at: np.ndarray  # step s's targets are targets[targets_at[s]:targets_at[s + 1]]
    targets: np.ndarray
    step_split: np.ndarray  # 1 for a split: a branch down each flow
    join_at: np.ndarray  # join s's incoming steps are join_from[join_at[s]:join_at[s + 1]]
    join_from: np.ndarray
    step_timeout: np.ndarray  # the stream of its timeouts, -1 for none
    step_timeout_to: np.ndarray
    step_test: np.ndarray
    step_idle: np.ndarray
    step_outcome: np.ndarray
    step_ended_as: np.ndarray
    step_amount: np.ndarray
    step_contact: np.ndarray  # its bit among the contact steps, -1 for none
    team_staff: np.ndarray
    team_touch: np.ndarray
    team_rate: np.ndarray
    team_hours: np.ndarray  # 1 for a team with hours
    hours_at: np.ndarray  # team j's intervals are hours_*[hours_at[j]:hours_at[j + 1]]
    hours_starts: np.ndarray
    hours_ends: np.ndarray
    hours_before: np.ndarray  # time on duty in a week before each interval
    team_week: np.ndarray
    team_per_week: np.ndarray
    entry: np.ndarray
    constant: np.ndarray  # each stream's one value, NaN for a stream of random draws
    at_times: np.ndarray
    settings_i: np.ndarray
    settings_f: np.ndarray


class State(NamedTuple):
    """Everything that changes during a run (made by :func:`compiled.start`; the pools may be grown)."""

    heap_t: np.ndarray  # the heap: times ...
    heap_k: np.ndarray  # ... and (order, visit, who)
    pool: np.ndarray  # the streams' current blocks, each in its own region
    ends: np.ndarray  # where the block of each stream ends in the pool
    starts: np.ndarray  # where its region starts ...
    room: np.ndarray  # ... and how long it is
    at: np.ndarray  # the next value to take from each stream's block
    branch_i: np.ndarray
    branch_f: np.ndarray
    branch_free: np.ndarray  # a stack of free branch slots
    case_i: np.ndarray
    case_f: np.ndarray
    free: np.ndarray  # a stack of free case slots
    waits: np.ndarray  # branches waiting at joins, rows W_STEP ... W_NEXT
    several: np.ndarray  # lists of teams, rows S_TEAM, S_NEXT
    scratch: np.ndarray  # room for the teams a case's end frees, and the teams a join gathers
    team_i: np.ndarray
    team_f: np.ndarray
    queue: np.ndarray  # rows (branch slot, visit, next)
    rows_i: np.ndarray  # event rows: (case, step, status) ...
    rows_f: np.ndarray  # ... and (reached, started, end), NaN for none
    ended_i: np.ndarray  # ended cases: (number, outcome, contacts, handoffs, repeats, failures) ...
    ended_f: np.ndarray  # ... and (time in the system, cost)
    clock_i: np.ndarray
    clock_f: np.ndarray
    window_busy: np.ndarray
    window_duty: np.ndarray
