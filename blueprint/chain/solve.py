"""Sparse solves shared by the chains: expected visits of an absorbing chain, with its endless loops.

Every chain here is a sparse matrix of transition weights (rows: from, columns: to) and a vector
of where cases come in. :func:`expected_visits` solves ``(I - P^T) v = entry`` on the states whose
visits are finite, and marks the others ``inf``: the states of a loop no case leaves, and
everything such a loop leads to.

Every solve goes through :func:`solver`, which chooses how by the shape of the chain: a direct
sparse LU (never a dense inverse) when its largest loop has at most :data:`DIRECT_MOST` states,
where the LU's fill-in stays small; otherwise BiCGSTAB (or GMRES, should it break down)
preconditioned with an incomplete LU, to a
residual :data:`RESIDUAL` times the right-hand side's, which keeps every figure within
:data:`~blueprint.tolerance.TOLERANCE` of the exact answer (the test suite checks the two against
each other). A chain too large to solve is a :class:`~blueprint.errors.BlueprintError` that names
the limit, never a hang.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, bicgstab, gmres, spilu, splu

from ..errors import BlueprintError
from ..graph import reach, strong_parts
from ..tolerance import TOLERANCE

__all__ = ["EPS", "HUGE", "DIRECT_MOST", "MOST_STATES", "RESIDUAL", "NoSolution", "solver", "visits_solver",
           "settled", "loops", "closed_parts", "solve_block", "expected_visits"]

#: Chances this close to 0 or 1 are rounding, not news.
EPS = 1e-12
#: Expected visits beyond this are taken as a loop that never ends (a solve near singular).
HUGE = 1e12
#: Chains whose largest loop has at most this many states are solved with a direct sparse LU; larger
#: loops (one giant loop of random flows fills a direct LU in towards a dense one) iteratively.
DIRECT_MOST = 2_000
#: The most states one chain may have (the memory of its matrices grows with it).
MOST_STATES = 5_000_000
#: The iterative solves stop when the residual is this small, relative to the right-hand side.
RESIDUAL = TOLERANCE * 1e-3
#: Incomplete-LU settings tried in turn (drop tolerance, fill factor, ordering, pivoting threshold): cheap
#: first (``I - P^T`` is column diagonally dominant, so the natural order without pivoting works), then
#: closer to exact.
_PRECONDITIONERS = ((1e-1, 1.0, "NATURAL", 0.0), (1e-2, 2.0, "NATURAL", 0.0), (1e-4, 10.0, "COLAMD", 1.0))


#: The Krylov solvers tried in turn with each preconditioner: BiCGSTAB (a fixed cost per iteration), then
#: restarted GMRES (slower, but it does not break down).
_KRYLOV = (lambda a, b, m: bicgstab(a, b, M=m, rtol=RESIDUAL, atol=0.0, maxiter=500),
           lambda a, b, m: gmres(a, b, M=m, rtol=RESIDUAL, atol=0.0, restart=60, maxiter=5))


class NoSolution(RuntimeError):
    """The system is singular (a loop that keeps every case), or the iteration did not settle."""


def solver(system: sp.spmatrix, largest: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """A function solving ``system @ x = b`` for a vector or a matrix `b` (column by column): a direct
    sparse LU when the largest loop of `system` is small, a Krylov solver (BiCGSTAB, then GMRES) with
    an incomplete-LU preconditioner when it is large. `largest`, the size of the largest loop (or a
    bound on it), saves finding the loops again when the caller knows them.

    Raises
    ------
    NoSolution
        When `system` is exactly singular, or an iterative solve does not reach :data:`RESIDUAL`.
    BlueprintError
        When the chain has more than :data:`MOST_STATES` states.

    Examples
    --------
    >>> a = sp.csc_matrix(np.array([[1.0, -0.5], [0.0, 1.0]]))
    >>> solver(a)(np.array([1.0, 2.0])).tolist()
    [2.0, 2.0]
    """
    n = system.shape[0]
    if n > MOST_STATES:
        raise BlueprintError(f"the exact chain of this blueprint has {n:,} states, more than the {MOST_STATES:,} "
                             "it can solve; simulate the blueprint instead (blueprint simulate)")
    system = sp.csc_matrix(system)
    if largest is None:
        labels, _ = strong_parts(system)
        largest = int(np.bincount(labels).max()) if n else 0
    if largest <= DIRECT_MOST:
        try:
            return splu(system).solve
        except RuntimeError as error:  # exactly singular: a loop keeps every case
            raise NoSolution(str(error)) from None
    return _iterative(system)


def _iterative(system: sp.csc_matrix) -> Callable[[np.ndarray], np.ndarray]:
    """BiCGSTAB, then GMRES, with an incomplete LU: the cheap one first, a closer one when that does not settle."""
    made: list = []

    def one(b: np.ndarray) -> np.ndarray:
        scale = float(np.linalg.norm(b))
        if scale == 0:
            return np.zeros_like(b)
        for k, (drop, fill, order, pivot) in enumerate(_PRECONDITIONERS):
            if len(made) <= k:
                try:
                    made.append(spilu(system, drop_tol=drop, fill_factor=fill, permc_spec=order,
                                      diag_pivot_thresh=pivot))
                except RuntimeError:  # the incomplete LU itself is singular: try the closer one
                    made.append(None)
            if made[k] is None:
                continue
            m = LinearOperator(system.shape, made[k].solve)
            for attempt in _KRYLOV:
                x, _ = attempt(system, b, m)
                if np.all(np.isfinite(x)) and np.linalg.norm(system @ x - b) <= 10 * RESIDUAL * scale:
                    return x
        raise NoSolution("the iterative solve did not settle")

    def solve(b: np.ndarray) -> np.ndarray:
        b = np.asarray(b, dtype=float)
        if b.ndim == 1:
            return one(b)
        return np.column_stack([one(b[:, j]) for j in range(b.shape[1])]) if b.shape[1] else b.copy()
    return solve


def loops(matrix: sp.csr_matrix):
    """Strongly connected parts of a chain: their labels, and which parts are loops (a case can come back).

    Examples
    --------
    >>> m = sp.csr_matrix(([1.0, 1.0, 1.0], ([0, 1, 1], [1, 0, 2])), shape=(3, 3))
    >>> labels, looping = loops(m)
    >>> bool(labels[0] == labels[1]), looping[labels].tolist()
    (True, [True, True, False])
    """
    return strong_parts(matrix)


def closed_parts(share: sp.csr_matrix, labels, looping) -> np.ndarray:
    """Loops no case ever leaves: every state's chances inside its part add up to 1.

    Examples
    --------
    >>> m = sp.csr_matrix(([1.0, 1.0, 0.5, 0.5], ([0, 1, 2, 2], [1, 0, 0, 1])), shape=(3, 3))
    >>> labels, looping = loops(m)
    >>> closed_parts(m, labels, looping)[labels].tolist()
    [True, True, False]
    """
    coo = share.tocoo()
    inside = np.zeros(share.shape[0])
    same = labels[coo.row] == labels[coo.col]
    np.add.at(inside, coo.row[same], coo.data[same])
    leaks = np.zeros(len(looping), dtype=bool)
    leaks[labels[inside < 1 - TOLERANCE]] = True
    return looping & ~leaks


def settled(x: np.ndarray) -> bool:
    """Whether a solve's expected visits are an answer: finite, not negative (beyond rounding), not huge."""
    return bool(np.all(np.isfinite(x))) and (x.size == 0 or (x.min() >= -TOLERANCE and x.max() <= HUGE))


