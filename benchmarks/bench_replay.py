"""`replay` on event logs of up to 1M events, beside pm4py's token-based replay of the same logs.

    python benchmarks/bench_replay.py [--events 250000 1000000] [--repeat 1]

The logs are those of benchmarks/bench_discover.py: examples/jackson_network.yaml (five teams,
routing with feedback) simulated until the log has about the number of events asked, written by
`blueprint simulate --events` as CSV (a row a visit, start and end) and XES (a start and a complete
event a visit); the largest XES is also timed gzipped.

Each run is a process of its own, for its own peak memory:

- **blueprint**: `bp.replay(path, model).to_json()`: every case played through the blueprint, with
  the deviations, flows, durations, waits and their causes, team loads and per-case counts;
- **pm4py**: the blueprint exported as BPMN (`blueprint.bpmn.to_bpmn`), read by pm4py and made a
  Petri net (`read_bpmn`, `convert_to_petri_net`); the log read (`pandas.read_csv` +
  `format_dataframe`, or `read_xes` keeping the complete events), activities renamed to the task
  names and outcome rows left out; `fitness_token_based_replay` (which replays each variant once).

Both run on the blueprint as it is (the log fits it) and, on the smallest logs, on the blueprint
without the flow triage -> repairs (a fifth of the cases use it): the share of fitting cases is
checked to agree. Writes its figures to docs/performance.md (section "replay"). Needs pm4py.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, table, write_section  # noqa: E402
from bench_discover import EXAMPLE, _peak_mib, _pm4py_version, logs_of  # noqa: E402

import blueprint as bp  # noqa: E402

#: The flow the deviating blueprint lacks.
REMOVED = ("triage", "repairs")


def model_for(variant: str) -> bp.Blueprint:
    """The blueprint as it is, or without :data:`REMOVED` (triage's other chances rescaled)."""
    model = bp.load(EXAMPLE)
    if variant == "as is":
        return model
    data = model.to_data()
    flows = [{"from": f.source, "to": f.target, "p": f.p} for f in model.flows if (f.source, f.target) != REMOVED]
    kept = [f for f in flows if f["from"] == REMOVED[0]]
    total = sum(f["p"] for f in kept)
    for f in kept:
        f["p"] /= total
    kept[-1]["p"] = 1.0 - sum(f["p"] for f in kept[:-1])
    data["flows"] = flows
    return bp.Blueprint.model_validate(data)


def child(tool: str, variant: str, path: str) -> None:
    """Run one tool on one log in this process; print a JSON line of figures."""
    model = model_for(variant)
    if tool == "blueprint":
        base = _peak_mib()
        start, cpu = time.perf_counter(), time.process_time()
        fit = bp.replay(path, model)
        fit.to_json()
        fitness, cases = fit.fitness, fit.cases
    else:
        import pandas as pd
        import pm4py

        from blueprint.bpmn import to_bpmn

        names = {sid: s.name for sid, s in model.steps.items() if not s.is_outcome}
        folder = Path(tempfile.mkdtemp())
        (folder / "model.bpmn").write_text(to_bpmn(model))
        base = _peak_mib()
        start, cpu = time.perf_counter(), time.process_time()
        net, initial, final = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(folder / "model.bpmn")))
        if path.endswith(".csv"):
            frame = pd.read_csv(path)
            frame = frame[frame["step"].isin(list(names))].assign(step=lambda d: d["step"].map(names))
            frame = pm4py.format_dataframe(frame, case_id="case", activity_key="step", timestamp_key="timestamp")
        else:
            frame = pm4py.read_xes(path)
            frame = frame[(frame["lifecycle:transition"] == "complete") & frame["concept:name"].isin(list(names))]
            frame["concept:name"] = frame["concept:name"].map(names)
        found = pm4py.fitness_token_based_replay(frame, net, initial, final)
        fitness, cases = found["percentage_of_fitting_traces"] / 100, int(frame["case:concept:name"].nunique())
        shutil.rmtree(folder, ignore_errors=True)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = _peak_mib()
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "added": peak - base, "fitness": fitness,
                      "cases": cases}))


