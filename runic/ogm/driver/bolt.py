"""The Bolt driver, over the ``neo4j`` package, for Neo4j 5, Memgraph and ArcadeDB.

Install with ``pip install 'runic-ogm[neo4j]'``. Each query runs in an explicit transaction of
its own (BEGIN, RUN, COMMIT): a flush is one query, so it commits or rolls back whole, and
two sessions never share a transaction.

A query the server refused as transient (a deadlock, a concurrent change to the same
record) runs again, for at most ``retry_time`` seconds; so does one whose connection was
lost before a commit was sent. A query whose COMMIT went out without an answer raises
(``neo4j``'s ``IncompleteCommit``) and never runs again, so no write is applied twice.

The driver runs transactions itself rather than through ``Driver.execute_query`` or
``Session.execute_write``: when a query fails inside one of those (a broken constraint,
a version guard's division by zero), the ``neo4j`` client (6.4) first resets the
connection and hands it back to its pool, then, rolling back, checks that connection for
end of file: a non-blocking one-byte read on a socket another thread may be using by
then. That thread loses a byte of its answer, or its socket timeout is changed under
it, and waits forever or fails on a desynchronised stream ("Expected structure, found
marker 70", the byte after a stolen structure marker). Here a transaction the server
failed is not touched again: the client has reset the connection, which rolls it back.

ArcadeDB runs transactions at ``READ_COMMITTED`` unless told otherwise. There, a
``MATCH ... WHERE n.version = $read SET ...`` whose record another transaction commits
between the match and the write is applied over that commit: both succeed, one update
is lost (in a two-node flush, one node's change is lost while the other's stays: the
"half a transfer" seen under load). At ``REPEATABLE_READ`` the match pins the record and
the commit is refused as transient ("Slot rebase not possible"), nothing of it written;
run again, it fails its version check. Bolt cannot choose the isolation and no server
setting does; it is set on the open database by Java (``setTransactionIsolationLevel``),
as ``tests/servers/arcadedb_server.py`` does for an embedded server. So that one process
stays exact on a database left at ``READ_COMMITTED``, a BoltDriver for ArcadeDB sends its
writes one at a time (``serialize_writes``; reads still run concurrently). Writes from
other processes are exact only at ``REPEATABLE_READ``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from runic.ogm.driver.base import failed_block
from runic.ogm.driver.dialect import DIALECTS, NEO4J, Dialect
from runic.ogm.driver.options import take_options
from runic.ogm.driver.records import GraphEdge, GraphNode, QueryResult
from runic.ogm.exceptions import (
    ConnectionFailedError,
    ConstraintViolationError,
    DriverError,
    QueryRejectedError,
    QueryTimeoutError,
    WriteOutcomeUnknownError,
)

try:
    import neo4j
    from neo4j import graph as neo4j_graph
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "the Bolt driver needs the neo4j package: pip install 'runic-ogm[neo4j]'"
    ) from missing

#: runic's connection options under the names the ``neo4j`` client gives them.
_CLIENT_OPTIONS = {
    "socket_connect_timeout": "connection_timeout",
    "max_connections": "max_connection_pool_size",
    "pool_timeout": "connection_acquisition_timeout",
}

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
    """A :class:`~runic.ogm.driver.base.GraphDriver` over a ``neo4j.Driver``.

    ``dialect`` says which server answers: ``"neo4j"`` (the default), ``"memgraph"`` or
    ``"arcadedb"``. ``database`` picks the database on servers that hold several.
    ``serialize_writes`` sends this driver's writes one at a time; it defaults to True on
    ArcadeDB only (pass False for a database set to ``REPEATABLE_READ``). ``retry_time``
    bounds, in seconds, how long a transaction refused as transient is run again.
    ``query_timeout`` is each transaction's timeout, which the server enforces.
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
        query_timeout: float | None = None,
    ) -> None:
        if not isinstance(driver, neo4j.Driver):
            raise TypeError(
                "BoltDriver takes a neo4j.Driver such as GraphDatabase.driver(url, auth=...), "
                f"got {type(driver).__name__}"
            )
        if retry_time < 0:
            raise ValueError(f"BoltDriver(retry_time=...) must be >= 0, got {retry_time!r}")
        self.dialect = bolt_dialect(dialect, "BoltDriver")
        self.driver = driver
        self._address = server_address(driver)
        self.database = database
        self.retry_time = retry_time
        self.query_timeout = query_timeout
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
        """``bolt://`` / ``neo4j://`` (``+s``/``+ssc`` for TLS).

        runic's connection options (:mod:`runic.ogm.driver.options`), as arguments or in
        the URL's query, become the client's: ``socket_connect_timeout`` its
        ``connection_timeout``, ``max_connections`` its ``max_connection_pool_size`` and
        ``pool_timeout`` its ``connection_acquisition_timeout``; ``query_timeout`` is each
        transaction's timeout. Other options go to the client as they are.
        """
        url, taken = client_arguments(url, options)
        client = neo4j.GraphDatabase.driver(url, auth=auth, **options)
        return cls(
            client,
            database=database,
            dialect=dialect,
            owns_connection=True,
            serialize_writes=serialize_writes,
            retry_time=retry_time,
            query_timeout=taken.get("query_timeout"),
        )

    @property
    def name(self) -> str:
        return self.database or "default"

    def __repr__(self) -> str:
        return (
            f"BoltDriver(dialect={self.dialect.name!r}, database={self.name!r}, "
            f"server={self._address!r})"
        )

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        lock = None if read_only else self._write_lock
        if lock is not None and not lock.acquire(timeout=self.retry_time):
            raise write_turn_timeout(self.dialect, self._address, self.retry_time)
        try:
            keys, rows = self._retrying(cypher, dict(params or {}), read_only)
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            raise translate_error(error, self.dialect, self._address, cypher, read_only) from error
        finally:
            if lock is not None:
                lock.release()
        return QueryResult(keys, [[neutral(value) for value in row] for row in rows])

    def _retrying(
        self, cypher: str, params: dict[str, Any], read_only: bool
    ) -> tuple[list[str], list[list[Any]]]:
        """Run the transaction, again after a retryable failure until ``retry_time``."""
        waits = RetryWaits(self.retry_time)
        while True:
            try:
                return self._transaction(cypher, params, read_only)
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
                pause = waits.next_pause(error)
                if pause is None:
                    raise
            time.sleep(pause)

    def _transaction(
        self, cypher: str, params: dict[str, Any], read_only: bool
    ) -> tuple[list[str], list[list[Any]]]:
        """One attempt, in an explicit transaction of its own session.

        Explicit for reads too: on ArcadeDB (26.10), after a commit refused as transient,
        auto-commit reads on that connection keep returning what they read first, until
        an explicit transaction runs on it. When the server reports a failure, the session
        has already reset the connection and given it back to the pool: the transaction
        is then left alone (a rollback or close would read from that pooled connection)
        and closing the session finds nothing left to do.
        """
        mode = neo4j.READ_ACCESS if read_only else neo4j.WRITE_ACCESS
        with self.driver.session(
            database=self.database,
            default_access_mode=mode,
            bookmark_manager=self.driver.execute_query_bookmark_manager,
        ) as session:
            transaction = session.begin_transaction(timeout=self.query_timeout)
            result = transaction.run(cypher, params)
            rows = [list(record.values()) for record in result]
            keys = list(result.keys())
            transaction.commit()
        return keys, rows

    def begin(self) -> BoltTransaction:
        """A server transaction across queries (what ``session.begin()`` runs in)."""
        return BoltTransaction(self)

    def ping(self) -> None:
        """Check the server answers; :class:`~runic.ogm.exceptions.ConnectionFailedError` if not."""
        try:
            self.driver.verify_connectivity()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            raise ConnectionFailedError(
                f"{self.dialect.name} did not answer a ping ({error})", address=self._address
            ) from error

    def close(self) -> None:
        if self._owns_connection:
            self.driver.close()


