"""Guide sections "Which methods are coroutines" and "Async CRUD"."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from runic.ogm import AsyncSession, select
from runic.ogm.driver.recording import record_queries
from tests.live.async_guide.blocks import CRUD, docs_block, namespace, run
from tests.models import Article, User

COROUTINES = [
    "search",
    "get_or_create",
    "load",
    "first",
    "one",
    "one_or_none",
    "exists",
    "distinct",
    "commit",
    "flush",
    "rollback",
    "get",
    "scalars",
    "scalar",
    "count",
    "all_rows",
    "all_with_edges",
    "execute",
    "refresh",
    "relate",
    "unrelate",
    "close",
]


def test_staging_is_sync_and_everything_else_a_coroutine() -> None:
    for name in ("add", "add_all", "delete", "merge", "query", "fulltext_search"):
        assert not inspect.iscoroutinefunction(getattr(AsyncSession, name)), name
    for name in COROUTINES:
        assert inspect.iscoroutinefunction(getattr(AsyncSession, name)), name


@pytest.mark.asyncio
async def test_the_crud_block(async_driver: Any) -> None:
    with record_queries(async_driver) as log:
        scope = await run(docs_block(CRUD), namespace(driver=async_driver))
    writes = [
        query
        for query in log.queries
        if not query.read_only and not query.cypher.startswith("CREATE INDEX")
    ]
    assert len(writes) == 3  # create, update, delete: one query per commit
    assert "Alice Smith" in repr(writes[1].params) and "DELETE" in writes[2].cypher
    assert scope["user"].name == "Alice Smith"
    async with AsyncSession(async_driver) as session:
        assert await session.get(User, "alice") is None


@pytest.mark.asyncio
async def test_relate_refresh_edges_and_raw_cypher(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        alice = User(id="alice", name="Alice", email="a@x.org")
        session.add(alice)
        await session.relate(alice, User.articles, Article(id="a1", title="One"))
    async with AsyncSession(async_driver) as session:
        ((source, _, target),) = await session.all_with_edges(select(User).traverse(User.articles))
        assert (source.id, target.id) == ("alice", "a1")
        await session.execute("MATCH (u:User) SET u.name = 'Al'")
        await session.refresh(source)
        assert source.name == "Al"
        await session.unrelate(source, "articles", target)
    async with AsyncSession(async_driver) as session:
        assert (await session.get(User, "alice", fetch=["articles"])).articles == []


@pytest.mark.asyncio
async def test_an_exception_rolls_back(async_driver: Any) -> None:
    with pytest.raises(KeyError):
        async with AsyncSession(async_driver) as session:
            session.add(User(id="alice", name="Alice", email="a@x.org"))
            raise KeyError("boom")
    async with AsyncSession(async_driver) as session:
        assert await session.count(select(User)) == 0
