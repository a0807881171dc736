"""FalkorDB drivers, over a ``falkordb`` or ``redislite`` graph handle."""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit
from weakref import WeakKeyDictionary

from falkordb import Edge as _FalkorEdge
from falkordb import FalkorDB
from falkordb import Node as _FalkorNode
from falkordb import Path as _FalkorPath
from redis.exceptions import RedisError, ResponseError

from runic.ogm.allocation import allocation_burst
from runic.ogm.driver.dialect import FALKORDB, Dialect
from runic.ogm.driver.records import GraphEdge, GraphNode, QueryResult
from runic.ogm.exceptions import ConstraintViolationError, DriverError

EMPTY_GRAPH = "empty key"


def neutral(value: Any) -> Any:
    """Turn a client value into a neutral one (GraphNode, GraphEdge, list, dict, scalar)."""
    # The client's objects are discarded after this, so their property dicts are reused.
    if isinstance(value, _FalkorNode):
        return GraphNode(value.id, tuple(value.labels or ()), value.properties)
    if isinstance(value, _FalkorEdge):
        return GraphEdge(
            value.id, value.relation, value.src_node, value.dest_node, value.properties
        )
    if isinstance(value, list):
        return [neutral(item) for item in value]
    if isinstance(value, dict):
        return {key: neutral(item) for key, item in value.items()}
    if isinstance(value, _FalkorPath):
        return [neutral(item) for item in (*value.nodes(), *value.edges())]
    return value


def translate_error(error: RedisError, cypher: str) -> DriverError:
    message = str(error)
    if "constraint" in message.lower():
        label = re.search(r"of type (\w+)", message)
        return ConstraintViolationError(
            f"FalkorDB refused the write: {message}", label=label.group(1) if label else None
        )
    return DriverError(f"FalkorDB rejected the query: {message}\n--- query ---\n{cypher}")


def parse_falkordb_url(url: str) -> tuple[dict[str, Any], str]:
    """Connection arguments and graph name from a FalkorDB URL.

    ``falkordb://[user:password@]host[:port]/graph`` for TCP (``redis://`` too, and
    ``rediss://`` for TLS) and ``falkordb+unix:///path/to/socket?graph=name`` for a unix
    socket.
    """
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    kwargs: dict[str, Any] = {}
    if parts.username:
        kwargs["username"] = unquote(parts.username)
    if parts.password:
        kwargs["password"] = unquote(parts.password)
    if parts.scheme in ("falkordb", "redis", "rediss"):
        graph = parts.path.lstrip("/")
        kwargs["host"] = parts.hostname or "localhost"
        kwargs["port"] = parts.port or 6379
        if parts.scheme == "rediss":
            kwargs["ssl"] = True
    elif parts.scheme == "falkordb+unix":
        graph = query.get("graph", [""])[0]
        if not parts.path:
            raise ValueError(f"{url!r}: a falkordb+unix URL needs a socket path")
        kwargs["unix_socket_path"] = parts.path
    else:
        raise ValueError(f"{url!r}: expected a falkordb://, redis:// or falkordb+unix:// URL")
    if not graph or "/" in graph:
        raise ValueError(f"{url!r}: the URL must name one graph")
    return kwargs, graph


class FalkorDBDriver:
    """A :class:`~runic.ogm.driver.GraphDriver` over one FalkorDB graph."""

    dialect: Dialect = FALKORDB

    def __init__(self, graph: Any, *, owns_connection: bool = False) -> None:
        if not hasattr(graph, "query") or not hasattr(graph, "ro_query"):
            raise TypeError(
                "FalkorDBDriver takes a graph handle such as FalkorDB(...).select_graph('name'), "
                f"got {type(graph).__name__}"
            )
        if inspect.iscoroutinefunction(graph.query):
            raise TypeError(
                "FalkorDBDriver takes a sync graph handle, got an async one: use "
                "AsyncFalkorDBDriver(graph) with AsyncSession"
            )
        self.graph = graph
        self._owns_connection = owns_connection

    @classmethod
    def from_url(cls, url: str) -> FalkorDBDriver:
        kwargs, graph = parse_falkordb_url(url)
        database = FalkorDB(**kwargs)
        return cls(database.select_graph(graph), owns_connection=True)

    @property
    def name(self) -> str:
        return str(self.graph.name)

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        arguments = dict(params) if params else None
        try:
            if read_only:
                try:
                    result = self.graph.ro_query(cypher, arguments)
                except ResponseError as error:
                    if EMPTY_GRAPH not in str(error):
                        raise
                    # A graph nobody wrote to yet does not exist for GRAPH.RO_QUERY;
                    # GRAPH.QUERY answers the same read-only statement against it.
                    result = self.graph.query(cypher, arguments)
            else:
                result = self.graph.query(cypher, arguments)
        except RedisError as error:
            raise translate_error(error, cypher) from error
        return neutral_result(result)

    def graph_command(self, name: str, *arguments: Any) -> Any:
        """A FalkorDB command other than a query, e.g. ``GRAPH.CONSTRAINT`` (schema sync)."""
        try:
            return self.graph.execute_command(name, *arguments)
        except RedisError as error:
            raise translate_error(error, name) from error

    def close(self) -> None:
        if self._owns_connection:
            self.graph.client.close()


