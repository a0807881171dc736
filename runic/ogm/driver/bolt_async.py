"""The async Bolt driver, over ``neo4j.AsyncGraphDatabase``: Neo4j 5, Memgraph and
ArcadeDB from an :class:`~runic.ogm.session.async_session.AsyncSession`.

It behaves as :class:`~runic.ogm.driver.bolt.BoltDriver` does (see there): each query
in an explicit transaction of its own, transient failures run again for at most
``retry_time`` seconds, a COMMIT without an answer never sent twice, and on ArcadeDB
this driver's writes one at a time. The I/O is the ``neo4j`` client's own asyncio
API, not blocking calls in threads.

Async connections belong to the event loop that opened them. A driver made with
:meth:`AsyncBoltDriver.from_url` opens a client for each loop that uses it (a second
``asyncio.run()``, or :func:`~runic.ogm.running.run_async`); one built around your own
``neo4j.AsyncDriver`` uses that client, which serves the loop it was first used in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from runic.ogm.driver.base import failed_block
from runic.ogm.driver.bolt import (
    RetryWaits,
    bolt_dialect,
    client_arguments,
    neutral,
    server_address,
    translate_error,
    write_turn_timeout,
)
from runic.ogm.driver.dialect import NEO4J, Dialect
from runic.ogm.driver.records import QueryResult
from runic.ogm.exceptions import ConnectionFailedError

try:
    import neo4j
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "the Bolt driver needs the neo4j package: pip install 'runic-ogm[neo4j]'"
    ) from missing


async def take_turn(lock: asyncio.Lock, owner: AsyncBoltDriver) -> None:
    """This driver's write turn (ArcadeDB), waited for at most ``retry_time``: an open
    ``session.begin()`` block holds it until it ends."""
    if not lock.locked():
        await lock.acquire()  # free: no timer (wait_for(..., 0) would give up at once)
        return
    try:
        await asyncio.wait_for(lock.acquire(), owner.retry_time)
    except TimeoutError:
        raise write_turn_timeout(owner.dialect, owner._address, owner.retry_time) from None


class _LoopClient:
    """One event loop's ``neo4j`` client, and the lock that serialises its writes."""

    __slots__ = ("client", "write_lock")

    def __init__(self, client: Any, serialize_writes: bool) -> None:
        self.client = client
        self.write_lock = asyncio.Lock() if serialize_writes else None


