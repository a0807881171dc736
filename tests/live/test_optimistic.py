"""Optimistic concurrency and one node per key, on every live backend.

Lost updates become StaleDataError (nothing written), the retry helper turns
read-modify-write code into exact results under concurrency, and two sessions adding
one key leave one node and a clear error, whether or not the schema was synced.
"""

from __future__ import annotations

import asyncio
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from runic.ogm import (
    AsyncConnectionManager,
    AsyncSession,
    Field,
    Node,
    Session,
    run_in_transaction,
    update,
)
from runic.ogm.exceptions import ConstraintViolationError, StaleDataError
from runic.ogm.session.retry import Backoff
from tests.backends import Backend


class Counter(Node):
    id: str
    value: int = 0
    version: int = Field(version=True)


class Account(Node):
    id: str
    balance: int
    version: int = Field(version=True)


INCREMENTS = 200
ACCOUNTS = 10
TRANSFERS = 200
#: Hot keys: many attempts, short waits (bounded: at most this many tries per call).
PATIENT = {"retries": 60, "backoff": Backoff(first=0.002, cap=0.05)}


def stored(backend: Backend, label: str) -> list[list[Any]]:
    return backend.rows(f"MATCH (n:{label}) RETURN n.id, n.value, n.version ORDER BY n.id")


def test_a_stale_update_raises_and_writes_nothing(backend: Backend) -> None:
    driver = backend.driver
    with Session(driver) as session:
        session.add_all([Counter(id="c"), Counter(id="d")])
    first, second = Session(driver), Session(driver)
    mine, theirs = first.get(Counter, "c"), second.get(Counter, "c")
    other = second.get(Counter, "d")
    mine.value = 10
    first.commit()
    assert mine.version == 2
    theirs.value = 20
    other.value = 30  # in the same flush: not written either
    with pytest.raises(StaleDataError, match=r"Counter 'c' is stale: .* read version 1") as caught:
        second.commit()
    assert (caught.value.entity, caught.value.key) == (theirs, "c")
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert stored(backend, "Counter") == [["c", 10, 2], ["d", 0, 1]]
    assert theirs.value == 20 and theirs.version == 1  # still pending in the session
    second.refresh(theirs)  # or a new session: read what is stored now
    assert (theirs.value, theirs.version) == (10, 2)
    theirs.value += 1
    second.commit()
    assert stored(backend, "Counter")[0] == ["c", 11, 3]


def test_a_stale_delete_raises_and_deletes_nothing(backend: Backend) -> None:
    driver = backend.driver
    with Session(driver) as session:
        session.add(Counter(id="c"))
    first, second = Session(driver), Session(driver)
    first.get(Counter, "c").value = 5
    doomed = second.get(Counter, "c")
    first.commit()
    second.delete(doomed)
    with pytest.raises(StaleDataError, match="graph holds version 2"):
        second.commit()
    assert stored(backend, "Counter") == [["c", 5, 2]]


def test_an_update_of_a_deleted_node_is_stale(backend: Backend) -> None:
    driver = backend.driver
    with Session(driver) as session:
        session.add(Counter(id="c"))
    first, second = Session(driver), Session(driver)
    first.delete(first.get(Counter, "c"))
    survivor = second.get(Counter, "c")
    first.commit()
    survivor.value = 1
    with pytest.raises(StaleDataError, match="deleted since") as caught:
        second.commit()
    assert caught.value.actual is None
    assert stored(backend, "Counter") == []


def test_a_bulk_update_moves_the_version_on(backend: Backend) -> None:
    driver = backend.driver
    with Session(driver) as session:
        session.add(Counter(id="c"))
    reader = Session(driver)
    held = reader.get(Counter, "c")
    with Session(driver) as session:
        session.execute(update(Counter).values(value=Counter.value + 1))
    held.value = 100
    with pytest.raises(StaleDataError):
        reader.commit()
    assert stored(backend, "Counter") == [["c", 1, 2]]


def test_two_sessions_adding_one_key_leave_one_node(backend: Backend) -> None:
    driver = backend.driver
    first, second = Session(driver), Session(driver)
    first.add(Counter(id="k", value=1))
    second.add(Counter(id="k", value=2))
    first.commit()
    with pytest.raises(
        ConstraintViolationError, match=r"a Counter with id='k' is stored"
    ) as caught:
        second.commit()
    assert caught.value.field == "id" and caught.value.entity.value == 2
    assert stored(backend, "Counter") == [["k", 1, 1]]


def increment(session: Session) -> None:
    counter = session.get(Counter, "c")
    assert counter is not None
    counter.value += 1


