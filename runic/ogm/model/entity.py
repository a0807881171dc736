"""What Node and Edge classes share: reading fields from annotations, construction with
validation, and the hooks a session uses to serve unloaded state."""

from __future__ import annotations

import inspect
import sys
import typing
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Protocol, dataclass_transform

from runic.ogm.exceptions import FieldValidationError, ModelDefinitionError
from runic.ogm.identifiers import validate_identifier
from runic.ogm.model.fields import MISSING, Field, FieldAttribute, FieldDeclaration
from runic.ogm.model.mapped import is_relation_annotation, unwrap_annotation
from runic.ogm.model.relations import Relation, RelationAttribute
from runic.ogm.model.tracking import TrackedList, track_values
from runic.ogm.model.types import (
    CheckedConverter,
    ConversionError,
    Converter,
    IntConverter,
    InternedStrConverter,
    StrConverter,
    Vector,
    converter_for,
    split_optional,
)


class EntityState(Protocol):
    """The session side of an entity: serves state that was not loaded."""

    def load_relation(self, entity: Entity, relation: RelationAttribute[Any]) -> Any: ...

    def load_field(self, entity: Entity, field: FieldAttribute[Any]) -> Any: ...

    def changed(self, entity: Entity) -> None:
        """``entity`` is about to change (an assignment, or a list changed in place)."""


@dataclass(eq=False)
class ModelInfo:
    """Everything runic knows about one Node or Edge class."""

    cls: type[Entity]
    fields: dict[str, FieldAttribute[Any]]
    relations: dict[str, RelationAttribute[Any]] = field(default_factory=dict)
    primary_key: str | None = None
    labels: tuple[str, ...] = ()
    edge_type: str | None = None
    abstract: bool = False
    root: type[Entity] | None = None
    #: The optimistic-locking field (``Field(version=True)``), if the model has one.
    version: str | None = None
    #: Identifies the root Node class in identity keys ``(key_root, key)``: an int, so
    #: the keys hold no class and the garbage collector can stop tracking them.
    key_root: int = -1
    #: Fields whose values are lists, tracked for changes made in place.
    mutable: tuple[str, ...] = field(init=False, default=())
    #: ``primary_key`` as a str ("" for a model without one), for the hot paths.
    key_name: str = field(init=False, default="")

    #: The primary key's field (Any: a FieldAttribute here would act as a descriptor).
    _key_field: Any = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.mutable = tuple(name for name, f in self.fields.items() if f.converter.mutable)
        if self.primary_key is not None:
            self._key_field = self.fields[self.primary_key]
            self.key_name = self.primary_key

    @property
    def name(self) -> str:
        return self.cls.__name__

    @property
    def key_field(self) -> FieldAttribute[Any]:
        key_field: FieldAttribute[Any] | None = self._key_field
        if key_field is None:
            raise ModelDefinitionError(f"{self.name} has no primary key")
        return key_field


