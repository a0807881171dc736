"""Sessions used by several tasks or threads at once, on embedded FalkorDB.

An AsyncSession keeps what another task stages while a flush is in flight, and refuses
another task's query, rollback or close then. A sync Session refuses a second thread
while one is inside it. Either way, nothing acknowledged is lost.

The drivers below are thin wrappers that delegate every query to the real driver: one
marks when a write is under way (and can hold it there, to stage something during the
flight deterministically), the other sleeps a millisecond per query so that threads
really collide.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest

from runic.ogm import AsyncSession, Session, select
from runic.ogm.driver.records import QueryResult
from runic.ogm.exceptions import ConstraintViolationError
from runic.ogm.session.ownership import SessionInUseError
from tests.falkordb_helpers import unique_constraint
from tests.models import Article, User

BOUND = 60  # seconds any wait in this module may take


def user(key: str, **values: Any) -> User:
    return User(id=key, name=values.pop("name", key.upper()), email=f"{key}@x.org", **values)


def stored(graph: Any, label: str = "User") -> tuple[int, int]:
    """(nodes, distinct keys) of ``label`` in the graph, read with the raw client."""
    rows = graph.ro_query(f"MATCH (n:{label}) RETURN count(n), count(DISTINCT n.id)").result_set
    return int(rows[0][0]), int(rows[0][1])


def stored_ids(graph: Any) -> set[str]:
    return {row[0] for row in graph.ro_query("MATCH (n:User) RETURN n.id").result_set}


def is_flush(cypher: str, read_only: bool) -> bool:
    """A flush's write (its ``UNWIND $rows`` batches), not a read or index DDL."""
    return not read_only and "UNWIND $" in cypher


