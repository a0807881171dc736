"""``session.query(User)``: a statement bound to a session, for both session kinds.

Builder methods return a new query, as statements do. The terminal methods hand the
statement to the session, so they return values on a ``Session`` and awaitables on an
``AsyncSession`` (``await session.query(User).all()``) from this one class.
"""

from __future__ import annotations

from typing import Any

from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.expressions import Expression
from runic.ogm.query.statement import Select


class Query[T]:
    __slots__ = ("session", "statement")

    def __init__(self, session: Any, statement: Select[T]) -> None:
        self.session = session
        self.statement = statement

    def _with(self, statement: Select[Any]) -> Query[T]:
        return type(self)(self.session, statement)

    def where(self, *conditions: Expression) -> Query[T]:
        return self._with(self.statement.where(*conditions))

    def order_by(self, key: FieldAttribute | str, desc: bool = False) -> Query[T]:
        return self._with(self.statement.order_by(key, desc=desc))

    def skip(self, count: int) -> Query[T]:
        return self._with(self.statement.skip(count))

    def limit(self, count: int) -> Query[T]:
        return self._with(self.statement.limit(count))

    def distinct(self) -> Query[T]:
        return self._with(self.statement.distinct())

    def fetch(self, *paths: str | RelationAttribute) -> Query[T]:
        return self._with(self.statement.fetch(*paths))

    def traverse(self, relation: RelationAttribute) -> Query[T]:
        return self._with(self.statement.traverse(relation))

    def return_target(self) -> Query[Any]:
        return self._with(self.statement.return_target())

    def all(self) -> Any:
        """Every entity (``list[T]``; awaitable on an AsyncSession)."""
        return self.session.scalars(self.statement)

    def first(self) -> Any:
        """The first entity or None (awaitable on an AsyncSession)."""
        return self.session.scalar(self.statement)

    def count(self) -> Any:
        """How many entities match, ignoring skip and limit (awaitable on an AsyncSession)."""
        return self.session.count(self.statement)

    def one(self) -> Any:
        """The only match; raises when there is none or several (awaitable on async)."""
        return self.session.one(self.statement)

    def one_or_none(self) -> Any:
        """The only match or None; raises when there are several (awaitable on async)."""
        return self.session.one_or_none(self.statement)

    def exists(self) -> Any:
        """Whether anything matches (awaitable on an AsyncSession)."""
        return self.session.exists(self.statement)

    def order_by_random(self) -> Query[T]:
        return self._with(self.statement.order_by_random())


class SearchQuery[T](Query[T]):
    """A fulltext or vector search bound to a session; ``all()`` gives scored hits."""

    __slots__ = ()

    def all(self) -> Any:
        """Every hit as ``(entity, score)`` (awaitable on an AsyncSession)."""
        return self.session.search(self.statement)

    def first(self) -> Any:
        """The best hit or None (awaitable on an AsyncSession)."""
        return self.session._run(self.session._core.first_hit(self.statement))

    def entities(self) -> Any:
        """The entities alone, best first (awaitable on an AsyncSession)."""
        return self.session.scalars(self.statement)
