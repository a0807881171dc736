"""session.load(entities, paths): relations for many entities in one round trip."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncSession, Session, select
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import LazyLoadError, StatementError
from tests.models import Admin, Article, Comment, User


def seed(driver: Any) -> None:
    with Session(driver) as session:
        for u in range(3):
            user = User(id=f"u{u}", name=f"U{u}", email=f"{u}@x")
            user.articles = [
                Article(
                    id=f"a{u}{i}",
                    title=f"T{u}{i}",
                    comments=[Comment(id=f"c{u}{i}", text="hi")],
                )
                for i in range(u)
            ]
            session.add(user)
        session.add(Admin(id="root", name="Root", email="root@x"))


def test_load_fills_a_relation_for_every_entity_in_one_query(graph: Any, driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        users = session.scalars(select(User).order_by(User.id))
        with record_queries(driver) as sent:
            session.load(users, "articles.comments", User.best_friend)
        assert len(sent) == 1
        with record_queries(driver) as sent:
            by_id = {user.id: user for user in users}
            assert [len(by_id[f"u{u}"].articles) for u in range(3)] == [0, 1, 2]
            assert [c.id for a in by_id["u2"].articles for c in a.comments] == ["c20", "c21"]
            assert by_id["u1"].best_friend is None
            session.load(users, "articles")  # already loaded: no query
        assert len(sent) == 0


@pytest.mark.asyncio
async def test_async_load_makes_relations_readable(driver: Any, async_driver: Any) -> None:
    seed(driver)
    async with AsyncSession(async_driver) as session:
        users = await session.scalars(select(User).where(User.id.in_(["u1", "u2"])))
        with pytest.raises(LazyLoadError):
            _ = users[0].articles
        fresh = User(id="new", name="New", email="new@x")
        session.add(fresh)
        await session.load([*users, fresh], "articles")
        assert sorted(len(user.articles) for user in users) == [1, 2]
        assert fresh.articles == []


def test_load_refuses_bad_input_before_io(driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        user = session.get(User, "u1")
        article = session.get(Article, "a10")
        with record_queries(driver) as sent:
            with pytest.raises(StatementError, match="User has no relation 'posts'"):
                session.load([user], "posts")
            with pytest.raises(StatementError, match="one model, got Article, User"):
                session.load([user, article], "articles")
            with pytest.raises(StatementError, match="needs relation names"):
                session.load([user])
            with pytest.raises(Exception, match="not in this session"):
                session.load([User(id="x", name="X", email="x@x")], "articles")
        assert len(sent) == 0
        session.load([], "articles")
