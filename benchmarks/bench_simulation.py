"""The simulator (its compiled and its Python engine) against Ciw, SimPy, a plain heapq loop and
that loop compiled by numba, on one open network of five M/M/c teams; the compiled engine's compile
and load times; and the peak memory of a million cases.

    python benchmarks/bench_simulation.py [--cases 100000] [--repeat 3] [--memory-cases 1000000]

All of them simulate examples/jackson_network.yaml (Poisson arrivals, exponential work, staff per
team, probabilistic routing with feedback) for the same number of arriving cases, each until every
case has left; each is timed `--repeat` times, in turn, and the best time is kept. The mean time
in system of each is shown next to the Erlang C value, to show they simulate the same thing. The
compile times (blueprint's compiled engine, and the numba loop) are measured apart, each into a
fresh cache in a new process, and so are the loads from that cache in another. Peak memory:
`bp.simulate` of `--memory-cases` cases in a process of its own, on each engine, with and without
event rows (the process's peak RSS, and what the run added to it after the imports). Writes its
figures to docs/performance.md (section "simulation"). Needs the `bench` extra
(``pip install -e ".[bench]"``: ciw, simpy).
"""
from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine, table, write_section  # noqa: E402

import blueprint as bp  # noqa: E402
from blueprint.durations import rate_in  # noqa: E402
from blueprint.simulation import EXACT_CASES, prepare, run_replication  # noqa: E402
from blueprint.simulation.parts import Branch, Case  # noqa: E402
from blueprint.simulation.tally import CaseTally  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "jackson_network.yaml"


def network(model: bp.Blueprint) -> dict:
    """The blueprint as the numbers the other simulators take: one station per staff step."""
    stations = [s for s in model.steps if not model.steps[s].is_outcome]
    index = {s: i for i, s in enumerate(stations)}
    routing = [[0.0] * len(stations) for _ in stations]
    for f in model.flows:
        if f.target in index:
            routing[index[f.source]][index[f.target]] = f.p
    return {"rate": rate_in(model.arrivals.rate, model.time_unit),
            "staff": [model.teams[model.steps[s].owner].staff for s in stations],
            "means": [model.mean_duration(s) for s in stations],
            "routing": routing, "entry": index[next(iter(model.entry))]}


def erlang_c_time(net: dict) -> float:
    """The exact mean time in system (Jackson's theorem with Erlang C at each station)."""
    n = len(net["staff"])
    arrivals = np.zeros(n)
    arrivals[net["entry"]] = 1.0
    visits = np.linalg.solve(np.eye(n) - np.array(net["routing"]).T, arrivals)
    total = 0.0
    for v, c, m in zip(visits, net["staff"], net["means"]):
        a = net["rate"] * v * m
        top = a ** c / math.factorial(c) * c / (c - a)
        wait = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top) * m / (c - a)
        total += v * (wait + m)
    return total


def run_blueprint(model: bp.Blueprint, cases: int, events: bool = False, engine: str = "python") -> float:
    return bp.simulate(model, cases=cases, seed=1, events=events, engine=engine).to_json()["time_in_system"]["mean"]


def without_story(model: bp.Blueprint) -> bp.Blueprint:
    """The same network with every step backstage: no story memory to keep (the same draws and times)."""
    return bp.loads(EXAMPLE.read_text().replace("lane: frontstage", "lane: backstage"))


def run_engine(model: bp.Blueprint, cases: int) -> float:
    """The event loop alone: no plan made, no KPIs worked out."""
    plan = prepare(model)
    start = time.process_time()
    run_replication(plan, 1, 0, cases=cases, record=False)
    return time.process_time() - start


def run_case_records(model: bp.Blueprint, cases: int) -> None:
    """What blueprint does for each case that the plain loop does not, without the events: a case
    and its branch made, ended and handed to the tally in blocks (as the engine does)."""
    tally, ended = CaseTally(len(prepare(model).outcomes)), []
    for number in range(cases):
        case = Case(number, 0.0)
        case.branches.append(Branch(number, case))
        case.end, case.outcome, case.branches = 1.0, 0, ()
        ended.append(case)
        if len(ended) >= 4096:
            tally.add(ended)
            ended = []
    tally.add(ended)


