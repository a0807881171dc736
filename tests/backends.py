"""The live backends the backend-neutral tests run on, started by the suite itself.

``RUNIC_BACKENDS`` picks them (comma-separated; default: all of ``falkordb``,
``arcadedb`` and ``age``). A backend whose server cannot start here is skipped with the
reason, which pytest's summary prints (``-ra``).
"""

from __future__ import annotations

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


@dataclass
class Backend:
    """One live backend for one test: a driver on an empty graph, and its raw helpers."""

    name: str
    driver: Any
    #: Make ``label.field`` unique the backend's own way (for constraint tests).
    unique: Callable[[str, str], None]

    def rows(self, cypher: str, params: dict[str, Any] | None = None) -> list[list[Any]]:
        return self.driver.execute(cypher, params or {}).rows


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


def clear(driver: Any) -> None:
    driver.execute("MATCH (n) DETACH DELETE n")


def backend_fixture_values(request: Any, name: str) -> Iterator[Backend]:
    """What the ``backend`` fixture yields for ``name`` (started servers are reused)."""
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

        yield Backend(name, driver, falkordb_unique)
        return
    driver = request.getfixturevalue(f"{name}_driver")
    clear(driver)
    yield Backend(
        name, driver, arcadedb_unique(driver) if name == "arcadedb" else age_unique(driver)
    )
    clear(driver)
