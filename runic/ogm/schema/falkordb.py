"""How FalkorDB lists, creates and drops indexes and constraints.

Indexes are Cypher (``CREATE INDEX``, ``CREATE FULLTEXT INDEX``, ``CREATE VECTOR INDEX``);
unique constraints are the ``GRAPH.CONSTRAINT`` command and need a range index on their
property, which FalkorDB will not drop while the constraint stands. A new index or
constraint is built in the background: UNDER CONSTRUCTION or PENDING until FalkorDB has
gone through the stored nodes, then OPERATIONAL (or FAILED, for a constraint that they
break).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runic.ogm.driver.records import QueryResult
from runic.ogm.identifiers import quote
from runic.ogm.query.compiler import CompiledQuery
from runic.ogm.schema.items import SchemaItem, SchemaKind

LIST_INDEXES = CompiledQuery(
    "CALL db.indexes() YIELD label, properties, types, options, entitytype, status "
    "RETURN label, properties, types, options, entitytype, status",
    read_only=True,
)
LIST_CONSTRAINTS = CompiledQuery(
    "CALL db.constraints() YIELD type, label, properties, entitytype, status "
    "RETURN type, label, properties, entitytype, status",
    read_only=True,
)
_INDEX_KINDS: dict[str, SchemaKind] = {"RANGE": "index", "FULLTEXT": "fulltext", "VECTOR": "vector"}
_DDL = {"index": "", "fulltext": "FULLTEXT ", "vector": "VECTOR "}


@dataclass(frozen=True, slots=True)
class ConstraintCommand:
    """``GRAPH.CONSTRAINT <verb> <graph> UNIQUE NODE <label> PROPERTIES 1 <property>``."""

    verb: str
    label: str
    field: str

    def arguments(self, graph: str) -> tuple[Any, ...]:
        return (self.verb, graph, "UNIQUE", "NODE", self.label, "PROPERTIES", 1, self.field)


def existing(indexes: QueryResult, constraints: QueryResult) -> dict[SchemaItem, str]:
    """What the graph has, each with its status (constraints can be PENDING or FAILED)."""
    found: dict[SchemaItem, str] = {}
    for label, properties, types, options, entity, status in indexes.rows:
        if entity != "NODE":
            continue
        for prop in properties:
            for kind in types.get(prop, ()):
                if kind not in _INDEX_KINDS:
                    continue
                settings: tuple[tuple[str, Any], ...] = ()
                if kind == "VECTOR":
                    given = options.get(prop) or {}
                    settings = (
                        ("dimension", int(given.get("dimension", 0))),
                        ("similarityFunction", str(given.get("similarityFunction", ""))),
                    )
                found[SchemaItem(_INDEX_KINDS[kind], label, prop, settings)] = status
    for kind, label, properties, entity, status in constraints.rows:
        if kind == "UNIQUE" and entity == "NODE" and len(properties) == 1:
            found[SchemaItem("unique", label, properties[0])] = status
    return found


def implied(declared: set[SchemaItem]) -> set[SchemaItem]:
    """A unique constraint stands on a range index of the same property."""
    return declared | {
        SchemaItem("index", item.label, item.field) for item in declared if item.kind == "unique"
    }


def create(item: SchemaItem) -> CompiledQuery | ConstraintCommand:
    if item.kind == "unique":
        return ConstraintCommand("CREATE", item.label, item.field)
    pattern = f"(e:{quote(item.label)}) ON (e.{quote(item.field)})"
    options = ""
    if item.options:
        # Options are typed values from the model (int dimension, a checked similarity
        # name); FalkorDB takes no parameters in index DDL.
        options = " OPTIONS {" + ", ".join(f"{k}: {_literal(v)}" for k, v in item.options) + "}"
    return CompiledQuery(f"CREATE {_DDL[item.kind]}INDEX FOR {pattern}{options}", read_only=False)


def drop(item: SchemaItem) -> CompiledQuery | ConstraintCommand:
    if item.kind == "unique":
        return ConstraintCommand("DROP", item.label, item.field)
    pattern = f"(e:{quote(item.label)}) ON (e.{quote(item.field)})"
    return CompiledQuery(f"DROP {_DDL[item.kind]}INDEX FOR {pattern}", read_only=False)


def _literal(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    if value not in ("cosine", "euclidean"):
        raise ValueError(f"unexpected index option {value!r}")
    return f"'{value}'"
