"""Security: user text never becomes markup in a drawing; -o never replaces what is not a file;
--set is read with the file's guards; what is read is capped; a killed write leaves nothing."""
import html.parser
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

import blueprint as bp
from blueprint.writing import dumps

HAS_DOT = shutil.which("dot") is not None
ENGINES = [pytest.param("system", marks=pytest.mark.skipif(not HAS_DOT, reason="no system Graphviz (dot)")),
           "embedded"]

#: Text that a Graphviz HTML-like label, an SVG or an HTML page would take for markup.
HOSTILE = [
    '<<table><tr><td href="javascript:alert(document.domain)">Click</td></tr></table>>',
    '<<a href="javascript:alert(1)">x</a>>',
    "<b>x</b>",
    '"><a xlink:href="javascript:alert(2)">y</a><"',
    "</text><script>alert(3)</script>",
    "a\\\"b\\",  # a backslash before a quote, and one at the end
    "%%{init: {'securityLevel': 'loose'}}%%",
]


def hostile_blueprint(text: str) -> bp.Blueprint:
    """A blueprint with `text` in every free-text field the drawings show."""
    data = {
        "name": text, "description": text,
        "lanes": ["customer", "frontstage", text], "stages": [text, "Later"],
        "teams": {"desk": {"name": text, "systems": [text]}, "lab": {"name": "Lab", "systems": ["erp"]}},
        "steps": {
            "ask": {"name": text, "description": text, "lane": "customer", "stage": text, "channel": text,
                    "evidence": text, "fail_point": text, "moment": text},
            "answer": {"name": text, "lane": "frontstage", "owner": "desk", "stage": text, "needs": [text],
                       "fail_point": text},
            "fix": {"name": text, "lane": text, "owner": "lab", "stage": "Later"},
            "done": {"name": text, "outcome": "success"},
            "lost": {"name": text, "outcome": "failure"},
        },
        "flows": [{"from": "ask", "to": "answer", "label": text}, {"from": "answer", "to": "fix", "p": 0.5},
                  {"from": "answer", "to": "lost", "p": 0.5, "label": text}, ["fix", "done"]],
        "start": "ask",
    }
    return bp.Blueprint.model_validate(data)


def _svg_links(svg: str) -> list[str]:
    """Every link an SVG document carries: href attributes and event handlers."""
    root = ET.fromstring(svg)
    return [f"{el.tag} {k}={v}" for el in root.iter() for k, v in el.attrib.items()
            if k.endswith("href") or k.lower().startswith("on")]


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k.endswith("href") or k.startswith("on") or tag == "script":
                self.found.append(f"{tag} {k}={v}")