class FlightDriver:
    """The real async driver, plus: ``started`` is set when a flush's query is sent, and
    ``hold()`` keeps the next one waiting (before it is sent) until ``land()``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.dialect = inner.dialect
        self.started = asyncio.Event()
        self.flushes = 0
        self._gate: asyncio.Event | None = None
        self._holding: asyncio.Event | None = None

    def hold(self) -> None:
        self.started.clear()
        self._gate = self._holding = asyncio.Event()

    def land(self) -> None:
        assert self._holding is not None and self._gate is None, "nothing is held"
        self._holding.set()

    async def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        if is_flush(cypher, read_only):
            self.flushes += 1
            self.started.set()
            gate, self._gate = self._gate, None
            if gate is not None:
                await asyncio.wait_for(gate.wait(), BOUND)
        result: QueryResult = await self.inner.execute(cypher, params, read_only=read_only)
        return result

    async def close(self) -> None:
        await self.inner.close()


async def in_flight(session: AsyncSession, driver: FlightDriver) -> asyncio.Task[None]:
    """Start ``session.commit()`` in another task; return once its flush query is sent."""
    driver.started.clear()
    commit = asyncio.create_task(session.commit())
    await asyncio.wait_for(driver.started.wait(), BOUND)
    assert not commit.done()
    return commit


# -- AsyncSession: staging during another task's flush ---------------------------------


@pytest.mark.asyncio
async def test_adds_during_a_commit_in_flight_are_kept_for_the_next(
    async_driver: Any, graph: Any
) -> None:
    driver = FlightDriver(async_driver)
    session = AsyncSession(driver)
    session.add_all(user(f"a{i}") for i in range(1_000))
    commit = await in_flight(session, driver)  # the real query is on its way to the server
    session.add_all(user(f"b{i}") for i in range(50))
    assert not commit.done(), "the adds must happen while the commit is in flight"
    await asyncio.wait_for(commit, BOUND)
    assert stored(graph) == (1_000, 1_000)  # the commit wrote what it planned, no more
    await session.commit()
    assert stored(graph) == (1_050, 1_050)  # all of them, each exactly once
    await session.commit()  # nothing left pending: sends nothing
    assert driver.flushes == 2
    assert await session.count(select(User)) == 1_050


@pytest.mark.asyncio
async def test_deletes_during_a_commit_in_flight_are_kept_for_the_next(
    async_driver: Any, graph: Any
) -> None:
    graph.query(
        "UNWIND range(0, 999) AS i CREATE (:User {id: 'u' + toString(i), name: 'U', "
        "email: toString(i) + '@x.org'})"
    )
    driver = FlightDriver(async_driver)
    session = AsyncSession(driver)
    users = await session.scalars(select(User))
    assert len(users) == 1_000
    for entity in users[:500]:
        session.delete(entity)
    commit = await in_flight(session, driver)
    for entity in users[500:]:
        session.delete(entity)
    assert not commit.done()
    await asyncio.wait_for(commit, BOUND)
    assert stored(graph) == (500, 500)
    await session.commit()
    assert stored(graph) == (0, 0)
    assert await session.get(User, "u999") is None


@pytest.mark.asyncio
async def test_staging_during_a_held_flight_edge_cases(async_driver: Any, graph: Any) -> None:
    graph.query(
        "UNWIND ['old', 'gone', 'merged', 'kept'] AS k "
        "CREATE (:User {id: k, name: 'Stored', email: k + '@x.org'})"
    )
    driver = FlightDriver(async_driver)
    session = AsyncSession(driver)
    old = await session.get(User, "old")
    gone = await session.get(User, "gone")
    merged = await session.get(User, "merged")
    kept = await session.get(User, "kept")
    created = user("created")
    doomed = user("doomed")
    session.add_all([created, doomed])
    session.delete(old)  # deleted in the plan, added back during the flight
    session.delete(gone)  # deleted in the plan, stays deleted
    session.delete(merged)  # deleted in the plan, merged back during the flight
    kept.name = "Before"

    driver.hold()
    commit = await in_flight(session, driver)
    session.delete(doomed)  # created by the flight: must be deleted after it
    session.add(old)
    old.name = "Back"
    back = session.merge(User(id="merged", name="Merged", email="merged@x.org"))
    assert back is merged
    assert session.merge(user("created", name="Renamed")) is created  # values onto the held
    fresh = session.merge(user("fresh"))
    kept.name = "During"  # a field change during the flight
    await session.relate(kept, User.articles, Article(id="art", title="T"))
    other = asyncio.current_task()
    for refused in (
        session.rollback(),
        session.close(),
        session.get(User, "kept"),
        session.scalars(select(User)),
        session.flush(),
    ):
        with pytest.raises(SessionInUseError, match="another task") as error:
            await refused
        assert isinstance(error.value, RuntimeError)
    assert asyncio.current_task() is other
    driver.land()
    await asyncio.wait_for(commit, BOUND)

    # What the flight planned is stored, and nothing else.
    assert stored_ids(graph) == {"created", "doomed", "kept"}
    await session.commit()
    assert stored_ids(graph) == {"created", "fresh", "kept", "merged", "old"}
    rows = dict(graph.ro_query("MATCH (n:User) RETURN n.id, n.name").result_set)
    assert rows == {
        "created": "Renamed",
        "fresh": "FRESH",
        "kept": "During",
        "merged": "Merged",
        "old": "Back",
    }
    assert stored(graph, "Article") == (1, 1)
    edges = graph.ro_query("MATCH (:User {id: 'kept'})-[:WROTE]->(a) RETURN a.id").result_set
    assert edges == [["art"]]
    assert fresh.id == "fresh"
    await session.commit()
    assert driver.flushes == 2  # nothing left pending
    # The session still works, and holds what it should.
    assert await session.get(User, "doomed") is None
    assert (await session.get(User, "old")) is old
    await session.close()


@pytest.mark.asyncio
async def test_a_failed_flight_leaves_staging_as_if_it_never_started(
    async_driver: Any, graph: Any
) -> None:
    unique_constraint(graph, "User", "email")
    graph.query("CREATE (:User {id: 'owner', name: 'Owner', email: 'taken@x.org'})")
    driver = FlightDriver(async_driver)
    session = AsyncSession(driver)
    created = user("created")
    clash = User(id="clash", name="Clash", email="taken@x.org")
    session.add_all([created, clash])
    driver.hold()
    commit = await in_flight(session, driver)
    session.delete(created)  # the flight would create it: for now, delete by key
    late = user("late")
    session.add(late)
    driver.land()
    with pytest.raises(ConstraintViolationError):
        await asyncio.wait_for(commit, BOUND)
    # Nothing was stored, so the delete forgets `created`, as before any flush...
    assert stored_ids(graph) == {"owner"}
    # ...and must not turn into a delete by key of a node someone else stores meanwhile.
    graph.query("CREATE (:User {id: 'created', name: 'Theirs', email: 'theirs@x.org'})")
    session.delete(clash)
    flushes = driver.flushes
    await session.commit()  # creates `late`, and nothing else
    assert driver.flushes == flushes + 1
    assert stored_ids(graph) == {"owner", "late", "created"}
    theirs = await session.get(User, "created")
    assert theirs is not None and theirs is not created and theirs.name == "Theirs"


@pytest.mark.asyncio
async def test_deleted_then_added_during_a_failed_flight_is_still_created(
    async_driver: Any, graph: Any
) -> None:
    unique_constraint(graph, "User", "email")
    graph.query("CREATE (:User {id: 'owner', name: 'Owner', email: 'taken@x.org'})")
    driver = FlightDriver(async_driver)
    session = AsyncSession(driver)
    created = user("created")
    clash = User(id="clash", name="Clash", email="taken@x.org")
    session.add_all([created, clash])
    driver.hold()
    commit = await in_flight(session, driver)
    session.delete(created)
    session.add(created)  # changed their mind, still during the flight
    driver.land()
    with pytest.raises(ConstraintViolationError):
        await asyncio.wait_for(commit, BOUND)
    session.expunge(clash)
    await session.commit()
    assert stored_ids(graph) == {"owner", "created"}


# -- sync Session: one thread at a time ---------------------------------------------------


class SlowDriver:
    """The real sync driver, a millisecond slower per query (threads then collide), and
    able to hold the next query until released."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.dialect = inner.dialect
        self.held = threading.Event()
        self.release = threading.Event()
        self.hold_next = False

    def execute(
        self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = False
    ) -> QueryResult:
        if self.hold_next:
            self.hold_next = False
            self.held.set()
            assert self.release.wait(BOUND)
        time.sleep(0.001)
        result: QueryResult = self.inner.execute(cypher, params, read_only=read_only)
        return result

    def close(self) -> None:
        self.inner.close()


