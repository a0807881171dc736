"""Identity keys and pending edge operations: how the unit of work names what it holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from runic.ogm.model.node import Node
from runic.ogm.model.relations import Direction, RelationAttribute

#: (root model's ``key_root``, primary key value): one per stored node.
IdentityKey = tuple[int, Any]
#: (edge type, start, end, undirected): one pending edge operation per pair.
PairKey = tuple[str, IdentityKey, IdentityKey, bool]


def identity_key(entity: Node) -> IdentityKey:
    info = type(entity).__runic__
    assert info.primary_key is not None
    return info.key_root, entity._runic_values[info.primary_key]


def relation_targets(value: Any) -> list[Node]:
    """A relation's value as a list: a to-many list, or a to-one entity or None."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


@dataclass(slots=True)
class EdgeOp:
    """A pending ``relate`` (merge) or ``unrelate`` (unlink), normalised to start -> end."""

    kind: Literal["merge", "unlink"]
    relation: RelationAttribute[Any]
    start: Node
    end: Node
    properties: dict[str, Any] | None
    start_key: IdentityKey
    end_key: IdentityKey

    @property
    def undirected(self) -> bool:
        return self.kind == "unlink" and self.relation.direction is Direction.BOTH

    @property
    def pair(self) -> PairKey:
        return (self.relation.type, self.start_key, self.end_key, self.undirected)


def edge_op(
    kind: Literal["merge", "unlink"],
    relation: RelationAttribute[Any],
    source: Node,
    target: Node,
    properties: dict[str, Any] | None = None,
    keys: tuple[IdentityKey, IdentityKey] | None = None,
) -> EdgeOp:
    source_key, target_key = keys or (identity_key(source), identity_key(target))
    if relation.direction is Direction.INCOMING:
        return EdgeOp(kind, relation, target, source, properties, target_key, source_key)
    return EdgeOp(kind, relation, source, target, properties, source_key, target_key)


def stored_key(entity: Node) -> Any:
    """The primary key of ``entity`` as the graph stores it."""
    field = type(entity).__runic__.key_field
    return field.converter.to_db(entity._runic_values[field.name])
