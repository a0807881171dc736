"""The sync Session: a thin shell that moves the unit of work's queries to a driver."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Self

from runic.ogm.driver.base import GraphDriver
from runic.ogm.driver.records import GraphNode
from runic.ogm.model.node import Node
from runic.ogm.model.registry import registry
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.compiler import compile_count, compile_select
from runic.ogm.query.statement import Select, select
from runic.ogm.session.decoding import decode_entities, decode_rows
from runic.ogm.session.flush import compile_flush
from runic.ogm.session.unit_of_work import UnitOfWork


class Session:
    """``with Session(driver) as session:`` commits on success and rolls back on error.

    Queries flush pending changes first, so they see what the session holds.
    """

    def __init__(self, driver: GraphDriver, *, autoflush: bool = True) -> None:
        if inspect.iscoroutinefunction(getattr(driver, "execute", None)):
            raise TypeError(
                f"Session needs a sync driver, got {type(driver).__name__}; "
                "use AsyncSession for an async driver"
            )
        self.driver = driver
        self.autoflush = autoflush
        self._unit = UnitOfWork(self._load_relation)

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

    def add(self, entity: Node) -> None:
        self._unit.add(entity)

    def add_all(self, entities: Iterable[Node]) -> None:
        for entity in entities:
            self._unit.add(entity)

    def delete(self, entity: Node) -> None:
        self._unit.delete(entity)

    def expunge(self, entity: Node) -> None:
        self._unit.expunge(entity)

    # -- writing -----------------------------------------------------------------

    def flush(self) -> None:
        """Send all pending work as one atomic query; on failure nothing changes here."""
        plan = self._unit.plan()
        if not plan:
            return
        query = compile_flush(plan, self.driver.dialect)
        self.driver.execute(query.cypher, query.params)
        self._unit.flushed()

    def commit(self) -> None:
        self.flush()

    def rollback(self) -> None:
        self._unit.rollback()

    def close(self) -> None:
        self._unit.close()

    # -- reading -----------------------------------------------------------------

    def get(self, model: type[Node], key: Any) -> Any:
        """The entity with this primary key, or None; held entities cost no query."""
        cached = self._unit.cached(model, key)
        if cached is not None:
            return cached
        statement = select(model).where(model.__runic__.key_field == key).limit(1)
        found = self.scalars(statement)
        return found[0] if found else None

    def scalars(self, statement: Select[Any]) -> list[Any]:
        self._autoflush()
        query = compile_select(statement, self.driver.dialect)
        result = self.driver.execute(query.cypher, query.params, read_only=True)
        return decode_entities(result, self._unit.merge)

    def scalar(self, statement: Select[Any]) -> Any:
        found = self.scalars(statement.limit(1))
        return found[0] if found else None

    def count(self, statement: Select[Any]) -> int:
        self._autoflush()
        query = compile_count(statement, self.driver.dialect)
        result = self.driver.execute(query.cypher, query.params, read_only=True)
        return int(result.rows[0][0])

    def all_rows(self, statement: Select[Any]) -> list[dict[str, Any]]:
        self._autoflush()
        query = compile_select(statement, self.driver.dialect)
        result = self.driver.execute(query.cypher, query.params, read_only=True)
        return decode_rows(result, query.columns, self._unit.merge)

    def execute(self, cypher: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Raw Cypher; nodes of declared models come back as entities."""
        self._autoflush()
        result = self.driver.execute(cypher, params)
        return [
            {
                name: self._entity_or_value(value)
                for name, value in zip(result.columns, row, strict=True)
            }
            for row in result.rows
        ]

    def _entity_or_value(self, value: Any) -> Any:
        if isinstance(value, GraphNode) and registry.class_for_labels(frozenset(value.labels)):
            return self._unit.merge(value)
        if isinstance(value, list):
            return [self._entity_or_value(item) for item in value]
        return value

    def _autoflush(self) -> None:
        if self.autoflush:
            self.flush()

    def _load_relation(self, entity: Node, relation: RelationAttribute) -> Any:
        """Lazy loading: one query for the relation's targets."""
        info = type(entity).__runic__
        key_value = entity.__dict__["_runic_values"][info.key_field.name]
        statement = (
            select(type(entity))
            .where(info.key_field == key_value)
            .traverse(getattr(type(entity), relation.name))
            .return_target()
        )
        targets = self.scalars(statement)
        if relation.to_many:
            return targets
        return targets[0] if targets else None
