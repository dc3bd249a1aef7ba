"""The compiled loop's small operations: draws, team hours, the heap, rows, the tally and queues.

Each is the engine's (:mod:`~blueprint.simulation.engine`, :mod:`~blueprint.simulation.duty`,
``heapq``) written over the arrays of :mod:`~blueprint.simulation.arrays`, for numba, with the same
arithmetic. :mod:`~blueprint.simulation.loop` builds the handlers from them.
"""
from __future__ import annotations

import numpy as np
from numba import objmode

from .arrays import (
    ARRIVAL,
    CONTACTS,
    COST,
    END,
    FAILURES,
    HANDOFFS,
    HEAD,
    HEAP_N,
    LISTED,
    N_ENDED,
    N_ROWS,
    NIL,
    NUMBER,
    OUTCOME_AT,
    POOL_USED,
    QUEUE_FREE,
    REPEATS,
    S_NEXT,
    S_TEAM,
    SEVERAL_FREE,
    TAIL,
    TOKEN,
    VISIT,
)
from .structs import compiled, inlined, refill

__all__ = ["draw", "next_block", "grown", "open_until", "next_opening", "on_duty", "after_closing", "before", "place",
           "move", "push", "pop", "row", "tally", "linked", "take_row", "give_row", "new_several", "drop_several",
           "put", "enqueue", "dequeue", "compact"]


# --- draws and hours ----------------------------------------------------------------------------

@inlined
def draw(lay, st, k):
    """The next value of stream `k` (a new block from Python when the current one is used up)."""
    value = lay.constant[k]
    if value == value:  # not NaN: always the same
        return value
    i = st.at[k]
    if i == st.ends[k]:
        i = next_block(lay, st, k)
    st.at[k] = i + 1
    return st.pool[i]


@compiled
def next_block(lay, st, k):
    """Stream `k`'s next block, from Python (:func:`refill`), copied into its region of the pool
    (a new region at the end when it is longer than the last); returns where it starts."""
    token = lay.settings_i[TOKEN]
    with objmode(fresh="float64[::1]"):
        fresh = refill(token, k)
    n = fresh.shape[0]
    if n > st.room[k]:
        used = st.clock_i[POOL_USED]
        if used + n > st.pool.shape[0]:
            st.pool = grown(st.pool, used + n)
        st.starts[k], st.room[k] = used, n
        st.clock_i[POOL_USED] = used + n
    start = st.starts[k]
    st.pool[start:start + n] = fresh
    st.ends[k] = start + n
    return start


@compiled
def grown(array, least):
    """`array` with at least `least` rows, and at least twice as many as it had; the new rows zero."""
    bigger = np.zeros((max(2 * array.shape[0], least),) + array.shape[1:], dtype=array.dtype)
    bigger[:array.shape[0]] = array
    return bigger


@inlined
def open_until(lay, team, t):
    """When `team` closes next if it is open at `t`, else 0.0 (duty.open_until)."""
    lo, hi = lay.hours_at[team], lay.hours_at[team + 1]
    week = lay.team_week[team]
    w = t % week
    i = lo + np.searchsorted(lay.hours_starts[lo:hi], w, side="right") - 1
    if i >= lo and w < lay.hours_ends[i]:
        return t - w + lay.hours_ends[i]
    return 0.0


@compiled
def next_opening(lay, team, t):
    """The next start of `team`'s hours after `t` (duty.next_opening)."""
    lo, hi = lay.hours_at[team], lay.hours_at[team + 1]
    week = lay.team_week[team]
    w = t % week
    i = lo + np.searchsorted(lay.hours_starts[lo:hi], w, side="right")
    return t - w + (lay.hours_starts[i] if i < hi else week + lay.hours_starts[lo])


@compiled
def on_duty(lay, team, t):
    """`team`'s time on duty from 0 to `t` (duty.duty_clock)."""
    lo, hi = lay.hours_at[team], lay.hours_at[team + 1]
    week = lay.team_week[team]
    weeks, w = divmod(t, week)
    i = lo + np.searchsorted(lay.hours_starts[lo:hi], w, side="right") - 1
    within = lay.hours_before[i] + min(w, lay.hours_ends[i]) - lay.hours_starts[i] if i >= lo else 0.0
    return weeks * lay.team_per_week[team] + within


