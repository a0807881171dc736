"""Whole-entity conversion between Python values and stored properties.

Field converters (``types.py``) convert single values; this module applies them to a
whole entity or a whole stored property map, and is what reads and writes call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runic.ogm.model.entity import Entity, ModelInfo


def to_storage(entity: Entity) -> dict[str, Any]:
    """Every field of ``entity`` in stored form; None stays None (meaning: no property)."""
    values = entity.__dict__["_runic_values"]
    stored: dict[str, Any] = {}
    for name, field in type(entity).__runic__.fields.items():
        value = values.get(name)
        stored[name] = None if value is None else field.converter.to_db(value)
    return stored


def from_storage(info: ModelInfo, properties: Mapping[str, Any]) -> dict[str, Any]:
    """Python values for every field of ``info`` from a stored property map.

    Missing properties take the field's default (None for Optional fields), so nodes
    written by other tools still load.
    """
    values: dict[str, Any] = {}
    for name, field in info.fields.items():
        stored = properties.get(name)
        if stored is None:
            values[name] = field.default_value()
        else:
            values[name] = field.converter.from_db(stored)
    return values
