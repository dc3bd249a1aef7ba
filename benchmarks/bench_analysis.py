"""`check` and `stats` on generated layered blueprints of 25,000 and 100,000 steps.

    python benchmarks/bench_analysis.py [--steps 100000] [--repeat 3] [--before DIR]

Journeys without parallel work, with 20 blocks of parallel work of 3 branches each, and with a
block every 40 layers. Every timing is on a blueprint loaded afresh (nothing a first call works
out and keeps is reused by the next). With ``--before DIR`` (a checkout of an earlier version,
e.g. ``git worktree add /tmp/before main``), `stats` is also timed with that version's code on the
same files, in a process of its own, side by side. Goals: load, check and stats each under 10 s at
100,000 steps; `check` growing no more than 5x when the steps grow 4x; `stats` without parallel
work no slower than before. Writes its figures to docs/performance.md (section "analysis").
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent
from _report import machine, table, write_section  # noqa: E402

import blueprint as bp  # noqa: E402

LANES = ["customer", "customer", "frontstage", "frontstage", "backstage", "backstage", "support"]
CHANNELS = ["phone", "email", "store", "chat"]


def _chances(rng: random.Random, n: int) -> list[float]:
    weights = [rng.uniform(1, 9) for _ in range(n)]
    total = math.fsum(weights)
    chances = [round(w / total, 6) for w in weights[:-1]]
    return chances + [1.0 - math.fsum(chances)]


def layered(steps: int, *, teams: int = 60, width: int = 5, seed: int = 1, blocks: int | None = None) -> dict:
    """A layered journey of about `steps` steps: each layer's steps flow on to the next layer, some
    skip a layer, some loop back up to four layers for rework, some fail out; blocks of parallel
    work (``split: all`` into branches, ``join: all`` after them): every 40 layers (2 or 3
    branches), or with `blocks` that many, spread evenly (3 branches each; 0 for none)."""
    rng = random.Random(seed)
    data = {"name": f"Layered journey of {steps:,} steps", "time_unit": "hour",
            "teams": {f"t{t}": {"name": f"Team {t}", "staff": rng.randint(1, 9),
                                "systems": sorted({f"sys{t % 20}", f"sys{(7 * t) % 20}"}),
                                "can": ["inbound_call", "outbound_call"]} for t in range(teams)},
            "steps": {}, "flows": [], "start": "s0"}
    S = data["steps"]
    layers: list[list[str]] = []
    kinds: list[str] = []  # "normal", "split", "branches" or "join"
    count = 0

    def add(kind: str, n: int) -> None:
        nonlocal count
        ids = [f"s{count + i}" for i in range(n)]
        count += n
        layers.append(ids)
        kinds.append(kind)

    every = 40 if blocks is None else (steps // width) // (blocks + 1) if blocks else 0
    placed = 0
    while count < steps:
        if every and len(layers) % every == every - 1 and count + 2 + width < steps \
                and (blocks is None or placed < blocks):
            add("split", 1)
            add("branches", rng.randint(2, 3) if blocks is None else 3)
            add("join", 1)
            placed += 1
        else:
            add("normal", min(width, max(1, steps - count)) if len(layers) else 1)
    for layer, kind in zip(layers, kinds):
        for sid in layer:
            lane = "backstage" if kind != "normal" else rng.choice(LANES)
            step = {"name": f"Step {sid[1:]}", "lane": lane,
                    "duration": {"exponential": round(rng.uniform(0.1, 4), 2)}}
            if lane == "customer":
                if rng.random() < 0.6:
                    step["channel"] = rng.choice(CHANNELS)
            else:
                step["owner"] = f"t{rng.randrange(teams)}"
            if kind == "split":
                step["split"] = "all"
            elif kind == "join":
                step["join"] = "all"
            elif rng.random() < 0.05:
                step["fail_point"] = "Something goes wrong"
            S[sid] = step
    S["done"] = {"name": "Resolved", "outcome": "success"}
    S["lost"] = {"name": "Lost", "outcome": "failure"}
    normal = [i for i, k in enumerate(kinds) if k == "normal"]
    out: dict[str, list[str]] = {}
    for li, (layer, kind) in enumerate(zip(layers, kinds)):
        nxt = layers[li + 1] if li + 1 < len(layers) else ["done"]
        if kind in ("split", "branches"):
            out.update((sid, list(nxt)) for sid in layer)
            continue
        plain = li + 2 < len(layers) and kinds[li + 1] == "normal" and kinds[li + 2] == "normal"
        ahead = layers[li + 2] if plain else []
        behind = [s for lj in normal if li - 4 <= lj < li for s in layers[lj]]
        for sid in layer:
            out[sid] = rng.sample(nxt, min(len(nxt), rng.randint(1, 2)))
        fed = {t for sid in layer for t in out[sid]}
        for target in [t for t in nxt if t not in fed]:
            out[rng.choice(layer)].append(target)  # every step of the next layer is reached
        for sid in layer:
            if ahead and rng.random() < 0.1:
                out[sid].append(rng.choice(ahead))
            if behind and rng.random() < 0.08:
                out[sid].append(rng.choice(behind))
            if rng.random() < 0.02:
                out[sid].append("lost")
            if ahead and rng.random() < 0.02:
                S[sid]["timeout"] = {"after": round(rng.uniform(2, 8), 1), "to": rng.choice(ahead)}
    for sid, targets in out.items():
        targets = list(dict.fromkeys(targets))
        if len(targets) == 1 or S[sid].get("split") == "all":
            data["flows"] += [[sid, t] for t in targets]
        else:
            data["flows"] += [{"from": sid, "to": t, "p": p} for t, p in zip(targets, _chances(rng, len(targets)))]
    return data


def _timed(fn, data: dict, repeat: int) -> tuple[float, float, object]:
    """Best wall-clock and best CPU seconds of `repeat` runs of `fn` on a blueprint made afresh from
    `data` each time (not timed), and its last result."""
    walls, cpus = [], []
    for _ in range(repeat):
        model = bp.Blueprint.model_validate(data)
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn(model)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), out


#: What the figures mean beside those of an earlier version (said under the table).
NOTE = (" On these layered journeys every loop is small, so the chain is solved with a direct sparse LU, as before "
        "the iterative solver came in (`benchmarks/bench_scale.py` is where it counts). `stats` does more than it did "
        "before the last change of semantics (0.92 s then at 100,000 steps without parallel work; timed beside it with "
        "`--before` a checkout of 46e75a8, the commit before it): it works out the exact story repeats (a small "
        "chain for each circle of teams that share records: 19 here), each team's load, which steps a case can "
        "never leave, and the failure contacts (one more chain: the case before its first fail point). The CPU "
        "time counts the second thread of OpenBLAS, which SuperLU's factorisations keep busy without shortening the "
        "wall clock (`stats` now makes three large ones, the code before one): with `OPENBLAS_NUM_THREADS=1` the "
        "two take about the same CPU time.")

_BEFORE = """
import json, sys, time
import blueprint as bp
data = json.load(open(sys.argv[1]))
walls, cpus = [], []
for _ in range(int(sys.argv[2])):
    model = bp.Blueprint.model_validate(data)
    wall, cpu = time.perf_counter(), time.process_time()
    bp.stats(model)
    walls.append(time.perf_counter() - wall)
    cpus.append(time.process_time() - cpu)
