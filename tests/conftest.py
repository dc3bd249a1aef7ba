"""Shared paths for the tests: the project's examples and the contract's fixtures beside it."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
EXAMPLES = ROOT / "examples"


@pytest.fixture
def tmp_file(tmp_path):
    """Write text (or bytes) to a file in a temporary folder and give its path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    return write
