"""Guide section "Testing async code": the fixture and test exactly as the guide shows."""

from __future__ import annotations

import pytest
import pytest_asyncio
from redislite import FalkorDB

from runic.ogm.driver.falkordb import AsyncFalkorDBDriver
from tests.models import User


@pytest_asyncio.fixture
async def async_driver():  # type: ignore[no-untyped-def]
    db = FalkorDB(protocol=2)
    graph = db.select_graph("test_async")
    driver = AsyncFalkorDBDriver(graph)
    yield driver
    await driver.close()
    graph.delete()
    db.close()


@pytest.mark.asyncio
async def test_create_user(async_driver):  # type: ignore[no-untyped-def]
    from runic.ogm import AsyncSession

    async with AsyncSession(async_driver) as session:
        session.add(User(id="u1", name="Alice", email="a@example.com"))
        await session.commit()

        user = await session.get(User, "u1")
        assert user is not None
