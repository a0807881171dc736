"""Repositories: per-model data access over a session, for subclassing with domain queries.

One implementation serves both session kinds: each method hands its work to the session,
so on an ``AsyncSession`` it returns an awaitable (``await repo.find_all()``). For type
checkers, :class:`Repository` declares the values and :class:`AsyncRepository` the
coroutines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from runic.ogm.exceptions import MultipleResultsError
from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.statement import select
from runic.ogm.session.async_session import AsyncSession
from runic.ogm.session.core import Operation
from runic.ogm.session.query import AsyncQuery, Query, QueryBuilder
from runic.ogm.session.session import Session


class RepositoryBase[T: Node]:
    """What both repository kinds share: checks on construction and the runtime methods."""

    session_type: type[Any] = Session
    query_type: type[QueryBuilder[Any]] = Query

    def __init__(self, session: Any, model: type[T]) -> None:
        if not isinstance(session, self.session_type):
            other = "AsyncRepository" if isinstance(session, AsyncSession) else "Repository"
            raise TypeError(
                f"{type(self).__name__} needs a {self.session_type.__name__}, got "
                f"{type(session).__name__}; use {other} for it"
            )
        if not (isinstance(model, type) and issubclass(model, Node)):
            raise TypeError(f"{type(self).__name__} takes a Node class, got {model!r}")
        self.session = session
        self.model: type[T] = model

    def query(self) -> Any:
        """A builder over this model: ``self.query().where(...).order_by(...).all()``."""
        return self.query_type(self.session, select(self.model))

    def find_all(
        self, skip: int = 0, limit: int = 20, fetch: Sequence[str | RelationAttribute[Any]] = ()
    ) -> Any:
        """One page of entities in key order."""
        key = self.model.__runic__.key_field
        statement = select(self.model).order_by(key).skip(skip).limit(limit)
        return self.session.scalars(statement.fetch(*fetch) if fetch else statement)

    def count(self) -> Any:
        """How many entities of the model there are."""
        return self.session.count(select(self.model))

    def exists(self, key: Any) -> Any:
        """Whether an entity with this key exists."""
        return self.session._run(self.session._core.exists_key(self.model, key))

    def get(self, key: Any, fetch: Sequence[str | RelationAttribute[Any]] = ()) -> Any:
        """The entity with this key, or None."""
        return self.session.get(self.model, key, fetch)

    def find_all_by_ids(
        self, ids: Iterable[Any], fetch: Sequence[str | RelationAttribute[Any]] = ()
    ) -> Any:
        """The entities with these keys, in the order given, missing ones left out: held
        ones from the session, the rest in one query."""
        return self.session.get_many(self.model, ids, fetch)

    def cypher(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        returns: Any = None,
    ) -> Any:
        """Raw Cypher, typed: the first column's nodes as entities of the repository's
        model (or of ``returns``, a Node class), ``returns=dict`` for rows as dicts, or
        ``int``/``float``/``str``/``bool`` for the first column's values. Nodes join the
        session's identity map; a value of another type raises TypeError."""
        operation = self.session._core.typed_cypher(query, params, returns or self.model)
        return self.session._run(operation)

    def cypher_one(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        returns: Any = None,
    ) -> Any:
        """:meth:`cypher`'s only result, or None when there is none;
        :class:`~runic.ogm.exceptions.MultipleResultsError` when there are several."""
        operation = _only(self.session._core.typed_cypher(query, params, returns or self.model))
        return self.session._run(operation)

    def add(self, entity: T) -> None:
        self.session.add(entity)

    def delete(self, entity: T) -> None:
        self.session.delete(entity)


def _only(rows: Operation[list[Any]]) -> Operation[Any]:
    found = yield from rows
    if len(found) > 1:
        raise MultipleResultsError(f"cypher_one(): the query returned {len(found)} rows")
    return found[0] if found else None


class Repository[T: Node](RepositoryBase[T]):
    """``Repository(session, User)``: find, count, check and get ``User`` entities."""

    if TYPE_CHECKING:

        def __init__(self, session: Session, model: type[T]) -> None: ...

        session: Session

        def query(self) -> Query[T]: ...
        def find_all(
            self,
            skip: int = 0,
            limit: int = 20,
            fetch: Sequence[str | RelationAttribute[Any]] = (),
        ) -> list[T]: ...
        def count(self) -> int: ...
        def exists(self, key: Any) -> bool: ...
        def get(self, key: Any, fetch: Sequence[str | RelationAttribute[Any]] = ()) -> T | None: ...
        def find_all_by_ids(
            self, ids: Iterable[Any], fetch: Sequence[str | RelationAttribute[Any]] = ()
        ) -> list[T]: ...
        @overload
        def cypher(
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: None = None
        ) -> list[T]: ...
        @overload
        def cypher[R](
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: type[R]
        ) -> list[R]: ...
        def cypher(
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: Any = None
        ) -> list[Any]: ...
        @overload
        def cypher_one(
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: None = None
        ) -> T | None: ...
        @overload
        def cypher_one[R](
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: type[R]
        ) -> R | None: ...
        def cypher_one(
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: Any = None
        ) -> Any: ...


class AsyncRepository[T: Node](RepositoryBase[T]):
    """:class:`Repository` over an
    :class:`~runic.ogm.session.async_session.AsyncSession`: every query is awaited."""

    session_type = AsyncSession
    query_type = AsyncQuery

    if TYPE_CHECKING:

        def __init__(self, session: AsyncSession, model: type[T]) -> None: ...

        session: AsyncSession

        def query(self) -> AsyncQuery[T]: ...
        async def find_all(
            self,
            skip: int = 0,
            limit: int = 20,
            fetch: Sequence[str | RelationAttribute[Any]] = (),
        ) -> list[T]: ...
        async def count(self) -> int: ...
        async def exists(self, key: Any) -> bool: ...
        async def get(
            self, key: Any, fetch: Sequence[str | RelationAttribute[Any]] = ()
        ) -> T | None: ...
        async def find_all_by_ids(
            self, ids: Iterable[Any], fetch: Sequence[str | RelationAttribute[Any]] = ()
        ) -> list[T]: ...
        @overload
        async def cypher(
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: None = None
        ) -> list[T]: ...
        @overload
        async def cypher[R](
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: type[R]
        ) -> list[R]: ...
        async def cypher(
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: Any = None
        ) -> list[Any]: ...
        @overload
        async def cypher_one(
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: None = None
        ) -> T | None: ...
        @overload
        async def cypher_one[R](
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: type[R]
        ) -> R | None: ...
        async def cypher_one(
            self, query: str, params: Mapping[str, Any] | None = None, *, returns: Any = None
        ) -> Any: ...


__all__ = ["AsyncRepository", "Repository", "RepositoryBase"]
