"""What a case costs, and the contacts it makes only because something failed: exact figures.

**Cost.** A team's ``cost`` is what an hour of its work costs (``30/hour``), a step's ``cost`` an
amount paid each time a case reaches it (postage, a refund, a call's telephony). The expected cost
of a case is, summed over the steps,

    expected visits x (the step's amount + its team's rate x the staff time of a visit)

where the staff time is the mean duration (cut short by a timeout, nothing for a step its team
cannot do: :func:`blueprint.ways.work_time`), for steps with an owner only: a customer's own time
costs the service nothing. **Retelling** (``retelling: 5min``) makes a frontstage step that long
more when the customer repeats the story there, so each expected story repeat at a step adds
``retelling`` to the working time and ``retelling x rate`` to the cost (taken in full: a timeout
that cuts the longer work short is not counted).

**Failure demand.** A visit to a customer contact step (a customer step with a ``channel``) is a
*failure contact* when it happens only because something failed: the case has been at that same
contact before (the customer is back: a repeat), or it has already passed a step with a
``fail_point``. Every other contact is *value demand*: the first visit of each contact, before any
fail point. So ``expected_failure_contacts = expected_contacts - sum over contact steps of
P(the case reaches the step before any fail point)``, the chance worked out on the chain stopped
at the fail points (a fail point's own contact is before it). The **failure cost** is what the
case costs after it passed a fail point, plus all its retelling time (the cost of lost context).

**A year** is 365 days of the arrival rate (``{rate: ...}``, or one over the mean gap of
``{every: ...}``): cases a year x the figure per case. Arrivals at listed times have no rate, so
no yearly figure.

Examples
--------
A customer phones; the desk (30/hour) sorts it 8 times in 10 after 6 minutes, else the customer
phones again. Each call costs 0.5 in telephony:

>>> import blueprint as bp
>>> s = bp.stats(bp.loads('''
... currency: GBP
... teams: {desk: {cost: 30/hour}}
... steps:
...   call: {lane: customer, channel: phone, cost: 0.5}
...   answer: {lane: frontstage, owner: desk, duration: 6}
...   fixed: {outcome: success}
... flows: [[call, answer], [answer, fixed, 0.8], [answer, call, 0.2]]
... start: call
... arrivals: {rate: 100/day}
... '''))
>>> round(s.expected_cost, 6), round(s.expected_failure_contacts, 6)  # 1.25 x (0.5 + 3), 1.25 - 1
(4.375, 0.25)
>>> round(s.per_year["cases"]), round(s.per_year["cost"])
(36500, 159688)
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..durations import TIME_UNITS, rate_in, to_unit
from ..graph import looping_parts
from ..model import Blueprint
from ..ways import columns, step_times
from .capacity import arrival_rate
from .repeats import story_repeats
from .solve import NoSolution, expected_visits, solver

__all__ = ["CostFigures", "cost_figures", "has_costs", "per_case_weights", "per_year", "year_sentence", "money",
           "saving_sentence",
           "DAYS_A_YEAR", "MEANINGS"]

#: What the cost figures mean, in a consultant's words (the report and the docs say it).
MEANINGS = ("Cost: each step's amount at every visit, plus each team's rate for the time its staff work on the "
            "case (a repeated story's retelling time included). Failure contacts: contacts the customer makes "
            "only because something failed: at a contact step they had been at before, or after the case "
            "passed a fail point. Failure cost: what the case costs after it passed a fail point, plus the "
            "retelling time. A year: 365 days of cases at the blueprint's arrival rate.")

#: The days of a year in the yearly figures.
DAYS_A_YEAR = 365


def has_costs(model: Blueprint) -> bool:
    """Whether the blueprint gives any cost (a team's rate or a step's amount).

    Examples
    --------
    >>> import blueprint as bp
    >>> has_costs(bp.loads("steps: {a: {lane: customer, cost: 2}, b: {outcome: success}}\\nflows: [[a, b]]"))
    True
    """
    return any(t.cost is not None for t in model.teams.values()) or bool(columns(model).costed.any())


@dataclass(frozen=True)
class Weights:
    """Per step, in file order: the amount paid at a visit, the rate of its owner (per ``time_unit``,
    0 for a step without an owner or a team without a cost), the staff time of a visit, and the
    retelling time in ``time_unit``."""

    amount: np.ndarray
    rate: np.ndarray
    work: np.ndarray
    retelling: float

    @property
    def visit(self) -> np.ndarray:
        """The cost of one visit of each step (without retelling)."""
        return self.amount + self.rate * self.work


def per_case_weights(model: Blueprint) -> Weights:
    """The cost weights of every step (:class:`Weights`), in file order.

    Examples
    --------
    >>> import blueprint as bp
    >>> w = per_case_weights(bp.loads("teams: {d: {cost: 30/hour}}\\nsteps: {a: {lane: frontstage, owner: d, "
    ...                               "duration: 10, cost: 1}, b: {outcome: success}}\\nflows: [[a, b]]"))
    >>> w.visit.tolist()
    [6.0, 0.0]
    """
    unit = model.time_unit
    rates = {tid: rate_in(t.cost, unit) for tid, t in model.teams.items() if t.cost is not None}
    c = columns(model)
    amount = c.cost
    rate_of = np.array([rates.get(t, 0.0) for t in c.teams] + [0.0])  # the last: a step without an owner
    rate = np.where(c.outcome, 0.0, rate_of[c.team])
    work = np.array(step_times(model)[1], dtype=float)
    return Weights(amount, rate, work, to_unit(model.retelling, unit))


@dataclass
class CostFigures:
    """The exact cost figures per case (``None`` where unknown, with the reason in ``why``)."""

    expected_cost: float | None
    expected_failure_cost: float | None
    expected_failure_contacts: float | None
    retelling_time: float | None
    why: dict[str, str] = field(default_factory=dict)


def cost_figures(model: Blueprint, chain, total_of: Callable[[str, np.ndarray], float | None],
                 contacts: float | None, repeats: float | None, why_so_far: dict[str, str]) -> CostFigures:
    """The cost, failure cost, failure contacts and retelling time per case, exactly.

    Parameters
    ----------
    model : Blueprint
    chain : blueprint.chain.steps.StepChain
        The solved chain over steps (its moves, entry and splits).
    total_of : callable
        ``total_of(key, weights)``: the expected total of per-visit `weights` per case, or ``None``
        (the reason is filed under `key`), as :func:`blueprint.stats` works it out.
    contacts, repeats : float or None
        The expected contacts and story repeats per case; `why_so_far` the reasons of the figures
        that are unknown (under ``expected_contacts``, ``expected_story_repeats``).
    """
    w = per_case_weights(model)
    why: dict[str, str] = {}
    failures = _failure_contacts(model, chain, contacts, why, why_so_far.get("expected_contacts"))
    retell_time = retell_cost = 0.0
    if w.retelling > 0:
        retell_time, retell_cost = _retelling(chain, w, repeats, why_so_far.get("expected_story_repeats"), why)
    if not has_costs(model):  # not unknown: not asked for (null, without a reason)
        return CostFigures(None, None, failures, retell_time, why)
    cost = total_of("expected_cost", w.visit)
    if cost is not None and retell_cost is None:
        cost, why["expected_cost"] = None, why["retelling"]
    if cost is not None:
        cost += retell_cost
    failure_cost = None
    if cost is not None:
        clean = _before_fail_points(model, chain, w.visit)
        if clean is None:
            why["expected_failure_cost"] = ("with parallel work (split: all) which branch passes a fail point "
                                            "first depends on time; simulate for the failure cost")
        else:
            failure_cost = max(cost - clean, 0.0)
    else:  # the reason is filed by total_of, or just above
        why["expected_failure_cost"] = why.get("expected_cost") or why_so_far.get("expected_cost", "unknown cost")
    return CostFigures(cost, failure_cost, failures, retell_time, why)


def _retelling(chain, w: Weights, repeats, why_repeats, why):
    """The expected retelling time and its cost per case, or ``None`` for each that is unknown."""
    if repeats is None:
        why["retelling"] = why_repeats or "the story repeats are unknown"
        return None, None
    time = w.retelling * repeats
    front = columns(chain.model).front
    rates = set(w.rate[front].tolist())
    if len(rates) <= 1:
        return time, (rates.pop() if rates else 0.0) * time
    value = None
    if not chain.splits:
        try:  # each repeat at a step counted at the cost of its team's retelling time
            value, reason, _ = story_repeats(chain, weights=w.rate * w.retelling * front)
        except ValueError:  # a loop of customer steps no case leaves: no figure
            reason = "no way out"
        value = value if reason is None else None
    if value is None:
        why["retelling"] = ("with parallel work (split: all) and frontstage teams of different costs, the cost "
                            "of retelling is not followed exactly; simulate for it")
        return time, None
    return time, value


def _killed(model: Blueprint, chain) -> sp.csr_matrix:
    """The chain's moves, with no move out of a fail point: the case before any fail point."""
    stop = (~columns(model).fail).astype(float)
    return sp.diags(stop) @ chain.move


