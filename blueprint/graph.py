"""The blueprint as a graph: networkx export and the facts about its shape that rules share.

:class:`Facts` computes each fact once, on first use, so that every rule reads the same
reachability, components and handoffs instead of walking the graph again.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import NamedTuple

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from .model import CUSTOMER, Blueprint
from .ways import columns, never_leaves, successors

__all__ = ["Facts", "Handoff", "reach", "strong_parts", "dominator_spans", "listing"]


def listing(model, step_ids: Iterable[str], limit: int = 4) -> str:
    """Steps named as in messages, ``A [a], B [b] and C [c]``, with ``and N more`` past `limit`.

    Examples
    --------
    >>> from blueprint import loads
    >>> model = loads("steps: {a: {name: Asks, lane: customer}, b: {lane: customer}, c: {outcome: success}}\\n"
    ...               "flows: [[a, b], [b, c]]")
    >>> listing(model, ["a", "b", "c"], limit=2)
    'Asks [a], [b] and 1 more'
    >>> listing(model, ["a", "b"])
    'Asks [a] and [b]'
    """
    ids = list(step_ids)
    names = [model.label(s) for s in ids[:limit]]
    if len(ids) > limit:
        return ", ".join(names) + f" and {len(ids) - limit} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Handoff(NamedTuple):
    """A case passing from one team to another: `target` is the owned step it starts, `last` the
    step it comes from (an owned step of `from_team`, or a customer or unowned step after one)."""

    from_team: str
    to_team: str
    target: str
    last: str


class Facts:
    """Shared, lazily computed facts about one blueprint's shape, read by the rules.

    Examples
    --------
    >>> from blueprint import loads
    >>> facts = Facts(loads("steps: {a: {lane: customer}, b: {lane: customer}, c: {outcome: success}}\\n"
    ...                     "flows: [[a, c]]\\nstart: a"))
    >>> sorted(facts.reachable), facts.successors["a"]
    (['a', 'c'], ['c'])
    """

    def __init__(self, model: Blueprint):
        self.model = model

    @cached_property
    def successors(self) -> dict[str, list[str]]:
        """Where each step can lead: its flows, then its timeout, without repeats."""
        out = {sid: list(dict.fromkeys(f.target for f in flows)) for sid, flows in self.model.outgoing.items()}
        for sid, step in self.model.steps.items():
            if step.timeout is not None and step.timeout.to not in out[sid]:
                out[sid].append(step.timeout.to)
        return out

    @cached_property
    def ways(self) -> dict[str, list[str]]:
        """Where a case can really go from each step (:func:`blueprint.ways.successors`): the flows
        and timeouts it takes with a chance above 0. A step its team cannot do has only its
        timeout; a step that always outlasts its timeout has only that."""
        return successors(self.model)

    @cached_property
    def never_leaves(self) -> set[str]:
        """Steps a case can never leave (:func:`blueprint.ways.never_leaves`)."""
        return never_leaves(self.model)

    @cached_property
    def graph(self) -> nx.DiGraph:
        """Steps and the ways between them (flows and timeouts) as a plain ``nx.DiGraph``."""
        G = nx.DiGraph()
        G.add_nodes_from(self.model.steps)
        G.add_edges_from((a, b) for a, targets in self.successors.items() for b in targets)
        return G

    @cached_property
    def reachable(self) -> set[str]:
        """Steps a case can reach from where cases start."""
        seen: set[str] = set()
        stack = [s for s in self.model.entry if s in self.model.steps]
        while stack:
            sid = stack.pop()
            if sid not in seen:
                seen.add(sid)
                stack.extend(self.successors[sid])
        return seen

    @cached_property
    def staff_steps(self) -> list[str]:
        """Steps staff do: not outcomes, in a lane other than the customer's."""
        return [sid for sid, s in self.model.steps.items() if not s.is_outcome and s.lane != CUSTOMER]

    def label(self, step_id: str) -> str:
        return self.model.label(step_id)

    # --- loops, resolution and handoffs, shared by the rules of SPEC §5 and blueprint.chain ------
    @cached_property
    def predecessors(self) -> dict[str, list[str]]:
        """Where each step can be reached from: the steps whose flows or timeout lead to it."""
        into: dict[str, list[str]] = {sid: [] for sid in self.model.steps}
        for a, targets in self.successors.items():
            for b in targets:
                into[b].append(a)
        return into

    @cached_property
    def matrix(self):
        """The ways between steps as a ``scipy.sparse`` CSR matrix (row: from, column: to), with the
        steps in file order; ``facts.ids[i]`` is the step of row and column ``i``."""

        return self._matrix_of(self.successors)

    def _matrix_of(self, ahead: dict[str, list[str]]):
        index = self.index
        rows = [index[a] for a, targets in ahead.items() for _ in targets]
        cols = [index[b] for targets in ahead.values() for b in targets]
        n = len(index)
        return csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))

    @cached_property
    def ways_matrix(self):
        """:attr:`ways` as a ``scipy.sparse`` CSR matrix, like :attr:`matrix`."""
        return self._matrix_of(self.ways)

    @cached_property
    def ids(self) -> list[str]:
        """The step ids in file order."""
        return list(self.model.steps)

    @cached_property
    def index(self) -> dict[str, int]:
        """The position of each step in file order."""
        return {sid: i for i, sid in enumerate(self.ids)}

    @cached_property
    def _parts(self):
        """Strongly connected parts: a label per step (numpy), and which labels are loops."""

        return strong_parts(self.matrix)

    @cached_property
    def component_of(self) -> dict[str, int]:
        """The strongly connected part of each step: steps that can reach each other share a number."""
        return dict(zip(self.ids, self._parts[0].tolist()))

    @cached_property
    def loops(self) -> list[list[str]]:
        """The loops: strongly connected parts a case can go round (two or more steps, or a step that
        flows to itself), each as its steps in file order, in the order of their first step.

        Examples
        --------
        >>> from blueprint import loads
        >>> Facts(loads("steps: {a: {lane: customer}, b: {lane: customer}, c: {outcome: success}}\\n"
        ...             "flows: [[a, b], [b, a, 0.5], [b, c, 0.5]]\\nstart: a")).loops
        [['a', 'b']]
        """
        return [[self.ids[i] for i in members] for _, members in self._loop_members]

    @cached_property
    def _loop_members(self) -> list[tuple[int, list[int]]]:

        labels, looping = self._parts
        inside = np.flatnonzero(looping[labels])
        inside = inside[np.argsort(labels[inside], kind="stable")]
        groups = np.split(inside, np.flatnonzero(np.diff(labels[inside])) + 1) if len(inside) else []
        found = sorted((int(g[0]), int(labels[g[0]]), g.tolist()) for g in groups)
        return [(part, members) for _, part, members in found]

    @cached_property
    def closed_loops(self) -> list[list[str]]:
        """Loops with no way out: once a case is in one, it goes round for ever. Read along
        :attr:`ways`: a flow a case can never take is no way out.

        Examples
        --------
        >>> from blueprint import loads
        >>> facts = Facts(loads("steps: {a: {lane: customer}, b: {lane: customer}, c: {lane: customer}, "
        ...                     "d: {lane: customer}, ok: {outcome: success}}\\n"
        ...                     "flows: [[a, b], [b, a], [a, c], [c, d], [d, c]]\\nstart: a"))
        >>> facts.loops, facts.closed_loops
        ([['a', 'b'], ['c', 'd']], [['c', 'd']])
        """

        matrix = self.ways_matrix
        labels, looping = strong_parts(matrix)
        coo = matrix.tocoo()
        leaving = np.zeros(len(looping), dtype=bool)
        leaving[labels[coo.row[labels[coo.row] != labels[coo.col]]]] = True
        closed = looping & ~leaving
        members: dict[int, list[str]] = {}
        for i in np.flatnonzero(closed[labels]):
            members.setdefault(int(labels[i]), []).append(self.ids[i])
        return sorted(members.values(), key=lambda loop: self.index[loop[0]])

    @cached_property
    def can_succeed(self) -> set[str]:
        """Steps from which some path a case can take (:attr:`ways`) leads to a ``success`` outcome
        (the outcomes included).

        Examples
        --------
        >>> from blueprint import loads
        >>> sorted(Facts(loads("steps: {a: {lane: customer}, b: {lane: customer}, ok: {outcome: success}, "
        ...                    "no: {outcome: failure}}\\nflows: [[a, ok, 0.5], [a, b, 0.5], [b, no]]\\n"
        ...                    "start: a")).can_succeed)
        ['a', 'ok']
        """
        return self.leading_to((sid for sid, s in self.model.steps.items() if s.outcome == "success"), ways=True)

    def leading_to(self, ends, ways: bool = False) -> set[str]:
        """Steps from which some path leads to one of `ends` (the ends included): along the flows
        and timeouts, or with `ways` along :attr:`ways` only."""

        starts = np.zeros(len(self.ids), dtype=bool)
        starts[[self.index[s] for s in ends]] = True
        matrix = self.ways_matrix if ways else self.matrix
        return {self.ids[i] for i in np.flatnonzero(reach(matrix.T.tocsr(), starts))}

    @cached_property
    def owners_carried(self) -> dict[str, dict[str, str]]:
        """For each step without an owner (customer and unowned steps), the teams that may have owned
        the most recent owned step of a case leaving it, each with the step that team's memory
        comes through (follow it back with :meth:`handoff_route`). Customer steps do not reset it.

        Examples
        --------
        >>> from blueprint import loads
        >>> Facts(loads("teams: {a: {}}\\nsteps: {x: {lane: frontstage, owner: a}, c: {lane: customer}, "
        ...             "d: {outcome: success}}\\nflows: [[x, c], [c, d]]")).owners_carried
        {'c': {'a': 'x'}, 'd': {'a': 'c'}}
        """
        owner = self.owner_of
        carried: dict[str, dict[str, str]] = {sid: {} for sid, team in owner.items() if team is None}
        stack = []
        for a, targets in self.successors.items():
            team = owner[a]
            if team is None:
                continue
            for b in targets:
                if b in carried and team not in carried[b]:
                    carried[b][team] = a
                    stack.append(b)
        while stack:
            x = stack.pop()
            for b in self.successors[x]:
                if b in carried:
                    fresh = [t for t in carried[x] if t not in carried[b]]
                    for t in fresh:
                        carried[b][t] = x
                    if fresh:
                        stack.append(b)
        return carried

    @cached_property
    def owner_of(self) -> dict[str, str | None]:
        """The owner of each step (``None`` for customer, unowned and outcome steps without one)."""
        return {sid: s.owner for sid, s in self.model.steps.items()}

    @cached_property
    def handoffs(self) -> list[Handoff]:
        """Every way a case can pass from one team to another (SPEC §2): a flow into an owned step
        from an owned step of another team, or from a customer or unowned step that a case reaches
        after an owned step of another team. One :class:`Handoff` per (flow, team before).

        Examples
        --------
        >>> from blueprint import loads
        >>> facts = Facts(loads("teams: {a: {}, b: {}}\\nsteps: {x: {lane: frontstage, owner: a}, "
        ...     "c: {lane: customer}, y: {lane: frontstage, owner: b}, d: {outcome: success}}\\n"
        ...     "flows: [[x, c], [c, y], [y, d]]"))
        >>> facts.handoffs
        [Handoff(from_team='a', to_team='b', target='y', last='c')]
        >>> facts.handoff_route(facts.handoffs[0])
        ['x', 'c', 'y']
        """
        owner, carried, predecessors = self.owner_of, self.owners_carried, self.predecessors
        found: list[Handoff] = []
        add, make = found.append, tuple.__new__  # a plain tuple.__new__ is several times faster
        for b, team in owner.items():
            if team is None:
                continue
            for x in predecessors[b]:
                before = owner[x]
                if before is None:
                    for t in carried[x]:
                        if t != team:
                            add(make(Handoff, (t, team, b, x)))
                elif before != team:
                    add(make(Handoff, (before, team, b, x)))
        return found

    def handoff_route(self, handoff: Handoff) -> list[str]:
        """The steps of one way the handoff happens: the owned step of the team before, the customer
        or unowned steps in between, and the step of the team after."""
        owner, carried = self.owner_of, self.owners_carried
        route = [handoff.target, handoff.last]
        while owner[route[-1]] is None:
            route.append(carried[route[-1]][handoff.from_team])
        return route[::-1]

    @cached_property
    def deadlocked_joins(self) -> dict[str, list[tuple[str, str]]]:
        """``join: all`` steps that wait for a branch that can never arrive, each with the flows
        ``(source, why)`` it waits for in vain.

        A branch never arrives when its step cannot be reached from the start without going through
        the join itself (``"unreachable"``, or ``"after the join"``: it only comes after it), or
        when nothing before it has ``split: all`` (``"no split"``), so the case never runs down two
        flows at once.

        Examples
        --------
        >>> from blueprint import loads
        >>> Facts(loads("steps: {ask: {lane: customer}, m: {lane: customer}, f: {lane: customer}, "
        ...             "pay: {lane: customer, join: all}, ok: {outcome: success}}\\n"
        ...             "flows: [[ask, m], [ask, f], [m, pay], [f, pay], [pay, ok]]\\nstart: ask")).deadlocked_joins
        {'pay': [('m', 'no split'), ('f', 'no split')]}
        """

        model = self.model
        joins = [sid for sid, s in model.steps.items() if s.join == "all" and len(model.incoming[sid]) > 1]
        if not joins:
            return {}
        splits = np.zeros(len(self.ids), dtype=bool)
        splits[[self.index[b] for sid, s in model.steps.items() if s.split == "all"
                for b in self.successors[sid]]] = True
        parallel = reach(self.matrix, splits) if splits.any() else splits  # steps a split's branch leads to
        part = self.component_of
        stuck: dict[str, list[tuple[str, str]]] = {}
        for j in joins:
            why = []
            for flow in model.incoming[j]:
                x = flow.source
                if x not in self.reachable:
                    why.append((x, "unreachable"))
                elif x == j or (part[x] == part[j] and self._dominated(x, j)):
                    why.append((x, "after the join"))
                elif not parallel[self.index[x]] and model.steps[x].split != "all":
                    why.append((x, "no split"))
            if why:
                stuck[j] = why
        return stuck

    def _dominated(self, x: str, j: str) -> bool:
        """Whether every path from the start to `x` goes through `j`, for two reachable steps of one
        loop: within the loop, from the steps where cases come into it."""
        spans = self._dominators_in(self.component_of[j])
        (x_in, x_out), (j_in, j_out) = spans[self.index[x]], spans[self.index[j]]
        return j_in < x_in and x_out <= j_out

    def _dominators_in(self, part: int) -> dict[int, tuple[int, int]]:
        """Dominator spans within one loop (by step position), from where cases come into it."""
        cache = self.__dict__.setdefault("_dominator_cache", {})
        if part not in cache:
            members = dict(self._loop_members)[part]
            local = {m: k for k, m in enumerate(members)}
            ids, index = self.ids, self.index
            succ = [[local[index[b]] for b in self.successors[ids[m]] if index[b] in local] for m in members]
            roots = [local[m] for m in members
                     if ids[m] in self.model.entry
                     or any(index[a] not in local and a in self.reachable for a in self.predecessors[ids[m]])]
            cache[part] = {members[k]: span for k, span in dominator_spans(succ, roots).items()}
        return cache[part]


