"""The blueprint as a graph: networkx export and the facts about its shape that rules share.

:class:`Facts` computes each fact once, on first use, so that every rule reads the same
reachability, components and handoffs instead of walking the graph again.
"""
from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import networkx as nx

from .model import CUSTOMER, Blueprint

__all__ = ["to_networkx", "Facts", "Handoff"]


def to_networkx(model: Blueprint) -> nx.MultiDiGraph:
    """An ``nx.MultiDiGraph``: steps as nodes with their attributes, flows as edges with theirs.

    A step's timeout adds an edge with ``timeout=True`` and ``after`` (its mean, in ``time_unit``).
    ``G.graph`` holds ``name``, ``time_unit``, ``lanes``, ``stages``, ``teams`` (as dicts), ``start``
    (the entry weights), ``arrivals``, ``patience`` and ``checks``.

    Examples
    --------
    >>> from blueprint import loads
    >>> G = loads("steps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b, 1.0]]").to_networkx()
    >>> G.edges["a", "b", 0]["p"], G.graph["start"]
    (1.0, {'a': 1.0})
    """
    G = nx.MultiDiGraph()
    data = model.model_dump(mode="json", by_alias=True)
    G.graph.update(name=model.name, description=model.description, time_unit=model.time_unit,
                   lanes=list(model.lanes), stages=list(model.stages), teams=data["teams"],
                   start=dict(model.entry), arrivals=data["arrivals"], patience=data["patience"],
                   checks=dict(model.checks))
    for sid, step in data["steps"].items():
        G.add_node(sid, id=sid, **step)
    for flow in data["flows"]:
        G.add_edge(flow["from"], flow["to"], p=flow["p"], label=flow["label"], timeout=False)
    for sid, step in model.steps.items():
        if step.timeout is not None:
            from .durations import mean_of
            G.add_edge(sid, step.timeout.to, p=None, label="timeout", timeout=True,
                       after=mean_of(step.timeout.after, model.time_unit))
    return G


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
    def component_of(self) -> dict[str, int]:
        """The strongly connected part of each step: steps that can reach each other share a number."""
        import numpy as np
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        ids = list(self.model.steps)
        index = {sid: i for i, sid in enumerate(ids)}
        rows = [index[a] for a, targets in self.successors.items() for _ in targets]
        cols = [index[b] for targets in self.successors.values() for b in targets]
        matrix = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(len(ids), len(ids)))
        _, labels = connected_components(matrix, directed=True, connection="strong")
        return dict(zip(ids, labels.tolist()))

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
        members: dict[int, list[str]] = {}
        for sid, part in self.component_of.items():
            members.setdefault(part, []).append(sid)
        return [steps for steps in members.values()
                if len(steps) > 1 or steps[0] in self.successors[steps[0]]]

    @cached_property
    def closed_loops(self) -> list[list[str]]:
        """Loops with no way out: once a case is in one, it goes round for ever."""
        part = self.component_of
        leaving = {part[a] for a, targets in self.successors.items() for b in targets if part[b] != part[a]}
        return [loop for loop in self.loops if part[loop[0]] not in leaving]

    @cached_property
    def can_succeed(self) -> set[str]:
        """Steps from which some path leads to a ``success`` outcome (the outcomes included)."""
        return self.leading_to(sid for sid, s in self.model.steps.items() if s.outcome == "success")

    def leading_to(self, ends) -> set[str]:
        """Steps from which some path leads to one of `ends` (the ends included)."""
        seen = set(ends)
        stack = list(seen)
        while stack:
            for a in self.predecessors[stack.pop()]:
                if a not in seen:
                    seen.add(a)
                    stack.append(a)
        return seen

    @cached_property
    def owners_carried(self) -> dict[str, dict[str, str]]:
        """For each step without an owner (customer and unowned steps), the teams that may have owned
        the most recent owned step of a case leaving it, each with the step that team's memory
        comes through (follow it back with :meth:`handoff_route`). Customer steps do not reset it.
        """
        steps = self.model.steps
        carried: dict[str, dict[str, str]] = {sid: {} for sid, s in steps.items() if s.owner is None}
        stack = []
        for a, targets in self.successors.items():
            team = steps[a].owner
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
        steps, carried = self.model.steps, self.owners_carried
        found = []
        for b, step in steps.items():
            if step.owner is None:
                continue
            for x in self.predecessors[b]:
                before = [steps[x].owner] if steps[x].owner is not None else carried[x]
                found.extend(Handoff(t, step.owner, b, x) for t in before if t != step.owner)
        return found

    def handoff_route(self, handoff: Handoff) -> list[str]:
        """The steps of one way the handoff happens: the owned step of the team before, the customer
        or unowned steps in between, and the step of the team after."""
        route = [handoff.target, handoff.last]
        while self.model.steps[route[-1]].owner is None:
            route.append(self.owners_carried[route[-1]][handoff.from_team])
        return route[::-1]

    @cached_property
    def deadlocked_joins(self) -> dict[str, list[tuple[str, str]]]:
        """``join: all`` steps that wait for a branch that can never arrive, each with the flows
        ``(source, why)`` it waits for in vain.

        A branch never arrives when its step cannot be reached from the start without going through
        the join itself (it is unreachable, or only comes after the join), or when nothing before it
        has ``split: all``, so the case never runs down two flows at once.
        """
        model = self.model
        joins = [sid for sid, s in model.steps.items() if s.join == "all" and len(model.incoming[sid]) > 1]
        if not joins:
            return {}
        parallel: set[str] = set()  # steps a branch of some split can reach
        stack = [b for sid, s in model.steps.items() if s.split == "all" for b in self.successors[sid]]
        while stack:
            x = stack.pop()
            if x not in parallel:
                parallel.add(x)
                stack.extend(self.successors[x])
        dominators = self._dominators
        stuck: dict[str, list[tuple[str, str]]] = {}
        for j in joins:
            why = []
            for flow in model.incoming[j]:
                x = flow.source
                if x not in dominators:
                    why.append((x, "unreachable"))
                elif x == j or self._dominated(x, j):
                    why.append((x, "after the join"))
                elif x not in parallel and model.steps[x].split != "all":
                    why.append((x, "no split"))
            if why:
                stuck[j] = why
        return stuck

    @cached_property
    def _dominators(self) -> dict[str, tuple[int, int]]:
        """Each step reachable from the start, with the span of its subtree in the dominator tree
        (a step dominates another when every path from the start to the other goes through it)."""
        import networkx as nx

        root = ("start",)
        G = nx.DiGraph()
        G.add_edges_from(self.graph.edges)
        G.add_edges_from((root, s) for s in self.model.entry if s in self.model.steps)
        children: dict = {}
        for node, parent in nx.immediate_dominators(G, root).items():
            if node != root:
                children.setdefault(parent, []).append(node)
        span: dict = {}
        clock = 0
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                span[node] = (span[node], clock)
                continue
            span[node] = clock
            clock += 1
            stack.append((node, True))
            stack.extend((c, False) for c in children.get(node, ()))
        del span[root]
        return span

    def _dominated(self, x: str, j: str) -> bool:
        """Whether every path from the start to `x` goes through `j` (both reachable)."""
        (x_in, x_out), (j_in, j_out) = self._dominators[x], self._dominators[j]
        return j_in < x_in and x_out <= j_out
