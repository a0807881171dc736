"""runic reads FalkorDB's compact replies itself (``falkordb_results.parse_compact``):
every value type FalkorDB returns must come out exactly as the falkordb client's parse
followed by ``neutral_result`` gives it, types included."""

from __future__ import annotations

import math
from typing import Any

import pytest
from falkordb.query_result import QueryResult as ClientResult

from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver, sends_compact
from runic.ogm.driver.falkordb_results import fast_parse, neutral_result, parse_compact
from runic.ogm.driver.records import GraphEdge, GraphNode
from runic.ogm.exceptions import DriverError

SETUP = """
CREATE (a:Person:Admin {name: 'Ann', age: 41, score: 1.5, ok: true, tags: ['x', 'y'],
                        big: 9223372036854775807, small: -9223372036854775807 - 1,
                        uni: 'é 日本 😀', neg: -0.0, tiny: 1e-300})
CREATE (b:Person {name: 'Bob', nums: [1, 2, 3], flags: [true, false], floats: [0.1, 1e300]})
CREATE (c:Place {at: point({latitude: 1.5, longitude: -2.25}), v: vecf32([1.0, 2.5]),
                 d: date('2020-02-29'), t: localtime('10:11:12'),
                 dt: localdatetime('2020-01-01T10:00:00'), dur: duration('P1DT2H')})
CREATE (e {name: 'no label'})
CREATE (a)-[:KNOWS {since: 2001, w: 0.5, note: 'ü'}]->(b)
CREATE (b)-[:LIVES_IN]->(c)
CREATE (a)-[:LIKES]->(a)
"""

#: Read queries covering every value type, on the graph SETUP makes.
QUERIES = [
    "MATCH (n) RETURN n ORDER BY id(n)",
    "MATCH (n:Person) RETURN n.name, n.age, n.score, n.ok, n.tags ORDER BY n.name",
    "MATCH (n:Person {name: 'Ann'}) RETURN n.big, n.small, n.uni, n.neg, n.tiny",
    "MATCH (n:Person {name: 'Bob'}) RETURN n.nums, n.flags, n.floats, n.missing",
    "MATCH ()-[r]->() RETURN r ORDER BY id(r)",
    "MATCH (a)-[r]->(b) RETURN a, r, b ORDER BY id(r)",
    "MATCH p = (:Person)-[*1..2]->() RETURN p ORDER BY length(p), id(nodes(p)[-1])",
    "MATCH (a:Person)-[r]->(b) RETURN {a: a, r: r, names: [a.name, b.name], n: null}"
    " ORDER BY id(r)",
    "RETURN {k: 1, m: {deep: [1, [2, [3, {x: 'y'}]]]}, e: {}, l: []}",
    "RETURN [[1, 2], [], ['a', null, true, 1.5], [[[]]]]",
    "RETURN null, [null], {n: null}",
    "RETURN 2^70, 1/3, -1.0 / 3, 0.1 + 0.2, 1e16, toFloat(9007199254740993)",
    "RETURN 9223372036854775807, -9223372036854775807 - 1, 0, -1",
    "RETURN '', 'é 日本 😀 \U0001d11e', 'quote \" and \\\\ backslash', 'line\\nbreak'",
    "RETURN true, false, [true, false]",
    "MATCH (c:Place) RETURN c",
    "MATCH (c:Place) RETURN c.at, c.v, c.d, c.t, c.dt, c.dur",
    "RETURN point({latitude: 1, longitude: 2}), vecf32([0.5, -1.0])",
    "RETURN date('2024-02-29'), localtime('23:59:59'), localdatetime('1999-12-31T23:59:59')",
    "RETURN duration('P1Y2M3DT4H5M6S')",
    "RETURN [point({latitude: 0, longitude: 0}), 1], {p: date('2020-01-01')}",
    "MATCH (n) WHERE n.name = 'nobody' RETURN n",
    "MATCH (n) WHERE n.name = 'nobody' RETURN count(n), collect(n)",
    "MATCH (n {name: 'no label'}) RETURN n, labels(n)",
    "UNWIND range(1, 2500) AS i RETURN i, toString(i), i * 0.5, i % 2 = 0",
    "MATCH (n:Person) RETURN n.name AS name, count(*) AS c ORDER BY name",
    "CALL db.labels() YIELD label RETURN label ORDER BY label",
]


