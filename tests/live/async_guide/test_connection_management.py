"""Guide section "Connection management (async)": one manager, many concurrent sessions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from falkordb.asyncio import FalkorDB as AsyncFalkorDB

from runic.ogm import AsyncConnectionManager, ConnectionManager, select
from tests.live.async_guide.blocks import MANAGER, docs_block, namespace, run
from tests.models import User


@pytest.mark.asyncio
async def test_fifty_concurrent_sessions_over_one_manager(graph: Any) -> None:
    manager = AsyncConnectionManager(graph, max_connections=8)

    async def handler(number: int) -> int:
        async with manager.session() as session:
            session.add(User(id=f"u{number}", name=f"N{number}", email=f"{number}@x"))
            await session.flush()
            mine = await session.get(User, f"u{number}")
            assert mine.name == f"N{number}"
            return await session.count(select(User))

    counts = await asyncio.gather(*(handler(n) for n in range(50)))
    assert all(1 <= c <= 50 for c in counts)
    async with manager.session() as session:
        assert await session.count(select(User)) == 50
    await manager.close()
    with pytest.raises(RuntimeError, match="closed"):
        manager.session()


@pytest.mark.asyncio
async def test_the_manager_block(falkordb_server: Any, graph: Any, graph_name: str) -> None:
    client = AsyncFalkorDB(unix_socket_path=falkordb_server.client.socket_file)
    handle = client.select_graph(graph_name)
    block = docs_block(MANAGER)
    scope = await run(block, namespace(async_graph_handle=handle))
    await scope["manager"].close()

    # The same block with a write in the session proves where the session went.
    written = block.replace("...", 'session.add(User(id="m1", name="M", email="m@x"))')
    assert written != block
    scope = await run(written, namespace(async_graph_handle=handle))
    await scope["manager"].close()
    assert graph.query("MATCH (u:User) RETURN u.id").result_set == [["m1"]]
    await client.connection.aclose()


def test_the_sync_manager_mirrors_it(graph: Any) -> None:
    manager = ConnectionManager(graph)
    with manager.session() as session:
        session.add(User(id="u1", name="N", email="e"))
    with manager.session() as session:
        assert session.get(User, "u1") is not None
    manager.close()
