"""`discover` on event logs of up to 1M events, beside pm4py's directly-follows discovery of the same logs.

    python benchmarks/bench_discover.py [--events 250000 1000000] [--repeat 1]

The logs are made by simulating examples/jackson_network.yaml (five teams, routing with feedback)
until the log has about the number of events asked, written by blueprint as CSV (one row per
visit, start and end times) and as XES (a start and a complete event per visit): the formats
`blueprint simulate --events` writes, which pm4py reads as they are. The largest XES is also timed
gzipped (`.xes.gz`, read as a stream).

Each run is a process of its own, so that its peak memory is its own (peak RSS, and what the work
added to the process once its imports were loaded):

- **blueprint**: `bp.discover(path)`: the whole blueprint (flows, durations, teams and their
  staff, outcomes, arrivals), validated;
- **pm4py**: the directly-follows graph only. CSV: `pandas.read_csv`, `pm4py.format_dataframe`,
  `pm4py.discover_dfg`; XES: `pm4py.read_xes` (its default importer here), the complete events
  kept, `pm4py.discover_dfg`.

Each run checks that blueprint's flow chances are pm4py's directly-follows counts over the
activity's occurrences (to 1e-9). Writes its figures to docs/performance.md (section "discover").
Needs pm4py (the `test` extra).
"""
from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, table, write_section  # noqa: E402

import blueprint as bp  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "jackson_network.yaml"


def _peak_mib() -> float:
    """This process's peak RSS (VmHWM: ru_maxrss would count the parent's at the fork too)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_log(folder: Path, events: int, kind: str) -> tuple[Path, int]:
    """A simulated log of about `events` events (CSV rows, XES events): its path and its count."""
    model = bp.load(EXAMPLE)
    trial = bp.simulate(model, cases=2000, seed=1).events
    per_case = len(trial) / 2000 * (1 if kind == "csv" else 2 - sum(e.outcome == "success" for e in trial)
                                    / len(trial))
    result = bp.simulate(model, cases=max(1, round(events / per_case)), seed=1, events=True)
    path = folder / f"jackson_{events}.{kind}"
    result.write_events(path)
    count = len(result.events) if kind == "csv" else path.read_bytes().count(b"<event>")
    return path, count


def child(tool: str, path: str) -> None:
    """Run one tool on one log in this process; print a JSON line of figures."""
    base = _peak_mib()
    if tool == "blueprint":
        start, cpu = time.perf_counter(), time.process_time()
        model = bp.discover(path)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        peak = _peak_mib()
        names = {sid: s.name for sid, s in model.steps.items()}
        chances = {f"{names[f.source]}->{names[f.target]}": f.p for f in model.flows}
    else:
        import pandas as pd
        import pm4py

        base = _peak_mib()
        start, cpu = time.perf_counter(), time.process_time()
        if path.endswith(".csv"):
            frame = pm4py.format_dataframe(pd.read_csv(path), case_id="case", activity_key="step",
                                           timestamp_key="timestamp")
        else:
            frame = pm4py.read_xes(path)
            frame = frame[frame["lifecycle:transition"] == "complete"]
        dfg, _, ends = pm4py.discover_dfg(frame)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        peak = _peak_mib()
        out: dict[str, int] = {}
        for (a, _), n in dfg.items():
            out[a] = out.get(a, 0) + n
        for a, n in ends.items():
            out[a] = out.get(a, 0) + n
        chances = {f"{a}->{b}": n / out[a] for (a, b), n in dfg.items()}
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak": peak, "added": peak - base, "chances": chances}))


def run(tool: str, path: Path) -> dict:
    """The figures of one tool on one log, from a process of its own."""
    done = subprocess.run([sys.executable, __file__, "--child", tool, str(path)], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{tool} on {path.name} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best_of(tool: str, log: Path, label: str, repeat: int) -> dict:
    """The run with the least CPU time of `repeat`."""
    best: dict = {}
    for _ in range(repeat):
        figures = run(tool, log)
        if not best or figures["cpu"] < best["cpu"]:
            best = figures
        print(f"{label} {log.name}, {tool}: {figures['seconds']:.1f} s ({figures['cpu']:.1f} s CPU), "
              f"{figures['peak']:.0f} MiB", file=sys.stderr)
    return best


def logs_of(folder: Path, kind: str, size: int, largest: bool) -> tuple[list[tuple[Path, str]], int]:
    """The logs to time at one size: the plain one, and the largest XES gzipped too."""
    path, count = make_log(folder, size, kind)
    logs = [(path, kind.upper())]
    if kind == "xes" and largest:
        packed = path.with_suffix(".xes.gz")
        with path.open("rb") as raw, gzip.open(packed, "wb", compresslevel=6) as out:
            shutil.copyfileobj(raw, out)
        logs.append((packed, "XES, gzipped"))
    return logs, count


def measure(events: list[int], repeat: int) -> tuple[list[list], dict]:
    """The table's rows, and blueprint's CPU time by (log, size)."""
    rows, ours = [], {}
    folder = Path(tempfile.mkdtemp(prefix="bench_discover_"))
    try:
        for kind in ("csv", "xes"):
            for size in events:
                logs, count = logs_of(folder, kind, size, size == max(events))
                theirs = None
                for log, label in logs:
                    best = {tool: best_of(tool, log, label, repeat)
                            for tool in (("blueprint", "pm4py") if label in ("CSV", "XES") else ("blueprint",))}
                    theirs = best["pm4py"]["chances"] if "pm4py" in best else theirs  # (the plain log's)
                    mine = best["blueprint"]["chances"]
                    same = mine.keys() == theirs.keys() and all(abs(mine[k] - theirs[k]) < 1e-9 for k in mine)
                    ours[(label, size)] = best["blueprint"]["cpu"]
                    for tool, f in best.items():
                        rows.append([label, f"{count:,}", f"{log.stat().st_size / 2**20:,.0f} MiB", tool,
                                     f"{f['seconds']:.1f} s ({f['cpu']:.1f} s)", f"{f['peak']:,.0f} MiB",
                                     f"{f['added']:,.0f} MiB", "" if tool == "pm4py" else "yes" if same else "NO"])
                for log, _ in logs:
                    log.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("TOOL", "LOG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    rows, ours = measure(args.events, args.repeat)
    small, large = min(args.events), max(args.events)
    growth = [f"{label}: {ours[(label, large)] / ours[(label, small)]:.1f}x" for label in ("CSV", "XES")
              if (label, small) in ours and small != large]
    markdown = f"""## discover: event logs up to {large:,} events, beside pm4py

