"""How Apache AGE lists, creates and drops indexes and unique constraints.

AGE keeps each vertex label in a PostgreSQL table of the graph's schema, its properties
in one ``agtype`` column. An index on a property is a btree index on the expression AGE
itself generates for ``n.field``, so the planner uses it for ``WHERE n.field = $v`` and
for range comparisons; a unique constraint is the same index made ``UNIQUE``. These are
SQL, not Cypher, so the driver runs them as plain statements (``execute_sql``). The
graph's name is known only to the driver, so each command builds its statements from it.

AGE has no fulltext or vector index reachable from Cypher: declaring one is refused.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from runic.ogm.exceptions import SchemaError
from runic.ogm.schema.items import SchemaItem

#: The expression AGE evaluates for ``n.<field>`` (and that its planner matches).
_EXPRESSION = (
    "ag_catalog.agtype_access_operator(VARIADIC ARRAY[properties, {literal}::ag_catalog.agtype])"
)
#: How PostgreSQL prints that expression back in ``pg_get_indexdef``.
_READ_BACK = re.compile(
    r"USING btree \(agtype_access_operator\(VARIADIC ARRAY\[properties, "
    r"'(?P<field>\"[^'\"\\]*\")'::agtype\]\)\)\Z"
)
#: PostgreSQL truncates longer identifiers (NAMEDATALEN - 1 bytes).
_NAME_LIMIT = 63
#: Single-expression indexes on the graph's vertex tables, without a predicate.
_LIST = (
    "SELECT t.relname, i.relname, x.indisunique, pg_catalog.pg_get_indexdef(x.indexrelid) "
    "FROM pg_catalog.pg_index x "
    "JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid "
    "JOIN pg_catalog.pg_class t ON t.oid = x.indrelid "
    "JOIN pg_catalog.pg_namespace s ON s.oid = t.relnamespace "
    "JOIN ag_catalog.ag_label l ON l.relation = t.oid AND l.kind = 'v' "
    "WHERE s.nspname = %s AND x.indnatts = 1 AND x.indpred IS NULL"
)
_MAKE_LABEL = (
    "SELECT ag_catalog.create_vlabel(%s, %s) WHERE NOT EXISTS ("
    "SELECT 1 FROM ag_catalog.ag_label WHERE name = %s AND graph = "
    "(SELECT graphid FROM ag_catalog.ag_graph WHERE name = %s))"
)

type Statement = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class SqlCommand:
    """Plain SQL for the AGE driver, run in one transaction; the answer is the last
    statement's rows. A command that is not read-only runs under the graph's write lock,
    so it cannot race a writer that is making the label's table."""

    action: Literal["list", "create", "drop"]
    item: SchemaItem | None = None

    @property
    def read_only(self) -> bool:
        return self.action == "list"

    def statements(self, graph: str) -> list[Statement]:
        if self.action == "list":
            return [(_LIST, (graph,))]
        item = self.item
        assert item is not None
        name = _quoted(item.name or index_name(item))
        if self.action == "drop":
            return [(f"DROP INDEX IF EXISTS {_quoted(graph)}.{name}", ())]
        unique = "UNIQUE " if item.kind == "unique" else ""
        literal = "'" + json.dumps(item.field, ensure_ascii=False).replace("'", "''") + "'"
        table = f"{_quoted(graph)}.{_quoted(item.label)}"
        return [
            (_MAKE_LABEL, (graph, item.label, item.label, graph)),
            (
                f"CREATE {unique}INDEX IF NOT EXISTS {name} ON {table} "
                f"({_EXPRESSION.format(literal=literal)})",
                (),
            ),
        ]


LIST = SqlCommand("list")


def existing(rows: list[Any]) -> dict[SchemaItem, str]:
    """The indexes and unique constraints runic can read back (what it would make)."""
    found: dict[SchemaItem, str] = {}
    for label, name, unique, definition in rows:
        match = _READ_BACK.search(definition)
        if match is None:
            continue  # another kind of index (a GIN on all properties, a composite...)
        field = json.loads(match["field"])
        found[SchemaItem("unique" if unique else "index", label, field, name=name)] = "OPERATIONAL"
    return found


def create(item: SchemaItem) -> SqlCommand:
    return SqlCommand("create", item)


def drop(item: SchemaItem) -> SqlCommand:
    return SqlCommand("drop", item)


def check_supported(items: list[SchemaItem]) -> None:
    refused = [str(item) for item in items if item.kind not in ("index", "unique")]
    if refused:
        raise SchemaError(
            f"age cannot make {', '.join(refused)}: it has no fulltext or vector index "
            "reachable from Cypher; it supports range indexes and unique constraints"
        )


def index_name(item: SchemaItem) -> str:
    """``runic_<kind>_<Label>_<field>``, shortened with a digest where PostgreSQL would
    truncate it (so two long names cannot become one)."""
    name = f"runic_{item.kind}_{item.label}_{item.field}"
    if len(name.encode()) <= _NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    prefix = name.encode()[: _NAME_LIMIT - len(digest) - 1].decode(errors="ignore")
    return f"{prefix}_{digest}"


def _quoted(identifier: str) -> str:
    """A PostgreSQL quoted identifier (labels and fields are validated already)."""
    return '"' + identifier.replace('"', '""') + '"'
