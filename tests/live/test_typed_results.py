"""The typed result methods behave as their types say, on both session kinds:
``get_one`` finds or raises, and each session hands out the query and repository
builders typed for it."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncRepository, AsyncSession, Repository, Session
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import NoResultError
from runic.ogm.session.query import (
    AsyncQuery,
    AsyncQueryTraversal,
    AsyncSearchQuery,
    Query,
    QueryTraversal,
    SearchQuery,
)
from tests.models import Article, Doc, User


def test_get_one_returns_the_entity_or_raises_naming_model_and_key(driver: Any) -> None:
    with Session(driver) as session:
        session.add(User(id="ada", name="Ada", email="ada@x.org"))
    with Session(driver) as session, record_queries(driver) as log:
        ada = session.get_one(User, "ada", fetch=["articles"])
        assert (ada.name, ada.articles) == ("Ada", [])
        assert session.get_one(User, "ada") is ada and log.count == 1  # the identity map
        with pytest.raises(NoResultError, match=r"get_one\(\): no User with key 'eve'"):
            session.get_one(User, "eve")


@pytest.mark.asyncio
async def test_async_get_one(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        session.add(User(id="ada", name="Ada", email="ada@x.org"))
    async with AsyncSession(async_driver) as session:
        assert (await session.get_one(User, "ada")).name == "Ada"
        with pytest.raises(NoResultError, match="User with key 'eve'"):
            await session.get_one(User, "eve")


def test_a_session_hands_out_sync_builders(driver: Any) -> None:
    with Session(driver) as session:
        session.add(User(id="ada", name="Ada", email="ada@x.org"))
        query = session.query(User).where(User.name == "Ada")
        assert type(query) is Query
        assert [u.id for u in query.all()] == ["ada"]
        assert type(session.fulltext_search(Doc, "x")) is SearchQuery
        traversal = session.query(User).traverse(User.articles)
        assert type(traversal) is QueryTraversal
        assert type(traversal.return_target()) is Query and traversal.return_target().all() == []
        repository = Repository(session, User)
        assert type(repository.query()) is Query
        assert repository.get("ada") is query.one()


@pytest.mark.asyncio
async def test_an_async_session_hands_out_async_builders(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        session.add(User(id="ada", name="Ada", email="ada@x.org"))
        query = session.query(User).where(User.name == "Ada").order_by(User.name)
        assert type(query) is AsyncQuery
        assert [u.id for u in await query.all()] == ["ada"]
        assert type(session.fulltext_search(Doc, "x")) is AsyncSearchQuery
        traversal = session.query(User).traverse(User.articles).where(Article.title == "T")
        assert type(traversal) is AsyncQueryTraversal
        assert type(traversal.return_target()) is AsyncQuery
        assert await traversal.return_target().all() == []
        repository = AsyncRepository(session, User)
        assert type(repository.query()) is AsyncQuery
        assert await repository.get("ada") is await query.one()
        with pytest.raises(TypeError, match="AsyncRepository needs a AsyncSession"):
            AsyncRepository(Session.__new__(Session), User)  # type: ignore[arg-type]