`python benchmarks/bench_discover.py --events {' '.join(str(e) for e in args.events)} --repeat {args.repeat}`
on {machine()}; best of {args.repeat} by CPU time, each run in a process of its own; the time is the
wall clock, with the CPU time of the process in brackets (on a busy machine the CPU time is the
steadier figure). The logs are `examples/jackson_network.yaml` simulated and written by
`blueprint simulate --events` (CSV: a row a visit with start and end; XES: a start and a complete
event a visit). blueprint builds the whole blueprint (`bp.discover`); pm4py only its
directly-follows graph (`pandas.read_csv` + `format_dataframe` or `read_xes`, then
`discover_dfg`, pm4py {_pm4py_version()} with its default XES importer). "Same flows" checks
blueprint's flow chances against pm4py's directly-follows counts. Peak is the process's peak
RSS; "added" what the work added to it after the imports.

{table(["log", "events", "file", "tool", "time (CPU)", "peak RSS", "added", "same flows"], rows)}

Growth of blueprint's CPU time for {large // small if small else 0}x the events: {', '.join(growth) or '-'}
(linear: reading and counting are one pass; only the sorts of each case's events and of each
step's durations are n log n). XES is streamed (`iterparse`, each event cleared once read): what
grows with it is only the durations and work times kept, 8 bytes each; a CSV's rows are gathered
by case first, so its memory grows with it.
"""
    write_section("discover", markdown)
    print(markdown)


def _pm4py_version() -> str:
    try:
        from importlib.metadata import version

        return version("pm4py")
    except Exception:  # not installed: the pm4py runs fail with their own message
        return "?"


if __name__ == "__main__":
    main()
