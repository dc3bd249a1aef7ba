"""One way to ask any result for text: ``to_text()``; ``str()`` gives that same text, and JSON comes
from ``to_json()`` (a document that ``json.dumps`` takes)."""
import json

import pytest

import blueprint as bp
from blueprint.simulation import SimulationResult

MODEL = bp.loads("""
teams: {desk: {name: Help desk, staff: 1}}
steps:
  ask: {name: Asks a question, lane: customer, channel: phone}
  answer: {name: Answers, lane: frontstage, owner: desk, duration: 5}
  retry: {name: Calls again, lane: customer, channel: phone}
  done: {outcome: success}
flows: [[ask, answer], [answer, done, 0.8], [answer, retry, 0.2], [retry, answer]]
arrivals: {rate: 6/hour}
""")
LOG = [{"case": "1", "activity": "ask", "timestamp": "2024-01-01T09:00:00"},
       {"case": "1", "activity": "answer", "timestamp": "2024-01-01T09:05:00"},
       {"case": "1", "activity": "done", "timestamp": "2024-01-01T09:05:00"}]


RESULTS = {
    "Report": lambda: bp.check(MODEL),
    "Finding": lambda: bp.check(MODEL)[0],
    "Replay": lambda: bp.replay(LOG, MODEL),
    "SimulationResult": lambda: bp.simulate(MODEL, cases=50, seed=1),
    "Stats": lambda: bp.stats(MODEL),
    "WhatIf": lambda: bp.whatif(MODEL, {"teams.desk.staff": 2}, cases=50, replications=2),
    "Exploration": lambda: bp.explore(MODEL, {"teams.desk.staff": (1, 2)}, "time_in_system.p90 < 1000",
                                      examples=2, cases=50),
}


@pytest.mark.parametrize("make", RESULTS.values(), ids=RESULTS.keys())
def test_str_of_a_result_is_its_text_and_json_comes_from_to_json(make):
    result = make()
    text = result.to_text()
    assert isinstance(text, str) and text.strip()
    assert str(result) == text
    if hasattr(result, "to_json"):
        doc = result.to_json()
        json.dumps(doc)
        assert str(result) != json.dumps(doc, indent=2)


def test_no_result_keeps_a_second_name_for_its_text():
    # one name, to_text()
    assert not any(hasattr(kind, "text") for kind in (bp.Report, bp.Replay, bp.Stats, SimulationResult))
