"""The blueprint file format as pydantic models: the single source of truth for the format.

:class:`Blueprint` holds :class:`Team`, :class:`Step` and :class:`Flow` objects keyed as in the file;
``blueprint schema`` prints the JSON Schema generated from these classes. Models are immutable:
:meth:`Blueprint.with_changes` makes a new, validated one, and :func:`build` makes one of plain data.

This module is the top of the format layer: it puts together what the modules under it know
(:mod:`blueprint.references`, :mod:`blueprint.explain`, :mod:`blueprint.changes`,
:mod:`blueprint.positions`), which work on plain data and the :data:`KEYS` table handed to them, and
it imports nothing above the format. Jupyter shows a blueprint as its drawing: the package
(``blueprint/__init__.py``) gives :class:`Blueprint` its ``_repr_svg_``, the drawing being layers up.
"""
from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Any, Literal

import networkx as nx
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    PrivateAttr,
    StringConstraints,
    Tag,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from .changes import apply_changes
from .durations import CostRate, Duration, Quantity, Rate, TimeUnit, mean_of
from .errors import BlueprintError, Problem
from .explain import MOST_STAFF, path_text, translate
from .hours import parse_hours
from .positions import Source, source_position
from .references import ReferenceProblems, entry_of, reference_problems, view_of_data, view_of_model

__all__ = ["Blueprint", "Team", "Step", "Flow", "Timeout", "Every", "RateArrivals", "At", "build", "KEYS",
           "DEFAULT_LANES", "CUSTOMER", "ID_PATTERN", "RULE_LEVELS", "MOST_STAFF"]

ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
CUSTOMER = "customer"
DEFAULT_LANES = ("customer", "frontstage", "backstage", "support")
RULE_LEVELS = ("off", "info", "warning", "error")


def _check_amount(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"a step's cost is an amount paid each time a case reaches it, a number like 12.5 "
                         f"(the currency goes at the top: currency: GBP), not {value!r}")
    if not math.isfinite(value) or not 0 <= value <= 1e12:
        raise ValueError(f"a step's cost is an amount from 0 to 1e12, not {value!r}")
    return float(value)


#: An amount of money: a number, 0 or more (the blueprint's ``currency`` names the unit).
Amount = Annotated[float, PlainValidator(_check_amount),
                   WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1e12})]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def __eq__(self, other: object) -> bool:
        """Equal when every field is: cached facts and where the model was read from don't count."""
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in type(self).model_fields)

    __hash__ = None  # type: ignore[assignment]  # holds dicts and lists


class Team(_Part):
    """A department or outside party that owns steps.

    Examples
    --------
    >>> Team(name="Store", staff=3, systems=["till"]).staff
    3
    """

    name: str | None = Field(None, description="what the team is called")
    staff: int | None = Field(None, ge=0, le=MOST_STAFF,
                                 description="cases worked on at once; leave out for unlimited, 0 for nobody")
    systems: list[str] = Field(default_factory=list, description="systems holding the case record")
    can: list[str] = Field(default_factory=list, description="capabilities, e.g. outbound_call")
    hours: str | None = Field(None, description='when the team works, e.g. "Mon-Fri 09:00-17:00"')
    external: bool = Field(False, description="an outside party, not part of the service")
    cost: CostRate | None = Field(None, description="what an hour of its work costs: 30/hour, 0.5/minute")
    description: str | None = None

    @field_validator("hours")
    @classmethod
    def _hours(cls, v):
        if v is not None:
            parse_hours(v)
        return v

    @cached_property
    def open_hours(self) -> list[tuple[int, int]] | None:
        """Working intervals in minutes since Monday 00:00, or ``None`` for always."""
        return parse_hours(self.hours) if self.hours else None


class Timeout(_Part):
    """Leave a step by another flow when it has not finished in time: ``{after: 5d, to: call_again}``."""

    after: Duration
    to: Id


