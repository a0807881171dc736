"""Guide section "Testing async code": the fixture and test exactly as the guide shows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import pytest_asyncio
from redislite import FalkorDB

from runic.ogm.driver.falkordb import AsyncFalkorDBDriver
from tests.docs_blocks import block_containing
from tests.models import User


@pytest_asyncio.fixture
async def async_driver():  # type: ignore[no-untyped-def]
    db = FalkorDB(protocol=2)
    graph = db.select_graph("test_async")
    driver = AsyncFalkorDBDriver(graph)
    yield driver
    await driver.close()
    graph.delete()
    db.close()


@pytest.mark.asyncio
async def test_create_user(async_driver):  # type: ignore[no-untyped-def]
    from runic.ogm import AsyncSession

    async with AsyncSession(async_driver) as session:
        session.add(User(id="u1", name="Alice", email="a@example.com"))
        await session.commit()

        user = await session.get(User, "u1")
        assert user is not None


MODELS = """
from runic.ogm import Field, Node


class User(Node):
    id: str = Field(primary_key=True)
    name: str
    email: str
"""


def test_the_docs_fixture_and_test_pass_under_pytest(tmp_path: Path) -> None:
    """docs/async.rst's two files, written out and run by pytest as a user would."""
    for name in ("conftest.py", "test_myfeature.py"):
        (tmp_path / name).write_text(block_containing("async.rst", f"# {name}"))
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
