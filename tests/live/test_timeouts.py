"""runic's connection options bound each backend by the same names, as arguments or in
the URL: a read past ``query_timeout`` is stopped by the server, a query waits for a busy
connection at most ``pool_timeout``, and the driver goes on working afterwards."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from runic.ogm import AsyncConnectionManager, ConnectionManager
from runic.ogm.driver import create_async_driver, create_driver
from runic.ogm.driver.age import AGEDriver
from runic.ogm.driver.bolt import BoltDriver
from runic.ogm.exceptions import ConnectionFailedError, QueryTimeoutError
from tests.backends import ARCADEDB_DATABASE, ARCADEDB_PASSWORD
from tests.servers.falkordb_server import FalkorDBServer

#: About a second of work for FalkorDB without a timeout; it checks its TIMEOUT often.
SLOW_READ = (
    "UNWIND range(1, 3000) AS i UNWIND range(1, 3000) AS j "
    "WITH i, j WHERE (i * j) % 7 = 0 RETURN count(*)"
)


def test_falkordb_stops_a_read_at_query_timeout_from_the_url(
    falkordb_tcp_server: FalkorDBServer,
) -> None:
    url = f"falkordb://127.0.0.1:{falkordb_tcp_server.port}/timeouts?query_timeout=0.1"
    driver = create_driver(url)
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match="query_timeout; it changed nothing") as caught:
        driver.execute(SLOW_READ, read_only=True)
    assert time.monotonic() - started < 0.8  # stopped by the server, not run to its end
    assert not caught.value.may_have_applied
    assert driver.execute("RETURN 1", read_only=True).rows == [[1]]  # the driver goes on
    driver.close()

    async def the_same_through_the_async_factory() -> None:
        async_driver = create_async_driver(url)
        with pytest.raises(QueryTimeoutError):
            await async_driver.execute(SLOW_READ, read_only=True)
        assert (await async_driver.execute("RETURN 1", read_only=True)).rows == [[1]]
        await async_driver.close()

    asyncio.run(the_same_through_the_async_factory())


def test_a_managers_options_reach_its_driver(falkordb_tcp_server: FalkorDBServer) -> None:
    """Both managers are made from a URL or a handle, with the same options."""
    from falkordb import FalkorDB

    url = f"falkordb://127.0.0.1:{falkordb_tcp_server.port}/managed"
    manager = ConnectionManager.from_url(url, query_timeout=0.1, max_connections=2)
    with pytest.raises(QueryTimeoutError):
        manager.driver.execute(SLOW_READ, read_only=True)
    with manager.session() as session:
        assert session.execute("RETURN 1 AS one") == [{"one": 1}]
    manager.close()

    handle = FalkorDB(host="127.0.0.1", port=falkordb_tcp_server.port, socket_timeout=0.5)
    manager = ConnectionManager(handle.select_graph("managed"))
    with pytest.raises(QueryTimeoutError):  # the handle's socket_timeout, on the server too
        manager.driver.execute(SLOW_READ, read_only=True)
    manager.close()
    handle.connection.close()

    async def the_async_manager() -> None:
        async_manager = AsyncConnectionManager.from_url(f"{url}?query_timeout=0.1")
        with pytest.raises(QueryTimeoutError):
            await async_manager.driver.execute(SLOW_READ, read_only=True)
        async with async_manager.session() as session:
            assert await session.execute("RETURN 1 AS one") == [{"one": 1}]
        await async_manager.close()

    asyncio.run(the_async_manager())


def test_bolt_takes_runics_connection_options(arcadedb_driver: BoltDriver) -> None:
    """On ArcadeDB: one connection, held by a transaction left open; the next query
    waits ``pool_timeout`` for it, fails without sending anything, and once the
    connection is free the driver works again."""
    address = arcadedb_driver._address
    url = f"bolt://{address}?max_connections=1&pool_timeout=0.3&socket_connect_timeout=2"
    driver = BoltDriver.from_url(
        url, auth=("root", ARCADEDB_PASSWORD), database=ARCADEDB_DATABASE, dialect="arcadedb"
    )
    holder = driver.driver.session(database=ARCADEDB_DATABASE)
    transaction = holder.begin_transaction()
    transaction.run("RETURN 1").consume()
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError, match="safe to send again") as caught:
        driver.execute("CREATE (:Timeouts)")
    assert 0.3 <= time.monotonic() - started < 3 and not caught.value.may_have_applied
    transaction.rollback()
    holder.close()
    assert driver.execute("MATCH (t:Timeouts) RETURN count(t)", read_only=True).rows == [[0]]
    with pytest.raises(ValueError, match="no socket_timeout"):
        BoltDriver.from_url(url, socket_timeout=1)
    driver.close()


def test_age_takes_runics_connection_options(age_driver: AGEDriver) -> None:
    """A read past ``query_timeout`` is cancelled by PostgreSQL; a query that finds the
    connection busy for ``pool_timeout`` fails without sending anything."""
    info = age_driver.connection.info
    url = (
        f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}"
        "?graph=timeouts&query_timeout=0.5&socket_connect_timeout=2"
    )
    driver = AGEDriver.from_url(url, pool_timeout=0.1)
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError, match="changed nothing"):
        driver.execute(SLOW_READ, read_only=True)
    assert time.monotonic() - started < 3
    assert driver.execute("RETURN 1", read_only=True).rows == [[1]]

    outcome: list[Any] = []

    def slow() -> None:
        try:
            driver.execute(SLOW_READ, read_only=True)
        except QueryTimeoutError as error:
            outcome.append(error)

    thread = threading.Thread(target=slow)
    thread.start()
    deadline = time.monotonic() + 5
    while not driver._lock.locked() and time.monotonic() < deadline:
        time.sleep(0.005)  # until the slow read holds the connection
    with pytest.raises(ConnectionFailedError, match="pool_timeout"):
        driver.execute("CREATE (:Waited)")
    thread.join(timeout=10)
    assert outcome and not thread.is_alive()
    assert driver.execute("MATCH (w:Waited) RETURN count(w)", read_only=True).rows == [[0]]
    with pytest.raises(ValueError, match="no max_connections"):
        AGEDriver.from_url(url, max_connections=4)
    driver.close()


def test_an_age_driver_from_a_url_reconnects_after_a_server_restart() -> None:
    """The query that meets the broken connection fails as safe to retry; the next one
    opens a new connection, set up as the first (AGE loaded, ``query_timeout`` set)."""
    from tests.servers.falkordb_server import free_port
    from tests.servers.postgres_age import PostgresAGE

    server = PostgresAGE(free_port())
    try:
        server.start()
        driver = AGEDriver.from_url(f"{server.url}?graph=restarts&query_timeout=0.3")
        driver.execute("CREATE (:Before)")
        server.restart(down_for=0.5)
        with pytest.raises(ConnectionFailedError, match="safe to send again"):
            driver.execute("CREATE (:During)")
        driver.execute("CREATE (:After)")
        rows = driver.execute("MATCH (n) RETURN labels(n)[0] AS l ORDER BY l", read_only=True)
        assert rows.rows == [["After"], ["Before"]]
        with pytest.raises(QueryTimeoutError):  # the new connection's statement_timeout
            driver.execute(SLOW_READ, read_only=True)
        driver.close()
        asyncio.run(_async_age_reconnects(server))
    finally:
        server.stop()


async def _async_age_reconnects(server: Any) -> None:
    """The async driver's pool: the same outcome, the broken connection left out."""
    from runic.ogm.driver.age_async import AsyncAGEDriver

    driver = AsyncAGEDriver.from_url(f"{server.url}?graph=restarts&query_timeout=0.3")
    await driver.execute("CREATE (:AsyncBefore)")
    server.restart(down_for=0.5)
    with pytest.raises(ConnectionFailedError, match="safe to send again"):
        await driver.execute("CREATE (:AsyncDuring)")
    await driver.execute("CREATE (:AsyncAfter)")
    rows = await driver.execute(
        "MATCH (n) WHERE labels(n)[0] STARTS WITH 'Async' RETURN labels(n)[0] AS l ORDER BY l",
        read_only=True,
    )
    assert rows.rows == [["AsyncAfter"], ["AsyncBefore"]]
    with pytest.raises(QueryTimeoutError):
        await driver.execute(SLOW_READ, read_only=True)
    await driver.close()


