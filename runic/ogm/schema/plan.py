"""Comparing what the models declare with what the graph has, and closing the gap.

Written once as an operation (see :class:`~runic.ogm.session.core.Steps`): it yields
the requests it needs and the sync and async entry points send them.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

from runic.ogm.driver.dialect import Dialect
from runic.ogm.exceptions import ConstraintViolationError, DriverError, SchemaError
from runic.ogm.model.node import Node
from runic.ogm.query.compiler import CompiledQuery
from runic.ogm.schema import age, bolt, falkordb
from runic.ogm.schema.age import SqlCommand
from runic.ogm.schema.falkordb import ConstraintCommand
from runic.ogm.schema.items import SchemaItem, declared_schema, node_models

#: How long a new index or constraint may take to build, and how often it is checked.
CONSTRAINT_WAIT = 30.0
CONSTRAINT_POLL = 0.05


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait before the next request (a constraint is still being checked)."""

    seconds: float


type SchemaRequest = CompiledQuery | ConstraintCommand | SqlCommand | Pause


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
    declared = declared_schema(chosen, single_label=dialect.single_label)
    declared = supported_items(dialect, declared, "schema sync")
    have = yield from _existing(dialect)
    if dialect.name in _BOLT:
        compared = {bolt.comparable(item): item for item in declared}
    else:
        compared = {item: item for item in declared}

    declared_keys = {item.key for item in declared}
    labels = {label for model in chosen for label in model.__runic__.labels}
    changes = SchemaChanges()
    for item, status in sorted(have.items()):
        if item in compared and status != "FAILED":
            changes.unchanged.append(compared[item])
        elif item.key in declared_keys or status == "FAILED":
            changes.dropped.append(item)  # made again below, as declared
        elif drop_extra and item.label in labels:
            changes.dropped.append(item)
    kept = set(changes.unchanged)
    changes.created = sorted(item for item in declared if item not in kept)
    if dialect.name in _BOLT:
        _regroup_fulltext(changes, have, declared)
    if not apply:
        return changes
    yield from _apply(dialect, changes, declared)
    return changes


def change_items(
    dialect: Dialect, create: Iterable[SchemaItem], drop: Iterable[SchemaItem]
) -> Generator[SchemaRequest, Any, SchemaChanges]:
    """Create and drop single indexes and constraints (the migration tool's schema
    operations). An item that exists already is not made again, and one that is gone
    already is not dropped: running it twice changes nothing."""
    wanted = supported_items(dialect, set(create), "schema changes")
    have = yield from _existing(dialect)
    have_keys = {item.key: item for item in have}
    changes = SchemaChanges()
    changes.dropped = sorted({have_keys[item.key] for item in drop if item.key in have_keys})
    changes.created = sorted(item for item in wanted if item.key not in have_keys)
    yield from _apply(dialect, changes, changes.created)
    return changes


#: Backends whose schema is Cypher in Neo4j 5's form (``SHOW INDEXES``, named DDL).
_BOLT = ("neo4j", "arcadedb")


def supported_items(
    dialect: Dialect, items: set[SchemaItem], what: str = "schema changes"
) -> set[SchemaItem]:
    """The items to make (with those they need), refused with
    :class:`~runic.ogm.exceptions.SchemaError` before any I/O where the backend cannot
    make them."""
    if dialect.name in _BOLT:
        bolt.check_supported(dialect, sorted(items))
        return items
    if dialect.name == "age":
        age.check_supported(sorted(items))
        return items
    if dialect.name == "falkordb":
        return falkordb.implied(items)  # a unique constraint stands on a range index
    raise SchemaError(f"{what} is not available on this backend ({dialect.name}) yet")


def _existing(dialect: Dialect) -> Generator[SchemaRequest, Any, dict[SchemaItem, str]]:
    """What the graph has, each with its status."""
    if dialect.name == "age":
        rows: list[Any] = yield age.LIST
        return age.existing(rows)
    if dialect.name in _BOLT:
        indexes = yield bolt.LIST_INDEXES
        constraints = yield bolt.LIST_CONSTRAINTS
        return bolt.existing(indexes, constraints)
    indexes = yield falkordb.LIST_INDEXES
    constraints = yield falkordb.LIST_CONSTRAINTS
    return falkordb.existing(indexes, constraints)