def test_a_session_shared_by_eight_threads_loses_nothing(driver: Any, graph: Any) -> None:
    session = Session(SlowDriver(driver))
    acknowledged: list[str] = []  # add() returned: staged
    committed: list[str] = []  # add() and then commit() returned
    refused: list[str] = []  # add() raised SessionInUseError: never staged
    unexpected: list[BaseException] = []
    refused_calls = 0
    start = threading.Barrier(8, timeout=BOUND)
    lock = threading.Lock()

    def worker(thread: int) -> None:
        nonlocal refused_calls
        start.wait()
        for i in range(25):
            key = f"t{thread}-{i}"
            try:
                session.add(user(key))
            except SessionInUseError:
                with lock:
                    refused.append(key)
                continue
            except BaseException as error:  # pragma: no cover - reported below
                unexpected.append(error)
                return
            with lock:
                acknowledged.append(key)
            try:
                session.commit()
                found = session.get(User, key)
                assert found is not None and found.id == key
            except SessionInUseError:
                with lock:
                    refused_calls += 1
                continue
            except BaseException as error:  # pragma: no cover - reported below
                unexpected.append(error)
                return
            with lock:
                committed.append(key)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BOUND)
        assert not thread.is_alive()
    assert unexpected == []
    assert len(acknowledged) + len(refused) == 8 * 25
    assert refused or refused_calls, "the threads never collided: the test proves nothing"
    # Every commit that returned stored its thread's entity; nothing refused was staged.
    on_disk = stored_ids(graph)
    assert set(committed) <= on_disk <= set(acknowledged)
    # What was acknowledged but not yet committed is still pending: the next commit.
    session.commit()
    assert stored_ids(graph) == set(acknowledged)
    assert stored(graph) == (len(acknowledged), len(acknowledged))
    # Still usable from any one thread.
    session.add(user("after"))
    session.commit()
    assert session.get(User, "after") is not None
    session.close()


def test_a_second_thread_is_refused_while_one_is_inside(driver: Any, graph: Any) -> None:
    slow = SlowDriver(driver)
    session = Session(slow)
    first = user("first")
    session.add(first)
    slow.hold_next = True
    inside = threading.Thread(target=session.commit)
    inside.start()
    assert slow.held.wait(BOUND)
    try:
        loner = user("loner")
        calls: list[Any] = [
            lambda: session.add(loner),
            lambda: session.add_all([loner]),
            lambda: session.merge(loner),
            lambda: session.delete(first),
            lambda: session.expunge(first),
            lambda: session.relate(first, User.articles, Article(id="a", title="T")),
            lambda: session.unrelate(first, User.articles, Article(id="b", title="T")),
            lambda: session.get(User, "first"),
            lambda: session.scalars(select(User)),
            lambda: session.commit(),
            lambda: session.rollback(),
            lambda: session.close(),
        ]
        for call in calls:
            with pytest.raises(SessionInUseError, match="another thread"):
                call()
    finally:
        slow.release.set()
        inside.join(BOUND)
    assert not inside.is_alive()
    # None of the refused calls staged anything: only `first` was written.
    session.commit()
    assert stored_ids(graph) == {"first"}
    assert stored(graph, "Article") == (0, 0)
    assert session.get(User, "first") is first


def test_threads_taking_turns_may_stage(driver: Any, graph: Any) -> None:
    """Sequential use from several threads is fine: only overlapping use is refused."""
    session = Session(driver)
    for n in range(4):
        thread = threading.Thread(target=session.add, args=(user(f"turn{n}"),))
        thread.start()
        thread.join(BOUND)
    committer = threading.Thread(target=session.commit)
    committer.start()
    committer.join(BOUND)
    assert stored_ids(graph) == {f"turn{n}" for n in range(4)}


def test_a_lazy_load_inside_the_owning_thread_is_not_refused(driver: Any) -> None:
    with Session(driver) as session:
        author = user("author")
        session.add(author)
        session.add(Article(id="a1", title="T", author=author))
    with Session(driver) as session:
        found = session.get(User, "author")
        assert found is not None
        assert [a.id for a in found.articles] == ["a1"]  # a query, from the same thread
