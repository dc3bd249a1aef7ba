"""Mutated blueprints through every command that reads one: exit 0, 1 or 2, never a traceback, never a hang.

Thousands of mutants in all (seeded, so a failure is repeatable): the valid fixtures and examples
with keys dropped, values swapped for hostile ones (markup in names, huge and non-finite numbers,
dates, bad levels, loops with timeouts), bytes cut and inserted, and the shapes outside testers
found (JSON keys given twice, alias bombs, deep nesting, numbers of thousands of digits, strange
YAML tags, a BOM, NUL bytes). Each command gets its own share, in process with click's CliRunner;
a run that takes longer than :data:`MOST_SECONDS` is a failure (a watchdog stops a hang).

Other readers (BPMN, event logs) add their mutants by calling :func:`run_mutants` with their own.
"""
from __future__ import annotations

import copy
import json
import random
import signal
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from blueprint.cli import cli

from .conftest import EXAMPLES, FIXTURES
from .test_loader_fuzz import _paths

SOURCES = [p.read_text() for p in sorted((FIXTURES / "valid").glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))]
DATA = [yaml.safe_load(text) for text in SOURCES]
#: A run longer than this is a failure (the issue's bound: no run longer than 30 s).
MOST_SECONDS = 30
RAW_WORDS = ("Traceback", "Input should", "should match pattern", "datetime.", "Value error,")

MARKUP = '<<table><tr><td href="javascript:alert(1)">x</td></tr></table>>'
HOSTILE_VALUES = [
    None, True, False, 0, -1, 2.5, 10**30, float("nan"), float("inf"), -1e308, "", " ", "x", "2h", "-3d", "1/0",
    "5/day", "Mon-Fri 09:00-17:00", "Mon-Fri 25:00-26:00", "2024-01-01", MARKUP, "<b>x</b>", "a\\b", 'q"uote',
    "%%{init: {}}%%", "\u202e\u0000ctrl", "x" * 300, [], [None], ["crm", 3], {}, {"fixed": -1}, {"exponential": 0},
    {"uniform": [3, 1]}, {"triangular": [1, 2]}, {"normal": {"mean": 1, "sd": -1}}, {"empirical": []},
    {"every": "2h"}, {"rate": "0/day"}, {"at": [5, 1]}, {"after": 1, "to": "nowhere"}, {"dead-end": "loud"},
    "off", "info", "all", "success", "failure", "customer",
]


def _mutate_data(rng: random.Random) -> dict:
    data = copy.deepcopy(rng.choice(DATA))
    for _ in range(rng.randint(1, 4)):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = rng.random()
        if action < 0.2:
            del parent[path[-1]]
        elif action < 0.35 and isinstance(parent, dict):
            parent[rng.choice(["timeout", "split", "join", "owner", "checks", "p", "patience", "zz"])] = \
                copy.deepcopy(rng.choice(HOSTILE_VALUES))
        elif action < 0.5 and isinstance(parent[path[-1]], str):
            parent[path[-1]] += rng.choice(["x", "_2", "-", " ", MARKUP])
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
    return data


#: (duration, timeout after) of the step a timeout sends back to itself.
LOOP_TIMES = [(5, 1), (0, 0), (2, 1), (1, 5)]


def _timeout_loop(rng: random.Random, times: tuple[int, int] | None = None) -> bytes:
    """A timeout that sends the case back to its own step: a loop only the timeout keeps going."""
    duration, after = times or rng.choice(LOOP_TIMES)
    return (f"steps:\n  ask: {{lane: customer}}\n  answer: {{lane: customer, duration: {duration}, "
            f"timeout: {{after: {after}, to: answer}}}}\n  done: {{outcome: success}}\n"
            "flows: [[ask, answer], [answer, done]]\n").encode()


TEXT_FIELDS = ("name", "description", "evidence", "fail_point", "moment", "channel", "label", "lane", "stage")


