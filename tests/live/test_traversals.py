"""Traversal options (issue 15): filters and order on the edge's fields, optional
traversals (left-join semantics), a direction override, and repeat() paths."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from runic.ogm import AsyncSession, Session, select
from runic.ogm.exceptions import StatementError
from runic.ogm.query import any_of, count, repeat
from tests.models import Article, Friendship, Scientist, User


def _friends(driver: Any) -> None:
    """a -> b -> c -> d as best friends (since 2020, 2021, 2022); a and b write."""
    with Session(driver) as session:
        users = {k: User(id=k, name=k.upper(), email=f"{k}@x.org") for k in "abcd"}
        session.add_all(users.values())
        for year, (source, target) in enumerate(("ab", "bc", "cd"), start=2020):
            session.relate(
                users[source],
                User.best_friend,
                users[target],
                edge=Friendship(since=date(year, 1, 1)),
            )
        users["a"].articles = [Article(id="a1", title="One"), Article(id="a2", title="Two")]
        users["b"].articles = [Article(id="b1", title="Three")]


def test_edge_fields_filter_order_and_project(driver: Any) -> None:
    _friends(driver)
    with Session(driver) as session:
        recent = (
            select(User)
            .traverse(User.best_friend, edge_alias="f")
            .where(Friendship.since >= date(2021, 1, 1))
            .order_by(Friendship.since, desc=True)
            .return_target()
        )
        assert [u.id for u in session.scalars(recent)] == ["d", "c"]
        pairs = session.scalars(
            select(User)
            .traverse(User.best_friend)
            .project(User.id, Friendship.since)
            .order_by("since")
        )
        # User.id names the most recent User step: the friend
        assert pairs == [("b", date(2020, 1, 1)), ("c", date(2021, 1, 1)), ("d", date(2022, 1, 1))]
        by_alias = select(User).traverse(User.best_friend, edge_alias="f").project("f.since")
        assert len(session.scalars(by_alias)) == 3
        with pytest.raises(StatementError, match="no traverse\\(\\) in this statement follows"):
            select(User).where(Friendship.since > date(2020, 1, 1))


def test_an_optional_traversal_keeps_rows_without_a_match(driver: Any) -> None:
    _friends(driver)
    with Session(driver) as session:
        per_user = (
            select(User)
            .traverse(User.articles, optional=True)
            .project(User.id, count(Article.id).as_("articles"))
            .order_by("id")
        )
        assert session.scalars(per_user) == [("a", 2), ("b", 1), ("c", 0), ("d", 0)]
        everyone = (
            select(User).traverse(User.articles, optional=True).where(User.id.in_(["a", "d"]))
        )
        assert sorted(u.id for u in session.scalars(everyone)) == ["a", "d"]
        plain = select(User).traverse(User.articles)
        assert sorted(u.id for u in session.scalars(plain)) == ["a", "b"]
        with pytest.raises(StatementError, match="optional traversal's target may be missing"):
            select(User).traverse(User.articles, optional=True).return_target()


def test_a_direction_override_and_repeat_paths(driver: Any) -> None:
    _friends(driver)
    with Session(driver) as session:
        of_b = select(User).where(User.id == "b")
        befriended_by = of_b.traverse(User.best_friend, direction="INCOMING").return_target()
        assert [u.id for u in session.scalars(befriended_by)] == ["a"]
        either_way = of_b.traverse(User.best_friend, direction="both").return_target()
        assert sorted(u.id for u in session.scalars(either_way)) == ["a", "c"]
        within_two = (
            select(User).where(User.id == "a").traverse(repeat(User.best_friend, max_hops=2))
        ).return_target()
        assert sorted(u.id for u in session.scalars(within_two)) == ["b", "c"]
        two_to_three = (
            select(User)
            .where(User.id == "a")
            .traverse(repeat(User.best_friend, min_hops=2, max_hops=3))
            .return_target()
        )
        assert sorted(u.id for u in session.scalars(two_to_three)) == ["c", "d"]
        # User.id would name the last User step (the friend): the root by its alias
        reach = (
            select(User)
            .alias("u")
            .traverse(repeat(User.best_friend, max_hops=3))
            .project("u.id", count("*").as_("n"))
        )
        assert {"u.id": "a", "n": 3} in session.all_rows(reach)


def test_bad_traversal_options_are_refused_before_any_io() -> None:
    with pytest.raises(StatementError, match="min_hops <= max_hops <= 32"):
        repeat(User.best_friend, min_hops=3, max_hops=2)
    with pytest.raises(StatementError, match="min_hops <= max_hops <= 32"):
        repeat(User.best_friend, max_hops=1000)
    with pytest.raises(StatementError, match="non-negative int"):
        repeat(User.best_friend, max_hops=-1)
    with pytest.raises(StatementError, match="OUTGOING, INCOMING or BOTH"):
        select(User).traverse(User.best_friend, direction="sideways")
    with pytest.raises(StatementError, match="path of several edges"):
        select(User).traverse(repeat(User.best_friend, max_hops=2)).where(
            Friendship.since > date(2020, 1, 1)
        )


@pytest.mark.asyncio
async def test_traversal_options_on_an_async_session(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        ada = User(id="ada", name="Ada", email="a@x.org")
        ada.articles = [Article(id="n1", title="Notes")]
        session.add_all([ada, User(id="bob", name="Bob", email="b@x.org")])
    per_user = (
        select(User)
        .traverse(User.articles, optional=True)
        .project(User.id, count(Article.id).as_("n"))
        .order_by("id")
    )
    async with AsyncSession(async_driver) as session:
        assert await session.scalars(per_user) == [("ada", 1), ("bob", 0)]


def test_with_pages_the_rows_before_a_traversal_expands_them(driver: Any) -> None:
    _friends(driver)
    with Session(driver) as session:
        # the first user by id (a) only, then its two articles
        first_users = select(User).order_by(User.id).limit(1).with_()
        titles = session.scalars(
            first_users.traverse(User.articles).project(Article.title).order_by("title")
        )
        assert titles == ["One", "Two"]
        # without with_() the limit applies to the final rows
        unpaged = select(User).traverse(User.articles).project(Article.title).order_by("title")
        assert session.scalars(unpaged.limit(1)) == ["One"]
        skipped = select(User).order_by(User.id).skip(1).limit(1).with_()
        assert session.scalars(skipped.traverse(User.articles).return_target()) == [
            session.get_one(Article, "b1")
        ]
        assert session.count(first_users.traverse(User.articles)) == 1  # distinct roots
        with pytest.raises(StatementError, match="where\\(\\) after with_\\(\\)"):
            first_users.where(User.name == "A")
        with pytest.raises(StatementError, match="needs an order_by"):
            select(User).with_()


def test_any_of_follows_several_relation_types_in_one_step(driver: Any) -> None:
    with Session(driver) as session:
        a, b, c, d = (Scientist(id=k) for k in "abcd")
        a.advisors = [b]
        a.colleagues = [c]
        c.advisors = [d]
        session.add_all([a, b, c, d])
    with Session(driver) as session:
        near = (
            select(Scientist)
            .where(Scientist.id == "a")
            .traverse(any_of(Scientist.advisors, Scientist.colleagues))
        )
        assert sorted(s.id for s in session.scalars(near.return_target())) == ["b", "c"]
        far = (
            select(Scientist)
            .where(Scientist.id == "a")
            .traverse(repeat(any_of(Scientist.advisors, Scientist.colleagues), max_hops=2))
        )
        assert sorted(s.id for s in session.scalars(far.return_target())) == ["b", "c", "d"]
    with pytest.raises(StatementError, match="another direction"):
        any_of(Scientist.advisors, Scientist.students)
    with pytest.raises(StatementError, match="does not join the same models"):
        any_of(Scientist.advisors, User.best_friend)  # type: ignore[arg-type]


def test_on_names_the_step_a_field_reads(driver: Any) -> None:
    _friends(driver)
    with Session(driver) as session:
        pairs = (
            select(User)
            .alias("u")
            .traverse(User.best_friend, edge_alias="f")
            .alias("friend")
            .where(User.id.in_(["a", "b"]), on="u")  # the root, not the friend
            .where(Friendship.since > date(2020, 6, 1), on="f")
            .order_by(User.id, on="u")
            .project("u.id", "friend.id")
        )
        assert session.scalars(pairs) == [("b", "c")]
        with pytest.raises(StatementError, match="no step is called 'x'"):
            select(User).where(User.id == "a", on="x")
        with pytest.raises(StatementError, match="another step than 'u'"):
            select(User).alias("u").traverse(User.articles).where(Article.id == "a1", on="u")