def run_plain(net: dict, cases: int, seed: int = 1) -> float:
    """A plain heapq loop for an open network of M/M/c stations, written for this benchmark alone."""
    rng = random.Random(seed)
    staff, means, n = net["staff"], net["means"], len(net["staff"])
    cumulative = [list(np.cumsum(row)) for row in net["routing"]]
    busy = [0] * n
    queues = [deque() for _ in range(n)]
    heap = [(rng.expovariate(net["rate"]), 0, -1, 0)]
    seq, arrived, total, done = 1, 0, 0.0, 0
    arrival_time = {}
    while heap:
        t, _, node, case = heapq.heappop(heap)
        if node == -1:  # a case arrives
            arrived += 1
            arrival_time[case] = t
            if arrived < cases:
                heapq.heappush(heap, (t + rng.expovariate(net["rate"]), seq, -1, case + 1))
                seq += 1
            node = net["entry"]
        else:  # work at `node` ends: the station takes its next case, this one moves on
            if queues[node]:
                heapq.heappush(heap, (t + rng.expovariate(1 / means[node]), seq, node, queues[node].popleft()))
                seq += 1
            else:
                busy[node] -= 1
            u, row, node = rng.random(), cumulative[node], 0
            while node < n and u >= row[node]:
                node += 1
            if node == n:  # leaves the network
                total += t - arrival_time.pop(case)
                done += 1
                continue
        if busy[node] < staff[node]:
            busy[node] += 1
            heapq.heappush(heap, (t + rng.expovariate(1 / means[node]), seq, node, case))
            seq += 1
        else:
            queues[node].append(case)
    return total / done


def plain_loop_arrays(rate, staff, means, cumulative, entry, cases, seed):
    """The plain loop over arrays only (numba's subset of Python): compiled by :func:`compiled_plain`."""
    np.random.seed(seed)
    n = staff.shape[0]
    busy = np.zeros(n, np.int64)
    queue = np.empty((n, cases), np.int64)  # a ring per station
    head = np.zeros(n, np.int64)
    tail = np.zeros(n, np.int64)
    arrival = np.empty(cases, np.float64)
    heap = [(np.random.exponential(1.0 / rate), 0, -1, 0)]
    seq, arrived, total, done = 1, 0, 0.0, 0
    while len(heap) > 0:
        t, _, node, case = heapq.heappop(heap)
        if node == -1:  # a case arrives
            arrived += 1
            arrival[case] = t
            if arrived < cases:
                heapq.heappush(heap, (t + np.random.exponential(1.0 / rate), seq, -1, case + 1))
                seq += 1
            node = entry
        else:  # work at `node` ends: the station takes its next case, this one moves on
            if tail[node] > head[node]:
                heapq.heappush(heap, (t + np.random.exponential(means[node]), seq, node,
                                      queue[node, head[node] % cases]))
                head[node] += 1
                seq += 1
            else:
                busy[node] -= 1
            u = np.random.random()
            nxt = 0
            while nxt < n and u >= cumulative[node, nxt]:
                nxt += 1
            node = nxt
            if node == n:  # leaves the network
                total += t - arrival[case]
                done += 1
                continue
        if busy[node] < staff[node]:
            busy[node] += 1
            heapq.heappush(heap, (t + np.random.exponential(means[node]), seq, node, case))
            seq += 1
        else:
            queue[node, tail[node] % cases] = case
            tail[node] += 1
    return total / done


def compiled_plain():
    """:func:`plain_loop_arrays` compiled by numba (cached on disk), or None without numba."""
    try:
        import numba  # the bench extra
    except ImportError:
        return None
    return numba.njit(cache=True)(plain_loop_arrays)


def numba_arguments(net: dict, cases: int, seed: int = 1) -> tuple:
    return (float(net["rate"]), np.array(net["staff"], np.int64), np.array(net["means"], np.float64),
            np.array([np.cumsum(row) for row in net["routing"]], np.float64), int(net["entry"]), cases, seed)


