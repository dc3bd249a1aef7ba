"""What a BPMN file is made of before it is written: elements, sequence flows and the plan holding them.

:func:`blueprint.bpmn.write.plan` makes a :class:`Plan` from a blueprint; :mod:`.layout` places
and routes it; :func:`blueprint.bpmn.write.to_bpmn` writes it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..naming import unique_id

__all__ = ["Plan", "Element", "Edge"]


@dataclass
class Element:
    """A BPMN flow node to write: its id, its tag, the step it stands for or belongs to."""

    id: str
    tag: str
    step: str | None
    attrs: dict = field(default_factory=dict)
    children: list = field(default_factory=list)   # (tag, attrs, text) written inside, after incoming/outgoing
    documentation: str | None = None


@dataclass(frozen=True)
class Edge:
    """A sequence flow to write."""

    id: str
    source: str
    target: str
    attrs: dict
    documentation: str | None = None
    condition: str | None = None


@dataclass
class Plan:
    """The BPMN elements and sequence flows that stand for a blueprint, and the ids taken."""

    elements: list[Element]
    edges: list[Edge]
    used: set[str]

    def new_id(self, base: str) -> str:
        """An id made of `base` that no element, flow or shape has yet."""
        return unique_id(base, self.used)
