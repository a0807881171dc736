"""runic's object-graph mapper: models, statements, sessions and drivers."""

from runic.ogm.model import (
    BOTH,
    INCOMING,
    OUTGOING,
    Edge,
    Field,
    GeoLocation,
    Node,
    Relation,
    Vector,
)
from runic.ogm.query import select
from runic.ogm.session.session import Session

__all__ = [
    "BOTH",
    "INCOMING",
    "OUTGOING",
    "Edge",
    "Field",
    "GeoLocation",
    "Node",
    "Relation",
    "Session",
    "Vector",
    "select",
]
