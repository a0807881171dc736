"""Declaring node and edge models."""

from runic.ogm.model.edge import Edge
from runic.ogm.model.fields import Field, FieldAttribute, new_id
from runic.ogm.model.mapped import Mapped
from runic.ogm.model.node import Node
from runic.ogm.model.registry import registry
from runic.ogm.model.relations import (
    BOTH,
    INCOMING,
    OUTGOING,
    Direction,
    Relation,
    RelationAttribute,
)
from runic.ogm.model.types import ConversionError, Converter, GeoLocation, Vector

__all__ = [
    "BOTH",
    "INCOMING",
    "OUTGOING",
    "ConversionError",
    "Converter",
    "Direction",
    "Edge",
    "Field",
    "FieldAttribute",
    "GeoLocation",
    "Mapped",
    "Node",
    "Relation",
    "RelationAttribute",
    "Vector",
    "new_id",
    "registry",
]
