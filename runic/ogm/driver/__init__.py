"""Drivers: the protocols sessions use, neutral records, dialects and ``create_driver``."""

from typing import Any

from runic.ogm.driver.base import AsyncGraphDriver, GraphDriver
from runic.ogm.driver.dialect import FALKORDB, Dialect, FalkorDBDialect
from runic.ogm.driver.records import GraphEdge, GraphNode, QueryResult

BOLT_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


#: URL schemes of FalkorDB: one server (TCP, TLS, unix socket), Sentinel, Cluster.
FALKORDB_SCHEMES = (
    "falkordb",
    "falkordb+unix",
    "redis",
    "rediss",
    "falkordb+sentinel",
    "falkordb+cluster",
)


def create_driver(url: str, **options: Any) -> GraphDriver:
    """A sync driver chosen by the URL's scheme.

    - ``falkordb://host:port/graph``, ``falkordb+unix:///sock?graph=g``, ``redis://...``
      (``rediss://`` for TLS): FalkorDB; ``falkordb+sentinel://`` and
      ``falkordb+cluster://`` beyond one server
      (:mod:`runic.ogm.driver.falkordb_topology`).
    - ``bolt://`` / ``neo4j://`` (``+s``/``+ssc`` for TLS): the Bolt driver; pass
      ``dialect="memgraph"`` or ``"arcadedb"`` for those servers, ``auth=(user, password)``
      and ``database=``.
    - ``postgresql://user@host:port/db?graph=name``: Apache AGE.

    Every driver takes runic's connection options (:mod:`runic.ogm.driver.options`:
    timeouts and pool bounds) as options or in the URL's query.
    """
    scheme = url.split("://", 1)[0].lower()
    if scheme in FALKORDB_SCHEMES:
        from runic.ogm.driver.falkordb import FalkorDBDriver

        return FalkorDBDriver.from_url(url, **options)
    if scheme in BOLT_SCHEMES:
        from runic.ogm.driver.bolt import BoltDriver

        return BoltDriver.from_url(url, **options)
    if scheme in ("postgresql", "postgres"):
        from runic.ogm.driver.age import AGEDriver

        return AGEDriver.from_url(url, **options)
    raise ValueError(f"create_driver: no driver for the URL scheme {scheme!r} in {url!r}")


def create_async_driver(url: str, **options: Any) -> AsyncGraphDriver:
    """An async driver from a URL, as :func:`create_driver` makes sync ones: the same
    schemes and options, for an :class:`~runic.ogm.session.async_session.AsyncSession`."""
    scheme = url.split("://", 1)[0].lower()
    if scheme in FALKORDB_SCHEMES:
        from runic.ogm.driver.falkordb import AsyncFalkorDBDriver

        return AsyncFalkorDBDriver.from_url(url, **options)
    if scheme in BOLT_SCHEMES:
        from runic.ogm.driver.bolt_async import AsyncBoltDriver

        return AsyncBoltDriver.from_url(url, **options)
    if scheme in ("postgresql", "postgres"):
        from runic.ogm.driver.age_async import AsyncAGEDriver

        return AsyncAGEDriver.from_url(url, **options)
    raise ValueError(f"create_async_driver: no driver for the URL scheme {scheme!r} in {url!r}")


__all__ = [
    "FALKORDB",
    "AsyncGraphDriver",
    "Dialect",
    "FalkorDBDialect",
    "GraphDriver",
    "GraphEdge",
    "GraphNode",
    "QueryResult",
    "create_async_driver",
    "create_driver",
]
