"""The AsyncSession: runs the shared core's operations with awaited driver calls."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, NoReturn, Self

from runic.ogm.driver.base import AsyncGraphDriver
from runic.ogm.model.edge import Edge
from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.statement import Select
from runic.ogm.session.core import Operation, SessionCore, refuse_lazy_load
from runic.ogm.session.staging import StagingMethods

#: Entities fetched per round trip by :meth:`AsyncSession.stream`.
STREAM_PAGE = 1_000


class AsyncSession(StagingMethods):
    """``async with AsyncSession(driver) as session:`` commits on success, rolls back on error.

    Staging (``add``, ``add_all``, ``delete``, ``expunge``) is synchronous; everything
    that may reach the database is a coroutine. Relations are never loaded lazily:
    load them with ``fetch=`` (see :class:`~runic.ogm.exceptions.LazyLoadError`).
    """

    def __init__(self, driver: AsyncGraphDriver, *, autoflush: bool = True) -> None:
        if not inspect.iscoroutinefunction(getattr(driver, "execute", None)):
            raise TypeError(
                f"AsyncSession needs an async driver, got {type(driver).__name__}; "
                "use Session for a sync driver, or AsyncFalkorDBDriver(graph)"
            )
        self.driver = driver
        self._core = SessionCore(driver.dialect, refuse_lazy_load, autoflush)
        self._task: asyncio.Task[Any] | None = None

    async def _run[T](self, operation: Operation[T]) -> T:
        """Drive an operation, refusing a second task while one is in flight."""
        task = asyncio.current_task()
        if self._task is not None and self._task is not task:
            operation.close()
            raise RuntimeError(
                "this AsyncSession is already in use by another task; an AsyncSession "
                "belongs to one task at a time: open one session per task"
            )
        self._task = task
        execute = self.driver.execute
        try:
            query = next(operation)
            while True:
                try:
                    result = await execute(query.cypher, query.params, read_only=query.read_only)
                except Exception as error:
                    query = operation.throw(error)
                else:
                    query = operation.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            self._task = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                await self.commit()
            else:
                await self.rollback()
        finally:
            await self.close()

    def __enter__(self) -> NoReturn:
        raise TypeError("AsyncSession is used with `async with`, not `with`; or use Session")

    def __exit__(self, *args: object) -> None:  # pragma: no cover - __enter__ refuses
        return None

    # -- staging (no I/O) --------------------------------------------------------

    async def relate(
        self,
        source: Node,
        relation: RelationAttribute | str,
        target: Node,
        edge: Edge | None = None,
    ) -> None:
        """Stage an edge (MERGE semantics), sent with the next flush."""
        self._core.relate(source, relation, target, edge)

    async def unrelate(self, source: Node, relation: RelationAttribute | str, target: Node) -> None:
        self._core.unrelate(source, relation, target)

    # -- writing -----------------------------------------------------------------

    async def flush(self) -> None:
        await self._run(self._core.flush())

    async def commit(self) -> None:
        await self._run(self._core.flush())

    async def rollback(self) -> None:
        self._core.unit.rollback()

    async def close(self) -> None:
        self._core.unit.close()

    # -- reading -----------------------------------------------------------------

    async def get(
        self, model: type[Node], key: Any, fetch: Sequence[str | RelationAttribute] = ()
    ) -> Any:
        return await self._run(self._core.get(model, key, fetch))

    async def scalars(self, statement: Select[Any]) -> list[Any]:
        return await self._run(self._core.scalars(statement))

    async def scalar(self, statement: Select[Any]) -> Any:
        return await self._run(self._core.scalar(statement))

    async def count(self, statement: Select[Any]) -> int:
        return await self._run(self._core.count(statement))

    async def all_rows(self, statement: Select[Any]) -> list[dict[str, Any]]:
        return await self._run(self._core.all_rows(statement))

    async def all_with_edges(self, statement: Select[Any]) -> list[tuple[Any, Any, Any]]:
        return await self._run(self._core.all_with_edges(statement))

    async def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return await self._run(self._core.execute(cypher, params))

    async def refresh(self, entity: Node) -> None:
        await self._run(self._core.refresh(entity))

    async def stream(
        self, statement: Select[Any], *, page_size: int = STREAM_PAGE
    ) -> AsyncIterator[Any]:
        """``async for entity in session.stream(stmt)``: one page in memory at a time.

        Entities you did not change are let go once the next page is read; changed ones
        stay in the session and are flushed as usual.
        """
        page = 0
        while True:
            entities = await self._run(self._core.stream_page(statement, page, page_size))
            for entity in entities:
                yield entity
            self._core.release(entities)
            if len(entities) < page_size:
                return
            page += 1
