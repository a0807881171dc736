"""Drivers: the protocols sessions use, neutral records, dialects and ``create_driver``."""

from runic.ogm.driver.base import AsyncGraphDriver, GraphDriver
from runic.ogm.driver.dialect import FALKORDB, Dialect, FalkorDBDialect
from runic.ogm.driver.records import GraphEdge, GraphNode, QueryResult


def create_driver(url: str) -> GraphDriver:
    """A sync driver for a URL: ``falkordb://host:port/graph`` or ``falkordb+unix:///sock?graph=g``."""
    scheme = url.split("://", 1)[0]
    if scheme in ("falkordb", "falkordb+unix"):
        from runic.ogm.driver.falkordb import FalkorDBDriver

        return FalkorDBDriver.from_url(url)
    raise ValueError(f"create_driver: no driver for the URL scheme {scheme!r} in {url!r}")


__all__ = [
    "FALKORDB",
    "AsyncGraphDriver",
    "Dialect",
    "FalkorDBDialect",
    "GraphDriver",
    "GraphEdge",
    "GraphNode",
    "QueryResult",
    "create_driver",
]
