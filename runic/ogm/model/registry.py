"""The class registry: which Node class serves a label set, which Edge class a type.

Reads use it to return the most specific class for a node's labels; relations use it
to resolve targets named by string. Resolution is lazy (``configure()``) so models may
refer to classes defined later in the same or another module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runic.ogm.exceptions import ModelDefinitionError

if TYPE_CHECKING:
    from runic.ogm.model.edge import Edge
    from runic.ogm.model.node import Node
    from runic.ogm.model.relations import RelationAttribute


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class Registry:
    def __init__(self) -> None:
        self._nodes: dict[frozenset[str], type[Node]] = {}
        self._names: dict[str, dict[str, type[Node]]] = {}
        self._edges: dict[str, type[Edge]] = {}
        self._unresolved: list[RelationAttribute[Any]] = []
        self._class_cache: dict[frozenset[str] | tuple[str, ...], type[Node] | None] = {}

    def register_node(self, cls: type[Node]) -> None:
        labels = frozenset(cls.__runic__.labels)
        existing = self._nodes.get(labels)
        if existing is not None and _qualified(existing) != _qualified(cls):
            raise ModelDefinitionError(
                f"{cls.__name__}: labels {sorted(labels)} are already used by "
                f"{_qualified(existing)}; give one of them label=..."
            )
        self._nodes[labels] = cls
        self._names.setdefault(cls.__name__, {})[_qualified(cls)] = cls
        self._class_cache.clear()
        for relation in cls.__runic__.relations.values():
            if relation.unresolved_name is not None:
                self._unresolved.append(relation)
        # Earlier relations may have been waiting for this class.
        self._resolve(strict=False)

    def register_edge(self, cls: type[Edge]) -> None:
        edge_type = cls.__runic__.edge_type
        assert edge_type is not None
        existing = self._edges.get(edge_type)
        if existing is not None and _qualified(existing) != _qualified(cls):
            raise ModelDefinitionError(
                f"{cls.__name__}: edge type {edge_type!r} is already used by {_qualified(existing)}"
            )
        self._edges[edge_type] = cls

    def node_models(self) -> list[type[Node]]:
        """Every registered node class, in registration order."""
        return list(self._nodes.values())

    def node_class(self, name: str) -> type[Node] | None:
        """The Node class with this simple name, if exactly one is registered."""
        candidates = self._names.get(name, {})
        if len(candidates) > 1:
            raise ModelDefinitionError(
                f"the name {name!r} is ambiguous: {', '.join(sorted(candidates))}"
            )
        return next(iter(candidates.values()), None)

    def configure(self) -> None:
        """Resolve every relation target named by string; fail on any that is unknown."""
        if self._unresolved:
            self._resolve(strict=True)

    def _resolve(self, *, strict: bool) -> None:
        waiting: list[RelationAttribute[Any]] = []
        for relation in self._unresolved:
            name = relation.unresolved_name
            if name is None:
                continue
            target = self.node_class(name)
            if target is None:
                waiting.append(relation)
            else:
                relation.resolve(target)
        self._unresolved = waiting
        if strict and waiting:
            relation = waiting[0]
            raise ModelDefinitionError(
                f"{relation.model.__name__}.{relation.name} refers to unknown node class "
                f"{relation.unresolved_name!r}"
            )

    def class_for_labels(self, labels: frozenset[str] | tuple[str, ...]) -> type[Node] | None:
        """The most specific registered class whose labels the node carries.

        Answers are cached by the labels exactly as given (a read passes the same tuple
        shape for every node), so the common case is one dict lookup.
        """
        try:
            return self._class_cache[labels]
        except KeyError:
            pass
        carried = frozenset(labels)
        best: type[Node] | None = None
        best_size = 0
        for label_set, cls in self._nodes.items():
            if len(label_set) > best_size and label_set <= carried:
                best, best_size = cls, len(label_set)
        self._class_cache[labels] = best
        return best

    def edge_class(self, edge_type: str) -> type[Edge] | None:
        return self._edges.get(edge_type)


registry = Registry()
