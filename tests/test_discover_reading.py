"""Reading event logs the way they are shipped: compressed, in other encodings, large, or odd.

The layer under `discover` (and `replay` next): blueprint/logs/opening.py opens and decodes,
blueprint/logs/reading.py turns CSV, XES or rows into events and cases.
"""
from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import os
import threading
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from blueprint.cli import cli as group
from blueprint.errors import BlueprintError
from blueprint.logs.discover import discover
from blueprint.logs.opening import parse_size
from blueprint.logs.reading import read_events

ROOT = Path(__file__).resolve().parents[1]
LOGS = ROOT.parent / "shared" / "logs"
needs_logs = pytest.mark.skipif(not LOGS.is_dir(), reason="../shared/logs is not there")


def run(*args):
    """The command line in this process: (exit code, stderr lines); never a traceback."""
    done = CliRunner().invoke(group, [str(a) for a in args])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    return done.exit_code, [line for line in done.stderr.splitlines() if line.strip()]


def shape(model) -> tuple:
    """What a discovered blueprint says: its flows and chances, owners, outcomes and staff."""
    return ({(f.source, f.target): round(f.p, 12) for f in model.flows},
            {s: (x.name, x.owner, x.outcome) for s, x in model.steps.items()},
            {t: x.staff for t, x in model.teams.items()})


LOG = ("case,activity,timestamp,resource\n"
       "1,Réception,2024-01-01 09:00,Zoë\n1,Vérifier,2024-01-01 09:30,Zoë\n1,Clôturer,2024-01-01 10:00,Ana\n"
       "2,Réception,2024-01-01 11:00,Zoë\n2,Clôturer,2024-01-01 11:45,Ana\n")


# --------------------------------------------------------------------------------------------
# compression, by the bytes and not the name
# --------------------------------------------------------------------------------------------
@needs_logs
@pytest.mark.parametrize("source", ["running-example.xes", "running-example.csv"])
@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
@pytest.mark.parametrize("suffix", [".gz", ".bin"])  # a proper name, and one that says nothing
def test_compressed_logs_are_read_like_the_plain_ones(tmp_path, source, compress, suffix):
    packed = tmp_path / (source + suffix)
    packed.write_bytes(compress((LOGS / source).read_bytes()))
    assert shape(discover(packed)) == shape(discover(LOGS / source))


def test_a_cut_gzip_is_a_clear_error(tmp_path):
    packed = tmp_path / "log.csv.gz"
    packed.write_bytes(gzip.compress(LOG.encode() * 50)[:-30])
    code, stderr = run("discover", packed, "-o", tmp_path / "m.yaml")
    assert code == 2 and "gzip data is damaged" in stderr[0] and "cut short" in stderr[0]
    assert not (tmp_path / "m.yaml").exists()


# --------------------------------------------------------------------------------------------
# encodings
# --------------------------------------------------------------------------------------------
def test_a_latin1_log_is_refused_with_its_line_byte_and_the_fix(tmp_path):
    data = LOG.encode("latin-1")
    path = tmp_path / "latin1.csv"
    path.write_bytes(data)
    byte = data.index("é".encode("latin-1")) + 1  # in "Réception", on line 2
    code, stderr = run("discover", path, "-o", tmp_path / "m.yaml")
    assert code == 2 and len(stderr) == 1
    assert stderr[0].startswith(f"{path}: line 2, byte {byte}: b'\\xe9' is not utf-8 text")
    assert "--encoding latin-1" in stderr[0]
    code, stderr = run("discover", path, "--encoding", "latin-1", "-o", tmp_path / "m.yaml")
    assert code == 0 and stderr == []
    assert "Vérifier" in (tmp_path / "m.yaml").read_text(encoding="utf-8")


def test_the_refusal_is_located_deep_in_a_large_log(tmp_path):
    rows = "".join(f"{i // 3},step {i % 3},2024-01-01 09:{i % 60:02d}\n" for i in range(150_000))
    data = ("case,activity,timestamp\n" + rows).encode()
    at = len(data) - 5000  # past the first MiB that is decoded at a time
    data = data[:at] + b"\xff" + data[at + 1:]
    (tmp_path / "big.csv").write_bytes(data)
    line = data[:at].count(b"\n") + 1
    with pytest.raises(BlueprintError, match=rf"line {line}, byte {at + 1}: b'\\xff'"):
        discover(tmp_path / "big.csv")


