"""Guide section "Async querying": scalars, count, aggregates, query() and stream()."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from typing import Any

import pytest

from runic.ogm import AsyncSession, select
from tests.live.async_guide.blocks import (
    AGGREGATE,
    BUILDER,
    QUERYING,
    docs_block,
    namespace,
    run,
)
from tests.models import Article, User


async def seed(driver: Any) -> None:
    async with AsyncSession(driver) as session:
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
            User(id=f"u{i}", name=f"U{4 - i}", email=f"{i}@x", city=["Berlin", "Paris"][i % 2])
            for i in range(5)
        )


@pytest.mark.asyncio
async def test_the_querying_blocks(async_driver: Any) -> None:
    await seed(async_driver)
    async with AsyncSession(async_driver) as session:
        scope = await run(docs_block(QUERYING), namespace(session=session))
        assert len(scope["articles"]) == 15 and scope["total"] == 15
        assert [article.id for article in scope["articles"][:2]] == ["a28", "a26"]

        scope = await run(docs_block(AGGREGATE), namespace(session=session))
        assert sorted(scope["rows"], key=str) == [
            {"n.city": "Berlin", "total": 3},
            {"n.city": "Paris", "total": 2},
        ]

        scope = await run(docs_block(BUILDER), namespace(session=session))
        assert [user.id for user in scope["everyone"]] == ["u4", "u2", "u0"]
        assert scope["first"].id == "u4" and scope["how_many"] == 3


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
