"""Docs sections "Async on every backend" and "Transactions across flushes": the blocks
run through the async drivers of FalkorDB, ArcadeDB and AGE."""

from __future__ import annotations

import pytest

from runic.ogm.driver.age_async import AsyncAGEDriver
from runic.ogm.driver.bolt_async import AsyncBoltDriver
from runic.ogm.exceptions import TransactionError
from tests.backends import Backend
from tests.live.async_guide.blocks import EVERY_BACKEND, TRANSACTION, docs_block, namespace, run
from tests.models import User

BACKEND_MODES = ("async",)


@pytest.mark.asyncio
async def test_the_drivers_block_makes_each_async_driver_without_connecting() -> None:
    scope = await run(docs_block(EVERY_BACKEND), namespace())
    age, arcadedb, neo4j = scope["age"], scope["arcadedb"], scope["neo4j"]
    assert isinstance(age, AsyncAGEDriver) and age.graph == "social"
    assert isinstance(arcadedb, AsyncBoltDriver) and arcadedb.dialect.name == "arcadedb"
    assert isinstance(neo4j, AsyncBoltDriver) and neo4j.dialect.name == "neo4j"
    for driver in (age, arcadedb, neo4j):
        await driver.close()


def test_the_transaction_block(backend: Backend) -> None:
    assert backend.loop is not None
    with backend.session() as session:
        session.add(User(id="alice", name="Alice", email="alice@example.com", city="Berlin"))
    scope = namespace(driver=backend.async_driver)
    if backend.name == "falkordb":
        with pytest.raises(TransactionError, match="FalkorDB has no transaction across"):
            backend.loop.run(run(docs_block(TRANSACTION), scope))
        assert backend.rows("MATCH (u:User) RETURN u.city") == [["Berlin"]]
        return
    backend.loop.run(run(docs_block(TRANSACTION), scope))
    assert scope["movers"] == 1  # the block read its own flushed write
    rows = backend.rows("MATCH (u:User) RETURN u.id, u.city ORDER BY u.id")
    assert rows == [["alice", "Lisbon"], ["bob", "Lisbon"]]

    last_line = 'email="bob@example.com", city="Lisbon"))'
    failing = (
        docs_block(TRANSACTION)
        .replace(last_line, f'{last_line}\n        raise KeyError("the block fails")')
        .replace('id="bob"', 'id="cy"')
        .replace('city = "Lisbon"', 'city = "Oslo"')
    )
    assert "KeyError" in failing and "Oslo" in failing
    with pytest.raises(KeyError):
        backend.loop.run(run(failing, namespace(driver=backend.async_driver)))
    assert backend.rows("MATCH (u:User) RETURN u.id, u.city ORDER BY u.id") == rows