def shape(value: Any) -> Any:
    """``value`` with the type of everything in it (and a float's sign), for an exact
    comparison."""
    if isinstance(value, GraphNode):
        return ["node", shape(value.id), [shape(label) for label in value.labels],
                type(value.labels).__name__, shape(value.properties)]  # fmt: skip
    if isinstance(value, GraphEdge):
        return ["edge", shape(value.id), shape(value.type), shape(value.start),
                shape(value.end), shape(value.properties)]  # fmt: skip
    if isinstance(value, list):
        return ["list", [shape(item) for item in value]]
    if isinstance(value, dict):
        return [type(value).__name__, [(shape(key), shape(item)) for key, item in value.items()]]
    if isinstance(value, float):
        return ["float", repr(value), math.copysign(1.0, value)]
    return [type(value).__name__, repr(value)]


def same(ours: Any, theirs: Any) -> None:
    assert ours == theirs
    assert type(ours) is type(theirs)
    assert shape(ours.columns) == shape(theirs.columns)
    assert shape(ours.rows) == shape(theirs.rows)


def client(graph: Any, cypher: str) -> Any:
    return neutral_result(graph.ro_query(cypher))


def test_the_driver_reads_the_compact_reply_itself(graph: Any) -> None:
    assert sends_compact(graph)
    assert FalkorDBDriver(graph)._lane is not None


@pytest.mark.parametrize("cypher", QUERIES)
def test_reads_equal_the_clients(graph: Any, cypher: str) -> None:
    driver = FalkorDBDriver(graph)
    driver.execute(SETUP)
    same(driver.execute(cypher, read_only=True), client(graph, cypher))
    # The same reply, parsed both ways (no schema refresh in between).
    reply = graph.execute_command("GRAPH.RO_QUERY", graph.name, cypher, "--compact")
    same(parse_compact(reply, graph.schema), neutral_result(ClientResult(graph, reply)))


def test_the_fast_path_reads_the_common_types(graph: Any) -> None:
    driver = FalkorDBDriver(graph)
    driver.execute(SETUP)
    client(graph, "MATCH (a)-[r]->(b) RETURN a, r, b")  # fills the schema cache

    def reply(cypher: str) -> Any:
        return graph.execute_command("GRAPH.RO_QUERY", graph.name, cypher, "--compact")

    # Nodes holding a point, a vector or a temporal value go to the client too.
    place = ("RETURN n ORDER BY id(n)", "RETURN a, r, b", "{a: a, r: r", ":Place")
    for cypher in QUERIES:
        parsed = fast_parse(reply(cypher), graph.schema)
        if any(part in cypher for part in place) or "p = " in cypher or "(" in cypher[7:]:
            if "p = " in cypher or ":Place" in cypher or "RETURN n ORDER" in cypher:
                assert parsed is None, cypher
        else:
            assert parsed is not None, cypher
    for cypher in ("MATCH (n:Person) RETURN n", "MATCH (:Person)-[r]->(:Person) RETURN r"):
        assert fast_parse(reply(cypher), graph.schema) is not None, cypher


def test_write_queries_equal_the_clients(graph: Any) -> None:
    driver = FalkorDBDriver(graph)
    result = driver.execute("CREATE (n:W {k: 1})")
    assert result.columns == [] and result.rows == []
    result = driver.execute("CREATE (n:W:X {k: 2, s: 'two'}) RETURN n, n.k")
    node = result.rows[0][0]
    assert shape(result.rows) == shape([[GraphNode(node.id, ("W", "X"), {"k": 2, "s": "two"}), 2]])
    same(result, client(graph, f"MATCH (n) WHERE id(n) = {node.id} RETURN n, n.k"))
    result = driver.execute("MATCH (n:W) SET n.k = n.k + 1")
    assert result.rows == []
    for cypher in (
        "CREATE (:Y {q: 1})",
        "MATCH (n:W) SET n.k = 5 RETURN count(n)",
        "MATCH (n:Y) DELETE n",
        "CREATE (a:Y)-[r:T {w: 1.5}]->(b:Y) RETURN a, r, b",
        "CREATE INDEX FOR (n:Y) ON (n.q)",
    ):
        reply = graph.execute_command("GRAPH.QUERY", graph.name, cypher, "--compact")
        same(parse_compact(reply, graph.schema), neutral_result(ClientResult(graph, reply)))


