"""The flush planner without a database: what one flush sends, and in which order."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from runic.ogm.driver.dialect import FALKORDB
from runic.ogm.driver.records import GraphNode
from runic.ogm.exceptions import ModelDefinitionError
from runic.ogm.model.fields import Field
from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.session.flush import compile_flush
from runic.ogm.session.unit_of_work import UnitOfWork
from tests.models import Article, User


def no_loading(entity: Node, relation: RelationAttribute) -> Any:
    raise AssertionError(f"{relation.name} should not be loaded")


def stored_user(unit: UnitOfWork, key: str) -> User:
    node = GraphNode(
        key, ("User",), {"id": key, "name": key, "email": f"{key}@x", "active": True, "tags": []}
    )
    entity = unit.merge(node)
    assert isinstance(entity, User)
    return entity


def stored_article(unit: UnitOfWork, key: str) -> Article:
    entity = unit.merge(GraphNode(key, ("Article",), {"id": key, "title": key, "published": False}))
    assert isinstance(entity, Article)
    return entity


def test_stages_run_in_a_fixed_order() -> None:
    unit = UnitOfWork(no_loading)
    alice, bob, carol = (stored_user(unit, k) for k in ("alice", "bob", "carol"))
    a1 = stored_article(unit, "a1")
    unit.add(User(id="dave", name="Dave", email="d@x"))
    alice.name = "Alicia"
    bob.articles = [a1]  # unloaded: replaces what is stored
    unit.link("unlink", alice, User.best_friend, carol)
    unit.delete(carol)
    cypher = compile_flush(unit.plan(), FALKORDB).cypher
    positions = [
        cypher.index(marker)
        for marker in ("CREATE", "SET n +=", "DELETE e", "MERGE", "DETACH DELETE")
    ]
    assert positions == sorted(positions)
    # carol is deleted, so unlinking her is left to DETACH DELETE
    assert cypher.count("DELETE e") == 1


def test_incoming_relations_are_written_from_their_start_node() -> None:
    unit = UnitOfWork(no_loading)
    alice, a1 = stored_user(unit, "alice"), stored_article(unit, "a1")
    unit.link("merge", a1, Article.author, alice)
    plan = unit.plan()
    ((shape, rows),) = plan.merges.items()
    assert (shape.edge_type, shape.start, shape.end) == ("WROTE", User, Article)
    assert [(row[0], row[1]) for row in rows] == [("alice", "a1")]


def test_one_operation_per_pair_the_last_one_wins() -> None:
    unit = UnitOfWork(no_loading)
    alice, bob = stored_user(unit, "alice"), stored_user(unit, "bob")
    unit.link("merge", alice, User.best_friend, bob)
    unit.link("merge", alice, User.best_friend, bob, {"since": "2020-01-01"})
    unit.link("merge", alice, User.best_friend, bob)  # keeps the properties given before
    plan = unit.plan()
    ((rows),) = plan.merges.values()
    assert [row[2] for row in rows] == [{"since": "2020-01-01"}]
    unit.link("unlink", alice, User.best_friend, bob)
    plan = unit.plan()
    assert not plan.merges and len(next(iter(plan.unlinks.values()))) == 1


def test_edge_properties_are_parameters() -> None:
    unit = UnitOfWork(no_loading)
    alice, bob = stored_user(unit, "alice"), stored_user(unit, "bob")
    hostile = "x'}) DETACH DELETE n //"
    alice.name = hostile
    unit.link("merge", alice, User.best_friend, bob, {"since": date(2020, 1, 1).isoformat()})
    query = compile_flush(unit.plan(), FALKORDB)
    assert hostile not in query.cypher and "2020-01-01" not in query.cypher
    assert "MERGE (a)-[e1:`FRIEND`]->(b) SET e1 += r.changes" in query.cypher


def test_nothing_pending_plans_nothing() -> None:
    unit = UnitOfWork(no_loading)
    stored_user(unit, "alice")
    pending = User(id="temp", name="T", email="t@x")
    unit.add(pending)
    unit.delete(pending)
    assert not unit.plan()


@pytest.mark.parametrize("chunk_size", [1, 2, 3])
def test_chunks_split_every_stage(chunk_size: int) -> None:
    unit = UnitOfWork(no_loading)
    for key in ("a", "b", "c"):
        unit.add(User(id=key, name=key, email=key))
    query = compile_flush(unit.plan(), FALKORDB, chunk_size=chunk_size)
    sizes = [len(rows) for rows in query.params.values()]
    # each created key is checked once (the guard) and written once, both chunked
    assert sum(sizes) == 6 and max(sizes) == chunk_size
    assert query.cypher.count("UNWIND") == query.cypher.count("OPTIONAL MATCH") == len(sizes) / 2


def test_created_keys_are_checked_before_any_write() -> None:
    unit = UnitOfWork(no_loading)
    unit.add(User(id="dave", name="Dave", email="d@x"))
    query = compile_flush(unit.plan(), FALKORDB)
    guard, _, write = query.cypher.partition("\nWITH count(*) AS _\n")
    assert guard.startswith("OPTIONAL MATCH (n:`User`) WHERE n.`id` IN $b0")
    assert "1 / CASE WHEN conflicts = 0" in guard and write.startswith("UNWIND $b1 AS r CREATE")
    assert query.params["b0"] == ["dave"]


class Versioned(Node):
    id: str
    value: int = 0
    version: int = Field(version=True)


def test_versioned_updates_and_deletes_check_what_was_read() -> None:
    unit = UnitOfWork(no_loading)
    one = unit.merge(GraphNode(1, ("Versioned",), {"id": "one", "value": 1, "version": 4}))
    two = unit.merge(GraphNode(2, ("Versioned",), {"id": "two", "value": 1, "version": 7}))
    assert isinstance(one, Versioned) and one.version == 4
    one.value = 2
    unit.delete(two)
    plan = unit.plan()
    assert [(c.key, c.read) for c in plan.versions[Versioned]] == [("one", 4), ("two", 7)]
    ((key, changes),) = plan.updates[Versioned]
    assert (key, changes) == ("one", {"value": 2, "version": 5})
    query = compile_flush(plan, FALKORDB)
    # compare-and-set: the write matches only the version read, and fails unless all did
    assert "WHERE n.`version` = r.changes.`version` - 1 SET n += r.changes" in query.cypher
    assert "WHERE n.`version` = r.v DETACH DELETE n" in query.cypher
    assert query.cypher.count("WHEN done = size($b") == 2
    assert [(c.key, c.read) for c in plan.versioned_deletes[Versioned]] == [("two", 7)]
    assert one.version == 4  # the new version is the entity's once the flush succeeded
    unit.flushed()
    assert one.version == 5 and not unit.plan()


def test_a_version_field_is_a_required_int() -> None:
    assert Versioned(id="x").version == 1
    with pytest.raises(ModelDefinitionError, match="version field is declared `int`"):

        class Bad(Node):
            id: str
            version: str = Field(version=True)

    with pytest.raises(ModelDefinitionError, match="several version fields"):

        class Twice(Node):
            id: str
            a: int = Field(version=True)
            b: int = Field(version=True)
