"""The unit of work: identity map, pending sets and per-field and per-relation tracking.

Sans-I/O: nothing here awaits or calls a driver. The session core asks it for the work
to send and tells it what came back, so ``Session`` and ``AsyncSession`` share every rule.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, Literal, cast

from runic.ogm.allocation import STAGING_PAUSE, StagingPause
from runic.ogm.driver.records import GraphNode
from runic.ogm.exceptions import DetachedEntityError, RunicError
from runic.ogm.model.entity import Entity
from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.node import Node
from runic.ogm.model.registry import registry
from runic.ogm.model.relations import Direction, RelationAttribute
from runic.ogm.model.storage import (
    from_storage,
    set_values,
    snapshot,
)
from runic.ogm.model.tracking import TrackedList, retrack
from runic.ogm.session.decoding import build_entity, node_class
from runic.ogm.session.detached import DETACHED, is_detached
from runic.ogm.session.identity import (
    EdgeOp,
    IdentityKey,
    PairKey,
    identity_key,
)
from runic.ogm.session.planning import FlushPlanning

#: Serves an unloaded relation, or an expired field, of a stored entity: the sync session
#: loads it with one query, the async session refuses with ``LazyLoadError``.
RelationLoader = Callable[[Node, "RelationAttribute[Any] | FieldAttribute[Any]"], Any]


class SessionState:
    """The link from an entity to its session: serves unloaded state or refuses."""

    __slots__ = ("changed", "unit")

    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit
        #: ``entity`` is about to change: the unit's own method, called straight from
        #: the field descriptors (a change of a loaded entity runs it once per entity).
        self.changed: Callable[[Entity], None] = cast(Callable[[Entity], None], unit.changed)

    def load_relation(self, entity: Entity, relation: RelationAttribute[Any]) -> Any:
        unit = self.unit
        if unit.closed:
            raise DetachedEntityError(
                f"{type(entity).__name__}.{relation.name} was not loaded and its session "
                "is closed; load it with fetch= before closing"
            )
        assert isinstance(entity, Node)
        key = identity_key(entity)
        if key in unit.new and key not in unit.upserting:
            # Not stored yet, so it has no stored relations: start empty, no query.
            return unit.loaded_relation(entity, relation, [])
        return unit.relation_loader(entity, relation)

    def load_field(self, entity: Entity, field: FieldAttribute[Any]) -> Any:
        unit = self.unit
        if unit.closed:
            raise DetachedEntityError(
                f"{type(entity).__name__}.{field.name} was expired and its session is closed"
            )
        assert isinstance(entity, Node)
        return unit.relation_loader(entity, field)

    @property
    def detached(self) -> bool:
        """Its entities are free to join another session once this one is closed."""
        return self.unit.closed


class UnitOfWork(FlushPlanning):
    def __init__(self, relation_loader: RelationLoader, owner: object | None = None) -> None:
        self.relation_loader = relation_loader
        #: What a collector paused for staging waits for at most (see StagingPause): the
        #: session core, which nothing but its session holds, so it goes when that goes.
        self._owner = weakref.ref(owner if owner is not None else self)
        self.identity: dict[IdentityKey, Node] = {}
        #: Held entities changed since the last flush, by the key they had then: all that
        #: a flush examines besides ``new``, ``deleted`` and ``links``.
        self.dirty: dict[IdentityKey, Node] = {}
        #: Field values as last stored (Python values) of the stored entities in ``dirty``,
        #: taken just before their first change: what a flush diffs against. A clean
        #: entity's values are its stored values, so it needs no copy.
        self.snapshots: dict[IdentityKey, dict[str, Any]] = {}
        self.new: dict[IdentityKey, Node] = {}
        #: Keys in ``new`` staged by merge(): written with MERGE, as they may be stored.
        self.upserting: set[IdentityKey] = set()
        #: Deleted keys whose stored version this session never read (merged, then
        #: deleted): deleted without a version check.
        self.unread_versions: set[IdentityKey] = set()
        self.deleted: dict[IdentityKey, Node] = {}
        #: Target keys of every loaded relation, as stored: what relation changes diff against.
        self.relations: dict[tuple[IdentityKey, str], tuple[IdentityKey, ...]] = {}
        #: Explicit relate()/unrelate() calls, the last one per pair.
        self.links: dict[PairKey, EdgeOp] = {}
        # What the last plan sent: applied on success, so changes made while a flush is in
        # flight stay pending.
        self.planned: dict[IdentityKey, dict[str, Any]] = {}
        #: The dirty entities the last plan examined: clean once it is applied, dirty
        #: again if it is not.
        self.planned_dirty: dict[IdentityKey, Node] = {}
        self.planned_relations: dict[tuple[IdentityKey, str], tuple[IdentityKey, ...]] = {}
        self.planned_links: dict[PairKey, EdgeOp] = {}
        #: The version each versioned entity gets when the planned flush succeeds.
        self.planned_versions: dict[IdentityKey, tuple[str, int]] = {}
        #: What the last plan creates (or upserts) and deletes: all that flushed() settles.
        self.planned_new: dict[IdentityKey, Node] = {}
        self.planned_deleted: dict[IdentityKey, Node] = {}
        self.closed = False
        self.state = SessionState(self)
        self.gc_pause = StagingPause()

    # -- staging -----------------------------------------------------------------

    def add(self, entity: Node) -> None:
        self._check_open("add")
        if not isinstance(entity, Node):
            raise TypeError(f"add() takes a Node entity, got {type(entity).__name__}")
        owner = entity._runic_state
        detached = owner is not None and owner is not self.state and is_detached(owner)
        if owner is not None and owner is not self.state and not detached:
            raise RunicError(f"{entity!r} belongs to another session; expunge it there first")
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
        new = self.new
        new[key] = entity
        if detached:
            self.upserting.add(key)  # stored before: written by key, with its values
        entity._runic_state = self.state
        if type(entity).__runic__.mutable or entity._runic_relations:
            retrack(entity)  # a copy or an unpickled entity holds plain lists
        if len(new) == STAGING_PAUSE:
            self.gc_pause.start(self._owner() or self)

    def changed(self, entity: Node) -> None:
        """``entity`` is about to change: keep its stored values and examine it next flush."""
        info = type(entity).__runic__
        values = entity._runic_values
        key = (info.key_root, values[info.key_name])  # identity_key(), inlined
        dirty = self.dirty
        if dirty.get(key) is entity or self.identity.get(key) is not entity:
            return
        dirty[key] = entity
        if key not in self.snapshots and key not in self.new:
            self.snapshots[key] = snapshot(info, values) if info.mutable else dict(values)

    def stored_values(self, key: IdentityKey, entity: Node) -> dict[str, Any]:
        """The field values of a stored entity as the graph holds them."""
        stored = self.snapshots.get(key)
        return entity._runic_values if stored is None else stored

    def delete(self, entity: Node) -> None:
        self._check_open("delete")
        key = identity_key(entity)
        if self.identity.get(key) is not entity:
            raise RunicError(f"{entity!r} is not in this session; add or load it first")
        if key in self.upserting:
            # Merged then deleted: the node may be stored, so delete it by key (and
            # whatever its version: this session never read it).
            del self.new[key]
            self.upserting.discard(key)
            self.deleted[key] = entity
            self.unread_versions.add(key)
        elif key in self.new:
            # Created and deleted before any flush: nothing needs to be sent.
            del self.new[key]
            del self.identity[key]
            self.dirty.pop(key, None)
            entity._runic_state = None
        else:
            self.deleted[key] = entity

    def expunge(self, entity: Node) -> None:
        key = identity_key(entity)
        if self.identity.get(key) is entity:
            stored = key not in self.new or key in self.upserting
            for table in (self.identity, self.snapshots, self.new, self.deleted, self.dirty):
                table.pop(key, None)
            self.upserting.discard(key)
            self._forget_relations(key, entity)
            # A new entity has no stored state to miss; a stored one has.
            entity._runic_state = DETACHED if stored else None

    def upsert(self, entity: Node) -> Node:
        """Stage ``entity`` to be written by key whether or not it is stored (MERGE).

        The session's own instance is returned: the one it holds under that key (with
        ``entity``'s values copied onto it), ``entity`` itself if it is free, or a copy if
        another session has it.
        """
        self._check_open("merge")
        if not isinstance(entity, Node):
            raise TypeError(f"merge() takes a Node entity, got {type(entity).__name__}")
        key = identity_key(entity)
        values = entity._runic_values
        held = self.identity.get(key)
        if held is not None:
            if held is not entity:
                self.deleted.pop(key, None)
                self.changed(held)
                set_values(held, snapshot(type(held).__runic__, values))
            return held
        if entity._runic_state is not None and not is_detached(entity._runic_state):
            entity = type(entity)(**snapshot(type(entity).__runic__, values))
        self.identity[key] = entity
        self.new[key] = entity
        self.upserting.add(key)
        entity._runic_state = self.state
        return entity

    def link(
        self,
        kind: Literal["merge", "unlink"],
        source: Node,
        relation: RelationAttribute[Any],
        target: Node,
        properties: dict[str, Any] | None = None,
    ) -> None:
        """Stage ``relate``/``unrelate``; a loaded relation on ``source`` follows along."""
        if self.closed:
            self._check_open("relate" if kind == "merge" else "unrelate")
        if not isinstance(target, relation.target):
            relation.validate([target] if relation.to_many else target)  # raises, naming it
        state, identity = self.state, self.identity
        info = type(source).__runic__  # identity_key(), inlined: relate() runs per edge
        source_key = (info.key_root, source._runic_values[info.key_name])
        info = type(target).__runic__
        target_key = (info.key_root, target._runic_values[info.key_name])
        if (
            source._runic_state is not state
            or target._runic_state is not state
            or identity.get(source_key) is not source
            or identity.get(target_key) is not target
        ):  # a free entity is added first; one of another session is refused
            source_key = self._member_key(kind, source)
            target_key = self._member_key(kind, target)
        direction = relation.declaration.direction
        if direction is Direction.INCOMING:
            start, end, start_key, end_key = target, source, target_key, source_key
            undirected = False
        else:
            start, end, start_key, end_key = source, target, source_key, target_key
            undirected = kind == "unlink" and direction is Direction.BOTH
        pair = (relation.type, start_key, end_key, undirected)
        links = self.links
        op = EdgeOp(kind, relation, start, end, properties, start_key, end_key)
        previous = links.setdefault(pair, op)  # one lookup when the pair is new
        if previous is not op:
            if kind == "merge" and properties is None:
                op.properties = previous.properties  # relating again keeps them
            links[pair] = op
        if len(links) == STAGING_PAUSE:
            self.gc_pause.start(self._owner() or self)
        if source._runic_relations:
            self._follow_link(kind, source, relation, target)

    def _member_key(self, kind: str, entity: Node) -> IdentityKey:
        """The key of an entity held here (a free one is added first), or a refusal."""
        state = entity._runic_state
        if state is None:
            self.add(entity)
            state = entity._runic_state
        info = type(entity).__runic__
        assert info.primary_key is not None
        key = (info.key_root, entity._runic_values[info.primary_key])
        if state is not self.state or self.identity.get(key) is not entity:
            method = "relate" if kind == "merge" else "unrelate"
            raise RunicError(f"{method}(): {entity!r} is not in this session; add or load it here")
        return key

    def _follow_link(
        self, kind: str, source: Node, relation: RelationAttribute[Any], target: Node
    ) -> None:
        loaded = source._runic_relations
        if relation.name not in loaded:
            return
        self.changed(source)  # a rollback must forget the relation as followed here
        snapshot_key = (identity_key(source), relation.name)
        stored = self.relations.get(snapshot_key, ())
        target_key = identity_key(target)
        value = loaded[relation.name]
        if relation.to_many:
            present = any(item is target for item in value)
            if kind == "merge" and not present:
                list.append(value, target)
                self.relations[snapshot_key] = (*stored, target_key)
            elif kind == "unlink" and present:
                list.__setitem__(value, slice(None), [item for item in value if item is not target])
                self.relations[snapshot_key] = tuple(k for k in stored if k != target_key)
        elif kind == "merge" and value is None:
            loaded[relation.name] = target
            self.relations[snapshot_key] = (target_key,)
        elif kind == "merge" and value is not target:
            # The stored edge to the old target stays: re-read instead of guessing.
            del loaded[relation.name]
            self.relations.pop(snapshot_key, None)
        elif kind == "unlink" and value is target:
            loaded[relation.name] = None
            self.relations[snapshot_key] = ()

    # -- loading -----------------------------------------------------------------

    def cached(self, model: type[Node], key_value: Any) -> Node | None:
        """The entity for ``(model, key)`` if this session holds it (and it is not deleted);
        ``key_value`` is validated already."""
        key = (model.__runic__.key_root, key_value)
        if key in self.deleted:
            return None
        entity = self.identity.get(key)
        return entity if isinstance(entity, model) else None

    def merge(self, node: GraphNode) -> Node:
        """The session's entity for a loaded node; an entity already held wins."""
        cls = registry.class_for_labels(node.labels) or node_class(node)  # (which raises)
        info = cls.__runic__
        key_field = info.key_field
        key_value = node.properties.get(key_field.name)
        if key_value is not None and key_field.plain is None:
            key_value = key_field.converter.from_db(key_value)
        key = (info.key_root, key_value)
        present = self.identity.get(key)
        if present is not None:
            return present
        entity = build_entity(cls, node, self.state)
        self.identity[key] = entity
        return entity

    def loaded_relation(
        self, entity: Node, relation: RelationAttribute[Any], targets: list[Node]
    ) -> Any:
        """Set a relation read from the graph, unless the entity already holds it."""
        loaded = entity._runic_relations
        if relation.name in loaded:
            return loaded[relation.name]
        value: Any = (
            TrackedList(targets, entity) if relation.to_many else (targets[0] if targets else None)
        )
        loaded[relation.name] = value
        self.relations[(identity_key(entity), relation.name)] = tuple(
            identity_key(target) for target in targets[: None if relation.to_many else 1]
        )
        return value

    def bulk_updated(self, model: type[Node], names: list[str], rows: list[list[Any]]) -> None:
        """A bulk update stored these values: held entities take them as stored."""
        info = model.__runic__
        root = info.key_root
        key_field = info.key_field
        converters = [info.fields[name].converter for name in names]
        for row in rows:
            key = (root, key_field.converter.from_db(row[0]))
            entity = self.identity.get(key)
            if entity is None or not isinstance(entity, model):
                continue
            stored = self.snapshots.get(key)
            values = entity._runic_values
            for name, converter, raw in zip(names, converters, row[1:], strict=True):
                value = None if raw is None else converter.from_db(raw)
                if stored is not None:  # changed here too: it diffs against the new value
                    stored[name] = list(value) if isinstance(value, list) else value
                values[name] = TrackedList(value, entity) if isinstance(value, list) else value

    def bulk_deleted(self, model: type[Node], keys: list[Any]) -> None:
        """A bulk delete removed these nodes: held entities leave the session."""
        info = model.__runic__
        for stored_key in keys:
            key = (info.key_root, info.key_field.converter.from_db(stored_key))
            entity = self.identity.get(key)
            if entity is not None:
                self.expunge(entity)

    def expire(self, entity: Node, names: tuple[str, ...]) -> None:
        """Forget loaded fields and relations of a stored entity, so that the next read
        comes from the graph; unflushed changes to them are dropped. No names: every
        field but the key, and every relation."""
        key = self.persistent(entity, "expire()")
        info = type(entity).__runic__
        if not names:
            names = (*(n for n in info.fields if n != info.primary_key), *info.relations)
        for name in names:
            if name == info.primary_key:
                raise RunicError(f"expire(): {info.name}.{name} is the key and cannot expire")
            if name not in info.fields and name not in info.relations:
                known = ", ".join([*info.fields, *info.relations])
                raise RunicError(
                    f"expire(): {info.name} has no field or relation {name!r} ({known})"
                )
        values, relations = entity._runic_values, entity._runic_relations
        for name in names:
            if name in info.fields:
                values.pop(name, None)  # the snapshot, if any, keeps what was stored
            else:
                relations.pop(name, None)
                self.relations.pop((key, name), None)

    def unexpired(self, entity: Node, node: GraphNode) -> None:
        """Fill the expired fields of ``entity`` from the node the graph holds."""
        info = type(entity).__runic__
        stored = from_storage(info, node.properties)
        values = entity._runic_values
        before = self.snapshots.get(identity_key(entity))
        for name in info.fields:
            if name not in values:
                values[name] = stored.get(name)
                if before is not None:
                    before[name] = stored.get(name)
        if info.mutable:
            retrack(entity)

    def expunge_all(self) -> None:
        """Let go of every entity (stored ones become detached) and of all pending work."""
        for entity in list(self.identity.values()):
            self.expunge(entity)
        self.links.clear()

    def refreshed(self, entity: Node, node: GraphNode) -> None:
        """Overwrite ``entity`` with what the graph holds; its relations load afresh."""
        key = identity_key(entity)
        info = type(entity).__runic__
        set_values(entity, from_storage(info, node.properties))
        self.snapshots.pop(key, None)
        self.dirty.pop(key, None)
        self._forget_relations(key, entity)
        entity._runic_relations = {}

    def persistent(self, entity: Node, method: str) -> IdentityKey:
        """The key of a stored entity held here, or a clear refusal."""
        self._check_open(method)
        self.check_member(entity, method)
        key = identity_key(entity)
        if key in self.new:
            raise RunicError(f"{method}: {entity!r} is not stored yet; flush it first")
        return key

    # -- flushing ----------------------------------------------------------------

    @property
    def pending(self) -> bool:
        """Whether anything may need sending (O(1): what a query's autoflush asks first)."""
        return bool(self.new or self.dirty or self.deleted or self.links or self.planned_dirty)

    def check_member(self, entity: Node, where: str) -> None:
        if entity._runic_state is not self.state or (
            self.identity.get(identity_key(entity)) is not entity
        ):
            raise RunicError(f"{where}: {entity!r} is not in this session; add or load it here")

    def flushed(self) -> None:
        """The plan was applied: what it sent becomes the new persistent state.

        Only what the plan contained is settled: work staged while the flush was in flight
        (by another task, on an AsyncSession) stays pending for the next flush.
        """
        new, deleted, identity = self.new, self.deleted, self.identity
        for key, entity in self.planned_new.items():
            if new.get(key) is entity:
                del new[key]
                self.upserting.discard(key)
        dirty, snapshots = self.dirty, self.snapshots
        for key, entity in self.planned_deleted.items():
            if deleted.get(key) is entity:
                del deleted[key]
                self.unread_versions.discard(key)
                identity.pop(key, None)
                snapshots.pop(key, None)
                dirty.pop(key, None)
                self._forget_relations(key, entity)
                entity._runic_state = None
            elif identity.get(key) is entity:
                # Added or merged again during the flight: the node is gone now, so the
                # next flush writes it again, by key.
                new[key] = entity
                self.upserting.add(key)
                snapshots.pop(key, None)
                self._forget_relations(key, entity)
        for key, (name, version) in self.planned_versions.items():
            if key in identity:
                identity[key]._runic_values[name] = version
        # Examined entities are clean now (their values are stored) and need no snapshot,
        # unless they changed again during the flight: then they diff against what the
        # flush stored.
        for key in self.planned_dirty:
            if key not in dirty:
                snapshots.pop(key, None)
        for key, values in self.planned.items():
            if key in dirty:
                snapshots[key] = values
        self.relations.update(self.planned_relations)
        for gone in [held for held in self.planned_relations if held[0] not in identity]:
            del self.relations[gone]
        for pair, op in self.planned_links.items():
            if self.links.get(pair) is op:
                del self.links[pair]
        self.planned = {}
        self.planned_dirty = {}
        self.planned_relations = {}
        self.planned_links = {}
        self.planned_versions = {}
        self.planned_new = {}
        self.planned_deleted = {}
        self.gc_pause.stop()

    def unplanned(self) -> None:
        """The last plan was not applied: what it examined is still changed."""
        if self.planned_dirty:
            identity, dirty = self.identity, self.dirty
            for key, entity in self.planned_dirty.items():
                if identity.get(key) is entity:  # not expunged or deleted meanwhile
                    dirty.setdefault(key, entity)
            self.planned_dirty = {}

    def outcome_unknown(self) -> None:
        """The last flush may or may not have been applied: its new entities are written
        by key next time (MERGE), so a retry cannot store them twice. Edges are merged
        and deletes find nothing the second time anyway."""
        self.upserting.update(self.new)

    def rollback(self) -> None:
        """Drop pending work; changed entities return to their last flushed values and
        forget their loaded relations (read afresh on next access)."""
        self.unplanned()
        for key, entity in self.new.items():
            self.identity.pop(key, None)
            self.dirty.pop(key, None)
            entity._runic_state = None
        self.new.clear()
        self.upserting.clear()
        self.deleted.clear()
        self.unread_versions.clear()
        self.links.clear()
        self.planned = {}
        self.planned_new = {}
        self.planned_deleted = {}
        for key, entity in self.dirty.items():
            if self.identity.get(key) is not entity:
                continue
            stored = self.snapshots.get(key)
            if stored is not None:
                set_values(entity, snapshot(type(entity).__runic__, stored))
            self._forget_relations(key, entity)
            entity._runic_relations = {}
        self.dirty.clear()
        self.snapshots.clear()
        self.gc_pause.stop()

    def close(self) -> None:
        self.closed = True
        self.gc_pause.stop()
        self.unread_versions.clear()
        for table in (
            self.identity,
            self.snapshots,
            self.new,
            self.deleted,
            self.dirty,
            self.relations,
            self.links,
        ):
            if table:
                table.clear()
        if self.planned_dirty:
            self.planned_dirty = {}

    def _forget_relations(self, key: IdentityKey, entity: Node) -> None:
        for name in type(entity).__runic__.relations:
            self.relations.pop((key, name), None)

    def _check_open(self, method: str) -> None:
        if self.closed:
            raise RunicError(f"{method}() on a closed session")