@dataclass_transform(kw_only_default=True, eq_default=False, field_specifiers=(Field,))
class Entity:
    """Base of :class:`Node` and :class:`Edge`; not used directly.

    For type checkers a model is a keyword-only dataclass of its ``Mapped[...]`` fields
    and ``Relation[...]`` relations, so constructor calls are checked.
    """

    # Slots: fast to read, and an entity needs no instance dict, so it is one object
    # for the garbage collector to track instead of two.
    __slots__ = ("__weakref__", "_runic_relations", "_runic_state", "_runic_values")

    __runic__: ClassVar[ModelInfo]
    _runic_values: dict[str, Any]
    _runic_relations: dict[str, Any]
    _runic_state: EntityState | None

    def __init__(self, **values: Any) -> None:
        info = type(self).__runic__
        if info.abstract:
            raise ModelDefinitionError(f"{info.name} is abstract and cannot be instantiated")
        fields = info.fields
        converted: dict[str, Any] = {}
        relation_values: dict[str, Any] = {}
        for name, value in values.items():
            attribute = fields.get(name)
            if attribute is not None:
                converted[name] = attribute.validate(value)
            elif name in info.relations:
                relation_values[name] = value
            else:
                known = ", ".join([*fields, *info.relations]) or "none"
                raise FieldValidationError(
                    info.name, name, f"unknown field (fields of {info.name}: {known})"
                )
        for name, attribute in fields.items() if len(converted) < len(fields) else ():
            if name not in converted:
                if not attribute.has_default:
                    raise FieldValidationError(
                        info.name,
                        name,
                        f"required field missing (expected {attribute.converter.describe()})",
                        expected=attribute.converter.describe(),
                    )
                converted[name] = attribute.default_value()
        if info.mutable:
            track_values(self, converted, info.mutable)
        self._runic_values = converted
        self._runic_relations = {}
        self._runic_state = None
        for name, value in relation_values.items():
            setattr(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict of Python values, with the relations that are loaded: their
        targets as dicts too (a target met again along the same path gives only its key,
        so cycles end). Unloaded relations are left out: nothing is read."""
        return _as_dict(self, frozenset())

    def _runic_missing_field(self, field: FieldAttribute[Any]) -> Any:
        state = self._runic_state
        if state is None:
            raise AttributeError(f"{type(self).__name__}.{field.name} has no value")
        return state.load_field(self, field)

    def _runic_missing_relation(self, relation: RelationAttribute[Any]) -> Any:
        state = self._runic_state
        if state is None:
            # A new entity has no stored relations: start it empty so appends are kept.
            value: Any = TrackedList((), self) if relation.to_many else None
            self._runic_relations[relation.name] = value
            return value
        return state.load_relation(self, relation)

    def __repr__(self) -> str:
        info = type(self).__runic__
        values = getattr(self, "_runic_values", {})
        shown = [info.primary_key] if info.primary_key else []
        shown += [name for name in info.fields if name not in shown][: 3 - len(shown)]
        parts = ", ".join(f"{name}={values[name]!r}" for name in shown if name in values)
        return f"{info.name}({parts})"


def _as_dict(entity: Entity, path: frozenset[int]) -> dict[str, Any]:
    info = type(entity).__runic__
    values = {name: value for name, value in entity._runic_values.items() if name in info.fields}
    for name, value in values.items():
        if isinstance(value, list):
            values[name] = list(value)  # a plain list, not the entity's tracked one
    if id(entity) in path:
        return {info.key_name: values[info.key_name]} if info.key_name else {}
    inner = path | {id(entity)}
    for name, value in entity._runic_relations.items():
        if isinstance(value, list):
            values[name] = [_as_dict(target, inner) for target in value]
        else:
            values[name] = None if value is None else _as_dict(value, inner)
    return values


@dataclass(slots=True)
class DeclaredMembers:
    fields: dict[str, FieldAttribute[Any]]
    relations: dict[str, Relation[Any]]
    annotations: dict[str, Any]


def read_members(cls: type[Entity], inherited: dict[str, FieldAttribute[Any]]) -> DeclaredMembers:
    """Turn the class's own annotations into fields; collect relation declarations."""
    fields = {name: attribute.rebind(cls) for name, attribute in inherited.items()}
    relations: dict[str, Relation[Any]] = {}
    annotations: dict[str, Any] = {}
    namespace = dict(vars(sys.modules[cls.__module__])) if cls.__module__ in sys.modules else {}
    namespace.setdefault(cls.__name__, cls)
    for name, annotation in inspect.get_annotations(cls).items():
        if name.startswith("_") or _is_classvar(annotation):
            continue
        validate_identifier(name, f"field name on {cls.__name__}")
        declared = cls.__dict__.get(name, MISSING)
        if isinstance(declared, Relation):
            relations[name] = declared
            annotations[name] = annotation
            continue
        fields[name] = _make_field(cls, name, annotation, declared, namespace)
    for name, attribute in fields.items():
        setattr(cls, name, attribute)
    return DeclaredMembers(fields, relations, annotations)


def _version_declaration(
    where: str, declaration: FieldDeclaration, converter: Any, nullable: bool
) -> FieldDeclaration:
    """A version field is a required int that starts at 1 unless told otherwise."""
    if type(converter) is not IntConverter or nullable:
        raise ModelDefinitionError(f"{where}: a version field is declared `int`, not Optional")
    if declaration.primary_key or declaration.unique:
        raise ModelDefinitionError(f"{where}: a version field cannot be a key or unique")
    if declaration.default is MISSING and declaration.default_factory is None:
        return replace(declaration, default=1)
    return declaration


def version_field(cls: type, fields: dict[str, FieldAttribute[Any]]) -> str | None:
    """The name of the model's version field; at most one is allowed."""
    marked = [name for name, field in fields.items() if field.declaration.version]
    if len(marked) > 1:
        raise ModelDefinitionError(
            f"{cls.__name__} marks several version fields ({', '.join(marked)}); mark one"
        )
    return marked[0] if marked else None


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


def _make_field(
    cls: type, name: str, annotation: Any, declared: Any, namespace: dict[str, Any]
) -> FieldAttribute[Any]:
    where = f"{cls.__name__}.{name}"
    if is_relation_annotation(annotation):
        raise ModelDefinitionError(
            f"{where}: a Relation[...] annotation needs a declaration: "
            f'`{name}: Relation[...] = Relation("TYPE")`'
        )
    annotation = unwrap_annotation(annotation)
    for _ in range(3):  # text may evaluate to Mapped["..."], whose inside is text again
        if not isinstance(annotation, str):
            break
        try:
            annotation = eval(annotation, namespace)  # annotations are code the user wrote
        except Exception as error:
            raise ModelDefinitionError(
                f"{where}: cannot resolve the annotation {annotation!r} ({error})"
            ) from None
        annotation = unwrap_annotation(annotation)
    if isinstance(declared, Vector):
        declaration = FieldDeclaration(vector=declared)
    elif isinstance(declared, FieldDeclaration):
        declaration = declared
    else:
        declaration = FieldDeclaration(default=declared)
    inner, nullable = split_optional(annotation)
    try:
        if declaration.converter is not None:
            converter: Converter = CheckedConverter(declaration.converter, where)
        else:
            converter = converter_for(inner, declaration.vector)
    except TypeError as error:
        raise ModelDefinitionError(f"{where}: {error}") from None
    if declaration.generated and not isinstance(converter, StrConverter):
        raise ModelDefinitionError(
            f"{where}: Field(generated=True) makes str keys (new_id()); annotate it Mapped[str]"
        )
    if declaration.interned:
        if type(converter) is not StrConverter:
            raise ModelDefinitionError(f"{where}: Field(interned=True) is for a str field")
        converter = InternedStrConverter()
    if declaration.version:
        declaration = _version_declaration(where, declaration, converter, nullable)
    attribute: FieldAttribute[Any] = FieldAttribute(cls, name, converter, nullable, declaration)
    if declaration.primary_key and nullable:
        raise ModelDefinitionError(f"{where}: a primary key cannot be Optional")
    if declaration.default is not MISSING and declaration.default is not None:
        try:
            converter.validate(declaration.default)
        except ConversionError as error:
            raise ModelDefinitionError(
                f"{where}: bad default {declaration.default!r}: {error}"
            ) from None
    elif declaration.default is None and not nullable:
        raise ModelDefinitionError(f"{where}: default None needs an Optional annotation")
    return attribute
