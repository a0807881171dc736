"""Guide section "Opening an async session": AsyncFalkorDBDriver over a graph handle."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from falkordb import FalkorDB
from falkordb.asyncio import FalkorDB as AsyncFalkorDB

from runic.ogm import AsyncSession, Session, run_async, select
from runic.ogm.driver import AsyncGraphDriver
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver
from tests.docs_blocks import block_containing
from tests.models import User
from tests.servers.falkordb_server import stop_pid

GUIDE_PORT = 6379


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture(scope="module")
def tcp_server() -> Iterator[tuple[Any, int]]:
    """An embedded FalkorDB listening on 127.0.0.1, on the guide's port when it is free."""
    from redislite import FalkorDB as EmbeddedFalkorDB

    port = GUIDE_PORT
    if not _port_is_free(port):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    server = EmbeddedFalkorDB(serverconfig={"port": str(port), "bind": "127.0.0.1"})
    pid = server.client.pid
    yield server, port
    server.close()
    if pid:
        stop_pid(pid)  # redislite leaves its server running while any client is connected


def _guide_block(port: int) -> str:
    """The docs' opening block; the port is changed only when 6379 is taken here."""
    block = block_containing("async.rst", 'FalkorDB(host="localhost", port=6379)')
    return block.replace("port=6379", f"port={port}")


def test_the_opening_block_runs_as_written_over_tcp(tcp_server: tuple[Any, int]) -> None:
    server, port = tcp_server
    block = _guide_block(port)
    exec(compile(block, "docs/async.rst", "exec"), {"__name__": "guide"})

    # The same block with a write in the session proves where it went.
    written = block.replace(
        "...  # commit on success",
        'session.add(User(id="tcp", name="Over TCP", email="tcp@x.org"))  #',
    )
    assert written != block
    exec(compile(written, "docs/async.rst", "exec"), {"__name__": "guide", "User": User})
    graph = server.select_graph("myapp")
    assert graph.query("MATCH (u:User) RETURN u.name").result_set == [["Over TCP"]]
    graph.delete()


@pytest.mark.asyncio
async def test_a_sync_handle_gets_its_own_async_connections(
    falkordb_server: Any, graph_name: str
) -> None:
    db = FalkorDB(unix_socket_path=falkordb_server.client.socket_file)
    graph = db.select_graph(graph_name)
    driver = AsyncFalkorDBDriver(graph)
    assert isinstance(driver, AsyncGraphDriver)
    assert driver.graph is not graph  # a falkordb.asyncio handle on the same graph
    assert asyncio.iscoroutinefunction(driver.graph.query)
    try:
        async with AsyncSession(driver) as session:
            session.add(User(id="alice", name="Alice", email="a@x.org"))
        assert graph.query("MATCH (u:User) RETURN u.id").result_set == [["alice"]]
    finally:
        await driver.close()
        graph.delete()


async def _write_and_read_back(graph: Any) -> None:
    driver = AsyncFalkorDBDriver(graph)
    assert driver.graph is graph
    async with AsyncSession(driver) as session:
        session.add(User(id="bob", name="Bob", email="b@x.org"))
    async with AsyncSession(driver) as session:
        assert (await session.get(User, "bob")).name == "Bob"
        assert await session.count(select(User)) == 1
    await graph.delete()


@pytest.mark.asyncio
async def test_an_async_handle_is_used_as_it_is(falkordb_server: Any, graph_name: str) -> None:
    client = AsyncFalkorDB(unix_socket_path=falkordb_server.client.socket_file)
    await _write_and_read_back(client.select_graph(graph_name))
    await client.connection.aclose()


@pytest.mark.asyncio
async def test_redislite_async_client_is_accepted(graph_name: str) -> None:
    from redislite.async_falkordb_client import AsyncFalkorDB as EmbeddedAsyncFalkorDB

    database = EmbeddedAsyncFalkorDB()
    pid = database.client.pid
    try:
        await _write_and_read_back(database.select_graph(graph_name))
        await database.close()
        # redislite 0.11's async close() leaves its server running (it marks it "async
        # managed" and skips the shutdown); stop it the way its sync client would.
        server = database.client._sync_client
        server._async_managed = False
        server._cleanup()
    finally:
        if pid:
            stop_pid(pid)  # its SHUTDOWN does not always end the process: by its PID


def test_one_driver_serves_several_event_loops(graph: Any) -> None:
    """Connections belong to a loop: each asyncio.run() gets its own, on the same graph."""
    driver = AsyncFalkorDBDriver(graph)

    async def add(key: str) -> int:
        async with AsyncSession(driver) as session:
            session.add(User(id=key, name=key, email=f"{key}@x.org"))
            await session.flush()
            return await session.count(select(User))

    assert asyncio.run(add("one")) == 1
    assert asyncio.run(add("two")) == 2
    asyncio.run(driver.close())


def test_run_async_works_with_and_without_a_running_loop(graph: Any) -> None:
    driver = AsyncFalkorDBDriver(graph)
    graph.query("CREATE (:User {id: 'u', name: 'U', email: 'u@x', active: true, tags: []})")

    async def count_users() -> int:
        async with AsyncSession(driver) as session:
            return await session.count(select(User))

    def sync_helper() -> int:  # sync code, as a notebook cell calls it
        return run_async(count_users())

    async def notebook() -> int:
        pending = asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="cannot be called from a running event loop"):
            asyncio.run(pending)
        pending.close()
        first = await count_users()  # the driver's connections in this loop...
        return first + sync_helper()  # ...and another loop's, on a worker thread

    assert sync_helper() == 1
    assert asyncio.run(notebook()) == 2
    with pytest.raises(TypeError, match=r"run_async\(main\(\)\)"):
        run_async(count_users)  # type: ignore[arg-type]
    asyncio.run(driver.close())


@pytest.mark.asyncio
async def test_the_wrong_kind_of_driver_is_refused_with_the_way_out(
    driver: Any, async_driver: Any, graph: Any
) -> None:
    with pytest.raises(TypeError, match="use Session for a sync driver"):
        AsyncSession(driver)
    with pytest.raises(TypeError, match="use AsyncSession for an async driver"):
        Session(async_driver)
    with pytest.raises(TypeError, match="async with"), AsyncSession(async_driver):
        pass
    with pytest.raises(TypeError, match=r"use `with Session\(driver\)`"):
        async with Session(driver):
            pass
    with pytest.raises(TypeError, match=r"AsyncFalkorDBDriver\(graph\) with AsyncSession"):
        FalkorDBDriver(async_driver.graph)
    async with AsyncSession(async_driver) as session:
        with pytest.raises(TypeError, match="async for"):
            for _ in session.stream(select(User)):  # type: ignore[attr-defined]
                pass
        with pytest.raises(ValueError, match="page_size must be a positive int, got 0"):
            session.stream(select(User), page_size=0)
    assert graph.query("MATCH (n) RETURN count(n)").result_set == [[0]]
