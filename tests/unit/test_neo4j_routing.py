"""Neo4j clusters route through ``neo4j://`` URLs: runic's read-only flag becomes the
session's access mode (READ goes to a follower or read replica, WRITE to the leader),
and every session shares the driver's bookmark manager, so a read follows the writes
before it (causal consistency). No Neo4j server runs here: the check is made on the
``neo4j`` driver's own API, the sessions it is asked for."""

from __future__ import annotations

import asyncio
from typing import Any

import neo4j
import pytest

from runic.ogm.driver import create_async_driver, create_driver


class _Result:
    """An empty result, for sync and async iteration."""

    def __iter__(self) -> Any:
        return iter(())

    def __aiter__(self) -> Any:
        return self

    async def __anext__(self) -> Any:
        raise StopAsyncIteration

    def keys(self) -> list[str]:
        return []


class _Transaction:
    def __init__(self, log: list[Any]) -> None:
        self.log = log

    def run(self, cypher: str, params: Any = None) -> _Result:
        self.log.append(("run", cypher))
        return _Result()

    def commit(self) -> None:
        self.log.append(("commit",))


class _AsyncTransaction(_Transaction):
    async def run(self, cypher: str, params: Any = None) -> _Result:  # type: ignore[override]
        return super().run(cypher, params)

    async def commit(self) -> None:  # type: ignore[override]
        super().commit()


class _Session:
    """What runic asks of a ``neo4j`` session, recorded: the options it was opened with."""

    def __init__(self, log: list[Any], options: dict[str, Any]) -> None:
        self.log = log
        log.append(("session", options))

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        return None

    async def __aenter__(self) -> _Session:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        return None

    def begin_transaction(self, timeout: Any = None) -> _Transaction:
        return _Transaction(self.log)


class _AsyncSession(_Session):
    async def begin_transaction(self, timeout: Any = None) -> _AsyncTransaction:  # type: ignore[override]
        return _AsyncTransaction(self.log)


def access_modes(log: list[Any], client: Any) -> list[str]:
    sessions = [entry[1] for entry in log if entry[0] == "session"]
    manager = client.execute_query_bookmark_manager
    assert all(options["bookmark_manager"] is manager for options in sessions)
    return [options["default_access_mode"] for options in sessions]


@pytest.mark.parametrize("scheme", ["neo4j", "neo4j+s"])
def test_reads_ask_for_read_access_and_writes_for_write_access(scheme: str) -> None:
    driver = create_driver(f"{scheme}://cluster.example:7687", auth=("neo4j", "secret"))
    try:
        assert isinstance(driver.driver, neo4j.Neo4jDriver)  # the routing driver
        log: list[Any] = []
        driver.driver.session = lambda **options: _Session(log, options)  # type: ignore[method-assign]
        driver.execute("MATCH (n) RETURN n", read_only=True)
        driver.execute("CREATE (:N)")
        assert access_modes(log, driver.driver) == [neo4j.READ_ACCESS, neo4j.WRITE_ACCESS]
        assert ("commit",) in log
    finally:
        driver.close()


def test_the_async_driver_routes_the_same_way() -> None:
    log: list[Any] = []

    async def main() -> Any:
        driver: Any = create_async_driver("neo4j://cluster.example:7687", auth=("neo4j", "s"))
        try:
            client = driver._loop_client().client
            assert isinstance(client, neo4j.AsyncNeo4jDriver)  # the routing driver
            client.session = lambda **options: _AsyncSession(log, options)
            await driver.execute("MATCH (n) RETURN n", read_only=True)
            await driver.execute("CREATE (:N)")
            return client
        finally:
            await driver.close()

    client = asyncio.run(main())
    assert access_modes(log, client) == [neo4j.READ_ACCESS, neo4j.WRITE_ACCESS]
    assert log.count(("commit",)) == 2
