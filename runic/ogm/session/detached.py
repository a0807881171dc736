"""The state of an entity its session let go of (``expunge()``), though it is stored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runic.ogm.exceptions import DetachedEntityError

if TYPE_CHECKING:
    from runic.ogm.model.entity import Entity
    from runic.ogm.model.fields import FieldAttribute
    from runic.ogm.model.relations import RelationAttribute


class DetachedState:
    """What was not loaded cannot be read, rather than looking empty as on a new entity;
    fields may still change, and a session the entity is added to writes it by key."""

    __slots__ = ()
    detached = True

    def load_relation(self, entity: Entity, relation: RelationAttribute[Any]) -> Any:
        raise DetachedEntityError(
            f"{type(entity).__name__}.{relation.name} was not loaded and the entity was "
            "expunged from its session; load it with fetch= first, or add the entity to a "
            "session"
        )

    def load_field(self, entity: Entity, field: FieldAttribute[Any]) -> Any:
        raise DetachedEntityError(f"{type(entity).__name__}.{field.name} is not loaded")

    def changed(self, entity: Entity) -> None:
        """A detached entity may change freely."""


DETACHED = DetachedState()


def is_detached(state: object) -> bool:
    """Whether an entity's state lets it join a session: it was expunged, or its session
    is closed."""
    return bool(getattr(state, "detached", False))
