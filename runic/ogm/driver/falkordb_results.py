"""FalkorDB's compact result replies read straight into neutral records.

``GRAPH.QUERY <graph> <query> --compact`` answers ``[header, rows, statistics]`` (or
``[statistics]`` alone), each value a ``[type, value]`` pair whose labels, relationship
types and property keys are ids into the graph's schema. The falkordb client parses that
into its own objects, which :func:`neutral_result` then turns into neutral ones;
:func:`parse_compact` builds the neutral records directly, in one pass.

It reads the value types runic uses most (null, string, integer, boolean, double,
array, map, node, edge). Anything else (paths, points, vectors, temporal values, an
error, an id the schema cache does not know yet) is left to the client: the same reply
goes through the client's own ``QueryResult`` and :func:`neutral_result`, which also
refreshes the schema cache, so the result is always the one the client gives.
"""

from __future__ import annotations

from typing import Any

from falkordb import Edge as _FalkorEdge
from falkordb import Node as _FalkorNode
from falkordb import Path as _FalkorPath
from falkordb.exceptions import SchemaVersionMismatchException
from falkordb.query_result import QueryResult as _ClientResult

from runic.ogm.allocation import allocation_burst
from runic.ogm.driver.records import GraphEdge, GraphNode, QueryResult

# The compact reply's value types (falkordb.query_result.ResultSetScalarTypes).
_NULL = 1
_STRING = 2
_INTEGER = 3
_BOOLEAN = 4
_DOUBLE = 5
_ARRAY = 6
_EDGE = 7
_NODE = 8
_MAP = 10


def neutral(value: Any) -> Any:
    """Turn a client value into a neutral one (GraphNode, GraphEdge, list, dict, scalar)."""
    # The client's objects are discarded after this, so their property dicts are reused.
    if isinstance(value, _FalkorNode):
        return GraphNode(value.id, tuple(value.labels or ()), value.properties)
    if isinstance(value, _FalkorEdge):
        return GraphEdge(
            value.id, value.relation, value.src_node, value.dest_node, value.properties
        )
    if isinstance(value, list):
        return [neutral(item) for item in value]
    if isinstance(value, dict):
        return {key: neutral(item) for key, item in value.items()}
    if isinstance(value, _FalkorPath):
        return [neutral(item) for item in (*value.nodes(), *value.edges())]
    return value


def neutral_result(result: Any) -> QueryResult:
    """The client's parsed result as neutral records."""
    columns = [column[1] for column in result.header]
    result_set = result.result_set
    if len(result_set) == 1:  # one row (a get): no pause to arrange
        return QueryResult(columns, [[neutral(value) for value in result_set[0]]])
    with allocation_burst(len(result_set)):
        rows = [[neutral(value) for value in row] for row in result_set]
    return QueryResult(columns, rows)


class _Unsupported(Exception):
    """A value this module leaves to the client."""


def fast_parse(reply: Any, schema: Any) -> QueryResult | None:
    """The neutral records of a compact ``reply``, or None where the client must read it
    (see the module's docstring). Reads ``schema``'s cached names and never changes it."""
    try:
        if reply.__class__ is not list or not reply:
            return None
        if len(reply) == 1:  # statistics only (a write that returns nothing)
            return None if reply[0].__class__ is not list else QueryResult([], [])
        header, stats = reply[0], reply[-1]
        if header.__class__ is not list or stats.__class__ is not list:
            return None  # an error reply
        columns = [column[1] for column in header]
        for name in columns:
            if name.__class__ is not str:  # a client that does not decode replies
                return None
        if not columns:
            return QueryResult(columns, [])
        records = reply[1]
        if len(records) < 2:
            return QueryResult(columns, _rows(records, schema))
        with allocation_burst(len(records)):
            return QueryResult(columns, _rows(records, schema))
    except Exception:  # _Unsupported, an unknown id (IndexError), anything unexpected
        return None


def _rows(records: list[Any], schema: Any) -> list[list[Any]]:
    labels: list[str] = schema.labels
    relations: list[str] = schema.relationships
    keys: list[str] = schema.properties

    def properties(entries: list[Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, kind, item in entries:
            cls = item.__class__
            if (kind == _STRING and cls is str) or (kind == _INTEGER and cls is int):
                found[keys[key]] = item
            else:
                found[keys[key]] = value(kind, item)
        return found

    def node(item: list[Any]) -> GraphNode:
        ids = item[1]
        names = tuple([labels[label] for label in ids])
        if "" in names:  # the client's Node drops empty labels
            names = tuple([name for name in names if name])
        node_id = item[0]
        return GraphNode(
            node_id if node_id.__class__ is int else int(node_id), names, properties(item[2])
        )

    def value(kind: int, item: Any) -> Any:
        if kind == _NODE:
            return node(item)
        if kind == _STRING:
            if item.__class__ is str:
                return item
            raise _Unsupported
        if kind == _INTEGER:
            return item if item.__class__ is int else int(item)
        if kind == _NULL:
            return None
        if kind == _EDGE:
            edge_id, relation, start, end, entries = item
            return GraphEdge(
                int(edge_id), relations[relation], int(start), int(end), properties(entries)
            )
        if kind == _DOUBLE:
            return float(item)
        if kind == _BOOLEAN:
            return item == "true"
        if kind == _ARRAY:
            return [value(inner[0], inner[1]) for inner in item]
        if kind == _MAP:
            mapping: dict[str, Any] = {}
            for index in range(0, len(item), 2):
                key = item[index]
                if key.__class__ is not str:
                    raise _Unsupported
                inner = item[index + 1]
                mapping[key] = value(inner[0], inner[1])
            return mapping
        raise _Unsupported  # path, point, vector, temporal, unknown

    rows: list[list[Any]] = []
    append = rows.append
    for record in records:
        row = []
        for cell in record:
            kind, item = cell
            if kind == _NODE:
                row.append(node(item))
            else:
                row.append(value(kind, item))
        append(row)
    return rows


def parse_compact(reply: Any, schema: Any) -> QueryResult:
    """The neutral records of a compact ``reply`` to a query on ``schema``'s graph (a
    sync ``falkordb`` schema cache): exactly ``neutral_result`` of the client's parse."""
    result = fast_parse(reply, schema)
    if result is not None:
        return result
    graph = schema.graph
    try:
        client_result = _ClientResult(graph, reply)
    except SchemaVersionMismatchException as error:  # as ``Graph._query`` does
        schema.refresh(error.version)
        raise
    return neutral_result(client_result)


async def parse_compact_async(reply: Any, schema: Any) -> QueryResult:
    """:func:`parse_compact` for a ``falkordb.asyncio`` schema cache, whose refresh is
    awaited: replies the fast path leaves go through the client's async parse."""
    result = fast_parse(reply, schema)
    if result is not None:
        return result
    from falkordb.asyncio.query_result import QueryResult as AsyncClientResult

    graph = schema.graph
    client_result = AsyncClientResult(graph)
    try:
        await client_result.parse(reply)
    except SchemaVersionMismatchException as error:
        await schema.refresh(error.version)
        raise
    return neutral_result(client_result)