def test_concurrent_increments_through_the_retry_helper_are_exact(backend: Backend) -> None:
    driver = backend.driver
    with Session(driver) as session:
        session.add(Counter(id="c"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        calls = [
            pool.submit(run_in_transaction, lambda: Session(driver), increment, **PATIENT)
            for _ in range(INCREMENTS)
        ]
        for call in calls:
            call.result(timeout=120)
    assert stored(backend, "Counter") == [["c", INCREMENTS, INCREMENTS + 1]]


def test_concurrent_transfers_conserve_the_total(backend: Backend) -> None:
    driver = backend.driver
    with Session(driver) as session:
        session.add_all(Account(id=f"a{i}", balance=100) for i in range(ACCOUNTS))
    chooser = random.Random(7)
    lock = threading.Lock()

    def transfer(session: Session) -> None:
        with lock:
            source, target = chooser.sample(range(ACCOUNTS), 2)
            amount = chooser.randint(1, 30)
        debit = session.get(Account, f"a{source}")
        credit = session.get(Account, f"a{target}")
        assert debit is not None and credit is not None
        debit.balance -= amount
        credit.balance += amount

    with ThreadPoolExecutor(max_workers=8) as pool:
        calls = [
            pool.submit(run_in_transaction, lambda: Session(driver), transfer, **PATIENT)
            for _ in range(TRANSFERS)
        ]
        for call in calls:
            call.result(timeout=120)
    rows = backend.rows("MATCH (a:Account) RETURN sum(a.balance), sum(a.version)")
    assert rows == [[ACCOUNTS * 100, ACCOUNTS + 2 * TRANSFERS]]


@pytest.mark.asyncio
async def test_async_increments_on_one_manager_are_exact(graph: Any) -> None:
    """The issue's service: a manager at startup, a session per request, 200 at once."""
    manager = AsyncConnectionManager(graph)
    try:
        async with manager.session() as session:
            session.add(Counter(id="c"))

        async def work(session: AsyncSession) -> None:
            counter = await session.get(Counter, "c")
            assert counter is not None
            counter.value += 1

        await asyncio.wait_for(
            asyncio.gather(
                *(manager.run_in_transaction(work, **PATIENT) for _ in range(INCREMENTS))
            ),
            timeout=120,
        )
        async with manager.session() as session:
            counter = await session.get(Counter, "c")
            assert counter is not None and (counter.value, counter.version) == (
                INCREMENTS,
                INCREMENTS + 1,
            )
    finally:
        await manager.close()


@pytest.mark.asyncio
async def test_without_retries_a_lost_race_is_an_error_never_a_lost_update(graph: Any) -> None:
    manager = AsyncConnectionManager(graph)
    try:
        async with manager.session() as session:
            session.add(Counter(id="c"))

        async def work(session: AsyncSession) -> None:
            counter = await session.get(Counter, "c")
            assert counter is not None
            await asyncio.sleep(0)  # let the others read the same version
            counter.value += 1

        outcomes = await asyncio.gather(
            *(manager.run_in_transaction(work, retries=0) for _ in range(50)),
            return_exceptions=True,
        )
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        assert failures and all(isinstance(f, StaleDataError) for f in failures)
        assert "gave up after 1 attempts" in str(failures[0].__notes__)
        async with manager.session() as session:
            counter = await session.get(Counter, "c")
            assert counter is not None and counter.value == 50 - len(failures)
    finally:
        await manager.close()


def test_a_node_stored_without_a_version_is_refused_until_backfilled(backend: Backend) -> None:
    backend.driver.execute("CREATE (:Counter {id: 'old', value: 3})")
    session = Session(backend.driver)
    old = session.get(Counter, "old")
    assert old is not None and old.version == 1  # the field's default
    old.value = 4
    with pytest.raises(StaleDataError, match="no version property .* backfill it"):
        session.commit()
    with Session(backend.driver) as bulk:
        bulk.execute(update(Counter).values(version=1))
    with Session(backend.driver) as fresh:
        again = fresh.get(Counter, "old")
        assert again is not None
        again.value = 4
    assert stored(backend, "Counter") == [["old", 4, 2]]


def test_concurrent_sessions_adding_one_key_make_one_node(backend: Backend) -> None:
    driver = backend.driver
    start = threading.Barrier(8, timeout=30)

    def add(number: int) -> str:
        session = Session(driver)
        session.add(Counter(id="same", value=number))
        start.wait()
        try:
            session.commit()
        except ConstraintViolationError:
            return "refused"
        return "stored"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(add, range(8), timeout=120))
    assert outcomes == ["refused"] * 7 + ["stored"]
    assert backend.rows("MATCH (n:Counter) RETURN count(n)") == [[1]]
