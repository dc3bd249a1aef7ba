"""The simulator gives the same figures on a seed as it did before it was made faster.

``tests/data/simulation_pins.json`` holds, for every example (and the contract's every_feature
fixture), the KPIs of a run by cases (3,000 cases, 2 replications, seed 7) and of a run by time
(two weeks, seed 11), and a digest of the first 5,000 event rows, recorded by the engine before the
speedups of issue 14. Every speedup must keep them: same draws from the same named streams, same
events in the same order, same figures. (The three examples that gained ``retelling`` with the cost
keys were pinned again: with their files as they were, the engine still gives the first pins.)
"""
import hashlib
import json
from pathlib import Path

import pytest

import blueprint as bp

from .conftest import EXAMPLES, FIXTURES

PINS = json.loads((Path(__file__).parent / "data" / "simulation_pins.json").read_text())
TEAM_FIGURES = ("utilization", "overtime", "mean_wait", "max_queue", "mean_busy")


def _path(name: str) -> Path:
    return FIXTURES / "valid" / name if name == "every_feature.yaml" else EXAMPLES / name


def _figures(path: Path, **options) -> dict:
    result = bp.simulate(bp.load(path), **options)
    doc = result.to_json()
    out = {k: doc[k] for k in ("cases", "time_in_system", "contacts", "handoffs", "story_repeats")}
    out["teams"] = {t: {k: v[k] for k in TEAM_FIGURES} for t, v in doc["teams"].items()}
    rows = result.events
    out["event_rows"] = len(rows)
    out["event_digest"] = hashlib.sha256(repr([tuple(e) for e in rows[:5000]]).encode()).hexdigest()[:16]
    return out


@pytest.mark.parametrize("key", sorted(PINS))
def test_figures_on_a_seed_are_the_pinned_ones(key):
    name, how = key.rsplit(" ", 1)
    options = dict(cases=3000, seed=7, replications=2) if how == "cases" else dict(until="2w", seed=11)
    got = json.loads(json.dumps(_figures(_path(name), **options), sort_keys=True))
    assert got == PINS[key]
