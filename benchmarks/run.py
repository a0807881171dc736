"""runic against each backend's raw client; prints times and ratios.

Run: ``.venv/bin/python benchmarks/run.py [--rounds N] [--backend NAME]`` where NAME is
``falkordb`` (embedded, the default), ``arcadedb`` (Bolt) or ``age`` (PostgreSQL); the
last two start their server as the test suite does. Each workload runs N rounds
(default 5) through runic and through hand-written Cypher on the raw client, and the
best round of each is compared. Figures, not assertions: compare the ratio column with
the budgets in DESIGN.md §5.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from falkordb.asyncio import FalkorDB as AsyncFalkorDB
from redislite import FalkorDB

from runic.ogm import AsyncSession, Field, Node, Relation, Session, select, update
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.backends
from benchmarks.raw_clients import AGERaw, BoltRaw, FalkorDBRaw

N_NODES = 10_000
N_GETS = 1_000
N_HUBS = 100
N_RELATED = 100
N_TASKS = 32


class BenchUser(Node):
    id: str = Field(primary_key=True)
    name: str
    age: int = 0
    follows: list[BenchUser] = Relation("FOLLOWS")
    posts: list[BenchPost] = Relation("POSTED")


class BenchPost(Node):
    id: str = Field(primary_key=True)
    title: str


@dataclass
class Workload:
    name: str
    runic: Callable[[], object]
    raw: Callable[[], object]
    #: Run once before the rounds (not timed): the data the workload reads.
    prepare: Callable[[], object] = lambda: None
    #: Run before every timed round (not timed), e.g. to empty the graph again.
    reset: Callable[[], object] = lambda: None


def best_of(rounds: int, action: Callable[[], object], reset: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(rounds):
        reset()
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def user_rows() -> list[dict[str, Any]]:
    return [{"id": f"u{i}", "name": f"User {i}", "age": i} for i in range(N_NODES)]


@dataclass
class AsyncSide:
    """The async clients, and the one event loop both sides' coroutines run on."""

    runner: asyncio.Runner
    raw: Any  # a falkordb.asyncio graph handle on the raw graph
    driver: AsyncFalkorDBDriver


def async_workloads(side: AsyncSide) -> list[Workload]:
    run = side.runner.run
    keys = [f"u{i}" for i in range(N_GETS)]

    async def raw_get(key: str) -> None:
        await side.raw.ro_query("MATCH (n:BenchUser {id: $k}) RETURN n LIMIT 1", {"k": key})

    async def runic_get(key: str) -> None:
        async with AsyncSession(side.driver) as session:
            await session.get(BenchUser, key)

    async def sequential(get: Callable[[str], Any]) -> None:
        for key in keys:
            await get(key)

    async def concurrent(get: Callable[[str], Any]) -> None:
        async def worker(share: list[str]) -> None:
            for key in share:
                await get(key)

        await asyncio.gather(*(worker(keys[t::N_TASKS]) for t in range(N_TASKS)))

    return [
        Workload(
            f"async get() x{N_GETS:,}, sequential",
            lambda: run(sequential(runic_get)),
            lambda: run(sequential(raw_get)),
        ),
        Workload(
            f"async get() x{N_GETS:,}, {N_TASKS} concurrent sessions",
            lambda: run(concurrent(runic_get)),
            lambda: run(concurrent(raw_get)),
        ),
    ]