@pytest.mark.parametrize("codec, bom", [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
                                        ("utf-16-be", codecs.BOM_UTF16_BE), ("utf-32-le", codecs.BOM_UTF32_LE)])
def test_a_byte_order_mark_decides_the_encoding(tmp_path, codec, bom):
    plain, marked = tmp_path / "plain.csv", tmp_path / "marked.csv"
    plain.write_text(LOG, encoding="utf-8")
    marked.write_bytes(bom + LOG.encode(codec))
    assert shape(discover(marked)) == shape(discover(plain))
    assert shape(discover(marked, encoding="latin-1")) == shape(discover(plain))  # the mark wins


@pytest.mark.parametrize("ending", ["\r\n", "\r"])  # Windows, and old Macs
def test_every_kind_of_line_ending(tmp_path, ending):
    plain, other = tmp_path / "plain.csv", tmp_path / "other.csv"
    plain.write_text(LOG, encoding="utf-8")
    data = LOG.replace("\n", ending).encode("latin-1")
    other.write_bytes(data)
    assert shape(discover(other, encoding="latin-1")) == shape(discover(plain))
    byte = data.index("é".encode("latin-1")) + 1
    with pytest.raises(BlueprintError, match=f"line 2, byte {byte}: "):  # counted in its own line endings
        discover(other)


def test_an_unknown_encoding_is_named_with_the_ones_to_use(tmp_path):
    (tmp_path / "log.csv").write_text(LOG)
    for name in ("klingon", "rot13"):  # rot13 is a codec, but not a text encoding
        code, stderr = run("discover", tmp_path / "log.csv", "--encoding", name, "-o", tmp_path / "m.yaml")
        assert code == 2 and stderr == [f"unknown encoding '{name}'; name one Python knows, like utf-8, latin-1, "
                                        "cp1252 or utf-16"]


XES = """<?xml version="1.0"{declared}?>
<log xmlns="http://www.xes-standard.org/">
{stray}<trace><string key="concept:name" value="1"/>
  <event><string key="concept:name" value="Réception"/><date key="time:timestamp" value="2024-01-01T09:00:00Z"/></event>
  <event><string key="concept:name" value="Clôturer"/><date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event>
</trace>{stray}
<trace><string key="concept:name" value="2"/>
  <event><string key="concept:name" value="Réception"/><date key="time:timestamp" value="2024-01-01T11:00:00Z"/></event>
  <event><string key="concept:name" value="Clôturer"/><date key="time:timestamp" value="2024-01-01T11:30:00Z"/></event>
</trace>
</log>
"""
STRAY = ('<event><string key="concept:name" value="Lost"/>'
         '<date key="time:timestamp" value="2024-01-01T09:10:00Z"/></event>\n')


def test_an_xes_log_in_latin1(tmp_path):
    bare, declared = tmp_path / "bare.xes", tmp_path / "declared.xes"
    bare.write_bytes(XES.format(declared="", stray="").encode("latin-1"))
    declared.write_bytes(XES.format(declared=' encoding="ISO-8859-1"', stray="").encode("latin-1"))
    code, stderr = run("discover", bare, "-o", tmp_path / "m.yaml")
    assert code == 2 and "not well-formed (invalid token): line 4" in stderr[0] and "--encoding latin-1" in stderr[0]
    assert {s.name for s in discover(bare, encoding="latin-1").steps.values()} >= {"Réception", "Clôturer"}
    assert shape(discover(declared)) == shape(discover(bare, encoding="latin-1"))


# --------------------------------------------------------------------------------------------
# the cap: what is read, decompressed too
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, bytes_", [("64M", 64 << 20), ("1.5G", 3 << 29), ("2048", 2048), ("10 MiB", 10 << 20),
                                          ("0", None), ("none", None)])
def test_sizes_of_the_cap(text, bytes_):
    assert parse_size(text) == bytes_


