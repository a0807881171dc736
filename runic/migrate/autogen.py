"""``revision --autogenerate``: the difference between the models and the live graph's
indexes and constraints (``schema_diff``), written as ``op`` calls."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from runic.migrate.errors import MigrationError
from runic.ogm.model.node import Node
from runic.ogm.model.registry import registry
from runic.ogm.schema import SchemaChanges, SchemaItem, declared_schema, falkordb, schema_diff

_CALLS = {
    "index": "index",
    "unique": "unique",
    "fulltext": "fulltext_index",
    "vector": "vector_index",
}


def import_models(modules: Iterable[str], root: Path | None = None) -> list[type[Node]]:
    """The concrete node models the given modules (and their submodules) declare.

    ``root`` (the project's directory, where its settings are) is importable first, as
    Alembic's ``prepend_sys_path`` makes it: the console script's own ``sys.path`` has
    only its install directory.
    """
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    names = list(modules)
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise MigrationError(
                f"autogenerate: cannot import models from {name!r}: {error}"
            ) from error
    return [
        model
        for model in registry.node_models()
        if not model.__runic__.abstract
        and model.__runic__.labels
        and any(model.__module__ == n or model.__module__.startswith(n + ".") for n in names)
    ]


def diff_operations(driver: Any, models: Iterable[type[Node]]) -> tuple[list[str], list[str]]:
    """``(upgrade lines, downgrade lines)`` making the graph's schema match the models."""
    return operation_lines(schema_diff(driver, list(models), drop_extra=True))


def baseline_operations(dialect: Any, models: Iterable[type[Node]]) -> tuple[list[str], list[str]]:
    """Every index and constraint the models declare, as made from an empty graph: the
    revision ``baseline`` writes, and stamps, for a graph that has them already."""
    declared = declared_schema(list(models), single_label=dialect.single_label)
    if dialect.name == "falkordb":
        declared = falkordb.implied(declared)
    return operation_lines(SchemaChanges(created=sorted(declared)))


def operation_lines(changes: SchemaChanges) -> tuple[list[str], list[str]]:
    # An index before the constraint standing on it; undone the other way round.
    created = sorted(changes.created, key=lambda item: item.kind == "unique")
    dropped = sorted(changes.dropped, key=lambda item: item.kind != "unique")
    upgrade = [_call("drop", item) for item in dropped] + [_call("create", i) for i in created]
    downgrade = [_call("drop", item) for item in reversed(created)]
    downgrade += [_call("create", item) for item in reversed(dropped)]
    return upgrade, downgrade


def _call(verb: str, item: SchemaItem) -> str:
    arguments = f"{item.label!r}, {item.field!r}"
    if verb == "create" and item.kind == "vector":
        options = dict(item.options)
        arguments += (
            f", dimension={int(options['dimension'])}, "
            f"similarity={str(options['similarityFunction'])!r}"
        )
    return f"op.{verb}_{_CALLS[item.kind]}({arguments})"