def workloads(raw: Any, driver: Any, orm: Any, side: AsyncSide | None) -> list[Workload]:
    """The sync workloads; ``raw`` and ``orm`` are raw clients on the two graphs."""

    def raw_commit() -> None:
        raw.query(
            "UNWIND $rows AS r CREATE (n:BenchUser) SET n = r "
            "WITH count(*) AS _ "
            "UNWIND $pairs AS p MATCH (a:BenchUser {id: p.a}) MATCH (b:BenchUser {id: p.b}) "
            "CREATE (a)-[:FOLLOWS]->(b)",
            {
                "rows": user_rows(),
                "pairs": [{"a": f"u{i}", "b": f"u{(i + 1) % N_NODES}"} for i in range(N_NODES)],
            },
        )

    def runic_commit() -> None:
        users = [BenchUser(id=f"u{i}", name=f"User {i}", age=i) for i in range(N_NODES)]
        with Session(driver) as session:
            session.add_all(users)
            for i, user in enumerate(users):
                session.relate(user, BenchUser.follows, users[(i + 1) % N_NODES])

    def reset_commit() -> None:
        for graph in (raw, orm):
            graph.empty()
            graph.index()

    def fill() -> None:
        reset_commit()
        for graph in (raw, orm):
            graph.query("UNWIND $rows AS r CREATE (n:BenchUser) SET n = r", {"rows": user_rows()})

    def raw_gets() -> None:
        for i in range(N_GETS):
            raw.ro_query("MATCH (n:BenchUser {id: $k}) RETURN n LIMIT 1", {"k": f"u{i}"})

    def runic_gets() -> None:
        for i in range(N_GETS):
            with Session(driver) as session:
                session.get(BenchUser, f"u{i}")

    def raw_update() -> None:
        raw.query("MATCH (n:BenchUser) SET n.age = n.age + $step", {"step": 1})

    def runic_update() -> None:
        with Session(driver) as session:
            session.execute(update(BenchUser).values(age=BenchUser.age + 1))

    def raw_load() -> None:
        raw.ro_query("MATCH (n:BenchUser) RETURN n")

    def runic_load() -> None:
        with Session(driver) as session:
            session.scalars(select(BenchUser))

    pairs = [
        {"u": f"u{h}", "f": f"u{h * N_RELATED + k}", "p": f"p{h * N_RELATED + k}"}
        for h in range(N_HUBS)
        for k in range(1, N_RELATED + 1)
    ]

    def hubs() -> None:
        fill()
        for graph in (raw, orm):
            graph.query(
                "UNWIND $pairs AS p MATCH (u:BenchUser {id: p.u}) "
                "MATCH (f:BenchUser {id: p.f}) "
                "CREATE (u)-[:FOLLOWS]->(f), (u)-[:POSTED]->(:BenchPost {id: p.p, title: 't'})",
                {"pairs": pairs},
            )
            graph.index()

    def raw_fetch() -> None:
        for h in range(N_HUBS):
            _ = raw.ro_query(
                "MATCH (n:BenchUser {id: $k}) WITH n LIMIT 1 "
                "OPTIONAL MATCH (n)-[:FOLLOWS]->(f:BenchUser) WITH n, collect(f) AS fs "
                "OPTIONAL MATCH (n)-[:POSTED]->(p:BenchPost) RETURN n, fs, collect(p)",
                {"k": f"u{h}"},
            )

    def runic_fetch() -> None:
        for h in range(N_HUBS):
            with Session(driver) as session:
                session.get(BenchUser, f"u{h}", fetch=["follows", "posts"])

    return [
        Workload(
            f"commit {N_NODES:,} nodes + {N_NODES:,} edges",
            runic_commit,
            raw_commit,
            reset=reset_commit,
        ),
        Workload(f"get() by key x{N_GETS:,}", runic_gets, raw_gets, prepare=fill),
        *(async_workloads(side) if side else []),  # same data as get()
        Workload(f"update(...).values(...) over {N_NODES:,} nodes", runic_update, raw_update),
        Workload(f"load {N_NODES:,} nodes into entities", runic_load, raw_load),
        Workload(
            f"get(fetch=[2 relations]) x{N_HUBS}, {N_RELATED} each",
            runic_fetch,
            raw_fetch,
            prepare=hubs,
        ),
    ]


def measure(rounds: int, items: list[Workload]) -> list[tuple[str, float, float]]:
    results = []
    for workload in items:
        workload.prepare()
        results.append(
            (
                workload.name,
                best_of(rounds, workload.runic, workload.reset),
                best_of(rounds, workload.raw, workload.reset),
            )
        )
    return results