def _before_fail_points(model: Blueprint, chain, per_visit: np.ndarray) -> float | None:
    """The expected total of `per_visit` up to the first fail point (its own visit included)."""
    if chain.splits:
        return None
    killed = _killed(model, chain).tocsr()
    visits, _, _ = expected_visits(killed, killed, chain.entry)
    finite = np.isfinite(visits)
    return float(np.dot(visits[finite], per_visit[finite]))


def _failure_contacts(model: Blueprint, chain, contacts: float | None, why: dict, why_contacts) -> float | None:
    key = "expected_failure_contacts"
    if contacts is None:
        why[key] = why_contacts or "the contacts are unknown"
        return None
    if chain.splits:
        why[key] = ("with parallel work (split: all) which branch makes a contact first depends on time; "
                    "simulate for the failure contacts")
        return None
    contact = columns(model).contact
    if not contact.any():
        return 0.0
    killed = _killed(model, chain).tocsr()
    visits, _, labels = expected_visits(killed, killed, chain.entry)
    first = _first_visit_chances(killed, visits, contact, labels)
    if first is None:
        why[key] = "the contacts before the first fail point never end"
        return None
    return max(contacts - math.fsum(first), 0.0)


def _first_visit_chances(killed: sp.csr_matrix, visits: np.ndarray, wanted: np.ndarray,
                         labels: np.ndarray) -> list[float] | None:
    """For each wanted state reached, the chance a case reaches it at all: its expected visits over
    the visits a case that is there makes from then on (1 outside a loop; from the loop's own
    solver, one solve per wanted state inside it). `labels`: the strongly connected parts of `killed`."""
    looping = looping_parts(killed, labels)
    out = []
    wanted_in_loop: dict[int, list[int]] = {}
    for i in np.flatnonzero(wanted & (visits > 0)).tolist():
        if not np.isfinite(visits[i]):
            return None
        if looping[labels[i]]:
            wanted_in_loop.setdefault(int(labels[i]), []).append(i)
        else:
            out.append(float(visits[i]))
    for label, members in wanted_in_loop.items():
        part = np.flatnonzero(labels == label)
        place = {int(s): k for k, s in enumerate(part)}
        block = killed[part][:, part].tocsc()
        try:  # the chain's one solver: a direct LU for a small loop, iterative for a large one
            solve = solver(sp.identity(len(part), format="csc") - block, len(part))
        except NoSolution:
            return None
        for i in members:
            unit = np.zeros(len(part))
            unit[place[i]] = 1.0
            again = float(solve(unit)[place[i]])  # visits from a visit, this one included
            out.append(float(visits[i]) / again)
    return out


