"""FalkorDB beyond one server: Sentinel (a primary, its replicas, failover) and Cluster
(graphs spread over shards), from runic's URLs.

- ``falkordb+sentinel://host:26379,host:26380/graph?service=name``: the Sentinels'
  addresses. Each new connection asks them for the current primary, so after a failover
  the next query reaches the promoted replica. ``service`` may be left out when the
  Sentinels watch one primary only.
- ``falkordb+cluster://host:7000,host:7001/graph``: any nodes of the cluster (it finds
  the others). A graph is one key, so it lives on the shard that owns its hash slot.

Options, in the URL's query or as arguments, beside runic's connection options:

- ``read_from``: ``"primary"`` (the default) or ``"replica"``: read-only queries go to
  the replicas Sentinel reports, in turn (not available on a cluster yet).
  A session that has written reads from the primary from then on, so it reads its own
  writes; another session may briefly read a replica that lags behind.
- ``wait_replicas`` and ``wait_timeout``: a write is acknowledged only once that many
  replicas have it (Redis ``WAIT``, sent with the write in the same round trip), waiting
  at most ``wait_timeout`` seconds (1 by default). A write that fewer replicas confirmed
  in time raises :class:`~runic.ogm.exceptions.ReplicationLagError`: it is applied on
  the primary, but a failover now could lose it (not available on a cluster yet).

Sans-I/O: this module reads URLs and builds client objects; the drivers do the I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

#: ``scheme`` -> topology kind.
TOPOLOGY_SCHEMES: dict[str, Literal["sentinel", "cluster"]] = {
    "falkordb+sentinel": "sentinel",
    "falkordb+cluster": "cluster",
}
#: The options this module reads (the drivers take runic's connection options too).
TOPOLOGY_OPTIONS = ("service", "read_from", "wait_replicas", "wait_timeout")
#: How long a write waits for its replicas by default (``wait_timeout``), in seconds.
WAIT_TIMEOUT = 1.0

type Address = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Topology:
    """How runic reaches a FalkorDB deployment, and where reads go."""

    kind: Literal["server", "sentinel", "cluster"] = "server"
    #: Sentinels (``sentinel``) or cluster nodes (``cluster``) to start from.
    addresses: tuple[Address, ...] = ()
    #: The name Sentinel knows the primary by (None: the only one it watches).
    service: str | None = None
    read_from: Literal["primary", "replica"] = "primary"
    wait_replicas: int = 0
    wait_timeout: float = WAIT_TIMEOUT

    @property
    def reads_from_replicas(self) -> bool:
        return self.read_from == "replica"

    def describe(self) -> str:
        """Where the driver connects, as errors and reprs name it."""
        hosts = ",".join(f"{host}:{port}" for host, port in self.addresses)
        if self.kind == "sentinel":
            service = f" {self.service!r}" if self.service else ""
            return f"the primary{service} of Sentinels {hosts}"
        return f"cluster {hosts}"

    def wait_command(self) -> tuple[Any, ...] | None:
        """``WAIT numreplicas timeout`` to send after each write, or None."""
        if not self.wait_replicas:
            return None
        return ("WAIT", self.wait_replicas, max(1, round(self.wait_timeout * 1000)))


def split_topology_options(
    url: str, query: dict[str, list[str]], options: dict[str, Any]
) -> dict[str, Any]:
    """Remove the topology options from a URL's parsed query and from ``options`` (which
    win), checked: a ValueError names the option."""
    given: dict[str, Any] = {
        name: query.pop(name)[-1] for name in list(query) if name in TOPOLOGY_OPTIONS
    }
    given.update({name: options.pop(name) for name in list(options) if name in TOPOLOGY_OPTIONS})
    taken: dict[str, Any] = {}
    if given.get("service") is not None:
        taken["service"] = str(given["service"])
    read_from = given.get("read_from")
    if read_from is not None:
        if read_from not in ("primary", "replica"):
            raise ValueError(
                f"{url!r}: option read_from must be 'primary' or 'replica', got {read_from!r}"
            )
        taken["read_from"] = read_from
    if given.get("wait_replicas") is not None:
        taken["wait_replicas"] = _number(url, "wait_replicas", given["wait_replicas"], int)
    if given.get("wait_timeout") is not None:
        taken["wait_timeout"] = _number(url, "wait_timeout", given["wait_timeout"], float)
    return taken


def _number(url: str, name: str, value: Any, kind: type[int] | type[float]) -> Any:
    """``wait_replicas`` (a whole number >= 0) or ``wait_timeout`` (seconds > 0)."""
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if kind is int:
        valid = number is not None and number >= 0 and not isinstance(value, bool | float)
        wanted = "a whole number >= 0"
    else:
        valid = number is not None and 0 < number < math.inf
        wanted = "a positive number of seconds"
    if not valid:
        raise ValueError(f"{url!r}: option {name} must be {wanted}, got {value!r}")
    return number


def parse_topology_url(url: str) -> tuple[Topology, dict[str, Any], str, dict[str, list[str]]]:
    """``(topology, credentials, graph, remaining query)`` from a Sentinel or Cluster URL;
    the topology's options are read by the caller (:func:`split_topology_options`)."""
    kind = TOPOLOGY_SCHEMES.get(url.partition("://")[0].lower())
    if kind is None:
        raise ValueError(f"{url!r}: expected a falkordb+sentinel:// or falkordb+cluster:// URL")
    parts = urlsplit(url)
    netloc = parts.netloc
    credentials: dict[str, Any] = {}
    if "@" in netloc:
        userinfo, netloc = netloc.rsplit("@", 1)
        user, _, password = userinfo.partition(":")
        if user:
            credentials["username"] = unquote(user)
        if password:
            credentials["password"] = unquote(password)
    addresses = tuple(_address(url, item) for item in netloc.split(",") if item)
    if not addresses:
        raise ValueError(f"{url!r}: name at least one host:port")
    graph = parts.path.lstrip("/")
    if not graph or "/" in graph:
        raise ValueError(f"{url!r}: the URL must name one graph")
    return Topology(kind, addresses), credentials, graph, parse_qs(parts.query)


