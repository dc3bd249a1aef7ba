"""The blueprint as a graph: networkx export and the facts about its shape that rules share.

:class:`Facts` computes each fact once, on first use, so that every rule reads the same
reachability, components and handoffs instead of walking the graph again.
"""
from __future__ import annotations

from functools import cached_property

import networkx as nx

from .model import CUSTOMER, Blueprint

__all__ = ["to_networkx", "Facts"]


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
