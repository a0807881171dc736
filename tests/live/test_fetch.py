"""Eager loading with fetch=: one round trip, one row per entity, tracked results."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import Session, select
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import StatementError
from tests.models import Article, Comment, User


def build(driver: Any) -> None:
    """alice wrote a1 (two comments) and a2; bob wrote nothing; alice's friend is bob."""
    with Session(driver) as session:
        alice = User(id="alice", name="Alice", email="a@x.org")
        bob = User(id="bob", name="Bob", email="b@x.org")
        carol = User(id="carol", name="Carol", email="c@x.org")
        a1 = Article(
            id="a1", title="One", comments=[Comment(id="c1", text="x"), Comment(id="c2", text="y")]
        )
        alice.articles = [a1, Article(id="a2", title="Two")]
        alice.best_friend = bob
        carol.articles = [Article(id=f"c{i}", title=f"C{i}") for i in range(3, 8)]
        session.add_all([alice, bob, carol])


def test_get_with_two_relations_is_one_round_trip_and_one_row(driver: Any) -> None:
    build(driver)
    with Session(driver) as session, record_queries(driver) as log:
        alice = session.get(User, "alice", fetch=["articles", "best_friend"])
        assert log.count == 1
        assert sorted(a.id for a in alice.articles) == ["a1", "a2"]
        assert alice.best_friend.id == "bob"
        assert log.count == 1  # reading the fetched relations sends nothing
    (query,) = log.queries
    assert len(driver.execute(query.cypher, query.params, read_only=True).rows) == 1


def test_to_one_is_none_and_to_many_is_empty_when_nothing_is_related(driver: Any) -> None:
    build(driver)
    with Session(driver) as session, record_queries(driver) as log:
        bob = session.get(User, "bob", fetch=["articles", "best_friend"])
        assert bob.articles == [] and bob.best_friend is None
        assert log.count == 1


def test_nested_paths_load_depth_two_in_the_same_round_trip(driver: Any) -> None:
    build(driver)
    with Session(driver) as session, record_queries(driver) as log:
        alice = session.get(User, "alice", fetch=["articles.comments", "articles.author"])
        by_id = {article.id: article for article in alice.articles}
        assert sorted(c.id for c in by_id["a1"].comments) == ["c1", "c2"]
        assert by_id["a2"].comments == []
        assert by_id["a1"].author is alice
        assert log.count == 1


def test_fetch_on_a_statement_keeps_order_and_rows(driver: Any) -> None:
    build(driver)
    with Session(driver) as session, record_queries(driver) as log:
        users = session.scalars(select(User).order_by(User.name, desc=True).fetch("articles"))
        assert [u.id for u in users] == ["carol", "bob", "alice"]
        assert [len(u.articles) for u in users] == [5, 0, 2]
        assert log.count == 1
        page = session.scalars(
            select(User).order_by(User.name).skip(1).limit(1).fetch(User.articles)
        )
        assert [u.id for u in page] == ["bob"]


def test_fetched_entities_are_tracked(driver: Any) -> None:
    build(driver)
    with Session(driver) as session:
        alice = session.get(User, "alice", fetch=["articles"])
        assert session.get(Article, "a1") in alice.articles
        next(a for a in alice.articles if a.id == "a1").title = "Changed"
    with Session(driver) as session:
        assert session.get(Article, "a1").title == "Changed"


def test_a_held_entity_with_loaded_relations_needs_no_query(driver: Any) -> None:
    build(driver)
    with Session(driver) as session:
        session.get(User, "alice", fetch=["articles.comments"])
        with record_queries(driver) as log:
            session.get(User, "alice", fetch=["articles"])
            session.get(User, "alice", fetch=["articles.comments"])
            assert log.count == 0
            session.get(User, "alice", fetch=["best_friend"])
            assert log.count == 1


def test_unknown_fetch_names_fail_before_any_query(driver: Any) -> None:
    build(driver)
    with Session(driver) as session, record_queries(driver) as log:
        with pytest.raises(
            StatementError,
            match=r"User has no relation 'posts' \(relations of User: articles, best_friend\)",
        ):
            session.get(User, "alice", fetch=["posts"])
        with pytest.raises(StatementError, match="Article has no relation 'tags'"):
            session.get(User, "alice", fetch=["articles.tags"])
        with pytest.raises(StatementError, match="fetch="):
            select(User).fetch(Article.author)
        assert log.count == 0
