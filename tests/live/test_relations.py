"""Relations in the unit of work: relate/unrelate, loaded relations, cascades."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from runic.ogm import Session, select
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import FieldValidationError, RunicError, StatementError
from tests.falkordb_helpers import index_keys
from tests.models import Article, Friendship, User


def user(key: str, **values: Any) -> User:
    return User(id=key, name=key.title(), email=f"{key}@x.org", **values)


def edges(driver: Any, edge_type: str) -> list[tuple[str, str]]:
    rows = driver.execute(
        f"MATCH (a)-[:{edge_type}]->(b) RETURN a.id, b.id ORDER BY a.id, b.id", read_only=True
    ).rows
    return [tuple(row) for row in rows]


def seed(driver: Any) -> None:
    with Session(driver) as session:
        session.add_all([user("alice"), user("bob"), user("carol")])
        session.add_all([Article(id="a1", title="One"), Article(id="a2", title="Two")])


def test_relate_pending_entities_in_one_query(driver: Any) -> None:
    index_keys(driver, User, Article)
    with Session(driver) as session:
        alice, article = user("alice"), Article(id="a1", title="One")
        session.add(alice)
        session.relate(alice, User.articles, article)  # the article joins the session too
        with record_queries(driver) as log:
            session.commit()
        assert log.count == 1
    assert edges(driver, "WROTE") == [("alice", "a1")]


def test_relate_has_merge_semantics(driver: Any) -> None:
    seed(driver)
    for _ in range(2):
        with Session(driver) as session:
            session.relate(session.get(User, "alice"), "articles", session.get(Article, "a1"))
    with Session(driver) as session:
        alice = session.get(User, "alice")
        session.relate(alice, "articles", session.get(Article, "a1"))
        session.relate(alice, "articles", session.get(Article, "a1"))
    assert edges(driver, "WROTE") == [("alice", "a1")]


def test_edge_properties_and_coalesced_create(driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        alice, bob = session.get(User, "alice"), session.get(User, "bob")
        session.relate(alice, User.best_friend, bob)
        session.relate(alice, User.best_friend, bob, edge=Friendship(since=date(2020, 1, 2)))
        with record_queries(driver) as log:
            session.commit()
        (query,) = log.queries
        (merge_rows,) = [rows for rows in query.params.values() if rows and "a" in rows[0]]
        assert merge_rows == [{"a": "alice", "b": "bob", "changes": {"since": "2020-01-02"}}]
    with Session(driver) as session:
        statement = select(User).where(User.id == "alice").traverse(User.best_friend)
        ((source, edge, target),) = session.all_with_edges(statement)
        assert (source.id, target.id) == ("alice", "bob")
        assert isinstance(edge, Friendship) and edge.since == date(2020, 1, 2)
        session.relate(source, User.best_friend, target, edge=Friendship(since=date(2021, 5, 6)))
    assert edges(driver, "FRIEND") == [("alice", "bob")]
    row = driver.execute("MATCH ()-[f:FRIEND]->() RETURN f.since", read_only=True).rows
    assert row == [["2021-05-06"]]


def test_unrelate_removes_the_edge_and_the_loaded_value_follows(driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        alice = session.get(User, "alice")
        session.relate(alice, User.articles, session.get(Article, "a1"))
        session.relate(alice, User.articles, session.get(Article, "a2"))
    with Session(driver) as session:
        alice = session.get(User, "alice", fetch=["articles"])
        a1 = session.get(Article, "a1")
        session.unrelate(alice, "articles", a1)
        assert [a.id for a in alice.articles] == ["a2"]
    assert edges(driver, "WROTE") == [("alice", "a2")]


def test_append_remove_and_assign_loaded_relations(driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        alice = session.get(User, "alice")
        alice.articles.append(session.get(Article, "a1"))
        alice.articles.append(session.get(Article, "a2"))
        alice.best_friend = session.get(User, "bob")
    assert edges(driver, "WROTE") == [("alice", "a1"), ("alice", "a2")]
    assert edges(driver, "FRIEND") == [("alice", "bob")]
    with Session(driver) as session:
        alice = session.get(User, "alice", fetch=["articles", "best_friend"])
        alice.articles.remove(session.get(Article, "a1"))
        alice.best_friend = session.get(User, "carol")
        with record_queries(driver) as log:
            session.commit()
        assert log.count == 1
    assert edges(driver, "WROTE") == [("alice", "a2")]
    assert edges(driver, "FRIEND") == [("alice", "carol")]


def test_assigning_an_unloaded_relation_replaces_what_is_stored(driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        alice = session.get(User, "alice")
        session.relate(alice, User.articles, session.get(Article, "a1"))
    with Session(driver) as session, record_queries(driver) as log:
        alice = session.get(User, "alice")
        alice.articles = [session.get(Article, "a2")]
        session.commit()
        assert log.count == 3  # two gets and the commit: no load before the assignment
    assert edges(driver, "WROTE") == [("alice", "a2")]


def test_incoming_relation_writes_the_edge_the_other_way(driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        session.relate(session.get(Article, "a1"), Article.author, session.get(User, "bob"))
    assert edges(driver, "WROTE") == [("bob", "a1")]
    with Session(driver) as session:
        bob = session.get(User, "bob")
        assert [a.id for a in bob.articles] == ["a1"]
        assert bob.articles[0].author is bob


def test_related_new_entities_are_added_with_their_owner(driver: Any) -> None:
    with Session(driver) as session:
        session.add(user("alice", articles=[Article(id="a9", title="Nine")]))
    assert edges(driver, "WROTE") == [("alice", "a9")]


def test_bad_relation_calls_fail_before_any_query(driver: Any) -> None:
    seed(driver)
    session = Session(driver)
    alice, a1 = session.get(User, "alice"), session.get(Article, "a1")
    with record_queries(driver) as log:
        with pytest.raises(
            StatementError,
            match=r"User has no relation 'posts' \(relations: articles, best_friend\)",
        ):
            session.relate(alice, "posts", a1)
        with pytest.raises(StatementError, match="declares no edge model"):
            session.relate(alice, User.articles, a1, edge=Friendship(since=date.today()))
        with pytest.raises(FieldValidationError, match="User.articles"):
            session.relate(alice, User.articles, alice)
        other = Session(driver).get(User, "bob")
        log.queries.clear()
        with pytest.raises(RunicError, match="not in this session"):
            session.relate(alice, User.best_friend, other)
        session.flush()
    assert log.count == 0


def test_delete_takes_the_edges_along(driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        session.relate(session.get(User, "alice"), User.articles, session.get(Article, "a1"))
    with Session(driver) as session:
        session.delete(session.get(Article, "a1"))
    assert edges(driver, "WROTE") == []


def test_rollback_discards_relation_changes(driver: Any) -> None:
    seed(driver)
    session = Session(driver)
    alice, bob, a1 = (
        session.get(User, "alice"),
        session.get(User, "bob"),
        session.get(Article, "a1"),
    )
    session.relate(alice, User.articles, a1)
    alice.best_friend = bob
    session.rollback()
    session.commit()
    assert edges(driver, "WROTE") == [] and edges(driver, "FRIEND") == []


def test_relating_through_the_class_attribute_resolves_nothing(
    driver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``relate(u, User.articles, a)`` runs per edge: the class's own attribute is used as
    it is; only a name or an inherited attribute is looked up (and checked)."""
    from runic.ogm.session.core import SessionCore

    looked_up: list[object] = []
    original = SessionCore.relation_of

    def counting(source: Any, relation: Any, method: str) -> Any:
        looked_up.append(relation)
        return original(source, relation, method)

    monkeypatch.setattr(SessionCore, "relation_of", staticmethod(counting))
    with Session(driver) as session:
        ada, note = user("ada"), Article(id="a1", title="Note")
        session.add_all([ada, note])
        session.relate(ada, User.articles, note)
        assert looked_up == []
        session.relate(ada, "articles", note)
        assert looked_up == ["articles"]
    assert edges(driver, "WROTE") == [("ada", "a1")]
