"""Guide section "Testing async code": the docs' fixture and test, run by pytest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.live.async_guide.blocks import TESTING, docs_block

MODELS = """
from runic.ogm import Field, Node


class User(Node):
    id: str = Field(primary_key=True)
    name: str
    email: str
"""


def test_the_docs_fixture_and_test_pass_under_pytest(tmp_path: Path) -> None:
    """docs/async.rst's conftest.py and test file, written out and run by pytest as a user
    would."""
    block = docs_block(TESTING)
    conftest, test_file = block.split("# test_myfeature.py\n")
    (tmp_path / "conftest.py").write_text(conftest)
    (tmp_path / "test_myfeature.py").write_text(test_file)
    (tmp_path / "myapp").mkdir()
    (tmp_path / "myapp" / "__init__.py").write_text("")
    (tmp_path / "myapp" / "models.py").write_text(MODELS)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=strict",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
