"""What each dialect compiles to, without a server: Neo4j and Memgraph are covered here
only (no server can run on these machines); FalkorDB, ArcadeDB and AGE also live."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import select
from runic.ogm.driver import create_async_driver, create_driver
from runic.ogm.driver.age import parse_agtype, return_columns
from runic.ogm.driver.dialect import AGE, ARCADEDB, MEMGRAPH, NEO4J
from runic.ogm.driver.falkordb import parse_falkordb_url
from runic.ogm.driver.records import GraphEdge, GraphNode
from runic.ogm.exceptions import StatementError
from runic.ogm.query import compile_select, fulltext_search, vector_search
from runic.ogm.schema.items import SchemaItem
from runic.ogm.session.flush import FlushPlan, compile_flush
from tests.models import Admin, Article, Doc, User


def test_neo4j_search_uses_named_indexes_and_similarity_scores() -> None:
    query = compile_select(fulltext_search(Doc, "graph").limit(3), NEO4J)
    assert query.cypher.startswith(
        "CALL db.index.fulltext.queryNodes($p0, $p1) YIELD node AS n, score AS _score"
    )
    assert query.params["p0"] == "runic_fulltext_Doc" and "ORDER BY _score DESC" in query.cypher
    query = compile_select(vector_search(Doc, Doc.embedding, [1, 0, 0], k=2), NEO4J)
    assert query.cypher.startswith(
        "CALL db.index.vector.queryNodes($p0, $p1, $p2) YIELD node AS n, score AS _score"
    )
    assert query.params == {"p0": "runic_vector_Doc_embedding", "p1": 2, "p2": [1.0, 0.0, 0.0]}
    assert "ORDER BY _score DESC" in query.cypher  # a similarity: higher is nearer


def test_memgraph_search_procedures() -> None:
    query = compile_select(fulltext_search(Doc, "graph"), MEMGRAPH)
    assert query.cypher.startswith("CALL text_search.search($p0, $p1) YIELD node AS n, score")
    query = compile_select(vector_search(Doc, Doc.embedding, [1, 0, 0]), MEMGRAPH)
    assert "CALL vector_search.search($p0, $p1, $p2) YIELD node AS n, similarity AS _score" in (
        query.cypher
    )


def test_backends_without_search_say_so_before_any_query() -> None:
    for dialect in (ARCADEDB, AGE):
        with pytest.raises(StatementError, match=f"not supported on this backend .{dialect.name}"):
            compile_select(fulltext_search(Doc, "graph"), dialect)


def test_one_label_backends_match_subclasses_by_marker() -> None:
    assert compile_select(select(Admin), AGE).cypher.startswith(
        "MATCH (n:`User` {`_is_Admin`: true})"
    )
    assert compile_select(select(User), AGE).cypher.startswith("MATCH (n:`User`)")
    assert compile_select(select(Admin), NEO4J).cypher.startswith("MATCH (n:`User`:`Admin`)")
    plan = FlushPlan(creates={Admin: [{"id": "r", "name": "R", "email": "e", "level": 1}]})
    query = compile_flush(plan, AGE)
    assert query.cypher == "UNWIND $b0 AS r CREATE (n:`User`) SET n = r"
    assert query.params["b0"][0]["_is_Admin"] is True


def test_age_sets_changed_fields_one_by_one() -> None:
    plan = FlushPlan(updates={User: [("a", {"name": "A", "age": None}), ("b", {"name": "B"})]})
    cypher = compile_flush(plan, AGE).cypher
    assert "SET n.`age` = r.changes.`age`, n.`name` = r.changes.`name`" in cypher
    assert "SET n.`name` = r.changes.`name`" in cypher and "+=" not in cypher
    assert "SET n += r.changes" in compile_flush(plan, NEO4J).cypher


@pytest.mark.parametrize(
    ("cypher", "columns"),
    [
        ("MATCH (n) RETURN n", ["n"]),
        (
            "MATCH (n) RETURN DISTINCT n.`id` AS `key`, count(*) ORDER BY key LIMIT 2",
            ["key", "count(*)"],
        ),
        (
            "MATCH (n) WITH n, [x IN n.tags | x] AS t RETURN n, {a: 1, b: 'RETURN x'} AS m",
            ["n", "m"],
        ),
        ("UNWIND $rows AS r CREATE (n:User) SET n = r", []),
        ("MATCH (n) RETURN n.returned, n.limit_count SKIP 1", ["n.returned", "n.limit_count"]),
    ],
)
def test_age_reads_the_returned_columns(cypher: str, columns: list[str]) -> None:
    assert return_columns(cypher) == columns


def test_age_values_become_neutral_records() -> None:
    vertex = '{"id": 7, "label": "User", "properties": {"id": "a", "_is_Admin": true}}::vertex'
    assert parse_agtype(vertex) == GraphNode(7, ("User", "Admin"), {"id": "a"})
    edge = '{"id": 9, "label": "K", "end_id": 2, "start_id": 1, "properties": {}}::edge'
    assert parse_agtype(f"[{edge}]") == [GraphEdge(9, "K", 1, 2, {})]
    assert parse_agtype('{"a": [1, "x"]}') == {"a": [1, "x"]} and parse_agtype(None) is None


def test_create_driver_picks_the_backend_from_the_url() -> None:
    with pytest.raises(ValueError, match="'arcadedb'"):
        create_driver("bolt://127.0.0.1:1", dialect="oracle")
    with pytest.raises(ValueError, match=r"names its graph, e.g. \?graph="):
        create_driver("postgresql://u@127.0.0.1:1/db")
    with pytest.raises(ValueError, match="unknown FalkorDB option auth"):
        create_driver("redis://127.0.0.1:1/g", auth=("a", "b"))
    with pytest.raises(ValueError, match="unknown FalkorDB option timeout"):
        create_driver("redis://127.0.0.1:1/g?timeout=2")
    with pytest.raises(ValueError, match="socket_timeout must be positive"):
        create_driver("redis://127.0.0.1:1/g", socket_timeout=0)
    with pytest.raises(ValueError, match="no driver for the URL scheme 'oracle'"):
        create_async_driver("oracle://127.0.0.1:1")
    with pytest.raises(ValueError, match=r"AsyncBoltDriver\(dialect=...\) takes"):
        create_async_driver("bolt://127.0.0.1:1", dialect="oracle")
    with pytest.raises(ValueError, match=r"names its graph, e.g. \?graph="):
        create_async_driver("postgresql://u@127.0.0.1:1/db")


def test_falkordb_url_options() -> None:
    settings, graph = parse_falkordb_url(
        "falkordb://127.0.0.1:1/g?socket_timeout=2&max_connections=8", socket_connect_timeout=1
    )
    assert graph == "g"
    assert settings["socket_timeout"] == 2.0 and settings["max_connections"] == 8
    assert settings["socket_connect_timeout"] == 1.0
    settings, _ = parse_falkordb_url("falkordb://h/g?socket_timeout=2", socket_timeout=5)
    assert settings["socket_timeout"] == 5.0  # the argument wins


def _planned_statements(dialect: Any, models: list[Any]) -> list[str]:
    """Drive the schema operation as a driver would, against an empty graph."""
    from runic.ogm.driver.records import QueryResult
    from runic.ogm.schema.plan import schema_operation

    operation = schema_operation(dialect, models, drop_extra=False, apply=True)
    sent = [next(operation)]
    try:
        while True:
            sent.append(operation.send(QueryResult([])))
    except StopIteration:
        pass
    return [query.cypher for query in sent[2:]]  # after SHOW INDEXES and SHOW CONSTRAINTS


def test_neo4j_schema_statements() -> None:
    statements = _planned_statements(NEO4J, [Doc])
    assert statements == [
        "CREATE FULLTEXT INDEX `runic_fulltext_Doc` IF NOT EXISTS FOR (n:`Doc`) "
        "ON EACH [n.`body`, n.`title`]",
        "CREATE VECTOR INDEX `runic_vector_Doc_embedding` IF NOT EXISTS FOR (n:`Doc`) "
        "ON n.`embedding` OPTIONS {indexConfig: {`vector.dimensions`: 3, "
        "`vector.similarity_function`: 'cosine'}}",
        "CREATE CONSTRAINT `runic_unique_Doc_id` IF NOT EXISTS FOR (n:`Doc`) "
        "REQUIRE n.`id` IS UNIQUE",
    ]


def test_schema_sync_refuses_what_a_backend_cannot_make() -> None:
    from runic.ogm.exceptions import SchemaError

    with pytest.raises(SchemaError, match="arcadedb cannot make fulltext Doc.body"):
        _planned_statements(ARCADEDB, [Doc])
    with pytest.raises(SchemaError, match=r"not available on this backend \(memgraph\)"):
        _planned_statements(MEMGRAPH, [Doc])


def test_bolt_drops_escape_names_the_server_chose() -> None:
    from runic.ogm.schema.bolt import drop

    item = SchemaItem("index", "Shelf", "room", name="odd`name [x]")
    assert drop(item).cypher == "DROP INDEX `odd``name [x]` IF EXISTS"
    assert drop(SchemaItem("unique", "Shelf", "code")).cypher == (
        "DROP CONSTRAINT `runic_unique_Shelf_code` IF EXISTS"
    )


def test_age_matches_a_key_in_the_pattern() -> None:
    """AGE evaluates ``{id: $p0}`` as containment, faster than ``WHERE n.id = $p0`` and
    servable by a GIN index; the comparison stays too, for the key's btree index. Only
    the root's key equality goes in the pattern, since containment would match a list
    by a part of it."""
    from runic.ogm.session.core import _get_query

    assert _get_query(User, (), AGE).cypher.startswith(
        "MATCH (n:`User` {`id`: $p0})\nWHERE n.`id` = $p0\nRETURN"
    )
    both = compile_select(select(Admin).where(User.name == "b", User.id == "a"), AGE)
    assert both.cypher.startswith(
        "MATCH (n:`User` {`_is_Admin`: true, `id`: $p1})\nWHERE n.`name` = $p0 AND n.`id` = $p1"
    )
    assert both.params == {"p0": "b", "p1": "a"}
    for kept in (User.tags.contains("a"), User.name == "a", User.id != "a"):
        assert "WHERE" in compile_select(select(User).where(kept), AGE).cypher
    for dialect in (NEO4J, ARCADEDB):
        assert "WHERE n.`id` = $p0" in _get_query(User, (), dialect).cypher


def test_only_string_and_int_keys_go_in_the_pattern() -> None:
    from runic.ogm import Field, Node
    from runic.ogm.session.core import _get_query

    class ListKeyed(Node):
        id: list[str] = Field(primary_key=True)

    class FloatKeyed(Node):
        id: float = Field(primary_key=True)

    for model in (ListKeyed, FloatKeyed):
        assert "WHERE n.`id` = $p0" in _get_query(model, (), AGE).cypher
    either = compile_select(select(User).where((User.id == "a") | (User.name == "b")), AGE)
    assert "{`id`" not in either.cypher and "WHERE" in either.cypher
    traversed = select(User).traverse(User.articles).where(Article.id == "x").return_target()
    assert "(n1:`Article`)" in compile_select(traversed, AGE).cypher


def test_age_index_names_fit_postgresql_and_stay_distinct() -> None:
    """PostgreSQL truncates names past 63 bytes: two long names must not become one."""
    from runic.ogm.schema.age import index_name

    short = SchemaItem("unique", "Shelf", "code")
    assert index_name(short) == "runic_unique_Shelf_code"
    long_a = SchemaItem("index", "Ä" * 30, "field_" + "x" * 40 + "a")
    long_b = SchemaItem("index", "Ä" * 30, "field_" + "x" * 40 + "b")
    names = {index_name(long_a), index_name(long_b)}
    assert len(names) == 2 and all(len(name.encode()) <= 63 for name in names)


def test_age_reads_back_only_the_indexes_it_would_make() -> None:
    from runic.ogm.schema.age import SqlCommand, existing

    expression = "agtype_access_operator(VARIADIC ARRAY[properties, '\"{}\"'::agtype])"
    rows = [
        (
            "Shelf",
            "a",
            True,
            f'CREATE UNIQUE INDEX a ON g."Shelf" USING btree ({expression.format("code")})',
        ),
        (
            "Shelf",
            "b",
            False,
            f'CREATE INDEX b ON g."Shelf" USING btree ({expression.format("room")})',
        ),
        ("Shelf", "c", False, 'CREATE INDEX c ON g."Shelf" USING gin (properties)'),
        ("Shelf", "d", False, f'CREATE INDEX d ON g."Shelf" USING hash ({expression.format("x")})'),
    ]
    assert sorted(map(str, existing(rows))) == ["index Shelf.room", "unique Shelf.code"]
    create = SqlCommand("create", SchemaItem("unique", "Shelf", "code")).statements("g")
    assert create[-1][0] == (
        'CREATE UNIQUE INDEX IF NOT EXISTS "runic_unique_Shelf_code" ON "g"."Shelf" '
        "(ag_catalog.agtype_access_operator(VARIADIC ARRAY[properties, "
        "'\"code\"'::ag_catalog.agtype]))"
    )
    drop = SqlCommand("drop", SchemaItem("index", "Shelf", "room", name="by hand")).statements("g")
    assert drop == [('DROP INDEX IF EXISTS "g"."by hand"', ())]
