"""Change tracking at the source: an entity tells its session when it is about to change.

Field and relation descriptors report every assignment, and list values (list fields,
vectors, to-many relations) are :class:`TrackedList` instances that report changes made
in place. So a session examines only the entities that changed, never everything it
holds.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, SupportsIndex

if TYPE_CHECKING:
    from runic.ogm.model.entity import Entity


def will_change(entity: Entity) -> None:
    """Report that ``entity`` is about to change to the session holding it, if any."""
    state = entity._runic_state
    if state is not None:
        state.changed(entity)


def _nobody() -> None:
    return None


class TrackedList(list[Any]):
    """A list value of an entity that reports changes made in place to its owner's
    session. Copies (``list(x)``, ``copy.copy``, pickling) are plain lists.

    The owner is held weakly, so an entity and its lists form no reference cycle and
    are freed as soon as nothing uses them, without waiting for the garbage collector.
    """

    __slots__ = ("_owner",)

    def __init__(self, items: Iterable[Any] = (), owner: Entity | None = None) -> None:
        super().__init__(items)
        # Without an owner (``type(x)(items)``, as some libraries copy lists) it is a list.
        self._owner = weakref.ref(owner) if owner is not None else _nobody

    def owned_by(self, entity: Entity) -> bool:
        return self._owner() is entity

    def _will_change(self) -> None:
        owner = self._owner()
        if owner is not None:
            will_change(owner)

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        import copy

        return [copy.deepcopy(item, memo) for item in self]

    def append(self, item: Any) -> None:
        self._will_change()
        super().append(item)

    def extend(self, items: Iterable[Any]) -> None:
        self._will_change()
        super().extend(items)

    def insert(self, index: SupportsIndex, item: Any) -> None:
        self._will_change()
        super().insert(index, item)

    def remove(self, item: Any) -> None:
        self._will_change()
        super().remove(item)

    def pop(self, index: SupportsIndex = -1) -> Any:
        self._will_change()
        return super().pop(index)

    def clear(self) -> None:
        self._will_change()
        super().clear()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        self._will_change()
        super().sort(*args, **kwargs)

    def reverse(self) -> None:
        self._will_change()
        super().reverse()

    def __setitem__(self, index: Any, value: Any) -> None:
        self._will_change()
        super().__setitem__(index, value)

    def __delitem__(self, index: Any) -> None:
        self._will_change()
        super().__delitem__(index)

    def __iadd__(self, items: Iterable[Any]) -> TrackedList:  # type: ignore[misc]
        self._will_change()
        return super().__iadd__(items)

    def __imul__(self, times: SupportsIndex) -> TrackedList:
        self._will_change()
        return super().__imul__(times)


def tracked(value: Any, owner: Entity) -> Any:
    """``value`` as the owner's tracked list; None stays None."""
    return None if value is None else TrackedList(value, owner)


def track_values(owner: Entity, values: dict[str, Any], mutable: tuple[str, ...]) -> dict[str, Any]:
    """Give ``owner`` tracked copies of its list values (the names in ``mutable``)."""
    for name in mutable:
        value = values[name]
        if value is not None:
            values[name] = TrackedList(value, owner)
    return values


def retrack(entity: Entity) -> None:
    """Make the list values of ``entity`` its own tracked lists again: a pickled, deep- or
    shallow-copied entity holds plain lists or another entity's."""
    values = entity._runic_values
    for name in type(entity).__runic__.mutable:
        value = values[name]
        if value is not None and not (type(value) is TrackedList and value.owned_by(entity)):
            values[name] = TrackedList(value, entity)
    relations = entity._runic_relations
    for name, value in relations.items():
        if isinstance(value, list) and not (type(value) is TrackedList and value.owned_by(entity)):
            relations[name] = TrackedList(value, entity)
