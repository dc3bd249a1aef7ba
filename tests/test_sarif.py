"""`blueprint check --format sarif` writes logs that the published SARIF 2.1.0 JSON Schema accepts
(tests/data/sarif-schema-2.1.0.json), on files with findings, without findings, several at once,
and with a file that does not load (reported in the log's invocation, not as a result)."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from blueprint.cli import EXIT_BAD_INPUT, EXIT_FINDINGS, EXIT_OK, cli

from .conftest import EXAMPLES, FIXTURES

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
VALIDATOR = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
FIRES = str(EXAMPLES / "damaged_fires.yaml")
MINIMAL = str(FIXTURES / "valid" / "minimal.yaml")
EVERY_FEATURE = str(FIXTURES / "valid" / "every_feature.yaml")
BROKEN = str(FIXTURES / "invalid" / "unknown_owner.yaml")


def sarif(*files):
    result = CliRunner().invoke(cli, ["check", *files, "--format", "sarif", "--fail-on", "never"])
    return result.exit_code, json.loads(result.stdout) if result.stdout else None, result.stderr


def schema_errors(log) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(log)]


def test_the_schema_catches_what_sarif_forbids():
    # the validator is not a yes-man: a wrong level, a missing driver name, an unknown key
    assert schema_errors({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})
    assert schema_errors({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                                        "results": [{"message": {"text": "m"}, "level": "loud"}]}]})
    assert schema_errors({"version": "2.1.0", "runs": [], "colour": "red"})
    assert not schema_errors({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}}]})


@pytest.mark.parametrize("files", [
    [FIRES],                                     # findings of every severity
    [MINIMAL],                                   # one finding
    [EVERY_FEATURE],                             # every key of the format
    [FIRES, MINIMAL, EVERY_FEATURE],             # one run holding the results of several files
    *[[str(p)] for p in sorted((EXAMPLES).glob("*.yaml"))][:6],
], ids=lambda files: "+".join(Path(f).name for f in files))
def test_check_sarif_output_is_valid_sarif_2_1_0(files):
    code, log, _ = sarif(*files)
    assert code == EXIT_OK
    assert schema_errors(log) == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_every_finding_is_a_result_with_its_rule_level_file_and_line():
    code, log, _ = sarif(FIRES)
    run = log["runs"][0]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    doc = json.loads(CliRunner().invoke(cli, ["check", FIRES, "--format", "json"]).stdout)
    assert len(run["results"]) == len(doc["findings"]) > 0
    for result, finding in zip(run["results"], doc["findings"]):
        assert rules[result["ruleIndex"]] == result["ruleId"] == finding["rule"]
        assert result["level"] == {"error": "error", "warning": "warning", "info": "note"}[finding["severity"]]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == FIRES
        assert location["region"]["startLine"] >= 1


def test_a_file_that_does_not_load_is_a_notification_of_a_failed_invocation():
    result = CliRunner().invoke(cli, ["check", FIRES, BROKEN, "--format", "sarif", "--fail-on", "never"])
    assert result.exit_code == EXIT_BAD_INPUT
    log = json.loads(result.stdout)
    assert schema_errors(log) == []
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == BROKEN
    assert "unknown_owner.yaml" in result.stderr and note["message"]["text"] in result.stderr
    # the file that loaded still has its results
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {FIRES}


def test_one_file_that_does_not_load_is_bad_input_with_no_log():
    code, log, err = sarif(BROKEN)
    assert code == EXIT_BAD_INPUT and log is None and "unknown_owner.yaml" in err


def test_findings_still_fail_the_check_in_sarif():
    result = CliRunner().invoke(cli, ["check", FIRES, "--format", "sarif"])
    assert result.exit_code == EXIT_FINDINGS
    assert schema_errors(json.loads(result.stdout)) == []
