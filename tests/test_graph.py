"""to_networkx: each step a node with its attributes, each flow an edge with its own."""
import networkx as nx

import blueprint as bp

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
