"""The Apache AGE driver, over ``psycopg`` 3: Cypher inside PostgreSQL.

Install with ``pip install 'runic-ogm[age]'``. Each query becomes
``SELECT * FROM ag_catalog.cypher('graph', $q$ ... $q$, %s) AS (c0 agtype, ...)``: the
parameters travel as one agtype map, and the result columns are declared from the
query's final ``RETURN``. Each query runs in its own transaction, committed when it
succeeds and rolled back when it fails, so a flush is applied whole or not at all.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from runic.ogm.driver.base import failed_block
from runic.ogm.driver.dialect import AGE, Dialect
from runic.ogm.driver.options import POOL_TIMEOUT, take_options
from runic.ogm.driver.records import GraphEdge, GraphNode, QueryResult
from runic.ogm.exceptions import (
    ConnectionFailedError,
    ConstraintViolationError,
    DriverError,
    QueryRejectedError,
    QueryTimeoutError,
    WriteOutcomeUnknownError,
)
from runic.ogm.identifiers import validate_identifier

try:
    import psycopg
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise ImportError("the AGE driver needs psycopg 3: pip install 'runic-ogm[age]'") from missing

#: Marks where AGE's ``::vertex``/``::edge`` type suffixes were, so JSON can read them.
_KIND = "__runic_age_kind__"
_SUFFIX = re.compile(r"\}::(vertex|edge)")
_PATH = re.compile(r"\]::path")
_QUOTE = "$runic_cypher$"
#: How a flush joins its stages (see runic.ogm.session.flush.compile_flush).
STAGE_JOIN = "\nWITH count(*) AS _\n"
#: Serialises writers to one graph across connections and processes, until commit.
_WRITE_LOCK = "SELECT pg_advisory_xact_lock(hashtext('runic-graph:' || %s))"


def return_columns(cypher: str) -> list[str]:
    """The names of the columns a Cypher query returns, read from its final ``RETURN``.

    AGE needs them declared. Strings, backticks and brackets are skipped over, so only
    a top-level ``RETURN`` (not one inside a subquery) counts.
    """
    depth = 0
    quote: str | None = None
    last_return = -1
    commas: list[int] = []
    end = len(cypher)
    upper = cypher.upper()
    index = 0
    while index < len(cypher):
        char = cypher[index]
        if quote is not None:
            if char == "\\" and quote != "`":
                index += 2
                continue
            if char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and _keyword_at(upper, index, "RETURN"):
            last_return, commas, end = index + 6, [], len(cypher)
        elif depth == 0 and last_return >= 0 and char == ",":
            commas.append(index)
        elif depth == 0 and last_return >= 0 and end == len(cypher):
            for keyword in ("ORDER", "SKIP", "LIMIT", "UNION"):
                if _keyword_at(upper, index, keyword):
                    end = index
        index += 1
    if last_return < 0:
        return []
    items, start = [], last_return
    for comma in [c for c in commas if c < end] + [end]:
        items.append(cypher[start:comma].strip())
        start = comma + 1
    if items and items[0].upper().startswith("DISTINCT "):
        items[0] = items[0][9:].strip()
    return [_column_name(item) for item in items]


def _keyword_at(upper: str, index: int, keyword: str) -> bool:
    before = upper[index - 1] if index else " "
    after = upper[index + len(keyword)] if index + len(keyword) < len(upper) else " "
    return (
        upper.startswith(keyword, index)
        and not (before.isalnum() or before in "_.$`")
        and not (after.isalnum() or after in "_`")
    )


def _column_name(item: str) -> str:
    match = re.search(r"\s+AS\s+(`[^`]+`|\w+)\s*$", item, re.IGNORECASE)
    name = match.group(1) if match else item
    return name.strip("`")


def parse_agtype(text: str | None) -> Any:
    """An agtype value (as text) as a neutral value: vertices become GraphNodes."""
    if text is None:
        return None
    marked = _PATH.sub("]", _SUFFIX.sub(lambda m: f', "{_KIND}": "{m.group(1)}"}}', text))
    return _neutral(json.loads(marked))


def _neutral(value: Any) -> Any:
    if isinstance(value, list):
        return [_neutral(item) for item in value]
    if isinstance(value, dict):
        kind = value.get(_KIND)
        if kind == "vertex":
            properties = dict(value.get("properties") or {})
            return GraphNode(value["id"], AGE.labels_of(value["label"], properties), properties)
        if kind == "edge":
            return GraphEdge(
                value["id"],
                value["label"],
                value["start_id"],
                value["end_id"],
                dict(value.get("properties") or {}),
            )
        return {key: _neutral(item) for key, item in value.items()}
    return value


def vertex_label_table(cursor: Any, graph: str, label: str) -> str:
    """The PostgreSQL table holding ``label``'s vertices, made if missing.

    Indexes and unique constraints on AGE are PostgreSQL indexes on this table.
    """
    validate_identifier(label, "label")
    cursor.execute(
        "SELECT count(*) FROM ag_catalog.ag_label WHERE name = %s AND graph = "
        "(SELECT graphid FROM ag_catalog.ag_graph WHERE name = %s)",
        (label, graph),
    )
    row = cursor.fetchone()
    if not row or not row[0]:
        cursor.execute("SELECT ag_catalog.create_vlabel(%s, %s)", (graph, label))
    return f'"{graph}"."{label}"'


#: An SQL statement and its arguments.
type Statement = tuple[str, tuple[Any, ...]]


def set_up_statements(query_timeout: float | None) -> list[Statement]:
    """What each connection runs before its first query: AGE and its settings."""
    statements: list[Statement] = [
        ("LOAD 'age'", ()),
        ('SET search_path = ag_catalog, "$user", public', ()),
    ]
    if query_timeout is not None:
        milliseconds = max(1, round(query_timeout * 1000))
        statements.append(
            ("SELECT set_config('statement_timeout', %s, false)", (str(milliseconds),))
        )
    return statements


def prepare_graph_statements(graph: str, query_timeout: float | None) -> list[Statement]:
    """The AGE extension, the connection's set-up, and the graph, made where missing."""
    return [
        ("CREATE EXTENSION IF NOT EXISTS age", ()),
        *set_up_statements(query_timeout),
        (
            "SELECT ag_catalog.create_graph(%s) WHERE NOT EXISTS "
            "(SELECT 1 FROM ag_catalog.ag_graph WHERE name = %s)",
            (graph, graph),
        ),
    ]


