"""The raw clients the benchmark compares runic with, one per backend.

Each runs hand-written Cypher through the backend's own client package (``falkordb``,
``neo4j``, ``psycopg``) and returns its rows, with the few chores a benchmark needs:
empty the graph, index the key, read a returned node's properties.
"""

from __future__ import annotations

import json
import time
from typing import Any

INDEXED = ("BenchUser", "BenchPost")


class FalkorDBRaw:
    def __init__(self, graph: Any) -> None:
        self.graph = graph

    def query(self, cypher: str, params: dict[str, Any] | None = None) -> list[Any]:
        return list(self.graph.query(cypher, params).result_set)

    def ro_query(self, cypher: str, params: dict[str, Any] | None = None) -> list[Any]:
        return list(self.graph.ro_query(cypher, params).result_set)

    @staticmethod
    def properties(node: Any) -> dict[str, Any]:
        return dict(node.properties)

    def empty(self) -> None:
        self.graph.query("MATCH (n) DETACH DELETE n")
        self.graph.query("CREATE (:Seed)")  # keeps the graph key alive between rounds
        self.graph.query("MATCH (s:Seed) DELETE s")
        # A fresh index too (``index()`` makes it again): FalkorDB keeps the deleted
        # nodes' entries in the old one, and each round looks up the same keys again,
        # so every lookup would get slower round after round.
        for label in INDEXED:
            try:
                self.graph.query(f"DROP INDEX FOR (n:{label}) ON (n.id)")
            except Exception as error:  # not indexed yet
                if "unable to drop index" not in str(error).lower():
                    raise
        deadline = time.monotonic() + 30  # a drop finishes in the background
        listing = "CALL db.indexes() YIELD label RETURN count(label)"
        while self.graph.query(listing).result_set[0][0]:
            if time.monotonic() > deadline:
                raise RuntimeError("FalkorDB did not drop the benchmark's indexes in 30 s")
            time.sleep(0.01)

    def index(self) -> None:
        for label in INDEXED:
            try:
                self.graph.query(f"CREATE INDEX FOR (n:{label}) ON (n.id)")
            except Exception as error:  # already there from an earlier round
                if "already indexed" not in str(error):
                    raise


class BoltRaw:
    """The ``neo4j`` package's ``execute_query``, as its documentation recommends."""

    def __init__(self, driver: Any, database: str) -> None:
        self.driver = driver
        self.database = database

    def query(self, cypher: str, params: dict[str, Any] | None = None) -> list[Any]:
        return list(
            self.driver.execute_query(cypher, params or {}, database_=self.database).records
        )

    def ro_query(self, cypher: str, params: dict[str, Any] | None = None) -> list[Any]:
        import neo4j

        return list(
            self.driver.execute_query(
                cypher, params or {}, database_=self.database, routing_=neo4j.RoutingControl.READ
            ).records
        )

    @staticmethod
    def properties(node: Any) -> dict[str, Any]:
        return dict(node)

    def empty(self) -> None:
        self.query("MATCH (n) DETACH DELETE n")

    def index(self) -> None:
        for label in INDEXED:
            self.query(f"CREATE INDEX IF NOT EXISTS FOR (n:{label}) ON (n.id)")


class AGERaw:
    """``psycopg`` running ``cypher()`` by hand. A query whose stages CREATE then MATCH
    runs as one statement per stage in one transaction, as AGE needs."""

    def __init__(self, connection: Any, graph: str) -> None:
        self.connection = connection
        self.graph = graph

    def query(self, cypher: str, params: dict[str, Any] | None = None) -> list[Any]:
        payload = json.dumps(params or {})
        rows: list[Any] = []
        with self.connection.transaction(), self.connection.cursor() as cursor:
            for stage in cypher.split(" WITH count(*) AS _ "):
                columns = stage.count(",", stage.rfind("RETURN")) + 1 if "RETURN" in stage else 1
                declared = ", ".join(f"c{i} agtype" for i in range(columns))
                cursor.execute(
                    f"SELECT * FROM cypher('{self.graph}', $q${stage}$q$, %s) AS ({declared})",
                    (payload,),
                    prepare=False,
                )
                rows = cursor.fetchall()
        return rows

    ro_query = query

    @staticmethod
    def properties(node: Any) -> dict[str, Any]:
        """A vertex as psycopg returns it: agtype text, ``{...}::vertex``."""
        vertex: dict[str, Any] = json.loads(str(node).rsplit("::", 1)[0])
        return dict(vertex["properties"])

    def empty(self) -> None:
        self.query("MATCH (n) DETACH DELETE n")

    def index(self) -> None:
        """The same two indexes on every graph: a GIN index on the properties, which
        serves the raw client's ``{id: $k}`` pattern, and a btree index on ``id``, which
        serves ``WHERE n.id = $k`` (what ``sync_schema`` makes for a key)."""
        from runic.ogm.driver.age import vertex_label_table

        key = "ag_catalog.agtype_access_operator(VARIADIC ARRAY[properties, '\"id\"'::agtype])"
        with self.connection.transaction(), self.connection.cursor() as cursor:
            for label in INDEXED:
                table = vertex_label_table(cursor, self.graph, label)
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{self.graph}_{label}_props" '
                    f"ON {table} USING gin (properties)"
                )
                cursor.execute(
                    f'CREATE INDEX IF NOT EXISTS "{self.graph}_{label}_id" ON {table} ({key})'
                )


class AsyncBoltRaw:
    """The ``neo4j`` package's async ``execute_query``, for the async rows."""

    def __init__(self, driver: Any, database: str) -> None:
        self.driver = driver
        self.database = database

    async def ro_query(self, cypher: str, params: dict[str, Any] | None = None) -> list[Any]:
        import neo4j

        result = await self.driver.execute_query(
            cypher, params or {}, database_=self.database, routing_=neo4j.RoutingControl.READ
        )
        return list(result.records)


class AsyncAGERaw:
    """``cypher()`` by hand over a ``psycopg_pool`` pool of async connections, each set up
    for AGE once, as runic's async driver sets up its own."""

    def __init__(self, conninfo: str, graph: str, max_connections: int) -> None:
        from psycopg_pool import AsyncConnectionPool

        async def configure(connection: Any) -> None:
            await connection.execute("LOAD 'age'")
            await connection.execute('SET search_path = ag_catalog, "$user", public')
            await connection.commit()

        self.pool = AsyncConnectionPool(
            conninfo, max_size=max_connections, configure=configure, open=False
        )
        self.graph = graph

    async def ro_query(self, cypher: str, params: dict[str, Any] | None = None) -> list[Any]:
        if self.pool.closed:
            await self.pool.open(wait=True)
        sql = f"SELECT * FROM cypher('{self.graph}', $q${cypher}$q$, %s) AS (c0 agtype)"
        async with self.pool.connection() as connection, connection.cursor() as cursor:
            await cursor.execute(sql, (json.dumps(params or {}),), prepare=False)
            return list(await cursor.fetchall())

    async def close(self) -> None:
        await self.pool.close()