def _apply(
    dialect: Dialect, changes: SchemaChanges, declared: Iterable[SchemaItem]
) -> Generator[SchemaRequest, Any, None]:
    """Drop, then create: a constraint goes before the index under it, and comes after
    it. ``declared`` gives Neo4j's fulltext index all the fields of its label."""
    dropped = sorted(changes.dropped, key=lambda item: item.kind != "unique")
    created = sorted(changes.created, key=lambda item: item.kind == "unique")
    if dialect.name in _BOLT:
        for item in dropped:
            yield bolt.drop(item)
        fulltext: dict[str, list[str]] = {}
        for item in sorted(declared):
            if item.kind == "fulltext":
                fulltext.setdefault(item.label, []).append(item.field)
        for query in bolt.create(created, fulltext):  # noqa: UP028 - results are sent back
            yield query
    elif dialect.name == "age":
        for item in dropped:
            yield age.drop(item)
        for item in created:
            try:
                yield age.create(item)
            except ConstraintViolationError as error:
                raise SchemaError(
                    f"unique constraint on {item.label}.{item.field} failed: stored nodes "
                    f"already share a value; remove the duplicates and sync again ({error})"
                ) from error
    else:
        for item in dropped:
            yield falkordb.drop(item)
        for item in created:
            try:
                yield falkordb.create(item)
            except DriverError:
                # Another client may have made it a moment ago; anything else is a failure.
                if item not in (yield from _existing(dialect)):
                    raise
        gone = set(changes.dropped) - set(changes.created)
        if changes.created or gone:
            yield from _await_settled(set(changes.created), gone)


def _regroup_fulltext(
    changes: SchemaChanges, have: dict[SchemaItem, str], declared: set[SchemaItem]
) -> None:
    """One fulltext index covers a label's fields on Neo4j: changing one remakes it whole."""
    labels = {item.label for item in changes.created if item.kind == "fulltext"}
    for label in labels:
        stale = [i for i in have if i.kind == "fulltext" and i.label == label]
        fresh = [i for i in declared if i.kind == "fulltext" and i.label == label]
        changes.unchanged = [i for i in changes.unchanged if i not in fresh]
        changes.dropped += [i for i in stale if i not in changes.dropped]
        changes.created = sorted({*changes.created, *fresh})


def _await_settled(
    items: set[SchemaItem], gone: set[SchemaItem]
) -> Generator[SchemaRequest, Any, None]:
    """Wait until FalkorDB has built each new index, checked each new constraint and
    removed each dropped index, so the first query after a sync sees the new schema.

    FalkorDB keeps one range index per label; dropping one of its fields rebuilds it in
    the background, and the old one (with the dropped field) is listed until then.
    """
    waited = 0.0
    while True:
        indexes = yield falkordb.LIST_INDEXES
        constraints = yield falkordb.LIST_CONSTRAINTS
        states = falkordb.existing(indexes, constraints)
        failed = sorted(item for item in items if states.get(item) == "FAILED")
        if failed:
            for item in failed:
                yield falkordb.drop(item)
            names = ", ".join(f"{item.label}.{item.field}" for item in failed)
            raise SchemaError(
                f"unique constraint on {names} failed: stored nodes already share a value; "
                "remove the duplicates and sync again"
            )
        building = sorted(item for item in items if states.get(item) != "OPERATIONAL")
        lingering = sorted(item for item in gone if item in states)
        if not building and not lingering:
            return
        if waited >= CONSTRAINT_WAIT:
            pending = ", ".join(
                [f"{item} (being built)" for item in building]
                + [f"{item} (being dropped)" for item in lingering]
            )
            raise SchemaError(f"schema not settled after {CONSTRAINT_WAIT:.0f} s: {pending}")
        yield Pause(CONSTRAINT_POLL)
        waited += CONSTRAINT_POLL