def steps_with_joins(model: Blueprint):
    """The ``join: all`` steps with flows from two or more steps into them, as ``(id, step)``."""
    ids = columns(model).ids
    return [(ids[i], model.steps[ids[i]]) for i in np.flatnonzero(columns(model).join).tolist()
            if len({f.source for f in model.incoming[ids[i]]}) > 1]


def strong_parts(matrix) -> tuple[np.ndarray, np.ndarray]:
    """The strongly connected parts of a graph given as a sparse matrix (a nonzero at ``[a, b]``: an
    edge from a to b): a label per node, and for each label whether it is a loop (two or more
    nodes, or one with an edge to itself). The one place the package finds them.

    Examples
    --------
    >>> m = csr_matrix(([1, 1, 1, 1], ([0, 1, 1, 3], [1, 0, 2, 3])), shape=(4, 4))
    >>> labels, looping = strong_parts(m)
    >>> bool(labels[0] == labels[1]), looping[labels].tolist()
    (True, [True, True, False, True])
    """
    _, labels = connected_components(matrix, directed=True, connection="strong")
    return labels, looping_parts(matrix, labels)


def looping_parts(matrix, labels: np.ndarray) -> np.ndarray:
    """For each strongly connected part of `matrix` (`labels` from :func:`strong_parts`), whether it
    is a loop: two or more nodes, or one with an edge to itself."""
    looping = np.bincount(labels, minlength=int(labels.max()) + 1 if len(labels) else 0) > 1
    looping[labels[matrix.diagonal() != 0]] = True
    return looping


