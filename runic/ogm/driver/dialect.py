"""Dialects: what differs between Cypher backends, kept out of the compiler's logic."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runic.ogm.exceptions import StatementError

if TYPE_CHECKING:
    from runic.ogm.query.search import SearchSource


class Dialect:
    """openCypher as most backends speak it; subclasses override what differs."""

    name = "cypher"

    def vector_value(self, expression: str) -> str:
        """How to store a list of floats as the backend's vector type."""
        return expression

    def point_value(self, expression: str) -> str:
        """How to store a ``{latitude, longitude}`` map as the backend's point type."""
        return f"point({expression})"

    def search_call(self, source: SearchSource, parameter: Callable[[Any], str]) -> str:
        """The ``CALL`` of an index query that yields ``node`` and ``score``."""
        raise StatementError(f"{source.kind} search is not supported on this backend ({self.name})")


class FalkorDBDialect(Dialect):
    name = "falkordb"

    def vector_value(self, expression: str) -> str:
        return f"vecf32({expression})"

    def search_call(self, source: SearchSource, parameter: Callable[[Any], str]) -> str:
        label = parameter(source.label)
        if source.kind == "fulltext":
            return f"CALL db.idx.fulltext.queryNodes({label}, {parameter(source.text)})"
        field, k = parameter(source.field), parameter(source.k)
        vector = parameter(list(source.vector or ()))
        return f"CALL db.idx.vector.queryNodes({label}, {field}, {k}, vecf32({vector}))"


FALKORDB = FalkorDBDialect()
