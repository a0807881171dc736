"""FalkorDB drivers, over a ``falkordb`` or ``redislite`` graph handle."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import inspect
import re
import threading
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit
from weakref import WeakKeyDictionary

from falkordb import FalkorDB
from falkordb import Graph as _FalkorGraph
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from runic.ogm.driver.dialect import FALKORDB, Dialect
from runic.ogm.driver.falkordb_lane import (
    AsyncConnectionLane,
    CommandNotSent,
    ConnectionLane,
    NoConnectionFree,
    ReplicasBehind,
    own_async_pool,
    pool_limit,
    watch_embedded,
)
from runic.ogm.driver.falkordb_params import params_header
from runic.ogm.driver.falkordb_results import (
    neutral,
    neutral_result,
    parse_compact,
    parse_compact_async,
)
from runic.ogm.driver.falkordb_topology import (
    TOPOLOGY_SCHEMES,
    GraphClient,
    Topology,
    open_cluster,
    open_sentinel,
    parse_topology_url,
    split_topology_options,
)
from runic.ogm.driver.options import CONNECTION_OPTIONS, POOL_TIMEOUT, take_options
from runic.ogm.driver.records import QueryResult
from runic.ogm.exceptions import (
    ConnectionFailedError,
    ConstraintViolationError,
    DriverError,
    QueryRejectedError,
    QueryTimeoutError,
    ReplicationLagError,
    WriteOutcomeUnknownError,
)

EMPTY_GRAPH = "empty key"
#: How redis-py's Sentinel connections report a READONLY reply from a demoted primary.
_DEMOTED = "previous master is now a slave"
#: Answered by any graph; sent with GRAPH.QUERY it creates a graph that does not exist.
READY_QUERY = "RETURN 0"
# The client's query commands (``falkordb.graph``), with its compact reply format.
_QUERY = "GRAPH.QUERY"
_RO_QUERY = "GRAPH.RO_QUERY"
_COMPACT = "--compact"
#: FalkorDB's answer to a read stopped at its ``TIMEOUT``.
TIMED_OUT = "Query timed out"

__all__ = ["AsyncFalkorDBDriver", "FalkorDBDriver", "neutral", "neutral_result"]


def sends_compact(graph: Any) -> bool:
    """Whether ``graph`` queries as the falkordb client's own ``Graph`` (or ``AsyncGraph``)
    does, so the driver can send that command itself and read the reply with
    :func:`~runic.ogm.driver.falkordb_results.parse_compact`.

    A handle of another class, or of a subclass that changes how it queries, keeps its
    own ``query`` / ``ro_query``.
    """
    cls: Any = type(graph)  # a class is hashable
    return _sends_compact(cls)


@functools.cache
def _sends_compact(cls: Any) -> bool:
    from falkordb.asyncio.graph import AsyncGraph

    for base in (AsyncGraph, _FalkorGraph):  # AsyncGraph subclasses Graph
        if issubclass(cls, base):
            return all(
                getattr(cls, name) is getattr(base, name)
                for name in ("query", "ro_query", "_query", "_build_params_header")
            )
    return False


def translate_error(
    error: RedisError, cypher: str, *, read_only: bool, address: str | None
) -> DriverError:
    """The runic error for a redis-py one: refused by the server, never run (safe to
    send again), or a write whose outcome is unknown."""
    message = str(error)
    where = f" at {address}" if address else ""
    if isinstance(error, ResponseError):
        if "constraint" in message.lower():
            label = re.search(r"of type (\w+)", message)
            return ConstraintViolationError(
                f"FalkorDB refused the write: {message}",
                label=label.group(1) if label else None,
                address=address,
            )
        if TIMED_OUT in message:
            return QueryTimeoutError(
                f"FalkorDB{where} stopped the read at its query_timeout; it changed nothing"
                f"\n--- query ---\n{cypher}",
                address=address,
            )
        return QueryRejectedError(
            f"FalkorDB{where} rejected the query, which changed nothing: {message}"
            f"\n--- query ---\n{cypher}",
            address=address,
        )
    if isinstance(error, ReplicasBehind):
        return ReplicationLagError(
            f"FalkorDB{where} applied the write, but {error}; a failover now could lose it"
            f"\n--- query ---\n{cypher}",
            confirmed=error.confirmed,
            wanted=error.wanted,
            address=address,
        )
    if isinstance(error, RedisConnectionError) and _DEMOTED in message:
        return ConnectionFailedError(
            f"FalkorDB{where}: the primary this connection reached had become a replica "
            f"and refused the query, which changed nothing; the next connection asks "
            f"Sentinel for the new primary\n--- query ---\n{cypher}",
            address=address,
        )
    if not isinstance(error, RedisConnectionError | RedisTimeoutError):
        return DriverError(f"FalkorDB{where}: {message}\n--- query ---\n{cypher}", address=address)
    if isinstance(error, NoConnectionFree):
        return ConnectionFailedError(
            f"FalkorDB{where}: no connection came free: {message}; the query was not sent"
            f"\n--- query ---\n{cypher}",
            address=address,
        )
    if isinstance(error, CommandNotSent) or " connecting to " in message:
        return ConnectionFailedError(
            f"FalkorDB{where} could not be reached ({message}); the query was not sent, "
            f"so it is safe to send again\n--- query ---\n{cypher}",
            address=address,
        )
    if read_only:
        return ConnectionFailedError(
            f"FalkorDB{where} did not answer a read ({message}); a read changes nothing, "
            f"so it is safe to send again\n--- query ---\n{cypher}",
            address=address,
        )
    return WriteOutcomeUnknownError(
        f"FalkorDB{where} did not answer ({message}); the write was sent, so it may or may "
        f"not have been applied, and runic did not send it again\n--- query ---\n{cypher}",
        address=address,
    )


def server_address(graph: Any) -> str | None:
    """``host:port`` or the socket path of the server a graph handle talks to."""
    pool = getattr(redis_client(graph), "connection_pool", None)
    return _address_of(getattr(pool, "connection_kwargs", None) or {})


def _address_of(settings: Mapping[str, Any]) -> str | None:
    path = settings.get("path") or settings.get("unix_socket_path")
    if path:
        return str(path)
    if settings.get("host"):
        return f"{settings['host']}:{settings.get('port', 6379)}"
    return None


@contextlib.contextmanager
def unreachable_as(address: str | None) -> Iterator[None]:
    """Raise a client's failure to reach the server as
    :class:`~runic.ogm.exceptions.ConnectionFailedError`."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as error:
        where = f" at {address}" if address else ""
        raise ConnectionFailedError(
            f"FalkorDB{where} could not be reached ({error}); nothing was sent",
            address=address,
        ) from error


