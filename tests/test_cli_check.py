"""The command line of the foundation: check, schema, convert; exit codes and machine output."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import blueprint as bp
from blueprint.cli import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, cli

from .conftest import EXAMPLES, FIXTURES

MINIMAL = str(FIXTURES / "valid" / "minimal.yaml")
FIRES = str(EXAMPLES / "damaged_fires.yaml")
INFO_ONLY = """\
teams: {desk: {name: Desk}}
steps:
  ask: {lane: customer, channel: phone}
  answer: {lane: frontstage, owner: desk}
  yes: {outcome: success}
  no: {outcome: success}
flows: [[ask, answer], [answer, yes], [answer, no]]
"""


def run(*args):
    result = CliRunner().invoke(cli, list(map(str, args)))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fail_on,expected", [
    ("error", EXIT_OK), ("warning", EXIT_OK), ("info", EXIT_FINDINGS), ("never", EXIT_OK),
])
def test_fail_on_sets_the_exit_code(tmp_file, fail_on, expected):
    code, out, _ = run("check", tmp_file("info.yaml", INFO_ONLY), "--fail-on", fail_on)
    assert code == expected
    assert "[unweighted-branch]" in out


def test_findings_at_error_exit_1_and_clean_file_exits_0(tmp_file):
    assert run("check", FIRES)[0] == EXIT_FINDINGS
    # the minimal blueprint brings its one member of staff 5 minutes of work a minute (no arrivals:
    # one a minute): overloaded; at 6 cases an hour it is clean
    assert run("check", MINIMAL)[0] == EXIT_FINDINGS
    clean = tmp_file("clean.yaml", Path(MINIMAL).read_text() + "arrivals: {rate: 6/hour}\n")
    assert run("check", str(clean))[0] == EXIT_OK


def test_text_output_names_file_line_and_rule():
    code, out, _ = run("check", FIRES)
    line = next(x for x in out.splitlines() if "[incapable-handoff]" in x)
    assert line.startswith(f"{FIRES}:")
    position = int(line.split(":")[1])
    assert "social_reply:" in Path(FIRES).read_text().splitlines()[position - 1]


def test_json_is_one_document_on_stdout():
    code, out, err = run("check", FIRES, "--format", "json")
    doc = json.loads(out)
    assert doc["file"] == FIRES
    assert doc["summary"]["error"] == sum(f["severity"] == "error" for f in doc["findings"])
    assert set(doc["findings"][0]) >= {"rule", "severity", "message", "steps", "flows"}


def test_several_files_give_a_list():
    code, out, _ = run("check", FIRES, MINIMAL, "--format", "json")
    assert [d["file"] for d in json.loads(out)] == [FIRES, MINIMAL]


def test_one_bad_file_among_several_exits_2_but_reports_the_others(tmp_file):
    bad = tmp_file("bad.yaml", "steps: {a: {lane: nowhere}}")
    code, out, err = run("check", MINIMAL, bad, "--format", "json")
    assert code == EXIT_BAD_INPUT
    assert [d["file"] for d in json.loads(out)] == [MINIMAL]
    assert "nowhere" in err


@pytest.mark.parametrize("file_checks,cli_rule,expected", [
    ("", None, "info"),                                    # the rule's default
    ("checks: {unweighted-branch: warning}", None, "warning"),  # the file overrides the default
    ("checks: {unweighted-branch: warning}", "unweighted-branch=error", "error"),  # --rule overrides the file
    ("checks: {unweighted-branch: off}", None, None),
    ("", "unweighted-branch=off", None),
])
def test_rule_levels_default_then_file_then_command_line(tmp_file, file_checks, cli_rule, expected):
    path = tmp_file("levels.yaml", INFO_ONLY + file_checks + "\n")
    args = ["check", path, "--format", "json", "--fail-on", "never"] + (["--rule", cli_rule] if cli_rule else [])
    doc = json.loads(run(*args)[1])
    levels = {f["severity"] for f in doc["findings"] if f["rule"] == "unweighted-branch"}
    assert levels == ({expected} if expected else set())


@pytest.mark.parametrize("rule,words", [("dead-ends=off", "did you mean 'dead-end'"),
                                        ("dead-end=loud", "not a level"), ("dead-end", "RULE=LEVEL")])
def test_bad_rule_option_is_bad_input(rule, words):
    code, out, err = run("check", MINIMAL, "--rule", rule)
    assert code == EXIT_BAD_INPUT and words in err and out == ""


def test_sarif_has_rules_levels_and_lines():
    code, out, _ = run("check", FIRES, "--format", "sarif")
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    run_ = log["runs"][0]
    ids = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert "dead-end" in ids
    result = next(r for r in run_["results"] if r["ruleId"] == "incapable-handoff")
    assert result["level"] == "error"
    assert ids[result["ruleIndex"]] == "incapable-handoff"
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == FIRES
    assert location["region"]["startLine"] > 1


def test_schema_prints_and_writes_the_same(tmp_path):
    code, out, _ = run("schema")
    assert code == 0 and json.loads(out)["$defs"]["Step"]["additionalProperties"] is False
    target = tmp_path / "schema.json"
    assert run("schema", "-o", target)[0] == 0
    assert json.loads(target.read_text()) == json.loads(out)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_convert_round_trip_keeps_model_and_findings(tmp_path, suffix):
    target = tmp_path / f"fires{suffix}"
    assert run("convert", FIRES, "-o", target)[0] == 0
    assert bp.load(target) == bp.load(FIRES)
    assert [f.to_json() for f in bp.check(bp.load(target))] == [f.to_json() for f in bp.check(bp.load(FIRES))]


def test_convert_failure_leaves_the_old_file(tmp_path, tmp_file):
    target = tmp_path / "out.json"
    target.write_text("precious")
    code, _, err = run("convert", tmp_file("bad.yaml", "steps: {a: {lane: x}}"), "-o", target)
    assert code == EXIT_BAD_INPUT and target.read_text() == "precious"
    code, _, err = run("convert", MINIMAL, "-o", tmp_path / "out.txt")
    assert code == EXIT_BAD_INPUT and "extension" in err
    assert not list(tmp_path.glob(".*.tmp"))


def test_installed_command_never_prints_a_traceback(tmp_file):
    bad = tmp_file("bad.yaml", b"\xff\xfe\x00junk")
    proc = subprocess.run([sys.executable, "-m", "blueprint", "check", str(bad)], capture_output=True, text=True)
    assert proc.returncode == EXIT_BAD_INPUT
    assert "Traceback" not in proc.stderr and "bad.yaml" in proc.stderr
