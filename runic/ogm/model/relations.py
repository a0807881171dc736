"""Relation declarations (``Relation("WROTE")``) and the descriptor that serves them.

The target class comes from the annotation: ``list[Article]`` is to-many,
``Article | None`` (or ``Article``) is to-one. Targets may be forward references by
string; they are resolved when the models are configured (see the registry).
"""

from __future__ import annotations

import builtins
import re
import typing
from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, overload

from runic.ogm.exceptions import FieldValidationError, ModelDefinitionError
from runic.ogm.model.mapped import unwrap_annotation
from runic.ogm.model.tracking import TrackedList

if TYPE_CHECKING:
    from runic.ogm.model.edge import Edge
    from runic.ogm.model.entity import Entity
    from runic.ogm.model.node import Node


class Direction(StrEnum):
    OUTGOING = "OUTGOING"
    INCOMING = "INCOMING"
    BOTH = "BOTH"


OUTGOING = Direction.OUTGOING
INCOMING = Direction.INCOMING
BOTH = Direction.BOTH


class Relation[T]:
    """Declare a relation: ``articles: Relation[list[Article]] = Relation("WROTE")``.

    ``Relation[list[Article]]`` is to-many, ``Relation[Article | None]`` to-one. ``type``
    may be left out when ``edge`` names an Edge class, whose type is used. For a type
    checker the annotation is a descriptor: ``User.articles`` is a
    :class:`RelationAttribute` for ``traverse``, ``fetch=`` and ``relate``, and
    ``user.articles`` the related entities.
    """

    __slots__ = ("direction", "edge", "rel_type")

    def __init__(
        self,
        type: str | None = None,
        *,
        direction: Direction | str = OUTGOING,
        edge: builtins.type[Edge] | None = None,
    ) -> None:
        try:
            self.direction = Direction(direction)
        except ValueError:
            raise ModelDefinitionError(
                f"Relation(direction=...) must be OUTGOING, INCOMING or BOTH, got {direction!r}"
            ) from None
        self.rel_type = type
        self.edge = edge

    def __repr__(self) -> str:
        return f"Relation({self.rel_type!r}, direction={self.direction.value}, edge={self.edge!r})"

    if TYPE_CHECKING:

        @overload
        def __get__[N: Node](
            self: Relation[list[N]], instance: None, owner: builtins.type[Any]
        ) -> RelationAttribute[N]: ...

        @overload
        def __get__[N: Node](
            self: Relation[Sequence[N]], instance: None, owner: builtins.type[Any]
        ) -> RelationAttribute[N]: ...

        @overload
        def __get__[N: Node](
            self: Relation[N | None], instance: None, owner: builtins.type[Any]
        ) -> RelationAttribute[N]: ...

        @overload
        def __get__[N: Node](
            self: Relation[N], instance: None, owner: builtins.type[Any]
        ) -> RelationAttribute[N]: ...

        @overload
        def __get__(self, instance: object, owner: builtins.type[Any]) -> T: ...

        def __get__(self, instance: object, owner: builtins.type[Any]) -> Any: ...

        def __set__(self, instance: object, value: T) -> None: ...


_LIST_PATTERN = re.compile(
    r"(?:typing\.)?(?:list|List|Sequence|collections\.abc\.Sequence)\[(.+)\]\Z"
)
_OPTIONAL_PATTERN = re.compile(r"(?:typing\.)?Optional\[(.+)\]\Z")


def parse_relation_annotation(annotation: Any) -> tuple[type | str, bool]:
    """Return ``(target, to_many)``; ``target`` is a class or a class name to resolve later."""
    annotation = unwrap_annotation(annotation)
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        return _parse_annotation_text(annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, Sequence):
        (item,) = typing.get_args(annotation)
        target, nested_many = parse_relation_annotation(item)
        if nested_many:
            raise TypeError(f"a relation cannot be a list of lists: {annotation!r}")
        return target, True
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) != 1:
            raise TypeError(f"a to-one relation must be `Target | None`, got {annotation!r}")
        target, to_many = parse_relation_annotation(members[0])
        if to_many:
            raise TypeError(f"use list[Target] for a to-many relation, not {annotation!r}")
        return target, False
    if isinstance(annotation, type):
        return annotation, False
    raise TypeError(f"cannot read a relation target from {annotation!r}")


