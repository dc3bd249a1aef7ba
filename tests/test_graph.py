"""The blueprint as a graph: to_networkx, and graph.py's functions and facts on small graphs worked out by hand."""
import random

import networkx as nx
import numpy as np
import pytest
from scipy.sparse import csr_matrix

import blueprint as bp
from blueprint.graph import Facts, Handoff, dominator_spans, listing, reach, steps_with_joins, strong_parts
from blueprint.walks import depth_first

from .conftest import EXAMPLES


def test_networkx_graph_carries_the_file():
    model = bp.load(EXAMPLES / "damaged_fires.yaml")
    G = model.to_networkx()
    assert isinstance(G, nx.MultiDiGraph)
    assert set(G.nodes) == set(model.steps)
    assert G.number_of_edges() == len(model.flows) + sum(s.timeout is not None for s in model.steps.values())
    assert G.nodes["deliver"]["owner"] == "delivery"
    assert G.nodes["deliver"]["fail_point"] == "Glass front damaged in transit"
    assert G.nodes["call_store"]["channel"] == "phone"
    assert G.edges["unpack", "fitted", 0] == {"p": 0.6, "label": "Glass intact", "timeout": False}
    assert G.graph["teams"]["social"]["can"] == ["inbound_message"]
    assert G.graph["time_unit"] == "hour"
    assert G.graph["start"] == {"order": 1.0}


def test_timeouts_are_marked_edges():
    model = bp.loads("time_unit: hour\nsteps: {a: {lane: customer, timeout: {after: 2d, to: c}}, "
                     "b: {outcome: success}, c: {outcome: failure}}\nflows: [[a, b]]")
    G = model.to_networkx()
    assert G.edges["a", "c", 0]["timeout"] is True
    assert G.edges["a", "c", 0]["after"] == 48.0


# --- graph.py's functions on small graphs, answers worked out by hand ---------------------------------


def _matrix(n: int, edges: list[tuple[int, int]]) -> csr_matrix:
    rows, cols = zip(*edges) if edges else ((), ())
    return csr_matrix((np.ones(len(edges), dtype=np.int8), (rows, cols)), shape=(n, n))


# (nodes, edges, starts, reached)
REACH = [
    (4, [(0, 1), (1, 2)], [0], [0, 1, 2]),
    (4, [(0, 1), (1, 2)], [2], [2]),
    (4, [(0, 1), (1, 2)], [], []),
    (5, [(0, 1), (1, 0), (3, 4)], [1, 3], [0, 1, 3, 4]),
    (3, [(2, 2)], [2], [2]),
    (6, [(0, 1), (1, 2), (2, 0), (2, 3), (4, 5)], [0], [0, 1, 2, 3]),
]


@pytest.mark.parametrize("n, edges, starts, reached", REACH)
def test_reach_marks_what_the_starts_lead_to(n, edges, starts, reached):
    marks = np.zeros(n, dtype=bool)
    marks[starts] = True
    assert np.flatnonzero(reach(_matrix(n, edges), marks)).tolist() == reached


# (nodes, edges, the parts as sets, the nodes in a loop)
PARTS = [
    (3, [(0, 1), (1, 2)], [{0}, {1}, {2}], []),
    (3, [(0, 1), (1, 0), (1, 2)], [{0, 1}, {2}], [0, 1]),
    (3, [(1, 1)], [{0}, {1}, {2}], [1]),  # a step that flows to itself is a loop of one
    (5, [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 3)], [{0, 1, 2}, {3, 4}], [0, 1, 2, 3, 4]),
    (4, [(0, 1), (1, 2), (2, 3), (3, 1)], [{0}, {1, 2, 3}], [1, 2, 3]),
]


@pytest.mark.parametrize("n, edges, parts, looping", PARTS)
def test_strong_parts_group_the_steps_that_reach_each_other(n, edges, parts, looping):
    labels, loops = strong_parts(_matrix(n, edges))
    groups = {}
    for node, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(node)
    assert sorted(map(sorted, groups.values())) == sorted(map(sorted, [p for p in parts] + [
        {x} for x in range(n) if not any(x in p for p in parts)]))
    assert np.flatnonzero(loops[labels]).tolist() == looping


