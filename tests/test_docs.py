"""The documentation builds: the generated pages are written from the code and real runs, and
`mkdocs build --strict` passes (no broken link, no missing page, no docstring mkdocstrings
cannot read)."""
import importlib.util
import os
import subprocess
import sys

import pytest

from .conftest import ROOT

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")
pytest.importorskip("material")

GENERATED = ["tutorial.md", "stories.md", "reference/format.md", "reference/cli.md", "reference/rules.md"]


def generator():
    spec = importlib.util.spec_from_file_location("blueprint_docs_generate", ROOT / "docs" / "gen" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_model_key_has_a_row_with_its_example_in_the_format_reference():
    gen = generator()
    page = gen.format_reference()
    for _, cls, _, _ in gen.FORMAT_SECTIONS:
        for name, field in cls.model_fields.items():
            assert f"| `{field.alias or name}` |" in page, f"{cls.__name__}.{name} is not in the format reference"


def test_every_command_and_rule_is_in_the_reference():
    from blueprint.cli import cli
    from blueprint.rules import RULES

    gen = generator()
    cli_page, rules_page = gen.cli_reference(), gen.rules_reference()
    assert all(f"## blueprint {name}" in cli_page for name in cli.commands)
    assert all(f"## {rule}" in rules_page for rule in RULES)


def test_mkdocs_builds_strict_with_the_generated_pages(tmp_path):
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                           "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr
    for page in GENERATED:
        text = (ROOT / "docs" / page).read_text()
        assert "Traceback" not in text
    tutorial = (tmp_path / "site" / "tutorial" / "index.html").read_text()
    assert "What if steps.refer.name" in tutorial      # the what-if really ran
    assert (tmp_path / "site" / "tutorial" / "fires_3.svg").exists()
    assert (tmp_path / "site" / "reference" / "api" / "index.html").read_text().count('class="doc doc-heading"') > 10