def test_names_created_mid_session_refresh_the_schema_cache(graph: Any) -> None:
    driver = FalkorDBDriver(graph)
    driver.execute(SETUP)
    same(driver.execute(QUERIES[0], read_only=True), client(graph, QUERIES[0]))
    known = list(graph.schema.labels)
    # Made by someone else: this handle's cache does not know the new names yet.
    graph.execute_command(
        "GRAPH.QUERY", graph.name, "CREATE (:Fresh {brand_new: 1})-[:NEW_TYPE {w2: 'z'}]->()"
    )
    assert "Fresh" not in graph.schema.labels
    cypher = "MATCH (a:Fresh)-[r]->(b) RETURN a, r, b, a.brand_new"
    result = driver.execute(cypher, read_only=True)
    assert "Fresh" in graph.schema.labels and graph.schema.labels[: len(known)] == known
    assert "NEW_TYPE" in graph.schema.relationships and "w2" in graph.schema.properties
    assert result.rows[0][0].labels == ("Fresh",)
    assert result.rows[0][1].type == "NEW_TYPE"
    same(result, client(graph, cypher))
    # A write returning a new property key, through the write handle.
    result = driver.execute("CREATE (n:Fresh {later_key: [1]}) RETURN n")
    assert result.rows[0][0].properties == {"later_key": [1]}


def test_errors_are_translated_as_before(graph: Any) -> None:
    driver = FalkorDBDriver(graph)
    with pytest.raises(DriverError, match="rejected"):
        driver.execute("RETURN foo(", read_only=True)
    # The graph does not exist yet: the read goes through the "empty key" retry.
    assert driver.execute("MATCH (n) RETURN n", read_only=True).rows == []
    with pytest.raises(DriverError, match="Division by zero"):
        driver.execute("UNWIND [1, 0] AS x RETURN 1 / x", read_only=True)
    with pytest.raises(DriverError, match="Division by zero"):
        driver.execute("UNWIND [1, 0] AS x CREATE (:D {v: 1 / x})")


def test_a_handle_that_queries_its_own_way_keeps_its_parse(graph: Any) -> None:
    class Logged(type(graph)):  # type: ignore[misc]
        def ro_query(self, q: str, *args: Any, **kwargs: Any) -> Any:
            self.seen.append(q)
            return super().ro_query(q, *args, **kwargs)

    handle = Logged(graph.client, graph.name)
    handle.seen = []
    driver = FalkorDBDriver(handle)
    assert driver._lane is None
    driver.execute("CREATE (:A {k: 1})")
    assert driver.execute("MATCH (n:A) RETURN n.k", read_only=True).rows == [[1]]
    assert handle.seen[-1] == "MATCH (n:A) RETURN n.k"


@pytest.mark.asyncio
async def test_async_reads_equal_the_clients(graph: Any, async_driver: AsyncFalkorDBDriver) -> None:
    await async_driver.execute(SETUP)
    for cypher in QUERIES:
        same(await async_driver.execute(cypher, read_only=True), client(graph, cypher))
    assert sends_compact(async_driver.graph)


@pytest.mark.asyncio
async def test_async_names_created_mid_session(
    graph: Any, async_driver: AsyncFalkorDBDriver
) -> None:
    assert (await async_driver.execute("MATCH (n) RETURN n", read_only=True)).rows == []
    await async_driver.execute("CREATE (:Old {k: 1})")
    same(
        await async_driver.execute("MATCH (n) RETURN n", read_only=True),
        client(graph, "MATCH (n) RETURN n"),
    )
    graph.query("CREATE (:Newer {nk: 'v'})-[:NEWER_REL {rk: 2}]->(:Old)")
    cypher = "MATCH (a)-[r]->(b) RETURN a, r, b"
    same(await async_driver.execute(cypher, read_only=True), client(graph, cypher))
    assert "Newer" in async_driver.graph.schema.labels
    reply = await async_driver.graph.execute_command(
        "GRAPH.RO_QUERY", graph.name, cypher, "--compact"
    )
    assert fast_parse(reply, async_driver.graph.schema) is not None  # the fast path, in async
    result = await async_driver.execute("CREATE (n:Newest {nk2: true}) RETURN n")
    assert result.rows == [[GraphNode(result.rows[0][0].id, ("Newest",), {"nk2": True})]]
    with pytest.raises(DriverError, match="Division by zero"):
        await async_driver.execute("UNWIND [1, 0] AS x RETURN 1 / x", read_only=True)
