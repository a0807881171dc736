"""Decoding result rows into entities and dicts (sans-I/O, shared by every session).

Nodes go through a ``NodeFactory``: the unit of work passes one that consults its
identity map, so every path that loads a node yields the same object.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runic.ogm.driver.records import GraphEdge, GraphNode, QueryResult
from runic.ogm.exceptions import RunicError
from runic.ogm.model.edge import Edge
from runic.ogm.model.entity import EntityState
from runic.ogm.model.node import Node
from runic.ogm.model.registry import registry
from runic.ogm.model.storage import from_storage
from runic.ogm.model.tracking import track_values
from runic.ogm.query.compiler import Column

NodeFactory = Callable[[GraphNode], Node]


def node_class(node: GraphNode) -> type[Node]:
    """The most specific declared class for ``node``'s labels."""
    cls = registry.class_for_labels(node.labels)
    if cls is None:
        raise RunicError(f"no Node class is declared for the labels {sorted(node.labels)}")
    return cls


def build_entity(cls: type[Node], node: GraphNode, state: EntityState | None) -> Node:
    entity = cls.__new__(cls)
    info = cls.__runic__
    values = entity._runic_values = from_storage(info, node.properties)
    if info.mutable:
        track_values(entity, values, info.mutable)
    entity._runic_relations = {}
    entity._runic_state = state
    return entity


def decode_value(column: Column, value: Any, nodes: NodeFactory) -> Any:
    if value is None:
        return None
    if column.many:
        single = Column(column.name, column.kind, column.converter)
        return [decode_value(single, item, nodes) for item in value]
    if column.kind == "node":
        return nodes(value)
    if column.converter is not None:
        return column.converter.from_db(value)
    return value


def decode_rows(
    result: QueryResult, columns: tuple[Column, ...], nodes: NodeFactory
) -> list[dict[str, Any]]:
    names = [column.name for column in columns]
    return [
        {
            name: decode_value(column, value, nodes)
            for name, column, value in zip(names, columns, row, strict=True)
        }
        for row in result.rows
    ]


def build_edge(edge: GraphEdge) -> Edge | GraphEdge:
    """A detached Edge entity for an edge of a declared type, else the neutral record."""
    model = registry.edge_class(edge.type)
    if model is None:
        return edge
    entity = model.__new__(model)
    entity._runic_values = from_storage(model.__runic__, edge.properties)
    entity._runic_relations = {}
    entity._runic_state = None
    return entity