class Step(_Part):
    """One thing that happens: a customer action, staff work, or an outcome that ends the case.

    Examples
    --------
    >>> Step(name="Delivers", lane="backstage", owner="delivery", duration="2d").owner
    'delivery'
    >>> Step(outcome="success").is_outcome
    True
    """

    name: str | None = Field(None, description="what happens, in the consultant's words")
    description: str | None = None
    lane: str | None = Field(None, description="customer, frontstage, backstage, support or a declared lane")
    stage: str | None = Field(None, description="the journey phase, one of stages")
    owner: Id | None = Field(None, description="the team that does a staff step")
    channel: str | None = Field(None, description="makes a customer step a contact: phone, email, store, ...")
    duration: Duration | None = Field(None, description="how long the step takes; default 0")
    evidence: str | None = Field(None, description="what the customer sees or holds")
    fail_point: str | None = Field(None, description="what can go wrong here")
    emotion: float | None = Field(None, ge=-5, le=5, description="how the customer feels, -5 to +5")
    moment: str | None = Field(None, description="a moment that matters to the customer")
    outcome: Literal["success", "failure"] | None = Field(None, description="ends the case")
    needs: list[str] = Field(default_factory=list, description="capabilities the owner must have")
    split: Literal["all"] | None = Field(None, description="all: send the case down every flow at once")
    join: Literal["all"] | None = Field(None, description="all: wait for every incoming flow")
    timeout: Timeout | None = None
    cost: Amount | None = Field(
        None, description="an amount paid each time a case reaches the step: postage, a refund, a call's telephony")

    @model_validator(mode="after")
    def _lane_unless_outcome(self):
        if self.lane is None and self.outcome is None:
            raise ValueError("a step needs a lane (customer, frontstage, backstage, support) "
                             "or an outcome (success, failure)")
        return self

    @property
    def is_outcome(self) -> bool:
        return self.outcome is not None

    def label(self, step_id: str) -> str:
        """How a message names the step: its name with the id in brackets."""
        return f"{self.name} [{step_id}]" if self.name else f"[{step_id}]"


def _flow_shorthand(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        if len(value) == 2:
            return {"from": value[0], "to": value[1]}
        if len(value) == 3:
            return {"from": value[0], "to": value[1], "p": value[2]}
        raise ValueError(f"a flow written as a list is [FROM, TO] or [FROM, TO, P], not {list(value)}")
    return value


class Flow(_Part):
    """A way from one step to the next, with its chance where the step branches.

    Written ``[order, sell]``, ``[unpack, fitted, 0.3]`` or ``{from: unpack, to: fitted, p: 0.3}``.

    Examples
    --------
    >>> Flow.model_validate(["unpack", "fitted", 0.3]).p
    0.3
    """

    source: Id = Field(alias="from")
    target: Id = Field(alias="to")
    p: float | None = Field(None, ge=0, le=1, description="chance of this branch")
    label: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value):
        return _flow_shorthand(value)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):
        schema = handler(core_schema)
        return {"anyOf": [schema, {"type": "array", "minItems": 2, "maxItems": 3,
                                   "prefixItems": [{"type": "string", "pattern": ID_PATTERN}] * 2
                                   + [{"type": "number", "minimum": 0, "maximum": 1}],
                                   "description": "[FROM, TO] or [FROM, TO, P]"}]}


class Every(_Part):
    """Cases arrive one after another, this far apart: ``{every: {exponential: 2h}}``."""

    every: Duration


class RateArrivals(_Part):
    """Cases arrive at random (Poisson) at this rate: ``{rate: 5/day}``."""

    rate: Rate


class At(_Part):
    """Cases arrive at these times: ``{at: [0, 30, 90]}``."""

    at: list[Quantity] = Field(min_length=1)


def _arrival_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return next(iter(value)) if len(value) == 1 and next(iter(value)) in ("every", "rate", "at") else None
    return {Every: "every", RateArrivals: "rate", At: "at"}.get(type(value))


