"""What ArcadeDB and the ``neo4j`` client do under concurrency, and what BoltDriver does about it.

Probes with the raw client pin three facts the Bolt driver is built around (see the
docstring of runic/ogm/driver/bolt.py), so the day one changes, a test here says so:

- At ArcadeDB's default isolation, READ_COMMITTED, a compare-and-set whose record another
  transaction commits between the MATCH and the SET is applied over that commit, and
  both succeed. For a two-node transfer that loses one node's change and keeps the
  other's. At REPEATABLE_READ (the suite's databases) the late commit is refused whole.
- At REPEATABLE_READ, after a commit refused as transient, auto-commit reads on that
  Bolt connection keep returning one old value until an explicit transaction runs there.
- When a query fails inside ``execute_query``, the ``neo4j`` client reads from the
  failed transaction's connection after giving it back to its pool, where another thread
  may be using it: lost bytes, a hang or "Expected structure, found marker 70".

The overtaken transfer is staged, not hoped for: the slow one pauses between its MATCH
and its SET (a ``reduce`` over a range, sized by a measurement) while the fast one
commits. An attempt whose timing did not come out that way is run again, a bounded number
of times.
"""

from __future__ import annotations

import random
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

import neo4j
import pytest

from runic.ogm import Field, Node, Session, run_in_transaction
from runic.ogm.driver.bolt import BoltDriver
from runic.ogm.exceptions import DriverError
from runic.ogm.session.retry import Backoff
from tests.backends import (
    ARCADEDB_DATABASE,
    ARCADEDB_PASSWORD,
    ARCADEDB_READ_COMMITTED_DATABASE,
    selected_backends,
)

pytestmark = pytest.mark.skipif(
    "arcadedb" not in selected_backends(), reason="arcadedb is not in RUNIC_BACKENDS"
)

#: runic's guarded update (compile_flush) with a pause between the MATCH and the SET.
SLOW_TRANSFER = (
    "UNWIND $b0 AS r MATCH (n:`FactAccount` {`id`: r.key}) "
    "WHERE n.`version` = r.changes.`version` - 1 "
    "WITH n, r, reduce(s = 0, x IN range(1, $pause) | s + x) AS pause SET n += r.changes "
    "WITH count(n) AS done WHERE 1 / CASE WHEN done = size($b0) THEN 1 ELSE 0 END = 1 "
    "RETURN done"
)
FAST_TRANSFER = (
    "UNWIND $b0 AS r MATCH (n:`FactAccount` {`id`: r.key}) "
    "WHERE n.`version` = r.changes.`version` - 1 SET n += r.changes "
    "WITH count(n) AS done WHERE 1 / CASE WHEN done = size($b0) THEN 1 ELSE 0 END = 1 "
    "RETURN done"
)
ATTEMPTS = 5  # the pause doubles each time: a loaded machine gets up to 24 s
PAUSE_SECONDS = 1.5
FAST_AFTER = 0.4