_CACHE_LOAD = """
import sys, time
sys.path.insert(0, {here!r})
import blueprint as bp
from bench_simulation import EXAMPLE, compiled_plain, network, numba_arguments
fn = compiled_plain()
start = time.perf_counter()
fn(*numba_arguments(network(bp.load(EXAMPLE)), 10))
print(time.perf_counter() - start)
"""


def numba_compile_times(net: dict) -> tuple[float, float]:
    """Seconds to compile the numba loop into a fresh cache, and to load it from that cache in a new process."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        code = _CACHE_LOAD.format(here=str(Path(__file__).resolve().parent))
        first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(first.stdout), float(again.stdout)


_PEAK = """
import json, resource, sys
import blueprint as bp
from blueprint.simulation import compiled
model = bp.load({example!r})
if {engine!r} == "compiled":
    compiled.load()  # numba and the compiled loop imported before the baseline
before = int(open("/proc/self/statm").read().split()[1]) * resource.getpagesize() // 1024  # RSS now, KiB
result = bp.simulate(model, cases={cases}, seed=1, events={events}, engine={engine!r})
doc = result.to_json()
rows = sum(len(r.events) for r in result.runs) if {events} else 0  # raw rows, as the engine keeps them
# VmHWM, not ru_maxrss: a child's ru_maxrss can carry its parent's peak from before the exec
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"before": before, "peak": peak, "rows": rows, "exact": result.runs[0].tally.exact}}))
"""


def peak_memory(cases: int, events: bool, engine: str) -> dict:
    """Peak RSS (KiB, Linux's VmHWM) of `bp.simulate` of `cases` cases in a process of its own."""
    code = _PEAK.format(example=str(EXAMPLE), cases=cases, events=events, engine=engine)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


_ENGINE_LOAD = """
import sys, time
start = time.perf_counter()
import blueprint as bp
from blueprint.simulation import compiled
model = bp.load({example!r})
imported = time.perf_counter()
bp.simulate(model, cases=10, seed=1, engine="compiled")
loaded = time.perf_counter()
bp.simulate(model, cases={cases}, seed=1, engine="compiled")
done = time.perf_counter()
print(imported - start, loaded - imported, done - loaded)
"""


def engine_load_times(cases: int) -> tuple[float, float, float, float]:
    """blueprint's compiled engine in new processes: the seconds to compile it into a fresh cache (a
    first run after installing), to load it from that cache, and then a whole `cases` run; and the
    import of blueprint itself."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        code = _ENGINE_LOAD.format(example=str(EXAMPLE), cases=cases)
        first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    _, compile_first, _ = map(float, first.stdout.split())
    imported, load, run = map(float, again.stdout.split())
    return compile_first, load, run, imported


def run_simpy(net: dict, cases: int, seed: int = 1) -> float:
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    stations = [simpy.Resource(env, capacity=c) for c in net["staff"]]
    cumulative = [list(np.cumsum(row)) for row in net["routing"]]
    times = []

    def case(env):
        start, node = env.now, net["entry"]
        while node < len(stations):
            with stations[node].request() as turn:
                yield turn
                yield env.timeout(rng.expovariate(1 / net["means"][node]))
            u, row, node = rng.random(), cumulative[node], 0
            while node < len(row) and u >= row[node]:
                node += 1
        times.append(env.now - start)

    def arrivals(env):
        for _ in range(cases):
            yield env.timeout(rng.expovariate(net["rate"]))
            env.process(case(env))

    env.process(arrivals(env))
    env.run()
    return sum(times) / len(times)


def run_ciw(net: dict, cases: int, seed: int = 1) -> float:
    import ciw

    n = len(net["staff"])
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=net["rate"]) if i == net["entry"] else None
                               for i in range(n)],
        service_distributions=[ciw.dists.Exponential(rate=1 / m) for m in net["means"]],
        routing=net["routing"], number_of_servers=net["staff"])
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_customers(cases, method="Finish")
    visits: dict[int, list] = {}
    for r in sim.get_all_records():
        visits.setdefault(r.id_number, []).append(r)
    return float(np.mean([max(r.exit_date for r in rs) - min(r.arrival_date for r in rs) for rs in visits.values()
                          if any(r.destination == -1 for r in rs)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--memory-cases", type=int, default=1_000_000)
    args = parser.parse_args()
    model = bp.load(EXAMPLE)
    plain_model = without_story(model)
    net = network(model)
    compiled = compiled_plain()
    if compiled is None:
        raise SystemExit("needs numba (pip install -e '.[bench]')")
    compile_first, compile_cached = numba_compile_times(net)
    engine_compile, engine_load, engine_run, import_time = engine_load_times(args.cases)
    arguments = numba_arguments(net, args.cases)
    compiled(*numba_arguments(net, 10))  # compiled (or loaded from the cache) here, before timing
    run_blueprint(model, 10, engine="compiled")  # the compiled engine loaded here, before timing
    runners = {
        "blueprint, compiled engine (bp.simulate)": lambda: run_blueprint(model, args.cases, engine="compiled"),
        "blueprint, Python engine (bp.simulate)": lambda: run_blueprint(model, args.cases),
        "plain heapq loop": lambda: run_plain(net, args.cases),
        "SimPy": lambda: run_simpy(net, args.cases),
        "Ciw": lambda: run_ciw(net, args.cases),
        "plain loop compiled by numba (the floor)": lambda: compiled(*arguments),
        "blueprint, compiled engine, keeping every event row":
            lambda: run_blueprint(model, args.cases, events=True, engine="compiled"),
        "blueprint, Python engine, keeping every event row": lambda: run_blueprint(model, args.cases, events=True),
        "blueprint, Python engine, without story memory (every step backstage)":
            lambda: run_blueprint(plain_model, args.cases),
        "blueprint's case records alone (no events)": lambda: run_case_records(model, args.cases),
    }
    best = {name: math.inf for name in runners}  # CPU time of this process: steadier than the wall clock
    wall = {name: math.inf for name in runners}
    means: dict[str, float | None] = {}
    engine = math.inf
    for _ in range(args.repeat):
        for name, run in runners.items():
            start, cpu = time.perf_counter(), time.process_time()
            means[name] = run()
            best[name] = min(best[name], time.process_time() - cpu)
            wall[name] = min(wall[name], time.perf_counter() - start)
            print(f"{name}: {best[name]:.3f} s", file=sys.stderr)
        engine = min(engine, run_engine(model, args.cases))
    ours = best["blueprint, compiled engine (bp.simulate)"]
    python = best["blueprint, Python engine (bp.simulate)"]
    rows = [[name, f"{seconds:.3f}", f"{wall[name]:.3f}", f"{seconds / ours:.2f}x",
             f"{means[name]:.3f}" if means[name] is not None else ""]
            for name, seconds in best.items()]
    plain_time, floor = best["plain heapq loop"], best["plain loop compiled by numba (the floor)"]
    story = python - best["blueprint, Python engine, without story memory (every step backstage)"]
    records = best["blueprint's case records alone (no events)"]
    gap = python - plain_time
    rest = gap - (python - engine) - story - records
    parts = [["the whole gap: the Python engine minus the plain loop", f"{gap:.3f}", "100%"],
             ["making the plan, the KPIs and the result (bp.simulate minus the event loop alone, "
              f"{engine:.3f} s)", f"{python - engine:.3f}", f"{(python - engine) / gap:.0%}"],
             ["story memory (the same network with every step backstage runs that much faster)", f"{story:.3f}",
              f"{story / gap:.0%}"],
             ["a case and a branch per case, ended and tallied (the case records row)", f"{records:.3f}",
              f"{records / gap:.0%}"],
             ["the rest: handlers, handoffs, team and case counters, stale-event checks", f"{rest:.3f}",
              f"{rest / gap:.0%}"]]
    goals = [["at least 20x faster than Ciw", f"{best['Ciw'] / ours:.1f}x", yes(best["Ciw"] / ours >= 20)],
             ["within 1.2x of the plain loop's time", f"{ours / plain_time:.2f}x", yes(ours / plain_time <= 1.2)],
             ["within 3x of the numba floor", f"{ours / floor:.2f}x", yes(ours / floor <= 3)]]
    exact = erlang_c_time(net)
    memory_rows = []
    for engine_name in ("compiled", "python"):
        for events in (False, True):
            peak = peak_memory(args.memory_cases, events, engine_name)
            print(f"peak memory, {engine_name}, events={events}: {peak}", file=sys.stderr)
            memory_rows.append([engine_name, f"{args.memory_cases:,}", "kept" if events else "not kept",
                                f"{peak['rows']:,}", f"{peak['peak'] / 1024:,.0f} MiB",
                                f"{(peak['peak'] - peak['before']) / 1024:,.0f} MiB",
                                "exact" if peak["exact"] else "folded (sketch)"])
    markdown = f"""## Simulation: {args.cases:,} cases through five M/M/c teams

`python benchmarks/bench_simulation.py --cases {args.cases} --repeat {args.repeat}` on {machine()};
best of {args.repeat} runs each, in turn, by the CPU time of the process (the machine is
shared: the CPU time is the steadier figure; the wall clock beside it), the ratios from the CPU
time. The network is `examples/jackson_network.yaml` (Poisson
arrivals at 1 a minute, exponential work, 1 to 2 staff per team, routing with feedback; about
2.6 steps per case); every simulator runs until all {args.cases:,} cases have left. blueprint's
two engines give the same figures on the same seed (the same mean time in system below; the test
suite checks every figure and every event row, `tests/test_simulation_compiled.py`).

{table(["simulator", "CPU seconds", "wall seconds", "time / compiled engine's", "mean time in system (min)"], rows)}

Erlang C gives a mean time in system of {exact:.3f} minutes. The goals, for `bp.simulate` on the
compiled engine:

{table(["goal", "here", "met"], goals)}

**Compiling and loading it.** The compiled engine is compiled once per installation, at its first
run: {engine_compile:.1f} s here (numba caches the machine code on disk, beside the package or in
numba's cache directory). After that, a new process loads it from the cache in {engine_load:.2f} s
(numba's import included; `import blueprint` itself takes {import_time:.2f} s and does not import
numba), then simulates the {args.cases:,} cases in {engine_run:.2f} s of wall clock. So in a new
process the compiled engine pays for itself from about {engine_load / max(python - ours, 1e-9) * args.cases:,.0f}
cases of this network; `engine="auto"` (the default) takes it from 100,000 cases (all replications
together). The plain loop compiled by numba: {compile_first:.2f} s to
compile into a fresh cache, {compile_cached:.2f} s to load from it, neither in its row.

The plain loops simulate this one network and nothing else; blueprint also keeps every case's
contacts, handoffs and story repeats, failure contacts and cost, per-team waits, queues and busy
time, the event rows when asked (`events=True`), and can stop cases at timeouts and when the
customer's patience runs out (switched off here).

What the Python engine's {gap:.3f} s more than the plain loop are made of (CPU seconds; the parts are
measured apart, so they add up only roughly; the case records row runs no events):

{table(["part of the gap", "CPU seconds", "of the gap"], parts)}

Peak memory of `bp.simulate` of {args.memory_cases:,} cases of the same network, each in a process of its
own (peak RSS; "added" is what the run added after the imports, numba's included for the compiled
engine). Up to {EXACT_CASES:,} cases per replication the figures of each case are kept (exact
quantiles, about 30 bytes a case); past that they are folded into running sums and a quantile
sketch, so the memory stops growing; event rows grow with the events (one tuple a step visit).

{table(["engine", "cases", "event rows", "rows", "peak RSS", "added", "case figures"], memory_rows)}
"""
    write_section("simulation", markdown)
    print(markdown)


def yes(met: bool) -> str:
    return "yes" if met else "**no**"


if __name__ == "__main__":
    main()
