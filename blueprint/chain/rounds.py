"""How many rounds a case goes through a loop: the figure of the ``repeat-loop`` rule."""
from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ..model import Blueprint
from ..ways import ways_out
from .solve import HUGE

__all__ = ["loop_rounds"]

#: Loops up to this many steps are solved with a dense LU (still a solve, never an inverse).
_DENSE = 150


def loop_rounds(model: Blueprint, loop: list[str], candidates: list[str], top: int = 3) -> dict[str, float]:
    """How many times on average a case that reaches a step goes through it, going round `loop` (the
    steps of one strongly connected part): for the `top` of `candidates` a case visits most once it
    is in the loop (all entries into the loop taken as equally likely for that choice), most first.
    ``inf`` where the loop never ends.

    One sparse LU of the loop serves every solve, so a loop costs about its size, however many
    contacts it has.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {call: {lane: customer, channel: phone}, ok: {outcome: success}}\\n"
    ...               "flows: [[call, call, 0.6], [call, ok, 0.4]]\\nstart: call")
    >>> loop_rounds(model, ["call"], ["call"])  # 1 / (1 - 0.6)
    {'call': 2.5}
    """
    inside = {sid: i for i, sid in enumerate(loop)}
    arrivals = {sid: 1.0 / len(model.incoming[sid]) for sid in loop  # a join starts once per full set
                if model.steps[sid].join == "all" and len(model.incoming[sid]) > 1}
    rows, cols, vals = [], [], []
    for sid in loop:
        for way in ways_out(model, sid):
            for target in way.targets:
                if target in inside:
                    rows.append(inside[sid])
                    cols.append(inside[target])
                    vals.append(way.chance * arrivals.get(target, 1.0))
    n = len(loop)
    try:
        if n <= _DENSE:  # a small loop: a dense LU is faster than building a sparse one
            system = np.eye(n)
            np.subtract.at(system, (cols, rows), vals)
            with warnings.catch_warnings():  # a singular loop is an answer here, not a warning
                warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
                factors = scipy.linalg.lu_factor(system, check_finite=False)
            solve = lambda rhs: scipy.linalg.lu_solve(factors, rhs, check_finite=False)  # noqa: E731
            if np.abs(np.diag(factors[0])).min() < 1e-14:
                raise RuntimeError("singular")
        else:
            block = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
            solve = splu(sp.identity(n, format="csc") - block.T.tocsc()).solve
    except (RuntimeError, np.linalg.LinAlgError):  # exactly singular: the loop keeps every case
        return {sid: math.inf for sid in candidates[:top]}

    def solved(rhs):
        x = solve(rhs)
        return x if np.all(np.isfinite(x)) and x.min() > -1e-9 and x.max() < HUGE else None

    entries = np.zeros(len(loop))
    for sid in loop:
        if sid in model.entry or any(f.source not in inside for f in model.incoming[sid]):
            entries[inside[sid]] = 1.0
    spread = solved(entries if entries.any() else np.ones(len(loop)))
    if spread is None:
        return {sid: math.inf for sid in candidates[:top]}
    chosen = sorted(candidates, key=lambda s: -spread[inside[s]])[:top]
    rounds = {}
    for sid in chosen:
        start = np.zeros(len(loop))
        start[inside[sid]] = 1.0
        x = solved(start)
        rounds[sid] = math.inf if x is None else float(x[inside[sid]])
    return dict(sorted(rounds.items(), key=lambda kv: -kv[1]))
