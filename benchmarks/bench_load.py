"""Loading a generated 100,000-step JSON blueprint (goal: under 3 s).

    python benchmarks/bench_load.py [--steps 100000]

Writes its figures to docs/performance.md (section "load").
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, table, write_section  # noqa: E402

import blueprint as bp  # noqa: E402


def generated(steps: int, teams: int = 60, seed: int = 1) -> dict:
    """A layered journey: each step goes on, and some loop back for rework or skip ahead."""
    rng = random.Random(seed)
    lanes = ["customer", "frontstage", "backstage", "support"]
    data = {"name": f"Generated {steps:,} steps", "time_unit": "hour",
            "teams": {f"team{t}": {"name": f"Team {t}", "staff": rng.randint(1, 9),
                                   "systems": [f"sys{t % 7}"], "can": ["outbound_call"]} for t in range(teams)},
            "steps": {}, "flows": [], "start": "s0"}
    for i in range(steps):
        lane = lanes[i % 4]
        step = {"name": f"Step {i}", "lane": lane, "duration": {"exponential": round(rng.uniform(0.1, 3), 2)}}
        if lane == "customer":
            step["channel"] = "phone"
        else:
            step["owner"] = f"team{rng.randrange(teams)}"
        data["steps"][f"s{i}"] = step
    data["steps"]["done"] = {"outcome": "success"}
    data["steps"]["lost"] = {"outcome": "failure"}
    for i in range(steps):
        nxt = f"s{i + 1}" if i + 1 < steps else "done"
        if i > 10 and i % 10 == 0:
            data["flows"] += [{"from": f"s{i}", "to": nxt, "p": 0.8},
                              {"from": f"s{i}", "to": f"s{i - rng.randint(1, 10)}", "p": 0.15},
                              {"from": f"s{i}", "to": "lost", "p": 0.05}]
        else:
            data["flows"].append([f"s{i}", nxt])
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100_000)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for steps in sorted({args.steps // 4, args.steps}):
            path = Path(tmp) / f"gen{steps}.json"
            path.write_text(json.dumps(generated(steps)))
            best = min(_timed(lambda path=path: bp.load(path)) for _ in range(3))
            rows.append([f"{steps:,}", f"{path.stat().st_size / 2**20:.1f} MiB", f"{best:.2f} s"])
            print(rows[-1])
    write_section("load", "## Loading a blueprint\n\n`python benchmarks/bench_load.py` "
                  f"({machine()}). Best of 3. Goal: a 100,000-step JSON blueprint in under 3 s.\n\n"
                  + table(["steps", "file", "bp.load"], rows))


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
