"""Flush planning: what changed becomes a :class:`FlushPlan`, whatever the session holds.

Sans-I/O. The planner looks at the entities marked as changed, the new and deleted ones
and the staged edges; never at every entity the session holds. It is a part of the unit
of work (a base class of it) kept in its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runic.ogm.exceptions import FieldValidationError
from runic.ogm.model.node import Node
from runic.ogm.model.storage import snapshot, stored_as_is, stored_changes, to_storage
from runic.ogm.session.detached import is_detached
from runic.ogm.session.flush import EdgeRow, EdgeShape, FlushPlan, VersionCheck, root_model
from runic.ogm.session.identity import (
    EdgeOp,
    IdentityKey,
    PairKey,
    edge_op,
    identity_key,
    relation_targets,
    stored_key,
)

if TYPE_CHECKING:
    from runic.ogm.session.unit_of_work import SessionState

#: Turns a key value into its stored form (the identity when they are the same).
KeyEncoder = Callable[[Any], Any]


def _key_encoder(model: type[Node]) -> KeyEncoder | None:
    """How a key value is stored; None when it is stored as it is."""
    converter = model.__runic__.key_field.converter
    return None if converter.passthrough else converter.to_db


@dataclass(slots=True)
class _UpdateBatch:
    """Where a flush puts the changes of one model's stored entities."""

    rows: list[tuple[Any, dict[str, Any]]]
    key_name: str
    encode_key: KeyEncoder | None
    #: The values are stored as they are and hold no list: changes are the values.
    plain: bool
    version: str | None

    @classmethod
    def of(cls, plan: FlushPlan, model: type[Node]) -> _UpdateBatch:
        info = model.__runic__
        assert info.primary_key is not None
        plain = stored_as_is(info) and not info.mutable
        rows = plan.updates.setdefault(model, [])
        return cls(rows, info.primary_key, _key_encoder(model), plain, info.version)


@dataclass(slots=True)
class _CreateBatch:
    """Where a flush puts the rows (and checked keys) of one model's new entities."""

    rows: list[dict[str, Any]]
    #: Keys that must not be stored yet (None for upserts, written by key anyway).
    keys: list[Any] | None
    key_name: str
    encode_key: KeyEncoder | None
    #: The values are stored as they are and hold no list: a plain copy is the row.
    plain: bool

    @classmethod
    def of(cls, plan: FlushPlan, model: type[Node], upsert: bool) -> _CreateBatch:
        info = model.__runic__
        rows = (plan.upserts if upsert else plan.creates).setdefault(model, [])
        keys = None if upsert else plan.new_keys.setdefault(root_model(model), [])
        assert info.primary_key is not None
        plain = stored_as_is(info) and not info.mutable
        return cls(rows, keys, info.primary_key, _key_encoder(model), plain)