def allows_none(annotation: Any) -> bool:
    """Whether a to-one relation's annotation includes None (``Target | None``)."""
    annotation = unwrap_annotation(annotation)
    if isinstance(annotation, str):
        text = annotation.replace(" ", "").replace("'", "").replace('"', "")
        return text.startswith(("Optional[", "typing.Optional[")) or "None" in text.split("|")
    return type(None) in typing.get_args(annotation)


def _parse_annotation_text(text: str) -> tuple[str, bool]:
    text = text.replace(" ", "").replace("'", "").replace('"', "")
    list_match = _LIST_PATTERN.match(text)
    if list_match:
        target, nested_many = _parse_annotation_text(list_match.group(1))
        if nested_many:
            raise TypeError(f"a relation cannot be a list of lists: {text!r}")
        return target, True
    optional_match = _OPTIONAL_PATTERN.match(text)
    if optional_match:
        text = optional_match.group(1)
    members = [part for part in text.split("|") if part != "None"]
    if len(members) != 1 or not re.fullmatch(r"[A-Za-z_][\w.]*", members[0]):
        raise TypeError(f"cannot read a relation target from {text!r}")
    return members[0].rsplit(".", 1)[-1], False


class RelationAttribute[N: Node]:
    """A relation of a node class to ``N``: the class-level handle for ``traverse``,
    ``fetch`` and ``relate``, and the instance-level value (an entity, None, or a list)."""

    __slots__ = ("_target", "declaration", "edge", "model", "name", "to_many", "type")

    def __init__(
        self,
        model: type[Node],
        name: str,
        type_: str,
        declaration: Relation[Any],
        target: type[N] | str,
        to_many: bool,
    ) -> None:
        self.model = model
        self.name = name
        self.type = type_
        self.declaration = declaration
        self.edge = declaration.edge
        self._target = target
        self.to_many = to_many

    @property
    def direction(self) -> Direction:
        return self.declaration.direction

    def rebind(self, model: type[Node]) -> RelationAttribute[N]:
        return RelationAttribute(
            model, self.name, self.type, self.declaration, self._target, self.to_many
        )

    @property
    def target(self) -> type[N]:
        """The target node class; resolves string forward references on first use."""
        target = self._target
        if isinstance(target, str):
            from runic.ogm.model.registry import registry

            registry.configure()
            target = self._target
            assert not isinstance(target, str)
        return target

    def resolve(self, target: type[N]) -> None:
        self._target = target

    @property
    def unresolved_name(self) -> str | None:
        return self._target if isinstance(self._target, str) else None

    def __repr__(self) -> str:
        return f"<relation {self.model.__name__}.{self.name} -[:{self.type}]- {self.direction}>"

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> RelationAttribute[N]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any]) -> Any: ...

    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        if instance is None:
            return self
        relations = instance._runic_relations
        if self.name in relations:
            return relations[self.name]
        return instance._runic_missing_relation(self)

    def __set__(self, instance: Entity, value: Any) -> None:
        value = self.validate(value)
        state = instance._runic_state
        if state is not None:
            state.changed(instance)
        if self.to_many:
            value = TrackedList(value, instance)
        instance._runic_relations[self.name] = value

    def validate(self, value: Any) -> Any:
        target = self.target
        owner = self.model.__name__
        if self.to_many:
            if isinstance(value, str | bytes) or not isinstance(value, Sequence):
                raise FieldValidationError(
                    owner,
                    self.name,
                    f"expected a list of {target.__name__}, got {type(value).__name__}",
                    expected=f"list[{target.__name__}]",
                    actual=value,
                )
            for item in value:
                self._check_target(item, target)
            return list(value)
        if value is not None:
            self._check_target(value, target)
        return value

    def _check_target(self, value: Any, target: type[Node]) -> None:
        if not isinstance(value, target):
            raise FieldValidationError(
                self.model.__name__,
                self.name,
                f"expected {target.__name__}, got {type(value).__name__}",
                expected=target.__name__,
                actual=value,
            )