#: Connection options a FalkorDB URL (``?socket_timeout=2``) or ``create_driver`` takes.
URL_OPTIONS = CONNECTION_OPTIONS


def read_timeout(query_timeout: float | None, settings: Mapping[str, Any]) -> int | None:
    """The ``TIMEOUT`` (ms) sent with each read: ``query_timeout``, else 80% of the
    client's ``socket_timeout``, so the server stops a read the client would stop waiting
    for, and its answer (:class:`QueryTimeoutError`) comes before the client gives up.

    FalkorDB applies it to reads only: it does not stop a write part way through.
    """
    seconds = query_timeout
    if seconds is None:
        socket_timeout = settings.get("socket_timeout")
        if socket_timeout is None:
            return None
        seconds = socket_timeout * 0.8
    if seconds <= 0:
        raise ValueError(f"query_timeout must be positive, got {seconds!r}")
    return max(1, round(seconds * 1000))


def _read_args(name: str, query: str, read_only: bool, timeout: int | None) -> tuple[Any, ...]:
    if not read_only:
        return (_QUERY, name, query, _COMPACT)
    if timeout is None:
        return (_RO_QUERY, name, query, _COMPACT)
    return (_RO_QUERY, name, query, "timeout", timeout, _COMPACT)


def parse_falkordb_url(url: str, **options: Any) -> tuple[dict[str, Any], str]:
    """Connection arguments and graph name from a FalkorDB URL.

    ``falkordb://[user:password@]host[:port]/graph`` for TCP (``redis://`` too, and
    ``rediss://`` for TLS) and ``falkordb+unix:///path/to/socket?graph=name`` for a unix
    socket. The options of ``URL_OPTIONS`` (see :mod:`runic.ogm.driver.options`) come
    from the URL's query or ``options``, which win: ``socket_timeout`` (seconds to wait
    for a reply), ``socket_connect_timeout``, ``max_connections`` (queries in flight),
    ``pool_timeout`` (seconds to wait for a free connection) and ``query_timeout``
    (seconds a read may run on the server).
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
    query.pop("graph", None)
    unknown = sorted({*query, *options} - set(URL_OPTIONS))
    if unknown:
        raise ValueError(
            f"{url!r}: unknown FalkorDB option {', '.join(unknown)} "
            f"(known: {', '.join(URL_OPTIONS)})"
        )
    kwargs.update(take_options(url, query, dict(options)))
    return kwargs, graph


def primary_moved(error: RedisError, topology: Topology) -> bool:
    """Whether, through Sentinel, an error says the primary may have moved: the server
    refused a write as a replica (``READONLY``), or a write's replicas were gone. The
    lane's idle connections then still point at the old primary, so they are dropped."""
    if topology.kind != "sentinel":
        return False
    return isinstance(error, ReplicasBehind) or _DEMOTED in str(error)


