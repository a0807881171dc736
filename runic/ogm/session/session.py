"""The sync Session: runs the shared core's operations with blocking driver calls."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, NoReturn, Self

from runic.ogm.driver.base import GraphDriver
from runic.ogm.model.edge import Edge
from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.statement import Select
from runic.ogm.session.core import Operation, SessionCore
from runic.ogm.session.staging import StagingMethods


class Session(StagingMethods):
    """``with Session(driver) as session:`` commits on success and rolls back on error.

    Queries flush pending changes first, so they see what the session holds. An
    unloaded relation loads on first access with one query.
    """

    def __init__(self, driver: GraphDriver, *, autoflush: bool = True) -> None:
        if inspect.iscoroutinefunction(getattr(driver, "execute", None)):
            raise TypeError(
                f"Session needs a sync driver, got {type(driver).__name__}; "
                "use AsyncSession for an async driver"
            )
        self.driver = driver
        self._core = SessionCore(driver.dialect, self._load_relation, autoflush)

    def _run[T](self, operation: Operation[T]) -> T:
        """Drive an operation: send each query it yields, hand back the result or error."""
        execute = self.driver.execute
        try:
            query = next(operation)
            while True:
                try:
                    result = execute(query.cypher, query.params, read_only=query.read_only)
                except Exception as error:
                    query = operation.throw(error)
                else:
                    query = operation.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def _load_relation(self, entity: Node, relation: RelationAttribute) -> Any:
        return self._run(self._core.load_relation(entity, relation))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()

    # -- staging (no I/O) --------------------------------------------------------

    def relate(
        self,
        source: Node,
        relation: RelationAttribute | str,
        target: Node,
        edge: Edge | None = None,
    ) -> None:
        """Stage an edge (MERGE: relating twice keeps one edge); ``edge`` sets its properties."""
        self._core.relate(source, relation, target, edge)

    def unrelate(self, source: Node, relation: RelationAttribute | str, target: Node) -> None:
        """Stage removing the edges of ``relation`` between ``source`` and ``target``."""
        self._core.unrelate(source, relation, target)

    # -- writing -----------------------------------------------------------------

    def flush(self) -> None:
        self._run(self._core.flush())

    def commit(self) -> None:
        self._run(self._core.flush())

    def rollback(self) -> None:
        self._core.unit.rollback()

    def close(self) -> None:
        self._core.unit.close()

    # -- reading -----------------------------------------------------------------

    def get(
        self, model: type[Node], key: Any, fetch: Sequence[str | RelationAttribute] = ()
    ) -> Any:
        """The entity with this key, or None; a held entity costs no query."""
        return self._run(self._core.get(model, key, fetch))

    def scalars(self, statement: Select[Any]) -> list[Any]:
        return self._run(self._core.scalars(statement))

    def scalar(self, statement: Select[Any]) -> Any:
        return self._run(self._core.scalar(statement))

    def count(self, statement: Select[Any]) -> int:
        return self._run(self._core.count(statement))

    def all_rows(self, statement: Select[Any]) -> list[dict[str, Any]]:
        return self._run(self._core.all_rows(statement))

    def all_with_edges(self, statement: Select[Any]) -> list[tuple[Any, Any, Any]]:
        return self._run(self._core.all_with_edges(statement))

    def execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._run(self._core.execute(cypher, params))

    def refresh(self, entity: Node) -> None:
        self._run(self._core.refresh(entity))

    async def __aenter__(self) -> NoReturn:
        raise TypeError(
            "Session is sync: use `with Session(driver)`, or AsyncSession with an async driver"
        )

    async def __aexit__(self, *args: object) -> None:  # pragma: no cover - __aenter__ refuses
        return None
