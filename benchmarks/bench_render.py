"""Rendering a generated 60-step blueprint: with the system Graphviz (when on PATH) and the embedded one.

    python benchmarks/bench_render.py            # writes the "render" section of docs/performance.md
    python benchmarks/bench_render.py --png out  # also keeps the drawings (out.svg, out.png) to look at

Targets: under 2 s with the system ``dot``, under 5 s with the embedded Graphviz (SVG, findings on).
Each figure is the median of a few runs in one process, after one warm-up run (the embedded
Graphviz is compiled once per process; wasmtime's cache keeps it for the next).
"""
from __future__ import annotations

import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import blueprint as bp  # noqa: E402
from _report import machine, table, write_section  # noqa: E402

VERBS = ["Checks", "Records", "Calls", "Emails", "Approves", "Reviews", "Ships", "Schedules", "Updates",
         "Waits for", "Escalates", "Explains", "Refunds", "Confirms", "Fills in"]
THINGS = ["the order", "the customer's account details", "a replacement part", "the delivery slot",
          "the complaint with the manager", "the refund request", "the engineer's visit report",
          "the warranty claim form", "the invoice", "the tracking number"]


def service(n: int = 60, seed: int = 1) -> bp.Blueprint:
    """A service of `n` steps over five stages and four lanes, with rework loops, fail points,
    evidence, contacts, a timeout and one split/join; long names that must wrap."""
    rng = random.Random(seed)
    stages = ["Discover", "Order", "Deliver", "Support", "Renew"]
    lanes = ["customer", "frontstage", "backstage", "support"]
    teams = {f"t{i}": {"name": name, "staff": rng.randint(1, 4), "systems": [rng.choice(["crm", "erp"])]}
             for i, name in enumerate(["Contact centre", "Field engineers", "Billing operations",
                                       "Warehouse", "IT service desk"])}
    steps, flows = {}, []
    ids = [f"s{i}" for i in range(n)]
    for i, sid in enumerate(ids):
        lane = "customer" if i % 3 == 0 else rng.choice(lanes[1:])
        step = {"name": f"{rng.choice(VERBS)} {rng.choice(THINGS)}", "lane": lane,
                "stage": stages[min(len(stages) - 1, i * len(stages) // n)], "duration": rng.randint(1, 30)}
        if lane == "customer":
            step["channel"] = rng.choice(["phone", "email", "web", "store"])
        else:
            step["owner"] = rng.choice(list(teams))
        if rng.random() < 0.1:
            step["fail_point"] = "Information is lost between the teams"
        if rng.random() < 0.1:
            step["evidence"] = rng.choice(["Confirmation e-mail", "Invoice", "Engineer's card", "Parcel"])
        steps[sid] = step
    steps["done"] = {"name": "Service working", "outcome": "success"}
    steps["lost"] = {"name": "Customer leaves", "outcome": "failure"}
    for i, sid in enumerate(ids[:-1]):
        if i > 5 and rng.random() < 0.15:  # rework: back to an earlier step
            back = ids[rng.randint(max(0, i - 6), i - 1)]
            flows += [{"from": sid, "to": ids[i + 1], "p": 0.8}, {"from": sid, "to": back, "p": 0.2}]
        elif rng.random() < 0.1:
            flows += [{"from": sid, "to": ids[i + 1], "p": 0.9}, {"from": sid, "to": "lost", "p": 0.1}]
        else:
            flows.append([sid, ids[i + 1]])
    flows.append([ids[-1], "done"])
    split, a, b, join = ids[20], ids[21], ids[22], ids[23]
    steps[split]["split"] = "all"
    steps[join]["join"] = "all"
    flows = [f for f in flows if not (isinstance(f, list) and f[0] in (split, a, b))
             and not (isinstance(f, dict) and f["from"] in (split, a, b))]
    flows += [[split, a], [split, b], [a, join], [b, join]]
    steps[ids[30]]["timeout"] = {"after": "3d", "to": ids[33]}
    return bp.Blueprint.model_validate({"name": f"Generated service of {n} steps", "stages": stages,
                                        "teams": teams, "steps": steps, "flows": flows, "start": ids[0]})


def timed(fn, repeat: int = 3) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    model = service(60)
    report = bp.check(model)
    engines = (["system"] if shutil.which("dot") else []) + ["embedded"]
    rows = []
    for engine in engines:
        svg = timed(lambda: bp.render(model, "svg", engine=engine))
        layout = timed(lambda: bp.render(model, "svg", engine=engine, findings=report))
        png = timed(lambda: bp.render(model, "png", engine=engine, findings=report))
        target = 2.0 if engine == "system" else 5.0
        rows.append([f"{engine} Graphviz", f"{svg:.2f} s", f"{layout:.2f} s", f"{png:.2f} s",
                     f"< {target:g} s", "yes" if svg < target else "**no**"])
        print(f"{engine}: svg {svg:.2f} s (drawing only {layout:.2f} s), png {png:.2f} s")
    if "--png" in argv:
        out = Path(argv[argv.index("--png") + 1])
        out.with_suffix(".svg").write_text(bp.render(model, "svg"))
        out.with_suffix(".png").write_bytes(bp.render(model, "png"))
    if "system" not in engines:
        rows.append(["system Graphviz", "not on PATH", "", "", "< 2 s", "not measured"])
    write_section("render", f"""## Rendering (`benchmarks/bench_render.py`)

`python benchmarks/bench_render.py`: a generated blueprint of 60 steps (5 stages, 4 lanes, 5 teams,
rework loops, a split/join, a timeout, fail points, evidence) drawn by `bp.render`. "SVG" is the
whole call with findings on (`blueprint check` included); "drawing only" passes a ready report;
"PNG" adds resvg at 1.5x. Median of 3 runs after a warm-up, on {machine()}.

{table(["engine", "SVG", "drawing only", "PNG", "target (SVG)", "met"], rows)}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