class FlushPlanning:
    """The planning half of :class:`~runic.ogm.session.unit_of_work.UnitOfWork`."""

    identity: dict[IdentityKey, Node]
    dirty: dict[IdentityKey, Node]
    snapshots: dict[IdentityKey, dict[str, Any]]
    new: dict[IdentityKey, Node]
    upserting: set[IdentityKey]
    unread_versions: set[IdentityKey]
    deleted: dict[IdentityKey, Node]
    relations: dict[tuple[IdentityKey, str], tuple[IdentityKey, ...]]
    links: dict[PairKey, EdgeOp]
    planned: dict[IdentityKey, dict[str, Any]]
    planned_dirty: dict[IdentityKey, Node]
    planned_relations: dict[tuple[IdentityKey, str], tuple[IdentityKey, ...]]
    planned_links: dict[PairKey, EdgeOp]
    planned_versions: dict[IdentityKey, tuple[str, int]]
    planned_new: dict[IdentityKey, Node]
    planned_deleted: dict[IdentityKey, Node]
    state: SessionState

    def unplanned(self) -> None:
        raise NotImplementedError

    def add(self, entity: Node) -> None:
        raise NotImplementedError

    def stored_values(self, key: IdentityKey, entity: Node) -> dict[str, Any]:
        raise NotImplementedError

    def check_member(self, entity: Node, where: str) -> None:
        raise NotImplementedError

    def plan(self) -> FlushPlan:
        """The work to send: built from what changed, never by walking what is held."""
        self.unplanned()
        if not (self.new or self.dirty or self.deleted or self.links):
            return FlushPlan()  # nothing changed, whatever the session holds
        self._cascade()
        plan = FlushPlan()
        examined = self.planned_dirty = self.dirty
        self.dirty = {}
        self.planned = {}
        self.planned_relations = {}
        self.planned_versions = {}
        self.planned_new = dict(self.new)
        self.planned_deleted = dict(self.deleted)
        plan.examined = len(examined) + len(self.new) + len(self.deleted)
        self._plan_creates(plan)
        self._plan_updates(examined, plan)
        ops = dict(self.links)
        self.planned_links = dict(self.links)
        for key, entity in self.new.items():
            if entity._runic_relations:
                self._relation_changes(key, entity, plan, ops)
        for key, entity in examined.items():
            if (
                entity._runic_relations
                and key not in self.new
                and key not in self.deleted
                and self.identity.get(key) is entity
            ):
                self._relation_changes(key, entity, plan, ops)
        self._plan_edges(ops, plan)
        for key, entity in self.deleted.items():
            version = type(entity).__runic__.version
            if version is not None and key not in self.unread_versions:
                check = self._check_version(plan, entity, self.stored_values(key, entity)[version])
                plan.versioned_deletes.setdefault(type(entity), []).append(check)
            else:
                plan.deletes.setdefault(type(entity), []).append(stored_key(entity))
        return plan

    def _check_version(self, plan: FlushPlan, entity: Node, read: int) -> VersionCheck:
        """Have the flush write ``entity`` only if the graph still holds the version this
        session read (its new version is one more)."""
        check = VersionCheck(stored_key(entity), read, entity)
        plan.versions.setdefault(type(entity), []).append(check)
        return check

    def _relation_changes(
        self, key: IdentityKey, entity: Node, plan: FlushPlan, ops: dict[PairKey, EdgeOp]
    ) -> None:
        relations = type(entity).__runic__.relations
        for name, value in entity._runic_relations.items():
            relation = relations[name]
            targets = [t for t in relation_targets(value) if identity_key(t) not in self.deleted]
            now = tuple(dict.fromkeys(identity_key(target) for target in targets))
            before = self.relations.get((key, name))
            if before is None and (key not in self.new or key in self.upserting):
                # Assigned without being loaded: the new value replaces whatever is stored.
                plan.clears.setdefault(relation, []).append(stored_key(entity))
            before = before or ()
            if now == before:
                continue
            self.planned_relations[(key, name)] = now
            by_key = {identity_key(target): target for target in targets}
            for target_key in now:
                if target_key not in before:
                    op = edge_op("merge", relation, entity, by_key[target_key])
                    ops[op.pair] = op
            for target_key in before:
                if target_key not in now and target_key in self.identity:
                    op = edge_op("unlink", relation, entity, self.identity[target_key])
                    ops[op.pair] = op

    def _plan_creates(self, plan: FlushPlan) -> None:
        """A row per new entity, batched per model; created keys are checked first."""
        upserting, planned = self.upserting, self.planned
        batches: dict[tuple[type[Node], bool], _CreateBatch] = {}
        for key, entity in self.new.items():
            model = type(entity)
            upsert = key in upserting if upserting else False
            batch = batches.get((model, upsert))
            if batch is None:
                batch = batches[(model, upsert)] = _CreateBatch.of(plan, model, upsert)
            values = entity._runic_values
            if values[batch.key_name] != key[1]:
                self._check_key_unchanged(key, entity)  # raises, naming both keys
            if batch.plain:
                # Stored form equals the values: one copy serves as row and snapshot.
                row = planned[key] = dict(values)
            else:
                row = to_storage(entity)
                planned[key] = snapshot(model.__runic__, values)
            batch.rows.append(row)
            keys = batch.keys
            if keys is not None:
                encode = batch.encode_key
                keys.append(key[1] if encode is None else encode(key[1]))

    def _plan_updates(self, examined: dict[IdentityKey, Node], plan: FlushPlan) -> None:
        """The changed fields of each examined stored entity, batched per model."""
        new, deleted, snapshots, planned = self.new, self.deleted, self.snapshots, self.planned
        batches: dict[type[Node], _UpdateBatch] = {}
        identity = self.identity
        for key, entity in examined.items():
            if key in new or key in deleted or identity.get(key) is not entity:
                continue
            values = entity._runic_values
            before = snapshots.get(key)
            if values == before:
                continue
            model = type(entity)
            batch = batches.get(model)
            if batch is None:
                batch = batches[model] = _UpdateBatch.of(plan, model)
            if values[batch.key_name] != key[1]:
                self._check_key_unchanged(key, entity)  # raises, naming both keys
            if batch.plain and before is not None:
                planned[key] = dict(values)
                changes = {name: value for name, value in values.items() if before[name] != value}
            else:
                info = model.__runic__
                planned[key] = snapshot(info, values)
                changes = stored_changes(info, values, before or {})
            version = batch.version
            if version is not None and before is not None:
                bumped = self._check_version(plan, entity, before[version]).read + 1
                changes[version] = planned[key][version] = bumped
                self.planned_versions[key] = (version, bumped)
            encode = batch.encode_key
            batch.rows.append((key[1] if encode is None else encode(key[1]), changes))

    def _plan_edges(self, ops: dict[PairKey, EdgeOp], plan: FlushPlan) -> None:
        """A row per edge operation between live entities, batched per edge shape."""
        identity, deleted, new, upserting = self.identity, self.deleted, self.new, self.upserting
        shapes: dict[tuple[Any, ...], tuple[list[EdgeRow], KeyEncoder | None, KeyEncoder | None]]
        shapes = {}
        for op in ops.values():
            start_key, end_key = op.start_key, op.end_key
            if (
                identity.get(start_key) is not op.start
                or identity.get(end_key) is not op.end
                or (deleted and (start_key in deleted or end_key in deleted))
            ):
                continue
            merge = op.kind == "merge"
            # A new endpoint has no edges yet: CREATE is enough (an upserted one may have).
            fresh = merge and (
                (start_key in new and not (upserting and start_key in upserting))
                or (end_key in new and not (upserting and end_key in upserting))
            )
            start, end = type(op.start), type(op.end)
            shape_key = (op.relation, op.kind, start, end, fresh)
            found = shapes.get(shape_key)
            if found is None:
                shape = EdgeShape(
                    op.relation.type,
                    root_model(start),
                    root_model(end),
                    op.undirected,
                    op.relation.edge if merge else None,
                    fresh=fresh,
                )
                rows: list[EdgeRow] = (plan.merges if merge else plan.unlinks).setdefault(shape, [])
                found = shapes[shape_key] = (rows, _key_encoder(start), _key_encoder(end))
            rows, encode_start, encode_end = found
            rows.append(
                (
                    start_key[1] if encode_start is None else encode_start(start_key[1]),
                    end_key[1] if encode_end is None else encode_end(end_key[1]),
                    op.properties,
                )
            )

    def _cascade(self) -> None:
        """Entities reachable through the relations of new and changed entities, and not
        yet in a session, join this one (and so on from them)."""
        pending = [
            entity
            for entities in (self.new, self.dirty)
            for entity in entities.values()
            if entity._runic_relations
        ]
        while pending:
            entity = pending.pop()
            for name, value in entity._runic_relations.items():
                for target in relation_targets(value):
                    if target._runic_state is None or is_detached(target._runic_state):
                        self.add(target)
                        pending.append(target)
                    else:
                        self.check_member(target, f"{type(entity).__name__}.{name}")

    def _check_key_unchanged(self, key: IdentityKey, entity: Node) -> None:
        if identity_key(entity) != key:
            info = type(entity).__runic__
            raise FieldValidationError(
                info.name,
                info.key_field.name,
                f"the primary key of an entity in a session cannot change ({key[1]!r} -> "
                f"{identity_key(entity)[1]!r}); delete it and add a new one",
            )
