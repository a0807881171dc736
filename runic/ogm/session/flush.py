"""Flush planning: pending work becomes one query of batched ``UNWIND`` stages.

Sans-I/O. Stages run in a fixed order: node creates, node updates, edge clears, edge
merges, edge deletes, node deletes. Each is one ``UNWIND`` per model or relationship
shape, split into chunks of at most ``chunk_size`` rows, and the stages are chained with
``WITH count(*) AS _`` so that empty batches do not stop the query. On FalkorDB one
query is applied whole or not at all, which makes a flush atomic.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from runic.ogm.driver.dialect import Dialect
from runic.ogm.identifiers import quote
from runic.ogm.model.entity import Entity
from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.compiler import (
    CompiledQuery,
    arrow,
    label_markers,
    labels_pattern,
    special_fields,
    stored_value,
)

#: Rows per ``UNWIND`` stage; one flush stays one query whatever its size.
CHUNK_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class EdgeShape:
    """Edges that share one ``UNWIND`` stage: same type, endpoint models and edge model."""

    edge_type: str
    start: type[Node]
    end: type[Node]
    undirected: bool = False
    edge: type[Entity] | None = None
    #: An endpoint is created by the same flush, so no such edge exists yet: CREATE is
    #: enough and much cheaper than MERGE.
    fresh: bool = False


class VersionCheck(NamedTuple):
    """An entity the flush writes only if the graph still holds the version it read."""

    key: Any
    read: int
    entity: Node


#: One edge to write: (start key, end key, properties or None), stored forms. A plain
#: tuple: a flush makes one per edge.
type EdgeRow = tuple[Any, Any, dict[str, Any] | None]


@dataclass(slots=True)
class FlushPlan:
    """Rows to write, grouped per model or edge shape; false when there is nothing to send."""

    creates: dict[type[Node], list[dict[str, Any]]] = field(default_factory=dict)
    #: Entities staged with merge(): written by key, created when missing.
    upserts: dict[type[Node], list[dict[str, Any]]] = field(default_factory=dict)
    updates: dict[type[Node], list[tuple[Any, dict[str, Any]]]] = field(default_factory=dict)
    #: Relations assigned without being loaded: their stored edges are removed first.
    clears: dict[RelationAttribute[Any], list[Any]] = field(default_factory=dict)
    merges: dict[EdgeShape, list[EdgeRow]] = field(default_factory=dict)
    unlinks: dict[EdgeShape, list[EdgeRow]] = field(default_factory=dict)
    deletes: dict[type[Node], list[Any]] = field(default_factory=dict)
    #: Keys of created nodes per root model: the flush fails if any is stored already.
    new_keys: dict[type[Node], list[Any]] = field(default_factory=dict)
    #: Versioned entities updated or deleted: the flush fails if any version moved on.
    versions: dict[type[Node], list[VersionCheck]] = field(default_factory=dict)
    #: Deletes of versioned entities, each done only if the version is still the one read.
    versioned_deletes: dict[type[Node], list[VersionCheck]] = field(default_factory=dict)
    #: How many entities planning looked at (changed, new and deleted ones): what a flush
    #: costs, whatever the session holds.
    examined: int = 0

    @property
    def guarded(self) -> bool:
        """Whether the flush checks keys or versions (and so may abort on a conflict)."""
        return bool(self.new_keys or self.versions)

    def __bool__(self) -> bool:
        return any(
            (
                self.creates,
                self.upserts,
                self.updates,
                self.clears,
                self.merges,
                self.unlinks,
                self.deletes,
                self.versioned_deletes,
            )
        )


def root_model(model: type[Node]) -> type[Node]:
    """The class whose label and key identify ``model``'s nodes (its root Node class)."""
    root = model.__runic__.root
    assert root is not None and issubclass(root, Node)
    return root


def _node_by_key(alias: str, model: type[Node], source: str) -> str:
    root = root_model(model)
    return f"({alias}{labels_pattern(root)} {{{quote(root.__runic__.key_field.name)}: {source}}})"


def _edge_pattern(shape: EdgeShape, alias: str) -> str:
    arrow = "-" if shape.undirected else "->"
    return (
        f"{_node_by_key('a', shape.start, 'r.a')}-[{alias}:{quote(shape.edge_type)}]{arrow}"
        f"{_node_by_key('b', shape.end, 'r.b')}"
    )


