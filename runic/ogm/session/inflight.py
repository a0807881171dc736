"""Staging while a flush is in flight (another task's, on an AsyncSession).

The unit of work settles only what the flush planned (``UnitOfWork.flushed``), so an
``add``, a field change or a ``relate`` made during the flight stays pending. Two cases
need to know that a flight is under way, and are handled here:

- ``delete`` of an entity the flight is creating. Outside a flight, deleting a pending
  entity just forgets it; here its node may be stored once the flight lands, so the
  delete stays pending by key. If the flight fails, nothing was stored, and the entity
  is forgotten as if the flight had never started.
- the flight failing: the plan's bookkeeping is dropped (a successful flush drops it in
  ``flushed()``), so a later delete is not mistaken for one made during a flight.
"""

from __future__ import annotations

from runic.ogm.model.node import Node
from runic.ogm.session.identity import IdentityKey, identity_key
from runic.ogm.session.unit_of_work import UnitOfWork


class Flight:
    """One operation of an AsyncSession, from its start to its end, whatever it sends."""

    __slots__ = ("moved", "unit")

    def __init__(self, unit: UnitOfWork) -> None:
        self.unit = unit
        #: Entities the flight creates that a delete() during it moved to ``deleted``.
        self.moved: dict[IdentityKey, Node] = {}

    def delete(self, entity: Node) -> None:
        """``delete(entity)`` staged during the flight."""
        unit = self.unit
        key = identity_key(entity)
        if (
            unit.planned_new.get(key) is entity
            and unit.new.get(key) is entity
            and key not in unit.upserting
        ):
            # The flight creates it: once it lands the node is stored, so delete by key.
            del unit.new[key]
            unit.deleted[key] = entity
            self.moved[key] = entity
            return
        unit.delete(entity)

    def landed(self) -> None:
        """The operation ended. A flush that failed stored nothing: undo what ``delete``
        assumed about it, and drop its plan's bookkeeping."""
        unit = self.unit
        if unit.planned_new or unit.planned_deleted:  # a flush failed: flushed() empties them
            for key, entity in self.moved.items():
                if unit.deleted.get(key) is entity:
                    # Created and deleted, and the creation was never stored: forget it.
                    del unit.deleted[key]
                    del unit.identity[key]
                    unit.dirty.pop(key, None)
                    unit.snapshots.pop(key, None)
                    entity._runic_state = None
                elif unit.identity.get(key) is entity and key not in unit.new:
                    unit.new[key] = entity  # deleted, then added again: still to create
        self.settle(unit)

    @staticmethod
    def settle(unit: UnitOfWork) -> None:
        """Drop the bookkeeping of a flush that failed (a successful one dropped it)."""
        if unit.planned_new or unit.planned_deleted:
            unit.planned_new = {}
            unit.planned_deleted = {}
