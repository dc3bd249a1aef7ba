"""Commands whose cost grows much faster than the blueprint stop before they start, with a message
that names the file, the limit and the option that lifts it (issue 14: bounded time and memory)."""
import pytest
from click.testing import CliRunner

from blueprint.cli import cli


def _chain(steps: int, flows_per_step: int = 1) -> str:
    """A journey of `steps` customer steps, each with `flows_per_step` flows onwards."""
    names = [f"s{i}" for i in range(steps)]
    lines = ["steps:"] + [f"  {n}: {{lane: customer}}" for n in names] + ["  done: {outcome: success}", "flows:"]
    for i, n in enumerate(names):
        targets = (names[i + 1:] + ["done"])[:flows_per_step]
        lines += [f"  - [{n}, {t}]" for t in targets]
    return "\n".join(lines) + "\nstart: s0\n"


@pytest.mark.parametrize("command, size, flows, limit, option", [
    ("render", 60, 1, "50", "--max-steps 61"),        # more steps than the limit
    ("render", 30, 5, "50", "--max-steps 70"),        # fewer steps, but more than twice as many flows (140)
    ("convert", 60, 1, "50", "--max-steps 61"),
])
def test_a_blueprint_over_the_limit_is_refused_naming_the_file_and_the_option(tmp_path, command, size, flows,
                                                                              limit, option):
    source = tmp_path / "big.yaml"
    source.write_text(_chain(size, flows))
    out = tmp_path / ("big.svg" if command == "render" else "big.bpmn")
    result = CliRunner().invoke(cli, [command, str(source), "-o", str(out), "--max-steps", limit])
    assert result.exit_code == 2, result.output
    assert str(source) in result.stderr and option in result.stderr and "Traceback" not in result.output
    assert not out.exists()


@pytest.mark.parametrize("command, suffix, limit", [
    ("render", "svg", "61"),
    ("convert", "bpmn", "61"),
    ("render", "mmd", "50"),      # a Mermaid drawing has no limit: Graphviz does not lay it out
])
def test_the_option_lifts_the_limit_and_mermaid_has_none(tmp_path, command, suffix, limit):
    source = tmp_path / "big.yaml"
    source.write_text(_chain(60))
    out = tmp_path / f"big.{suffix}"
    result = CliRunner().invoke(cli, [command, str(source), "-o", str(out), "--max-steps", limit])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
