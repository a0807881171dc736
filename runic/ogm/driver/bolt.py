"""The Bolt driver, over the ``neo4j`` package, for Neo4j 5, Memgraph and ArcadeDB.

Install with ``pip install runic[neo4j]``. Each query runs in its own transaction: a
flush is one query, so it commits or rolls back whole, and two sessions never share a
transaction.

A transaction the server refused as transient (a deadlock, a concurrent change to the
same record) is run again, for at most ``retry_time`` seconds; so is one whose connection
was lost before the commit was sent. A commit whose outcome is unknown (the connection
lost after the COMMIT went out) raises at once and is never run again, so no write is
applied twice.

This driver runs the transaction itself rather than through ``Driver.execute_query``
or ``Session.execute_write``: when a query fails inside one of those (a constraint, a
guard's division by zero), the ``neo4j`` client (6.4) hands the connection back to its
pool and then, while rolling back, checks that same connection for end-of-file, reading
from a socket another thread may already be using. That steals or races bytes of the
other thread's answer: it waits forever for them, or fails on a desynchronised stream
("Expected structure, found marker 70"). Here, a transaction that failed on the server is
never touched again; the client has already reset its connection and rolled it back.

ArcadeDB runs transactions at ``READ_COMMITTED`` unless told otherwise, and then a
``MATCH ... WHERE n.version = $read SET ...`` whose record is committed by another
transaction between the match and the write is applied on top of that commit (both
report success, one update is lost). ``REPEATABLE_READ`` refuses it (a transient
"Slot rebase not possible" error, retried, after which the version check fails). The
isolation is a database setting that Bolt cannot choose; an embedded server sets it with
``database.setTransactionIsolationLevel`` (see ``tests/servers/arcadedb_server.py``).
So that one process stays exact on a server left at ``READ_COMMITTED``, a BoltDriver
for ArcadeDB sends its writes one at a time (``serialize_writes``); reads still run
concurrently. Writers in other processes are only safe with ``REPEATABLE_READ``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from runic.ogm.driver.dialect import DIALECTS, NEO4J, Dialect
from runic.ogm.driver.records import GraphEdge, GraphNode, QueryResult
from runic.ogm.exceptions import ConstraintViolationError, DriverError

try:
    import neo4j
    from neo4j import graph as neo4j_graph
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "the Bolt driver needs the neo4j package: pip install 'runic[neo4j]'"
    ) from missing

#: The first wait before running a transient failure again, and the longest; each wait
#: doubles, with jitter, until ``retry_time`` has passed.
FIRST_RETRY_WAIT = 0.01
LONGEST_RETRY_WAIT = 1.0


def neutral(value: Any) -> Any:
    """A Bolt value as a neutral one (GraphNode, GraphEdge, list, dict, scalar)."""
    if isinstance(value, neo4j_graph.Node):
        return GraphNode(value.element_id, tuple(sorted(value.labels)), dict(value))
    if isinstance(value, neo4j_graph.Relationship):
        start, end = value.start_node, value.end_node
        return GraphEdge(
            value.element_id,
            value.type,
            start.element_id if start is not None else None,
            end.element_id if end is not None else None,
            dict(value),
        )
    if isinstance(value, list):
        return [neutral(item) for item in value]
    if isinstance(value, dict):
        return {key: neutral(item) for key, item in value.items()}
    if isinstance(value, neo4j_graph.Path):
        return [neutral(item) for item in (*value.nodes, *value.relationships)]
    return value


class BoltDriver:
    """A :class:`~runic.ogm.driver.GraphDriver` over a ``neo4j.Driver``.

    ``dialect`` says which server answers: ``"neo4j"`` (the default), ``"memgraph"`` or
    ``"arcadedb"``. ``database`` picks the database on servers that hold several.
    ``serialize_writes`` sends this driver's writes one at a time; it defaults to True on
    ArcadeDB only (pass False for a database set to ``REPEATABLE_READ``). ``retry_time``
    bounds, in seconds, how long a transaction refused as transient is run again.
    """

    def __init__(
        self,
        driver: Any,
        *,
        database: str | None = None,
        dialect: str | Dialect = NEO4J,
        owns_connection: bool = False,
        serialize_writes: bool | None = None,
        retry_time: float = 30.0,
    ) -> None:
        if not isinstance(driver, neo4j.Driver):
            raise TypeError(
                "BoltDriver takes a neo4j.Driver such as GraphDatabase.driver(url, auth=...), "
                f"got {type(driver).__name__}"
            )
        if retry_time < 0:
            raise ValueError(f"BoltDriver(retry_time=...) must be >= 0, got {retry_time!r}")
        self.dialect = _dialect(dialect)
        self.driver = driver
        self.database = database
        self.retry_time = retry_time
        self._owns_connection = owns_connection
        if serialize_writes is None:
            serialize_writes = self.dialect.name == "arcadedb"
        #: Held for the whole of each write, retries included (see the module docstring).
        self._write_lock = threading.Lock() if serialize_writes else None

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        dialect: str | Dialect = NEO4J,
        serialize_writes: bool | None = None,
        retry_time: float = 30.0,
        **options: Any,
    ) -> BoltDriver:
        """``bolt://`` / ``neo4j://`` (``+s``/``+ssc`` for TLS); options go to the client."""
        client = neo4j.GraphDatabase.driver(url, auth=auth, **options)
        return cls(
            client,
            database=database,
            dialect=dialect,
            owns_connection=True,
            serialize_writes=serialize_writes,
            retry_time=retry_time,
        )

    @property
    def name(self) -> str:
        return self.database or "default"

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        serial = self._write_lock if not read_only and self._write_lock else nullcontext()
        try:
            with serial:
                keys, rows = self._retrying(cypher, dict(params or {}), read_only)
        except neo4j.exceptions.ConstraintError as error:
            raise ConstraintViolationError(
                f"{self.dialect.name} refused the write: {error.message}"
            ) from error
        except neo4j.exceptions.Neo4jError as error:
            if _is_unique_violation(error):
                raise ConstraintViolationError(
                    f"{self.dialect.name} refused the write: {error.message}"
                ) from error
            raise DriverError(
                f"{self.dialect.name} rejected the query: {error.message}\n--- query ---\n{cypher}"
            ) from error
        except neo4j.exceptions.DriverError as error:
            raise DriverError(f"{self.dialect.name}: {error}") from error
        return QueryResult(keys, [[neutral(value) for value in row] for row in rows])

    def _retrying(
        self, cypher: str, params: dict[str, Any], read_only: bool
    ) -> tuple[list[str], list[list[Any]]]:
        """Run the transaction, again after a retryable failure until ``retry_time``."""
        deadline = time.monotonic() + self.retry_time
        wait = FIRST_RETRY_WAIT
        while True:
            try:
                return self._transaction(cypher, params, read_only)
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
                # False for IncompleteCommit: the COMMIT was sent, the outcome is unknown.
                if not error.is_retryable():
                    raise
                pause = wait * random.uniform(0.8, 1.2)
                if time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            wait = min(wait * 2, LONGEST_RETRY_WAIT)

    def _transaction(
        self, cypher: str, params: dict[str, Any], read_only: bool
    ) -> tuple[list[str], list[list[Any]]]:
        """One attempt, in an explicit transaction of its own session.

        A failure the server reports has already made the session reset the connection
        and return it to the pool; the transaction object is then left alone (no
        rollback or close, which would read from that pooled connection) and closing the
        session finds nothing left to do.
        """
        mode = neo4j.READ_ACCESS if read_only else neo4j.WRITE_ACCESS
        with self.driver.session(
            database=self.database,
            default_access_mode=mode,
            bookmark_manager=self.driver.execute_query_bookmark_manager,
        ) as session:
            transaction = session.begin_transaction()
            result = transaction.run(cypher, params)
            rows = [list(record.values()) for record in result]
            keys = list(result.keys())
            transaction.commit()
        return keys, rows

    def close(self) -> None:
        if self._owns_connection:
            self.driver.close()


def _is_unique_violation(error: Any) -> bool:
    text = f"{error.code} {error.message}".lower()
    return "duplicate" in text or "unique" in text or "constraint" in text


def _dialect(dialect: str | Dialect) -> Dialect:
    if isinstance(dialect, Dialect):
        return dialect
    found = DIALECTS.get(dialect)
    if found is None or found.name == "falkordb":
        raise ValueError(
            f"BoltDriver(dialect=...) takes 'neo4j', 'memgraph' or 'arcadedb', got {dialect!r}"
        )
    return found