class AsyncBoltDriver:
    """A :class:`~runic.ogm.driver.base.AsyncGraphDriver` over a ``neo4j.AsyncDriver``.

    Takes the same options as :class:`~runic.ogm.driver.bolt.BoltDriver`: ``dialect``
    (``"neo4j"``, ``"memgraph"`` or ``"arcadedb"``), ``database``, ``serialize_writes``
    (per event loop here), ``retry_time`` and ``query_timeout``.
    """

    def __init__(
        self,
        driver: Any,
        *,
        database: str | None = None,
        dialect: str | Dialect = NEO4J,
        owns_connection: bool = False,
        serialize_writes: bool | None = None,
        retry_time: float = 30.0,
        query_timeout: float | None = None,
        new_client: Callable[[], Any] | None = None,
    ) -> None:
        if not isinstance(driver, neo4j.AsyncDriver):
            hint = (
                "; for a neo4j.Driver use BoltDriver with Session"
                if isinstance(driver, neo4j.Driver)
                else ""
            )
            raise TypeError(
                "AsyncBoltDriver takes a neo4j.AsyncDriver such as "
                f"AsyncGraphDatabase.driver(url, auth=...), got {type(driver).__name__}{hint}"
            )
        if retry_time < 0:
            raise ValueError(f"AsyncBoltDriver(retry_time=...) must be >= 0, got {retry_time!r}")
        self.dialect = bolt_dialect(dialect, "AsyncBoltDriver")
        self.driver = driver
        self._address = server_address(driver)
        self.database = database
        self.retry_time = retry_time
        self.query_timeout = query_timeout
        self._owns_connection = owns_connection
        self._serialize_writes = (
            self.dialect.name == "arcadedb" if serialize_writes is None else serialize_writes
        )
        self._new_client = new_client
        self._first_used = False
        self._loops: WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = WeakKeyDictionary()

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        auth: tuple[str, str] | None = None,
        database: str | None = None,
        dialect: str | Dialect = NEO4J,
        serialize_writes: bool | None = None,
        retry_time: float = 30.0,
        **options: Any,
    ) -> AsyncBoltDriver:
        """``bolt://`` / ``neo4j://`` (``+s``/``+ssc`` for TLS), with the options of
        :meth:`BoltDriver.from_url <runic.ogm.driver.bolt.BoltDriver.from_url>`."""
        url, taken = client_arguments(url, options)

        def new_client() -> Any:
            return neo4j.AsyncGraphDatabase.driver(url, auth=auth, **options)

        return cls(
            new_client(),
            database=database,
            dialect=dialect,
            owns_connection=True,
            serialize_writes=serialize_writes,
            retry_time=retry_time,
            query_timeout=taken.get("query_timeout"),
            new_client=new_client,
        )

    @property
    def name(self) -> str:
        return self.database or "default"

    def __repr__(self) -> str:
        return (
            f"AsyncBoltDriver(dialect={self.dialect.name!r}, database={self.name!r}, "
            f"server={self._address!r})"
        )

    def _loop_client(self) -> _LoopClient:
        loop = asyncio.get_running_loop()
        found = self._loops.get(loop)
        if found is None:
            first = not self._first_used
            client = self.driver if first or self._new_client is None else self._new_client()
            self._first_used = True
            found = self._loops[loop] = _LoopClient(client, self._serialize_writes)
        return found

    async def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        loop_client = self._loop_client()
        lock = None if read_only else loop_client.write_lock
        if lock is not None:
            await take_turn(lock, self)
        try:
            keys, rows = await self._retrying(
                loop_client.client, cypher, dict(params or {}), read_only
            )
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            raise translate_error(error, self.dialect, self._address, cypher, read_only) from error
        finally:
            if lock is not None:
                lock.release()
        return QueryResult(keys, [[neutral(value) for value in row] for row in rows])

    async def _retrying(
        self, client: Any, cypher: str, params: dict[str, Any], read_only: bool
    ) -> tuple[list[str], list[list[Any]]]:
        waits = RetryWaits(self.retry_time)
        while True:
            try:
                return await self._transaction(client, cypher, params, read_only)
            except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
                pause = waits.next_pause(error)
                if pause is None:
                    raise
            await asyncio.sleep(pause)

    async def _transaction(
        self, client: Any, cypher: str, params: dict[str, Any], read_only: bool
    ) -> tuple[list[str], list[list[Any]]]:
        """One attempt, in an explicit transaction of its own session (see
        ``BoltDriver._transaction`` for why it is not ``execute_query``)."""
        mode = neo4j.READ_ACCESS if read_only else neo4j.WRITE_ACCESS
        async with client.session(
            database=self.database,
            default_access_mode=mode,
            bookmark_manager=client.execute_query_bookmark_manager,
        ) as session:
            transaction = await session.begin_transaction(timeout=self.query_timeout)
            result = await transaction.run(cypher, params)
            rows = [list(record.values()) async for record in result]
            keys = list(result.keys())
            await transaction.commit()
        return keys, rows

    async def begin(self) -> AsyncBoltTransaction:
        """A server transaction across queries (what ``session.begin()`` runs in)."""
        return await AsyncBoltTransaction(self, self._loop_client()).start()

    async def ping(self) -> None:
        """Check the server answers; :class:`~runic.ogm.exceptions.ConnectionFailedError` if not."""
        try:
            await self._loop_client().client.verify_connectivity()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            raise ConnectionFailedError(
                f"{self.dialect.name} did not answer a ping ({error})", address=self._address
            ) from error

    async def close(self) -> None:
        """Close the client of the running event loop (when this driver opened it)."""
        if not self._owns_connection:
            return
        loop_client = self._loops.pop(asyncio.get_running_loop(), None)
        if loop_client is not None:
            await loop_client.client.close()
        elif not self._first_used:
            await self.driver.close()  # never used: the client from_url opened


class AsyncBoltTransaction:
    """:class:`~runic.ogm.driver.bolt.BoltTransaction` for the async driver."""

    def __init__(self, owner: AsyncBoltDriver, loop_client: _LoopClient) -> None:
        self._owner = owner
        self._client = loop_client.client
        self._lock = loop_client.write_lock
        self._failed = False
        self._session: Any = None
        self._transaction: Any = None

    async def start(self) -> AsyncBoltTransaction:
        owner = self._owner
        if self._lock is not None:
            try:
                await take_turn(self._lock, owner)
            except BaseException:
                self._lock = None
                raise
        try:
            self._session = self._client.session(
                database=owner.database,
                default_access_mode=neo4j.WRITE_ACCESS,
                bookmark_manager=self._client.execute_query_bookmark_manager,
            )
            self._transaction = await self._session.begin_transaction(timeout=owner.query_timeout)
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            await self._end()
            raise translate_error(error, owner.dialect, owner._address, "BEGIN", True) from error
        except BaseException:
            await self._end()
            raise
        return self

    async def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        owner = self._owner
        try:
            result = await self._transaction.run(cypher, dict(params or {}))
            rows = [list(record.values()) async for record in result]
            keys = list(result.keys())
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            self._failed = True
            raise translate_error(error, owner.dialect, owner._address, cypher, True) from error
        return QueryResult(keys, [[neutral(value) for value in row] for row in rows])

    async def commit(self) -> None:
        owner = self._owner
        if self._failed:
            await self.rollback()
            raise failed_block(owner.dialect.name, owner._address)
        try:
            await self._transaction.commit()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError) as error:
            self._failed = True
            raise translate_error(error, owner.dialect, owner._address, "COMMIT", False) from error
        finally:
            await self._end()

    async def rollback(self) -> None:
        try:
            if not self._failed and self._transaction is not None:
                await self._transaction.rollback()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError):
            pass  # the server rolls back a transaction whose connection went away
        finally:
            await self._end()

    async def _end(self) -> None:
        try:
            if self._session is not None:
                await self._session.close()
        except (neo4j.exceptions.Neo4jError, neo4j.exceptions.DriverError):
            pass
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None