class QueryPlan:
    """One Cypher query as the SQL statements that run it in one transaction.

    A flush's stages (joined by ``WITH count(*) AS _``) run as separate statements: AGE
    writes nothing when a ``MATCH`` follows a ``CREATE`` in the same Cypher query.
    Writes first take the graph's advisory lock, so they run one at a time, as on
    FalkorDB: a flush's key and version checks then see every write committed before it.
    """

    __slots__ = ("columns", "statements")

    def __init__(
        self, graph: str, cypher: str, params: Mapping[str, Any] | None, *, lock: bool
    ) -> None:
        if _QUOTE in cypher:
            raise QueryRejectedError(f"AGE: the query may not contain {_QUOTE}")
        payload = json.dumps(dict(params or {}))
        self.columns: list[str] = []
        statements: list[Statement] = []
        for stage in cypher.split(STAGE_JOIN):
            self.columns = return_columns(stage)
            statements.append((cypher_sql(graph, stage, len(self.columns)), (payload,)))
        self.statements = under_write_lock(graph, statements) if lock else statements

    def result(self, rows: list[Any]) -> QueryResult:
        return QueryResult(self.columns, [[parse_agtype(value) for value in row] for row in rows])


def under_write_lock(graph: str, statements: list[Statement]) -> list[Statement]:
    """``statements`` after taking the graph's write lock, held until the COMMIT."""
    return [(_WRITE_LOCK, (graph,)), *statements]


def sql_text(statements: list[Statement]) -> str:
    """Plain SQL statements as an error message quotes them."""
    return ";\n".join(sql for sql, _ in statements)


def cypher_sql(graph: str, cypher: str, columns: int) -> str:
    declared = ", ".join(f"c{index} ag_catalog.agtype" for index in range(max(columns, 1)))
    cypher = cypher.replace("%", "%%")  # Cypher's modulo, not a psycopg placeholder
    return (
        f"SELECT * FROM ag_catalog.cypher('{graph}', {_QUOTE}{cypher}{_QUOTE}, %s) AS ({declared})"
    )


def translate_error(
    error: Exception, address: str | None, cypher: str, read_only: bool, committing: bool
) -> DriverError:
    """Refused by the server (an SQLSTATE), or the connection failed: before the COMMIT
    the transaction is rolled back; during it, a write's outcome is unknown."""
    query = f"\n--- query ---\n{cypher}"
    if isinstance(error, psycopg.errors.UniqueViolation):
        return ConstraintViolationError(f"AGE refused the write: {error}", address=address)
    if isinstance(error, psycopg.errors.QueryCanceled):
        return QueryTimeoutError(
            f"AGE stopped the query at its query_timeout; it changed nothing{query}",
            address=address,
        )
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate is not None and not isinstance(error, psycopg.OperationalError):
        return QueryRejectedError(
            f"AGE rejected the query, which changed nothing: {error}{query}", address=address
        )
    if committing and not read_only:
        return WriteOutcomeUnknownError(
            f"AGE: the connection failed during the COMMIT ({error}); the write may or may "
            f"not have been applied, and runic did not send it again{query}",
            address=address,
        )
    return ConnectionFailedError(
        f"AGE could not run the query ({error}); its transaction was not committed, so it "
        f"is safe to send again{query}",
        address=address,
    )


