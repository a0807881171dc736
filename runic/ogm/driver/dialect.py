"""Dialects: what differs between Cypher backends, kept out of the compiler's logic."""

from __future__ import annotations


class Dialect:
    """openCypher as most backends speak it; subclasses override what differs."""

    name = "cypher"

    def vector_value(self, expression: str) -> str:
        """How to store a list of floats as the backend's vector type."""
        return expression

    def point_value(self, expression: str) -> str:
        """How to store a ``{latitude, longitude}`` map as the backend's point type."""
        return f"point({expression})"


class FalkorDBDialect(Dialect):
    name = "falkordb"

    def vector_value(self, expression: str) -> str:
        return f"vecf32({expression})"


FALKORDB = FalkorDBDialect()