def run(tool: str, variant: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", tool, variant, str(path)], capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(f"{tool} on {path.name} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_of(tool: str, variant: str, log: Path, label: str, repeat: int) -> dict:
    """The run with the least CPU time of `repeat`."""
    best: dict = {}
    for _ in range(repeat):
        figures = run(tool, variant, log)
        if not best or figures["cpu"] < best["cpu"]:
            best = figures
        print(f"{label} {log.name}, {tool}, {variant}: {figures['seconds']:.1f} s ({figures['cpu']:.1f} s CPU), "
              f"{figures['peak']:.0f} MiB, fitness {figures['fitness']:.4f}", file=sys.stderr)
    return best


def measure(events: list[int], repeat: int) -> tuple[list[list], dict]:
    """The table's rows, and blueprint's (wall, CPU) by (log, size)."""
    rows, ours = [], {}
    folder = Path(tempfile.mkdtemp(prefix="bench_replay_"))
    try:
        for kind in ("csv", "xes"):
            for size in events:
                logs, count = logs_of(folder, kind, size, size == max(events))
                for log, label in logs:
                    tools = ("blueprint", "pm4py") if label in ("CSV", "XES") else ("blueprint",)
                    variants = ("as is", "without triage -> repairs") if size == min(events) else ("as is",)
                    for variant in variants:
                        best = {tool: best_of(tool, variant, log, label, repeat) for tool in tools}
                        same = (abs(best["blueprint"]["fitness"] - best["pm4py"]["fitness"]) < 1e-9
                                if "pm4py" in best else None)
                        if variant == "as is":
                            ours[(label, size)] = (best["blueprint"]["seconds"], best["blueprint"]["cpu"])
                        for tool, f in best.items():
                            rows.append([label, f"{count:,}", f"{log.stat().st_size / 2**20:,.0f} MiB", variant, tool,
                                         f"{f['seconds']:.1f} s ({f['cpu']:.1f} s)", f"{f['peak']:,.0f} MiB",
                                         f"{f['added']:,.0f} MiB", f"{f['fitness']:.4f}",
                                         "" if tool == "pm4py" or same is None else "yes" if same else "NO"])
                for log, _ in logs:
                    log.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=3, metavar=("TOOL", "VARIANT", "LOG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows, ours = measure(args.events, args.repeat)
    large = max(args.events)
    slowest = max((wall for (_, size), (wall, _) in ours.items() if size == large), default=0.0)
    markdown = f"""## replay: event logs up to {large:,} events, beside pm4py's token-based replay

`python benchmarks/bench_replay.py --events {' '.join(str(e) for e in args.events)} --repeat {args.repeat}`
on {machine()}; best of {args.repeat} by CPU time, each run in a process of its own; the time is the
wall clock, with the CPU time of the process in brackets. The logs are those of `discover`'s
benchmark (`examples/jackson_network.yaml` simulated, written by `blueprint simulate --events`).
blueprint plays every case (`bp.replay(...).to_json()`: deviations, observed chances, durations,
waits and their causes, team loads, per-case counts); pm4py {_pm4py_version()} reads the log and
replays each variant once on the Petri net of the blueprint's BPMN export
(`fitness_token_based_replay`): fitness only. "Fitness" is the share of fitting cases; "same" checks
blueprint's against pm4py's, on the blueprint as it is and without the flow triage -> repairs.
Peak is the process's peak RSS; "added" what the work added after the imports.

{table(["log", "events", "file", "blueprint", "tool", "time (CPU)", "peak RSS", "added", "fitness", "same"], rows)}

The slowest replay of {large:,} events took {slowest:.1f} s of wall clock (the goal: under a
minute on 2 cores; replay runs on one). What replay keeps grows by a few numbers a visit (8 bytes
each: durations, waits, work and wait intervals for the wait causes) and a few a case; an XES log
is streamed a trace at a time, while a CSV log's rows are gathered by case first (as `discover`
reads them), so its memory grows with the file.
"""
    write_section("replay", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
