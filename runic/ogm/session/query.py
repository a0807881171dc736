"""``session.query(User)``: a statement bound to a session, for both session kinds.

Builder methods return a new query, as statements do. The terminal methods hand the
statement to the session, so at runtime one implementation serves both kinds: values on
a ``Session`` and awaitables on an ``AsyncSession``. For type checkers,
:class:`Query` declares the values and :class:`AsyncQuery` the coroutines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.expressions import Expression
from runic.ogm.query.statement import Select

if TYPE_CHECKING:
    from runic.ogm.model.node import Node
    from runic.ogm.query.search import SearchHit


class QueryBuilder[T]:
    """What both query kinds share: the builder methods and the runtime terminals."""

    __slots__ = ("session", "statement")

    def __init__(self, session: Any, statement: Select[T]) -> None:
        self.session = session
        self.statement = statement

    def _with(self, statement: Select[Any]) -> Self:
        return type(self)(self.session, statement)

    def where(self, *conditions: Expression, on: str | None = None) -> Self:
        return self._with(self.statement.where(*conditions, on=on))

    def order_by(
        self, key: FieldAttribute[Any] | str, desc: bool = False, *, on: str | None = None
    ) -> Self:
        return self._with(self.statement.order_by(key, desc=desc, on=on))

    def order_by_random(self) -> Self:
        return self._with(self.statement.order_by_random())

    def skip(self, count: int) -> Self:
        return self._with(self.statement.skip(count))

    def limit(self, count: int) -> Self:
        return self._with(self.statement.limit(count))

    def distinct(self) -> Self:
        return self._with(self.statement.distinct())

    def fetch(self, *paths: str | RelationAttribute[Any]) -> Self:
        return self._with(self.statement.fetch(*paths))

    def traverse(self, relation: RelationAttribute[Any]) -> Any:
        """Follow ``relation``; conditions after it apply to its target."""
        kind = _TRAVERSALS.get(type(self), type(self))
        return kind(self.session, self.statement.traverse(relation))

    def return_target(self) -> Any:
        """Return the last traversal target instead of the model."""
        kind = _UNTRAVERSED.get(type(self), type(self))
        return kind(self.session, self.statement.return_target())

    def all(self) -> Any:
        """Every entity."""
        return self.session.scalars(self.statement)

    def first(self) -> Any:
        """The first entity or None."""
        return self.session.scalar(self.statement)

    def count(self) -> Any:
        """How many entities match, ignoring skip and limit."""
        return self.session.count(self.statement)

    def one(self) -> Any:
        """The only match; raises when there is none or several."""
        return self.session.one(self.statement)

    def one_or_none(self) -> Any:
        """The only match or None; raises when there are several."""
        return self.session.one_or_none(self.statement)

    def exists(self) -> Any:
        """Whether anything matches."""
        return self.session.exists(self.statement)


class Query[T](QueryBuilder[T]):
    """``session.query(User)`` on a :class:`~runic.ogm.session.session.Session`."""

    __slots__ = ()

    if TYPE_CHECKING:

        def traverse[N: Node](self, relation: RelationAttribute[N]) -> QueryTraversal[T, N]: ...
        def return_target(self) -> Query[Any]: ...
        def all(self) -> list[T]: ...
        def first(self) -> T | None: ...
        def count(self) -> int: ...
        def one(self) -> T: ...
        def one_or_none(self) -> T | None: ...
        def exists(self) -> bool: ...


class AsyncQuery[T](QueryBuilder[T]):
    """``session.query(User)`` on an
    :class:`~runic.ogm.session.async_session.AsyncSession`: ``await q.all()``."""

    __slots__ = ()

    if TYPE_CHECKING:

        def traverse[N: Node](
            self, relation: RelationAttribute[N]
        ) -> AsyncQueryTraversal[T, N]: ...
        def return_target(self) -> AsyncQuery[Any]: ...
        async def all(self) -> list[T]: ...
        async def first(self) -> T | None: ...
        async def count(self) -> int: ...
        async def one(self) -> T: ...
        async def one_or_none(self) -> T | None: ...
        async def exists(self) -> bool: ...


class QueryTraversal[T, N: Node](Query[T]):
    """A :class:`Query` after ``traverse()``: ``return_target()`` makes it return ``N``."""

    __slots__ = ()

    if TYPE_CHECKING:

        def return_target(self) -> Query[N]: ...


class AsyncQueryTraversal[T, N: Node](AsyncQuery[T]):
    """An :class:`AsyncQuery` after ``traverse()``: ``return_target()`` returns ``N``."""

    __slots__ = ()

    if TYPE_CHECKING:

        def return_target(self) -> AsyncQuery[N]: ...


class SearchQueryBuilder[T](QueryBuilder[T]):
    """A fulltext or vector search bound to a session; ``all()`` gives scored hits."""

    __slots__ = ()

    def all(self) -> Any:
        """Every hit as ``(entity, score)``, best first."""
        return self.session.search(self.statement)

    def first(self) -> Any:
        """The best hit or None."""
        return self.session._run(self.session._core.first_hit(self.statement))

    def entities(self) -> Any:
        """The entities alone, best first."""
        return self.session.scalars(self.statement)


class SearchQuery[T](SearchQueryBuilder[T]):
    """A search on a :class:`~runic.ogm.session.session.Session`."""

    __slots__ = ()

    if TYPE_CHECKING:

        def all(self) -> list[SearchHit[T]]: ...
        def first(self) -> SearchHit[T] | None: ...
        def entities(self) -> list[T]: ...
        def count(self) -> int: ...
        def one(self) -> T: ...
        def one_or_none(self) -> T | None: ...
        def exists(self) -> bool: ...


class AsyncSearchQuery[T](SearchQueryBuilder[T]):
    """A search on an :class:`~runic.ogm.session.async_session.AsyncSession`: ``await q.all()``."""

    __slots__ = ()

    if TYPE_CHECKING:

        async def all(self) -> list[SearchHit[T]]: ...
        async def first(self) -> SearchHit[T] | None: ...
        async def entities(self) -> list[T]: ...
        async def count(self) -> int: ...
        async def one(self) -> T: ...
        async def one_or_none(self) -> T | None: ...
        async def exists(self) -> bool: ...


#: The query kind ``traverse()`` hands out, and the one ``return_target()`` goes back to.
_TRAVERSALS: dict[type[Any], type[QueryBuilder[Any]]] = {
    Query: QueryTraversal,
    AsyncQuery: AsyncQueryTraversal,
}
_UNTRAVERSED: dict[type[Any], type[QueryBuilder[Any]]] = {
    QueryTraversal: Query,
    AsyncQueryTraversal: AsyncQuery,
}
