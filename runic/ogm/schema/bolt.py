"""How Neo4j 5 (and ArcadeDB, which answers as one over Bolt) list, create and drop
indexes and constraints.

Everything is Cypher: ``SHOW INDEXES``/``SHOW CONSTRAINTS`` and named ``CREATE ... IF
NOT EXISTS``/``DROP ... IF EXISTS``. A unique constraint owns its index, so owned indexes
are not listed as indexes. Neo4j's fulltext index covers every fulltext field of a label
at once (``runic_fulltext_<Label>``). ArcadeDB makes range indexes and unique
constraints only.
"""

from __future__ import annotations

from runic.ogm.driver.dialect import Dialect
from runic.ogm.driver.records import QueryResult
from runic.ogm.exceptions import SchemaError
from runic.ogm.identifiers import quote
from runic.ogm.query.compiler import CompiledQuery
from runic.ogm.schema.items import SchemaItem, SchemaKind

LIST_INDEXES = CompiledQuery(
    "SHOW INDEXES YIELD name, type, entityType, labelsOrTypes, properties, owningConstraint "
    "RETURN name, type, entityType, labelsOrTypes, properties, owningConstraint",
    read_only=True,
)
LIST_CONSTRAINTS = CompiledQuery(
    "SHOW CONSTRAINTS YIELD name, type, entityType, labelsOrTypes, properties "
    "RETURN name, type, entityType, labelsOrTypes, properties",
    read_only=True,
)
_KINDS: dict[str, SchemaKind] = {"RANGE": "index", "FULLTEXT": "fulltext", "VECTOR": "vector"}
_SIMILARITY = {"cosine": "cosine", "euclidean": "euclidean"}


def supported(dialect: Dialect, item: SchemaItem) -> bool:
    return dialect.name == "neo4j" or item.kind in ("index", "unique")


def existing(indexes: QueryResult, constraints: QueryResult) -> dict[SchemaItem, str]:
    found: dict[SchemaItem, str] = {}
    for name, kind, entity, labels, properties, owner in indexes.rows:
        if entity != "NODE" or owner or kind not in _KINDS or len(labels or ()) != 1:
            continue
        for prop in properties or ():
            # Options are not read back: a vector index of another size keeps its name.
            found[SchemaItem(_KINDS[kind], labels[0], prop, name=name)] = "OPERATIONAL"
    for name, kind, entity, labels, properties in constraints.rows:
        if kind in ("UNIQUENESS", "NODE_UNIQUENESS") and entity == "NODE" and len(properties) == 1:
            found[SchemaItem("unique", labels[0], properties[0], name=name)] = "OPERATIONAL"
    return found


def comparable(item: SchemaItem) -> SchemaItem:
    """What is compared with the graph: Bolt does not report vector options back."""
    return SchemaItem(item.kind, item.label, item.field) if item.kind == "vector" else item


def create(items: list[SchemaItem], all_fulltext: dict[str, list[str]]) -> list[CompiledQuery]:
    """The statements making ``items``; fulltext ones make their label's whole index."""
    made: list[CompiledQuery] = []
    fulltext_labels: set[str] = set()
    for item in items:
        label, prop = quote(item.label), quote(item.field)
        if item.kind == "unique":
            made.append(
                _ddl(
                    f"CREATE CONSTRAINT {quote(_name(item))} IF NOT EXISTS "
                    f"FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
                )
            )
        elif item.kind == "index":
            made.append(
                _ddl(
                    f"CREATE INDEX {quote(_name(item))} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"
                )
            )
        elif item.kind == "vector":
            options = dict(item.options)
            similarity = _SIMILARITY[str(options["similarityFunction"])]
            made.append(
                _ddl(
                    f"CREATE VECTOR INDEX {quote(_name(item))} IF NOT EXISTS FOR (n:{label}) "
                    f"ON n.{prop} OPTIONS {{indexConfig: {{`vector.dimensions`: "
                    f"{int(options['dimension'])}, `vector.similarity_function`: '{similarity}'}}}}"
                )
            )
        elif item.label not in fulltext_labels:
            fulltext_labels.add(item.label)
            fields = ", ".join(f"n.{quote(name)}" for name in all_fulltext[item.label])
            made.append(
                _ddl(
                    f"CREATE FULLTEXT INDEX {quote(_name(item))} IF NOT EXISTS "
                    f"FOR (n:{label}) ON EACH [{fields}]"
                )
            )
    return made


def drop(item: SchemaItem) -> CompiledQuery:
    what = "CONSTRAINT" if item.kind == "unique" else "INDEX"
    # The name may be one the server chose, so it is escaped rather than assumed plain.
    name = (item.name or _name(item)).replace("`", "``")
    return _ddl(f"DROP {what} `{name}` IF EXISTS")


def check_supported(dialect: Dialect, items: list[SchemaItem]) -> None:
    refused = [str(item) for item in items if not supported(dialect, item)]
    if refused:
        raise SchemaError(
            f"{dialect.name} cannot make {', '.join(refused)} through Cypher; "
            "it supports range indexes and unique constraints"
        )


def _name(item: SchemaItem) -> str:
    if item.kind == "fulltext":
        return f"runic_fulltext_{item.label}"
    return f"runic_{item.kind}_{item.label}_{item.field}"


def _ddl(cypher: str) -> CompiledQuery:
    return CompiledQuery(cypher, read_only=False)
