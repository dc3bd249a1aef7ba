"""Sparse solves shared by the chains: expected visits of an absorbing chain, with its endless loops.

Every chain here is a sparse matrix of transition weights (rows: from, columns: to) and a vector
of where cases come in. :func:`expected_visits` solves ``(I - P^T) v = entry`` with a sparse LU
(never a dense inverse) on the states whose visits are finite, and marks the others ``inf``:
the states of a loop no case leaves, and everything such a loop leads to.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from ..graph import reach

__all__ = ["EPS", "HUGE", "loops", "closed_parts", "solve_block", "expected_visits"]

#: Chances this close to 0 or 1 are rounding, not news.
EPS = 1e-12
#: Expected visits beyond this are taken as a loop that never ends (a solve near singular).
HUGE = 1e12


def loops(matrix: sp.csr_matrix):
    """Strongly connected parts of a chain: their labels, and which parts are loops (a case can come back).

    Examples
    --------
    >>> m = sp.csr_matrix(([1.0, 1.0, 1.0], ([0, 1, 1], [1, 0, 2])), shape=(3, 3))
    >>> labels, looping = loops(m)
    >>> bool(labels[0] == labels[1]), looping[labels].tolist()
    (True, [True, True, False])
    """
    n_parts, labels = connected_components(matrix, directed=True, connection="strong")
    coo = matrix.tocoo()
    size = np.bincount(labels, minlength=n_parts)
    looping = size > 1
    looping[labels[coo.row[coo.row == coo.col]]] = True
    return labels, looping


def closed_parts(share: sp.csr_matrix, labels, looping) -> np.ndarray:
    """Loops no case ever leaves: every state's chances inside its part add up to 1."""
    coo = share.tocoo()
    inside = np.zeros(share.shape[0])
    same = labels[coo.row] == labels[coo.col]
    np.add.at(inside, coo.row[same], coo.data[same])
    leaks = np.zeros(len(looping), dtype=bool)
    leaks[labels[inside < 1 - 1e-9]] = True
    return looping & ~leaks


def solve_block(matrix: sp.csr_matrix, members: np.ndarray) -> np.ndarray | None:
    """Visits inside one loop from one entry into each state, or ``None`` when they never end."""
    block = matrix[members][:, members]
    system = (sp.identity(len(members), format="csc") - block.T.tocsc())
    try:
        x = splu(system).solve(np.ones(len(members)))
    except RuntimeError:  # exactly singular: the loop keeps every case
        return None
    if not np.all(np.isfinite(x)) or x.min() < -1e-9 or x.max() > HUGE:
        return None
    return x


def expected_visits(matrix: sp.csr_matrix, share: sp.csr_matrix, entry: np.ndarray):
    """Expected visits of every state of a chain, ``inf`` where they never end.

    Parameters
    ----------
    matrix : sparse matrix
        Expected arrivals along each transition per visit of its row (a row may add up to more
        than 1 where one visit sends out several branches).
    share : sparse matrix
        The chance that the case itself moves along each transition (rows add up to at most 1):
        a loop is closed when no case ever leaves it.
    entry : array
        Expected arrivals into each state from outside.

    Returns
    -------
    visits, cause, labels
        The visits; for each state with infinite visits, why (``"closed"``: a loop with no way out;
        ``"split"``: a loop whose branches grow without end; ``"after"``: it comes after one); the
        strongly connected part of each state.

    Examples
    --------
    >>> m = sp.csr_matrix(([0.5, 1.0], ([0, 1], [1, 0])), shape=(3, 3))
    >>> v, cause, _ = expected_visits(m, m, np.array([1.0, 0.0, 0.0]))
    >>> v.tolist(), cause
    ([2.0, 1.0, 0.0], {})
    """
    n = matrix.shape[0]
    labels, looping = loops(matrix)
    endless = closed_parts(share, labels, looping)
    kinds: dict[int, str] = {int(p): "closed" for p in np.flatnonzero(endless)}
    grows = looping & ~endless
    if grows.any() and (matrix != share).nnz:  # where counting branches can outgrow the case
        differs = np.zeros(len(looping), dtype=bool)
        d = (matrix - share).tocoo()
        differs[labels[d.row[labels[d.row] == labels[d.col]]]] = True
        for part in np.flatnonzero(grows & differs):
            if solve_block(matrix, np.flatnonzero(labels == part)) is None:
                endless[part] = True
                kinds[int(part)] = "split"
    bad = reach(matrix, endless[labels]) if endless.any() else np.zeros(n, dtype=bool)
    visits = np.zeros(n)
    good = np.flatnonzero(~bad)
    if len(good):
        block = matrix[good][:, good]
        system = (sp.identity(len(good), format="csc") - block.T.tocsc())
        visits[good] = splu(system).solve(entry[good])
    visits[np.abs(visits) < EPS] = 0.0
    reached = reach(matrix, entry > 0)
    visits[bad & reached] = np.inf
    cause = {int(i): kinds.get(int(labels[i]), "after") for i in np.flatnonzero(bad & reached)}
    return visits, cause, labels