@pytest.mark.asyncio
async def test_the_async_age_pool_is_bounded_and_shared(age_server: Any) -> None:
    """32 concurrent first queries on a graph that does not exist yet: it is made once,
    every query succeeds, and no more than ``max_connections`` connections open. With
    the pool's one connection held by a transaction, a query waits ``pool_timeout`` and
    fails, nothing sent."""
    from runic.ogm.driver.age_async import AsyncAGEDriver

    graph = f"pool_{time.monotonic_ns()}"
    driver = AsyncAGEDriver.from_url(f"{age_server.url}?graph={graph}", max_connections=4)
    await asyncio.gather(*(driver.execute(f"CREATE (:Pooled {{n: {n}}})") for n in range(32)))
    counted = await driver.execute("MATCH (p:Pooled) RETURN count(p)", read_only=True)
    assert counted.rows == [[32]]
    opened = driver._loops[asyncio.get_running_loop()].pool.get_stats()["connections_num"]
    assert 1 <= opened <= 4
    await driver.close()

    single = AsyncAGEDriver.from_url(
        f"{age_server.url}?graph={graph}", max_connections=1, pool_timeout=0.2
    )
    transaction = await single.begin()
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError, match="pool_timeout"):
        await single.execute("CREATE (:Waited)")
    assert 0.15 <= time.monotonic() - started < 2
    await transaction.rollback()
    assert (await single.execute("MATCH (w:Waited) RETURN count(w)", read_only=True)).rows == [[0]]
    await single.close()
