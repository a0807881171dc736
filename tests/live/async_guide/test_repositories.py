"""Guide section "Async repositories", and the sync Repository with the same surface."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncRepository, AsyncSession, Repository, Session
from tests.live.async_guide.blocks import REPOSITORY, SUBCLASS, docs_block, namespace, run
from tests.models import User


def people() -> list[User]:
    return [
        User(
            id=f"u{i}", name=f"N{9 - i}", email=f"{i}@x", region=["EU", "US"][i % 2], active=i != 4
        )
        for i in range(6)
    ]


@pytest.mark.asyncio
async def test_the_repository_blocks(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        session.add_all(people())
    scope = await run(docs_block(REPOSITORY), namespace(driver=async_driver))
    assert (len(scope["users"]), scope["count"], scope["exists"]) == (6, 6, False)

    scope = await run(docs_block(SUBCLASS), namespace())
    async with AsyncSession(async_driver) as session:
        regional = scope["UserRepository"](session, User)
        assert [u.id for u in await regional.active_in_region("EU")] == ["u2", "u0"]
        repo = AsyncRepository(session, User)
        assert await repo.exists("u1") and (await repo.get("u1")).id == "u1"
        assert [u.id for u in await repo.find_all(skip=2, limit=2)] == ["u2", "u3"]


def test_the_sync_repository_has_the_same_surface(driver: Any) -> None:
    with Session(driver) as session:
        session.add_all(people())
    with Session(driver) as session:
        repo = Repository(session, User)
        assert (len(repo.find_all(limit=4)), repo.count(), repo.exists("u5")) == (4, 6, True)
        assert repo.query().where(User.region == "US").count() == 3
        with pytest.raises(TypeError, match="use Repository"):
            AsyncRepository(session, User)
