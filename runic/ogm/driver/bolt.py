"""The Bolt driver, over the ``neo4j`` package, for Neo4j 5, Memgraph and ArcadeDB.

Install with ``pip install runic[neo4j]``. Each query runs in its own managed
transaction (``Driver.execute_query``): a flush is one query, so it commits or rolls back
whole, and two sessions never share a transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    """

    def __init__(
        self,
        driver: Any,
        *,
        database: str | None = None,
        dialect: str | Dialect = NEO4J,
        owns_connection: bool = False,
    ) -> None:
        if not isinstance(driver, neo4j.Driver):
            raise TypeError(
                "BoltDriver takes a neo4j.Driver such as GraphDatabase.driver(url, auth=...), "
                f"got {type(driver).__name__}"
            )
        self.dialect = _dialect(dialect)
        self.driver = driver
        self.database = database
        self._owns_connection = owns_connection

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        dialect: str | Dialect = NEO4J,
        **options: Any,
    ) -> BoltDriver:
        """``bolt://`` / ``neo4j://`` (``+s``/``+ssc`` for TLS); options go to the client."""
        client = neo4j.GraphDatabase.driver(url, auth=auth, **options)
        return cls(client, database=database, dialect=dialect, owns_connection=True)

    @property
    def name(self) -> str:
        return self.database or "default"

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        routing = neo4j.RoutingControl.READ if read_only else neo4j.RoutingControl.WRITE
        try:
            records, _, keys = self.driver.execute_query(
                cypher, dict(params or {}), database_=self.database, routing_=routing
            )
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
        return QueryResult(list(keys), [[neutral(value) for value in record] for record in records])

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
