"""Connection managers: one per application, shared by every request's session."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from runic.ogm.driver import AsyncGraphDriver, GraphDriver, create_async_driver, create_driver
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver
from runic.ogm.driver.options import POOL_TIMEOUT
from runic.ogm.session.async_session import AsyncSession
from runic.ogm.session.retry import (
    DEFAULT_BACKOFF,
    RETRYABLE,
    Backoff,
    async_run_in_transaction,
    run_in_transaction,
)
from runic.ogm.session.session import Session

#: Queries in flight per manager, and so connections opened at most.
MAX_CONNECTIONS = 16
#: Drivers of other graphs (tenants) a manager keeps ready; the least recently used go.
GRAPH_DRIVERS = 1024


class GraphDrivers[D]:
    """A manager's drivers for graphs other than its own, each made by the manager's
    driver's ``for_graph`` and sharing its connections. At most :data:`GRAPH_DRIVERS`
    are kept, so a service with many tenants does not grow without bound."""

    def __init__(self, driver: D) -> None:
        self._driver = driver
        self._made: OrderedDict[str, D] = OrderedDict()
        self._lock = threading.Lock()  # a sync manager's threads share it

    def get(self, graph: str | None) -> D:
        if graph is None:
            return self._driver
        with self._lock:
            return self._get(graph)

    def _get(self, graph: str) -> D:
        made = self._made.get(graph)
        if made is not None:
            self._made.move_to_end(graph)
            return made
        for_graph: Callable[[str], D] | None = getattr(self._driver, "for_graph", None)
        if for_graph is None:
            raise TypeError(
                f"session(graph=...): {type(self._driver).__name__} serves one graph; a "
                "graph per tenant needs a FalkorDB driver"
            )
        made = for_graph(graph)
        self._made[graph] = made
        if len(self._made) > GRAPH_DRIVERS:
            self._made.popitem(last=False)
        return made


def is_driver(graph: Any) -> bool:
    """A runic driver (it has a dialect), rather than a database client's graph handle."""
    return hasattr(graph, "dialect") and hasattr(graph, "execute")


class AsyncConnectionManager:
    """Create once at startup: ``async with manager.session() as session:`` per request.

    Takes a FalkorDB graph handle (async, or sync to be mirrored by async connections)
    or an async driver, which it then owns; :meth:`from_url` makes one from a URL.
    Concurrent sessions share its connections: at most ``max_connections`` queries run at
    once, the others wait up to ``pool_timeout`` seconds for one. ``query_timeout`` bounds
    a read on the server. ``await manager.close()`` closes the connections, those of the
    handle given included: the manager owns them.
    """

    def __init__(
        self,
        graph: Any,
        *,
        max_connections: int = MAX_CONNECTIONS,
        pool_timeout: float = POOL_TIMEOUT,
        query_timeout: float | None = None,
    ) -> None:
        self.driver: AsyncGraphDriver
        if is_driver(graph):
            self.driver = graph
        else:
            self.driver = AsyncFalkorDBDriver(
                graph,
                owns_connection=True,
                max_connections=max_connections,
                pool_timeout=pool_timeout,
                query_timeout=query_timeout,
            )
        self._graphs = GraphDrivers(self.driver)
        self.closed = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> AsyncConnectionManager:
        """A manager with its own driver, from ``create_async_driver(url, **options)``;
        ``max_connections`` defaults to the manager's 16."""
        options.setdefault("max_connections", MAX_CONNECTIONS)
        return cls(create_async_driver(url, **options))

    def session(self, *, autoflush: bool = True, graph: str | None = None) -> AsyncSession:
        """A session on the manager's graph, or on ``graph`` (a graph per tenant, on
        FalkorDB: over the same connections, so all tenants share one bounded pool)."""
        if self.closed:
            raise RuntimeError("session() on a closed AsyncConnectionManager")
        return AsyncSession(self._graphs.get(graph), autoflush=autoflush)

    async def run_in_transaction[T](
        self,
        work: Callable[[AsyncSession], Awaitable[T]],
        *,
        retries: int = 5,
        retry_on: tuple[type[BaseException], ...] = RETRYABLE,
        backoff: Backoff = DEFAULT_BACKOFF,
        graph: str | None = None,
    ) -> T:
        """``await work(session)`` in a fresh session (on ``graph``, if given),
        committed; when it loses a race (:class:`~runic.ogm.exceptions.StaleDataError`),
        wait a little and run it again, at most ``retries`` more times. The last error is
        raised if every attempt fails.
        """
        return await async_run_in_transaction(
            partial(self.session, graph=graph),
            work,
            retries=retries,
            retry_on=retry_on,
            backoff=backoff,
        )

    async def close(self) -> None:
        self.closed = True
        await self.driver.close()


class ConnectionManager:
    """The sync mirror: ``with manager.session() as session:``; ``manager.close()``.

    Takes a FalkorDB graph handle or any sync driver (FalkorDB, Bolt, AGE), which it then
    owns; :meth:`from_url` makes one from any :func:`~runic.ogm.driver.create_driver` URL.
    """

    def __init__(
        self,
        graph: Any,
        *,
        max_connections: int | None = None,
        pool_timeout: float = POOL_TIMEOUT,
        query_timeout: float | None = None,
    ) -> None:
        self.driver: GraphDriver
        if is_driver(graph):
            self.driver = graph
        else:
            self.driver = FalkorDBDriver(
                graph,
                max_connections=max_connections,
                pool_timeout=pool_timeout,
                query_timeout=query_timeout,
            )
        self._graphs = GraphDrivers(self.driver)
        self.closed = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> ConnectionManager:
        """A manager over ``create_driver(url, **options)``: FalkorDB, Bolt or AGE."""
        return cls(create_driver(url, **options))

    def session(self, *, autoflush: bool = True, graph: str | None = None) -> Session:
        """See :meth:`AsyncConnectionManager.session`."""
        if self.closed:
            raise RuntimeError("session() on a closed ConnectionManager")
        return Session(self._graphs.get(graph), autoflush=autoflush)

    def run_in_transaction[T](
        self,
        work: Callable[[Session], T],
        *,
        retries: int = 5,
        retry_on: tuple[type[BaseException], ...] = RETRYABLE,
        backoff: Backoff = DEFAULT_BACKOFF,
        graph: str | None = None,
    ) -> T:
        """``work(session)`` in a fresh session, committed, run again when it loses a race;
        see :meth:`AsyncConnectionManager.run_in_transaction`."""
        return run_in_transaction(
            partial(self.session, graph=graph),
            work,
            retries=retries,
            retry_on=retry_on,
            backoff=backoff,
        )

    def close(self) -> None:
        self.closed = True
        self.driver.close()
