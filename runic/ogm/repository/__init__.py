"""Repositories: per-model data access over a session, for subclassing with domain queries.

One implementation serves both session kinds: each method hands its work to the session,
so on an ``AsyncSession`` it returns an awaitable (``await repo.find_all()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.statement import select
from runic.ogm.session.async_session import AsyncSession
from runic.ogm.session.query import Query
from runic.ogm.session.session import Session


class Repository[T: Node]:
    """``Repository(session, User)``: find, count, check and get ``User`` entities."""

    session_type: type[Any] = Session

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
        self.model = model

    def query(self) -> Query[T]:
        """A builder over this model: ``self.query().where(...).order_by(...).all()``."""
        return Query(self.session, select(self.model))

    def find_all(
        self, skip: int = 0, limit: int = 20, fetch: Sequence[str | RelationAttribute] = ()
    ) -> Any:
        """One page of entities in key order (``list[T]``)."""
        key = self.model.__runic__.key_field
        statement = select(self.model).order_by(key).skip(skip).limit(limit)
        return self.session.scalars(statement.fetch(*fetch) if fetch else statement)

    def count(self) -> Any:
        return self.session.count(select(self.model))

    def exists(self, key: Any) -> Any:
        return self.session._run(self.session._core.exists_key(self.model, key))

    def get(self, key: Any, fetch: Sequence[str | RelationAttribute] = ()) -> Any:
        return self.session.get(self.model, key, fetch)

    def add(self, entity: T) -> None:
        self.session.add(entity)

    def delete(self, entity: T) -> None:
        self.session.delete(entity)


class AsyncRepository[T: Node](Repository[T]):
    """:class:`Repository` over an :class:`AsyncSession`: every method is awaited."""

    session_type = AsyncSession


__all__ = ["AsyncRepository", "Repository"]
