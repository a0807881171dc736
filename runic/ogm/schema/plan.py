"""Comparing what the models declare with what the graph has, and closing the gap.

Written once as an operation (see :class:`~runic.ogm.session.core.Steps`): it yields
the requests it needs and the sync and async entry points send them.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

from runic.ogm.driver.dialect import Dialect
from runic.ogm.driver.records import QueryResult
from runic.ogm.exceptions import SchemaError
from runic.ogm.model.node import Node
from runic.ogm.query.compiler import CompiledQuery
from runic.ogm.schema import falkordb
from runic.ogm.schema.falkordb import ConstraintCommand
from runic.ogm.schema.items import SchemaItem, declared_schema, node_models

#: How long a new unique constraint may stay PENDING, and how often it is checked.
CONSTRAINT_WAIT = 30.0
CONSTRAINT_POLL = 0.05


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait before the next request (a constraint is still being checked)."""

    seconds: float


type SchemaRequest = CompiledQuery | ConstraintCommand | Pause


@dataclass
class SchemaChanges:
    """What a schema sync did, or (from ``schema_diff``) would do."""

    created: list[SchemaItem] = field(default_factory=list)
    dropped: list[SchemaItem] = field(default_factory=list)
    unchanged: list[SchemaItem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.created and not self.dropped

    def __str__(self) -> str:
        lines = [f"+ {item}" for item in self.created] + [f"- {item}" for item in self.dropped]
        return "\n".join(lines) or "schema up to date"


def schema_operation(
    dialect: Dialect,
    models: Iterable[type[Node]] | None,
    *,
    drop_extra: bool,
    apply: bool,
) -> Generator[SchemaRequest, Any, SchemaChanges]:
    chosen = node_models(models)
    if dialect.name != "falkordb":
        raise SchemaError(f"schema sync is not available on this backend ({dialect.name}) yet")
    declared = falkordb.implied(declared_schema(chosen))
    indexes = yield falkordb.LIST_INDEXES
    constraints = yield falkordb.LIST_CONSTRAINTS
    have = falkordb.existing(indexes, constraints)

    declared_keys = {item.key for item in declared}
    labels = {label for model in chosen for label in model.__runic__.labels}
    changes = SchemaChanges()
    for item, status in sorted(have.items()):
        if item in declared and status != "FAILED":
            changes.unchanged.append(item)
        elif item.key in declared_keys or status == "FAILED":
            changes.dropped.append(item)  # made again below, as declared
        elif drop_extra and item.label in labels:
            changes.dropped.append(item)
    kept = set(changes.unchanged)
    changes.created = sorted(item for item in declared if item not in kept)
    if not apply:
        return changes

    # A constraint goes before the index under it, and comes after it.
    for item in sorted(changes.dropped, key=lambda item: item.kind != "unique"):
        yield falkordb.drop(item)
    for item in sorted(changes.created, key=lambda item: item.kind == "unique"):
        yield falkordb.create(item)
    new_constraints = {item for item in changes.created if item.kind == "unique"}
    if new_constraints:
        yield from _await_constraints(new_constraints)
    return changes


def _await_constraints(items: set[SchemaItem]) -> Generator[SchemaRequest, Any, None]:
    """Wait until FalkorDB has checked the stored nodes against each new constraint."""
    waited = 0.0
    while True:
        result = yield falkordb.LIST_CONSTRAINTS
        states = falkordb.existing(QueryResult([]), result)
        failed = sorted(item for item in items if states.get(item) == "FAILED")
        if failed:
            for item in failed:
                yield falkordb.drop(item)
            names = ", ".join(f"{item.label}.{item.field}" for item in failed)
            raise SchemaError(
                f"unique constraint on {names} failed: stored nodes already share a value; "
                "remove the duplicates and sync again"
            )
        if all(states.get(item) == "OPERATIONAL" for item in items):
            return
        if waited >= CONSTRAINT_WAIT:
            raise SchemaError(f"unique constraints still pending after {CONSTRAINT_WAIT:.0f} s")
        yield Pause(CONSTRAINT_POLL)
        waited += CONSTRAINT_POLL
