"""Guide section "Async querying": scalars, count, aggregates, query() and stream()."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from typing import Any

import pytest

from runic.ogm import AsyncSession, select
from runic.ogm.query import count
from tests.models import Article, User


@pytest.mark.asyncio
async def test_the_querying_blocks(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        session.add_all(
            Article(
                id=f"a{i}",
                title=f"T{i}",
                published=i % 2 == 0,
                published_at=datetime(2024, 1, 1 + i, tzinfo=UTC),
            )
            for i in range(30)
        )
        session.add_all(
            User(id=f"u{i}", name=f"U{i}", email=f"{i}@x", city=["Berlin", "Paris"][i % 2])
            for i in range(5)
        )
    async with AsyncSession(async_driver) as session:
        stmt = (
            select(Article)
            .where(Article.published == True)
            .order_by(Article.published_at, desc=True)
            .limit(20)
        )
        articles = await session.scalars(stmt)
        total = await session.count(stmt)
        assert len(articles) == 15 and total == 15
        assert articles[0].id == "a28"

        stmt = select(User).aggregate(count("*").as_("total"), group_by="n.city")
        rows = await session.all_rows(stmt)
        assert sorted(rows, key=str) == [
            {"n.city": "Berlin", "total": 3},
            {"n.city": "Paris", "total": 2},
        ]

        query = session.query(User).where(User.city == "Paris").order_by(User.name)
        assert [u.id for u in await query.all()] == ["u1", "u3"]
        assert (await query.first()).id == "u1"
        assert await query.count() == 2


@pytest.mark.asyncio
async def test_one_session_in_two_tasks_at_once_is_refused(async_driver: Any) -> None:
    import asyncio

    async with AsyncSession(async_driver) as session:
        session.add_all(User(id=f"u{i}", name="U", email=f"{i}@x") for i in range(3))
        await session.flush()
        results = await asyncio.gather(
            session.scalars(select(User)), session.scalars(select(User)), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        assert len(errors) == 1 and isinstance(errors[0], RuntimeError)
        assert "another task" in str(errors[0])
        assert len(await session.scalars(select(User))) == 3  # still usable afterwards


@pytest.mark.asyncio
async def test_streaming_keeps_memory_flat(async_driver: Any, graph: Any) -> None:
    total = 100_000
    graph.query(
        "UNWIND range(0, $n - 1) AS i CREATE (:User {id: 'u' + toString(i), name: 'N', email: toString(i)})",
        {"n": total},
    )
    async with AsyncSession(async_driver) as session:
        tracemalloc.start()
        seen = 0
        async for user in session.stream(select(User), page_size=2_000):
            seen += user.name == "N"
        _, streamed_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert seen == total
    async with AsyncSession(async_driver) as session:
        tracemalloc.start()
        everything = await session.scalars(select(User))
        _, loaded_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(everything) == total
    print(
        f"peak while streaming {streamed_peak / 1e6:.1f} MB, loading all {loaded_peak / 1e6:.1f} MB"
    )
    assert streamed_peak * 4 < loaded_peak