def visits_solver(block: sp.spmatrix, largest: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """A solver of ``(I - block^T) v = entry``: the expected visits of a chain with moves `block`
    (`largest` as for :func:`solver`)."""
    return solver(sp.identity(block.shape[0], format="csc") - block.T.tocsc(), largest)


def solve_block(matrix: sp.csr_matrix, members: np.ndarray) -> np.ndarray | None:
    """Visits inside one loop from one entry into each state, or ``None`` when they never end."""
    try:
        x = visits_solver(matrix[members][:, members])(np.ones(len(members)))
    except NoSolution:  # exactly singular, or no answer: the loop keeps every case
        return None
    return x if settled(x) else None


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

    Raises
    ------
    BlueprintError
        When the solve does not settle (a loop a case almost never leaves, in a chain too large for
        a direct solve), or the chain is larger than :data:`MOST_STATES`.

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
    if grows.any() and matrix is not share and (matrix != share).nnz:  # where branches can outgrow the case
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
        try:
            largest = int(np.bincount(labels[good]).max())  # a bound: the loops of `good` lie inside these
            block = matrix if len(good) == n else matrix[good][:, good]
            visits[good] = visits_solver(block, largest)(entry[good])
        except NoSolution:
            raise BlueprintError(f"the exact chain of {len(good):,} states did not settle to within {RESIDUAL:g}: "
                                 "a loop that cases almost never leave; simulate the blueprint instead "
                                 "(blueprint simulate)") from None
    visits[np.abs(visits) < EPS] = 0.0
    never_end = bad & reach(matrix, entry > 0) if bad.any() else bad  # the endless states a case reaches
    visits[never_end] = np.inf
    cause = {int(i): kinds.get(int(labels[i]), "after") for i in np.flatnonzero(never_end)}
    return visits, cause, labels
