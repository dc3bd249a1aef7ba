"""`check` and `stats` on blueprints of any shape: random flows, one giant loop.

    python benchmarks/bench_scale.py [--sizes 1000 5000 20000 100000] [--timeout 600] [--before DIR]

Each blueprint has `n` steps with 4 or 5 flows each to random steps anywhere (so nearly every
step is in one strongly connected part: the worst case for a direct sparse LU's fill-in), a few
teams, customer contacts, and a flow out to an outcome from about one step in ten, so that every
outcome is reachable and the loop has ways out. Each command runs in a process of its own, so its
peak memory (``ru_maxrss``) is its own. With ``--before DIR`` (a checkout of an earlier version), each
command also runs with that version's code on the same file, side by side (stopped after
``--before-timeout`` seconds). Goal: check and stats on 20,000 steps each under a minute
on 2 cores. Writes its figures to docs/performance.md (section "scale").
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, table, write_section  # noqa: E402

LANES = ["customer", "frontstage", "frontstage", "backstage", "backstage", "support"]
CHANNELS = ["phone", "email", "chat"]


def random_flows(steps: int, *, teams: int = 6, seed: int = 1) -> dict:
    """A blueprint of `steps` steps, each with 4 or 5 flows to random steps (chances random), about
    one step in ten with a flow out to an outcome; `teams` teams; seeded.

    Examples
    --------
    >>> data = random_flows(50, seed=3)
    >>> len(data["steps"]), len({f["from"] for f in data["flows"]})
    (53, 50)
    """
    rng = random.Random(seed)
    data = {"name": f"Random flows, {steps:,} steps", "time_unit": "minute",
            "teams": {f"t{t}": {"name": f"Team {t}", "staff": rng.randint(50, 500)} for t in range(teams)},
            "steps": {}, "flows": [], "start": "s0", "arrivals": {"rate": 1}}
    ends = ["done", "refunded", "lost"]
    for i in range(steps):
        lane = rng.choice(LANES)
        step: dict = {"name": f"Step {i}", "lane": lane, "duration": {"exponential": round(rng.uniform(0.5, 5), 2)}}
        if lane == "customer":
            if rng.random() < 0.7:
                step["channel"] = rng.choice(CHANNELS)
        else:
            step["owner"] = f"t{rng.randrange(teams)}"
        data["steps"][f"s{i}"] = step
    data["steps"]["done"] = {"name": "Resolved", "outcome": "success"}
    data["steps"]["refunded"] = {"name": "Refunded", "outcome": "success"}
    data["steps"]["lost"] = {"name": "Lost", "outcome": "failure"}
    for i in range(steps):
        k = rng.randint(4, 5)
        targets = rng.sample(range(steps), min(k, steps))
        names = [f"s{t}" for t in targets if t != i] or [ends[0]]
        if rng.random() < 0.1 or i == steps - 1:
            names[-1] = rng.choice(ends)
        names = list(dict.fromkeys(names))
        weights = [rng.uniform(1, 9) for _ in names]
        total = math.fsum(weights)
        chances = [round(w / total, 6) for w in weights[:-1]]
        chances.append(round(1.0 - math.fsum(chances), 6))
        data["flows"] += [{"from": f"s{i}", "to": t, "p": p} for t, p in zip(names, chances)]
    return data


#: How the chain is solved (said under the table).
NOTE = ("How: the exact chain (`blueprint.chain.solve.solver`) solves with a direct sparse LU when the largest loop "
        "of the chain has at most 2,000 states, and otherwise with BiCGSTAB (restarted GMRES if that does not settle) "
        "preconditioned by an incomplete LU (natural order, no pivoting: `I - P^T` is column diagonally dominant), to "
        "a residual of 1e-12 of the right-hand side; the test suite checks both ways agree to 1e-9 "
        "(`tests/test_solve.py`). Every `repeat-loop` finding's rounds come from one block-diagonal solve of all the "
        "loops together. A chain of more than 5,000,000 states, or one that does not settle, stops with a message "
        "naming the limit.")

_RUN = """
import json, resource, sys, time
import blueprint as bp
path, command = sys.argv[1], sys.argv[2]
t0 = time.perf_counter(); c0 = time.process_time()
model = bp.load(path)
load = time.perf_counter() - t0
t1 = time.perf_counter(); c1 = time.process_time()
if command == "check":
    out = bp.check(model); what = ", ".join(f"{n} {k}" for k, n in out.summary.items())
else:
    out = bp.stats(model); c = out.expected_contacts
    what = "contacts " + ("null" if c is None else f"{c:.3f}")
wall = time.perf_counter() - t1; cpu = time.process_time() - c1
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load": load, "wall": wall, "cpu": cpu, "peak": peak, "what": what}))
"""


def run(path: Path, command: str, timeout: float, code: Path | None = None) -> dict:
    """Load the blueprint at `path` and run `command` (check or stats) on it in a process of its own,
    with the package at `code` (a checkout) instead of this one if given."""
    env = {**os.environ, "PYTHONPATH": str(code)} if code else None
    try:
        done = subprocess.run([sys.executable, "-c", _RUN, str(path), command], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=str(code) if code else None)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout:.0f} s"}
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1][:200]}
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20_000, 100_000])
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--no-write", action="store_true", help="print only, leave docs/performance.md alone")
    parser.add_argument("--before", type=Path, help="a checkout of an earlier version to run side by side")
    parser.add_argument("--before-timeout", type=float, default=120)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"random{n}.json"
            path.write_text(json.dumps(random_flows(n)))
            for command in ("check", "stats"):
                r = run(path, command, args.timeout)
                if "error" in r:
                    row = [f"{n:,}", command, "-", r["error"], "-", "-", "-"]
                else:
                    row = [f"{n:,}", command, f"{r['load']:.2f} s", f"{r['wall']:.2f} s", f"{r['cpu']:.2f} s",
                           f"{r['peak']:,.0f} MiB", r["what"]]
                if args.before:
                    b = run(path, command, args.before_timeout, args.before.resolve())
                    row += [b["error"] if "error" in b else f"{b['wall']:.2f} s, {b['peak']:,.0f} MiB"]
                rows.append(row)
                print(rows[-1], flush=True)
    if args.no_write:
        return
    header = ["steps", "command", "load", "wall", "CPU", "peak memory", "result"]
    header += ["before (wall, peak)"] if args.before else []
    before = (f" The last column: the same command with the code at `{args.before}` (the direct sparse LU "
              f"everywhere), stopped after {args.before_timeout:.0f} s." if args.before else "")
    command = f"python benchmarks/bench_scale.py --sizes {' '.join(map(str, args.sizes))}"
    command += f" --before {args.before} --before-timeout {args.before_timeout:.0f}" if args.before else ""
    write_section("scale", "## Any shape: random flows\n\n"
                  f"`{command}` ({machine()}). "
                  "Blueprints of n steps, each step with 4 or 5 flows to random steps anywhere in the blueprint "
                  "(one giant loop: the worst case for a direct sparse LU's fill-in), 6 teams, a flow out to an "
                  "outcome from about one step in ten. Each command in a process of its own: the time to load the "
                  "file, the command's wall clock and CPU time, and the process's peak memory (`ru_maxrss`, "
                  "loading included)." + before
                  + " Goal: check and stats on 20,000 steps each under a minute on 2 cores.\n\n"
                  + table(header, rows) + "\n\n" + NOTE)


if __name__ == "__main__":
    main()
