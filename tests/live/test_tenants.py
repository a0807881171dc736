"""A graph per tenant through one connection manager (``session(graph=...)``), on
embedded FalkorDB: the tenants' graphs are apart, and share the manager's connections."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from runic.ogm import AsyncConnectionManager, ConnectionManager, Field, Node, select
from runic.ogm.session import connection_pool


class Lodger(Node):
    id: str = Field(primary_key=True)


def names(session: Any) -> list[str]:
    return sorted(lodger.id for lodger in session.scalars(select(Lodger)))


def test_sessions_of_each_tenant_see_their_graph_only(falkordb_server: Any, graph: Any) -> None:
    manager = ConnectionManager(graph)
    tenants = [f"{graph.name}_t{number}" for number in range(3)]
    try:
        for tenant in tenants:
            with manager.session(graph=tenant) as session:
                session.add(Lodger(id=tenant))
        for tenant in tenants:
            with manager.session(graph=tenant) as session:
                assert names(session) == [tenant]
                # The manager's connections, not new ones.
                assert session.driver._lane is manager.driver._lane
        with manager.session() as session:
            assert names(session) == []
        assert manager.run_in_transaction(names, graph=tenants[1]) == [tenants[1]]
    finally:
        manager.close()
        for tenant in tenants:
            falkordb_server.select_graph(tenant).delete()


def test_async_sessions_of_each_tenant_see_their_graph_only(
    falkordb_server: Any, graph: Any
) -> None:
    tenants = [f"{graph.name}_a{number}" for number in range(4)]

    async def main() -> None:
        manager = AsyncConnectionManager(graph)
        try:

            async def move_in(tenant: str) -> None:
                async with manager.session(graph=tenant) as session:
                    session.add(Lodger(id=tenant))

            await asyncio.gather(*(move_in(tenant) for tenant in tenants))
            for tenant in tenants:
                async with manager.session(graph=tenant) as session:
                    found = sorted(x.id for x in await session.scalars(select(Lodger)))
                    assert found == [tenant]
        finally:
            await manager.close()

    try:
        asyncio.run(main())
    finally:
        for tenant in tenants:
            falkordb_server.select_graph(tenant).delete()


def test_a_manager_keeps_a_bounded_number_of_tenant_drivers(
    graph: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection_pool, "GRAPH_DRIVERS", 2)
    manager = ConnectionManager(graph)
    try:
        first = manager.session(graph="g1").driver
        manager.session(graph="g2")
        assert manager.session(graph="g1").driver is first  # kept, and now the newest
        manager.session(graph="g3")  # g2 goes, the least recently used
        assert manager.session(graph="g1").driver is first
        assert len(manager._graphs._made) == 2
        with pytest.raises(ValueError, match="a graph name is a non-empty string"):
            manager.session(graph="")
    finally:
        manager.close()


def test_a_graph_per_tenant_needs_a_falkordb_driver(age_driver: Any) -> None:
    manager = ConnectionManager(age_driver)
    with pytest.raises(TypeError, match="serves one graph"):
        manager.session(graph="tenant")