@compiled
def after_closing(lay, team, close, t):
    """Engine.after_closing."""
    return (t - close) - (on_duty(lay, team, t) - on_duty(lay, team, close))


# --- the heap ---------------------------------------------------------------------------------

@inlined
def before(t, order, visit, st, j):
    """Whether the entry ``(t, order, visit)`` comes before heap entry `j`: by time, order, visit."""
    tj = st.heap_t[j]
    if t != tj:
        return t < tj
    oj = st.heap_k[j, 0]
    return order < oj or (order == oj and visit < st.heap_k[j, 1])


@inlined
def place(st, i, t, order, visit, who):
    st.heap_t[i] = t
    st.heap_k[i, 0], st.heap_k[i, 1], st.heap_k[i, 2] = order, visit, who


@inlined
def move(st, to, frm):
    st.heap_t[to] = st.heap_t[frm]
    st.heap_k[to, 0], st.heap_k[to, 1], st.heap_k[to, 2] = st.heap_k[frm, 0], st.heap_k[frm, 1], st.heap_k[frm, 2]


@inlined
def push(st, t, order, visit, who):
    """heapq.heappush of ``(t, order, visit, who)``, on arrays (numba's heap of a list is slow):
    the parents after it move down one place until its own is found."""
    i = st.clock_i[HEAP_N]
    if i == st.heap_t.shape[0]:
        st.heap_t, st.heap_k = grown(st.heap_t, i + 1), grown(st.heap_k, i + 1)
    st.clock_i[HEAP_N] = i + 1
    while i > 0:
        parent = (i - 1) >> 1
        if not before(t, order, visit, st, parent):
            break
        move(st, i, parent)
        i = parent
    place(st, i, t, order, visit, who)


@inlined
def pop(st):
    """heapq.heappop: the first entry, as ``(t, order, visit, who)``; the last entry takes its place
    and goes down past the children that come before it."""
    first = (st.heap_t[0], st.heap_k[0, 0], st.heap_k[0, 1], st.heap_k[0, 2])
    n = st.clock_i[HEAP_N] - 1
    st.clock_i[HEAP_N] = n
    if n:
        t, order, visit, who = st.heap_t[n], st.heap_k[n, 0], st.heap_k[n, 1], st.heap_k[n, 2]
        i = 0
        while True:
            child = 2 * i + 1
            if child >= n:
                break
            if child + 1 < n and before(st.heap_t[child + 1], st.heap_k[child + 1, 0], st.heap_k[child + 1, 1],
                                        st, child):
                child += 1
            if before(t, order, visit, st, child):
                break
            move(st, i, child)
            i = child
        place(st, i, t, order, visit, who)
    return first


# --- rows, the tally and queues -----------------------------------------------------------------

@inlined
def row(st, number, step, reached, started, end, status):
    n = st.clock_i[N_ROWS]
    st.rows_i[n, 0], st.rows_i[n, 1], st.rows_i[n, 2] = number, step, status
    st.rows_f[n, 0], st.rows_f[n, 1], st.rows_f[n, 2] = reached, started, end
    st.clock_i[N_ROWS] = n + 1


@inlined
def tally(st, slot):
    """Hand an ended (or still open) case's figures to the block for the tally."""
    n = st.clock_i[N_ENDED]
    ci, cf = st.case_i, st.case_f
    st.ended_i[n, 0], st.ended_i[n, 1] = ci[slot, NUMBER], ci[slot, OUTCOME_AT]
    st.ended_i[n, 2], st.ended_i[n, 3] = ci[slot, CONTACTS], ci[slot, HANDOFFS]
    st.ended_i[n, 4], st.ended_i[n, 5] = ci[slot, REPEATS], ci[slot, FAILURES]
    st.ended_f[n, 0], st.ended_f[n, 1] = cf[slot, END] - cf[slot, ARRIVAL], cf[slot, COST]
    st.clock_i[N_ENDED] = n + 1


