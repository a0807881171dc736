"""Indexes and constraints from the models: ``sync_schema(driver)`` makes the graph match.

``schema_diff`` says what a sync would change without changing anything. Both compare
the same way; ``drop_extra=True`` also removes what the models no longer declare (on the
labels of the models considered).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator, Iterable
from typing import Any

from runic.ogm.model.node import Node
from runic.ogm.schema.age import SqlCommand
from runic.ogm.schema.falkordb import ConstraintCommand
from runic.ogm.schema.items import SchemaItem, declared_schema
from runic.ogm.schema.plan import Pause, SchemaChanges, SchemaRequest, schema_operation
from runic.ogm.session.core import Steps

CONSTRAINT_COMMAND = "GRAPH.CONSTRAINT"


def sync_schema(
    driver: Any, models: Iterable[type[Node]] | None = None, *, drop_extra: bool = False
) -> SchemaChanges:
    """Create the indexes and constraints the models declare and the graph lacks.

    ``models`` defaults to every registered node class. Idempotent: a second run finds
    nothing to do. New unique constraints are waited for until FalkorDB has checked the
    stored nodes; if they hold duplicates, :class:`~runic.ogm.exceptions.SchemaError`.
    """
    return run_requests(
        driver, schema_operation(driver.dialect, models, drop_extra=drop_extra, apply=True)
    )


def schema_diff(
    driver: Any, models: Iterable[type[Node]] | None = None, *, drop_extra: bool = False
) -> SchemaChanges:
    """What :func:`sync_schema` would create and drop; changes nothing."""
    return run_requests(
        driver, schema_operation(driver.dialect, models, drop_extra=drop_extra, apply=False)
    )


async def async_sync_schema(
    driver: Any, models: Iterable[type[Node]] | None = None, *, drop_extra: bool = False
) -> SchemaChanges:
    """:func:`sync_schema` over an async driver."""
    operation = schema_operation(driver.dialect, models, drop_extra=drop_extra, apply=True)
    return await async_run_requests(driver, operation)


async def async_schema_diff(
    driver: Any, models: Iterable[type[Node]] | None = None, *, drop_extra: bool = False
) -> SchemaChanges:
    """:func:`schema_diff` over an async driver."""
    operation = schema_operation(driver.dialect, models, drop_extra=drop_extra, apply=False)
    return await async_run_requests(driver, operation)


def run_requests[T](driver: Any, operation: Generator[SchemaRequest, Any, T]) -> T:
    """Drive a schema (or migration) operation with a sync driver: send each request,
    hand back its result or error."""
    steps: Steps[T] = Steps(operation)  # type: ignore[arg-type]
    for request in steps:
        try:
            steps.outcome = _send(driver, request)
        except Exception as error:
            steps.outcome = error
    return steps.value


async def async_run_requests[T](driver: Any, operation: Generator[SchemaRequest, Any, T]) -> T:
    """:func:`run_requests` with an async driver."""
    steps: Steps[T] = Steps(operation)  # type: ignore[arg-type]
    for request in steps:
        outcome = _send(driver, request)
        try:
            steps.outcome = await outcome if outcome is not None else None
        except Exception as error:
            steps.outcome = error
    return steps.value


def _send(driver: Any, request: SchemaRequest) -> Any:
    """Hand one request to the driver: a result, or an awaitable on an async driver."""
    if isinstance(request, Pause):
        sleep = asyncio.sleep if asyncio.iscoroutinefunction(driver.execute) else time.sleep
        return sleep(request.seconds)
    if isinstance(request, ConstraintCommand):
        return driver.graph_command(CONSTRAINT_COMMAND, *request.arguments(driver.name))
    if isinstance(request, SqlCommand):
        return driver.execute_sql(request.statements(driver.name), read_only=request.read_only)
    return driver.execute(request.cypher, request.params, read_only=request.read_only)


__all__ = [
    "SchemaChanges",
    "SchemaItem",
    "async_schema_diff",
    "async_sync_schema",
    "declared_schema",
    "schema_diff",
    "sync_schema",
]