# (successors, roots, edges that close a loop, post-order)
WALKS = [
    ({"a": ["b"], "b": ["c"], "c": []}, ["a"], set(), ["c", "b", "a"]),
    ({"a": ["b"], "b": ["c", "a"], "c": []}, ["a"], {("b", "a")}, ["c", "b", "a"]),
    ({"a": ["a"]}, ["a"], {("a", "a")}, ["a"]),
    ({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}, ["a"], set(), ["d", "b", "c", "a"]),
    ({"a": [], "b": ["a"]}, ["a"], set(), ["a", "b"]),  # b is walked after the roots
]


@pytest.mark.parametrize("successors, roots, back, post", WALKS)
def test_depth_first_finds_the_edges_back_and_the_post_order(successors, roots, back, post):
    assert depth_first(successors, roots) == (back, post)


def _dominators(spans: dict[int, tuple[int, int]]) -> dict[int, set[int]]:
    return {b: {a for a in spans if spans[a][0] <= spans[b][0] and spans[b][1] <= spans[a][1]} for b in spans}


# (successors, roots, every node's dominators, itself included)
DOMINATORS = [
    ([[1], [2], []], [0], {0: {0}, 1: {0, 1}, 2: {0, 1, 2}}),
    ([[1, 2], [3], [3], []], [0], {0: {0}, 1: {0, 1}, 2: {0, 2}, 3: {0, 3}}),  # a diamond
    ([[1], [2], [1, 3], []], [0], {0: {0}, 1: {0, 1}, 2: {0, 1, 2}, 3: {0, 1, 2, 3}}),  # a loop 1-2
    ([[2], [2], []], [0, 1], {0: {0}, 1: {1}, 2: {2}}),  # two roots: nothing dominates 2 but itself
    ([[1], [], [1]], [0], {0: {0}, 1: {0, 1}}),  # 2 is not reachable from the roots
]


@pytest.mark.parametrize("succ, roots, expected", DOMINATORS)
def test_dominator_spans_nest_as_the_dominators_do(succ, roots, expected):
    assert _dominators(dominator_spans(succ, roots)) == expected


@pytest.mark.parametrize("seed", range(8))
def test_dominator_spans_agree_with_networkx(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 12)
    succ = [sorted(set(rng.sample(range(n), rng.randint(0, 3)))) for _ in range(n)]
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from((a, b) for a in range(n) for b in succ[a])
    idom = {0: 0, **nx.immediate_dominators(G, 0)}  # networkx 3.6 leaves the start out
    expected = {}
    for b in idom:
        chain, x = {b}, b
        while idom[x] != x:
            x = idom[x]
            chain.add(x)
        expected[b] = chain
    assert _dominators(dominator_spans(succ, [0])) == expected


@pytest.mark.parametrize("ids, limit, text", [
    (["a"], 4, "Asks [a]"),
    (["a", "b"], 4, "Asks [a] and [b]"),
    (["a", "b", "c"], 4, "Asks [a], [b] and [c]"),
    (["a", "b", "c"], 2, "Asks [a], [b] and 1 more"),
])
def test_listing_names_steps_as_messages_do(ids, limit, text):
    model = bp.loads("steps: {a: {name: Asks, lane: customer}, b: {lane: customer}, c: {lane: customer}, "
                     "ok: {outcome: success}}\nflows: [[a, b], [b, c], [c, ok]]\nstart: a")
    assert listing(model, ids, limit) == text