def reach(matrix, starts):
    """Which rows of a sparse adjacency `matrix` are reachable from the rows marked in `starts`
    (a boolean numpy array), the starts included.

    Examples
    --------
    >>> m = csr_matrix(([1, 1], ([0, 1], [1, 2])), shape=(4, 4))
    >>> reach(m, np.array([True, False, False, False])).tolist()
    [True, True, True, False]
    """
    n = matrix.shape[0]
    first = np.flatnonzero(starts)
    if not len(first):
        return np.zeros(n, dtype=bool)
    m = matrix.tocsr()
    # one more row, a virtual start that leads to every marked row: a single breadth-first walk
    indptr = np.concatenate([m.indptr, [m.indptr[-1] + len(first)]])
    indices = np.concatenate([m.indices, first]).astype(m.indices.dtype, copy=False)
    augmented = csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(n + 1, n + 1))
    found = np.zeros(n + 1, dtype=bool)
    found[breadth_first_order(augmented, n, directed=True, return_predecessors=False)] = True
    return found[:n]


def dominator_spans(succ: list[list[int]], roots: list[int]) -> dict[int, tuple[int, int]]:
    """For a graph of nodes ``0..n-1`` (``succ[i]``: where node i leads), the nodes reachable from
    `roots`, each with the span of its subtree in the dominator tree: ``a`` dominates ``b`` (every
    path from the roots to ``b`` goes through ``a``) when ``a``'s span holds ``b``'s.

    The iterative algorithm of Cooper, Harvey and Kennedy ("A simple, fast dominance algorithm",
    2001) on integer lists, from a virtual root before the `roots`.

    Examples
    --------
    >>> spans = dominator_spans([[1, 2], [3], [3], []], [0])
    >>> [b for b in range(4) if spans[0][0] < spans[b][0] and spans[b][1] <= spans[0][1]]
    [1, 2, 3]
    >>> spans[1][0] < spans[3][0] and spans[3][1] <= spans[1][1]
    False
    """
    root = len(succ)
    succ = succ + [list(roots)]
    post = [-1] * (root + 1)
    order: list[int] = []
    post[root] = -2
    stack = [(root, iter(succ[root]))]
    while stack:
        node, ahead = stack[-1]
        for nxt in ahead:
            if post[nxt] == -1:
                post[nxt] = -2
                stack.append((nxt, iter(succ[nxt])))
                break
        else:
            stack.pop()
            post[node] = len(order)
            order.append(node)
    preds: list[list[int]] = [[] for _ in range(root + 1)]
    for a in order:
        for b in succ[a]:
            preds[b].append(a)
    idom = [-1] * (root + 1)
    idom[root] = root
    changed = True
    while changed:
        changed = False
        for b in reversed(order[:-1]):
            new = -1
            for a in preds[b]:
                if idom[a] == -1:
                    continue
                if new == -1:
                    new = a
                    continue
                x, y = a, new
                while x != y:
                    while post[x] < post[y]:
                        x = idom[x]
                    while post[y] < post[x]:
                        y = idom[y]
                new = x
            if idom[b] != new:
                idom[b] = new
                changed = True
    children: list[list[int]] = [[] for _ in range(root + 1)]
    for b in order[:-1]:
        children[idom[b]].append(b)
    span: dict[int, tuple[int, int]] = {}
    first = [0] * (root + 1)
    clock = 0
    walk = [(root, False)]
    while walk:
        node, done = walk.pop()
        if done:
            if node != root:
                span[node] = (first[node], clock)
            continue
        first[node] = clock
        clock += 1
        walk.append((node, True))
        walk.extend((c, False) for c in children[node])
    return span