def _address(url: str, item: str) -> Address:
    host, _, port = item.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{url!r}: {item!r} is not host:port")
    return host.strip("[]"), int(port)


class GraphClient:
    """What a ``falkordb`` graph handle needs of its ``FalkorDB`` object, over a redis
    client runic made (a Sentinel-managed one): ``FalkorDB()`` itself would connect to
    one address."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.execute_command = connection.execute_command
        self.flushdb = connection.flushdb

    def close(self) -> None:
        self.connection.close()


def discover_service(topology: Topology, settings: dict[str, Any]) -> str:
    """The one primary the Sentinels watch (``service`` left out of the URL)."""
    import redis

    errors = []
    for host, port in topology.addresses:
        client = redis.Redis(
            host=host,
            port=port,
            socket_timeout=settings.get("socket_timeout", 5.0),
            socket_connect_timeout=settings.get("socket_connect_timeout", 5.0),
            decode_responses=True,
        )
        try:
            names = sorted(str(name) for name in client.sentinel_masters())
        except redis.RedisError as error:
            errors.append(f"{host}:{port}: {error}")
            continue
        finally:
            client.close()
        if len(names) != 1:
            raise ValueError(
                f"the Sentinels watch {len(names)} primaries ({', '.join(names) or 'none'}): "
                "name one with service="
            )
        return str(names[0])
    raise ConnectionError(f"no Sentinel answered: {'; '.join(errors)}")


def open_sentinel(
    topology: Topology, settings: dict[str, Any], retry: Any, *, asynchronous: bool
) -> tuple[Any, Any | None]:
    """Redis clients over Sentinel pools: the primary's, and with ``read_from="replica"``
    the replicas' (in turn; the primary when none is up). Each new connection asks the
    Sentinels where to go, so a failover needs nothing from the caller."""
    if asynchronous:
        from redis.asyncio.sentinel import Sentinel as AsyncSentinel

        sentinel_class: Any = AsyncSentinel
    else:
        from redis.sentinel import Sentinel

        sentinel_class = Sentinel
    service = topology.service or discover_service(topology, settings)
    timeouts = {
        name: settings[name]
        for name in ("socket_timeout", "socket_connect_timeout")
        if settings.get(name) is not None
    }
    credentials = {name: settings[name] for name in ("username", "password") if settings.get(name)}
    sentinel = sentinel_class(
        list(topology.addresses), sentinel_kwargs=dict(timeouts), **timeouts, **credentials
    )
    pool = {"decode_responses": True, "retry": retry}
    if settings.get("max_connections"):
        pool["max_connections"] = settings["max_connections"]
    primary = sentinel.master_for(service, **pool)
    replicas = sentinel.slave_for(service, **pool) if topology.reads_from_replicas else None
    return primary, replicas


def open_cluster(
    topology: Topology, settings: dict[str, Any], retry: Any, *, asynchronous: bool
) -> Any:
    """A redis-py cluster client: one pool per node, each bounded by ``max_connections``
    (the ``falkordb`` client's own cluster client leaves them unbounded). It sends each
    command once (``retry``), following ``MOVED`` and ``ASK`` redirections, which the
    server answers before running anything."""
    if asynchronous:
        from redis.asyncio.cluster import ClusterNode as AsyncClusterNode
        from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

        node_class: Any = AsyncClusterNode
        cluster_class: Any = AsyncRedisCluster
    else:
        from redis.cluster import ClusterNode, RedisCluster

        node_class, cluster_class = ClusterNode, RedisCluster
    options = {
        name: settings[name]
        for name in ("username", "password", "max_connections")
        if settings.get(name) is not None
    }
    # As on one server: no timeout unless one is given (redis-py's cluster client would
    # otherwise stop waiting after 5 s, and a slow graph creation then looked like a
    # failure; seen once in a CI run).
    for name in ("socket_timeout", "socket_connect_timeout"):
        options[name] = settings.get(name)
    nodes = [node_class(host, port) for host, port in topology.addresses]
    return cluster_class(startup_nodes=nodes, decode_responses=True, retry=retry, **options)