def per_year(model: Blueprint, figures: dict[str, float | None]) -> dict[str, float | None] | None:
    """Each figure per case times the cases of a year (365 days at the arrival rate), with
    ``cases``; ``None`` when the arrivals give no rate.

    Examples
    --------
    >>> import blueprint as bp
    >>> m = bp.loads("steps: {a: {lane: customer}, b: {outcome: success}}\\nflows: [[a, b]]\\narrivals: {rate: 2/day}")
    >>> per_year(m, {"cost": 10.0, "failure_cost": None})
    {'cases': 730.0, 'cost': 7300.0, 'failure_cost': None}
    """
    rate = arrival_rate(model)
    if rate is None:
        return None
    cases = rate * DAYS_A_YEAR * TIME_UNITS["day"] / TIME_UNITS[model.time_unit]
    return {"cases": cases, **{k: (None if v is None else v * cases) for k, v in figures.items()}}


def year_sentence(doc: dict) -> str:
    """The yearly figure of a ``stats`` document in words ("" when it has none).

    Examples
    --------
    >>> year_sentence({"currency": "GBP", "per_year": {"cases": 36500.0, "cost": 1_095_000.0,
    ...                "failure_cost": 365_000.0, "failure_contacts": 9125.0}})
    ... # doctest: +NORMALIZE_WHITESPACE
    'A year (365 days of arrivals, 36,500 cases): about GBP 1.1M, of which GBP 365k after a fail point or
     on retelling; 9,125 failure contacts.'
    """
    year, currency = doc.get("per_year"), doc.get("currency")
    if not year or year.get("cost") is None:
        return ""
    text = f"A year ({DAYS_A_YEAR} days of arrivals, {year['cases']:,.0f} cases): about {money(year['cost'], currency)}"
    if year.get("failure_cost") is not None:
        text += f", of which {money(year['failure_cost'], currency)} after a fail point or on retelling"
    if year.get("failure_contacts") is not None:
        text += f"; {year['failure_contacts']:,.0f} failure contacts"
    return text + "."


