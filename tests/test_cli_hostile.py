"""Hostile command lines: each gets one message on stderr and exit 2, never a traceback."""
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import cli

from .conftest import EXAMPLES

FIRES = str(EXAMPLES / "damaged_fires.yaml")
JACKSON = str(EXAMPLES / "jackson_network.yaml")
LIVELOCK = """
steps:
  ask: {lane: customer, channel: phone}
  b: {lane: frontstage, owner: desk}
  c: {lane: frontstage, owner: desk}
  done: {outcome: success}
teams: {desk: {staff: 1}}
flows: [[ask, b, 0.5], [ask, done, 0.5], [b, c], [c, b]]
"""


@pytest.mark.parametrize("args, words", [
    (["whatif", FIRES, "--set", "flows[0]=junk"], "a flow is [FROM, TO]"),
    (["whatif", FIRES, "--set", "flows[0]={to: x}"], "a flow is [FROM, TO]"),
    (["whatif", FIRES, "--set", "flows[0]=[order, nowhere]"], "no step 'nowhere'"),
    (["whatif", FIRES, "--set", "teams.store.staff=lots"], "expected a whole number of people"),
    (["explore", JACKSON, "--vary", "teams.triage.staff=.nan..3", "--require", "time_in_system.mean < 20"],
     "'nan' is not a number"),
    (["explore", JACKSON, "--vary", "teams.triage.staff=1...inf", "--require", "time_in_system.mean < 20"],
     "is not a number"),
    (["explore", JACKSON, "--vary", "teams.triage.staff=1..3", "--require", "time_in_system.mean < 20",
      "--scheduler", "not an address"], "not a scheduler address"),
    (["simulate", JACKSON, "--cases", "10", "--scheduler", "::::"], "not a scheduler address"),
])
def test_hostile_options_are_one_message_and_exit_2(args, words):
    result = CliRunner().invoke(cli, args + (["--cases", "10"] if args[0] == "whatif" else []))
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "Traceback" not in result.output and "pydantic" not in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("args", [["schema"], ["check", FIRES, "--format", "json"], ["stats", FIRES]])
def test_stdout_on_a_full_device_is_a_message_not_a_traceback(args):
    with open("/dev/full", "wb") as full:
        done = subprocess.run([sys.executable, "-m", "blueprint", *args], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert done.returncode == 2
    assert "No space left on device" in done.stderr and "Traceback" not in done.stderr


def test_a_reader_that_stops_early_gets_no_traceback():
    big = [sys.executable, "-m", "blueprint", "schema"]
    pipe = subprocess.Popen(big, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pipe.stdout.read(10)
    pipe.stdout.close()
    _, err = pipe.communicate(timeout=60)
    assert b"Traceback" not in err


def test_render_html_of_a_livelock_shows_the_loop_without_end(tmp_path):
    source = tmp_path / "loop.yaml"
    source.write_text(LIVELOCK)
    out = tmp_path / "loop.html"
    result = CliRunner().invoke(cli, ["render", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "without end" in page and "Figures without an answer" in page


def test_render_with_heat_of_a_livelock_draws_the_endless_visits(tmp_path):
    model = bp.loads(LIVELOCK)
    svg = bp.render(model, "svg", heat={"expected_visits": {"ask": 1, "b": None, "c": None, "done": 0.5}},
                    engine="embedded")
    texts = [t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert "∞ visits per case" in texts


def test_render_says_on_stderr_what_it_wrote_where(tmp_path):
    out = tmp_path / "fires.svg"
    result = CliRunner().invoke(cli, ["render", FIRES, "-o", str(out)])
    assert result.exit_code == 0
    assert f"wrote {out}: {FIRES} drawn as svg" in result.output
    done = subprocess.run([sys.executable, "-m", "blueprint", "render", FIRES, "-o", str(out)], capture_output=True,
                          text=True, timeout=120)
    assert done.stdout == "" and f"wrote {out}" in done.stderr
