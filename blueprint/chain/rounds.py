"""How many rounds a case goes through a loop: the figure of the ``repeat-loop`` rule.

Every loop of a blueprint is solved at once: the loops are strongly connected parts, so they share
no step, and their chains side by side make one block-diagonal system with one factorisation (or
one preconditioner) for all of them (:func:`~blueprint.chain.solve.solver`).
"""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ..model import Blueprint
from ..ways import moves
from .solve import NoSolution, settled, visits_solver

__all__ = ["loop_rounds", "rounds_of_loops"]


def loop_rounds(model: Blueprint, loop: list[str], candidates: list[str], top: int = 3) -> dict[str, float]:
    """How many times on average a case that reaches a step goes through it, going round `loop` (the
    steps of one strongly connected part): for the `top` of `candidates` a case visits most once it
    is in the loop (all entries into the loop taken as equally likely for that choice), most first.
    ``inf`` where the loop never ends.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {call: {lane: customer, channel: phone}, ok: {outcome: success}}\\n"
    ...               "flows: [[call, call, 0.6], [call, ok, 0.4]]\\nstart: call")
    >>> loop_rounds(model, ["call"], ["call"])  # 1 / (1 - 0.6)
    {'call': 2.5}
    """
    return rounds_of_loops(model, [(loop, candidates)], top)[0]


def rounds_of_loops(model: Blueprint, loops: list[tuple[list[str], list[str]]], top: int = 3) -> list[dict[str, float]]:
    """:func:`loop_rounds` for many loops (each with its candidates) that share no step, with one solve
    for all of them: one right-hand side for where cases spread in every loop, then one for each
    rank of candidate (the first candidates of every loop together, then the second...).

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {a: {lane: customer, channel: phone}, b: {lane: customer, channel: email},"
    ...               " ok: {outcome: success}}\\n"
    ...               "flows: [[a, a, 0.5], [a, b, 0.5], [b, b, 0.75], [b, ok, 0.25]]\\nstart: a")
    >>> rounds_of_loops(model, [(["a"], ["a"]), (["b"], ["b"])])  # 1 / (1 - 0.5), 1 / (1 - 0.75)
    [{'a': 2.0}, {'b': 4.0}]
    """
    if not loops:
        return []
    index = {sid: i for i, sid in enumerate(model.steps)}
    n = len(index)
    sizes = [len(loop) for loop, _ in loops]
    order = np.array([index[sid] for loop, _ in loops for sid in loop], dtype=np.int64)
    part = np.full(n, -1)  # the loop of each step, -1 outside every loop asked about
    part[order] = np.repeat(np.arange(len(loops)), sizes)
    place = np.full(n, -1)  # each step's place in the system
    place[order] = np.arange(len(order))
    m = moves(model)
    src = np.concatenate([m.source] + [np.full(len(t), f) for f, (_, t) in m.splits.items()]).astype(np.int64)
    dst = np.concatenate([m.target] + [np.array(t) for _, t in m.splits.values()]).astype(np.int64)
    chance = np.concatenate([m.chance] + [np.full(len(t), c) for c, t in m.splits.values()])
    f_src = np.fromiter((index[f.source] for f in model.flows), dtype=np.int64, count=len(model.flows))
    f_dst = np.fromiter((index[f.target] for f in model.flows), dtype=np.int64, count=len(model.flows))
    incoming = np.bincount(f_dst, minlength=n)
    joins = np.fromiter((s.join == "all" for s in model.steps.values()), dtype=bool, count=n) & (incoming > 1)
    inside = (part[src] >= 0) & (part[src] == part[dst])
    src, dst, chance = src[inside], dst[inside], chance[inside]
    vals = chance / np.where(joins[dst], incoming[dst], 1)  # a join starts once per full set of arrivals
    entries = np.zeros(len(order))
    entries[place[f_dst[(part[f_dst] >= 0) & (part[f_src] != part[f_dst])]]] = 1.0  # flows in from outside
    starts = np.array([index[sid] for sid in model.entry if sid in index], dtype=np.int64)
    entries[place[starts[part[starts] >= 0]]] = 1.0
    first = np.concatenate([[0], np.cumsum(sizes)])
    for k in range(len(loops)):  # a loop nobody enters from outside: every step of it an entry
        if not entries[first[k]:first[k + 1]].any():
            entries[first[k]:first[k + 1]] = 1.0
    steps = [sid for loop, _ in loops for sid in loop]
    at = {sid: i for i, sid in enumerate(steps)}
    block = sp.csr_matrix((vals, (place[src], place[dst])), shape=(len(steps), len(steps)))
    try:
        answers = _solved(visits_solver(block), loops, at, entries, top)
    except NoSolution:  # a loop that keeps every case makes the whole system singular: one loop at a time
        if len(loops) == 1:
            return [{sid: math.inf for sid in loops[0][1][:top]}]
        return [rounds_of_loops(model, [one], top)[0] for one in loops]
    return [dict(sorted(r.items(), key=lambda kv: -kv[1])) for r in answers]


def _solved(solve, loops, at: dict[str, int], entries: np.ndarray, top: int) -> list[dict[str, float]]:
    """The rounds of each loop's `top` candidates: one solve for the spread, then one per rank."""
    spread = solve(entries)
    chosen, answers = [], []
    for loop, candidates in loops:
        members = [at[s] for s in loop]
        if not settled(spread[members]):
            chosen.append([])
            answers.append({sid: math.inf for sid in candidates[:top]})
        else:
            chosen.append(sorted(candidates, key=lambda s: -spread[at[s]])[:top])
            answers.append({})
    for rank in range(top):
        start = np.zeros(len(entries))
        for picks in chosen:
            if rank < len(picks):
                start[at[picks[rank]]] = 1.0
        if not start.any():
            break
        x = solve(start)
        for (loop, _), picks, rounds in zip(loops, chosen, answers):
            if rank < len(picks):
                sid = picks[rank]
                rounds[sid] = float(x[at[sid]]) if settled(x[[at[s] for s in loop]]) else math.inf
    return answers
