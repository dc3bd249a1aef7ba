"""The compiled loop's cases and branches: making them, their joins, and forgetting them.

The engine's :meth:`~blueprint.simulation.engine.Engine.new_branch`,
:meth:`~blueprint.simulation.engine.Engine.joined` and
:meth:`~blueprint.simulation.engine.Engine.handed_over`, and the making and forgetting of a case,
over the arrays of :mod:`~blueprint.simulation.arrays`: a case's branches are a list in the order
they were made (``FIRST_BRANCH``, ``NEXT_BRANCH``), the branches waiting at its joins a list of rows
of ``waits``, and the teams a branch was last with after a join without an owner a list of rows of
``several``. A case's branches, rows and slot are freed when it ends.
"""
from __future__ import annotations

import numpy as np

from .arrays import (
    ARRIVAL,
    BRANCH_TOP,
    CLOSES,
    COST,
    END,
    EXTRA,
    FIRST_BRANCH,
    FREE_TOP,
    GONE,
    HANDOFFS,
    IN_USE,
    INF,
    JOINWAIT,
    LAST,
    LAST_BRANCH,
    MOVING,
    N_BRANCHES,
    NEXT_BRANCH,
    NIL,
    NUMBER,
    OF_CASE,
    OUTCOME_AT,
    REACHED,
    S_NEXT,
    S_TEAM,
    SEEN,
    SERIAL,
    SEVERAL,
    STARTED,
    STATE,
    VISIT,
    W_BRANCH,
    W_FROM,
    W_NEXT,
    W_STEP,
    WAIT_FREE,
    WAITING,
)
from .kernel import (
    drop_several,
    give_row,
    grown,
    new_several,
    put,
    take_row,
)
from .structs import compiled, inlined

__all__ = ["handed_over", "comes_from", "joined", "take_waiting", "forget", "new_case", "new_branch"]


@compiled
def handed_over(st, b, team):
    """Engine.handed_over: handoffs when branch `b` comes to a step of `team`."""
    last = st.branch_i[b, LAST]
    st.branch_i[b, LAST] = team
    if last == -2:
        count, i = 0, st.branch_i[b, SEVERAL]
        while i != NIL:
            count += st.several[i, S_TEAM] != team
            i = st.several[i, S_NEXT]
        drop_several(st, st.branch_i[b, SEVERAL])
        st.branch_i[b, SEVERAL] = NIL
        return count
    return 1 if last >= 0 and last != team else 0


@compiled
def comes_from(lay, step, came_from):
    """Whether `came_from` is one of the steps with a flow into join `step`."""
    for k in range(lay.join_at[step], lay.join_at[step + 1]):  # noqa: SIM110 - a loop numba compiles
        if lay.join_from[k] == came_from:
            return True
    return False


@compiled
def joined(lay, st, b, step, came_from):
    """Engine.joined: branch `b` reached join `step` from `came_from`; True when it goes on (a
    branch has come in along every incoming flow), the first to come along each one joined."""
    c, team = st.branch_i[b, OF_CASE], lay.step_team[step]
    if team >= 0:
        st.case_i[c, HANDOFFS] += handed_over(st, b, team)
    st.waits, entry = take_row(st.waits, st.clock_i, WAIT_FREE)
    st.waits[entry, W_STEP], st.waits[entry, W_FROM], st.waits[entry, W_BRANCH] = step, came_from, b
    i = st.case_i[c, WAITING]
    if i == NIL:
        st.case_i[c, WAITING] = entry
    else:
        while st.waits[i, W_NEXT] != NIL:
            i = st.waits[i, W_NEXT]
        st.waits[i, W_NEXT] = entry
    for k in range(lay.join_at[step], lay.join_at[step + 1]):  # has every incoming flow brought one?
        i = st.case_i[c, WAITING]
        while i != NIL and not (st.waits[i, W_STEP] == step and st.waits[i, W_FROM] == lay.join_from[k]):
            i = st.waits[i, W_NEXT]
        if i == NIL:
            st.branch_f[b, STARTED] = np.nan
            st.branch_i[b, STATE] = JOINWAIT
            return False
    lasts = 0
    for k in range(lay.join_at[step], lay.join_at[step + 1]):  # the first along each flow joins
        other = take_waiting(st, c, step, lay.join_from[k])
        st.branch_i[b, SEEN] |= st.branch_i[other, SEEN]
        if team < 0:  # and, without an owner here, every team they were last with
            last = st.branch_i[other, LAST]
            if last == -2:
                i = st.branch_i[other, SEVERAL]
                while i != NIL:
                    put(st, lasts, st.several[i, S_TEAM])
                    lasts, i = lasts + 1, st.several[i, S_NEXT]
            elif last >= 0:
                put(st, lasts, last)
                lasts += 1
        if other != b:
            st.branch_i[other, STATE] = GONE
    if team < 0:
        drop_several(st, st.branch_i[b, SEVERAL])
        st.branch_i[b, SEVERAL] = NIL
        st.branch_i[b, LAST] = st.scratch[0] if lasts == 1 else NIL if lasts == 0 else -2
        if lasts > 1:
            for k in range(lasts - 1, -1, -1):
                st.branch_i[b, SEVERAL] = new_several(st, st.scratch[k], st.branch_i[b, SEVERAL])
    return True


