"""The AsyncSession: runs the shared core's operations with awaited driver calls."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, NoReturn, Self, overload

from runic.ogm.driver.base import AsyncGraphDriver, AsyncGraphTransaction, has_async_execute
from runic.ogm.model.edge import Edge
from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.bulk import Delete, Update
from runic.ogm.query.ingest import Unwind
from runic.ogm.query.search import SearchHit
from runic.ogm.query.statement import Select
from runic.ogm.session.core import Operation, SessionCore, refuse_lazy_load
from runic.ogm.session.key_indexes import indexed_keys
from runic.ogm.session.operations import SessionMethods
from runic.ogm.session.ownership import TaskGuard
from runic.ogm.session.query import AsyncQuery, AsyncSearchQuery
from runic.ogm.session.querylog import logged_async, logging_queries
from runic.ogm.session.replica_reads import primary_reader, query_routes
from runic.ogm.session.transaction import refusal

#: Entities fetched per round trip by :meth:`AsyncSession.stream`.
STREAM_PAGE = 1_000


class AsyncSession(SessionMethods):
    """``async with AsyncSession(driver) as session:`` commits on success, rolls back on error.

    Staging (``add``, ``add_all``, ``delete``, ``expunge``) is synchronous; everything
    that may reach the database is a coroutine. Relations are never loaded lazily:
    load them with ``fetch=`` (see :class:`~runic.ogm.exceptions.LazyLoadError`).

    One task's operation runs at a time: another task's query, flush, ``rollback`` or
    ``close`` meanwhile raises ``SessionInUseError``. Staging from another task
    meanwhile is kept for the next flush.
    """

    def __init__(self, driver: AsyncGraphDriver, *, autoflush: bool = True) -> None:
        if not has_async_execute(driver):
            raise TypeError(
                f"AsyncSession needs an async driver, got {type(driver).__name__}; "
                "use Session for a sync driver, or AsyncFalkorDBDriver(graph)"
            )
        self.driver = driver
        self._core = SessionCore(
            driver.dialect, refuse_lazy_load, autoflush, lambda: indexed_keys(driver)
        )
        self._guard: TaskGuard = TaskGuard(self._core.unit)
        #: Where reads go once this session has written, when they go to replicas.
        self._primary_reads = primary_reader(driver)
        self._reads_on_primary = False
        #: The server transaction of an open ``begin()`` block, which queries go through.
        self._transaction: AsyncGraphTransaction | None = None

    _query_type = AsyncQuery
    _search_type = AsyncSearchQuery

    if TYPE_CHECKING:  # the methods whose results depend on their arguments' types

        async def get[N: Node](
            self, model: type[N], key: Any, fetch: Sequence[str | RelationAttribute[Any]] = ()
        ) -> N | None: ...
        async def get_one[N: Node](
            self, model: type[N], key: Any, fetch: Sequence[str | RelationAttribute[Any]] = ()
        ) -> N: ...
        async def get_many[N: Node](
            self,
            model: type[N],
            keys: Iterable[Any],
            fetch: Sequence[str | RelationAttribute[Any]] = (),
        ) -> list[N]: ...
        async def get_or_create[N: Node](
            self,
            model: type[N],
            lookup: Mapping[str, Any],
            defaults: Mapping[str, Any] | None = None,
        ) -> tuple[N, bool]: ...
        async def scalars[T](
            self, statement: Select[T], params: Mapping[str, Any] | None = None
        ) -> list[T]: ...
        async def scalar[T](
            self, statement: Select[T], params: Mapping[str, Any] | None = None
        ) -> T | None: ...
        async def first[T](
            self, statement: Select[T], params: Mapping[str, Any] | None = None
        ) -> T | None: ...
        async def one[T](
            self, statement: Select[T], params: Mapping[str, Any] | None = None
        ) -> T: ...
        async def one_or_none[T](
            self, statement: Select[T], params: Mapping[str, Any] | None = None
        ) -> T | None: ...
        async def search[T](self, statement: Select[T]) -> list[SearchHit[T]]: ...
        async def distinct[V](
            self, field: FieldAttribute[V], statement: Select[Any] | None = None
        ) -> list[V]: ...
        async def relate[N: Node](
            self,
            source: Node,
            relation: RelationAttribute[N] | str,
            target: N,
            edge: Edge | None = None,
        ) -> None: ...
        async def unrelate[N: Node](
            self, source: Node, relation: RelationAttribute[N] | str, target: N
        ) -> None: ...
        @overload
        async def execute(
            self, cypher: Update[Any] | Delete[Any] | Unwind, params: None = None
        ) -> int: ...
        @overload
        async def execute(
            self, cypher: str, params: Mapping[str, Any] | None = None
        ) -> list[dict[str, Any]]: ...
        async def execute(
            self,
            cypher: str | Update[Any] | Delete[Any] | Unwind,
            params: Mapping[str, Any] | None = None,
        ) -> int | list[dict[str, Any]]: ...
        def query[N: Node](self, model: type[N]) -> AsyncQuery[N]: ...
        def fulltext_search[N: Node](self, model: type[N], text: str) -> AsyncSearchQuery[N]: ...
        def vector_search[N: Node](
            self, model: type[N], field: FieldAttribute[Any], vector: Sequence[float], k: int = 10
        ) -> AsyncSearchQuery[N]: ...

    async def _run[T](self, operation: Operation[T]) -> T:
        """Drive an operation, refusing a second task while one is in flight."""
        self._guard.claim(operation)
        try:
            transaction = self._transaction
            execute: Callable[..., Awaitable[Any]] = (
                self.driver.execute if transaction is None else transaction.execute
            )
            primary = self._primary_reads if transaction is None else None
            wrap = logged_async if logging_queries() else None
            execute, pinned = query_routes(execute, primary, self._reads_on_primary, wrap)
            try:  # Steps' protocol, written out: this runs for every query
                query = next(operation)
                while True:
                    if pinned is not None and not query.read_only:
                        # From its first write on, the session reads from the primary.
                        self._reads_on_primary = True
                        execute, pinned = pinned, None
                    try:
                        result = await execute(
                            query.cypher, query.params, read_only=query.read_only
                        )
                    except Exception as error:
                        query = operation.throw(error)
                    else:
                        query = operation.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
        finally:
            self._guard.release()

    @staticmethod
    def _method[**P, T](
        operation: Callable[Concatenate[SessionCore, P], Operation[T]],
    ) -> Callable[Concatenate[AsyncSession, P], Coroutine[Any, Any, T]]:
        def method(
            session: AsyncSession, /, *args: P.args, **kwargs: P.kwargs
        ) -> Coroutine[Any, Any, T]:
            # Returns ``_run``'s coroutine itself: one coroutine per call, not two.
            return session._run(operation(session._core, *args, **kwargs))

        return inspect.markcoroutinefunction(method)

    @staticmethod
    def _staged[**P, T](
        function: Callable[Concatenate[SessionCore, P], T],
    ) -> Callable[Concatenate[AsyncSession, P], Coroutine[Any, Any, T]]:
        async def method(session: AsyncSession, /, *args: P.args, **kwargs: P.kwargs) -> T:
            return function(session._core, *args, **kwargs)

        return method

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[Self]:
        """``async with session.begin():`` runs the block's flushes and reads in one
        server transaction (Bolt and AGE); see :meth:`Session.begin
        <runic.ogm.session.session.Session.begin>`."""
        begin = getattr(self.driver, "begin", None)
        if begin is None:
            raise refusal(self.driver)
        block = self._core.transaction
        block.enter()
        try:
            transaction = await begin()
        except BaseException:
            block.leave(self._core.unit, rolled_back=False)  # nothing was sent
            raise
        self._transaction = transaction
        committed = False
        try:
            yield self
            await self._run(self._core.flush())
            self._transaction = None
            await transaction.commit()
            committed = True
            await self._run(self._core.index_deferred_keys())
        except BaseException:
            if self._transaction is not None:  # the COMMIT was not attempted
                self._transaction = None
                await transaction.rollback()
            raise
        finally:
            block.leave(self._core.unit, rolled_back=not committed)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        core = self._core
        if kind is None and self._guard.task is None and not core.unit.pending:
            core.close()  # nothing to commit and no operation under way: finish() in short
            return
        await self._run(core.finish(kind is None))

    def __enter__(self) -> NoReturn:
        raise TypeError("AsyncSession is used with `async with`, not `with`; or use Session")

    def __exit__(self, *args: object) -> None:  # pragma: no cover - __enter__ refuses
        return None

    def stream[T](self, statement: Select[T], *, page_size: int = STREAM_PAGE) -> EntityStream[T]:
        """``async for entity in session.stream(stmt)``: one page in memory at a time.

        Entities you did not change are let go once the next page is read; changed ones
        stay in the session and are flushed as usual.
        """
        if not isinstance(statement, Select):
            raise TypeError(f"stream() takes a select() statement, got {type(statement).__name__}")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValueError(f"stream(): page_size must be a positive int, got {page_size!r}")
        return EntityStream(self._pages(statement, page_size))

    async def _pages(self, statement: Select[Any], page_size: int) -> AsyncIterator[Any]:
        page = 0
        while True:
            entities = await self._run(self._core.stream_page(statement, page, page_size))
            for entity in entities:
                yield entity
            self._core.release(entities)
            if len(entities) < page_size:
                return
            page += 1


class EntityStream[T]:
    """What :meth:`AsyncSession.stream` returns: iterate it with ``async for``."""

    def __init__(self, entities: AsyncIterator[T]) -> None:
        self._entities = entities

    def __aiter__(self) -> AsyncIterator[T]:
        return self._entities

    def __iter__(self) -> NoReturn:
        raise TypeError(
            "AsyncSession.stream() is read with `async for`; in sync code use "
            "Session.scalars(), or run_async() around the async code"
        )
