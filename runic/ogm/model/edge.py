"""The Edge base class: typed relationship properties."""

from __future__ import annotations

import re
from typing import Any

from runic.ogm.exceptions import ModelDefinitionError
from runic.ogm.identifiers import validate_identifier
from runic.ogm.model.constructor import install_init
from runic.ogm.model.entity import Entity, ModelInfo, read_members
from runic.ogm.model.registry import registry


class Edge(Entity):
    """Base class of relationship models: ``class Friendship(Edge, type="FRIEND")``.

    Without ``type=`` the type is the class name in upper snake case.
    """

    def __init_subclass__(
        cls, *, type: str | None = None, abstract: bool = False, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        parents = [b for b in cls.__bases__ if issubclass(b, Edge) and b is not Edge]
        parent_info = parents[0].__runic__ if parents else None
        members = read_members(cls, dict(parent_info.fields) if parent_info else {})
        if members.relations:
            name = next(iter(members.relations))
            raise ModelDefinitionError(f"{cls.__name__}.{name}: an Edge cannot have relations")
        keys = [name for name, field in members.fields.items() if field.primary_key]
        if keys:
            raise ModelDefinitionError(f"{cls.__name__}.{keys[0]}: edges have no primary key")
        versioned = [name for name, field in members.fields.items() if field.declaration.version]
        if versioned:
            raise ModelDefinitionError(
                f"{cls.__name__}.{versioned[0]}: version fields are for nodes, not edges"
            )
        edge_type = (
            type or (parent_info.edge_type if parent_info else None) or _upper_snake(cls.__name__)
        )
        validate_identifier(edge_type, f"edge type of {cls.__name__}")
        cls.__runic__ = ModelInfo(
            cls=cls, fields=members.fields, edge_type=edge_type, abstract=abstract
        )
        install_init(cls, cls.__runic__)
        if not abstract:
            registry.register_edge(cls)


def _upper_snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()