# A small service with a loop with a way out (ask, answer), a loop without one (wait, chase), a step
# nothing reaches (spare), a team handing over through a customer step, and a join with no split.
SERVICE = """
teams: {desk: {}, back: {}}
steps:
  ask:    {lane: customer, channel: phone}
  answer: {lane: frontstage, owner: desk}
  fix:    {lane: backstage, owner: back}
  wait:   {lane: customer}
  chase:  {lane: customer}
  spare:  {lane: backstage, owner: back}
  m:      {lane: backstage, owner: desk}
  f:      {lane: backstage, owner: back}
  pay:    {lane: backstage, owner: back, join: all}
  ok:     {outcome: success}
  lost:   {outcome: failure}
flows:
  - [ask, answer]
  - [answer, ask, 0.2]
  - [answer, fix, 0.3]
  - [answer, wait, 0.1]
  - [answer, m, 0.4]
  - [fix, ok]
  - [wait, chase]
  - [chase, wait]
  - [spare, ok]
  - [m, pay, 0.5]
  - [m, f, 0.5]
  - [f, pay]
  - [pay, ok, 0.9]
  - [pay, lost, 0.1]
start: ask
"""


@pytest.fixture(scope="module")
def facts():
    return Facts(bp.loads(SERVICE))


@pytest.mark.parametrize("fact, expected", [
    ("loops", [["ask", "answer"], ["wait", "chase"]]),
    ("closed_loops", [["wait", "chase"]]),
    ("reachable", {"ask", "answer", "fix", "wait", "chase", "m", "f", "pay", "ok", "lost"}),
    ("can_succeed", {"ask", "answer", "fix", "spare", "m", "f", "pay", "ok"}),
    ("staff_steps", ["answer", "fix", "spare", "m", "f", "pay"]),
    ("deadlocked_joins", {"pay": [("m", "no split"), ("f", "no split")]}),
])
def test_the_facts_of_a_small_service(facts, fact, expected):
    assert getattr(facts, fact) == expected


@pytest.mark.parametrize("step, before", [
    ("ask", ["answer"]), ("answer", ["ask"]), ("pay", ["m", "f"]), ("spare", []), ("ok", ["fix", "spare", "pay"]),
])
def test_predecessors_are_where_a_step_is_reached_from(facts, step, before):
    assert facts.predecessors[step] == before


def test_the_teams_a_customer_step_carries(facts):
    """Leaving ask, wait or chase, the last team a case met can only be desk (at answer); the memory
    comes through the step before: answer for ask and wait, wait for chase."""
    carried = facts.owners_carried
    assert carried["ask"] == {"desk": "answer"}
    assert carried["wait"] == {"desk": "answer"} and carried["chase"] == {"desk": "wait"}


def test_every_handoff_between_teams(facts):
    assert sorted(facts.handoffs) == sorted([
        Handoff("desk", "back", "fix", "answer"), Handoff("desk", "back", "pay", "m"),
        Handoff("desk", "back", "f", "m")])
    assert facts.handoff_route(Handoff("desk", "back", "pay", "m")) == ["m", "pay"]


def test_a_handoff_through_a_customer_step_has_its_route():
    facts = Facts(bp.loads("teams: {a: {}, b: {}}\nsteps: {x: {lane: frontstage, owner: a}, c: {lane: customer}, "
                           "d: {lane: customer}, y: {lane: frontstage, owner: b}, ok: {outcome: success}}\n"
                           "flows: [[x, c], [c, d], [d, y], [y, ok]]\nstart: x"))
    (handoff,) = facts.handoffs
    assert handoff == Handoff("a", "b", "y", "d")
    assert facts.handoff_route(handoff) == ["x", "c", "d", "y"]


def test_leading_to_follows_the_flows_backwards(facts):
    assert facts.leading_to(["fix"]) == {"ask", "answer", "fix"}
    assert facts.leading_to(["lost"]) == {"ask", "answer", "m", "f", "pay", "lost"}


def test_steps_with_joins_need_two_sources():
    model = bp.loads("steps: {a: {lane: customer, split: all}, b: {lane: customer}, j: {lane: customer, join: all}, "
                     "k: {lane: customer, join: all}, ok: {outcome: success}}\n"
                     "flows: [[a, b], [a, j], [b, j], [j, k], [k, ok]]\nstart: a")
    assert [sid for sid, _ in steps_with_joins(model)] == ["j"]
