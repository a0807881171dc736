"""Search statements: a :class:`~runic.ogm.query.statement.Select` whose root nodes
come from a fulltext or vector index, each with a score.

The rest of the statement (``where``, ``traverse``, ``order_by``, ``limit``...) composes
as usual. Scores are read with ``session.search(stmt)``; ``scalars(stmt)`` gives the
entities alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from runic.ogm.exceptions import StatementError
from runic.ogm.query.statement import Select, select
from runic.ogm.values import UnstorableValue, storable_str

if TYPE_CHECKING:  # the model package imports this one: its names are bound at call time
    from runic.ogm.model.fields import FieldAttribute
    from runic.ogm.model.node import Node


@dataclass(frozen=True, slots=True)
class SearchSource:
    """Which index query feeds a search statement's root step."""

    kind: Literal["fulltext", "vector"]
    #: The label the index is declared on (the class that declares the field).
    label: str
    text: str | None = None
    field: str | None = None
    vector: tuple[float, ...] | None = None
    k: int = 10


class SearchHit[T](NamedTuple):
    """One search result: ``for article, score in hits``."""

    entity: T
    score: float


def index_label(model: type[Node], field: str) -> str:
    """The label an index on ``field`` lives on: that of the class declaring the field.

    Subclasses carry their parents' labels, so one index serves a class and its subclasses.
    """
    for cls in reversed(model.__mro__):
        info = getattr(cls, "__runic__", None)
        if info is not None and info.labels and field in info.fields:
            return str(info.labels[-1])
    raise StatementError(f"{model.__name__} has no field {field!r}")  # pragma: no cover


def fulltext_search[T: Node](model: type[T], text: str) -> Select[T]:
    """Nodes of ``model`` whose fulltext-indexed fields match ``text``, best first."""
    _check_model(model, "fulltext_search()")
    fields = [name for name, f in model.__runic__.fields.items() if f.declaration.fulltext]
    if not fields:
        raise StatementError(
            f"fulltext_search(): {model.__name__} has no fulltext index; declare one on a "
            f"text field, e.g. `title: Mapped[str] = Field(fulltext=True)`, and sync the schema"
        )
    if not isinstance(text, str) or not text.strip():
        raise StatementError(f"fulltext_search(): text must be a non-empty str, got {text!r}")
    try:
        text = storable_str(text)
    except UnstorableValue as refused:
        raise StatementError(f"fulltext_search(): text {refused}") from None
    source = SearchSource("fulltext", index_label(model, fields[0]), text=text)
    return replace(select(model), search=source)


def vector_search[T: Node](
    model: type[T], field: FieldAttribute[Any], vector: Sequence[float], k: int = 10
) -> Select[T]:
    """The ``k`` nodes of ``model`` nearest to ``vector`` by ``field``, nearest first."""
    from runic.ogm.model.fields import FieldAttribute
    from runic.ogm.model.types import ConversionError, VectorConverter

    _check_model(model, "vector_search()")
    if not isinstance(field, FieldAttribute) or field.name not in model.__runic__.fields:
        raise StatementError(
            f"vector_search(): field must be a field of {model.__name__} such as "
            f"{model.__name__}.embedding, got {field!r}"
        )
    converter = field.converter
    if not isinstance(converter, VectorConverter):
        vectors = [
            name
            for name, other in model.__runic__.fields.items()
            if isinstance(other.converter, VectorConverter)
        ]
        raise StatementError(
            f"vector_search(): {model.__name__}.{field.name} has no vector index; declare "
            f"it as `{field.name}: Mapped[list[float]] = Field(vector=Vector(dim=...))` and sync "
            f"the schema (vector fields of {model.__name__}: {', '.join(vectors) or 'none'})"
        )
    try:
        values = converter.validate(vector)
    except ConversionError as error:
        raise StatementError(
            f"vector_search(): the query vector for {model.__name__}.{field.name}: {error}"
        ) from None
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise StatementError(f"vector_search(): k must be a positive int, got {k!r}")
    source = SearchSource(
        "vector", index_label(model, field.name), field=field.name, vector=tuple(values), k=k
    )
    return replace(select(model), search=source)


def _check_model(model: Any, method: str) -> None:
    from runic.ogm.model.node import Node

    if not (isinstance(model, type) and issubclass(model, Node)):
        raise StatementError(f"{method} takes a Node class, got {model!r}")
