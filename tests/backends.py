"""The live backends the backend-neutral tests run on, started by the suite itself.

``RUNIC_BACKENDS`` picks them (comma-separated; default: all of ``falkordb``,
``arcadedb`` and ``age``). A backend whose server cannot start here is skipped with the
reason, which pytest's summary prints (``-ra``).

Each backend runs the neutral tests twice: through a :class:`~runic.ogm.Session` on its
sync driver, and through an :class:`~runic.ogm.AsyncSession` on its async driver
(``backend.session()`` gives the one the run is for; the async one is driven from the
sync test code by :class:`BlockingSession`, on an event loop of the test's own).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ALL_BACKENDS = ("falkordb", "arcadedb", "age")
ARCADEDB_PASSWORD = "runic-test-password"
ARCADEDB_DATABASE = "runic"
#: A database left at ArcadeDB's default isolation, for tests/live/test_arcadedb_facts.py;
#: every other one runs at REPEATABLE_READ (see tests/servers/arcadedb_server.py).
ARCADEDB_READ_COMMITTED_DATABASE = "runic_read_committed"
AGE_GRAPH = "runic_tests"
SERVER_START_TIMEOUT = 240.0


def selected_backends() -> list[str]:
    chosen = [name.strip() for name in os.environ.get("RUNIC_BACKENDS", "").split(",")]
    chosen = [name for name in chosen if name] or list(ALL_BACKENDS)
    unknown = sorted(set(chosen) - set(ALL_BACKENDS))
    if unknown:
        raise ValueError(f"RUNIC_BACKENDS: unknown {unknown}; choose from {ALL_BACKENDS}")
    return chosen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


MODES = ("sync", "async")


class LoopThread:
    """An event loop running on a thread of its own, for sync code to run coroutines on."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run[T](self, coroutine: Any, timeout: float = 300.0) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)
        self.loop.close()


class BlockingSession:
    """An :class:`~runic.ogm.AsyncSession` (or an async builder of one) used from sync
    code: every coroutine a method returns is run to its end on the loop thread, so the
    neutral tests' assertions run unchanged through the async session and driver."""

    def __init__(self, target: Any, loop: LoopThread) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._settle(value(*args, **kwargs))

        return call

    def _settle(self, result: Any) -> Any:
        from runic.ogm.session.query import AsyncQuery, AsyncSearchQuery

        if inspect.iscoroutine(result):
            return self._loop.run(result)
        if isinstance(result, (AsyncQuery, AsyncSearchQuery)):
            return BlockingSession(result, self._loop)
        if hasattr(result, "__aenter__"):  # session.begin()
            return BlockingContext(result, self._loop)
        return result

    def __enter__(self) -> BlockingSession:
        self._loop.run(self._target.__aenter__())
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._loop.run(self._target.__aexit__(*exc_info))


class BlockingContext:
    """An async context manager (``session.begin()``) used with ``with``."""

    def __init__(self, manager: Any, loop: LoopThread) -> None:
        self._manager = manager
        self._loop = loop

    def __enter__(self) -> Any:
        return BlockingSession(self._loop.run(self._manager.__aenter__()), self._loop)

    def __exit__(self, *exc_info: Any) -> bool:
        return bool(self._loop.run(self._manager.__aexit__(*exc_info)))


