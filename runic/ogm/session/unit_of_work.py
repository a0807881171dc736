"""The unit of work: identity map, pending sets and per-field change tracking.

Sans-I/O: nothing here awaits or calls a driver. ``Session`` (and ``AsyncSession``)
ask it for the query to send and hand the results back, so both share every rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runic.ogm.driver.records import GraphNode
from runic.ogm.exceptions import DetachedEntityError, RunicError
from runic.ogm.model.entity import Entity
from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.model.storage import from_storage, to_storage
from runic.ogm.session.decoding import build_entity, node_class
from runic.ogm.session.flush import FlushPlan

IdentityKey = tuple[type[Entity], Any]
#: Loads an unloaded relation of a persistent entity (the sync session does I/O here).
RelationLoader = Callable[[Node, RelationAttribute], Any]


def identity_key(entity: Node) -> IdentityKey:
    info = type(entity).__runic__
    assert info.root is not None and info.primary_key is not None
    return info.root, entity.__dict__["_runic_values"][info.primary_key]


class SessionState:
    """The link from an entity to its session: serves unloaded state or refuses."""

    __slots__ = ("unit",)

    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit

    def load_relation(self, entity: Entity, relation: RelationAttribute) -> Any:
        unit = self.unit
        if unit.closed:
            raise DetachedEntityError(
                f"{type(entity).__name__}.{relation.name} was not loaded and its session "
                "is closed; load it with fetch= before closing"
            )
        assert isinstance(entity, Node)
        if identity_key(entity) in unit.new:
            # Not stored yet, so it has no stored relations: start empty, no query.
            value: Any = [] if relation.to_many else None
        else:
            value = unit.relation_loader(entity, relation)
        entity.__dict__["_runic_relations"][relation.name] = value
        return value

    def load_field(self, entity: Entity, field: FieldAttribute) -> Any:
        raise DetachedEntityError(f"{type(entity).__name__}.{field.name} is not loaded")


class UnitOfWork:
    def __init__(self, relation_loader: RelationLoader) -> None:
        self.relation_loader = relation_loader
        self.identity: dict[IdentityKey, Node] = {}
        self.snapshots: dict[IdentityKey, dict[str, Any]] = {}
        self.new: dict[IdentityKey, Node] = {}
        self.deleted: dict[IdentityKey, Node] = {}
        # Stored rows of the last plan: they become the snapshots once it is applied, so
        # changes made while a flush is in flight stay pending.
        self.planned: dict[IdentityKey, dict[str, Any]] = {}
        self.closed = False
        self.state = SessionState(self)

    # -- staging -----------------------------------------------------------------

    def add(self, entity: Node) -> None:
        self._check_open("add")
        if not isinstance(entity, Node):
            raise TypeError(f"add() takes a Node entity, got {type(entity).__name__}")
        key = identity_key(entity)
        present = self.identity.get(key)
        if present is entity:
            self.deleted.pop(key, None)
            return
        if present is not None:
            raise RunicError(
                f"another {type(present).__name__} with key {key[1]!r} is already in this session"
            )
        self.identity[key] = entity
        self.new[key] = entity
        entity.__dict__["_runic_state"] = self.state

    def delete(self, entity: Node) -> None:
        self._check_open("delete")
        key = identity_key(entity)
        if self.identity.get(key) is not entity:
            raise RunicError(f"{entity!r} is not in this session; add or load it first")
        if key in self.new:
            # Created and deleted before any flush: nothing needs to be sent.
            del self.new[key]
            del self.identity[key]
            entity.__dict__["_runic_state"] = None
        else:
            self.deleted[key] = entity

    def expunge(self, entity: Node) -> None:
        key = identity_key(entity)
        if self.identity.get(key) is entity:
            for table in (self.identity, self.snapshots, self.new, self.deleted):
                table.pop(key, None)
            entity.__dict__["_runic_state"] = None

    # -- loading -----------------------------------------------------------------

    def cached(self, model: type[Node], key_value: Any) -> Node | None:
        """The entity for ``(model, key)`` if this session holds it (and it is not deleted)."""
        info = model.__runic__
        key = (info.root, info.key_field.validate(key_value))
        if key in self.deleted:
            return None
        entity = self.identity.get(key)  # type: ignore[arg-type]
        return entity if isinstance(entity, model) else None

    def merge(self, node: GraphNode) -> Node:
        """The session's entity for a loaded node; an entity already held wins."""
        cls = node_class(node)
        info = cls.__runic__
        key_field = info.key_field
        stored_key = node.properties.get(key_field.name)
        key_value = key_field.converter.from_db(stored_key) if stored_key is not None else None
        key = (info.root, key_value)
        present = self.identity.get(key)  # type: ignore[arg-type]
        if present is not None:
            return present
        entity = build_entity(cls, node, self.state)
        self.identity[key] = entity  # type: ignore[index]
        self.snapshots[key] = to_storage(entity)  # type: ignore[index]
        return entity

    # -- flushing ----------------------------------------------------------------

    def plan(self) -> FlushPlan:
        plan = FlushPlan()
        self.planned = {}
        for key, entity in self.new.items():
            stored = self.planned[key] = to_storage(entity)
            plan.creates.setdefault(type(entity), []).append(stored)
        for key, entity in self.identity.items():
            if key in self.new or key in self.deleted:
                continue
            before = self.snapshots.get(key, {})
            now = to_storage(entity)
            changed = {name: value for name, value in now.items() if before.get(name) != value}
            if changed:
                self.planned[key] = now
                plan.updates.setdefault(type(entity), []).append(
                    (self._stored_key(entity), changed)
                )
        for entity in self.deleted.values():
            plan.deletes.setdefault(type(entity), []).append(self._stored_key(entity))
        return plan

    @staticmethod
    def _stored_key(entity: Node) -> Any:
        info = type(entity).__runic__
        field = info.key_field
        return field.converter.to_db(entity.__dict__["_runic_values"][field.name])

    def flushed(self) -> None:
        """The plan was applied: pending work becomes the new persistent state."""
        for key, entity in self.deleted.items():
            self.identity.pop(key, None)
            self.snapshots.pop(key, None)
            entity.__dict__["_runic_state"] = None
        self.deleted.clear()
        self.new.clear()
        self.snapshots.update(self.planned)
        self.planned = {}

    def rollback(self) -> None:
        """Drop pending work; loaded entities return to their last flushed values."""
        for key, entity in self.new.items():
            self.identity.pop(key, None)
            entity.__dict__["_runic_state"] = None
        self.new.clear()
        self.deleted.clear()
        self.planned = {}
        for key, entity in self.identity.items():
            snapshot = self.snapshots.get(key)
            if snapshot is not None:
                entity.__dict__["_runic_values"] = from_storage(type(entity).__runic__, snapshot)
                entity.__dict__["_runic_relations"] = {}

    def close(self) -> None:
        self.closed = True
        self.identity.clear()
        self.snapshots.clear()
        self.new.clear()
        self.deleted.clear()

    def _check_open(self, method: str) -> None:
        if self.closed:
            raise RunicError(f"{method}() on a closed session")