def _chunks[T](rows: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class _Stages:
    def __init__(self, dialect: Dialect, chunk_size: int) -> None:
        self.dialect = dialect
        self.chunk_size = chunk_size
        self.lines: list[str] = []
        self.params: dict[str, Any] = {}
        self.ends_with_check = False

    def special(self, model: type[Entity]) -> dict[str, str]:
        """Fields stored through a constructor (vectors, points), set one by one.

        A backend without map expressions in ``SET`` (AGE) stores them as plain values,
        vectors as lists and points as ``{latitude, longitude}`` maps.
        """
        return special_fields(model) if self.dialect.map_set else {}

    def parameter(self) -> str:
        return f"b{len(self.params)}"

    def add(self, template: str, payload: list[Any], *, checked: bool = False) -> None:
        name = self.parameter()
        self.params[name] = payload
        self.lines.append(template.replace("$rows", "$" + name))
        #: The last stage is a checked one (see ``_checked``), which ends with WITH.
        self.ends_with_check = checked

    def create(
        self, model: type[Node], rows: list[dict[str, Any]], *, upsert: bool = False
    ) -> tuple[str, list[dict[str, Any]]]:
        """A node per row: the rows are the property map (None sets nothing).

        Vectors and points cannot sit in a property map, so a model that has them sends
        ``{"props": ..., "s0": ...}`` rows and sets those through the dialect. An upsert
        finds the node by key (creating it when missing) and replaces its properties. On a
        one-label backend the extra labels travel in the rows as ``_is_<Label>`` markers.
        """
        dialect = self.dialect
        markers = label_markers(model) if dialect.single_label else {}
        if markers:
            rows = [{**row, **markers} for row in rows]
        special = self.special(model)
        if upsert:
            source = "r.props." if special else "r."
            key = quote(model.__runic__.key_field.name)
            found = _node_by_key("n", model, source + key)
            extra = labels_pattern(model).removeprefix(labels_pattern(root_model(model)))
            if dialect.single_label:
                extra = ""
            create = f"UNWIND $rows AS r MERGE {found} SET " + (f"n{extra}, " if extra else "")
        else:
            labels = labels_pattern(root_model(model) if markers else model, dialect)
            create = f"UNWIND $rows AS r CREATE (n{labels}) SET "
        if not special:
            return create + "n = r", rows
        payload = []
        for row in rows:
            item: dict[str, Any] = {"props": {k: v for k, v in row.items() if k not in special}}
            for position, name in enumerate(special):
                item[f"s{position}"] = row.get(name)
            payload.append(item)
        sets = ["n = r.props"] + [
            f"n.{quote(name)} = {stored_value(self.dialect, storage, f'r.s{position}')}"
            for position, (name, storage) in enumerate(special.items())
        ]
        return create + ", ".join(sets), payload

    def property_sets(
        self, model: type[Entity], changed: dict[str, Any], item: dict[str, Any]
    ) -> tuple[str, ...]:
        """Fill ``item`` with the changed values; return the special fields it sets."""
        special = self.special(model)
        specials = tuple(name for name in special if name in changed)
        item["changes"] = {k: v for k, v in changed.items() if k not in special}
        for position, name in enumerate(specials):
            item[f"s{position}"] = changed[name]
        return specials

    def shape(self, specials: tuple[str, ...], item: dict[str, Any]) -> tuple[Any, ...]:
        """Rows that share a stage: same special fields (and, without ``+=``, same keys)."""
        if self.dialect.map_set:
            return specials
        return (specials, tuple(sorted(item["changes"])))

    def set_clause(
        self, alias: str, model: type[Entity], specials: tuple[str, ...], shape: tuple[Any, ...]
    ) -> str:
        """``+=`` for plain fields (None removes), the dialect's constructor for the rest.

        A backend without ``SET n += <map>`` sets the stage's fields one by one.
        """
        special = self.special(model)
        if self.dialect.map_set:
            plain = [f"{alias} += r.changes"]
        else:
            plain = [f"{alias}.{quote(name)} = r.changes.{quote(name)}" for name in shape[1]]
        sets = plain + [
            f"{alias}.{quote(name)} = {stored_value(self.dialect, special[name], f'r.s{position}')}"
            for position, name in enumerate(specials)
        ]
        return ", ".join(sets)


#: Fails the query (and so the whole flush) unless ``ok`` holds: division by zero is a
#: runtime error on every backend, and a runtime error undoes the query.
def _abort_unless(ok: str) -> str:
    return f"WHERE 1 / CASE WHEN {ok} THEN 1 ELSE 0 END = 1"


def _checked(stage: str, dialect: Dialect, counted: str = "n") -> str:
    """``stage`` (an UNWIND over ``$rows``) failing unless it matched every row.

    The version check sits in the MATCH of the write itself, a compare-and-set: a check
    in a separate read could pass on a version that a concurrent transaction then moves
    on before this one writes (seen on ArcadeDB).
    """
    checked = f"{stage} WITH count({counted}) AS done {_abort_unless('done = size($rows)')}"
    return checked + _CHECKED_END if dialect.separate_stages else checked


#: Ends a checked stage that ends a query (a query cannot end with WITH).
_CHECKED_END = " RETURN done"


def key_guards(plan: FlushPlan, dialect: Dialect, chunk_size: int) -> list[tuple[str, list[Any]]]:
    """Checks run before any write of the flush: no key it creates is stored yet.

    Where each stage is a statement of its own (AGE), a guard returns its count, so the
    database must evaluate it (a later join with nothing to match could skip it).
    """
    end = " RETURN conflicts" if dialect.separate_stages else ""
    guards: list[tuple[str, list[Any]]] = []
    for model, keys in plan.new_keys.items():
        key = quote(model.__runic__.key_field.name)
        template = (
            f"OPTIONAL MATCH (n{labels_pattern(model)}) WHERE n.{key} IN $rows "
            f"WITH count(n) AS conflicts {_abort_unless('conflicts = 0')}{end}"
        )
        guards += [(template, list(chunk)) for chunk in _chunks(keys, chunk_size)]
    return guards


def compile_flush(
    plan: FlushPlan, dialect: Dialect, *, chunk_size: int = CHUNK_SIZE
) -> CompiledQuery:
    stages = _Stages(dialect, chunk_size)
    for template, payload in key_guards(plan, dialect, chunk_size):
        stages.add(template, payload)

    for model, rows in plan.creates.items():
        template, payload = stages.create(model, rows)
        for chunk in _chunks(payload, chunk_size):
            stages.add(template, list(chunk))

    for model, rows in plan.upserts.items():
        template, payload = stages.create(model, rows, upsert=True)
        for chunk in _chunks(payload, chunk_size):
            stages.add(template, list(chunk))

    for model, changes in plan.updates.items():
        # Rows that change the same special fields share a stage, so its SET list is fixed.
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        if dialect.map_set and not stages.special(model):
            # The common case, one stage: the planner's change maps are the rows' maps.
            groups[((), ())] = [{"key": key, "changes": changed} for key, changed in changes]
        for key, changed in changes if not groups else ():
            item: dict[str, Any] = {"key": key}
            specials = stages.property_sets(model, changed, item)
            groups.setdefault((specials, stages.shape(specials, item)), []).append(item)
        version = model.__runic__.version
        for (specials, shape), payload in groups.items():
            match = f"MATCH {_node_by_key('n', model, 'r.key')}"
            sets = stages.set_clause("n", model, specials, shape)
            stage = f"UNWIND $rows AS r {match} SET {sets}"
            if version is not None:
                # Every row of a versioned model carries its new version, one above the
                # version this session read.
                was = f"r.changes.{quote(version)} - 1"
                stage = _checked(
                    f"UNWIND $rows AS r {match} WHERE n.{quote(version)} = {was} SET {sets}",
                    dialect,
                )
            for chunk in _chunks(payload, chunk_size):
                stages.add(stage, list(chunk), checked=version is not None)

    for relation, keys in plan.clears.items():
        edge = arrow(relation.direction, f"[e:{quote(relation.type)}]")
        pattern = (
            f"{_node_by_key('a', relation.model, 'r')}{edge}"
            f"(b{labels_pattern(relation.target, dialect)})"
        )
        for chunk in _chunks(keys, chunk_size):
            stages.add(f"UNWIND $rows AS r MATCH {pattern} DELETE e", list(chunk))

    for shape, edge_rows in plan.merges.items():
        start = _node_by_key("a", shape.start, "r.a")
        end = _node_by_key("b", shape.end, "r.b")
        write = "CREATE" if shape.fresh else "MERGE"
        # Edge variables are named per stage: AGE keeps them in scope past ``WITH``.
        head = f"UNWIND $rows AS r MATCH {start} MATCH {end} {write} (a)-[ALIAS:"
        head += f"{quote(shape.edge_type)}]->(b)"
        if shape.edge is None or not any(row[2] for row in edge_rows):
            payload = [{"a": start, "b": end} for start, end, _ in edge_rows]
            for chunk in _chunks(payload, chunk_size):
                stages.add(head.replace("[ALIAS:", "[:"), list(chunk))
            continue
        groups_e: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for row in edge_rows:
            item = {"a": row[0], "b": row[1]}
            specials = stages.property_sets(shape.edge, row[2] or {}, item)
            groups_e.setdefault((specials, stages.shape(specials, item)), []).append(item)
        for (specials, edge_shape), payload in groups_e.items():
            for chunk in _chunks(payload, chunk_size):
                alias = f"e{len(stages.lines)}"
                sets = stages.set_clause(alias, shape.edge, specials, edge_shape)
                stages.add(f"{head.replace('[ALIAS:', f'[{alias}:')} SET {sets}", list(chunk))

    for shape, edge_rows in plan.unlinks.items():
        payload = [{"a": start, "b": end} for start, end, _ in edge_rows]
        for chunk in _chunks(payload, chunk_size):
            alias = f"e{len(stages.lines)}"
            pattern = _edge_pattern(shape, alias)
            stages.add(f"UNWIND $rows AS r MATCH {pattern} DELETE {alias}", list(chunk))

    for model, keys in plan.deletes.items():
        match = f"MATCH {_node_by_key('n', model, 'r')}"
        for chunk in _chunks(keys, chunk_size):
            stages.add(f"UNWIND $rows AS r {match} DETACH DELETE n", list(chunk))

    for model, checks in plan.versioned_deletes.items():
        version = quote(model.__runic__.version or "")
        match = f"MATCH {_node_by_key('n', model, 'r.k')} WHERE n.{version} = r.v"
        stage = _checked(f"UNWIND $rows AS r {match} DETACH DELETE n", dialect, "*")
        rows = [{"k": check.key, "v": check.read} for check in checks]
        for chunk in _chunks(rows, chunk_size):
            stages.add(stage, list(chunk), checked=True)

    if stages.ends_with_check and not dialect.separate_stages:
        stages.lines[-1] += _CHECKED_END
    return CompiledQuery("\nWITH count(*) AS _\n".join(stages.lines), stages.params, False)


#: The property get_or_create's ON CREATE sets and the same query removes; never stored.
#: Field names cannot start with ``_``, so no model declares it.
CREATED_MARKER = "_runic_created"


def compile_get_or_create(
    model: type[Node], lookup: dict[str, Any], row: dict[str, Any], dialect: Dialect
) -> CompiledQuery:
    """One atomic query: the node matching ``lookup``, created from ``row`` when none does.

    ``created`` comes from MERGE's own ON CREATE, which marks the node it makes and the
    same query removes the mark. A separate ``OPTIONAL MATCH`` before the MERGE is not
    enough: concurrent queries read the graph before any of them commits, so several
    callers saw no node while only one MERGE created it.
    """
    labels = labels_pattern(model)
    params: dict[str, Any] = {}
    pairs = []
    for position, (name, value) in enumerate(lookup.items()):
        params[f"l{position}"] = value
        pairs.append(f"{quote(name)}: $l{position}")
    pattern = "{" + ", ".join(pairs) + "}"
    special = special_fields(model)
    params["props"] = {k: v for k, v in row.items() if k not in special and v is not None}
    sets = ["n = $props"]
    for position, (name, storage) in enumerate(special.items()):
        params[f"s{position}"] = row.get(name)
        sets.append(f"n.{quote(name)} = {stored_value(dialect, storage, f'$s{position}')}")
    marker = f"n.{quote(CREATED_MARKER)}"
    cypher = (
        f"MERGE (n{labels} {pattern}) ON CREATE SET {', '.join(sets)}, {marker} = true "
        f"WITH n, {marker} IS NOT NULL AS created SET {marker} = NULL "
        "RETURN n, created LIMIT 1"
    )
    return CompiledQuery(cypher, params, read_only=False)