@dataclass
class Backend:
    """One live backend for one test: a driver on an empty graph, and its raw helpers.

    ``driver`` is the sync driver, for raw queries and schema calls; ``session()`` opens
    the session of this run's ``mode`` and ``session_driver`` is the driver it uses.
    """

    name: str
    driver: Any
    #: Make ``label.field`` unique the backend's own way (for constraint tests).
    unique: Callable[[str, str], None]
    mode: str = "sync"
    async_driver: Any = None
    loop: LoopThread | None = None

    def rows(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        return self.driver.execute(cypher, params or {}, read_only=True).rows

    @property
    def session_driver(self) -> Any:
        return self.async_driver if self.mode == "async" else self.driver

    def sync_schema(self, models: list[type], **options: Any) -> Any:
        """``sync_schema``, or ``async_sync_schema`` on the async driver in an async run."""
        from runic.ogm.schema import async_sync_schema, sync_schema

        if self.mode == "sync":
            return sync_schema(self.driver, models, **options)
        assert self.loop is not None
        return self.loop.run(async_sync_schema(self.async_driver, models, **options))

    def schema_diff(self, models: list[type], **options: Any) -> Any:
        from runic.ogm.schema import async_schema_diff, schema_diff

        if self.mode == "sync":
            return schema_diff(self.driver, models, **options)
        assert self.loop is not None
        return self.loop.run(async_schema_diff(self.async_driver, models, **options))

    def session(self, **options: Any) -> Any:
        """A Session, or in an async run an AsyncSession driven from sync code."""
        from runic.ogm import AsyncSession, Session

        if self.mode == "sync":
            return Session(self.driver, **options)
        assert self.loop is not None
        return BlockingSession(AsyncSession(self.async_driver, **options), self.loop)


def arcadedb_options() -> dict[str, Any]:
    return {
        "auth": ("root", ARCADEDB_PASSWORD),
        "database": ARCADEDB_DATABASE,
        "dialect": "arcadedb",
    }


def age_url(server: Any) -> str:
    return f"{server.url}?graph={AGE_GRAPH}"


class ArcadeDBProcess:
    """An ArcadeDB server with the Bolt plugin, in its own process, on loopback.

    ``databases`` are names, each at REPEATABLE_READ, or ``NAME:READ_COMMITTED``.
    """

    def __init__(
        self,
        databases: tuple[str, ...] = (
            ARCADEDB_DATABASE,
            f"{ARCADEDB_READ_COMMITTED_DATABASE}:READ_COMMITTED",
        ),
    ) -> None:
        self.root = tempfile.mkdtemp(prefix="runic-arcadedb-")
        self.bolt_port = free_port()
        self.http_port = free_port()
        script = Path(__file__).parent / "servers" / "arcadedb_server.py"
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(script),
                self.root,
                str(self.bolt_port),
                str(self.http_port),
                ARCADEDB_PASSWORD,
                *databases,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=self.root,  # ArcadeDB writes its log/ folder into the working directory
        )
        self.log: list[str] = []
        ready = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.log.append(line)
                if line.strip().endswith("RUNIC-ARCADEDB-READY"):
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = self.log[-1].strip() if self.log else ""
                raise RuntimeError(f"ArcadeDB did not start: {tail or 'no output'}")

    @property
    def url(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def arcadedb_unique(driver: Any) -> Callable[[str, str], None]:
    def make(label: str, field: str) -> None:
        driver.execute(
            f"CREATE CONSTRAINT IF NOT EXISTS FOR (n:`{label}`) REQUIRE n.`{field}` IS UNIQUE"
        )

    return make


def age_unique(driver: Any) -> Callable[[str, str], None]:
    from runic.ogm.driver.age import vertex_label_table

    def make(label: str, field: str) -> None:
        connection = driver.connection
        with connection.transaction(), connection.cursor() as cursor:
            table = vertex_label_table(cursor, driver.graph, label)
            cursor.execute(
                f'CREATE UNIQUE INDEX IF NOT EXISTS "{label}_{field}_unique" ON {table} '
                f"(ag_catalog.agtype_access_operator(properties, '\"{field}\"'::agtype))"
            )

    return make


def make_index(backend: Backend, label: str, field: str) -> None:
    """A range index made by hand, the backend's own way (not through runic's schema)."""
    if backend.name != "age":
        backend.driver.execute(f"CREATE INDEX FOR (n:{label}) ON (n.{field})")
        return
    graph = backend.driver.graph
    backend.driver.execute_sql(
        [
            (
                f'CREATE INDEX "by_hand_{label}_{field}" ON "{graph}"."{label}" '
                f"(ag_catalog.agtype_access_operator(VARIADIC ARRAY[properties, "
                f"'\"{field}\"'::ag_catalog.agtype]))",
                (),
            )
        ]
    )


def clear(driver: Any) -> None:
    driver.execute("MATCH (n) DETACH DELETE n")


def backend_fixture_values(request: Any, name: str, mode: str) -> Iterator[Backend]:
    """What the ``backend`` fixture yields for ``name`` and ``mode`` (started servers are
    reused; an async run gets its own event loop thread and async driver)."""
    if name == "falkordb":
        from runic.ogm.driver.falkordb import FalkorDBDriver

        graph = request.getfixturevalue("graph")
        driver = FalkorDBDriver(graph)

        def falkordb_unique(label: str, field: str) -> None:
            graph.create_node_unique_constraint(label, field)
            for _ in range(200):
                states = graph.query("CALL db.constraints() YIELD status RETURN status")
                if all(row[0] == "OPERATIONAL" for row in states.result_set):
                    return
                time.sleep(0.02)

        backend = Backend(name, driver, falkordb_unique, mode)
    else:
        driver = request.getfixturevalue(f"{name}_driver")
        clear(driver)
        unique = arcadedb_unique(driver) if name == "arcadedb" else age_unique(driver)
        backend = Backend(name, driver, unique, mode)
    if mode == "async":
        backend.loop = LoopThread()
        backend.async_driver = async_driver_for(request, name)
    try:
        yield backend
    finally:
        if backend.loop is not None:
            backend.loop.run(backend.async_driver.close())
            backend.loop.stop()
        if name != "falkordb":
            clear(driver)


def async_driver_for(request: Any, name: str) -> Any:
    """A new async driver on the run's server of backend ``name``."""
    if name == "falkordb":
        from runic.ogm.driver.falkordb import AsyncFalkorDBDriver

        return AsyncFalkorDBDriver(request.getfixturevalue("graph"))
    if name == "arcadedb":
        from runic.ogm.driver.bolt_async import AsyncBoltDriver

        server = request.getfixturevalue("arcadedb_server")
        return AsyncBoltDriver.from_url(server.url, **arcadedb_options())
    from runic.ogm.driver.age_async import AsyncAGEDriver

    return AsyncAGEDriver.from_url(age_url(request.getfixturevalue("age_server")))