def rows(changes: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
    return [
        {"key": key, "changes": {"balance": balance, "version": version}}
        for key, (balance, version) in changes.items()
    ]


def write_once(client: Any, database: str, cypher: str, params: dict[str, Any]) -> str:
    """One explicit transaction, no retry: "committed" or the error's code and message.

    A transaction the server failed is left alone (see runic/ogm/driver/bolt.py).
    """
    try:
        with client.session(database=database) as session:
            transaction = session.begin_transaction()
            list(transaction.run(cypher, params))
            transaction.commit()
    except neo4j.exceptions.Neo4jError as error:
        return f"{error.code}: {error.message}"
    return "committed"


def pause_for(client: Any, database: str, seconds: float) -> int:
    """The range length whose ``reduce`` takes about ``seconds`` on this server now."""
    probe = 500_000
    started = time.monotonic()
    client.execute_query(
        "RETURN reduce(s = 0, x IN range(1, $n) | s + x)", {"n": probe}, database_=database
    )
    elapsed = max(time.monotonic() - started, 0.005)
    return min(int(probe * seconds / elapsed), 200_000_000)


def overtaken_transfer(
    client: Any, database: str, slow_client: Any = None
) -> tuple[str, list[list[Any]]]:
    """Transfer 10 from a to b, overtaken on b by a transfer of 5 from b to c.

    Returns the slow transfer's outcome and the stored accounts. ``slow_client`` runs
    the slow one (default: ``client``).
    """
    pause = pause_for(client, database, PAUSE_SECONDS)
    for _ in range(ATTEMPTS):
        staged = stage(client, slow_client or client, database, pause)
        if staged is not None:
            return staged
        pause *= 2
    pytest.fail(f"could not stage the overtaking in {ATTEMPTS} attempts (machine too loaded?)")


def stage(
    client: Any, slow_client: Any, database: str, pause: int
) -> tuple[str, list[list[Any]]] | None:
    """One attempt; None when the fast transfer did not commit during the slow one's pause."""
    client.execute_query("MATCH (n:FactAccount) DETACH DELETE n", database_=database)
    client.execute_query(
        "UNWIND ['a', 'b', 'c'] AS k CREATE (:FactAccount {id: k, balance: 100, version: 1})",
        database_=database,
    )
    outcome: dict[str, Any] = {}

    def slow() -> None:
        params = {"b0": rows({"a": (90, 2), "b": (110, 2)}), "pause": pause}
        outcome["slow"] = write_once(slow_client, database, SLOW_TRANSFER, params)
        outcome["slow_done"] = time.monotonic()

    worker = threading.Thread(target=slow, daemon=True)
    worker.start()
    time.sleep(FAST_AFTER)
    fast = write_once(client, database, FAST_TRANSFER, {"b0": rows({"b": (95, 2), "c": (105, 2)})})
    fast_done = time.monotonic()
    worker.join(PAUSE_SECONDS * 20)
    assert not worker.is_alive(), "the slow transfer did not finish"
    stored = [
        list(record.values())
        for record in client.execute_query(
            "MATCH (n:FactAccount) RETURN n.id, n.balance, n.version ORDER BY n.id",
            database_=database,
        ).records
    ]
    if (
        fast == "committed"
        and outcome["slow_done"] > fast_done  # the fast one committed during the pause
        and "by zero" not in outcome["slow"]  # the slow one matched before it did
    ):
        return outcome["slow"], stored
    return None


@pytest.fixture
def client(arcadedb_driver: BoltDriver) -> Iterator[Any]:
    """The suite server's ``neo4j.Driver``; the probe label is removed from both databases."""
    yield arcadedb_driver.driver
    for database in (ARCADEDB_DATABASE, ARCADEDB_READ_COMMITTED_DATABASE):
        arcadedb_driver.driver.execute_query(
            "MATCH (n:FactAccount) DETACH DELETE n", database_=database
        )


def test_read_committed_applies_a_compare_and_set_over_a_newer_commit(client: Any) -> None:
    slow, stored = overtaken_transfer(client, ARCADEDB_READ_COMMITTED_DATABASE)
    assert slow == "committed", (
        "ArcadeDB now refuses a compare-and-set overtaken at READ_COMMITTED "
        f"({slow}): BoltDriver(serialize_writes=...) may no longer be needed there"
    )
    # Both transfers report success; b holds the slow transfer's value, as if the fast
    # one never ran, while its credit to c stays: 5 appear from nowhere, and b's version
    # moved once for two updates. Nothing was half-applied: the slow one wrote a and b.
    assert stored == [["a", 90, 2], ["b", 110, 2], ["c", 105, 2]]


def test_repeatable_read_refuses_the_late_commit_whole(client: Any) -> None:
    slow, stored = overtaken_transfer(client, ARCADEDB_DATABASE)
    assert slow.startswith("Neo.TransientError.")
    assert "Slot rebase not possible" in slow or "oncurrent" in slow
    assert stored == [["a", 100, 1], ["b", 95, 2], ["c", 105, 2]]  # a untouched


@pytest.mark.parametrize("explicit", [False, True], ids=["auto-commit", "explicit"])
def test_after_a_refused_commit_only_explicit_reads_on_that_connection_are_fresh(
    client: Any, explicit: bool
) -> None:
    """Why BoltDriver reads in explicit transactions, one round trip more than auto-commit.

    (An auto-commit read leaves its old value to the next transaction on the connection,
    explicit or not, so the two kinds are probed on separate connections.)
    """
    address = client.get_server_info().address
    single = neo4j.GraphDatabase.driver(  # one connection: every query below shares it
        f"bolt://{address[0]}:{address[1]}",
        auth=("root", ARCADEDB_PASSWORD),
        max_connection_pool_size=1,
    )

    def set_a(balance: int) -> None:
        client.execute_query(
            "MATCH (n:FactAccount {id: 'a'}) SET n.balance = $b",
            {"b": balance},
            database_=ARCADEDB_DATABASE,
        )

    def read_a() -> int:
        query = "MATCH (n:FactAccount {id: 'a'}) RETURN n.balance"
        with single.session(
            database=ARCADEDB_DATABASE, default_access_mode=neo4j.READ_ACCESS
        ) as session:
            if not explicit:
                return int(session.run(query).single(strict=True)[0])
            transaction = session.begin_transaction()
            found = int(transaction.run(query).single(strict=True)[0])
            transaction.commit()
            return found

    try:
        slow, _ = overtaken_transfer(client, ARCADEDB_DATABASE, slow_client=single)
        assert slow.startswith("Neo.TransientError.")
        seen = []
        for balance in (1, 2, 3):
            set_a(balance)
            found = read_a()
            # A commit on one connection can take a moment to show on another (seen once
            # under load); a frozen read never catches up, a fresh one does.
            deadline = time.monotonic() + 2
            while explicit and found != balance and time.monotonic() < deadline:
                time.sleep(0.05)
                found = read_a()
            seen.append(found)
    finally:
        single.close()
    if explicit:
        assert seen == [1, 2, 3]
    else:
        assert seen == [1, 1, 1], (
            f"ArcadeDB no longer freezes auto-commit reads after a refused commit ({seen}): "
            "BoltDriver could run its reads as auto-commit queries (see its docstring)"
        )


class FactAccount(Node):
    id: str
    balance: int
    version: int = Field(version=True)


PATIENCE = Backoff(first=0.002, cap=0.05)


def concurrent_transfers(driver: BoltDriver, transfers: int = 100) -> list[list[Any]]:
    driver.execute("MATCH (n:FactAccount) DETACH DELETE n")
    with Session(driver) as session:
        session.add_all(FactAccount(id=f"a{i}", balance=100) for i in range(5))
    chooser = random.Random(11)
    lock = threading.Lock()

    def transfer(session: Session) -> None:
        with lock:
            source, target = chooser.sample(range(5), 2)
            amount = chooser.randint(1, 30)
        debit = session.get(FactAccount, f"a{source}")
        credit = session.get(FactAccount, f"a{target}")
        assert debit is not None and credit is not None
        debit.balance -= amount
        credit.balance += amount

    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(transfers // 8):
                run_in_transaction(lambda: Session(driver), transfer, retries=100, backoff=PATIENCE)
        except BaseException as error:  # reported below
            failures.append(error)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not any(worker.is_alive() for worker in workers), "transfers did not finish"
    assert not failures, failures[0]
    found = driver.execute("MATCH (a:FactAccount) RETURN sum(a.balance), sum(a.version)").rows
    driver.execute("MATCH (n:FactAccount) DETACH DELETE n")
    return found


def test_serialized_writes_keep_one_process_exact_at_read_committed(
    arcadedb_driver: BoltDriver,
) -> None:
    driver = BoltDriver(
        arcadedb_driver.driver, database=ARCADEDB_READ_COMMITTED_DATABASE, dialect="arcadedb"
    )
    assert driver._write_lock is not None  # the default on ArcadeDB
    assert concurrent_transfers(driver) == [[500, 5 + 2 * (100 // 8 * 8)]]


def test_repeatable_read_keeps_concurrent_writes_exact_without_serializing(
    arcadedb_driver: BoltDriver,
) -> None:
    driver = BoltDriver(
        arcadedb_driver.driver,
        database=ARCADEDB_DATABASE,
        dialect="arcadedb",
        serialize_writes=False,
    )
    assert concurrent_transfers(driver) == [[500, 5 + 2 * (100 // 8 * 8)]]


class SocketWatch:
    """Records every moment two threads use one ``neo4j`` socket at once."""

    METHODS = ("recv", "recv_into", "sendall", "at_eof")

    def __init__(self) -> None:
        try:
            from neo4j._async_compat.network import _bolt_socket
        except ImportError:  # pragma: no cover - the neo4j internals moved
            pytest.skip("neo4j's BoltSocketBase moved: update SocketWatch")
        self.cls = _bolt_socket.BoltSocketBase
        if not all(hasattr(self.cls, name) for name in self.METHODS):  # pragma: no cover
            pytest.skip("neo4j's BoltSocketBase changed: update SocketWatch")
        self.guard = threading.Lock()
        self.users: dict[int, dict[int, str]] = {}
        self.overlaps: list[str] = []
        self.saved = {name: getattr(self.cls, name) for name in self.METHODS}

    def __enter__(self) -> SocketWatch:
        for name, method in self.saved.items():
            setattr(self.cls, name, self.watched(name, method))
        return self

    def __exit__(self, *exc: object) -> None:
        for name, method in self.saved.items():
            setattr(self.cls, name, method)

    def watched(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        watch = self

        def inner(socket: Any, *args: Any, **kwargs: Any) -> Any:
            me = threading.get_ident()
            with watch.guard:
                users = watch.users.setdefault(id(socket), {})
                others = {thread: used for thread, used in users.items() if thread != me}
                users[me] = name
                if others:
                    frames = sys._current_frames()
                    stacks = [
                        "".join(traceback.format_stack(frames[thread], limit=12))
                        for thread in others
                        if thread in frames
                    ]
                    watch.overlaps.append(
                        f"{name} while another thread is in {others}:\n" + "\n".join(stacks)
                    )
            try:
                return method(socket, *args, **kwargs)
            finally:
                with watch.guard:
                    watch.users.get(id(socket), {}).pop(me, None)

        return inner


def hammer(call: Callable[[int], None], calls: int, stop: Callable[[], bool]) -> list[str]:
    """``call(i)`` for i < calls on 8 daemon threads, until ``stop()``; the failures."""
    counter = iter(range(calls))
    lock = threading.Lock()
    failures: list[str] = []

    def work() -> None:
        while not stop():
            with lock:
                index = next(counter, None)
            if index is None:
                return
            try:
                call(index)
            except Exception as error:
                failures.append(f"{index}: {type(error).__name__}: {error}")

    workers = [threading.Thread(target=work, daemon=True) for _ in range(8)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 90
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(worker.is_alive() for worker in workers)
    if stuck:
        failures.append(f"{stuck} threads still waiting after 90 s")
    return failures


def test_a_failed_query_leaves_other_threads_connections_alone(
    arcadedb_driver: BoltDriver,
) -> None:
    """Failing and succeeding reads and writes at once, from 8 threads on one driver."""
    driver = BoltDriver(arcadedb_driver.driver, database=ARCADEDB_DATABASE, dialect="arcadedb")

    def call(index: int) -> None:
        divisor = index % 2  # every other query divides by zero
        try:
            found = driver.execute(
                "RETURN 1 / $d AS x", {"d": divisor}, read_only=index % 4 < 2
            ).rows
        except DriverError as error:
            assert divisor == 0 and "by zero" in str(error), error
        else:
            assert divisor == 1 and found == [[1]], found

    with SocketWatch() as watch:
        failures = hammer(call, 3000, lambda: bool(watch.overlaps))
    assert not watch.overlaps, watch.overlaps[0]
    assert not failures, failures[:3]


def test_execute_query_reads_a_pooled_connection_after_a_failure(
    arcadedb_driver: BoltDriver,
) -> None:
    """The ``neo4j`` client bug BoltDriver avoids; stops at the first overlap it sees."""
    address = arcadedb_driver.driver.get_server_info().address
    client = neo4j.GraphDatabase.driver(
        f"bolt://{address[0]}:{address[1]}", auth=("root", ARCADEDB_PASSWORD)
    )

    def call(index: int) -> None:
        # The division by zero, sometimes reported as a failed result instead.
        with suppress(neo4j.exceptions.ClientError, neo4j.exceptions.ResultFailedError):
            client.execute_query(
                "RETURN 1 / $d AS x", {"d": index % 2}, database_=ARCADEDB_DATABASE
            )

    try:
        with SocketWatch() as watch:
            hammer(call, 4000, lambda: bool(watch.overlaps))
    finally:
        client.close()
    assert watch.overlaps, (
        "neo4j's execute_query no longer touches a connection after failing: "
        "BoltDriver could use it again (see runic/ogm/driver/bolt.py)"
    )
    assert "_rollback" in watch.overlaps[0] or "at_eof" in watch.overlaps[0]
