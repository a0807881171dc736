"""Each model's key is indexed before the first flush that creates its nodes.

A flush checks that no key it creates is stored already (``flush.guard_stages``); that
check is an index lookup with an index on the key, and a scan of the label without
one. So, once per driver and model, runic makes sure the key is indexed, whether or not
``sync_schema`` ran: a range index on FalkorDB (its unique constraint crashes the server
on some strings, see FALKORDB_NOTES.md; FalkorDB runs writes one at a time, so the
check in the flush is enough), and a unique constraint over Bolt, where the server
itself must stop two concurrent transactions from creating one key. Written as an
operation, like schema sync, so both sessions run it.
"""

from __future__ import annotations

from collections.abc import Generator

from runic.ogm.driver.dialect import Dialect
from runic.ogm.driver.records import QueryResult
from runic.ogm.exceptions import DriverError
from runic.ogm.model.node import Node
from runic.ogm.query.compiler import CompiledQuery
from runic.ogm.schema import bolt, falkordb
from runic.ogm.schema.items import SchemaItem


def ensure_key_index(
    dialect: Dialect, model: type[Node]
) -> Generator[CompiledQuery, QueryResult, None]:
    """Index ``model``'s key the backend's way when it is not indexed yet."""
    label, field = model.__runic__.labels[0], model.__runic__.key_field.name
    if dialect.name in ("neo4j", "arcadedb"):
        # IF NOT EXISTS: idempotent, and safe against a concurrent session.
        for query in bolt.create([SchemaItem("unique", label, field)], {}):  # noqa: UP028
            yield query  # (results are sent back, which ``yield from`` a list cannot take)
        return
    if dialect.name != "falkordb":
        return  # no index DDL in Cypher here (AGE, Memgraph): the check scans the label
    item = SchemaItem("index", label, field)
    if item in falkordb.existing((yield falkordb.LIST_INDEXES), QueryResult([], [])):
        return
    create = falkordb.create(item)
    assert isinstance(create, CompiledQuery)
    try:
        yield create
    except DriverError:
        # Another session may have made it a moment ago; anything else is a real failure.
        if item not in falkordb.existing((yield falkordb.LIST_INDEXES), QueryResult([], [])):
            raise