def _odd_but_valid(rng: random.Random) -> dict:
    """A change that mostly keeps the blueprint valid: markup in its text, optional keys dropped,
    staff at its limits, a timeout or a distribution added."""
    data = copy.deepcopy(rng.choice(DATA))
    steps, teams = data.get("steps", {}), data.get("teams", {})
    for _ in range(rng.randint(1, 3)):
        action = rng.randrange(5)
        sid = rng.choice(list(steps))
        step = steps[sid]
        if action == 0:
            texts = [(d, k) for d in [data, *steps.values(), *teams.values(), *[f for f in data.get("flows", [])
                     if isinstance(f, dict)]] for k in TEXT_FIELDS if isinstance(d.get(k), str)
                     and k not in ("lane", "stage")]
            if texts:
                holder, key = rng.choice(texts)
                holder[key] = rng.choice([MARKUP, "<b>x</b>", 'q"uote \\ back', "%%{init: {}}%%", "x" * 500, "\n\t"])
        elif action == 1:
            for key in ("duration", "channel", "evidence", "fail_point", "timeout", "emotion"):
                step.pop(key, None) if rng.random() < 0.5 else None
        elif action == 2 and teams:
            team = rng.choice(list(teams.values()))
            team["staff"] = rng.choice([0, 1, 1_000_000, None])
            if team["staff"] is None:
                del team["staff"]
        elif action == 3 and not step.get("outcome"):
            step["duration"] = rng.choice([0, "1w", {"exponential": "2h"}, {"uniform": [0, 0]},
                                           {"triangular": [0, 0, 0]}, {"empirical": [0]},
                                           {"normal": {"mean": 1, "sd": 5}}])
        elif action == 4 and not step.get("outcome"):
            step["timeout"] = {"after": rng.choice([0, 1, "1h", "1000w"]), "to": rng.choice(list(steps))}
    return data


def _shapes(rng: random.Random, loops: bool = True) -> list[tuple[str, bytes]]:
    """The targeted shapes, as (suffix, content)."""
    base = rng.choice(SOURCES)
    steps = yaml.safe_load(base)["steps"]
    first = next(iter(steps))
    bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcde", "bcdef"))
    return [
        (".json", b'{"steps": {"a": {"lane": "customer"}}, "steps": {"b": {"outcome": "success"}}}'),
        (".json", b'{"teams": {"t": {"staff": ' + b"9" * 5000 + b"}}, " + json.dumps({"steps": steps}).encode()[1:]),
        (".yaml", base.encode() + b"\nchecks: {dead-end: loud}\n"),
        (".yaml", base.encode() + b"\npatience: " + b"1" * 5000 + b"\n"),
        (".yaml", bomb.encode() + base.encode()),
        (".yaml", b"[" * rng.randint(900, 200_000)),
        (".yaml", b"name: !!binary aGk=\n" + base.encode()),
        (".yaml", b"\xef\xbb\xbf" + base.encode()),
        (".yaml", base.encode().replace(first.encode(), b"x\0y", 1)),
        (".yaml", base.encode().replace(b"name:", f"name: '{MARKUP}' #".encode(), 1)),
        (".yaml", base.encode().replace(b"\n", b"\r\n")),
    ] + ([(".yaml", _timeout_loop(rng))] if loops else [])


def mutants(seed: int, count: int, loops: bool = True) -> list[tuple[str, bytes]]:
    """`count` mutated blueprints, as (suffix, content): a third each of data, text and targeted shapes."""
    rng = random.Random(seed)
    out: list[tuple[str, bytes]] = []
    while len(out) < count:
        kind = rng.random()
        if kind < 0.5:
            data = _mutate_data(rng) if kind < 0.25 else _odd_but_valid(rng)
            if rng.random() < 0.5:
                out.append((".json", json.dumps(data, default=str).encode()))
            else:
                out.append((".yaml", yaml.safe_dump(data, allow_unicode=True).encode()))
        elif kind < 0.75:
            text = rng.choice(SOURCES).encode()
            at = rng.randrange(len(text) + 1)
            junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 12)))
            action = rng.choice(["cut", "insert", "replace"])
            rest = text[at + (len(junk) if action == "replace" else 0):]
            text = text[:at] if action == "cut" else text[:at] + junk + rest
            out.append((".yaml", text))
        else:
            out.append(rng.choice(_shapes(rng, loops)))
    return out


class _Hung(Exception):
    pass


def _watchdog(signum, frame):
    raise _Hung("a run took too long (the watchdog stopped it)")


def run_mutants(tmp_path: Path, command, items: list[tuple[str, bytes]], most_seconds: float = MOST_SECONDS) -> dict:
    """Run ``command(path, i)`` (the CLI arguments for the mutant at `path`) on every item; give the
    exits counted and the slowest run. Fails with every mutant that broke a rule."""
    runner = CliRunner()
    exits = {0: 0, 1: 0, 2: 0}
    failures, slowest = [], (0.0, None)
    previous = signal.signal(signal.SIGALRM, _watchdog)
    try:
        for i, (suffix, content) in enumerate(items):
            path = tmp_path / f"m{i}{suffix}"
            path.write_bytes(content)
            args = command(str(path), i)
            signal.setitimer(signal.ITIMER_REAL, most_seconds)
            start = time.perf_counter()
            try:
                result = runner.invoke(cli, args)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            took = time.perf_counter() - start
            slowest = max(slowest, (took, path.name))
            broken = (result.exit_code not in exits or isinstance(result.exception, _Hung)
                      or (result.exception is not None and not isinstance(result.exception, SystemExit))
                      or any(word in result.output for word in RAW_WORDS))
            if broken:
                failures.append((args, content[:300], result.exit_code, repr(result.exception),
                                 result.output[-600:]))
            else:
                exits[result.exit_code] += 1
            path.unlink()
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert not failures, f"{len(failures)} of {len(items)} mutants broke a rule; the first: {failures[0]}"
    return {"exits": exits, "slowest": slowest}


