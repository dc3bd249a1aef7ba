"""Mutated event logs through `blueprint discover`: exit 0, 1 or 2 with a message, never a traceback.

The seeds are the real logs of ../shared/logs (cut to their first rows, so that thousands of
mutants run in well under a minute) and blueprint's own simulated CSV and XES. Each mutant is one to
three byte or line edits, sometimes re-encoded (Latin-1, UTF-16) or gzipped (sometimes cut), run
with no option, ``--encoding latin-1`` or a small ``--max-bytes``. A mutant is made from its
number alone: a failure names the number, and ``mutant(number)`` makes it again.
"""
from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import cli
from blueprint.eventlog import to_csv, to_xes

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT.parent / "shared" / "logs"
MUTANTS = 5000

SIMULATED = """
teams: {desk: {name: Desk, staff: 2}}
steps:
  ask:    {lane: customer, channel: phone, duration: 1}
  answer: {lane: frontstage, owner: desk, duration: {exponential: 10}}
  fixed:  {outcome: success}
  lost:   {outcome: failure}
flows: [[ask, answer], {from: answer, to: fixed, p: 0.7}, {from: answer, to: lost, p: 0.3}]
start: ask
arrivals: {every: {exponential: 4}}
patience: {exponential: 20}
"""
JUNK = [b"\x00", b"\xff", b"\xe9", b"\xc3", b'"', b",", b";", b"\t", b"\n", b"\r", b"<", b">", b"&", b"&#0;",
        b"&amp;", b"\xef\xbb\xbf", b"\xff\xfe", b"</trace>", b"<trace>", b"<event>", b"</event>", b"start",
        b"complete", b"withdraw", b"9999-99-99", b"2024-13-45T25:61:00", b"nan", b"1e308", b"-", b"", b" ",
        b"case:outcome", b"failure", b"abandoned", b"<!DOCTYPE x>", b'<string key="concept:name" value=""/>',
        b"<![CDATA[", b"\\", b"'", b"=", b"x" * 300]


def _seeds() -> list[tuple[str, bytes]]:
    seeds = []
    for name, lines in (("running-example.csv", None), ("running-example.xes", None), ("receipt.csv", 60),
                        ("interval_event_log.csv", 60)):
        if (LOGS / name).exists():
            data = (LOGS / name).read_bytes()
            seeds.append((name, data if lines is None else b"".join(data.splitlines(keepends=True)[:lines])))
    result = bp.simulate(bp.loads(SIMULATED), cases=12, seed=1)
    seeds += [("simulated.csv", to_csv(result.events, "minute").encode()),
              ("simulated.xes", to_xes(result.events, "minute").encode())]
    return seeds


SEEDS = _seeds()


def _edit(data: bytes, rng: random.Random) -> bytes:
    """One byte or line edit of `data`."""
    at = rng.randrange(len(data) + 1)
    junk = rng.choice(JUNK) if rng.random() < 0.7 else bytes(rng.randrange(256) for _ in range(rng.randint(1, 6)))
    kind = rng.randrange(9)
    if kind == 0:
        return data[:at]                                          # cut short
    if kind == 1:
        return data[:at] + junk + data[at:]                       # insert
    if kind == 2:
        return data[:at] + junk + data[at + len(junk):]           # overwrite
    if kind == 3:
        return data[:at] + data[at + rng.randint(1, 200):]        # delete a stretch
    if kind == 4:
        end = min(len(data), at + rng.randint(1, 400))
        return data[:end] + data[at:end] + data[end:]             # repeat a stretch
    lines = data.splitlines(keepends=True) or [b""]
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    if kind == 5:
        lines[i], lines[j] = lines[j], lines[i]                   # swap two lines
    elif kind == 6:
        cells = lines[i].split(b",")
        cells[rng.randrange(len(cells))] = junk                   # one CSV cell becomes junk
        lines[i] = b",".join(cells)
    elif kind == 7:
        del lines[i]                                              # drop a line
    else:
        word = rng.choice([b"complete", b"start", b"time:timestamp", b"concept:name", b"trace", b"case"])
        return data.replace(word, rng.choice(JUNK[16:24] + [b""]))  # every one of a word
    return b"".join(lines)


def mutant(number: int) -> tuple[str, bytes, list[str]]:
    """The mutant with this number: (file name, bytes, options)."""
    rng = random.Random(number)
    name, data = SEEDS[number % len(SEEDS)]
    for _ in range(rng.randint(1, 3)):
        data = _edit(data, rng)
    recode = rng.random()
    if recode < 0.08:
        data = data.decode("utf-8", errors="replace").encode("latin-1", errors="replace")
    elif recode < 0.12:
        data = data.decode("utf-8", errors="replace").encode("utf-16")
    if rng.random() < 0.1:
        data = gzip.compress(data)
        data = data[:rng.randrange(len(data))] if rng.random() < 0.3 else data
        name += ".gz"
    options = rng.choice([[], [], [], ["--encoding", "latin-1"], ["--max-bytes", "2k"]])
    return name, data, options


@pytest.mark.skipif(not LOGS.is_dir(), reason="../shared/logs is not there")
def test_mutated_logs_end_in_a_blueprint_or_a_message_never_a_traceback(tmp_path):
    runner = CliRunner()
    codes: dict[int, int] = {}
    for number in range(MUTANTS):
        name, data, options = mutant(number)
        log, out = tmp_path / name, tmp_path / "out.yaml"
        log.write_bytes(data)
        done = runner.invoke(cli, ["discover", str(log), "-o", str(out), *options])
        assert done.exception is None or isinstance(done.exception, SystemExit), (
            f"mutant({number}) of {name} {options}: {done.exception!r}")
        assert done.exit_code in (0, 1, 2) and "Traceback" not in done.output, f"mutant({number})"
        if done.exit_code == 2:
            assert done.stderr.strip(), f"mutant({number}): exit 2 without a message"
        elif done.exit_code == 0:
            bp.load(out)  # what discover writes always loads
            out.unlink()
        codes[done.exit_code] = codes.get(done.exit_code, 0) + 1
    assert codes.get(0, 0) > MUTANTS // 10 and codes.get(2, 0) > MUTANTS // 10, codes  # both kinds reached