def falkordb_target(url: str, **options: Any) -> tuple[Topology, dict[str, Any], str]:
    """The deployment (one server, Sentinel or Cluster; see
    :mod:`runic.ogm.driver.falkordb_topology`), the client's connection arguments and the
    graph, from any FalkorDB URL and options."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    chosen = split_topology_options(url, query, options)
    plain = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    if parts.scheme.lower() not in TOPOLOGY_SCHEMES:
        kwargs, graph = parse_falkordb_url(plain, **options)
        if chosen.get("read_from") == "replica" or chosen.get("service"):
            raise ValueError(
                f"{url!r}: read_from='replica' and service= need a falkordb+sentinel:// URL "
                "(runic finds the replicas through Sentinel)"
            )
        return _checked_wait(url, replace(Topology(), **chosen), kwargs), kwargs, graph
    topology, kwargs, graph, rest = parse_topology_url(plain)
    unknown = sorted({*rest, *options} - set(URL_OPTIONS))
    if unknown:
        raise ValueError(f"{url!r}: unknown FalkorDB option {', '.join(unknown)}")
    kwargs.update(take_options(url, rest, dict(options)))
    topology = replace(topology, **chosen)
    if topology.kind == "cluster" and (topology.reads_from_replicas or topology.wait_replicas):
        raise ValueError(
            f"{url!r}: read_from='replica' and wait_replicas are not available on a cluster "
            "yet; each shard's primary serves its graphs"
        )
    return _checked_wait(url, topology, kwargs), kwargs, graph


def _checked_wait(url: str, topology: Topology, kwargs: dict[str, Any]) -> Topology:
    """A write's reply comes once its replicas confirmed it: the client must wait longer
    than ``wait_timeout`` for it, or a write applied on the primary would look lost."""
    socket_timeout = kwargs.get("socket_timeout")
    too_short = socket_timeout is not None and socket_timeout <= topology.wait_timeout
    if topology.wait_replicas and too_short:
        raise ValueError(
            f"{url!r}: socket_timeout ({socket_timeout:g} s) must be longer than "
            f"wait_timeout ({topology.wait_timeout:g} s): a write's reply waits for "
            "its replicas"
        )
    return topology


def no_retry() -> Retry:
    """redis-py's retry policy for runic's own connections: never resend a command.

    redis-py (6 and later) resends a command after a ConnectionError or TimeoutError by
    default; a GRAPH.QUERY that reached the server may already have been applied.
    """
    return Retry(NoBackoff(), 0)


def async_no_retry() -> AsyncRetry:
    """:func:`no_retry` for ``redis.asyncio`` connections."""
    return AsyncRetry(NoBackoff(), 0)


class SendOnce:
    """A graph handle's ``execute_command`` for writes: one send, never resent.

    redis-py wraps ``execute_command`` in the connection's retry policy, which the user's
    handle may have (``redis.Redis`` and ``redislite`` retry ten times by default). This
    takes a connection from the same pool, sends the command and reads the reply once;
    on a connection error or timeout the connection is dropped and the error raised.
    """

    def __init__(self, client: Any) -> None:
        self.client = client

    def __call__(self, *args: Any, **options: Any) -> Any:
        client = self.client
        single = getattr(client, "connection", None)  # a single-connection client
        if single is not None:
            with client.single_connection_lock:
                return self._send(single, args, options)
        pool = client.connection_pool
        connection = pool.get_connection()
        try:
            return self._send(connection, args, options)
        finally:
            pool.release(connection)

    def _send(self, connection: Any, args: tuple[Any, ...], options: dict[str, Any]) -> Any:
        # Both calls drop the connection themselves on a socket error or timeout.
        connection.send_command(*args)
        return self.client.parse_response(connection, args[0], **options)


class AsyncSendOnce(SendOnce):
    """``SendOnce`` for ``redis.asyncio`` clients (``falkordb.asyncio``, redislite)."""

    async def __call__(self, *args: Any, **options: Any) -> Any:
        client = self.client
        await client.initialize()
        single = getattr(client, "connection", None)
        if single is not None:
            async with client._single_conn_lock:
                return await self._send_async(single, args, options)
        pool = client.connection_pool
        connection = await pool.get_connection()
        try:
            return await self._send_async(connection, args, options)
        finally:
            await pool.release(connection)

    async def _send_async(
        self, connection: Any, args: tuple[Any, ...], options: dict[str, Any]
    ) -> Any:
        await connection.send_command(*args)
        return await self.client.parse_response(connection, args[0], **options)


def redis_client(graph: Any) -> Any:
    """The redis-py client behind a graph handle, or None (a cluster client has no pool).

    ``falkordb`` graphs hold their ``FalkorDB`` object (the client is its ``connection``);
    ``redislite`` graphs hold the client itself.
    """
    client = getattr(graph, "client", None)
    if not hasattr(client, "connection_pool"):
        client = getattr(client, "connection", None)
    return client if hasattr(client, "connection_pool") else None


def own_lane[L: (ConnectionLane, AsyncConnectionLane)](
    graph: Any, lane: type[L], limit: int | None, timeout: float = POOL_TIMEOUT
) -> L | None:
    """The driver's own connections to the handle's server (see ``falkordb_lane``), for
    a handle of the client's own graph class over a pooled client; None for any other
    handle, which keeps its own query methods."""
    client = redis_client(graph)
    if client is None or not sends_compact(graph):
        return None
    if getattr(client, "single_connection_client", False) or getattr(client, "connection", None):
        return None  # one connection and its own lock
    pool = client.connection_pool
    return lane(pool, pool_limit(pool, limit), timeout)


def other_graph(graph: Any, name: str) -> Any:
    """A handle of graph ``name`` over the same client as ``graph``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"for_graph(): a graph name is a non-empty string, got {name!r}")
    select = getattr(graph.client, "select_graph", None)
    return select(name) if select is not None else type(graph)(graph.client, name)


