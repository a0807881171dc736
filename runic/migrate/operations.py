"""``op``: what a revision's ``upgrade(op)`` and ``downgrade(op)`` ask for.

Calling ``op.rename_property(...)`` records the operation; the runner then sends it,
with a sync or an async driver alike. Each operation is a sans-I/O plan of requests
(see ``runic.ogm.schema.run_requests``). Data operations go in batches of
``batch_size`` nodes, each one query, until a batch finds nothing left to change, so a
million nodes never make one giant transaction; a migration stopped midway picks up
where it stopped when run again.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from runic.migrate.errors import MigrationError
from runic.ogm.driver.dialect import Dialect
from runic.ogm.identifiers import quote, validate_identifier
from runic.ogm.query.compiler import CompiledQuery
from runic.ogm.schema.items import SchemaItem, SchemaKind
from runic.ogm.schema.plan import SchemaRequest, change_items, supported_items

#: Nodes changed per query by the data operations.
BATCH_SIZE = 10_000

#: ``progress(operation, changed_so_far)`` after each batch.
type Progress = Callable[[str, int], None]

type Plan = Generator[SchemaRequest, Any, int]

#: Renews this deployer's migration lock (after each batch); raises if it was lost.
type Renew = Callable[[], Generator[SchemaRequest, Any, None]]


def _no_renewal() -> Generator[SchemaRequest, Any, None]:
    yield from ()


@dataclass(frozen=True)
class Operation:
    """One recorded operation: ``describe()`` says what it does, ``plan()`` does it."""

    def describe(self) -> str:
        raise NotImplementedError

    def plan(self, dialect: Dialect, progress: Progress, renew: Renew = _no_renewal) -> Plan:
        raise NotImplementedError


@dataclass(frozen=True)
class SchemaChange(Operation):
    create: tuple[SchemaItem, ...] = ()
    drop: tuple[SchemaItem, ...] = ()

    def describe(self) -> str:
        parts = [f"create {item}" for item in self.create] + [f"drop {item}" for item in self.drop]
        return "; ".join(parts)

    def plan(self, dialect: Dialect, progress: Progress, renew: Renew = _no_renewal) -> Plan:
        changes = yield from change_items(dialect, self.create, self.drop)
        return len(changes.created) + len(changes.dropped)


@dataclass(frozen=True)
class Batched(Operation):
    """A data change run as ``MATCH ... WITH n LIMIT $batch <change> RETURN count(n)``
    until a batch changes nothing. ``match`` must stop matching a node once changed."""

    text: str
    match: str
    change: str
    params: tuple[tuple[str, Any], ...] = ()
    batch_size: int = BATCH_SIZE

    def describe(self) -> str:
        return self.text

    def plan(self, dialect: Dialect, progress: Progress, renew: Renew = _no_renewal) -> Plan:
        counted = yield CompiledQuery(f"{self.match} RETURN count(n) AS due", dict(self.params))
        due = int(counted.rows[0][0]) if counted.rows else 0
        cypher = f"{self.match} WITH n LIMIT $batch {self.change} RETURN count(n) AS changed"
        params = {**dict(self.params), "batch": self.batch_size}
        total = 0
        # A batch stops matching the nodes it changed; if the backend matched them again,
        # the loop would never end, so it runs at most one batch more than were due.
        for _ in range(due // self.batch_size + 2):
            result = yield CompiledQuery(cypher, params, read_only=False)
            changed = int(result.rows[0][0]) if result.rows else 0
            total += changed
            if changed:
                progress(self.text, total)
            if changed < self.batch_size:
                return total
            yield from renew()  # a long operation keeps the lock, and stops if it lost it
        raise MigrationError(
            f"{self.text}: the backend still matches nodes already changed ({total:,} "
            f"changes for {due:,} nodes); nothing more was sent"
        )


@dataclass(frozen=True)
class RunCypher(Operation):
    cypher: str
    params: tuple[tuple[str, Any], ...] = ()

    def describe(self) -> str:
        return f"run {self.cypher!r}"

    def plan(self, dialect: Dialect, progress: Progress, renew: Renew = _no_renewal) -> Plan:
        yield CompiledQuery(self.cypher, dict(self.params), read_only=False)
        return 0


@dataclass
class Operations:
    """The ``op`` a revision gets. Labels and property names are validated as they are
    given, so a mistake fails before anything is sent."""

    dialect: Dialect
    batch_size: int = BATCH_SIZE
    recorded: list[Operation] = field(default_factory=list)

    # -- indexes and constraints (through runic's schema layer) --------------------

    def create_index(self, label: str, property: str) -> None:
        self._schema(create=self._item("index", label, property))

    def drop_index(self, label: str, property: str) -> None:
        self._schema(drop=self._item("index", label, property))

    def create_unique(self, label: str, property: str) -> None:
        self._schema(create=self._item("unique", label, property))

    def drop_unique(self, label: str, property: str) -> None:
        self._schema(drop=self._item("unique", label, property))

    def create_fulltext_index(self, label: str, property: str) -> None:
        self._schema(create=self._item("fulltext", label, property))

    def drop_fulltext_index(self, label: str, property: str) -> None:
        self._schema(drop=self._item("fulltext", label, property))

    def create_vector_index(
        self, label: str, property: str, *, dimension: int, similarity: str = "cosine"
    ) -> None:
        if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
            raise MigrationError(
                f"create_vector_index: dimension must be a positive int, got {dimension!r}"
            )
        if similarity not in ("cosine", "euclidean"):
            raise MigrationError(
                f"create_vector_index: similarity is 'cosine' or 'euclidean', got {similarity!r}"
            )
        options = (("dimension", dimension), ("similarityFunction", similarity))
        self._schema(create=self._item("vector", label, property, options))

    def drop_vector_index(self, label: str, property: str) -> None:
        self._schema(drop=self._item("vector", label, property))

    # -- data, in batches -----------------------------------------------------------

    def rename_property(self, label: str, old: str, new: str) -> None:
        """``old`` becomes ``new`` on every ``label`` node that has it."""
        node, old_name, new_name = self._node(label), self._name(old), self._name(new)
        self._batched(
            f"rename {label}.{old} to {new}",
            f"MATCH (n{node}) WHERE n.{old_name} IS NOT NULL",
            # SET ... = null, not REMOVE: ArcadeDB (26.10) keeps an indexed property's
            # entry after REMOVE, so the batch would match the same nodes for ever.
            f"SET n.{new_name} = n.{old_name} SET n.{old_name} = null",
        )

    def copy_property(self, label: str, source: str, target: str) -> None:
        """``target`` gets ``source``'s value where it differs."""
        node, source_name, target_name = self._node(label), self._name(source), self._name(target)
        self._batched(
            f"copy {label}.{source} to {target}",
            f"MATCH (n{node}) WHERE n.{source_name} IS NOT NULL AND "
            f"(n.{target_name} IS NULL OR n.{target_name} <> n.{source_name})",
            f"SET n.{target_name} = n.{source_name}",
        )

    def set_default(self, label: str, property: str, value: Any) -> None:
        """``property`` becomes ``value`` where it is missing (a new required field)."""
        if value is None:
            raise MigrationError(f"set_default({label}.{property}): the value may not be None")
        node, name = self._node(label), self._name(property)
        self._batched(
            f"default {label}.{property} = {value!r}",
            f"MATCH (n{node}) WHERE n.{name} IS NULL",
            f"SET n.{name} = $value",
            (("value", value),),
        )

    def remove_property(self, label: str, property: str) -> None:
        node, name = self._node(label), self._name(property)
        self._batched(
            f"remove {label}.{property}",
            f"MATCH (n{node}) WHERE n.{name} IS NOT NULL",
            f"SET n.{name} = null",
        )

    def add_label(self, label: str, new_label: str) -> None:
        """Every ``label`` node gets ``new_label`` as well."""
        self._labels_supported("add_label")
        node, added = self._node(label), self._node(new_label)
        self._batched(
            f"add label {new_label} to {label}",
            f"MATCH (n{node}) WHERE NOT n{added}",
            f"SET n{added}",
        )

    def remove_label(self, label: str, removed_label: str) -> None:
        """``removed_label`` comes off every ``label`` node that has it."""
        self._labels_supported("remove_label")
        node, removed = self._node(label), self._node(removed_label)
        self._batched(
            f"remove label {removed_label} from {label}",
            f"MATCH (n{node}{removed})",
            f"REMOVE n{removed}",
        )

    def execute(self, cypher: str, params: dict[str, Any] | None = None) -> None:
        """Arbitrary Cypher, as one query (values as parameters, never in the text)."""
        if not isinstance(cypher, str) or not cypher.strip():
            raise MigrationError("execute() takes Cypher text")
        self.recorded.append(RunCypher(cypher, tuple((params or {}).items())))

    # -- helpers ----------------------------------------------------------------

    def _schema(self, create: SchemaItem | None = None, drop: SchemaItem | None = None) -> None:
        if create is not None:
            supported_items(self.dialect, {create})  # refused as it is asked for
        self.recorded.append(
            SchemaChange(create=(create,) if create else (), drop=(drop,) if drop else ())
        )

    @staticmethod
    def _item(
        kind: SchemaKind, label: str, property: str, options: tuple[tuple[str, Any], ...] = ()
    ) -> SchemaItem:
        validate_identifier(label, "label")
        validate_identifier(property, "property")
        return SchemaItem(kind, label, property, options)

    @staticmethod
    def _node(label: str) -> str:
        validate_identifier(label, "label")
        return ":" + quote(label)

    @staticmethod
    def _name(property: str) -> str:
        validate_identifier(property, "property")
        return quote(property)

    def _labels_supported(self, operation: str) -> None:
        if self.dialect.single_label:
            raise MigrationError(
                f"{operation}: {self.dialect.name} gives a node one label, so labels cannot "
                "be added or removed; relabel with execute() and the backend's own tools"
            )

    def _batched(
        self, text: str, match: str, change: str, params: tuple[tuple[str, Any], ...] = ()
    ) -> None:
        self.recorded.append(Batched(text, match, change, params, self.batch_size))
