"""The driver protocols: the only surface sessions use to reach a database."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from runic.ogm.driver.dialect import Dialect
from runic.ogm.driver.records import QueryResult
from runic.ogm.exceptions import TransactionError


@runtime_checkable
class GraphDriver(Protocol):
    """A blocking connection to one graph."""

    dialect: Dialect

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        """Run one query; read-only queries may go to a read path or replica."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class AsyncGraphDriver(Protocol):
    """A non-blocking connection to one graph."""

    dialect: Dialect

    async def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult: ...

    async def close(self) -> None: ...


@runtime_checkable
class GraphTransaction(Protocol):
    """A server transaction across queries, from a driver's ``begin()``: what
    ``with session.begin():`` runs its queries in (Bolt and AGE drivers have one)."""

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


@runtime_checkable
class AsyncGraphTransaction(Protocol):
    """:class:`GraphTransaction` for async drivers (``await driver.begin()``)."""

    async def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


def failed_block(backend: str, address: str | None) -> TransactionError:
    """The COMMIT of a transaction in which a query failed: the server has rolled it
    back (PostgreSQL would even answer the COMMIT as if it had succeeded)."""
    return TransactionError(
        f"session.begin(): a query in the block failed, so {backend} rolled the whole "
        f"transaction back; nothing of the block was committed (server {address})"
    )


def has_async_execute(driver: object) -> bool:
    """Whether ``driver.execute`` is a coroutine function (checked on every session
    creation, so the plain cases skip ``inspect``)."""
    cls = type(driver)
    known = _async_classes.get(cls)
    if known is not None:
        own = getattr(driver, "__dict__", None)
        if not own or "execute" not in own:  # the class's own method: the class's answer
            return known
    answer = _is_async(getattr(driver, "execute", None))
    if known is None and "execute" in getattr(cls, "__dict__", {}):
        _async_classes[cls] = answer  # (a class that defines execute itself)
    return answer


#: Whether each driver class's ``execute`` is a coroutine function.
_async_classes: dict[type, bool] = {}


def _is_async(execute: Any) -> bool:
    function = getattr(execute, "__func__", execute)
    code = getattr(function, "__code__", None)
    if code is not None and not hasattr(function, "_is_coroutine_marker"):
        return bool(code.co_flags & inspect.CO_COROUTINE)
    return inspect.iscoroutinefunction(execute)
