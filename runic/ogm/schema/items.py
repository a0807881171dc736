"""What the models declare: indexes and constraints as plain, comparable values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Literal

from runic.ogm.model.node import Node
from runic.ogm.model.registry import registry
from runic.ogm.model.types import VectorConverter
from runic.ogm.query.search import index_label

SchemaKind = Literal["index", "unique", "fulltext", "vector"]


@dataclass(frozen=True, slots=True, order=True)
class SchemaItem:
    """One index or constraint on one field (property) of one label."""

    kind: SchemaKind
    label: str
    field: str
    #: Vector indexes: ``(("dimension", 384), ("similarityFunction", "cosine"))``.
    options: tuple[tuple[str, str | int], ...] = ()
    #: The name the backend knows it by, when it names them (read back, not compared).
    name: str = dataclass_field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        """Two items with one key cannot both exist; their options may differ."""
        return (self.kind, self.label, self.field)

    def __str__(self) -> str:
        options = ", ".join(f"{name}={value}" for name, value in self.options)
        return f"{self.kind} {self.label}.{self.field}" + (f" ({options})" if options else "")


def node_models(models: Iterable[type[Node]] | None) -> list[type[Node]]:
    """The models to consider: those given, or every registered concrete node class."""
    if models is None:
        return [
            cls
            for cls in registry.node_models()
            if not cls.__runic__.abstract and cls.__runic__.labels
        ]
    chosen = list(models)
    for model in chosen:
        if not (isinstance(model, type) and issubclass(model, Node)):
            raise TypeError(f"models= takes Node classes, got {model!r}")
    return chosen


def declared_schema(models: Iterable[type[Node]], *, single_label: bool = False) -> set[SchemaItem]:
    """Every index and constraint the models declare, on the label declaring each field.

    A primary key is unique. Each label's items appear once, however many subclasses
    inherit the field. ``single_label``: the backend stores each node under its root
    class's label only (AGE), so every index goes on that label.
    """
    items: set[SchemaItem] = set()
    for model in models:
        info = model.__runic__
        for name, field in info.fields.items():
            label = _root_label(model) if single_label else index_label(model, name)
            declaration = field.declaration
            if declaration.unique or name == info.primary_key:
                items.add(SchemaItem("unique", label, name))
            elif declaration.index:
                items.add(SchemaItem("index", label, name))
            if declaration.fulltext:
                items.add(SchemaItem("fulltext", label, name))
            if isinstance(field.converter, VectorConverter):
                spec = field.converter.spec
                options = (("dimension", spec.dim), ("similarityFunction", spec.similarity))
                items.add(SchemaItem("vector", label, name, options))
    return items


def _root_label(model: type[Node]) -> str:
    """The one label a single-label backend stores ``model``'s nodes under."""
    root = model.__runic__.root or model
    return str((root.__runic__.labels or model.__runic__.labels)[0])