def test_the_cap_counts_the_decompressed_bytes_of_a_gzip_bomb(tmp_path):
    rows = "".join(f"{i},ask,2024-01-01 09:00\n{i},answer,2024-01-01 09:05\n" for i in range(100_000))
    data = ("case,activity,timestamp\n" + rows).encode()
    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(data))
    assert bomb.stat().st_size < 1_000_000 < len(data)
    code, stderr = run("discover", bomb, "--max-bytes", "1M", "-o", tmp_path / "m.yaml")
    assert code == 2 and stderr == [f"{bomb}: the log holds more than 1 MiB (after gzip decompression), the cap on "
                                    "what is read; raise it with --max-bytes (like --max-bytes 4G, or 0 for no cap; "
                                    "max_bytes= in Python)"]
    assert run("discover", bomb, "--max-bytes", "0", "-o", tmp_path / "m.yaml")[0] == 0


def test_endless_input_stops_at_the_cap(tmp_path):
    with pytest.raises(BlueprintError, match="more than 2 MiB"):
        discover("/dev/zero", max_bytes="2M")
    with pytest.raises(BlueprintError, match="line 1 is longer than 64 MiB"):
        discover("/dev/zero", max_bytes=None)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_pipe_larger_than_the_cap_and_a_pipe_nobody_writes(tmp_path):
    fifo = tmp_path / "log.csv"
    os.mkfifo(fifo)
    with pytest.raises(BlueprintError, match="the log is empty"):  # no writer: read as empty, no waiting
        discover(fifo)
    writer = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # a writer, there before the reader
    done = threading.Event()

    def write():
        rows = memoryview(b"case,activity,timestamp\n")
        while not done.is_set():
            try:
                rows = rows[os.write(writer, rows):] or memoryview(b"1,ask,2024-01-01 09:00\n" * 1000)
            except BlockingIOError:  # the pipe is full: wait for the reader
                done.wait(0.001)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        with pytest.raises(BlueprintError, match="more than 1 MiB"):
            discover(fifo, max_bytes="1M")
    finally:
        done.set()
        thread.join()
        os.close(writer)


# --------------------------------------------------------------------------------------------
# odd logs: one message about the log, once
# --------------------------------------------------------------------------------------------
def test_an_xes_event_outside_any_trace_is_left_out_with_one_warning(tmp_path):
    clean, stray = tmp_path / "clean.xes", tmp_path / "stray.xes"
    clean.write_text(XES.format(declared="", stray=""))
    stray.write_text(XES.format(declared="", stray=STRAY))
    with pytest.warns(UserWarning) as caught:
        model = discover(stray)
    assert [str(w.message) for w in caught] == [
        f"{stray}: 2 event(s) are outside any trace (the first is event 1); XES keeps a case's events in its "
        "trace, so they are left out"]
    assert shape(model) == shape(discover(clean))  # not a case of its own
    code, stderr = run("discover", stray, "-o", tmp_path / "m.yaml")
    assert code == 0 and len(stderr) == 1 and "outside any trace" in stderr[0]


ALL_START = ("case,activity,timestamp,lifecycle:transition\n"
             + "".join(f"{c},{a},2024-01-0{c} 09:{m:02d},start\n" for c in range(1, 6)
                       for a, m in (("ask", 0), ("answer", 10), ("close", 30))))


def test_a_log_whose_lifecycle_is_all_start_is_read_as_single_events(tmp_path):
    path = tmp_path / "starts.csv"
    path.write_text(ALL_START)
    code, stderr = run("discover", path, "-o", tmp_path / "m.yaml")
    assert code == 0 and stderr == [
        f"warning: {path}: in 5 case(s) no activity ever ends (every lifecycle:transition is 'start' or another "
        "that does not end one): their starts are read as single events, so their durations are times between "
        "starts"]
    with pytest.warns(UserWarning, match="no activity ever ends"):
        model = discover(path)
    assert {(f.source, f.target) for f in model.flows} == {("ask", "answer"), ("answer", "close"),
                                                           ("close", "close_end")}
    assert sorted(model.steps["close"].duration.empirical) == [20] * 5