def url_settings(url: str, options: dict[str, Any], owner: str, pooled: bool) -> dict[str, Any]:
    """From an AGE URL and ``options``: ``conninfo``, ``graph``, ``address`` and runic's
    connection options (``taken``); ``options`` is left with libpq's."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    graph = query.pop("graph", [""])[0]
    if not graph:
        raise ValueError(f"{url!r}: an AGE URL names its graph, e.g. ?graph=social")
    taken = take_options(url, query, options)
    refused = ("socket_timeout",) if pooled else ("socket_timeout", "max_connections")
    for name in refused:
        if name in taken:
            raise ValueError(
                f"{url!r}: {owner} takes no {name}: "
                + (
                    "psycopg has no read timeout (use query_timeout)"
                    if name == "socket_timeout"
                    else "it runs its queries on one connection (AsyncAGEDriver pools them)"
                )
            )
    if "socket_connect_timeout" in taken:
        options["connect_timeout"] = max(1, math.ceil(taken["socket_connect_timeout"]))
    rest = urlencode({key: values[0] for key, values in query.items()})
    return {
        "conninfo": urlunsplit(parts._replace(query=rest)),
        "graph": graph,
        "address": f"{parts.hostname}:{parts.port or 5432}" if parts.hostname else None,
        "taken": taken,
    }


def unreachable(address: str | None, error: Exception) -> ConnectionFailedError:
    return ConnectionFailedError(
        f"AGE{' at ' + address if address else ''} could not be reached ({error}); "
        "nothing was sent",
        address=address,
    )


def check_graph_name(graph: str) -> None:
    validate_identifier(graph, "AGE graph name")
    if len(graph) < 3:
        raise ValueError(f"AGE graph names have at least 3 characters, got {graph!r}")


class AGEDriver:
    """A :class:`~runic.ogm.driver.base.GraphDriver` over one AGE graph in PostgreSQL.

    Takes an open ``psycopg.Connection``; the graph is created when it does not exist.
    Its queries share that one connection: each waits at most ``pool_timeout`` seconds
    for it. ``query_timeout`` is PostgreSQL's ``statement_timeout`` for its queries.
    ``reconnect`` opens a new connection when the server closed this one (a restart);
    :meth:`from_url` gives it, so a driver made from a URL recovers by itself.
    """

    dialect: Dialect = AGE

    def __init__(
        self,
        connection: Any,
        graph: str,
        *,
        owns_connection: bool = False,
        pool_timeout: float = POOL_TIMEOUT,
        query_timeout: float | None = None,
        reconnect: Callable[[], Any] | None = None,
    ) -> None:
        if not isinstance(connection, psycopg.Connection):
            raise TypeError(
                f"AGEDriver takes a psycopg.Connection, got {type(connection).__name__}"
            )
        check_graph_name(graph)
        self.connection = connection
        self.graph = graph
        info = connection.info
        self._address: str | None = (
            f"{info.host}:{info.port}" if info.host and not info.host.startswith("/") else info.host
        )
        self._owns_connection = owns_connection
        self._lock = threading.Lock()
        self._pool_timeout = pool_timeout
        self._query_timeout = query_timeout
        self._reconnect = reconnect
        self._prepare_graph()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> AGEDriver:
        """``postgresql://user:password@host:port/database?graph=name`` (+ libpq options).

        Of runic's connection options (:mod:`runic.ogm.driver.options`), as arguments or
        in the URL: ``socket_connect_timeout`` (libpq's ``connect_timeout``, whole
        seconds), ``query_timeout`` and ``pool_timeout``.
        """
        settings = url_settings(url, options, "AGEDriver", pooled=False)
        taken, address = settings["taken"], settings["address"]

        def connect() -> Any:
            try:
                return psycopg.connect(settings["conninfo"], **options)
            except psycopg.OperationalError as error:
                raise unreachable(address, error) from error

        return cls(
            connect(),
            settings["graph"],
            owns_connection=True,
            pool_timeout=taken.get("pool_timeout", POOL_TIMEOUT),
            query_timeout=taken.get("query_timeout"),
            reconnect=connect,
        )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A cursor in a transaction of its own, once the query before has finished with
        the connection."""
        if not self._lock.acquire(timeout=self._pool_timeout):
            raise ConnectionFailedError(
                f"AGE: the connection stayed busy for {self._pool_timeout:g} s (pool_timeout); "
                "the query was not sent",
                address=self._address,
            )
        try:
            if self.connection.closed and self._reconnect is not None:
                self._connect_again()
            with self.connection.transaction(), self.connection.cursor() as cursor:
                yield cursor
        finally:
            self._lock.release()

    def _connect_again(self) -> None:
        """A new connection in place of the one the server closed, set up as it was."""
        connection = self._reconnect() if self._reconnect is not None else self.connection
        self.connection = connection
        with connection.transaction(), connection.cursor() as cursor:
            self._set_up(cursor)

    def _prepare_graph(self) -> None:
        with self._transaction() as cursor:
            for sql, args in prepare_graph_statements(self.graph, self._query_timeout):
                cursor.execute(sql, args)

    def _set_up(self, cursor: Any) -> None:
        for sql, args in set_up_statements(self._query_timeout):
            cursor.execute(sql, args)

    @property
    def name(self) -> str:
        return self.graph

    def __repr__(self) -> str:
        return f"AGEDriver(graph={self.graph!r}, server={self._address!r})"

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        """Run one query in its own transaction (see ``QueryPlan``)."""
        plan = QueryPlan(self.graph, cypher, params, lock=not read_only)
        return plan.result(self._run(plan.statements, cypher, read_only, bool(plan.columns)))

    def execute_sql(
        self, statements: list[Statement], *, read_only: bool = False
    ) -> list[tuple[Any, ...]]:
        """Plain SQL statements in one transaction (the schema layer's indexes); the last
        one's rows. Unless ``read_only``, under the graph's write lock."""
        locked = statements if read_only else under_write_lock(self.graph, statements)
        return self._run(locked, sql_text(statements), read_only, True)

    def _run(
        self, statements: list[Statement], text: str, read_only: bool, rows_wanted: bool
    ) -> list[Any]:
        committing = False
        try:
            with self._transaction() as cursor:
                for sql, args in statements:
                    cursor.execute(sql, args, prepare=False)
                rows = cursor.fetchall() if cursor.description and rows_wanted else []
                committing = True  # what fails from here on fails the COMMIT
        except psycopg.Error as error:
            raise translate_error(error, self._address, text, read_only, committing) from error
        return rows

    def begin(self) -> AGETransaction:
        """A transaction across queries (what ``session.begin()`` runs in)."""
        return AGETransaction(self)

    def ping(self) -> None:
        """Check the server answers (``SELECT 1``); raise
        :class:`~runic.ogm.exceptions.ConnectionFailedError` if not."""
        try:
            with self._transaction() as cursor:
                cursor.execute("SELECT 1", prepare=False)
        except psycopg.Error as error:
            raise ConnectionFailedError(
                f"AGE did not answer a ping ({error})", address=self._address
            ) from error

    def close(self) -> None:
        if self._owns_connection:
            self.connection.close()


