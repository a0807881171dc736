"""``unwind(rows)``: write plain rows (dicts) as nodes or edges by key, for ingest.

``session.execute(unwind(rows).merge(User))`` writes each row as a ``User`` by its key
(created when missing, its fields set when stored); ``unwind(rows).merge(User.articles,
source="user", target="article")`` writes an edge per row between stored nodes. Rows are
checked like entities (every field validated, unknown names refused) before anything is
sent, and go out in batches of ``batch(size)`` rows, each its own atomic query, through
the same writer a session's flush uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from runic.ogm.exceptions import StatementError

if TYPE_CHECKING:
    from runic.ogm.model.node import Node
    from runic.ogm.model.relations import RelationAttribute

#: Rows per query unless ``batch()`` says otherwise.
BATCH_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class Unwind:
    """Rows to write; ``merge()`` says as what."""

    rows: tuple[Mapping[str, Any], ...]
    target: type[Node] | RelationAttribute[Any] | None = None
    source_key: str = "source"
    target_key: str = "target"
    batch_size: int = BATCH_SIZE

    def merge(
        self,
        target: type[Node] | RelationAttribute[Any],
        *,
        source: str = "source",
        target_key: str = "target",
    ) -> Unwind:
        """Write the rows as nodes of a Node class (by key), or as edges of a relation:
        then each row names the key of its source node under ``source`` and of its target
        under ``target_key``, and its other entries are the edge's fields."""
        from runic.ogm.model.node import Node
        from runic.ogm.model.relations import RelationAttribute

        if isinstance(target, RelationAttribute):
            if source == target_key:
                raise StatementError("unwind().merge(): source and target_key must differ")
            return replace(self, target=target, source_key=source, target_key=target_key)
        if isinstance(target, type) and issubclass(target, Node):
            if target.__runic__.abstract:
                raise StatementError(f"unwind().merge(): {target.__name__} is abstract")
            return replace(self, target=target)
        raise StatementError(
            f"unwind().merge() takes a Node class or a relation such as User.articles, "
            f"got {target!r}"
        )

    def batch(self, size: int) -> Unwind:
        """At most ``size`` rows per query (10,000 by default)."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise StatementError(f"unwind().batch() takes a positive int, got {size!r}")
        return replace(self, batch_size=size)


def unwind(rows: Iterable[Mapping[str, Any]]) -> Unwind:
    """Plain rows to write by key: ``session.execute(unwind(rows).merge(User))``."""
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Iterable):
        raise StatementError(f"unwind() takes an iterable of dicts, got {type(rows).__name__}")
    collected = tuple(rows)
    for index, row in enumerate(collected):
        if not isinstance(row, Mapping):
            raise StatementError(f"unwind(): row {index} is a {type(row).__name__}, not a dict")
    return Unwind(collected)
