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
    #: ``SET n += <map expression>`` works (AGE only takes literal maps there).
    map_set = True
    #: A node carries one label (AGE): the others are kept as ``_is_<Label>`` markers.
    single_label = False
    #: ``-[:A|B]->``: several relation types in one pattern (``any_of``).
    type_alternatives = True
    #: ``get_or_create`` needs ``OPTIONAL MATCH`` then ``MERGE ... ON CREATE SET``.
    atomic_get_or_create = True
    #: The driver runs each stage of a flush as a statement of its own (AGE).
    separate_stages = False
    #: Match a key by a pattern map as well, ``(n:L {id: $p0}) WHERE n.id = $p0``: AGE
    #: evaluates the map as containment, faster than the comparison when no index serves
    #: either; a GIN index on the properties serves the map, and the key's btree index
    #: the comparison (containment would also match a list by its part: keys only,
    #: which are scalars).
    key_in_pattern = False
    #: Significant digits of the floats the backend returns; None when it returns every
    #: float exactly. Raw ``execute()`` parameters are rounded to them, so what a raw
    #: write stores is what reads back (float fields always keep 15, see runic.ogm.values).
    float_digits: int | None = None

    def vector_value(self, expression: str) -> str:
        """How to store a list of floats as the backend's vector type."""
        return expression

    def point_value(self, expression: str) -> str:
        """How to store a ``{latitude, longitude}`` map as the backend's point type."""
        return f"point({expression})"

    def interned_value(self, expression: str) -> str:
        """How to store a str of an ``interned=True`` field: as it is, unless the backend
        keeps one copy per distinct value."""
        return expression

    def search_call(self, source: SearchSource, parameter: Callable[[Any], str], alias: str) -> str:
        """The index query of a search, yielding its nodes as ``alias`` and ``_score``."""
        raise StatementError(f"{source.kind} search is not supported on this backend ({self.name})")

    def search_best_first(self, source: SearchSource) -> bool:
        """Whether a higher score is a better hit (a similarity) or a worse one (a distance)."""
        return True

    def unsafe_unique_value(self, value: Any) -> str | None:
        """Why ``value`` must not be written to a key or unique property on this backend,
        or None when it is safe; checked before any I/O."""
        return None


#: How FalkorDB's string index (a RediSearch tag field) alters a string: it splits it at
#: U+0001, trims these characters (C ``isspace``; Python's ``str.isspace`` is wider) and
#: keeps at most 4,096 bytes of it.
FALKORDB_TAG_SEPARATOR = "\x01"
FALKORDB_TAG_TRIMMED = " \t\n\v\f\r"
FALKORDB_TAG_MAX_BYTES = 4096


class FalkorDBDialect(Dialect):
    name = "falkordb"
    #: FalkorDB stores doubles but replies with ``%.15g`` (1/3 reads back 0.333333333333333).
    float_digits = 15

    def vector_value(self, expression: str) -> str:
        return f"vecf32({expression})"

    def interned_value(self, expression: str) -> str:
        return f"intern({expression})"

    def search_call(self, source: SearchSource, parameter: Callable[[Any], str], alias: str) -> str:
        label = parameter(source.label)
        if source.kind == "fulltext":
            call = f"CALL db.idx.fulltext.queryNodes({label}, {parameter(source.text)})"
        else:
            field, k = parameter(source.field), parameter(source.k)
            vector = parameter(list(source.vector or ()))
            call = f"CALL db.idx.vector.queryNodes({label}, {field}, {k}, vecf32({vector}))"
        return f"{call} YIELD node AS {alias}, score AS _score"

    def search_best_first(self, source: SearchSource) -> bool:
        return source.kind == "fulltext"  # vector scores are distances

    def unsafe_unique_value(self, value: Any) -> str | None:
        """A string FalkorDB's string index does not keep as given crashes the server.

        The unique-constraint check (``EnforceUniqueEntity``) looks the new value up in
        the constraint's index and reads the first hit without checking there is one. The
        index (a RediSearch tag) splits a string at U+0001, trims ASCII whitespace, drops
        an empty string and cuts it at 4,096 bytes, so for such a value there is no hit
        and redis-server dies with SIGSEGV, on CREATE, SET and MERGE alike. Measured on
        FalkorDB 4.16.3 and 4.22.1: tests/live/test_falkordb_unique_crash.py.
        """
        if not isinstance(value, str):
            return None
        crashes = "FalkorDB's unique-constraint check crashes the server on "
        if not value:
            return crashes + "an empty string"
        if value[0] in FALKORDB_TAG_TRIMMED or value[-1] in FALKORDB_TAG_TRIMMED:
            return crashes + "strings with leading or trailing whitespace"
        if FALKORDB_TAG_SEPARATOR in value:
            return crashes + "strings containing the control character U+0001"
        if (
            len(value) > FALKORDB_TAG_MAX_BYTES // 4
            and len(value.encode("utf-8", "surrogatepass")) > FALKORDB_TAG_MAX_BYTES
        ):
            return crashes + f"strings longer than {FALKORDB_TAG_MAX_BYTES:,} bytes (UTF-8)"
        return None


