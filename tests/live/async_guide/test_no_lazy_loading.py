"""Guide section "No lazy loading": LazyLoadError, fetch=, traversal, DetachedEntityError."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncSession
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import DetachedEntityError, LazyLoadError
from tests.live.async_guide.blocks import LAZY, docs_block, namespace, run
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
async def test_the_docs_block_fails_at_the_bad_line_then_runs_the_good_ones(
    async_driver: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(async_driver)
    block = docs_block(LAZY)
    with record_queries(async_driver) as log, pytest.raises(LazyLoadError):
        await run(block, namespace(driver=async_driver))
    assert log.count == 1  # the get; reading .articles sent nothing

    bad_line = "print(user.articles)  # LazyLoadError"
    assert bad_line in block
    scope = await run(block.replace(bad_line, "pass"), namespace(driver=async_driver))
    assert sorted(capsys.readouterr().out.split()) == ["One", "Two"]
    assert {article.id for article in scope["articles"]} == {"a1", "a2"}
    assert all(article in scope["user"].articles for article in scope["articles"])


@pytest.mark.asyncio
async def test_unloaded_state_after_close_is_detached(async_driver: Any) -> None:
    await seed(async_driver)
    async with AsyncSession(async_driver) as session:
        user = await session.get(User, "alice")
    with pytest.raises(DetachedEntityError, match="User.articles"):
        print(user.articles)
