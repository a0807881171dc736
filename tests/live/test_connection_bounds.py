"""A burst of sessions waits for a connection instead of being refused: a FalkorDB
driver opens at most as many connections as its handle's pool allows (100 for the
``falkordb`` clients, well under a server's maxclients) and queues the rest."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from falkordb import FalkorDB

from runic.ogm import AsyncSession, Session
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver
from tests.servers.falkordb_server import FalkorDBServer

SESSIONS = 500
THREADS = 150
#: A read that keeps the server busy a moment, so concurrent sessions overlap.
BUSY = "UNWIND range(1, 20000) AS i RETURN count(i) AS c"


def connected_clients(port: int) -> int:
    probe = FalkorDB(host="127.0.0.1", port=port)
    try:
        return int(probe.connection.info("clients")["connected_clients"])
    finally:
        probe.connection.close()


def test_500_concurrent_sessions_through_a_bare_async_driver_all_succeed(
    falkordb_tcp_server: FalkorDBServer,
) -> None:
    port = falkordb_tcp_server.port
    before = connected_clients(port)
    handle = FalkorDB(host="127.0.0.1", port=port)
    graph = handle.select_graph("burst")
    driver = AsyncFalkorDBDriver(graph)

    async def one(number: int) -> Any:
        async with AsyncSession(driver) as session:
            await session.execute("CREATE (:Hit {n: $n})", {"n": number})
            return await session.execute(BUSY)

    async def burst() -> tuple[list[Any], int]:
        results = await asyncio.gather(*(one(n) for n in range(SESSIONS)), return_exceptions=True)
        opened = connected_clients(port) - before  # the driver's idle connections stay open
        await driver.close()
        return results, opened

    results, opened = asyncio.run(burst())
    failures = [result for result in results if isinstance(result, BaseException)]
    assert failures == []
    # falkordb.asyncio's pool allows 100: the driver keeps to it (+ the handle's own)
    assert 1 <= opened <= 100 + 2, opened
    stored = graph.query("MATCH (h:Hit) RETURN count(h)").result_set
    assert stored == [[SESSIONS]]
    graph.delete()
    handle.connection.close()


def test_more_threads_than_connections_all_succeed(
    falkordb_tcp_server: FalkorDBServer,
) -> None:
    port = falkordb_tcp_server.port
    before = connected_clients(port)
    handle = FalkorDB(host="127.0.0.1", port=port)  # its pool allows 100
    graph = handle.select_graph("threads")
    driver = FalkorDBDriver(graph)
    failures: list[BaseException] = []

    def work(number: int) -> None:
        try:
            for _ in range(5):
                with Session(driver) as session:
                    session.execute("CREATE (:Hit {n: $n})", {"n": number})
                    session.execute(BUSY)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    opened = connected_clients(port) - before
    assert failures == []
    assert 1 <= opened <= 100 + 2, opened
    assert graph.query("MATCH (h:Hit) RETURN count(h)").result_set == [[THREADS * 5]]
    driver.close()
    graph.delete()
    handle.connection.close()


def test_a_query_waits_for_a_connection_only_as_long_as_pool_timeout(
    own_falkordb_server: FalkorDBServer,
) -> None:
    """The only connection is held by a query the stalled server does not answer: the
    next query gives up after ``pool_timeout`` without sending anything."""
    from runic.ogm.exceptions import ConnectionFailedError

    server = own_falkordb_server
    handle = FalkorDB(host="127.0.0.1", port=server.port, max_connections=1)
    driver = FalkorDBDriver(handle.select_graph("busy"), pool_timeout=0.2)
    driver.execute("CREATE (:Ready)")
    held: list[Any] = []
    server.pause()
    try:
        holder = threading.Thread(target=lambda: held.append(driver.execute("RETURN 1")))
        holder.start()
        time.sleep(0.1)  # the holder's query is out, on the only connection
        started = time.monotonic()
        with pytest.raises(ConnectionFailedError, match="no connection came free") as caught:
            driver.execute("CREATE (:Mark)")
        assert 0.2 <= time.monotonic() - started < 2 and not caught.value.may_have_applied
    finally:
        server.resume()
    holder.join(timeout=10)
    assert held and held[0].rows == [[1]]

    async def the_same_on_an_async_driver() -> None:
        async_driver = AsyncFalkorDBDriver(
            handle.select_graph("busy"), max_connections=1, pool_timeout=0.2
        )
        await async_driver.execute("CREATE (:Ready)")  # its loop's connection, made ready
        server.pause()
        try:
            holding = asyncio.ensure_future(async_driver.execute("RETURN 1"))
            await asyncio.sleep(0.1)
            with pytest.raises(ConnectionFailedError, match="no connection came free"):
                await asyncio.wait_for(async_driver.execute("CREATE (:Mark)"), 5)
        finally:
            server.resume()
        assert (await asyncio.wait_for(holding, 10)).rows == [[1]]
        await async_driver.close()

    asyncio.run(the_same_on_an_async_driver())
    assert driver.execute("MATCH (m:Mark) RETURN count(m)", read_only=True).rows == [[0]]
    driver.close()
    handle.connection.close()


@pytest.mark.parametrize("size", [16, 200])
def test_500_concurrent_sessions_through_a_manager_of_any_size_all_succeed(
    falkordb_tcp_server: FalkorDBServer, size: int
) -> None:
    from runic.ogm import AsyncConnectionManager

    port = falkordb_tcp_server.port
    before = connected_clients(port)

    async def burst() -> tuple[list[Any], int]:
        manager = AsyncConnectionManager.from_url(
            f"falkordb://127.0.0.1:{port}/managed_{size}", max_connections=size
        )

        async def one(number: int) -> Any:
            async with manager.session() as session:
                await session.execute("CREATE (:Hit {n: $n})", {"n": number})
                return await session.execute(BUSY)

        results = await asyncio.gather(*(one(n) for n in range(SESSIONS)), return_exceptions=True)
        opened = connected_clients(port) - before
        async with manager.session() as session:
            stored = await session.execute("MATCH (h:Hit) RETURN count(h) AS c")
        await manager.close()
        assert stored == [{"c": SESSIONS}]
        return results, opened

    results, opened = asyncio.run(burst())
    assert [result for result in results if isinstance(result, BaseException)] == []
    assert 1 <= opened <= size + 1, opened


@pytest.mark.asyncio
async def test_500_concurrent_sessions_on_embedded_falkordb_all_succeed(async_driver: Any) -> None:
    """The embedded server's client: the driver keeps under its pool and queues."""

    async def one(number: int) -> Any:
        async with AsyncSession(async_driver) as session:
            await session.execute("CREATE (:Hit {n: $n})", {"n": number})
            return await session.execute(BUSY)

    results = await asyncio.gather(*(one(n) for n in range(SESSIONS)), return_exceptions=True)
    assert [result for result in results if isinstance(result, BaseException)] == []
    async with AsyncSession(async_driver) as session:
        assert await session.execute("MATCH (h:Hit) RETURN count(h) AS c") == [{"c": SESSIONS}]
