"""Whole-entity conversion between Python values and stored properties.

Field converters (``types.py``) convert single values; this module applies them to a
whole entity or a whole stored property map, and keeps the snapshots change tracking
compares against. These run once per entity on every read and write, so each model's
fields are sorted once into those that need converting and those that do not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from runic.ogm.model.entity import Entity, ModelInfo
from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.tracking import track_values
from runic.ogm.model.types import Converter


@dataclass(frozen=True, slots=True)
class _Codec:
    #: (name, to_db) for fields whose stored form differs from the Python value.
    encoders: tuple[tuple[str, Callable[[Any], Any]], ...]
    #: (name, field, from_db or None when the stored value is the Python value).
    decoders: tuple[tuple[str, FieldAttribute[Any], Callable[[Any], Any] | None], ...]
    #: Fields whose values can change in place, copied into snapshots.
    mutable: tuple[str, ...]
    #: Mutable fields whose stored form is the value itself: copied when sent.
    shared: tuple[str, ...]
    #: The field names, when every field is stored as its value and none holds a list:
    #: a property map with exactly these keys is the values as it is.
    plain_names: frozenset[str] | None


_codecs: dict[ModelInfo, _Codec] = {}


def _codec(info: ModelInfo) -> _Codec:
    codec = _codecs.get(info)
    if codec is None:
        fields = info.fields.items()
        codec = _codecs[info] = _Codec(
            encoders=tuple(
                (name, field.converter.to_db)
                for name, field in fields
                if not field.converter.passthrough
            ),
            decoders=tuple(
                (name, field, None if field.converter.passthrough else field.converter.from_db)
                for name, field in fields
            ),
            mutable=info.mutable,
            plain_names=frozenset(info.fields)
            if not info.mutable and all(field.converter.passthrough for _, field in fields)
            else None,
            shared=tuple(
                name
                for name, field in fields
                if field.converter.mutable and type(field.converter).to_db is Converter.to_db
            ),
        )
    return codec


def stored_as_is(info: ModelInfo) -> bool:
    """True when every field is stored as its Python value (str, int, float, bool...)."""
    return not _codec(info).encoders


def to_storage(entity: Entity) -> dict[str, Any]:
    """Every field of ``entity`` in stored form; None stays None (meaning: no property)."""
    stored = dict(entity._runic_values)
    codec = _codec(type(entity).__runic__)
    for name, encode in codec.encoders:
        value = stored[name]
        if value is not None:
            stored[name] = encode(value)
    for name in codec.shared:  # plain lists, not the entity's tracked ones
        value = stored[name]
        if value is not None:
            stored[name] = list(value)
    return stored


def set_values(entity: Entity, values: dict[str, Any]) -> None:
    """Make ``values`` the field values of ``entity``, its list values tracked."""
    mutable = type(entity).__runic__.mutable
    if mutable:
        track_values(entity, values, mutable)
    entity._runic_values = values


def from_storage(info: ModelInfo, properties: Mapping[str, Any]) -> dict[str, Any]:
    """Python values for every field of ``info`` from a stored property map.

    Missing properties take the field's default (None for Optional fields), so nodes
    written by other tools still load.
    """
    codec = _codec(info)
    if codec.plain_names is not None and properties.keys() == codec.plain_names:
        return dict(properties)  # every field stored, none converted: the common read
    values: dict[str, Any] = {}
    for name, field, decode in codec.decoders:
        stored = properties.get(name)
        if stored is None:
            values[name] = field.default_value()
        else:
            values[name] = stored if decode is None else decode(stored)
    return values


def snapshot(info: ModelInfo, values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``values`` that later changes, in place ones included, do not reach."""
    copied = dict(values)
    for name in _codec(info).mutable:
        value = copied[name]
        if value is not None:
            copied[name] = list(value)
    return copied


def stored_changes(
    info: ModelInfo, values: dict[str, Any], before: Mapping[str, Any]
) -> dict[str, Any]:
    """The fields of ``values`` that differ from ``before``, in stored form."""
    fields = info.fields
    changes = {
        name: None if value is None else fields[name].converter.to_db(value)
        for name, value in values.items()
        if name not in before or before[name] != value
    }
    for name in _codec(info).shared:  # plain lists, not the entity's tracked ones
        value = changes.get(name)
        if value is not None:
            changes[name] = list(value)
    return changes
