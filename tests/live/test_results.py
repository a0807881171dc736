"""Result helpers on both sessions: first/one/one_or_none/exists, distinct values, random
order and typed aggregates, against embedded FalkorDB."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from runic.ogm import AsyncSession, Session, select
from runic.ogm.exceptions import MultipleResultsError, NoResultError, StatementError
from runic.ogm.query import avg, collect, count, max_, min_, sum_
from tests.models import Article, User

CITIES = ["Berlin", "Paris", "Berlin", None, "Oslo"]


def seed(driver: Any) -> None:
    with Session(driver) as session:
        session.add_all(
            User(id=f"u{i}", name=f"U{i}", email=f"{i}@x", city=city, age=20 + i)
            for i, city in enumerate(CITIES)
        )
        session.add_all(
            Article(id=f"a{i}", title=f"T{i}", published_at=datetime(2024, 1, 1 + i, tzinfo=UTC))
            for i in range(3)
        )


def test_sync_result_helpers(driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        in_berlin = select(User).where(User.city == "Berlin").order_by(User.id)
        assert session.first(in_berlin).id == "u0"
        assert session.one(select(User).where(User.city == "Oslo")).id == "u4"
        assert session.one_or_none(select(User).where(User.city == "Rome")) is None
        with pytest.raises(MultipleResultsError, match="more than one User"):
            session.one(in_berlin)
        with pytest.raises(NoResultError, match="no User matches"):
            session.one(select(User).where(User.city == "Rome"))
        assert session.exists(in_berlin) and not session.exists(select(User).where(User.age > 99))
        assert session.distinct(User.city) == ["Berlin", "Oslo", "Paris"]
        assert session.distinct(User.age, select(User).where(User.city == "Berlin")) == [20, 22]
        shuffled = {
            tuple(u.id for u in session.scalars(select(User).order_by_random())) for _ in range(20)
        }
        assert len(shuffled) > 1 and all(
            sorted(ids) == [f"u{i}" for i in range(5)] for ids in shuffled
        )

        assert session.scalar(select(User).aggregate(count("*"))) == 5
        assert session.scalar(select(User).aggregate(avg(User.age))) == pytest.approx(22.0)
        assert session.scalar(select(User).aggregate(sum_(User.age))) == 110
        assert session.scalar(select(User).aggregate(max_(User.age))) == 24
        latest = session.scalar(select(Article).aggregate(max_(Article.published_at)))
        assert latest == datetime(2024, 1, 3, tzinfo=UTC)
        ages = session.scalar(
            select(User).where(User.city == "Berlin").aggregate(collect(User.age))
        )
        assert sorted(ages) == [20, 22]
        rows = session.all_rows(
            select(User)
            .aggregate(min_(User.age).as_("youngest"), count("*").as_("n"), group_by=User.city)
            .order_by("youngest")
        )
        assert rows[0] == {"n.city": "Berlin", "youngest": 20, "n": 2}


@pytest.mark.asyncio
async def test_async_result_helpers(driver: Any, async_driver: Any) -> None:
    seed(driver)
    async with AsyncSession(async_driver) as session:
        query = session.query(User).where(User.city == "Oslo")
        assert (await query.one()).id == "u4"
        assert await query.exists()
        assert await session.query(User).where(User.city == "Rome").one_or_none() is None
        assert (await session.first(select(User).order_by(User.age, desc=True))).id == "u4"
        assert await session.distinct(User.city) == ["Berlin", "Oslo", "Paris"]
        assert await session.scalar(select(User).aggregate(max_(User.age))) == 24
        assert len(await session.query(User).order_by_random().limit(2).all()) == 2
        with pytest.raises(MultipleResultsError):
            await session.one(select(User))


def test_distinct_refuses_a_field_of_another_model(driver: Any) -> None:
    with Session(driver) as session:
        with pytest.raises(StatementError):
            session.distinct(Article.title, select(User))
        with pytest.raises(StatementError, match="takes a field such as User.city"):
            session.distinct("city")  # type: ignore[arg-type]