def index_name(source: SearchSource) -> str:
    """The name runic gives a search index on backends that name them."""
    if source.kind == "fulltext":
        return f"runic_fulltext_{source.label}"
    return f"runic_vector_{source.label}_{source.field}"


class Neo4jDialect(Dialect):
    """Neo4j 5: named fulltext and vector indexes queried through ``db.index.*``."""

    name = "neo4j"

    def search_call(self, source: SearchSource, parameter: Callable[[Any], str], alias: str) -> str:
        index = parameter(index_name(source))
        if source.kind == "fulltext":
            call = f"CALL db.index.fulltext.queryNodes({index}, {parameter(source.text)})"
        else:
            k = parameter(source.k)
            vector = parameter(list(source.vector or ()))
            call = f"CALL db.index.vector.queryNodes({index}, {k}, {vector})"
        return f"{call} YIELD node AS {alias}, score AS _score"


class MemgraphDialect(Dialect):
    """Memgraph: text and vector search through its ``text_search``/``vector_search``
    procedures."""

    name = "memgraph"

    def search_call(self, source: SearchSource, parameter: Callable[[Any], str], alias: str) -> str:
        index = parameter(index_name(source))
        if source.kind == "fulltext":
            call = f"CALL text_search.search({index}, {parameter(source.text)})"
            return f"{call} YIELD node AS {alias}, score AS _score"
        k = parameter(source.k)
        vector = parameter(list(source.vector or ()))
        call = f"CALL vector_search.search({index}, {k}, {vector})"
        return f"{call} YIELD node AS {alias}, similarity AS _score"


class ArcadeDBDialect(Dialect):
    """ArcadeDB over Bolt: it answers as Neo4j 5, without Neo4j's search procedures."""

    name = "arcadedb"


class AGEDialect(Dialect):
    """Apache AGE: one label per vertex, and no ``SET n += map`` from an expression."""

    name = "age"
    map_set = False
    single_label = True
    type_alternatives = False
    atomic_get_or_create = False
    separate_stages = True
    key_in_pattern = True
    marker = "_is_"

    def labels_of(self, label: str, properties: dict[str, Any]) -> tuple[str, ...]:
        """A vertex's labels: its own plus its markers (which leave its properties)."""
        extra = [key for key in properties if key.startswith(self.marker)]
        for key in extra:
            del properties[key]
        return (label, *(key[len(self.marker) :] for key in extra))


FALKORDB = FalkorDBDialect()
AGE = AGEDialect()
NEO4J = Neo4jDialect()
MEMGRAPH = MemgraphDialect()
ARCADEDB = ArcadeDBDialect()
DIALECTS: dict[str, Dialect] = {
    dialect.name: dialect for dialect in (FALKORDB, NEO4J, MEMGRAPH, ARCADEDB, AGE)
}
