"""Recording the queries a driver sends: round-trip counts for tests and benchmarks."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RecordedQuery:
    cypher: str
    params: dict[str, Any]
    read_only: bool


@dataclass(slots=True)
class QueryLog:
    queries: list[RecordedQuery] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.queries)

    def __len__(self) -> int:
        return len(self.queries)


@contextmanager
def record_queries(driver: Any) -> Iterator[QueryLog]:
    """``with record_queries(driver) as log:`` records every query sent through ``driver``.

    Works for sync and async drivers alike by wrapping the instance's ``execute`` (and
    ``execute_on_primary``, where a session's reads go once it has written).
    """
    log = QueryLog()
    names = [name for name in ("execute", "execute_on_primary") if hasattr(driver, name)]
    for name in names:
        setattr(driver, name, _recording(getattr(driver, name), log))
    try:
        yield log
    finally:
        for name in names:
            delattr(driver, name)


def _recording(original: Any, log: QueryLog) -> Any:
    def note(cypher: str, params: Mapping[str, Any] | None, read_only: bool) -> None:
        log.queries.append(RecordedQuery(cypher, dict(params or {}), read_only))

    if inspect.iscoroutinefunction(original):

        async def execute_async(
            cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
        ) -> Any:
            note(cypher, params, read_only)
            return await original(cypher, params, read_only=read_only)

        return execute_async

    def execute(
        cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> Any:
        note(cypher, params, read_only)
        return original(cypher, params, read_only=read_only)

    return execute
