"""Session on embedded FalkorDB: identity map, change tracking, atomic batched flush."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from runic.ogm import Session, select
from runic.ogm.driver.falkordb import FalkorDBDriver
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import (
    ConstraintViolationError,
    DetachedEntityError,
    EntityNotFoundError,
    FieldValidationError,
    RunicError,
)
from runic.ogm.query import collect
from tests.falkordb_helpers import index_keys, unique_constraint
from tests.models import Admin, Article, Friendship, User


def user(key: str, **values: Any) -> User:
    return User(id=key, name=values.pop("name", key.title()), email=f"{key}@x.org", **values)


def commit_recorded(session: Session, driver: Any) -> list[Any]:
    """Commit and return the queries the commit sent."""
    with record_queries(driver) as log:
        session.commit()
    return log.queries


def node_count(driver: Any) -> int:
    return int(driver.execute("MATCH (n) RETURN count(n)", read_only=True).rows[0][0])


def test_add_commit_get(driver: Any) -> None:
    with Session(driver) as session:
        session.add(user("alice", city="Berlin", tags=["a"]))
    with Session(driver) as session:
        alice = session.get(User, "alice")
        assert (alice.name, alice.city, alice.tags) == ("Alice", "Berlin", ["a"])
        assert session.get(User, "nobody") is None


def test_second_get_sends_nothing(driver: Any) -> None:
    with Session(driver) as session:
        session.add(user("alice"))
    with Session(driver) as session, record_queries(driver) as log:
        first = session.get(User, "alice")
        assert log.count == 1
        assert session.get(User, "alice") is first
        assert log.count == 1


def test_identity_is_preserved_across_query_paths(driver: Any) -> None:
    with Session(driver) as session:
        session.add_all([user("alice"), Admin(id="erin", name="Erin", email="e@x.org")])
    with Session(driver) as session:
        alice = session.get(User, "alice")
        assert session.scalar(select(User).where(User.name == "Alice")) is alice
        assert session.execute("MATCH (u:User {id: $k}) RETURN u", {"k": "alice"})[0]["u"] is alice
        erin = session.scalar(select(Admin))
        assert type(erin) is Admin and session.get(User, "erin") is erin
        rows = session.all_rows(select(User).aggregate(collect("n").as_("all")))
        assert alice in rows[0]["all"] and erin in rows[0]["all"]


def test_only_changed_fields_are_written_and_none_removes(driver: Any) -> None:
    with Session(driver) as session:
        session.add(user("alice", city="Berlin", age=30))
    with Session(driver) as session:
        alice = session.get(User, "alice")
        alice.city = None
        alice.age = 31
        (query,) = commit_recorded(session, driver)
        (rows,) = query.params.values()
        assert rows == [{"key": "alice", "changes": {"city": None, "age": 31}}]
    keys = driver.execute("MATCH (u:User) RETURN keys(u)", read_only=True).rows[0][0]
    assert "city" not in keys
    with Session(driver) as session:
        alice = session.get(User, "alice")
        assert alice.city is None and alice.age == 31


def test_in_place_list_changes_are_detected(driver: Any) -> None:
    with Session(driver) as session:
        session.add(user("alice", tags=["a"]))
    with Session(driver) as session:
        session.get(User, "alice").tags.append("b")
    with Session(driver) as session:
        assert session.get(User, "alice").tags == ["a", "b"]


def test_unchanged_entities_send_nothing(driver: Any) -> None:
    with Session(driver) as session:
        session.add(user("alice"))
    with Session(driver) as session:
        session.get(User, "alice").name = "Alice"
        assert commit_recorded(session, driver) == []


def test_delete_removes_node_and_edges(driver: Any) -> None:
    driver.execute(
        "CREATE (:User {id: 'a', name: 'A', email: 'a'})-[:WROTE]->(:Article {id: 'x', title: 'X'})"
    )
    with Session(driver) as session:
        session.delete(session.get(User, "a"))
    assert driver.execute("MATCH ()-[e]->() RETURN count(e)", read_only=True).rows == [[0]]
    assert node_count(driver) == 1


def test_created_then_deleted_sends_nothing(driver: Any) -> None:
    with Session(driver) as session:
        ghost = user("ghost")
        session.add(ghost)
        session.delete(ghost)
        assert commit_recorded(session, driver) == []
    assert node_count(driver) == 0


def test_created_then_changed_is_one_create(driver: Any) -> None:
    index_keys(driver, User)
    with Session(driver) as session:
        alice = user("alice")
        session.add(alice)
        alice.city = "Rome"
        (query,) = commit_recorded(session, driver)
        _, _, write = query.cypher.partition("\nWITH count(*) AS _\n")
        assert "CREATE" in write and "MATCH" not in write  # the guard alone reads
    assert Session(driver).get(User, "alice").city == "Rome"


def test_a_failing_commit_writes_nothing_and_can_be_retried(driver: Any, graph: Any) -> None:
    unique_constraint(graph, "User", "email")
    with Session(driver) as session:
        session.add(user("alice"))
    before = node_count(driver)
    session = Session(driver)
    session.add(Article(id="a1", title="T"))
    clash = User(id="other", name="Other", email="alice@x.org")
    session.add(clash)
    with pytest.raises(
        ConstraintViolationError, match=r"unique constraint on User.email"
    ) as failure:
        session.commit()
    assert failure.value.entity is clash and failure.value.field == "email"
    assert "User(id='alice'" not in str(failure.value) and "'alice'" in str(failure.value)
    assert node_count(driver) == before
    clash.email = "other@x.org"
    session.commit()
    assert node_count(driver) == before + 2


def test_a_clash_between_two_pending_entities_names_both(driver: Any, graph: Any) -> None:
    unique_constraint(graph, "User", "email")
    with Session(driver) as session:
        session.add_all([user("alice"), User(id="bob", name="Bob", email="alice@x.org")])
        with pytest.raises(
            ConstraintViolationError, match=r"User\(id='bob'.*also pending"
        ) as failure:
            session.commit()
        assert failure.value.field == "email"
        session.rollback()
    assert node_count(driver) == 0


def test_an_update_clash_names_the_updated_entity(driver: Any, graph: Any) -> None:
    unique_constraint(graph, "User", "email")
    with Session(driver) as session:
        session.add_all([user("alice"), user("bob")])
    with Session(driver) as session:
        bob = session.get(User, "bob")
        bob.email = "alice@x.org"
        with pytest.raises(ConstraintViolationError) as failure:
            session.commit()
        assert failure.value.entity is bob and "stored User 'alice'" in str(failure.value)
        session.rollback()
        assert bob.email == "bob@x.org"


def test_refresh_rereads_fields_and_drops_unflushed_changes(driver: Any) -> None:
    with Session(driver) as session:
        session.add(user("alice", city="Berlin"))
    with Session(driver) as session:
        alice = session.get(User, "alice")
        alice.city = "Paris"
        driver.execute("MATCH (u:User {id: 'alice'}) SET u.name = 'Alicia'")
        with record_queries(driver) as log:
            session.refresh(alice)
        assert log.count == 1 and "SET" not in log.queries[0].cypher
        assert (alice.name, alice.city) == ("Alicia", "Berlin")
        assert len(commit_recorded(session, driver)) == 0
        driver.execute("MATCH (u:User {id: 'alice'}) DELETE u")
        with pytest.raises(EntityNotFoundError, match="alice"):
            session.refresh(alice)
        pending = user("bob")
        session.add(pending)
        with pytest.raises(RunicError, match="not stored yet"):
            session.refresh(pending)
        session.expunge(pending)


def test_changing_a_primary_key_is_refused_before_any_query(driver: Any) -> None:
    with Session(driver) as session:
        session.add(user("alice"))
    session = Session(driver)
    alice = session.get(User, "alice")
    alice.id = "alicia"
    with (
        record_queries(driver) as log,
        pytest.raises(FieldValidationError, match=r"User\.id.*'alice' -> 'alicia'"),
    ):
        session.flush()
    assert log.count == 0
    session.rollback()
    assert alice.id == "alice"


def test_execute_returns_entities_and_edge_models(driver: Any) -> None:
    with Session(driver) as session:
        alice, bob = user("alice"), user("bob")
        session.add_all([alice, bob])
        session.relate(alice, User.best_friend, bob, edge=Friendship(since=date(2022, 2, 2)))
    with Session(driver) as session:
        (row,) = session.execute("MATCH (a:User)-[f:FRIEND]->(b:User) RETURN a, f, b, b.id AS key")
        assert row["a"] is session.get(User, "alice") and row["key"] == "bob"
        assert isinstance(row["f"], Friendship) and row["f"].since == date(2022, 2, 2)


def test_large_flushes_are_chunked_inside_one_query(driver: Any) -> None:
    index_keys(driver, User)
    with Session(driver) as session:
        session._core.chunk_size = 10
        session.add_all(user(f"u{i}") for i in range(25))
        (query,) = commit_recorded(session, driver)
    assert query.cypher.count("UNWIND") == 3
    # the key guard checks the same keys in the same chunks before the creates
    assert [len(rows) for rows in query.params.values()] == [10, 10, 5, 10, 10, 5]
    assert node_count(driver) == 25


def test_ten_thousand_entities_are_one_query(driver: Any) -> None:
    index_keys(driver, User)
    with Session(driver) as session:
        session.add_all(user(f"u{i}") for i in range(10_000))
        assert len(commit_recorded(session, driver)) == 1
    assert node_count(driver) == 10_000


def test_the_first_creating_commit_indexes_the_key_once_per_driver(driver: Any) -> None:
    with Session(driver) as session:
        session.add(user("alice"))
        listing, create, flush = commit_recorded(session, driver)
    assert listing.cypher.startswith("CALL db.indexes()")
    assert create.cypher == "CREATE INDEX FOR (e:`User`) ON (e.`id`)"
    assert flush.cypher.startswith("OPTIONAL MATCH (n:`User`) WHERE n.`id` IN $b0")
    with Session(driver) as session:  # another session on the same driver: only the flush
        session.add(user("bob"))
        (flush,) = commit_recorded(session, driver)
    with Session(FalkorDBDriver(driver.graph)) as session:  # a new driver finds the index
        session.add(user("carol"))
        listing, flush = commit_recorded(session, session.driver)
    assert node_count(driver) == 3


def test_rollback_discards_pending_work(driver: Any) -> None:
    with Session(driver) as session:
        session.add(user("alice"))
    session = Session(driver)
    alice = session.get(User, "alice")
    alice.name = "Changed"
    newcomer = user("bob")
    session.add(newcomer)
    session.rollback()
    assert alice.name == "Alice"
    assert session.get(User, "bob") is None
    session.commit()
    assert node_count(driver) == 1


def test_context_manager_rolls_back_on_error(driver: Any) -> None:
    with pytest.raises(ValueError), Session(driver) as session:
        session.add(user("alice"))
        raise ValueError("boom")
    assert node_count(driver) == 0


def test_lazy_load_is_one_query_and_shares_identity(driver: Any) -> None:
    driver.execute(
        "CREATE (:User {id: 'a', name: 'A', email: 'a'})-[:WROTE]->(:Article {id: 'x', title: 'X'})"
    )
    session = Session(driver)
    alice = session.get(User, "a")
    with record_queries(driver) as log:
        assert [a.id for a in alice.articles] == ["x"]
        assert log.count == 1
        assert alice.articles[0].author is alice
        assert log.count == 2


def test_a_pending_entity_has_empty_relations_without_a_query(driver: Any) -> None:
    session = Session(driver)
    alice = user("alice")
    session.add(alice)
    with record_queries(driver) as log:
        assert alice.articles == [] and alice.best_friend is None
    assert log.count == 0


def test_unloaded_relations_after_close_raise_detached(driver: Any) -> None:
    driver.execute("CREATE (:User {id: 'a', name: 'A', email: 'a'})")
    session = Session(driver)
    alice = session.get(User, "a")
    session.close()
    assert alice.name == "A"  # loaded fields stay readable
    with pytest.raises(DetachedEntityError, match="User.articles was not loaded"):
        alice.articles


def test_a_sync_session_refuses_an_async_driver() -> None:
    class AsyncThing:
        async def execute(self, cypher: str) -> None: ...

    with pytest.raises(TypeError, match="use AsyncSession"):
        Session(AsyncThing())  # type: ignore[arg-type]


def test_adding_a_second_object_with_the_same_key_is_refused(driver: Any) -> None:
    session = Session(driver)
    session.add(user("alice"))
    with pytest.raises(RunicError, match="already in this session"):
        session.add(user("alice"))
