"""The Node base class: labels, primary key and relations of a graph node model."""

from __future__ import annotations

import builtins
import inspect
import itertools
import sys
from typing import Any

from runic.ogm.exceptions import ModelDefinitionError
from runic.ogm.identifiers import validate_identifier
from runic.ogm.model.constructor import install_init
from runic.ogm.model.entity import Entity, ModelInfo, read_members, version_field
from runic.ogm.model.mapped import is_relation_annotation
from runic.ogm.model.registry import registry
from runic.ogm.model.relations import (
    Relation,
    RelationAttribute,
    allows_none,
    parse_relation_annotation,
)

_key_roots = itertools.count()


class Node(Entity):
    """Base class of node models.

    ``class User(Node)`` stores nodes labelled ``User``; ``label=`` overrides the label,
    a subclass adds its own label to its parent's, and ``abstract=True`` declares shared
    fields without a label.
    """

    def __init_subclass__(
        cls, *, label: str | None = None, abstract: bool = False, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        parent = _node_parent(cls)
        parent_info = parent.__runic__ if parent is not None else None
        members = read_members(cls, dict(parent_info.fields) if parent_info else {})
        if parent_info is not None:
            redefined = [
                name
                for name in inspect.get_annotations(cls)
                if name in parent_info.fields or name in parent_info.relations
            ]
            if redefined:
                raise ModelDefinitionError(
                    f"{cls.__name__}.{redefined[0]} redefines a member of {parent_info.name}"
                )

        primary_key = _primary_key(cls, members.fields, parent_info, abstract)
        labels = parent_info.labels if parent_info else ()
        if not abstract:
            own_label = validate_identifier(
                cls.__name__ if label is None else label, f"label of {cls.__name__}"
            )
            labels = (*labels, own_label)
        elif label is not None:
            raise ModelDefinitionError(f"{cls.__name__}: an abstract node takes no label")

        relations = {
            name: relation.rebind(cls)
            for name, relation in (parent_info.relations if parent_info else {}).items()
        }
        for name, declaration in members.relations.items():
            relations[name] = _make_relation(cls, name, declaration, members.annotations[name])
        for name, relation in relations.items():
            setattr(cls, name, relation)

        root: type[Entity] | None = None
        key_root = -1
        if not abstract:
            if parent_info and parent_info.root:
                root, key_root = parent_info.root, parent_info.key_root
            else:
                root, key_root = cls, next(_key_roots)
        cls.__runic__ = ModelInfo(
            cls=cls,
            fields=members.fields,
            relations=relations,
            primary_key=primary_key,
            labels=labels,
            abstract=abstract,
            root=root,
            key_root=key_root,
            version=version_field(cls, members.fields),
        )
        install_init(cls, cls.__runic__)
        if not abstract:
            registry.register_node(cls)


def _node_parent(cls: type) -> type[Node] | None:
    parents = [base for base in cls.__bases__ if issubclass(base, Node) and base is not Node]
    if len(parents) > 1:
        raise ModelDefinitionError(
            f"{cls.__name__} inherits from several node classes "
            f"({', '.join(p.__name__ for p in parents)}); use one"
        )
    return parents[0] if parents else None


def _primary_key(
    cls: type, fields: dict[str, Any], parent: ModelInfo | None, abstract: bool
) -> str | None:
    marked = [name for name, field in fields.items() if field.primary_key]
    if parent is not None and parent.primary_key is not None:
        own = [name for name in marked if name != parent.primary_key]
        if own:
            raise ModelDefinitionError(
                f"{cls.__name__}.{own[0]}: {parent.name} already has the primary key "
                f"{parent.primary_key!r}"
            )
        return parent.primary_key
    if len(marked) > 1:
        raise ModelDefinitionError(
            f"{cls.__name__} marks several primary keys ({', '.join(marked)}); mark one"
        )
    if marked:
        return marked[0]
    if "id" in fields:
        if fields["id"].nullable:
            raise ModelDefinitionError(f"{cls.__name__}.id: a primary key cannot be Optional")
        return "id"
    if abstract:
        return None
    raise ModelDefinitionError(
        f"{cls.__name__} has no primary key: name a field `id` or mark one with "
        "Field(primary_key=True)"
    )


def _visible_name(cls: type, name: str) -> Any:
    """What ``name`` means in the module that defines ``cls`` (or builtins), if anything."""
    module = sys.modules.get(cls.__module__)
    if module is not None and hasattr(module, name):
        return getattr(module, name)
    return getattr(builtins, name, None)


def _make_relation(
    cls: type[Node], name: str, declaration: Relation[Any], annotation: Any
) -> RelationAttribute[Any]:
    where = f"{cls.__name__}.{name}"
    edge = declaration.edge
    if edge is not None:
        from runic.ogm.model.edge import Edge

        if not (isinstance(edge, type) and issubclass(edge, Edge)):
            raise ModelDefinitionError(f"{where}: edge= must be an Edge class, got {edge!r}")
        edge_type = edge.__runic__.edge_type
        if declaration.rel_type is not None and declaration.rel_type != edge_type:
            raise ModelDefinitionError(
                f"{where}: Relation({declaration.rel_type!r}) does not match the edge class "
                f"{edge.__name__} of type {edge_type!r}"
            )
    rel_type = declaration.rel_type or (edge.__runic__.edge_type if edge is not None else None)
    if rel_type is None:
        raise ModelDefinitionError(f"{where}: Relation() needs a type or an edge= class")
    validate_identifier(rel_type, f"relationship type of {where}")
    try:
        target, to_many = parse_relation_annotation(annotation)
    except (TypeError, ValueError) as error:
        raise ModelDefinitionError(f"{where}: {error}") from None
    if not to_many and is_relation_annotation(annotation) and not allows_none(annotation):
        shown = target if isinstance(target, str) else target.__name__
        raise ModelDefinitionError(
            f"{where}: a to-one relation is `Relation[{shown} | None]`: "
            "it is None until it is set or loaded"
        )
    if isinstance(target, str):
        resolved = cls if target == cls.__name__ else registry.node_class(target)
        if resolved is None:
            resolved = _visible_name(cls, target)
        if resolved is not None:
            target = resolved
    if isinstance(target, str):
        pass
    elif not (isinstance(target, type) and issubclass(target, Node)):
        raise ModelDefinitionError(
            f"{where}: the relation target must be a Node class, got {target!r}"
        )
    return RelationAttribute(cls, name, rel_type, declaration, target, to_many)
