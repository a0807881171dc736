"""The async Apache AGE driver, over psycopg 3's async connections and a pool of them
(``psycopg_pool``): Cypher inside PostgreSQL from an
:class:`~runic.ogm.session.async_session.AsyncSession`.

Queries run as :class:`~runic.ogm.driver.age.AGEDriver` runs them (the same SQL, one
transaction per query, writes to a graph one at a time under an advisory lock), but
concurrently, each on a connection of its own from the pool: at most
``max_connections`` at once, each waiting at most ``pool_timeout`` seconds for one.

A connection the server has closed (a restart) fails the query that meets it with
:class:`~runic.ogm.exceptions.ConnectionFailedError`, which is safe to send again; the
pool then opens a new one. Pools belong to the event loop that opened them: a driver
made with :meth:`AsyncAGEDriver.from_url` opens one for each loop that uses it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import Any
from weakref import WeakKeyDictionary, WeakSet

from runic.ogm.driver.age import (
    QueryPlan,
    Statement,
    check_graph_name,
    prepare_graph_statements,
    set_up_statements,
    sql_text,
    translate_error,
    under_write_lock,
    unreachable,
    url_settings,
)
from runic.ogm.driver.base import failed_block
from runic.ogm.driver.dialect import AGE, Dialect
from runic.ogm.driver.options import POOL_TIMEOUT
from runic.ogm.driver.records import QueryResult
from runic.ogm.exceptions import ConnectionFailedError

try:
    import psycopg
    from psycopg_pool import AsyncConnectionPool, PoolTimeout
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "the async AGE driver needs psycopg 3 and psycopg_pool: pip install 'runic-ogm[age]'"
    ) from missing

#: Connections per pool when ``max_connections`` is not given.
MAX_CONNECTIONS = 16


class _LoopPool:
    """One event loop's pool, and whether it is open with the graph made."""

    __slots__ = ("opening", "pool", "ready")

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.ready = False
        self.opening = asyncio.Lock()


class AsyncAGEDriver:
    """A :class:`~runic.ogm.driver.base.AsyncGraphDriver` over one AGE graph in PostgreSQL.

    Takes a ``psycopg_pool.AsyncConnectionPool`` (opened on first use if it is not open
    yet) and a graph name; the graph is created when it does not exist. Each connection
    is set up (``LOAD 'age'``, the search path, ``query_timeout`` as
    ``statement_timeout``) before its first query.
    """

    dialect: Dialect = AGE

    def __init__(
        self,
        pool: Any,
        graph: str,
        *,
        owns_pool: bool = False,
        query_timeout: float | None = None,
        address: str | None = None,
        new_pool: Callable[[], Any] | None = None,
    ) -> None:
        if not isinstance(pool, AsyncConnectionPool):
            raise TypeError(
                "AsyncAGEDriver takes a psycopg_pool.AsyncConnectionPool, got "
                f"{type(pool).__name__}; or use AsyncAGEDriver.from_url(url)"
            )
        check_graph_name(graph)
        self.pool = pool
        self.graph = graph
        self._owns_pool = owns_pool
        self._query_timeout = query_timeout
        self._address = address
        self._new_pool = new_pool
        self._first_used = False
        self._loops: WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopPool] = WeakKeyDictionary()
        #: Connections already set up for AGE (a pool's connections outlive queries).
        self._ready: WeakSet[Any] = WeakSet()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> AsyncAGEDriver:
        """``postgresql://user:password@host:port/database?graph=name`` (+ libpq options).

        Of runic's connection options (:mod:`runic.ogm.driver.options`), as arguments or
        in the URL: ``socket_connect_timeout`` (libpq's ``connect_timeout``, whole
        seconds), ``query_timeout``, ``max_connections`` (the pool's size, 16 by
        default) and ``pool_timeout``.
        """
        settings = url_settings(url, options, "AsyncAGEDriver", pooled=True)
        taken = settings["taken"]

        def new_pool() -> Any:
            return AsyncConnectionPool(
                settings["conninfo"],
                kwargs=options,
                min_size=1,
                max_size=taken.get("max_connections", MAX_CONNECTIONS),
                timeout=taken.get("pool_timeout", POOL_TIMEOUT),
                open=False,
            )

        return cls(
            new_pool(),
            settings["graph"],
            owns_pool=True,
            query_timeout=taken.get("query_timeout"),
            address=settings["address"],
            new_pool=new_pool,
        )

    @property
    def name(self) -> str:
        return self.graph

    def __repr__(self) -> str:
        return f"AsyncAGEDriver(graph={self.graph!r}, server={self._address!r})"

    async def _loop_pool(self) -> Any:
        loop = asyncio.get_running_loop()
        entry = self._loops.get(loop)
        if entry is None:
            first = not self._first_used
            self._first_used = True
            pool = self.pool if first or self._new_pool is None else self._new_pool()
            entry = self._loops[loop] = _LoopPool(pool)
        if not entry.ready:
            async with entry.opening:  # the loop's first queries wait for one opening
                if not entry.ready:
                    await self._open(entry.pool)
                    entry.ready = True
        return entry.pool

    async def _open(self, pool: Any) -> None:
        """Open the pool and make the graph where missing (once per pool)."""
        if pool.closed:
            try:
                await pool.open(wait=True, timeout=pool.timeout)
            except PoolTimeout as error:
                raise unreachable(self._address, error) from error
        connection = await self._connection(pool)
        try:
            async with connection.transaction(), connection.cursor() as cursor:
                for sql, args in prepare_graph_statements(self.graph, self._query_timeout):
                    await cursor.execute(sql, args)
        except psycopg.Error as error:
            raise translate_error(
                error, self._address, "(preparing the graph)", True, False
            ) from error
        finally:
            await pool.putconn(connection)

    async def _connection(self, pool: Any) -> Any:
        """A connection of the pool, set up for AGE before its first query."""
        try:
            connection = await pool.getconn()
        except PoolTimeout as error:
            raise ConnectionFailedError(
                f"AGE: no connection came free within {pool.timeout:g} s (pool_timeout); "
                "the query was not sent",
                address=self._address,
            ) from error
        try:
            if connection not in self._ready:
                async with connection.transaction(), connection.cursor() as cursor:
                    for sql, args in set_up_statements(self._query_timeout):
                        await cursor.execute(sql, args)
                self._ready.add(connection)
        except BaseException:
            await pool.putconn(connection)
            raise
        return connection

    async def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        plan = QueryPlan(self.graph, cypher, params, lock=not read_only)
        rows = await self._run(plan.statements, cypher, read_only, bool(plan.columns))
        return plan.result(rows)

    async def execute_sql(
        self, statements: list[Statement], *, read_only: bool = False
    ) -> list[tuple[Any, ...]]:
        """:meth:`AGEDriver.execute_sql <runic.ogm.driver.age.AGEDriver.execute_sql>`."""
        locked = statements if read_only else under_write_lock(self.graph, statements)
        return await self._run(locked, sql_text(statements), read_only, True)

    async def _run(
        self, statements: list[Statement], text: str, read_only: bool, rows_wanted: bool
    ) -> list[Any]:
        pool = await self._loop_pool()
        committing = False
        try:
            connection = await self._connection(pool)
            try:
                async with connection.transaction(), connection.cursor() as cursor:
                    for sql, args in statements:
                        await cursor.execute(sql, args, prepare=False)
                    rows = await cursor.fetchall() if cursor.description and rows_wanted else []
                    committing = True  # what fails from here on fails the COMMIT
            finally:
                await pool.putconn(connection)
        except psycopg.Error as error:
            raise translate_error(error, self._address, text, read_only, committing) from error
        return rows

    async def begin(self) -> AsyncAGETransaction:
        """A transaction across queries (what ``session.begin()`` runs in)."""
        return await AsyncAGETransaction(self, await self._loop_pool()).start()

    async def ping(self) -> None:
        """Check the server answers (a one-row query); raise
        :class:`~runic.ogm.exceptions.ConnectionFailedError` if not."""
        await self.execute("RETURN 1 AS ok", read_only=True)

    async def close(self) -> None:
        """Close the pool of the running event loop (when this driver opened it)."""
        if not self._owns_pool:
            return
        entry = self._loops.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry.pool.close()


