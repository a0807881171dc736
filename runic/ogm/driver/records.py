"""Neutral result values: what every driver returns, whatever the backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


# Not frozen: frozen dataclasses pay for object.__setattr__ on every one of the
# thousands of records a read builds. Treat them as read-only all the same.
@dataclass(slots=True)
class GraphNode:
    id: Any
    labels: tuple[str, ...]
    properties: dict[str, Any]


@dataclass(slots=True)
class GraphEdge:
    id: Any
    type: str
    start: Any
    end: Any
    properties: dict[str, Any]


@dataclass(slots=True)
class QueryResult:
    """Column names and rows of plain values, GraphNode and GraphEdge."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