@compiled
def linked(rows, start):
    """Chain rows[start:] into a free list (each row's last column the next row, NIL at the end)."""
    last = rows.shape[1] - 1
    for i in range(start, rows.shape[0] - 1):
        rows[i, last] = i + 1
    rows[rows.shape[0] - 1, last] = NIL


@inlined
def take_row(rows, clock_i, head):
    """A free row of the pool `rows`, whose free rows are chained by their last column from row
    ``clock_i[head]``: returns the rows (twice as many when none was free) and the row taken."""
    i = clock_i[head]
    if i == NIL:
        i = rows.shape[0]
        rows = grown(rows, i + 1)
        linked(rows, i)
    last = rows.shape[1] - 1
    clock_i[head] = rows[i, last]
    rows[i, last] = NIL
    return rows, i


@inlined
def give_row(rows, i, clock_i, head):
    """Give row `i` of the pool `rows` back to its free rows (see :func:`take_row`)."""
    rows[i, rows.shape[1] - 1] = clock_i[head]
    clock_i[head] = i


@compiled
def new_several(st, team, following):
    """A row of `several` holding `team`, before row `following`."""
    st.several, i = take_row(st.several, st.clock_i, SEVERAL_FREE)
    st.several[i, S_TEAM], st.several[i, S_NEXT] = team, following
    return i


@compiled
def drop_several(st, i):
    """Give the list of teams from row `i` back to the free rows."""
    while i != NIL:
        following = st.several[i, S_NEXT]
        give_row(st.several, i, st.clock_i, SEVERAL_FREE)
        i = following


@compiled
def put(st, i, value):
    """scratch[i] = value (twice the room when it is full)."""
    if i == st.scratch.shape[0]:
        st.scratch = grown(st.scratch, i + 1)
    st.scratch[i] = value


@inlined
def enqueue(st, team, slot):
    """Put branch `slot` (at its current visit) last in `team`'s queue."""
    q = st.clock_i[QUEUE_FREE]
    if q == NIL:  # every entry in use: twice as many, the new ones free
        q = st.queue.shape[0]
        st.queue = grown(st.queue, q + 1)
        linked(st.queue, q)
    st.clock_i[QUEUE_FREE] = st.queue[q, 2]
    st.queue[q, 0], st.queue[q, 1], st.queue[q, 2] = slot, st.branch_i[slot, VISIT], NIL
    ti = st.team_i
    if ti[team, TAIL] == NIL:
        ti[team, HEAD] = q
    else:
        st.queue[ti[team, TAIL], 2] = q
    ti[team, TAIL] = q
    ti[team, LISTED] += 1


@inlined
def dequeue(st, team):
    """Take the first entry off `team`'s queue: returns (slot, visit)."""
    q = st.team_i[team, HEAD]
    slot, visit, following = st.queue[q, 0], st.queue[q, 1], st.queue[q, 2]
    st.team_i[team, HEAD] = following
    if following == NIL:
        st.team_i[team, TAIL] = NIL
    st.team_i[team, LISTED] -= 1
    st.queue[q, 2] = st.clock_i[QUEUE_FREE]
    st.clock_i[QUEUE_FREE] = q
    return slot, visit


@compiled
def compact(st, team):
    """Drop the entries of cases that left `team`'s queue (Engine.leave keeps the deque short)."""
    q, last, kept = st.team_i[team, HEAD], NIL, 0
    st.team_i[team, HEAD] = NIL
    while q != NIL:
        following = st.queue[q, 2]
        if st.branch_i[st.queue[q, 0], VISIT] == st.queue[q, 1]:
            if last == NIL:
                st.team_i[team, HEAD] = q
            else:
                st.queue[last, 2] = q
            last, kept = q, kept + 1
        else:
            st.queue[q, 2] = st.clock_i[QUEUE_FREE]
            st.clock_i[QUEUE_FREE] = q
        q = following
    if last != NIL:
        st.queue[last, 2] = NIL
    st.team_i[team, TAIL] = last
    st.team_i[team, LISTED] = kept