@compiled
def take_waiting(st, c, step, source):
    """The branch that came first to join `step` along the flow from `source`, off case `c`'s list."""
    before_it, i = NIL, st.case_i[c, WAITING]
    while not (st.waits[i, W_STEP] == step and st.waits[i, W_FROM] == source):
        before_it, i = i, st.waits[i, W_NEXT]
    if before_it == NIL:
        st.case_i[c, WAITING] = st.waits[i, W_NEXT]
    else:
        st.waits[before_it, W_NEXT] = st.waits[i, W_NEXT]
    give_row(st.waits, i, st.clock_i, WAIT_FREE)
    return st.waits[i, W_BRANCH]


@inlined
def forget(st, c):
    """Free case `c`'s branches, the rows of its joins and its slot (its figures stay for the tally)."""
    b = st.case_i[c, FIRST_BRANCH]
    while b != NIL:
        drop_several(st, st.branch_i[b, SEVERAL])
        st.branch_i[b, SEVERAL] = NIL
        st.branch_free[st.clock_i[BRANCH_TOP]] = b
        st.clock_i[BRANCH_TOP] += 1
        b = st.branch_i[b, NEXT_BRANCH]
    i = st.case_i[c, WAITING]
    while i != NIL:
        following = st.waits[i, W_NEXT]
        give_row(st.waits, i, st.clock_i, WAIT_FREE)
        i = following
    st.case_i[c, WAITING] = NIL
    st.case_i[c, IN_USE] = 0
    st.free[st.clock_i[FREE_TOP]] = c
    st.clock_i[FREE_TOP] += 1


@inlined
def new_case(st, number, t):
    """A case in a free slot (twice the slots when none is free), with no branch yet."""
    if st.clock_i[FREE_TOP] == 0:
        n = st.case_i.shape[0]
        st.case_i, st.case_f, st.free = grown(st.case_i, 2 * n), grown(st.case_f, 2 * n), grown(st.free, 2 * n)
        for j in range(n):
            st.free[j] = 2 * n - 1 - j
        st.clock_i[FREE_TOP] = n
    st.clock_i[FREE_TOP] -= 1
    c = st.free[st.clock_i[FREE_TOP]]
    st.case_i[c, :] = 0
    st.case_i[c, NUMBER], st.case_i[c, OUTCOME_AT], st.case_i[c, IN_USE] = number, NIL, 1
    st.case_i[c, FIRST_BRANCH] = st.case_i[c, LAST_BRANCH] = st.case_i[c, WAITING] = NIL
    st.case_f[c, ARRIVAL], st.case_f[c, COST], st.case_f[c, END] = t, 0.0, INF
    return c


@inlined
def new_branch(st, c, parent):
    """Engine.new_branch: a new branch of case `c`, remembering what branch `parent` (or NIL) remembers."""
    if st.clock_i[BRANCH_TOP] == 0:
        n = st.branch_i.shape[0]
        st.branch_i, st.branch_f = grown(st.branch_i, 2 * n), grown(st.branch_f, 2 * n)
        st.branch_free = grown(st.branch_free, 2 * n)
        st.branch_i[n:, STATE] = GONE
        for j in range(n):
            st.branch_free[j] = 2 * n - 1 - j
        st.clock_i[BRANCH_TOP] = n
    st.clock_i[BRANCH_TOP] -= 1
    b = st.branch_free[st.clock_i[BRANCH_TOP]]
    bi, bf = st.branch_i, st.branch_f
    visit = bi[b, VISIT]  # kept: an event for an earlier visit of this slot stays stale
    bi[b, :] = 0
    bi[b, SERIAL], bi[b, OF_CASE], bi[b, VISIT], bi[b, STATE] = st.clock_i[N_BRANCHES], c, visit, MOVING
    bi[b, LAST], bi[b, NEXT_BRANCH], bi[b, SEVERAL] = NIL, NIL, NIL
    bf[b, REACHED], bf[b, STARTED], bf[b, EXTRA], bf[b, CLOSES] = 0.0, np.nan, 0.0, INF
    st.clock_i[N_BRANCHES] += 1
    if parent != NIL:
        bi[b, LAST], bi[b, SEEN] = bi[parent, LAST], bi[parent, SEEN]
        if bi[parent, LAST] == -2:  # a copy of the parent's list of teams
            i, tail = bi[parent, SEVERAL], NIL
            while i != NIL:
                row_ = new_several(st, st.several[i, S_TEAM], NIL)
                if tail == NIL:
                    bi[b, SEVERAL] = row_
                else:
                    st.several[tail, S_NEXT] = row_
                tail, i = row_, st.several[i, S_NEXT]
    if st.case_i[c, LAST_BRANCH] == NIL:
        st.case_i[c, FIRST_BRANCH] = b
    else:
        bi[st.case_i[c, LAST_BRANCH], NEXT_BRANCH] = b
    st.case_i[c, LAST_BRANCH] = b
    return b