def saving_sentence(doc: dict, year: dict | None, currency: str | None = None) -> str:
    """What a change saves a year, with its paired interval, from a ``whatif``/``compare`` document
    (the delta of ``cost.mean`` times the cases of a year, `year` being the ``per_year`` of the
    baseline's ``stats``); "" without a cost delta or a yearly rate.

    Examples
    --------
    >>> doc = {"delta": {"cost.mean": {"value": -88.9, "ci95": [-94.5, -83.2]}}}
    >>> saving_sentence(doc, {"cases": 1095.0}, "GBP")
    'Simulated, the change saves about GBP 97k a year (95% interval GBP 91k to GBP 103k) at 1,095 cases a year.'
    """
    delta = (doc.get("delta") or {}).get("cost.mean")
    if not delta or not year or not year.get("cases"):
        return ""
    cases = year["cases"]
    saves = -delta["value"] * cases
    verb, amount = ("saves", saves) if saves >= 0 else ("adds", -saves)
    text = f"Simulated, the change {verb} about {money(amount, currency)} a year"
    if delta.get("ci95"):
        low, high = sorted(-x * cases if verb == "saves" else x * cases for x in delta["ci95"])
        text += f" (95% interval {money(low, currency)} to {money(high, currency)})"
    return text + f" at {cases:,.0f} cases a year."


def money(amount: float | None, currency: str | None = None) -> str:
    """An amount as a consultant says it: ``GBP 1.2M``, ``GBP 410k``, ``12.50``.

    Examples
    --------
    >>> money(1_234_567, "GBP"), money(410_400, "GBP"), money(12.5), money(None)
    ('GBP 1.2M', 'GBP 410k', '12.50', 'unknown')
    """
    if amount is None:
        return "unknown"
    size = abs(amount)
    text = (f"{amount / 1e9:.1f}bn" if size >= 1e9 else f"{amount / 1e6:.1f}M" if size >= 1e6
            else f"{amount / 1e3:.0f}k" if size >= 1e4 else f"{amount:,.0f}" if size >= 100 else f"{amount:.2f}")
    return f"{currency} {text}" if currency else text