class AGETransaction:
    """A transaction across queries, for ``session.begin()``: it holds the driver's
    connection until ``commit()`` or ``rollback()``, and the graph's write lock from
    its first write on."""

    def __init__(self, owner: AGEDriver) -> None:
        self._owner = owner
        self._stack = contextlib.ExitStack()
        try:
            self._cursor = self._stack.enter_context(owner._transaction())
        except psycopg.Error as error:
            self._stack.close()
            raise translate_error(error, owner._address, "BEGIN", True, False) from error
        self._wrote = False
        #: A statement failed: PostgreSQL then turns a COMMIT into a silent rollback.
        self._failed = False

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        owner = self._owner
        plan = QueryPlan(owner.graph, cypher, params, lock=not (read_only or self._wrote))
        try:
            for sql, args in plan.statements:
                self._cursor.execute(sql, args, prepare=False)
            rows = self._cursor.fetchall() if self._cursor.description and plan.columns else []
        except psycopg.Error as error:
            self._failed = True
            raise translate_error(error, owner._address, cypher, True, False) from error
        self._wrote = self._wrote or not read_only
        return plan.result(rows)

    def commit(self) -> None:
        if self._failed:
            self.rollback()
            raise failed_block("PostgreSQL", self._owner._address)
        try:
            self._stack.close()
        except psycopg.Error as error:
            raise translate_error(
                error, self._owner._address, "COMMIT", not self._wrote, True
            ) from error

    def rollback(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._stack.__exit__(psycopg.Rollback, psycopg.Rollback(), None)
