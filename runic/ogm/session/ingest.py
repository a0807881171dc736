"""The rows of an ``unwind()`` as flush plans: checked like entities, written by the
flush's own writer (so every backend's dialect applies), one plan per batch."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from runic.ogm.exceptions import StatementError
from runic.ogm.model.node import Node
from runic.ogm.model.relations import Direction, RelationAttribute
from runic.ogm.model.storage import to_storage
from runic.ogm.query.ingest import Unwind
from runic.ogm.session.flush import EdgeRow, EdgeShape, FlushPlan, root_model


def node_rows(model: type[Node], rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each row as the stored form of a ``model`` built from it: every field checked,
    defaults filled, unknown names refused; an error says which row."""
    stored = []
    for index, row in enumerate(rows):
        try:
            stored.append(to_storage(model(**row)))
        except Exception as error:
            error.add_note(f"in unwind() row {index}: {dict(row)!r:.200}")
            raise
    return stored


def edge_rows(statement: Unwind) -> tuple[EdgeShape, list[EdgeRow], list[Any], list[Any]]:
    """The edge rows of ``statement`` (start and end keys in stored form, properties),
    and the source and target keys (Python values) that must be stored."""
    relation = statement.target
    assert isinstance(relation, RelationAttribute)
    source_field = relation.model.__runic__.key_field
    target_field = relation.target.__runic__.key_field
    edge = relation.edge
    rows: list[EdgeRow] = []
    sources: list[Any] = []
    targets: list[Any] = []
    for index, row in enumerate(statement.rows):
        try:
            for name in (statement.source_key, statement.target_key):
                if name not in row:
                    raise StatementError(f"the row has no {name!r} (the key of an endpoint)")
            source = source_field.validate(row[statement.source_key])
            target = target_field.validate(row[statement.target_key])
            fields = {
                name: value
                for name, value in row.items()
                if name not in (statement.source_key, statement.target_key)
            }
            if fields and edge is None:
                raise StatementError(
                    f"{relation.model.__name__}.{relation.name} declares no edge class, so a "
                    f"row holds only {statement.source_key!r} and {statement.target_key!r}; "
                    f"got {sorted(fields)}"
                )
            properties = to_storage(edge(**fields)) if edge is not None else None
        except Exception as error:
            error.add_note(f"in unwind() row {index}: {dict(row)!r:.200}")
            raise
        sources.append(source)
        targets.append(target)
        start = source_field.converter.to_db(source)
        end = target_field.converter.to_db(target)
        incoming = relation.declaration.direction is Direction.INCOMING
        rows.append((end, start, properties) if incoming else (start, end, properties))
    start_model, end_model = relation.model, relation.target
    if relation.declaration.direction is Direction.INCOMING:
        start_model, end_model = end_model, start_model
    shape = EdgeShape(relation.type, root_model(start_model), root_model(end_model), edge=edge)
    return shape, rows, sources, targets


def chunks[T](rows: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def node_plan(model: type[Node], rows: Sequence[dict[str, Any]]) -> FlushPlan:
    return FlushPlan(upserts={model: list(rows)})


def edge_plan(shape: EdgeShape, rows: Sequence[EdgeRow]) -> FlushPlan:
    return FlushPlan(merges={shape: list(rows)})
