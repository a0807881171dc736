"""FalkorDB drivers, over a ``falkordb`` or ``redislite`` graph handle."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

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

    ``falkordb://[user:password@]host[:port]/graph`` for TCP and
    ``falkordb+unix:///path/to/socket?graph=name`` for a unix socket.
    """
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    kwargs: dict[str, Any] = {}
    if parts.username:
        kwargs["username"] = unquote(parts.username)
    if parts.password:
        kwargs["password"] = unquote(parts.password)
    if parts.scheme == "falkordb":
        graph = parts.path.lstrip("/")
        kwargs["host"] = parts.hostname or "localhost"
        kwargs["port"] = parts.port or 6379
    elif parts.scheme == "falkordb+unix":
        graph = query.get("graph", [""])[0]
        if not parts.path:
            raise ValueError(f"{url!r}: a falkordb+unix URL needs a socket path")
        kwargs["unix_socket_path"] = parts.path
    else:
        raise ValueError(f"{url!r}: expected a falkordb:// or falkordb+unix:// URL")
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
        columns = [column[1] for column in result.header]
        with allocation_burst(len(result.result_set)):
            rows = [[neutral(value) for value in row] for row in result.result_set]
        return QueryResult(columns, rows)

    def close(self) -> None:
        if self._owns_connection:
            self.graph.client.close()
