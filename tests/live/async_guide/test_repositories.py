"""Guide section "Async repositories", and the sync Repository with the same surface."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncRepository, AsyncSession, Repository, Session
from tests.models import User


class UserRepository(AsyncRepository[User]):
    async def active_in_region(self, region: str) -> list[User]:
        return await (
            self.query()
            .where((User.active == True) & (User.region == region))
            .order_by(User.name)
            .all()
        )


def people() -> list[User]:
    return [
        User(
            id=f"u{i}", name=f"N{9 - i}", email=f"{i}@x", region=["EU", "US"][i % 2], active=i != 4
        )
        for i in range(6)
    ]


@pytest.mark.asyncio
async def test_the_repository_blocks(async_driver: Any) -> None:
    driver = async_driver
    async with AsyncSession(driver) as session:
        session.add_all(people())
    async with AsyncSession(driver) as session:
        repo = AsyncRepository(session, User)
        users = await repo.find_all(skip=0, limit=20)
        count = await repo.count()
        exists = await repo.exists("alice")
        assert (len(users), count, exists) == (6, 6, False)
        assert await repo.exists("u1") and (await repo.get("u1")).id == "u1"
        assert [u.id for u in await repo.find_all(skip=2, limit=2)] == ["u2", "u3"]

        regional = UserRepository(session, User)
        assert [u.id for u in await regional.active_in_region("EU")] == ["u2", "u0"]


def test_the_sync_repository_has_the_same_surface(driver: Any) -> None:
    with Session(driver) as session:
        session.add_all(people())
    with Session(driver) as session:
        repo = Repository(session, User)
        assert (len(repo.find_all(limit=4)), repo.count(), repo.exists("u5")) == (4, 6, True)
        assert repo.query().where(User.region == "US").count() == 3
        with pytest.raises(TypeError, match="use Repository"):
            AsyncRepository(session, User)