def test_a_log_of_one_event_cases_says_so_once_and_names_the_case_column(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("event_id,activity,timestamp\n" + "".join(
        f"{i},{'ask' if i % 2 else 'answer'},2024-01-01 09:{i:02d}\n" for i in range(40)))
    code, stderr = run("discover", path, "--case", "event_id", "-o", tmp_path / "m.yaml")
    assert code == 0 and stderr == [
        f"warning: {path}: every one of the log's 40 case(s) has a single event, so the log shows no order of "
        "work: the blueprint's steps do not lead to one another; check that the case column ('event_id') names "
        "cases rather than events"]


@pytest.mark.parametrize("path, words", [
    ("/no/such/log.csv", "no such file"),
    (".", "this is a folder"),
    ("log\0.csv", "cannot read this path"),
    ("x" * 300 + ".csv", "cannot read this path"),
])
def test_paths_that_are_not_logs(path, words, tmp_path):
    code, stderr = run("discover", path, "-o", tmp_path / "m.yaml")
    assert code == 2 and words in stderr[0]


# --------------------------------------------------------------------------------------------
# the layer replay will use: the same cases from CSV and XES
# --------------------------------------------------------------------------------------------
@needs_logs
def test_csv_and_xes_of_one_log_stream_the_same_cases():
    def cases(log):
        return {c.case: [(v.activity, v.end, v.resource, v.state) for v in c.visits]
                for c in read_events(log).cases()}

    assert cases(LOGS / "running-example.csv") == cases(LOGS / "running-example.xes")


def test_lifecycle_transitions_make_visits(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("case,activity,timestamp,lifecycle:transition,org:resource\n"
                    "1,fix,2024-01-01 09:00,schedule,\n"
                    "1,fix,2024-01-01 09:10,start,Ann\n"
                    "1,call,2024-01-01 09:20,start,Bob\n"
                    "1,fix,2024-01-01 09:40,complete,\n"
                    "1,call,2024-01-01 09:50,ate_abort,Bob\n"
                    "1,mail,2024-01-01 10:00,withdraw,\n"
                    "1,post,2024-01-01 10:05,start,Cy\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (case,) = read_events(path).cases()
    t0 = 1704099600.0  # 2024-01-01 09:00 UTC
    assert [(v.activity, v.start and v.start - t0, v.end - t0, v.resource, v.state) for v in case.visits] == [
        ("fix", 600.0, 2400.0, "Ann", "complete"),     # started by Ann: the complete is hers
        ("call", 1200.0, 3000.0, "Bob", "stopped"),    # aborted after it started
        ("mail", None, 3600.0, None, "stopped"),       # withdrawn before it started
        ("post", 3900.0, 3900.0, "Cy", "open"),        # started and never ended: still open
    ]
    assert case.outcome is None  # the log does not say how the case ended


@pytest.mark.parametrize("column, value, outcome", [
    ("case:outcome", "failure", "failure"), ("case:outcome", "Abandoned", "abandoned"),
    ("case:outcome", "success", "success"), ("case:outcome", "open", "open"),
    ("outcome", "failure", "failure"),  # the rows of an outcome step, as blueprint's older logs have
])
def test_how_a_case_ended_is_read_from_the_log(tmp_path, column, value, outcome):
    path = tmp_path / "log.csv"
    path.write_text(f"case,activity,timestamp,{column}\n1,ask,2024-01-01 09:00,\n1,lost,2024-01-01 09:05,{value}\n")
    (case,) = read_events(path).cases()
    assert case.outcome == outcome


def test_case_outcomes_in_other_words_are_said_once(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("case,activity,timestamp,case:outcome\n" + "".join(
        f"{c},ask,2024-01-01 09:00,{word}\n{c},answer,2024-01-01 09:05,{word}\n"
        for c, word in enumerate(["approved", "rejected", "approved", "success"])))
    with pytest.warns(UserWarning) as caught:
        cases = list(read_events(path).cases())
    assert [c.outcome for c in cases] == [None, None, None, "success"]
    assert [str(w.message) for w in caught] == [
        f"{path}: case outcome 'approved', 'rejected' is none of success, failure, abandoned or open: those cases "
        "are read as if the log did not say how they ended (in success)"]