def write_turn_timeout(dialect: Dialect, address: str | None, waited: float) -> DriverError:
    """This driver's writes take turns (ArcadeDB); an open ``session.begin()`` block holds
    the turn until it ends, so a wait is bounded rather than a deadlock."""
    return ConnectionFailedError(
        f"{dialect.name}: waited {waited:g} s (retry_time) for this driver's write turn, "
        "which an open transaction (a session.begin() block) holds; nothing was sent",
        address=address,
    )


def client_arguments(url: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The URL and ``options`` (changed in place) as the ``neo4j`` client takes them, and
    runic's own options taken from both (``query_timeout`` stays runic's)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    taken = take_options(url, query, options)
    if "socket_timeout" in taken:
        raise ValueError(
            f"{url!r}: the Bolt drivers take no socket_timeout (the neo4j client has no read "
            "timeout); use query_timeout, which the server enforces"
        )
    for ours, theirs in _CLIENT_OPTIONS.items():
        if ours in taken:
            options[theirs] = taken[ours]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True))), taken


class RetryWaits:
    """How long to wait before running a transaction again after ``error``: doubling from
    ``FIRST_RETRY_WAIT``, with jitter, until ``retry_time`` has passed; ``None`` when it
    must not run again."""

    def __init__(self, retry_time: float) -> None:
        self._deadline = time.monotonic() + retry_time
        self._wait = FIRST_RETRY_WAIT

    def next_pause(self, error: Exception) -> float | None:
        # False for IncompleteCommit: the COMMIT was sent, the outcome is unknown.
        retryable = getattr(error, "is_retryable", None)
        if retryable is None or not retryable():
            return None
        pause = self._wait * random.uniform(0.8, 1.2)
        if time.monotonic() + pause > self._deadline:
            return None
        self._wait = min(self._wait * 2, LONGEST_RETRY_WAIT)
        return pause