def on_falkordb(rounds: int) -> list[tuple[str, float, float]]:
    database = FalkorDB()
    runner = asyncio.Runner()
    raw_async = AsyncFalkorDB(
        unix_socket_path=database.client.socket_file, max_connections=N_TASKS
    ).select_graph("bench_raw")
    raw, orm = database.select_graph("bench_raw"), database.select_graph("bench_runic")
    side = AsyncSide(runner, raw_async, AsyncFalkorDBDriver(orm, max_connections=N_TASKS))
    try:
        return measure(
            rounds, workloads(FalkorDBRaw(raw), FalkorDBDriver(orm), FalkorDBRaw(orm), side)
        )
    finally:
        runner.run(side.driver.close())
        runner.run(raw_async.client.connection.aclose())
        runner.close()
        for name in ("bench_raw", "bench_runic"):
            if name in database.list_graphs():
                database.select_graph(name).delete()
        database.close()


def on_arcadedb(rounds: int) -> list[tuple[str, float, float]]:
    import neo4j

    from runic.ogm.driver.bolt import BoltDriver
    from tests.backends import ARCADEDB_PASSWORD, ArcadeDBProcess

    server = ArcadeDBProcess(databases=("bench_raw", "bench_runic"))
    client = neo4j.GraphDatabase.driver(server.url, auth=("root", ARCADEDB_PASSWORD))
    try:
        driver = BoltDriver(client, database="bench_runic", dialect="arcadedb")
        raw, orm = BoltRaw(client, "bench_raw"), BoltRaw(client, "bench_runic")
        return measure(rounds, workloads(raw, driver, orm, None))
    finally:
        client.close()
        server.stop()


def on_age(rounds: int) -> list[tuple[str, float, float]]:
    import psycopg

    from runic.ogm.driver.age import AGEDriver
    from tests.backends import free_port
    from tests.servers.postgres_age import PostgresAGE

    server = PostgresAGE(free_port())
    server.start()
    try:
        driver = AGEDriver(psycopg.connect(server.url), "bench_runic", owns_connection=True)
        AGEDriver(psycopg.connect(server.url), "bench_raw", owns_connection=True).close()
        connection = psycopg.connect(server.url)
        with connection.cursor() as cursor:
            cursor.execute("LOAD 'age'")
            cursor.execute('SET search_path = ag_catalog, "$user", public')
        connection.commit()
        raw, orm = AGERaw(connection, "bench_raw"), AGERaw(connection, "bench_runic")
        try:
            return measure(rounds, workloads(raw, driver, orm, None))
        finally:
            driver.close()
            connection.close()
    finally:
        server.stop()


BACKENDS = {"falkordb": on_falkordb, "arcadedb": on_arcadedb, "age": on_age}
TITLES = {
    "falkordb": "embedded FalkorDB",
    "arcadedb": "ArcadeDB over Bolt (neo4j client)",
    "age": "PostgreSQL + Apache AGE (psycopg)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="falkordb")
    parser.add_argument(
        "--scale",
        type=float,
        help="multiply the workload sizes (default 1; 0.1 on AGE, whose property lookups "
        "scan without an index on the key)",
    )
    arguments = parser.parse_args()
    scale = arguments.scale or (0.1 if arguments.backend == "age" else 1.0)
    global N_NODES, N_GETS, N_HUBS, N_RELATED
    N_NODES, N_GETS = max(10, int(N_NODES * scale)), max(10, int(N_GETS * scale))
    N_HUBS = N_RELATED = max(3, int(N_HUBS * scale**0.5))
    results = BACKENDS[arguments.backend](arguments.rounds)
    print(f"best of {arguments.rounds} rounds, {TITLES[arguments.backend]}")
    print(f"{'workload':<52} {'runic':>10} {'raw':>10} {'ratio':>7}")
    for name, runic_seconds, raw_seconds in results:
        print(
            f"{name:<52} {runic_seconds * 1000:>8.1f}ms {raw_seconds * 1000:>8.1f}ms "
            f"{runic_seconds / raw_seconds:>6.2f}x"
        )


if __name__ == "__main__":
    main()
