"""What both session kinds do without I/O: staging work and building queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.search import fulltext_search, vector_search
from runic.ogm.query.statement import select
from runic.ogm.session.core import SessionCore
from runic.ogm.session.ownership import TaskGuard, ThreadGuard
from runic.ogm.session.query import QueryBuilder, SearchQueryBuilder


class StagingMethods:
    """``add``/``add_all``/``delete``/``expunge`` and ``query()``, shared by both shells.

    Each staging call runs inside the shell's guard: a Session refuses a second thread
    while another is inside it; an AsyncSession lets any task stage, and what is staged
    while another task's flush is in flight stays pending for the next flush.
    """

    _core: SessionCore
    _guard: ThreadGuard | TaskGuard
    #: The query builders this session kind hands out (typed for it).
    _query_type: ClassVar[type[QueryBuilder[Any]]]
    _search_type: ClassVar[type[SearchQueryBuilder[Any]]]

    @property
    def autoflush(self) -> bool:
        """Whether queries flush pending work first (so they see it)."""
        return self._core.autoflush

    @autoflush.setter
    def autoflush(self, value: bool) -> None:
        self._core.autoflush = value

    def add(self, entity: Node) -> None:
        """Stage an insert; nothing is sent until the next flush."""
        with self._guard:
            self._core.unit.add(entity)

    def add_all(self, entities: Iterable[Node]) -> None:
        with self._guard:
            add = self._core.unit.add
            for entity in entities:
                add(entity)

    def delete(self, entity: Node) -> None:
        """Stage a deletion of the node and its edges."""
        guard = self._guard
        with guard:
            flight = guard.during()
            if flight is None:
                self._core.unit.delete(entity)
            else:
                flight.delete(entity)

    def merge[N: Node](self, entity: N) -> N:
        """Stage an upsert by primary key: the next flush writes ``entity``'s fields to
        the node with its key, creating the node when it is missing (MERGE).

        Returns the session's instance for that key, which may not be ``entity``: an
        entity the session already holds takes ``entity``'s values; one held by another
        session is copied.
        """
        with self._guard:
            return self._core.unit.upsert(entity)  # type: ignore[return-value]

    def expunge(self, entity: Node) -> None:
        """Stop tracking ``entity``; its pending changes are forgotten."""
        with self._guard:
            self._core.unit.expunge(entity)

    def expire(
        self, entity: Node, *attributes: str | FieldAttribute[Any] | RelationAttribute[Any]
    ) -> None:
        """Forget loaded fields and relations of a stored entity (all but its key when none
        are named), so the next read comes from the graph; unflushed changes to them are
        dropped. A Session reads an expired field again on access; on an AsyncSession,
        ``await session.refresh(entity)`` first."""
        names = tuple(a if isinstance(a, str) else a.name for a in attributes)
        with self._guard:
            self._core.unit.expire(entity, names)

    def query[T: Node](self, model: type[T]) -> QueryBuilder[T]:
        """A builder bound to this session: ``session.query(User).where(...).all()``."""
        return self._query_type(self, select(model))

    def fulltext_search[T: Node](self, model: type[T], text: str) -> SearchQueryBuilder[T]:
        """A search builder: ``session.fulltext_search(Article, "graphs").limit(5).all()``.

        ``all()`` gives ``(entity, score)`` hits, best first.
        """
        return self._search_type(self, fulltext_search(model, text))

    def vector_search[T: Node](
        self, model: type[T], field: FieldAttribute[Any], vector: Sequence[float], k: int = 10
    ) -> SearchQueryBuilder[T]:
        """The ``k`` nearest nodes by a vector field: ``(entity, distance)`` hits, nearest
        first."""
        return self._search_type(self, vector_search(model, field, vector, k))