def write_handle(graph: Any, send: type[SendOnce]) -> Any:
    """A copy of ``graph`` whose commands go through ``send``; it shares the client, the
    pool and the schema cache, so reads keep the handle's own retry policy."""
    client = redis_client(graph)
    if client is None:
        return graph  # not a redis-py client (a cluster): its own policy applies
    writer = copy.copy(graph)
    writer.execute_command = send(client)
    return writer


class FalkorDBDriver:
    """A :class:`~runic.ogm.driver.base.GraphDriver` over one FalkorDB graph.

    Writes are sent once (``SendOnce``), whatever the handle's retry policy; reads
    use the handle as it is configured.
    """

    dialect: Dialect = FALKORDB

    def __init__(
        self,
        graph: Any,
        *,
        owns_connection: bool = False,
        max_connections: int | None = None,
        pool_timeout: float = POOL_TIMEOUT,
        query_timeout: float | None = None,
        replicas: Any = None,
        topology: Topology | None = None,
    ) -> None:
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
        self._address = server_address(graph)
        self._writer = write_handle(graph, SendOnce)
        watch_embedded(redis_client(graph))
        #: For a handle of the client's own Graph: the driver sends its command on its own
        #: connections and reads the reply with ``parse_compact``.
        self._lane = own_lane(graph, ConnectionLane, max_connections, pool_timeout)
        self._read_timeout = read_timeout(query_timeout, _pool_settings(graph))
        self._owns_connection = owns_connection
        self._graph_ready = False
        self._ready_lock = threading.Lock()
        self.topology = topology or Topology()
        #: Made by :meth:`for_graph`: the connections are another driver's.
        self._derived = False
        self._wait = self.topology.wait_command()
        if self.topology.kind != "server":
            self._address = self.topology.describe()
        #: Read-only queries go to the replicas (``read_from="replica"``).
        self._replicas = replicas
        self._replica_lane = (
            None
            if replicas is None
            else ConnectionLane(replicas.connection_pool, max_connections, pool_timeout)
        )
        if self._wait is not None and self._lane is None:
            raise ValueError("wait_replicas needs a handle of the falkordb client's own Graph")

    @classmethod
    def from_url(cls, url: str, **options: Any) -> FalkorDBDriver:
        """A driver with its own client, from a URL (see :func:`parse_falkordb_url`, and
        :mod:`runic.ogm.driver.falkordb_topology` for Sentinel and Cluster URLs)."""
        topology, kwargs, graph = falkordb_target(url, **options)
        wait = kwargs.pop("pool_timeout", POOL_TIMEOUT)
        query_timeout = kwargs.pop("query_timeout", None)
        replicas = None
        if topology.kind == "sentinel":
            with unreachable_as(topology.describe()):
                primary, replicas = open_sentinel(topology, kwargs, no_retry(), asynchronous=False)
            handle = _FalkorGraph(GraphClient(primary), graph)
        elif topology.kind == "cluster":
            with unreachable_as(topology.describe()):  # it asks for the slots at once
                cluster = open_cluster(topology, kwargs, no_retry(), asynchronous=False)
            handle = _FalkorGraph(GraphClient(cluster), graph)
        else:
            with unreachable_as(_address_of(kwargs)):  # the client asks the server at once
                handle = FalkorDB(**kwargs, retry=no_retry()).select_graph(graph)
        return cls(
            handle,
            owns_connection=True,
            pool_timeout=wait,
            query_timeout=query_timeout,
            replicas=replicas,
            topology=topology,
        )

    @property
    def name(self) -> str:
        return str(self.graph.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(graph={self.name!r}, server={self._address!r})"

    def _send(self, query: str, read_only: bool, primary: bool = False) -> QueryResult:
        graph, lane = self.graph, self._lane
        if read_only and not primary and self._replica_lane is not None:
            lane = self._replica_lane
        if lane is not None:
            return lane.send(
                _read_args(graph.name, query, read_only, self._read_timeout),
                read_only=read_only,
                read=functools.partial(parse_compact, schema=graph.schema),
                wait=None if read_only else self._wait,
            )
        # Another kind of handle parses its own replies; writes go out once.
        if read_only:
            timeout = self._read_timeout
            result = (
                graph.ro_query(query) if timeout is None else graph.ro_query(query, timeout=timeout)
            )
            return neutral_result(result)
        return neutral_result(self._writer.query(query))

    @property
    def reads_from_replicas(self) -> bool:
        """Whether read-only queries go to replicas (a session that wrote then reads
        through :meth:`execute_on_primary`)."""
        return self._replica_lane is not None

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        return self._execute(cypher, params, read_only, False)

    def execute_on_primary(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        """``execute()``, reads included, on the primary: where this session's own
        writes are, whatever a replica has applied so far."""
        return self._execute(cypher, params, read_only, True)

    def _execute(
        self, cypher: str, params: Mapping[str, Any] | None, read_only: bool, primary: bool
    ) -> QueryResult:
        # The parameters go in front as the client's ``CYPHER ...`` header, written by
        # runic (faster, same text); the client is given none and sends ``query`` as is.
        query = params_header(params) + cypher if params else cypher
        if not read_only and not self._graph_ready:
            try:
                self._ensure_graph()
            except RedisError as error:  # only READY_QUERY was sent: safe to send again
                raise translate_error(
                    error, cypher, read_only=True, address=self._address
                ) from error
        try:
            if not read_only:
                return self._send(query, False)
            try:
                return self._send(query, True, primary)
            except ResponseError as error:
                if EMPTY_GRAPH not in str(error):
                    raise
                # A graph nobody wrote to yet does not exist for GRAPH.RO_QUERY.
                self._graph_ready = False
                self._ensure_graph()
                return self._send(query, True, True)  # made on the primary just now
        except RedisError as error:
            if self._lane is not None and primary_moved(error, self.topology):
                self._lane.drop_idle()  # the next connection asks Sentinel again
            raise translate_error(
                error, cypher, read_only=read_only, address=self._address
            ) from error

    def _ensure_graph(self) -> None:
        """Make the graph exist, with one query, before this driver's first GRAPH.QUERY.

        FalkorDB (4.16 and 4.22) does not keep concurrent writes apart on a graph that
        several concurrent queries brought into existence: 50 concurrent MERGEs of one
        key then made up to 50 nodes. On a graph that one query created first they make
        one. The driver's queries wait for that one query. The same holds for a label
        that concurrent MERGEs meet first: sessions index a key before they MERGE it
        (``SessionCore._index_keys``), which makes the label exist.
        """
        if self._graph_ready:
            return
        with self._ready_lock:
            if self._graph_ready:
                return
            try:
                self.graph.ro_query(READY_QUERY)
            except ResponseError as error:
                if EMPTY_GRAPH not in str(error):
                    raise
                self._writer.query(READY_QUERY)  # GRAPH.QUERY creates the graph
            self._graph_ready = True

    def for_graph(self, name: str) -> FalkorDBDriver:
        """A driver for graph ``name`` of the same deployment (a graph per tenant),
        sharing this driver's connections. Close this driver, not the ones it made."""
        other = copy.copy(self)
        other.graph = other_graph(self.graph, name)
        other._writer = write_handle(other.graph, SendOnce)
        other._owns_connection = False
        other._derived = True
        other._graph_ready = False
        other._ready_lock = threading.Lock()
        return other

    def graph_command(self, name: str, *arguments: Any) -> Any:
        """A FalkorDB command other than a query, e.g. ``GRAPH.CONSTRAINT`` (schema sync);
        sent once, as a write."""
        try:
            self._ensure_graph()
            return self._writer.execute_command(name, *arguments)
        except RedisError as error:
            raise translate_error(error, name, read_only=False, address=self._address) from error

    def ping(self) -> None:
        """Check the server answers (a ``PING``); raise
        :class:`~runic.ogm.exceptions.ConnectionFailedError` if not."""
        try:
            if self._lane is not None:
                self._lane.send(("PING",), read_only=True)
            else:
                self._writer.execute_command("PING")
        except RedisError as error:
            raise translate_error(error, "PING", read_only=True, address=self._address) from error

    def close(self) -> None:
        if self._derived:
            return  # the connections are the driver's it was made from
        for lane in (self._lane, self._replica_lane):
            if lane is not None:
                lane.close()
        if self._owns_connection:
            self.graph.client.close()
            if self._replicas is not None:
                self._replicas.close()


async def _send(
    handle: _LoopHandle,
    query: str,
    read_only: bool,
    timeout: int | None,
    wait: tuple[Any, ...] | None = None,
    primary: bool = False,
) -> QueryResult:
    """``FalkorDBDriver._send`` for one event loop's handle."""
    graph, lane = handle.graph, handle.lane
    if read_only and not primary and handle.replica_lane is not None:
        lane = handle.replica_lane
    if lane is not None:
        return await lane.send(
            _read_args(graph.name, query, read_only, timeout),
            read_only=read_only,
            read=functools.partial(parse_compact_async, schema=graph.schema),
            wait=None if read_only else wait,
        )
    if read_only:
        if timeout is None:
            return neutral_result(await graph.ro_query(query))
        return neutral_result(await graph.ro_query(query, timeout=timeout))
    return neutral_result(await handle.writer.query(query))


def _pool_of(graph: Any) -> Any:
    """The connection pool behind a graph handle: sync (``falkordb``, ``redislite``) and
    async (``falkordb.asyncio``, ``redislite``'s async client) handles all keep one."""
    client = graph.client
    return getattr(client, "connection_pool", None) or client.connection.connection_pool


def _one_server(graph: Any) -> bool:
    """Whether a sync handle talks to one server (its pool names the address), rather
    than through Sentinel or to a cluster."""
    client = redis_client(graph)
    pool = getattr(client, "connection_pool", None)
    settings = getattr(pool, "connection_kwargs", None) or {}
    return pool is not None and "connection_pool" not in settings


def _pool_settings(graph: Any) -> Mapping[str, Any]:
    pool = getattr(redis_client(graph), "connection_pool", None)
    return getattr(pool, "connection_kwargs", None) or {}


def _async_settings(graph: Any) -> dict[str, Any]:
    """How to open ``falkordb.asyncio`` connections to the server behind a graph handle,
    read from the handle's connection pool."""
    pool = _pool_of(graph)
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
    for timeout in ("socket_timeout", "socket_connect_timeout"):  # kept, not dropped
        if settings.get(timeout) is not None:
            kwargs[timeout] = settings[timeout]
    return kwargs


class _LoopHandle(NamedTuple):
    """The async graph handle one event loop uses, and the bound on its queries."""

    graph: Any
    #: The bound on queries in flight when they go through the handle (no lane).
    slots: asyncio.Semaphore | None
    owned: bool
    #: ``graph`` with writes sent once (``AsyncSendOnce``).
    writer: Any
    #: Held while the graph is being made to exist (see ``FalkorDBDriver._ensure_graph``).
    ready: asyncio.Lock
    #: The driver's own connections, for a handle of the client's own AsyncGraph.
    lane: AsyncConnectionLane | None
    #: Connections to the replicas (``read_from="replica"``), and their client.
    replica_lane: AsyncConnectionLane | None = None
    replicas: Any = None


class AsyncFalkorDBDriver:
    """An :class:`~runic.ogm.driver.base.AsyncGraphDriver` over one FalkorDB graph.

    Takes an async graph handle (``falkordb.asyncio`` or ``redislite``'s async client), or
    a sync one, in which case it opens its own ``falkordb.asyncio`` connections to the same
    server and graph: the I/O is non-blocking, not blocking calls in a thread.

    Async connections belong to the event loop that opened them. The first loop to run a
    query uses ``graph``; any other loop (a second ``asyncio.run``, or
    :func:`~runic.ogm.running.run_async` inside a notebook) gets its own connections to the same
    graph. ``max_connections`` bounds the queries in flight per loop.

    Writes are sent once (``AsyncSendOnce``), whatever the handle's retry policy;
    the connections the driver opens itself never retry at all.
    """

    dialect: Dialect = FALKORDB

    def __init__(
        self,
        graph: Any,
        *,
        owns_connection: bool = False,
        max_connections: int | None = None,
        pool_timeout: float = POOL_TIMEOUT,
        query_timeout: float | None = None,
    ) -> None:
        if not hasattr(graph, "query") or not hasattr(graph, "ro_query"):
            raise TypeError(
                "AsyncFalkorDBDriver takes a graph handle such as "
                f"FalkorDB(...).select_graph('name'), got {type(graph).__name__}"
            )
        watch_embedded(redis_client(graph))
        if not inspect.iscoroutinefunction(graph.query) and not _one_server(graph):
            raise TypeError(
                "AsyncFalkorDBDriver mirrors a sync handle of one server only; for Sentinel "
                "or Cluster, make it from the URL: create_async_driver(url)"
            )
        # A sync handle's pool size and timeouts carry over to the connections opened here.
        limit = pool_limit(_pool_of(graph), max_connections)
        settings = _async_settings(graph)
        self._setup(settings, graph.name, limit, pool_timeout, query_timeout, Topology())
        if not inspect.iscoroutinefunction(graph.query):
            graph, owns_connection = self._open_graph(), True
        self._start(graph, owns_connection)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> AsyncFalkorDBDriver:
        """A driver with its own async connections, from a URL (see
        :func:`parse_falkordb_url`)."""
        topology, settings, graph = falkordb_target(url, **options)
        driver = cls.__new__(cls)
        limit, wait = settings.pop("max_connections", None), settings.pop("pool_timeout", None)
        query_timeout = settings.pop("query_timeout", None)
        wait = POOL_TIMEOUT if wait is None else wait
        driver._setup(settings, graph, limit, wait, query_timeout, topology)
        driver._start(driver._open_graph(), True)
        return driver

    def _setup(
        self,
        settings: dict[str, Any],
        graph_name: str,
        limit: int | None,
        wait: float,
        query_timeout: float | None,
        topology: Topology,
    ) -> None:
        self.topology = topology
        self._wait = topology.wait_command()
        self._settings = settings
        self._read_timeout = read_timeout(query_timeout, settings)
        self._graph_name: str = graph_name
        self._max_connections = limit
        self._pool_timeout = wait
        self._graph_ready = False

    def _start(self, graph: Any, owns_connection: bool) -> None:
        #: The async handle of the first event loop to use this driver.
        self.graph = graph
        self._address = (
            server_address(graph) if self.topology.kind == "server" else self.topology.describe()
        )
        self._first: tuple[Any, bool] | None = (graph, owns_connection)
        self._first_replicas = getattr(self, "_opened_replicas", None)
        #: The driver :meth:`for_graph` made this one from, whose connections it uses.
        self._parent: AsyncFalkorDBDriver | None = None
        self._loops: WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopHandle] = WeakKeyDictionary()
        #: The last loop to run a query and its handle: the common case, found without a
        #: weak dictionary lookup. (A loop closed and replaced by a new one at the same
        #: address is not the same object while this holds it.)
        self._last: tuple[weakref.ref[asyncio.AbstractEventLoop], _LoopHandle] | None = None

    def _open_graph(self) -> Any:
        """A new async graph handle of this driver's own (one per event loop); over
        Sentinel, the replicas' client goes with it (``_replicas``)."""
        from falkordb.asyncio import FalkorDB as AsyncFalkorDB
        from falkordb.asyncio.graph import AsyncGraph

        topology = self.topology
        if topology.kind == "sentinel":
            settings = {**self._settings, "max_connections": self._max_connections}
            with unreachable_as(topology.describe()):
                primary, replicas = open_sentinel(
                    topology, settings, async_no_retry(), asynchronous=True
                )
            own_async_pool(primary.connection_pool)
            if replicas is not None:
                own_async_pool(replicas.connection_pool)
            self._opened_replicas = replicas
            return AsyncGraph(GraphClient(primary), self._graph_name)
        self._opened_replicas = None
        if topology.kind == "cluster":
            settings = {**self._settings, "max_connections": self._max_connections}
            cluster = open_cluster(topology, settings, async_no_retry(), asynchronous=True)
            return AsyncGraph(GraphClient(cluster), self._graph_name)
        with unreachable_as(_address_of(self._settings)):  # it asks the server at once
            client = AsyncFalkorDB(**self._settings, max_connections=self._max_connections)
        # Set after construction: falkordb.asyncio probes the server with a sync client
        # built from the same arguments, which an asyncio Retry would break.
        client.connection.set_retry(async_no_retry())
        own_async_pool(client.connection.connection_pool)
        return client.select_graph(self._graph_name)

    def for_graph(self, name: str) -> AsyncFalkorDBDriver:
        """See :meth:`FalkorDBDriver.for_graph`: each event loop's handle of graph
        ``name`` shares the connections of this driver's handle in that loop."""
        other = copy.copy(self)
        root = self._parent or self
        other._parent = root
        other._graph_name = name
        other.graph = other_graph(root.graph, name)
        other._first = None
        other._loops = WeakKeyDictionary()
        other._last = None
        other._graph_ready = False
        return other

    def _handle(self) -> _LoopHandle:
        loop = asyncio.get_running_loop()
        handle = self._loops.get(loop)
        if handle is None and self._parent is not None:
            base = self._parent._loops.get(loop) or self._parent._handle()
            graph = other_graph(base.graph, self._graph_name)
            writer = write_handle(graph, AsyncSendOnce)
            handle = base._replace(graph=graph, owned=False, writer=writer, ready=asyncio.Lock())
            self._loops[loop] = handle
        if handle is None:
            if self._first is not None:
                (graph, owned), self._first = self._first, None
                replicas = self._first_replicas
            else:
                graph, owned = self._open_graph(), True
                replicas = self._opened_replicas
            slots = asyncio.Semaphore(self._max_connections) if self._max_connections else None
            lane = own_lane(graph, AsyncConnectionLane, self._max_connections, self._pool_timeout)
            if lane is not None:
                slots = None  # the lane bounds its queries itself
            elif self._wait is not None:
                raise ValueError("wait_replicas needs a handle of the falkordb client's own Graph")
            replica_lane = None
            if replicas is not None:
                replica_lane = AsyncConnectionLane(
                    replicas.connection_pool, self._max_connections, self._pool_timeout
                )
            writer = write_handle(graph, AsyncSendOnce)
            handle = _LoopHandle(
                graph, slots, owned, writer, asyncio.Lock(), lane, replica_lane, replicas
            )
            self._loops[loop] = handle
        return handle

    @property
    def name(self) -> str:
        return self._graph_name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(graph={self.name!r}, server={self._address!r})"

    @property
    def reads_from_replicas(self) -> bool:
        """See :attr:`FalkorDBDriver.reads_from_replicas`."""
        return self.topology.reads_from_replicas

    async def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        return await self._run(cypher, params, read_only, False)

    async def execute_on_primary(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        """See :meth:`FalkorDBDriver.execute_on_primary`."""
        return await self._run(cypher, params, read_only, True)

    async def _run(
        self, cypher: str, params: Mapping[str, Any] | None, read_only: bool, primary: bool
    ) -> QueryResult:
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0]() is loop:
            handle = last[1]
        else:
            handle = self._loops.get(loop) or self._handle()
            self._last = (weakref.ref(loop), handle)
        if handle.slots is not None:
            async with handle.slots:
                return await self._execute(handle, cypher, params, read_only, primary)
        return await self._execute(handle, cypher, params, read_only, primary)

    async def _execute(
        self,
        handle: _LoopHandle,
        cypher: str,
        params: Mapping[str, Any] | None,
        read_only: bool,
        primary: bool,
    ) -> QueryResult:
        query = params_header(params) + cypher if params else cypher  # see FalkorDBDriver.execute
        if not read_only and not self._graph_ready:  # see FalkorDBDriver.execute
            try:
                await self._ensure_graph(handle)
            except RedisError as error:
                raise translate_error(
                    error, cypher, read_only=True, address=self._address
                ) from error
        try:  # see FalkorDBDriver.execute
            if not read_only:
                return await _send(handle, query, False, None, self._wait)
            try:
                return await _send(handle, query, True, self._read_timeout, None, primary)
            except ResponseError as error:
                if EMPTY_GRAPH not in str(error):
                    raise
                self._graph_ready = False
                await self._ensure_graph(handle)
                return await _send(handle, query, True, self._read_timeout, None, True)
        except RedisError as error:
            if handle.lane is not None and primary_moved(error, self.topology):
                await handle.lane.close()  # the next connection asks Sentinel again
            raise translate_error(
                error, cypher, read_only=read_only, address=self._address
            ) from error

    async def _ensure_graph(self, handle: _LoopHandle) -> None:
        """See ``FalkorDBDriver._ensure_graph``: the graph is made by one query, first."""
        if self._graph_ready:
            return
        async with handle.ready:
            if self._graph_ready:
                return
            try:
                await handle.graph.ro_query(READY_QUERY)
            except ResponseError as error:
                if EMPTY_GRAPH not in str(error):
                    raise
                await handle.writer.query(READY_QUERY)
            self._graph_ready = True

    async def graph_command(self, name: str, *arguments: Any) -> Any:
        """A FalkorDB command other than a query, e.g. ``GRAPH.CONSTRAINT`` (schema sync);
        sent once, as a write."""
        handle = self._loops.get(asyncio.get_running_loop()) or self._handle()
        try:
            await self._ensure_graph(handle)
            return await handle.writer.execute_command(name, *arguments)
        except RedisError as error:
            raise translate_error(error, name, read_only=False, address=self._address) from error

    async def ping(self) -> None:
        """Check the server answers (a ``PING``); raise
        :class:`~runic.ogm.exceptions.ConnectionFailedError` if not."""
        handle = self._loops.get(asyncio.get_running_loop()) or self._handle()
        try:
            if handle.lane is not None:
                await handle.lane.send(("PING",), read_only=True)
            else:
                await handle.writer.execute_command("PING")
        except RedisError as error:
            raise translate_error(error, "PING", read_only=True, address=self._address) from error

    async def close(self) -> None:
        """Close the connections this driver opened in the running loop.

        Connections of loops that have ended cannot be closed from here; they go with
        their loop.
        """
        self._last = None
        handle = self._loops.pop(asyncio.get_running_loop(), None)
        if self._parent is not None:
            return  # the connections are the driver's it was made from
        if handle is None and self._first is not None:
            graph, owned = self._first
            replicas = self._first_replicas
            handle = _LoopHandle(graph, None, owned, graph, asyncio.Lock(), None, None, replicas)
        if handle is None:
            return
        for lane in (handle.lane, handle.replica_lane):
            if lane is not None:
                await lane.close()
        if handle.owned:
            await handle.graph.client.connection.aclose()
            if handle.replicas is not None:
                await handle.replicas.aclose()
