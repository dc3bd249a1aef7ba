"""Mutated event logs through `blueprint replay`: exit 0, 1 or 2 with a message, never a traceback.

The mutants are those of the discover fuzz test (tests/test_discover_fuzz.py: the shared logs cut
short and blueprint's own simulated CSV and XES, with byte and line edits, re-encodings, gzip and
options), each replayed against the blueprint discovered from its unmutated seed (the simulated
ones against the blueprint that made them), some with ``--calibrate``. ``mutant(number)`` makes a
failing one again. And the other side: mutated blueprints held against one good log.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import cli
from blueprint.writing import dumps

from .conftest import ROOT
from .test_discover_fuzz import LOGS, SEEDS, SIMULATED, mutant

MUTANTS = 1500


def _blueprints(tmp_path) -> list:
    """The blueprint each seed is replayed against, as a file."""
    files = []
    for i, (name, data) in enumerate(SEEDS):
        path = tmp_path / f"seed{i}.yaml"
        if name.startswith("simulated"):
            path.write_text(SIMULATED)
        else:
            log = tmp_path / name
            log.write_bytes(data)
            path.write_text(dumps(bp.discover(log)))
        files.append(path)
    return files


@pytest.mark.skipif(not LOGS.is_dir(), reason="../shared/logs is not there")
def test_mutated_logs_replay_or_end_in_a_message_never_a_traceback(tmp_path):
    runner = CliRunner()
    blueprints = _blueprints(tmp_path)
    codes: dict[int, int] = {}
    for number in range(MUTANTS):
        name, data, options = mutant(number)
        log, out = tmp_path / f"mutant_{name}", tmp_path / "calibrated.yaml"
        log.write_bytes(data)
        extra = ["--calibrate", str(out)] if random.Random(number).random() < 0.2 else []
        done = runner.invoke(cli, ["replay", str(log), str(blueprints[number % len(SEEDS)]), "--format", "json",
                                   *options, *extra])
        assert done.exception is None or isinstance(done.exception, SystemExit), (
            f"mutant({number}) of {name} {options}: {done.exception!r}")
        assert done.exit_code in (0, 1, 2) and "Traceback" not in done.output, f"mutant({number})"
        if done.exit_code == 2:
            assert done.stderr.strip(), f"mutant({number}): exit 2 without a message"
        else:
            doc = json.loads(done.stdout)
            assert doc["cases"] >= 1 and 0 <= doc["fitness"] <= 1 and (doc["fitness"] == 1) == (done.exit_code == 0)
            if extra:
                bp.load(out)  # what --calibrate writes always loads
                out.unlink()
        codes[done.exit_code] = codes.get(done.exit_code, 0) + 1
    assert min(codes.get(c, 0) for c in (0, 1, 2)) > MUTANTS // 20, codes  # every ending reached


def test_mutated_blueprints_replay_or_end_in_a_message(tmp_path):
    """The other side: the blueprints of the every-command fuzz test (tests/test_fuzz_commands.py),
    mutated, each held against one log (a story simulated); a third calibrated, their text edited."""
    from .test_fuzz_commands import mutants, run_mutants

    log = tmp_path / "fires.csv"
    bp.simulate(bp.load(ROOT / "examples" / "damaged_fires.yaml"), cases=40, seed=2, events=True).write_events(log)

    def command(path: str, i: int) -> list[str]:
        extra = ["--calibrate", str(tmp_path / f"c{i}{Path(path).suffix}")] if i % 3 == 0 else []
        return ["replay", str(log), path, "--format", "json" if i % 2 else "text", *extra]

    outcome = run_mutants(tmp_path, command, mutants(sum(map(ord, "replay")), 400))
    assert outcome["exits"][2] > 0 and outcome["exits"][0] + outcome["exits"][1] > 0
    for written in tmp_path.glob("c*"):
        bp.load(written)  # what --calibrate writes always loads