def translate_error(
    error: Exception, dialect: Dialect, address: str | None, cypher: str, read_only: bool
) -> DriverError:
    """A ``neo4j`` client error as runic's: refused (nothing applied), the connection
    failed before the COMMIT (safe to send again), or during it (outcome unknown)."""
    name = dialect.name
    if isinstance(error, neo4j.exceptions.ConstraintError):
        return ConstraintViolationError(
            f"{name} refused the write: {error.message}", address=address
        )
    if isinstance(error, neo4j.exceptions.Neo4jError):
        if "timedout" in (error.code or "").lower().replace("_", ""):
            return QueryTimeoutError(
                f"{name} stopped the query at its query_timeout; it changed nothing: "
                f"{error.message}\n--- query ---\n{cypher}",
                address=address,
            )
        if _is_unique_violation(error):
            return ConstraintViolationError(
                f"{name} refused the write: {error.message}", address=address
            )
        return QueryRejectedError(
            f"{name} rejected the query, which changed nothing: "
            f"{error.message}\n--- query ---\n{cypher}",
            address=address,
        )
    if isinstance(error, neo4j.exceptions.IncompleteCommit):
        if read_only:
            return ConnectionFailedError(
                f"{name}: the connection broke during a read ({error}); a read changes "
                "nothing, so it is safe to send again",
                address=address,
            )
        return WriteOutcomeUnknownError(
            f"{name}: the connection broke after the write was committed ({error}); it may "
            f"or may not have been applied, and runic did not send it again\n--- query ---\n"
            f"{cypher}",
            address=address,
        )
    # Before the COMMIT was sent: the server rolls back the open transaction.
    return ConnectionFailedError(
        f"{name} could not run the query ({error}); its transaction was not committed, so "
        f"it is safe to send again\n--- query ---\n{cypher}",
        address=address,
    )


def _is_unique_violation(error: Any) -> bool:
    text = f"{error.code} {error.message}".lower()
    return "duplicate" in text or "unique" in text or "constraint" in text


def bolt_dialect(dialect: str | Dialect, owner: str) -> Dialect:
    if isinstance(dialect, Dialect):
        return dialect
    found = DIALECTS.get(dialect)
    if found is None or found.name == "falkordb":
        raise ValueError(
            f"{owner}(dialect=...) takes 'neo4j', 'memgraph' or 'arcadedb', got {dialect!r}"
        )
    return found


def server_address(driver: Any) -> str | None:
    """``host:port`` of a direct (``bolt://``) driver's server, for error messages."""
    address = getattr(getattr(driver, "_pool", None), "address", None)
    if address is None:
        return None
    return f"{address[0]}:{address[1]}"


class BoltTransaction:
    """A server transaction across queries, for ``session.begin()``: queries run in it
    as they come, and ``commit()`` or ``rollback()`` ends it. On a driver that
    serialises writes (ArcadeDB), it holds the write turn until it ends."""

    def __init__(self, owner: BoltDriver) -> None:
        self._owner = owner
        self._lock = owner._write_lock
        if self._lock is not None and not self._lock.acquire(timeout=owner.retry_time):
            self._lock = None
            raise write_turn_timeout(owner.dialect, owner._address, owner.retry_time)
        #: Whether the server failed a query: the client then reset the connection, which
        #: rolled the transaction back, and the transaction must not be touched again.
        self._failed = False
        try:
            self._session = owner.driver.session(
                database=owner.database,
                default_access_mode=neo4j.WRITE_ACCESS,
                bookmark_manager=owner.driver.execute_query_bookmark_manager,
            )
            self._transaction = self._session.begin_transaction(timeout=owner.query_timeout)
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            self._end()
            raise translate_error(error, owner.dialect, owner._address, "BEGIN", True) from error
        except BaseException:
            self._end()  # the write turn too, whatever stopped the BEGIN
            raise

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        owner = self._owner
        try:
            result = self._transaction.run(cypher, dict(params or {}))
            rows = [list(record.values()) for record in result]
            keys = list(result.keys())
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            self._failed = True
            raise translate_error(error, owner.dialect, owner._address, cypher, True) from error
        return QueryResult(keys, [[neutral(value) for value in row] for row in rows])

    def commit(self) -> None:
        owner = self._owner
        if self._failed:
            self.rollback()
            raise failed_block(owner.dialect.name, owner._address)
        try:
            self._transaction.commit()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            self._failed = True
            raise translate_error(error, owner.dialect, owner._address, "COMMIT", False) from error
        finally:
            self._end()

    def rollback(self) -> None:
        try:
            if not self._failed:
                self._transaction.rollback()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError):
            pass  # the server rolls back a transaction whose connection went away
        finally:
            self._end()

    def _end(self) -> None:
        try:
            session = getattr(self, "_session", None)
            if session is not None:
                session.close()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError):
            pass
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None
