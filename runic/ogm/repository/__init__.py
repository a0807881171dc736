"""Repositories: per-model data access over a session, for subclassing with domain queries.

One implementation serves both session kinds: each method hands its work to the session,
so on an ``AsyncSession`` it returns an awaitable (``await repo.find_all()``). For type
checkers, :class:`Repository` declares the values and :class:`AsyncRepository` the
coroutines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.statement import select
from runic.ogm.session.async_session import AsyncSession
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

    def add(self, entity: T) -> None:
        self.session.add(entity)

    def delete(self, entity: T) -> None:
        self.session.delete(entity)


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


class AsyncRepository[T: Node](RepositoryBase[T]):
    """:class:`Repository` over an :class:`AsyncSession`: every query is awaited."""

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


__all__ = ["AsyncRepository", "Repository", "RepositoryBase"]
