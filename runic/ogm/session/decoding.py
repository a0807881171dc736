"""Decoding result rows into entities and dicts (sans-I/O, shared by every session)."""

from __future__ import annotations

from typing import Any

from runic.ogm.driver.records import GraphNode, QueryResult
from runic.ogm.exceptions import RunicError
from runic.ogm.model.entity import EntityState
from runic.ogm.model.node import Node
from runic.ogm.model.registry import registry
from runic.ogm.model.storage import from_storage
from runic.ogm.query.compiler import Column


def build_entity(node: GraphNode, state: EntityState | None) -> Node:
    """A new instance of the most specific class for ``node``'s labels."""
    cls = registry.class_for_labels(frozenset(node.labels))
    if cls is None:
        raise RunicError(f"no Node class is declared for the labels {sorted(node.labels)}")
    entity = cls.__new__(cls)
    entity.__dict__.update(
        _runic_values=from_storage(cls.__runic__, node.properties),
        _runic_relations={},
        _runic_state=state,
    )
    return entity


def decode_value(column: Column, value: Any, state: EntityState | None) -> Any:
    if value is None:
        return None
    if column.many:
        return [decode_value(_single(column), item, state) for item in value]
    if column.kind == "node":
        return build_entity(value, state)
    if column.converter is not None:
        return column.converter.from_db(value)
    return value


def _single(column: Column) -> Column:
    return Column(column.name, column.kind, column.converter)


def decode_entities(result: QueryResult, state: EntityState | None) -> list[Node]:
    return [build_entity(row[0], state) for row in result.rows]


def decode_rows(
    result: QueryResult, columns: tuple[Column, ...], state: EntityState | None
) -> list[dict[str, Any]]:
    names = [column.name for column in columns]
    return [
        {
            name: decode_value(column, value, state)
            for name, column, value in zip(names, columns, row, strict=True)
        }
        for row in result.rows
    ]
