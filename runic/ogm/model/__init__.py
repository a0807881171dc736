"""Declaring node and edge models."""

from runic.ogm.model.edge import Edge
from runic.ogm.model.fields import Field, FieldAttribute
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
from runic.ogm.model.types import GeoLocation, Vector

__all__ = [
    "BOTH",
    "INCOMING",
    "OUTGOING",
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
    "registry",
]
