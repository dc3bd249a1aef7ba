"""The compiled loop's two records as numba structs, and the random blocks it asks Python for.

Numba passes a tuple of arrays to a compiled function by value, a copy of every array's header at
every call; a struct is passed as one pointer. :func:`layout_struct` and :func:`state_struct` make
the structs from a :class:`~blueprint.simulation.arrays.Layout` and a
:class:`~blueprint.simulation.arrays.State`; they hold the same arrays, so what the loop writes,
Python reads. :func:`refill` is how the loop gets the next block of a random stream.
"""
from __future__ import annotations

from numba import njit
from numba.core import types
from numba.experimental import structref

from .arrays import Layout, State

__all__ = ["layout_struct", "state_struct", "cases_of", "refill", "SOURCES", "compiled", "inlined"]

#: How the loop's functions are compiled: to machine code cached on disk. numba increfs and
#: decrefs a function's struct arguments at every call (four atomic operations for ``lay`` and
#: ``st``, about as long as the rest of a small function): the functions every event goes
#: through are ``inlined`` into their callers, where that goes away (a third of the loop's time);
#: the ones most events do not need (joins, closing hours, a case's end) stay calls, so that
#: compiling stays at half a minute or so, once per installation.
compiled = njit(cache=True)
inlined = njit(cache=True, inline="always")


@structref.register
class LayoutStruct(types.StructRef):
    """numba's type of :class:`Layout` inside the loop."""


@structref.register
class StateStruct(types.StructRef):
    """numba's type of :class:`State` inside the loop."""


class _Proxy(structref.StructRefProxy):
    """What Python holds of a struct (it reads and grows the arrays it made, not the struct)."""


structref.define_boxing(LayoutStruct, _Proxy)
structref.define_boxing(StateStruct, _Proxy)
I1, I2, F1, F2 = types.int64[::1], types.int64[:, ::1], types.float64[::1], types.float64[:, ::1]
#: The numba type of each field of Layout and State (int64 and float64 arrays, C order).
KINDS = {"I1": I1, "I2": I2, "F1": F1, "F2": F2}
FIELD_KINDS = {
    "F1": ("step_amount", "team_staff", "team_rate", "hours_starts", "hours_ends", "hours_before", "team_week",
           "team_per_week", "constant", "at_times", "settings_f", "heap_t", "clock_f", "window_busy",
           "window_duty", "pool"),
    "F2": ("branch_f", "case_f", "team_f", "rows_f", "ended_f"),
    "I2": ("heap_k", "branch_i", "case_i", "team_i", "queue", "rows_i", "ended_i", "waits", "several"),
}
_KIND_OF = {name: kind for kind, names in FIELD_KINDS.items() for name in names}
LAYOUT_TYPE = LayoutStruct([(name, KINDS[_KIND_OF.get(name, "I1")]) for name in Layout._fields])
STATE_TYPE = StateStruct([(name, KINDS[_KIND_OF.get(name, "I1")]) for name in State._fields])


@compiled
def layout_struct(t):
    """The :class:`Layout` `t` as the loop's struct (the same arrays)."""
    lay = structref.new(LAYOUT_TYPE)
    lay.step_team = t.step_team
    lay.step_flags = t.step_flags
    lay.step_duration = t.step_duration
    lay.step_route = t.step_route
    lay.targets_at = t.targets_at
    lay.targets = t.targets
    lay.step_split = t.step_split
    lay.join_at = t.join_at
    lay.join_from = t.join_from
    lay.step_timeout = t.step_timeout
    lay.step_timeout_to = t.step_timeout_to
    lay.step_test = t.step_test
    lay.step_idle = t.step_idle
    lay.step_outcome = t.step_outcome
    lay.step_ended_as = t.step_ended_as
    lay.step_amount = t.step_amount
    lay.step_contact = t.step_contact
    lay.team_staff = t.team_staff
    lay.team_touch = t.team_touch
    lay.team_rate = t.team_rate
    lay.team_hours = t.team_hours
    lay.hours_at = t.hours_at
    lay.hours_starts = t.hours_starts
    lay.hours_ends = t.hours_ends
    lay.hours_before = t.hours_before
    lay.team_week = t.team_week
    lay.team_per_week = t.team_per_week
    lay.entry = t.entry
    lay.constant = t.constant
    lay.at_times = t.at_times
    lay.settings_i = t.settings_i
    lay.settings_f = t.settings_f
    return lay


@compiled
def state_struct(t):
    """The :class:`State` `t` as the loop's struct (the same arrays)."""
    st = structref.new(STATE_TYPE)
    st.heap_t = t.heap_t
    st.heap_k = t.heap_k
    st.pool = t.pool
    st.ends = t.ends
    st.starts = t.starts
    st.room = t.room
    st.at = t.at
    st.branch_i = t.branch_i
    st.branch_f = t.branch_f
    st.branch_free = t.branch_free
    st.case_i = t.case_i
    st.case_f = t.case_f
    st.free = t.free
    st.waits = t.waits
    st.several = t.several
    st.scratch = t.scratch
    st.team_i = t.team_i
    st.team_f = t.team_f
    st.queue = t.queue
    st.rows_i = t.rows_i
    st.rows_f = t.rows_f
    st.ended_i = t.ended_i
    st.ended_f = t.ended_f
    st.clock_i = t.clock_i
    st.clock_f = t.clock_f
    st.window_busy = t.window_busy
    st.window_duty = t.window_duty
    return st


#: Each run's makers of blocks, one per stream (None for a constant), by the run's token.
SOURCES: dict = {}


def refill(token, stream):
    """The next block of `stream` for the run `token` (called from the loop in object mode)."""
    return SOURCES[token][stream]()


@compiled
def cases_of(st):
    """The case and branch arrays as they are now (the loop grows them as it needs)."""
    return st.case_i, st.case_f, st.branch_i, st.branch_f
