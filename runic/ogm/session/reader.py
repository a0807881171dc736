"""A stateless reader that runs statements and hydrates detached entities.

It lets the builder be used end to end before the unit of work exists; the Session
replaces it.
"""

from __future__ import annotations

from typing import Any

from runic.ogm.driver.base import GraphDriver
from runic.ogm.driver.records import GraphNode
from runic.ogm.exceptions import DetachedEntityError
from runic.ogm.model.entity import Entity
from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.compiler import compile_count, compile_select
from runic.ogm.query.statement import Select
from runic.ogm.session.decoding import build_entity, decode_entities, decode_rows, node_class


class _Detached:
    """Entities read without a session: unloaded state cannot be fetched."""

    def load_relation(self, entity: Entity, relation: RelationAttribute) -> Any:
        raise DetachedEntityError(
            f"{type(entity).__name__}.{relation.name} was not loaded and the entity "
            "has no open session"
        )

    def load_field(self, entity: Entity, field: FieldAttribute) -> Any:
        raise DetachedEntityError(
            f"{type(entity).__name__}.{field.name} was not loaded and the entity "
            "has no open session"
        )


DETACHED = _Detached()


def _detached_node(node: GraphNode) -> Node:
    return build_entity(node_class(node), node, DETACHED)


def read_entities(driver: GraphDriver, statement: Select[Any]) -> list[Any]:
    compiled = compile_select(statement, driver.dialect)
    result = driver.execute(compiled.cypher, compiled.params, read_only=True)
    if statement.aggregates:
        raise TypeError("an aggregate statement returns rows: use read_rows()")
    return decode_entities(result, _detached_node)


def read_rows(driver: GraphDriver, statement: Select[Any]) -> list[dict[str, Any]]:
    compiled = compile_select(statement, driver.dialect)
    result = driver.execute(compiled.cypher, compiled.params, read_only=True)
    return decode_rows(result, compiled.columns, _detached_node)


def read_count(driver: GraphDriver, statement: Select[Any]) -> int:
    compiled = compile_count(statement, driver.dialect)
    result = driver.execute(compiled.cypher, compiled.params, read_only=True)
    return int(result.rows[0][0])