SET_VALUES = ["teams.*.staff=2", "flows[0]=junk", "flows[0].p=0.5", "steps.*.duration=5", "checks={dead-end: off}",
              "teams.*.staff=-1", "flows[0]=[a, b]", "name=<b>x</b>", "patience=.nan", "steps.*.owner=nobody"]
VARY = ["patience=1..50", "teams.*.staff=1..3", "flows[0].p=0.1..0.9", "patience=.nan..3", "steps.*.duration=1..5",
        "nowhere=1..2"]


def _vary(path: str, i: int) -> str:
    """Mostly a team's staff in the mutant (so that explore gets to search), else a hostile range."""
    try:
        teams = list(yaml.safe_load(Path(path).read_text()).get("teams") or {})
    except Exception:
        teams = []
    return f"teams.{teams[i % len(teams)]}.staff=1..3" if teams and i % 3 else VARY[i % len(VARY)]


#: Each command that reads a blueprint, its share of the mutants, and its arguments.
COMMANDS = {
    "check-text": (600, lambda t: lambda p, i: ["check", p]),
    "check-json": (500, lambda t: lambda p, i: ["check", p, "--format", "json"]),
    "check-sarif": (400, lambda t: lambda p, i: ["check", p, "--format", "sarif", "--fail-on", "warning"]),
    "stats": (500, lambda t: lambda p, i: ["stats", p, "--format", "json" if i % 2 else "text"]),
    "simulate": (300, lambda t: lambda p, i: ["simulate", p, "--cases", "12", "--seed", str(i), "--no-progress"]
                 + (["--format", "json"] if i % 2 else [])),
    "whatif": (160, lambda t: lambda p, i: ["whatif", p, "--set", SET_VALUES[i % len(SET_VALUES)], "--cases", "8",
                                            "--replications", "2"]),
    "explore": (60, lambda t: lambda p, i: ["explore", p, "--vary", _vary(p, i), "--require",
                                            "time_in_system.mean < 50", "--examples", "2", "--cases", "8"]),
    "render-svg": (70, lambda t: lambda p, i: ["render", p, "-o", str(t / f"o{i}.svg")]),
    "render-dot": (100, lambda t: lambda p, i: ["render", p, "-o", str(t / f"o{i}.dot")]),
    "render-mermaid": (400, lambda t: lambda p, i: ["render", p, "-o", str(t / f"o{i}.mmd")]),
    "render-html": (50, lambda t: lambda p, i: ["render", p, "-o", str(t / f"o{i}.html"), "--no-findings"]),
    "convert": (400, lambda t: lambda p, i: ["convert", p, "-o",
                                             str(t / f"o{i}{('.yaml', '.json', '.bpmn', '.mmd')[i % 4]}")]),
    "schema": (40, lambda t: lambda p, i: ["schema", "-o", (p, p + "\0", str(t / "s.json"), "/dev/full")[i % 4]]),
}


#: The commands that simulate: a timeout loop is theirs to stop (see the test after the next); a
#: timeout that sends a case round a loop for ever is a loop the case never leaves, in every one.
SIMULATING = ("simulate", "whatif", "explore")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_survives_mutated_blueprints(tmp_path, name):
    share, make = COMMANDS[name]
    seed = sum(map(ord, name))
    outcome = run_mutants(tmp_path, make(tmp_path), mutants(seed, share))
    assert outcome["exits"][2] > 0  # the mutants do reach the error paths
    if name not in ("schema",):
        assert outcome["exits"][0] + outcome["exits"][1] > 0  # and some load and run


@pytest.mark.parametrize("name", SIMULATING)
def test_a_timeout_round_a_loop_ends_in_the_simulating_commands(tmp_path, name):
    _, make = COMMANDS[name]
    rng = random.Random(1)
    run_mutants(tmp_path, make(tmp_path), [(".yaml", _timeout_loop(rng, t)) for t in LOOP_TIMES[:2]], most_seconds=3)
