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

    Works for sync and async drivers alike by wrapping the instance's ``execute``.
    """
    log = QueryLog()
    original = driver.execute

    def note(cypher: str, params: Mapping[str, Any] | None, read_only: bool) -> None:
        log.queries.append(RecordedQuery(cypher, dict(params or {}), read_only))

    if inspect.iscoroutinefunction(original):

        async def execute_async(
            cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
        ) -> Any:
            note(cypher, params, read_only)
            return await original(cypher, params, read_only=read_only)

        driver.execute = execute_async
    else:

        def execute(
            cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
        ) -> Any:
            note(cypher, params, read_only)
            return original(cypher, params, read_only=read_only)

        driver.execute = execute
    try:
        yield log
    finally:
        del driver.execute
