"""A burst of sessions waits for a connection instead of being refused: a FalkorDB
driver opens at most as many connections as its handle's pool allows (100 for the
``falkordb`` clients, well under a server's maxclients) and queues the rest."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

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