def _html_links(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.found


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_every_field_is_drawn_as_text_never_as_a_link(text, engine):
    model = hostile_blueprint(text)
    svg = bp.render(model, "svg", engine=engine)
    assert _svg_links(svg) == []
    texts = " ".join(t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"))
    assert text[:10].replace("\\", "\u29f5") in texts  # drawn, as the user wrote it
    page = bp.render(model, "html", engine=engine)
    assert _html_links(page) == []
    assert "<script" not in page.lower()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("text", HOSTILE)
def test_the_dot_source_draws_without_links_in_either_graphviz(text, engine):
    from blueprint.drawing.engines import run_graphviz

    source = bp.render(hostile_blueprint(text), "dot", engine=engine)
    svg = run_graphviz(source, "svg", engine=engine, layout="nop2").decode()
    assert _svg_links(svg) == []


@pytest.mark.parametrize("text", HOSTILE)
def test_mermaid_writes_user_text_as_entities(text):
    out = bp.render(hostile_blueprint(text), "mermaid")
    user_lines = out.replace("<br/>", "").replace("<i>", "").replace("</i>", "")
    assert "<" not in user_lines and ">" not in user_lines.replace("-->", "").replace("-.->", "")
    assert "%%{" not in out


@pytest.mark.parametrize("engine", ENGINES)
def test_a_step_named_like_markup_draws(engine):
    model = bp.loads("steps: {ask: {name: '<b>x</b>', lane: customer}, done: {outcome: success}}\n"
                     "flows: [[ask, done]]")
    root = ET.fromstring(bp.render(model, "svg", engine=engine))
    assert "<b>x</b>" in [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


@pytest.mark.parametrize("engine", ENGINES)
def test_bpmn_participant_and_lane_names_are_drawn_as_text(tmp_path, engine):
    text = HOSTILE[0]
    source = dumps(bp.loads(EXAMPLE := "steps: {ask: {name: Asks, lane: customer}, "
                                        "work: {name: Works, lane: backstage, owner: desk}, "
                                        "done: {outcome: success}}\nteams: {desk: {name: Desk}}\n"
                                        "flows: [[ask, work], [work, done]]"), "bpmn")
    assert EXAMPLE
    root = ET.fromstring(source)
    named = 0
    for el in root.iter():
        if el.get("name") is not None and re.search(r"(participant|lane|task|process)$", el.tag, re.I):
            el.set("name", text)
            named += 1
    assert named >= 3
    path = tmp_path / "hostile.bpmn"
    path.write_bytes(ET.tostring(root))
    model = bp.load(path)
    assert text in yaml.safe_dump(model.to_data(), width=10**6)
    assert _svg_links(bp.render(model, "svg", engine=engine)) == []
    assert _html_links(bp.render(model, "html", engine=engine)) == []


# --- -o never replaces what is not a regular file -----------------------------------------------
import os  # noqa: E402
import signal  # noqa: E402
import stat  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402

from click.testing import CliRunner  # noqa: E402

from blueprint.cli import cli  # noqa: E402
from blueprint.files import read_bytes, write_atomic  # noqa: E402

from .conftest import EXAMPLES  # noqa: E402

FIRES = str(EXAMPLES / "damaged_fires.yaml")
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="making device nodes needs root")


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


@pytest.mark.parametrize("command", [["schema", "-o"], ["render", FIRES, "--format", "svg", "-o"],
                                     ["convert", FIRES, "-o"]])
def test_output_onto_a_symlink_is_refused_and_both_ends_stay(tmp_path, command):
    target = tmp_path / "kept.yaml"
    target.write_text("precious")
    link = tmp_path / "out.yaml"
    link.symlink_to(target)
    result = CliRunner().invoke(cli, command + [str(link)])
    assert result.exit_code == 2
    assert "symbolic link" in result.output and "Traceback" not in result.output
    assert link.is_symlink() and target.read_text() == "precious"
    assert _leftovers(tmp_path) == []


def test_output_onto_a_fifo_is_written_through_to_its_reader(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    try:
        result = CliRunner().invoke(cli, ["schema", "-o", str(fifo)])
    finally:
        reader.join(10)
    assert result.exit_code == 0, result.output
    assert got and got[0].startswith(b"{") and stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_output_onto_a_fifo_nobody_reads_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "blueprint", "schema", "-o", str(fifo)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "nothing reads from" in done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@ROOT_ONLY
def test_output_onto_a_device_node_writes_through_a_char_device_and_refuses_a_block_one(tmp_path):
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
    block = tmp_path / "disk"
    os.mknod(block, stat.S_IFBLK | 0o600, os.makedev(7, 0))  # a loop device: never opened
    result = CliRunner().invoke(cli, ["render", FIRES, "--format", "svg", "-o", str(null)])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    result = CliRunner().invoke(cli, ["schema", "-o", str(block)])
    assert result.exit_code == 2 and "block device" in result.output
    assert stat.S_ISBLK(os.lstat(block).st_mode)
    assert _leftovers(tmp_path) == []


def test_the_system_dev_null_stays_a_device():
    write_atomic("/dev/null", "nothing")
    result = CliRunner().invoke(cli, ["render", FIRES, "--format", "svg", "-o", "/dev/null"])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_dev_stdout_is_the_open_stream_and_never_replaced(tmp_path):
    out = tmp_path / "captured.json"
    with open(out, "wb") as handle:
        handle.write(b"first line\n")
        handle.flush()
        done = subprocess.run([sys.executable, "-m", "blueprint", "schema", "-o", "/dev/stdout"], stdout=handle,
                              stderr=subprocess.PIPE, timeout=60)
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.startswith("first line\n{")  # written at the stream's place, not over the file
    assert os.path.islink("/dev/stdout") or stat.S_ISCHR(os.stat("/dev/stdout").st_mode)


@pytest.mark.parametrize("make, words", [
    (lambda p: p.mkdir(), "it is a folder"),
    (lambda p: p.parent.joinpath("nothing").symlink_to(p.parent / "loop") or p.symlink_to(p.parent / "nothing"),
     "symbolic link"),
])
def test_output_onto_a_folder_or_a_dangling_link_is_refused(tmp_path, make, words):
    out = tmp_path / "out.json"
    make(out)
    with pytest.raises(bp.BlueprintError, match=words):
        write_atomic(out, "x")


# --- what is read is capped, whatever it comes from -----------------------------------------------
def test_a_pipe_larger_than_the_cap_is_refused_once_the_cap_is_passed(monkeypatch):
    monkeypatch.setattr("blueprint.files.MAX_BYTES", 1 << 20)
    read_end, write_end = os.pipe()

    def feed():
        try:
            with os.fdopen(write_end, "wb") as pipe:
                for _ in range(64):  # 4 MiB, four times the cap
                    pipe.write(b"# " + b"x" * 65534)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        with pytest.raises(bp.BlueprintError, match="more than 1 MiB"):
            bp.load(f"/dev/fd/{read_end}")
    finally:
        os.close(read_end)
        writer.join(10)


def test_dev_zero_is_refused_at_the_cap_not_read_for_ever():
    with pytest.raises(bp.BlueprintError, match="more than 64 MiB"):
        bp.load("/dev/zero")


def test_stdin_larger_than_the_cap_is_refused(tmp_path):
    code = ("import blueprint.files as f; f.MAX_BYTES = 100_000; from blueprint.cli import main; "
            "main(['check', '/dev/stdin'])")
    done = subprocess.run([sys.executable, "-c", code], input=b"# padding\n" * 50_000, capture_output=True,
                          timeout=60)
    assert done.returncode == 2 and b"more than 100,000 bytes" in done.stderr


def test_a_fifo_with_no_writer_is_refused_instead_of_blocking(tmp_path):
    fifo = tmp_path / "in.yaml"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "blueprint", "check", str(fifo)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "nothing was written to this pipe" in done.stderr


def test_a_blueprint_can_be_piped_in(tmp_path):
    done = subprocess.run([sys.executable, "-m", "blueprint", "check", "/dev/stdin", "--format", "json"],
                          input=Path(FIRES).read_bytes(), capture_output=True, timeout=60)
    assert done.returncode == 1 and b'"no-resolution"' in done.stdout


def test_readable_file_lets_through_regular_files_only(tmp_path):
    from blueprint.files import readable_file

    fifo = tmp_path / "x.bpmn"
    os.mkfifo(fifo)
    with pytest.raises(bp.BlueprintError, match="pipe"):
        readable_file(fifo, "a .bpmn file")
    assert read_bytes(FIRES) == Path(FIRES).read_bytes()


# --- --set values are read with the file's guards ------------------------------------------------
BOMB = ("{a: &a [x, x, x, x, x, x, x, x, x, x], b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a], "
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b], d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c], "
        "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]}")


@pytest.mark.parametrize("value, words", [
    (BOMB, "alias"), ("[" * 5000 + "]" * 5000, "nested"), ("9" * 5000, "digits"), ("{a: 1, a: 2}", "twice"),
])
def test_set_values_are_refused_like_files(value, words):
    result = CliRunner().invoke(cli, ["whatif", FIRES, "--set", f"checks={value}", "--cases", "10"])
    assert result.exit_code == 2, result.output
    assert words in result.output and "--set" in result.output and "Traceback" not in result.output


# --- a killed write leaves nothing behind ---------------------------------------------------------
KILLED_WRITE = """
import os, signal, sys
from blueprint.files import write_atomic
sig = getattr(signal, sys.argv[2])
real_fsync = os.fsync
def fsync(fd):
    os.kill(os.getpid(), sig)  # arrives in the middle of the write, like a plain `kill`
    real_fsync(fd)
os.fsync = fsync
write_atomic(sys.argv[1], "new " * 1_000_000)
print("not reached")
"""


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_a_kill_during_a_write_removes_the_temporary_file_and_keeps_the_target(tmp_path, sig):
    target = tmp_path / "events.csv"
    target.write_text("old")
    done = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(target), sig], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == -getattr(signal, sig), done.stderr  # it still dies of the signal
    assert "not reached" not in done.stdout
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


# --- paths that cannot name a file --------------------------------------------------------------
@pytest.mark.parametrize("name, words", [("bad\0name.yaml", "NUL byte"), ("x" * 300 + ".yaml", "too long")])
def test_paths_that_cannot_be_files_are_refused_everywhere(tmp_path, name, words):
    path = str(tmp_path / name)
    for args in (["check", path], ["stats", path], ["render", path, "-o", str(tmp_path / "o.svg")],
                 ["render", FIRES, "-o", path[:-5] + ".svg"], ["convert", FIRES, "-o", path],
                 ["schema", "-o", path]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output and "Traceback" not in result.output, (args, result.output)
    with pytest.raises(bp.BlueprintError, match=words):
        bp.load(path)
