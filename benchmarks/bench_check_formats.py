"""`blueprint check` in each output format (text, JSON, SARIF), from YAML and JSON files, at 25,000
and 100,000 steps.

    python benchmarks/bench_check_formats.py [--steps 100000] [--repeat 2]

Goal (issue 14): each format under 10 s at 100,000 steps, and growing at most 5x when the steps
grow 4x. Text and SARIF place every finding at its line and column; JSON does not: with the
line index made once per file, the three cost the same. Each run is the whole command (reading,
checking, writing), in process. Writes its figures to docs/performance.md (section
"check-formats"); the generated journeys are those of bench_analysis.py.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, table, write_section  # noqa: E402
from bench_analysis import layered  # noqa: E402

from blueprint.cli import cli  # noqa: E402

FORMATS = ("text", "json", "sarif")


def _check(args: list[str], repeat: int) -> tuple[float, float, str]:
    """Best wall-clock and best CPU seconds of `repeat` runs of the command, and its output."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = CliRunner().invoke(cli, args)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    wall, cpu = min(walls), min(cpus)
    if result.exit_code not in (0, 1):
        raise SystemExit(f"{args}: exit {result.exit_code}: {result.output[-500:]}")
    return wall, cpu, result.output


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs")
    args = parser.parse_args()
    sizes = (args.steps // 4, args.steps)
    rows, cpu = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for steps in sizes:
            data = layered(steps)
            files = {"yaml": Path(tmp) / f"layered{steps}.yaml", "json": Path(tmp) / f"layered{steps}.json"}
            files["yaml"].write_text(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                                               sort_keys=False, default_flow_style=None, width=120))
            files["json"].write_text(json.dumps(data, indent=1))
            for source, path in files.items():
                row = [f"{len(data['steps']):,}", source]
                for fmt in FORMATS:
                    wall, used, out = _check(["check", str(path), "--format", fmt, "--fail-on", "never"], args.repeat)
                    cpu[steps, source, fmt] = used
                    row.append(f"{wall:.2f} s ({used:.2f} s)")
                    if fmt == "text":
                        located = sum(1 for line in out.splitlines() if line.startswith(f"{path}:") and
                                      line.split(":")[1].isdigit())
                        findings = len(out.splitlines()) - 1
                row.append(f"{findings:,} ({located:,} with a line)")
                rows.append(row)
                print(row, flush=True)
    small, large = sizes
    growth = [[source, *[f"{cpu[large, source, f] / cpu[small, source, f]:.1f}x" for f in FORMATS]]
              for source in ("yaml", "json")]
    write_section("check-formats", "## check in each output format\n\n"
                  f"`python benchmarks/bench_check_formats.py` ({machine()}). The whole command, in process: "
                  "read, check, write the report. Best of "
                  f"{args.repeat}: wall clock, with the CPU time in brackets. The layered journeys of the "
                  "analysis benchmark, written as YAML and as JSON. Goal: each format under 10 s at "
                  f"{large:,} steps, growing at most 5x for 4x the steps.\n\n"
                  + table(["steps", "file", "check (text)", "check --format json", "check --format sarif",
                           "findings"], rows)
                  + f"\n\nGrowth (CPU) from {small:,} to {large:,} steps:\n\n"
                  + table(["file", "text", "json", "sarif"], growth)
                  + "\n\nBefore the line index (issue 14), text and SARIF walked the parsed file once per "
                  "finding: 206 s for text at 100,000 steps, against 6.4 s for JSON. From YAML the reading "
                  "itself costs more than from JSON: libyaml builds a Python node for every value (about "
                  "2.2 s at 100,000 steps) before the data is made from them; JSON's C scanner reads the "
                  "same file in about 1 s. Before the command paused the garbage collector (and read "
                  "equal texts of a YAML file as one object), 100,000 steps from YAML took 9.8 s as text, "
                  "9.8 s as JSON and 10.2 s as SARIF on the same machine: the collector's passes over the "
                  "model and the findings cost about 1 s.")
    print(growth)


if __name__ == "__main__":
    main()
