"""Guide section "Opening an async session": AsyncFalkorDBDriver over a graph handle."""

from __future__ import annotations

from typing import Any

import pytest
from falkordb import FalkorDB
from falkordb.asyncio import FalkorDB as AsyncFalkorDB

from runic.ogm import AsyncSession
from runic.ogm.driver import AsyncGraphDriver
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver
from tests.models import User


@pytest.mark.asyncio
async def test_a_sync_handle_gets_its_own_async_connections(
    falkordb_server: Any, graph_name: str
) -> None:
    db = FalkorDB(unix_socket_path=falkordb_server.client.socket_file)
    graph = db.select_graph(graph_name)
    driver = AsyncFalkorDBDriver(graph)
    assert isinstance(driver, AsyncGraphDriver)
    assert driver.graph is not graph  # a falkordb.asyncio handle on the same graph
    try:
        async with AsyncSession(driver) as session:
            session.add(User(id="alice", name="Alice", email="a@x.org"))
        assert graph.query("MATCH (u:User) RETURN u.id").result_set == [["alice"]]
    finally:
        await driver.close()
        graph.delete()


@pytest.mark.asyncio
async def test_an_async_handle_is_used_as_it_is(falkordb_server: Any, graph_name: str) -> None:
    client = AsyncFalkorDB(unix_socket_path=falkordb_server.client.socket_file)
    graph = client.select_graph(graph_name)
    driver = AsyncFalkorDBDriver(graph)
    assert driver.graph is graph
    async with AsyncSession(driver) as session:
        session.add(User(id="bob", name="Bob", email="b@x.org"))
    async with AsyncSession(driver) as session:
        assert (await session.get(User, "bob")).name == "Bob"
    await graph.delete()
    await client.connection.aclose()


def test_the_wrong_kind_of_driver_is_refused_with_the_way_out(
    driver: Any, async_driver: Any
) -> None:
    from runic.ogm import Session

    with pytest.raises(TypeError, match="use Session for a sync driver"):
        AsyncSession(driver)
    with pytest.raises(TypeError, match="use AsyncSession for an async driver"):
        Session(async_driver)
    with pytest.raises(TypeError, match="async with"), AsyncSession(async_driver):
        pass
