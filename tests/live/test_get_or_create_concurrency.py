"""get_or_create under concurrency, on a graph that does not exist yet (issue 11, item 6).

50 concurrent callers, each in its own AsyncSession over one driver (as an
AsyncConnectionManager shares it), on embedded FalkorDB and on a FalkorDB server.
Before the fix, 2 to 50 callers were told ``created=True``, and on a graph that
concurrent queries brought into existence MERGE itself made several nodes.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from runic.ogm import AsyncSession, Field, Node, select
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver
from runic.ogm.session.flush import CREATED_MARKER, compile_get_or_create
from tests.servers.falkordb_server import FalkorDBServer

CALLERS = 50
ROUNDS = 4
_rounds = itertools.count()


class Signup(Node):
    email: str = Field(primary_key=True)
    name: str
    tags: list[str] = []


async def one_round(handle: Any, name: str) -> tuple[list[bool], list[list[Any]]]:
    """CALLERS concurrent get_or_create calls on a graph named ``name`` that does not exist."""
    driver = AsyncFalkorDBDriver(handle.select_graph(name))

    async def call(number: int) -> bool:
        async with AsyncSession(driver) as session:
            entity, created = await session.get_or_create(
                Signup, {"email": "one@x"}, defaults={"name": f"caller {number}"}
            )
            assert entity.email == "one@x"
            return created

    try:
        created = await asyncio.wait_for(
            asyncio.gather(*(call(number) for number in range(CALLERS))), timeout=60
        )
        async with AsyncSession(driver) as session:
            assert await session.count(select(Signup)) >= 1
        stored = await driver.execute(
            "MATCH (n:Signup) RETURN n.email, n.name, n.`_runic_created`", read_only=True
        )
        return list(created), stored.rows
    finally:
        await driver.close()


def check_rounds(handle: Any, list_graphs: Any) -> None:
    for _ in range(ROUNDS):
        name = f"goc_race_{next(_rounds)}"
        assert name not in list_graphs()
        try:
            created, rows = asyncio.run(one_round(handle, name))
        finally:
            if name in list_graphs():
                handle.select_graph(name).delete()
        assert created.count(True) == 1, f"{created.count(True)} callers were told created=True"
        assert len(rows) == 1, f"{len(rows)} Signup nodes for one key"
        ((email, maker, marker),) = rows
        assert email == "one@x" and maker.startswith("caller ") and marker is None


def test_one_caller_of_fifty_creates_on_embedded_falkordb(falkordb_server: Any) -> None:
    check_rounds(falkordb_server, falkordb_server.list_graphs)


def test_one_caller_of_fifty_creates_on_a_falkordb_server(
    falkordb_tcp_server: FalkorDBServer,
) -> None:
    from falkordb import FalkorDB

    handle = FalkorDB(host="127.0.0.1", port=falkordb_tcp_server.port)
    try:
        check_rounds(handle, handle.list_graphs)
    finally:
        handle.connection.close()


def test_the_created_marker_is_never_stored(graph: Any, driver: FalkorDBDriver) -> None:
    query = compile_get_or_create(
        Signup, {"email": "a@x"}, {"email": "a@x", "name": "A", "tags": []}, driver.dialect
    )
    assert CREATED_MARKER.startswith("_")  # no model can declare a field with this name
    first = driver.execute(query.cypher, query.params)
    second = driver.execute(query.cypher, {**query.params, "props": {"email": "a@x"}})
    assert [first.rows[0][1], second.rows[0][1]] == [True, False]
    assert CREATED_MARKER not in first.rows[0][0].properties
    ((keys,),) = graph.query("MATCH (n:Signup) RETURN keys(n)").result_set
    assert sorted(keys) == ["email", "name", "tags"]


@pytest.mark.parametrize("field", ["email", "name"])
def test_get_or_create_finds_by_any_lookup_field(driver: FalkorDBDriver, field: str) -> None:
    from runic.ogm import Session

    with Session(driver) as session:
        made, created = session.get_or_create(
            Signup, {field: "b@x"}, defaults={"email": "b@x", "name": "b@x"}
        )
        assert created and made.email == "b@x"
    with Session(driver) as session:
        found, created = session.get_or_create(
            Signup, {field: "b@x"}, defaults={"email": "c@x", "name": "c"}
        )
        assert not created and found.email == "b@x"


async def merge_round(handle: Any, name: str) -> int:
    """CALLERS concurrent merge() upserts of one key, on a label the graph does not have."""
    handle.select_graph(name).query("RETURN 0")  # the graph exists: only the label is new
    driver = AsyncFalkorDBDriver(handle.select_graph(name))

    async def call(number: int) -> None:
        async with AsyncSession(driver) as session:
            session.merge(Signup(email="one@x", name=f"caller {number}"))

    try:
        await asyncio.wait_for(asyncio.gather(*(call(n) for n in range(CALLERS))), timeout=60)
        rows = await driver.execute("MATCH (n:Signup) RETURN count(n)", read_only=True)
        return int(rows.rows[0][0])
    finally:
        await driver.close()


def test_fifty_concurrent_merges_of_one_key_make_one_node(falkordb_server: Any) -> None:
    # merge() makes the key index first, as get_or_create does: FalkorDB's MERGE made
    # up to 50 nodes for one key when concurrent queries met a label that did not exist.
    for _ in range(ROUNDS):
        name = f"merge_race_{next(_rounds)}"
        try:
            assert asyncio.run(merge_round(falkordb_server, name)) == 1
        finally:
            if name in falkordb_server.list_graphs():
                falkordb_server.select_graph(name).delete()
