"""Guide section "No lazy loading": LazyLoadError, fetch=, traversal, DetachedEntityError."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncSession, select
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import DetachedEntityError, LazyLoadError
from tests.models import Article, User


async def seed(driver: Any) -> None:
    async with AsyncSession(driver) as session:
        alice = User(id="alice", name="Alice", email="a@x.org")
        alice.articles = [Article(id="a1", title="One"), Article(id="a2", title="Two")]
        session.add(alice)


@pytest.mark.asyncio
async def test_bad_access_raises_and_names_the_fix(async_driver: Any) -> None:
    await seed(async_driver)
    async with AsyncSession(async_driver) as session:
        user = await session.get(User, "alice")
        with record_queries(async_driver) as log, pytest.raises(LazyLoadError) as failure:
            print(user.articles)
        assert log.count == 0
        message = str(failure.value)
        assert "User.articles" in message and "fetch=['articles']" in message


@pytest.mark.asyncio
async def test_good_access_with_fetch_and_traversal(async_driver: Any) -> None:
    await seed(async_driver)
    async with AsyncSession(async_driver) as session:
        user = await session.get(User, "alice", fetch=["articles"])
        assert sorted(article.title for article in user.articles) == ["One", "Two"]
        stmt = (
            select(User)
            .where(User.id == "alice")
            .alias("u")
            .traverse(User.articles)
            .alias("a")
            .return_target()
        )
        articles = await session.scalars(stmt)
        assert {a.id for a in articles} == {"a1", "a2"}
        assert all(a in user.articles for a in articles)


@pytest.mark.asyncio
async def test_unloaded_state_after_close_is_detached(async_driver: Any) -> None:
    await seed(async_driver)
    async with AsyncSession(async_driver) as session:
        user = await session.get(User, "alice")
    with pytest.raises(DetachedEntityError, match="User.articles"):
        print(user.articles)