class AsyncAGETransaction:
    """:class:`~runic.ogm.driver.age.AGETransaction` for the async driver: it holds one
    connection of the pool until it ends."""

    def __init__(self, owner: AsyncAGEDriver, pool: Any) -> None:
        self._owner = owner
        self._pool = pool
        self._connection: Any = None
        self._transaction: Any = None
        self._cursor: Any = None
        self._wrote = False
        self._failed = False

    async def start(self) -> AsyncAGETransaction:
        self._connection = await self._owner._connection(self._pool)
        try:
            self._transaction = self._connection.transaction()
            await self._transaction.__aenter__()
            self._cursor = self._connection.cursor()
        except BaseException as error:
            await self._pool.putconn(self._connection)  # also when cancelled: never lost
            if isinstance(error, psycopg.Error):
                raise translate_error(error, self._owner._address, "BEGIN", True, False) from error
            raise
        return self

    async def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        owner = self._owner
        plan = QueryPlan(owner.graph, cypher, params, lock=not (read_only or self._wrote))
        cursor = self._cursor
        try:
            for sql, args in plan.statements:
                await cursor.execute(sql, args, prepare=False)
            rows = await cursor.fetchall() if cursor.description and plan.columns else []
        except psycopg.Error as error:
            self._failed = True
            raise translate_error(error, owner._address, cypher, True, False) from error
        self._wrote = self._wrote or not read_only
        return plan.result(rows)

    async def commit(self) -> None:
        if self._failed:
            await self.rollback()
            raise failed_block("PostgreSQL", self._owner._address)
        try:
            await self._cursor.close()
            await self._transaction.__aexit__(None, None, None)
        except psycopg.Error as error:
            raise translate_error(
                error, self._owner._address, "COMMIT", not self._wrote, True
            ) from error
        finally:
            await self._pool.putconn(self._connection)

    async def rollback(self) -> None:
        try:
            with contextlib.suppress(psycopg.Error):
                await self._cursor.close()
                await self._transaction.__aexit__(psycopg.Rollback, psycopg.Rollback(), None)
        finally:
            await self._pool.putconn(self._connection)