print(json.dumps([min(walls), min(cpus)]))
"""


def _timed_elsewhere(code: Path, path: Path, repeat: int) -> tuple[float, float]:
    """`stats` on the blueprint at `path` timed with the code of another checkout, in its own process."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", _BEFORE, str(path), str(repeat)], capture_output=True, text=True,
                          env=env, cwd=str(code), timeout=3600)
    if done.returncode:
        raise SystemExit(f"--before {code}: {done.stderr.strip()[-500:]}")
    return tuple(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--before", type=Path, help="a checkout of an earlier version to time stats with too")
    args = parser.parse_args()
    small, large = args.steps // 4, args.steps
    cases = [("none", small, 0), ("none", large, 0), ("20 blocks of 3 branches", large, 20),
             ("a block every 40 layers", small, None), ("a block every 40 layers", large, None)]
    rows, cpu_of_check = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for parallel, steps, blocks in cases:
            data = layered(steps, blocks=blocks)
            path = Path(tmp) / f"layered{steps}_{blocks}.json"
            path.write_text(json.dumps(data))
            load = _timed(lambda _, path=path: bp.load(path), data, args.repeat)
            check = _timed(bp.check, data, args.repeat)
            stats = _timed(bp.stats, data, 1 if args.before else args.repeat)
            if args.before:  # side by side: each version in a process of its own, on the same file
                stats = (*_timed_elsewhere(ROOT, path, args.repeat), stats[2])
            if blocks is None:
                cpu_of_check[steps] = check[1]
            report, s = check[2], stats[2]
            findings = ", ".join(f"{n} {k}" for k, n in report.summary.items())
            row = [f"{len(data['steps']):,}", parallel]
            row += [f"{wall:.2f} s ({cpu:.2f} s)" for wall, cpu, _ in (load, check, stats)]
            if args.before:
                wall, cpu = _timed_elsewhere(args.before.resolve(), path, args.repeat)
                row.append(f"{wall:.2f} s ({cpu:.2f} s)")
            row += [findings, "null" if s.expected_contacts is None else f"{s.expected_contacts:.2f}",
                    "null" if s.expected_story_repeats is None else f"{s.expected_story_repeats:.3f}"]
            rows.append(row)
            print(rows[-1], flush=True)
    growth = cpu_of_check[large] / cpu_of_check[small]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    header = ["steps", "parallel work", "bp.load", "bp.check", "bp.stats"]
    header += ["bp.stats before"] if args.before else []
    header += ["findings", "expected contacts", "expected story repeats"]
    before = (f" `bp.stats` and `bp.stats before` are timed side by side, each in a process of its own on the "
              f"same file: this checkout, and the code at `{args.before}`." if args.before else "")
    write_section("analysis", "## Analysis: check and stats\n\n"
                  f"`python benchmarks/bench_analysis.py{' --before ' + str(args.before) if args.before else ''}` "
                  f"({machine()}). Best of {args.repeat}, each on a blueprint loaded afresh: wall clock, with "
                  "the CPU time of the process in brackets (on a busy machine the CPU time is the steadier "
                  "figure). Generated layered journeys: about 5 steps a layer, 60 teams, rework loops up to "
                  "4 layers back, skips, fail outs, timeouts; parallel work as the second column says "
                  "(`split: all` into branches, `join: all` after them)." + before + NOTE
                  + " Goals: each under 10 s at "
                  "100,000 steps; check growing at most 5x when the steps grow 4x; stats without parallel "
                  "work no slower than before.\n\n"
                  + table(header, rows)
                  + f"\n\nGrowth of check (CPU) from {small:,} to {large:,} steps: **{growth:.1f}x** for 4x the "
                  f"steps. Peak memory of the run: {peak:,.0f} MiB.")
    print(f"check growth {growth:.2f}x; peak {peak:.0f} MiB")


if __name__ == "__main__":
    main()