Arrivals = Annotated[
    Annotated[Every, Tag("every")] | Annotated[RateArrivals, Tag("rate")] | Annotated[At, Tag("at")],
    Discriminator(_arrival_kind, custom_error_type="arrivals",
                  custom_error_message="arrivals are one of {every: DURATION}, {rate: N/unit}, {at: [TIMES]}"),
]


def _checks(value: Any) -> Any:
    if isinstance(value, dict):  # YAML 1.1 reads a bare `off` as false
        return {k: ("off" if v is False else v) for k, v in value.items()}
    return value


class Blueprint(_Part):
    """A service blueprint: teams, steps in lanes, flows between them, and how cases arrive.

    Load one with :func:`blueprint.load`, :func:`blueprint.loads` or :meth:`Blueprint.model_validate`.

    Examples
    --------
    >>> model = Blueprint.model_validate({
    ...     "teams": {"desk": {"name": "Help desk", "staff": 1}},
    ...     "steps": {"ask": {"lane": "customer", "channel": "phone"},
    ...               "answer": {"lane": "frontstage", "owner": "desk", "duration": 5},
    ...               "done": {"outcome": "success"}},
    ...     "flows": [["ask", "answer"], ["answer", "done"]],
    ...     "start": "ask"})
    >>> model.teams["desk"].staff, model.steps["answer"].owner, len(model.flows)
    (1, 'desk', 2)
    >>> model.entry
    {'ask': 1.0}
    """

    blueprint: Literal[1] = Field(1, description="format version")
    name: str = Field("", description="what the service is")
    description: str | None = None
    time_unit: TimeUnit = Field("minute", description="unit of bare numbers")
    lanes: list[str] = Field(default_factory=lambda: list(DEFAULT_LANES), min_length=1,
                             description="lanes top to bottom")
    stages: list[str] = Field(default_factory=list, description="journey phases, left to right")
    teams: dict[Id, Team] = Field(default_factory=dict)
    steps: dict[Id, Step] = Field(min_length=1)
    flows: list[Flow] = Field(default_factory=list)
    start: Id | dict[Id, float] | None = Field(
        None, description="the step cases start at, or {step: weight}; default: the one step nothing flows into")
    arrivals: Arrivals | None = Field(None, description="how cases arrive; default one per time unit at random")
    patience: Duration | None = Field(None, description="a case not finished by then is abandoned")
    currency: str | None = Field(
        None, pattern=r"^[A-Z]{3}$",
        description="the code of the currency the costs are in (GBP, EUR, USD); labels the figures")
    retelling: Quantity = Field(0, description="how much longer a frontstage step takes when the customer "
                                               "repeats the story there: 5min")
    checks: Annotated[dict[str, Literal["off", "info", "warning", "error"]], BeforeValidator(_checks),
                      WithJsonSchema({"type": "object", "additionalProperties": {
                          "enum": list(RULE_LEVELS)}})] = Field(default_factory=dict,
                                                                  description="rule id: severity")

    _source: Any = PrivateAttr(None)

    @field_validator("currency", mode="before")
    @classmethod
    def _currency(cls, v):
        if v is not None and (not isinstance(v, str) or not v.isascii() or not v.isalpha() or len(v) != 3):
            raise ValueError(f"currency is a three-letter code (GBP, EUR, USD), not {v!r}")
        return v.upper() if isinstance(v, str) else v

    @model_validator(mode="after")
    def _references(self):
        problems = reference_problems(view_of_model(self))
        if problems:
            raise ReferenceProblems(problems)
        return self

    # --- reading the model -------------------------------------------------------------------
    @cached_property
    def entry(self) -> dict[str, float]:
        """Where cases start, with the chance of each entry step."""
        return entry_of(self.start, self.steps, self.flows)

    @cached_property
    def outgoing(self) -> dict[str, list[Flow]]:
        """Flows leaving each step, in file order (every step has a list)."""
        out: dict[str, list[Flow]] = {sid: [] for sid in self.steps}
        for flow in self.flows:
            out[flow.source].append(flow)
        return out

    @cached_property
    def incoming(self) -> dict[str, list[Flow]]:
        """Flows entering each step, in file order (every step has a list)."""
        into: dict[str, list[Flow]] = {sid: [] for sid in self.steps}
        for flow in self.flows:
            into[flow.target].append(flow)
        return into

    def branches(self, step_id: str) -> list[tuple[str, float]]:
        """Where a case goes after `step_id`, with the chance of each: ``p``, else equal shares.

        A timeout is not a branch; a ``split: all`` step sends the case down every flow (chance 1).
        """
        flows = self.outgoing[step_id]
        if self.steps[step_id].split == "all":
            return [(f.target, 1.0) for f in flows]
        if flows and flows[0].p is not None:
            return [(f.target, f.p) for f in flows]
        return [(f.target, 1.0 / len(flows)) for f in flows]

    def mean_duration(self, step_id: str) -> float:
        """The mean time a step takes, in ``time_unit``."""
        return mean_of(self.steps[step_id].duration, self.time_unit)

    def label(self, step_id: str) -> str:
        """How messages name a step: ``Takes the order [sell]``."""
        return self.steps[step_id].label(step_id)

    def team_name(self, team_id: str) -> str:
        team = self.teams.get(team_id)
        return team.name if team is not None and team.name else team_id

    def location(self, *path: str | int) -> tuple[int, int] | None:
        """The (line, column) in the source file of a place, as ``("steps", "sell")``, if known."""
        return source_position(self._source, path)

    # --- changing and exporting ----------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        """The blueprint as plain data, ready for YAML or JSON, keeping what the file said.

        Examples
        --------
        >>> Blueprint.model_validate({"steps": {"a": {"lane": "customer"}, "b": {"outcome": "success"}},
        ...                           "flows": [["a", "b"]]}).to_data()["flows"]
        [['a', 'b']]
        """
        data = self.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)
        data["flows"] = [[f["from"], f["to"]] if set(f) == {"from", "to"} else f for f in data.get("flows", [])]
        return data

    def with_changes(self, changes: dict[str, Any]) -> Blueprint:
        """A new, validated blueprint with `changes` made; this one is left as it was.

        Parameters
        ----------
        changes : dict
            ``{path: value}``: ``"teams.store.staff": 4``, ``"flows[unpack->fitted].p": 0.9`` (the
            step's other branches are rescaled to keep the sum 1), ``"teams.*.systems": ["crm"]``.

        Raises
        ------
        BlueprintError
            For a path that does not exist (naming the nearest one) or a change that breaks the file.

        Examples
        --------
        >>> base = Blueprint.model_validate({"teams": {"desk": {"staff": 1}},
        ...     "steps": {"a": {"lane": "frontstage", "owner": "desk"}, "b": {"outcome": "success"}},
        ...     "flows": [["a", "b"]]})
        >>> base.with_changes({"teams.desk.staff": 4}).teams["desk"].staff, base.teams["desk"].staff
        (4, 1)
        """
        data = apply_changes(self.model_dump(mode="json", by_alias=True, exclude_unset=True), changes, KEYS)
        try:
            return build(data)
        except BlueprintError as exc:
            raise BlueprintError([f"after {', '.join(f'{k}={v!r}' for k, v in changes.items())}: {p}"
                                  for p in exc.problems]) from None

    def to_networkx(self):
        """The blueprint as an ``nx.MultiDiGraph``.

        Each step is a node with the step's attributes (and ``id``), each flow an edge with the
        flow's (``p``, ``label``, and ``timeout=True`` with ``after``, its mean in ``time_unit``, for a
        timeout's way out); teams, lanes, stages, the entry weights as ``start`` and the rest are on
        ``G.graph``.

        Examples
        --------
        >>> model = Blueprint.model_validate({"steps": {"a": {"lane": "customer", "channel": "phone"},
        ...     "b": {"outcome": "success"}}, "flows": [["a", "b"]]})
        >>> G = model.to_networkx()
        >>> G.nodes["a"]["channel"], list(G.edges("a")), G.graph["lanes"][0]
        ('phone', [('a', 'b')], 'customer')
        """
        G = nx.MultiDiGraph()
        data = self.model_dump(mode="json", by_alias=True)
        G.graph.update(name=self.name, description=self.description, time_unit=self.time_unit,
                       lanes=list(self.lanes), stages=list(self.stages), teams=data["teams"],
                       start=dict(self.entry), arrivals=data["arrivals"], patience=data["patience"],
                       checks=dict(self.checks), currency=self.currency, retelling=data["retelling"])
        for sid, step in data["steps"].items():
            G.add_node(sid, id=sid, **step)
        for flow in data["flows"]:
            G.add_edge(flow["from"], flow["to"], p=flow["p"], label=flow["label"], timeout=False)
        for sid, step in self.steps.items():
            if step.timeout is not None:
                G.add_edge(sid, step.timeout.to, p=None, label="timeout", timeout=True,
                           after=mean_of(step.timeout.after, self.time_unit))
        return G


#: The keys of each part of the file, as written (``from``, not ``source``): what :mod:`blueprint.explain`
#: suggests for an unknown key and :mod:`blueprint.changes` accepts in a path.
KEYS: dict[str, list[str]] = {
    part: [info.alias or name for name, info in kind.model_fields.items()]
    for part, kind in (("blueprint", Blueprint), ("teams", Team), ("steps", Step), ("flows", Flow),
                       ("timeout", Timeout))
}


def build(data: Any, source: Source | None = None, file: str | None = None) -> Blueprint:
    """Validate plain data (a parsed file, a changed blueprint, an imported BPMN process) into a
    model, or raise one :class:`BlueprintError` with every problem, each placed in `source` when given.

    Examples
    --------
    >>> build({"steps": {"a": {"lane": "customer"}, "b": {"outcome": "success"}}, "flows": [["a", "b"]]}).entry
    {'a': 1.0}
    >>> build({"steps": {"a": {"lane": "customer", "owner": "desk"}}}, file="x.yaml")
    Traceback (most recent call last):
    ...
    blueprint.errors.BlueprintError: x.yaml: steps.a.owner: no team 'desk'; declare it under teams or fix the name ...
    """
    if data is None:
        raise BlueprintError("the file is empty; a blueprint needs at least steps: and flows:", file=file)
    if not isinstance(data, dict):
        raise BlueprintError(f"a blueprint is a mapping of keys (name, teams, steps, flows, start), "
                             f"not {_kind(data)}", file=file)
    try:
        model = Blueprint.model_validate(data)
    except ValidationError as exc:
        problems = translate(exc, KEYS)
        if not any(p[2] == "reference" for p in problems):
            try:
                extra = reference_problems(view_of_data(data))
            except Exception:  # a view of broken data is best effort only
                extra = []
            problems += [(loc, msg, "reference") for loc, msg in extra]
        raise BlueprintError(_placed(problems, source), file=file) from None
    except RecursionError:
        raise BlueprintError("the blueprint is nested too deeply", file=file) from None
    if source is not None:
        source.release()  # the index stays; the YAML tree and the text are not needed any more
    model._source = source
    return model


def _kind(value: Any) -> str:
    return {list: "a list", str: "a single text", int: "a number", float: "a number",
            bool: "true/false"}.get(type(value), "a value of another kind")


def _placed(problems, source) -> list[Problem]:
    out, seen = [], set()
    for loc, message, kind in problems:
        if (loc, message) in seen:
            continue
        seen.add((loc, message))
        where = source_position(source, loc, key=(kind == "key")) if source is not None else None
        out.append(Problem(path_text(loc), message, *(where or (None, None))))
    return out