def neutral_result(result: Any) -> QueryResult:
    """The client's parsed result as neutral records."""
    columns = [column[1] for column in result.header]
    with allocation_burst(len(result.result_set)):
        rows = [[neutral(value) for value in row] for row in result.result_set]
    return QueryResult(columns, rows)


def _async_settings(graph: Any) -> dict[str, Any]:
    """How to open ``falkordb.asyncio`` connections to the server behind a graph handle.

    Read from the handle's connection pool; sync (``falkordb``, ``redislite``) and async
    (``falkordb.asyncio``, ``redislite``'s async client) handles all keep one.
    """
    client = graph.client
    pool = getattr(client, "connection_pool", None) or client.connection.connection_pool
    settings = pool.connection_kwargs
    kwargs: dict[str, Any] = {
        "username": settings.get("username"),
        "password": settings.get("password"),
    }
    if settings.get("path"):
        kwargs["unix_socket_path"] = settings["path"]
    else:
        kwargs["host"] = settings.get("host", "localhost")
        kwargs["port"] = settings.get("port", 6379)
        kwargs["ssl"] = "SSL" in pool.connection_class.__name__
    return kwargs


class _LoopHandle(NamedTuple):
    """The async graph handle one event loop uses, and the bound on its queries."""

    graph: Any
    slots: asyncio.Semaphore | None
    owned: bool


class AsyncFalkorDBDriver:
    """An :class:`~runic.ogm.driver.AsyncGraphDriver` over one FalkorDB graph.

    Takes an async graph handle (``falkordb.asyncio`` or ``redislite``'s async client), or
    a sync one, in which case it opens its own ``falkordb.asyncio`` connections to the same
    server and graph: the I/O is non-blocking, not blocking calls in a thread.

    Async connections belong to the event loop that opened them. The first loop to run a
    query uses ``graph``; any other loop (a second ``asyncio.run``, or
    :func:`~runic.ogm.run_async` inside a notebook) gets its own connections to the same
    graph. ``max_connections`` bounds the queries in flight per loop.
    """

    dialect: Dialect = FALKORDB

    def __init__(
        self, graph: Any, *, owns_connection: bool = False, max_connections: int | None = None
    ) -> None:
        if not hasattr(graph, "query") or not hasattr(graph, "ro_query"):
            raise TypeError(
                "AsyncFalkorDBDriver takes a graph handle such as "
                f"FalkorDB(...).select_graph('name'), got {type(graph).__name__}"
            )
        self._settings = _async_settings(graph)
        self._graph_name: str = graph.name
        self._max_connections = max_connections
        if not inspect.iscoroutinefunction(graph.query):
            graph, owns_connection = self._open_graph(), True
        #: The async handle of the first event loop to use this driver.
        self.graph = graph
        self._first: tuple[Any, bool] | None = (graph, owns_connection)
        self._loops: WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopHandle] = WeakKeyDictionary()

    def _open_graph(self) -> Any:
        from falkordb.asyncio import FalkorDB as AsyncFalkorDB

        client = AsyncFalkorDB(**self._settings, max_connections=self._max_connections)
        return client.select_graph(self._graph_name)

    def _handle(self) -> _LoopHandle:
        loop = asyncio.get_running_loop()
        handle = self._loops.get(loop)
        if handle is None:
            if self._first is not None:
                (graph, owned), self._first = self._first, None
            else:
                graph, owned = self._open_graph(), True
            slots = asyncio.Semaphore(self._max_connections) if self._max_connections else None
            handle = self._loops[loop] = _LoopHandle(graph, slots, owned)
        return handle

    @property
    def name(self) -> str:
        return self._graph_name

    async def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        handle = self._loops.get(asyncio.get_running_loop()) or self._handle()
        if handle.slots is not None:
            async with handle.slots:
                return await self._execute(handle.graph, cypher, params, read_only)
        return await self._execute(handle.graph, cypher, params, read_only)

    @staticmethod
    async def _execute(
        graph: Any, cypher: str, params: Mapping[str, Any] | None, read_only: bool
    ) -> QueryResult:
        arguments = dict(params) if params else None
        try:
            if read_only:
                try:
                    result = await graph.ro_query(cypher, arguments)
                except ResponseError as error:
                    if EMPTY_GRAPH not in str(error):
                        raise
                    result = await graph.query(cypher, arguments)  # see FalkorDBDriver
            else:
                result = await graph.query(cypher, arguments)
        except RedisError as error:
            raise translate_error(error, cypher) from error
        return neutral_result(result)

    async def graph_command(self, name: str, *arguments: Any) -> Any:
        """A FalkorDB command other than a query, e.g. ``GRAPH.CONSTRAINT`` (schema sync)."""
        handle = self._loops.get(asyncio.get_running_loop()) or self._handle()
        try:
            return await handle.graph.execute_command(name, *arguments)
        except RedisError as error:
            raise translate_error(error, name) from error

    async def close(self) -> None:
        """Close the connections this driver opened in the running loop.

        Connections of loops that have ended cannot be closed from here; they go with
        their loop.
        """
        handle = self._loops.pop(asyncio.get_running_loop(), None)
        if handle is None and self._first is not None:
            graph, owned = self._first
            handle = _LoopHandle(graph, None, owned)
        if handle is not None and handle.owned:
            await handle.graph.client.connection.aclose()
