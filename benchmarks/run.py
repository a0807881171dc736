"""runic against each backend's raw client, and on FalkorDB against a peer OGM.

Run: ``.venv/bin/python benchmarks/run.py [--rounds N] [--backend NAME] [--scale F]``
where NAME is ``falkordb`` (embedded, the default), ``arcadedb`` (Bolt) or ``age``
(PostgreSQL); the last two start their server as the test suite does. Each workload
runs N rounds (default 5) through runic and through hand-written Cypher on the raw
client, the two taking turns round by round in the same run, and the best round of each
is compared: the ratio is runic/raw, printed beside the workload's budget. A second
table gives the session-size curve: microseconds per ``get()`` as one session grows.

``./scripts/bench`` runs this script in ``.venv-bench``, which adds falkordb-orm (the
peer column, on FalkorDB) and matplotlib; there ``--write-docs`` regenerates the tables,
machine description and chart of docs/performance.rst. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from falkordb.asyncio import FalkorDB as AsyncFalkorDB
from redislite import FalkorDB

from runic.ogm import AsyncSession, Field, Mapped, Node, Relation, Session, select, update
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.backends
from benchmarks.raw_clients import AGERaw, BoltRaw, FalkorDBRaw
from benchmarks.report import (
    ROOT,
    Curve,
    Report,
    Result,
    describe_machine,
    print_report,
    write_docs,
)

try:
    from benchmarks import peer as peer_module
except ModuleNotFoundError as error:  # falkordb-orm is not installed: ./scripts/bench has it
    if error.name != "falkordb_orm":
        raise
    peer_module = None  # type: ignore[assignment]

NOT_INSTALLED = "not installed (scripts/bench)"
FALKORDB_ONLY = "n/a (FalkorDB only)"


class BenchUser(Node):
    id: Mapped[str] = Field(primary_key=True)
    name: Mapped[str]
    age: Mapped[int] = Field(default=0)
    follows: Relation[list[BenchUser]] = Relation("FOLLOWS")
    posts: Relation[list[BenchPost]] = Relation("POSTED")


class BenchPost(Node):
    id: Mapped[str] = Field(primary_key=True)
    title: Mapped[str]


@dataclass(frozen=True)
class Sizes:
    """How much each workload does; ``scaled()`` multiplies them for --scale."""

    nodes: int = 10_000
    big_nodes: int = 100_000
    gets: int = 1_000
    many_gets: int = 8_000
    queries: int = 100
    hubs: int = 100
    related: int = 100
    tasks: int = 32
    #: the session sizes at which the session-size curve is read
    curve: tuple[int, ...] = (500, 1_000, 2_000, 4_000, 8_000)
    #: seconds for the server to settle after a reset (see ``Bench.empty``)
    settle: float = 1.0

    def scaled(self, factor: float) -> Sizes:
        nodes = max(10, int(self.nodes * factor))

        def size(count: int, least: int = 10) -> int:  # never more than the graph holds
            return min(nodes, max(least, int(count * factor)))

        hubs = max(3, int(self.hubs * factor**0.5))
        return replace(
            self,
            nodes=nodes,
            big_nodes=max(10, int(self.big_nodes * factor)),
            gets=size(self.gets),
            many_gets=size(self.many_gets),
            queries=size(self.queries),
            hubs=hubs,
            related=hubs,
            curve=tuple(sorted({size(point, 1) for point in self.curve})),
            settle=self.settle * min(1.0, factor),
        )


@dataclass
class Staged:
    """A timed action with untimed work around it, every round: ``setup()`` returns the
    state that ``timed(state)`` works on, and ``finish(state)`` cleans up after it."""

    setup: Callable[[], Any]
    timed: Callable[[Any], object]
    finish: Callable[[Any], object] = lambda state: None


Action = Callable[[], object] | Staged


@dataclass
class Workload:
    name: str
    runic: Action
    raw: Action
    #: the most runic/raw may be (issue 12); None for a row kept without one
    budget: float | None = None
    #: the peer OGM's version of the work, or why it has none
    peer: Action | str = NOT_INSTALLED
    #: what the peer does differently, printed as a note
    peer_note: str = ""
    #: at most this many rounds (heavy rows); the peer's cap is separate
    max_rounds: int | None = None
    peer_max_rounds: int | None = None
    #: Run once before the rounds (not timed): the data the workload reads.
    prepare: Callable[[], object] = lambda: None
    #: Run before every timed round (not timed), e.g. to empty the graph again.
    reset: Callable[[], object] = lambda: None


def run_once(action: Action, reset: Callable[[], object]) -> float:
    """One timed round: ``reset()`` and a Staged action's setup and finish are not timed."""
    reset()
    state = action.setup() if isinstance(action, Staged) else None
    gc.collect()
    start = time.perf_counter()
    if isinstance(action, Staged):
        action.timed(state)
    else:
        action()
    elapsed = time.perf_counter() - start
    if isinstance(action, Staged):
        action.finish(state)
    return elapsed


def user_rows(count: int) -> list[dict[str, Any]]:
    return [{"id": f"u{i}", "name": f"User {i}", "age": i} for i in range(count)]


@dataclass
class AsyncSide:
    """The async clients, and the one event loop every side's coroutines run on."""

    runner: asyncio.Runner
    raw: Any  # the raw async client on the raw graph: ``await raw.ro_query(cypher, params)``
    driver: Any  # runic's async driver on runic's graph


@dataclass
class Bench:
    """What the workloads run on: runic's driver, raw clients on each graph, the peer."""

    sizes: Sizes
    raw: Any  # the raw client on the raw graph
    driver: Any  # runic's driver on runic's graph
    orm: Any  # the raw client on runic's graph (to fill and empty it)
    side: AsyncSide | None = None
    peer: Any = None  # a benchmarks.peer.Peer on its own graph
    peer_graph: Any = None  # the raw client on the peer's graph
    #: the peer cell when there is no peer
    no_peer: str = NOT_INSTALLED
    graphs: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.graphs = [self.raw, self.orm, *([self.peer_graph] if self.peer else [])]

    def empty(self) -> None:
        """Empty every graph, keeping the key indexes."""
        for graph in self.graphs:
            graph.empty()
            graph.index()
        # FalkorDB goes on freeing a large deleted graph after the delete returns; the
        # next query, on any graph, waited for it (100k commits took 1.3 s or 2.4 s).
        time.sleep(self.sizes.settle)

    def fill(self) -> None:
        """Every graph holds the same users, and nothing else."""
        self.empty()
        for graph in self.graphs:
            graph.query(
                "UNWIND $rows AS r CREATE (n:BenchUser) SET n = r",
                {"rows": user_rows(self.sizes.nodes)},
            )
        if self.peer:
            self.peer.learn_ids()

    def peer_action(self, action: Action | str) -> Action | str:
        """The peer's side of a workload, or why there is none."""
        return action if self.peer else self.no_peer


def peer_note(name: str) -> str:
    """One of benchmarks/peer.py's notes on what the peer does differently."""
    return str(getattr(peer_module, name)) if peer_module else ""


def async_workloads(bench: Bench, side: AsyncSide) -> list[Workload]:
    sizes, run, peer = bench.sizes, side.runner.run, bench.peer
    keys = [f"u{i}" for i in range(sizes.gets)]

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

        await asyncio.gather(*(worker(keys[t :: sizes.tasks]) for t in range(sizes.tasks)))

    def warm_up() -> None:
        """Open every side's connections before the first timed round (not timed)."""
        run(concurrent(runic_get))
        run(concurrent(raw_get))
        if peer:
            run(peer.async_concurrent(keys, sizes.tasks))

    return [
        Workload(
            f"async get() x{sizes.gets:,}, sequential",
            lambda: run(sequential(runic_get)),
            lambda: run(sequential(raw_get)),
            peer=bench.peer_action(lambda: run(peer.async_sequential(keys))),
            peer_note=peer_note("ASYNC_BY_NODE_ID"),
            prepare=warm_up,
        ),
        Workload(
            f"async get() x{sizes.gets:,}, {sizes.tasks} concurrent sessions",
            lambda: run(concurrent(runic_get)),
            lambda: run(concurrent(raw_get)),
            budget=1.3,
            peer=bench.peer_action(lambda: run(peer.async_concurrent(keys, sizes.tasks))),
            peer_note=peer_note("ASYNC_BY_NODE_ID"),
        ),
    ]


def workloads(bench: Bench) -> list[Workload]:
    """Every row of the table, in the order they run (each ``prepare`` sets up its data)."""
    sizes, raw, driver, peer = bench.sizes, bench.raw, bench.driver, bench.peer

    def raw_commit(count: int) -> None:
        raw.query(
            "UNWIND $rows AS r CREATE (n:BenchUser) SET n = r "
            "WITH count(*) AS _ "
            "UNWIND $pairs AS p MATCH (a:BenchUser {id: p.a}) MATCH (b:BenchUser {id: p.b}) "
            "CREATE (a)-[:FOLLOWS]->(b)",
            {
                "rows": user_rows(count),
                "pairs": [{"a": f"u{i}", "b": f"u{(i + 1) % count}"} for i in range(count)],
            },
        )

    def runic_commit(count: int) -> None:
        users = [BenchUser(id=f"u{i}", name=f"User {i}", age=i) for i in range(count)]
        with Session(driver) as session:
            session.add_all(users)
            for i, user in enumerate(users):
                session.relate(user, BenchUser.follows, users[(i + 1) % count])

    def raw_get(key: str) -> None:
        raw.ro_query("MATCH (n:BenchUser {id: $k}) RETURN n LIMIT 1", {"k": key})

    def raw_gets(count: int) -> None:
        for i in range(count):
            raw_get(f"u{i}")

    def runic_gets_in_one_session(count: int) -> None:
        with Session(driver) as session:
            for i in range(count):
                session.get(BenchUser, f"u{i}")

    def runic_gets_session_per_get() -> None:
        for i in range(sizes.gets):
            with Session(driver) as session:
                session.get(BenchUser, f"u{i}")

    def hold_all() -> Session:
        session = Session(driver)
        session.scalars(select(BenchUser))
        return session

    def runic_queries(session: Session) -> None:
        for i in range(sizes.queries):
            session.scalars(select(BenchUser).where(BenchUser.id == f"u{i}"))

    def raw_queries() -> None:
        for i in range(sizes.queries):
            raw.ro_query("MATCH (n:BenchUser {id: $k}) RETURN n", {"k": f"u{i}"})

    def raw_load() -> None:
        raw.ro_query("MATCH (n:BenchUser) RETURN n")

    def runic_load() -> None:
        with Session(driver) as session:
            session.scalars(select(BenchUser))

    def raw_update_loaded() -> None:
        rows = []
        for (user,) in raw.ro_query("MATCH (n:BenchUser) RETURN n"):
            stored = raw.properties(user)
            rows.append({"id": stored["id"], "age": stored["age"] + 1})
        raw.query(
            "UNWIND $rows AS r MATCH (n:BenchUser {id: r.id}) SET n.age = r.age", {"rows": rows}
        )

    def runic_update_loaded() -> None:
        with Session(driver) as session:
            for user in session.scalars(select(BenchUser)):
                user.age += 1

    def raw_bulk_update() -> None:
        raw.query("MATCH (n:BenchUser) SET n.age = n.age + $step", {"step": 1})

    def runic_bulk_update() -> None:
        with Session(driver) as session:
            session.execute(update(BenchUser).values(age=BenchUser.age + 1))

    pairs = [
        {
            "u": f"u{h}",
            "f": f"u{(h * sizes.related + k) % sizes.nodes}",
            "p": f"p{h * sizes.related + k}",
        }
        for h in range(sizes.hubs)
        for k in range(1, sizes.related + 1)
    ]

    def hubs() -> None:
        bench.fill()
        for graph in bench.graphs:
            graph.query(
                "UNWIND $pairs AS p MATCH (u:BenchUser {id: p.u}) "
                "MATCH (f:BenchUser {id: p.f}) "
                "CREATE (u)-[:FOLLOWS]->(f), (u)-[:POSTED]->(:BenchPost {id: p.p, title: 't'})",
                {"pairs": pairs},
            )
            graph.index()

    def raw_fetch() -> None:
        for h in range(sizes.hubs):
            _ = raw.ro_query(
                "MATCH (n:BenchUser {id: $k}) WITH n LIMIT 1 "
                "OPTIONAL MATCH (n)-[:FOLLOWS]->(f:BenchUser) WITH n, collect(f) AS fs "
                "OPTIONAL MATCH (n)-[:POSTED]->(p:BenchPost) RETURN n, fs, collect(p)",
                {"k": f"u{h}"},
            )

    def runic_fetch() -> None:
        for h in range(sizes.hubs):
            with Session(driver) as session:
                user = session.get(BenchUser, f"u{h}", fetch=["follows", "posts"])
                assert user is not None
                if (len(user.follows), len(user.posts)) != (sizes.related, sizes.related):
                    raise RuntimeError(f"runic fetched u{h} wrongly")

    gets, many, nodes, big = sizes.gets, sizes.many_gets, sizes.nodes, sizes.big_nodes
    return [
        Workload(
            f"commit {nodes:,} nodes + {nodes:,} edges",
            lambda: runic_commit(nodes),
            lambda: raw_commit(nodes),
            budget=1.3,
            peer=bench.peer_action(lambda: peer.commit(nodes)),
            peer_note=peer_note("ONE_QUERY_PER_ENTITY"),
            reset=bench.empty,
        ),
        Workload(
            f"commit {big:,} nodes + {big:,} edges",
            lambda: runic_commit(big),
            lambda: raw_commit(big),
            budget=1.4,
            peer=bench.peer_action(lambda: peer.commit(big)),
            peer_note=peer_note("ONE_QUERY_PER_ENTITY"),
            max_rounds=3,
            peer_max_rounds=1,
            reset=bench.empty,
        ),
        Workload(
            f"get() x{gets:,} in one session",
            lambda: runic_gets_in_one_session(gets),
            lambda: raw_gets(gets),
            budget=1.2,
            peer=bench.peer_action(lambda: peer.gets_in_one_session(gets)),
            peer_note=peer_note("BY_NODE_ID"),
            prepare=bench.fill,
        ),
        Workload(
            f"get() x{many:,} in one session",
            lambda: runic_gets_in_one_session(many),
            lambda: raw_gets(many),
            budget=1.2,
            peer=bench.peer_action(lambda: peer.gets_in_one_session(many)),
            peer_note=peer_note("BY_NODE_ID"),
        ),
        Workload(
            f"get() x{gets:,}, a session per get",
            runic_gets_session_per_get,
            lambda: raw_gets(gets),
            peer=bench.peer_action(lambda: peer.gets_session_per_get(gets)),
            peer_note=peer_note("BY_NODE_ID"),
        ),
        *(async_workloads(bench, bench.side) if bench.side else []),  # same data as get()
        Workload(
            f"{sizes.queries} queries in a session holding {nodes:,} entities",
            Staged(hold_all, runic_queries, finish=lambda session: session.close()),
            raw_queries,
            budget=1.2,
            peer=bench.peer_action(lambda: peer.queries(sizes.queries)),
            peer_note=peer_note("QUERIES_WITHOUT_SESSION"),
        ),
        Workload(
            f"load {nodes:,} nodes into entities",
            runic_load,
            raw_load,
            budget=1.4,
            peer=bench.peer_action(lambda: peer.load()),
        ),
        Workload(
            f"update {nodes:,} loaded entities, commit",
            runic_update_loaded,
            raw_update_loaded,
            budget=1.3,
            peer=bench.peer_action(lambda: peer.update_loaded()),
            peer_note=peer_note("SAVE_PER_ENTITY"),
        ),
        Workload(
            f"update(...).values(...) over {nodes:,} nodes",
            runic_bulk_update,
            raw_bulk_update,
            peer=bench.peer_action(peer_note("NO_BULK_UPDATE")),
        ),
        Workload(
            f"get(fetch=[2 relations]) x{sizes.hubs}, {sizes.related} each",
            runic_fetch,
            raw_fetch,
            budget=1.3,
            peer=bench.peer_action(lambda: peer.fetch(sizes.hubs, sizes.related)),
            peer_note=peer_note("FETCH_LAZILY"),
            prepare=hubs,
        ),
    ]


def curve_workload(bench: Bench) -> tuple[Callable[[], object], dict[str, Callable[[], Any]]]:
    """The session-size curve: (prepare, {side: one round -> the duration of each get})."""
    sizes, driver, raw = bench.sizes, bench.driver, bench.raw
    count = sizes.curve[-1]
    clock = time.perf_counter

    def runic_round() -> list[float]:
        durations = []
        with Session(driver) as session:
            for i in range(count):
                key = f"u{i}"
                start = clock()
                session.get(BenchUser, key)
                durations.append(clock() - start)
        return durations

    def raw_round() -> list[float]:
        durations = []
        for i in range(count):
            params = {"k": f"u{i}"}
            start = clock()
            raw.ro_query("MATCH (n:BenchUser {id: $k}) RETURN n LIMIT 1", params)
            durations.append(clock() - start)
        return durations

    sides: dict[str, Callable[[], Any]] = {"runic": runic_round, "raw": raw_round}
    if bench.peer:
        sides["peer"] = lambda: bench.peer.timed_gets_in_one_session(count, clock)
    return bench.fill, sides


def segment_means(durations: list[float], points: tuple[int, ...]) -> list[float]:
    """Mean µs per get over each segment (previous point, point]."""
    means, previous = [], 0
    for point in points:
        segment = durations[previous:point]
        means.append(sum(segment) / len(segment) * 1e6)
        previous = point
    return means


def measure_curve(rounds: int, bench: Bench) -> Curve | None:
    if ONLY is not None:
        return None
    prepare, sides = curve_workload(bench)
    prepare()
    best: dict[str, list[float]] = {}
    for _ in range(rounds):
        for side, one_round in sides.items():
            gc.collect()
            means = segment_means(one_round(), bench.sizes.curve)
            best[side] = [min(pair) for pair in zip(best.get(side, means), means, strict=True)]
    return Curve(bench.sizes.curve, best["runic"], best["raw"], best.get("peer"))


#: ``--only``: run just the workloads whose names contain this text (and no curve).
ONLY: str | None = None


def measure(rounds: int, items: list[Workload]) -> list[Result]:
    """Run every workload; runic, raw and peer take turns round by round."""
    results = []
    chosen = [item for item in items if ONLY is None or ONLY in item.name]
    last = items.index(chosen[-1]) if chosen else -1
    for workload in items[: last + 1]:
        workload.prepare()  # a skipped one's too: what comes after reads its data
        if workload not in chosen:
            continue
        count = min(rounds, workload.max_rounds or rounds)
        peer_count = min(count, workload.peer_max_rounds or count)
        times: dict[str, list[float]] = {"runic": [], "raw": [], "peer": []}
        for round_number in range(count):
            times["runic"].append(run_once(workload.runic, workload.reset))
            times["raw"].append(run_once(workload.raw, workload.reset))
            if not isinstance(workload.peer, str) and round_number < peer_count:
                times["peer"].append(run_once(workload.peer, workload.reset))
        has_peer = not isinstance(workload.peer, str)
        results.append(
            Result(
                workload.name,
                min(times["runic"]),
                min(times["raw"]),
                workload.budget,
                min(times["peer"]) if has_peer else None,
                workload.peer_note if has_peer else str(workload.peer),
                count,
                peer_count if has_peer else 0,
            )
        )
    return results


def falkordb_module_version(database: Any) -> str:
    """The graph module's version, from MODULE LIST (``ver`` 42201 is 4.22.1)."""
    for module in database.client.execute_command("MODULE", "LIST"):
        if module.get("name") == "graph":
            number = int(module["ver"])
            return f"{number // 10000}.{number // 100 % 100}.{number % 100}"
    return "unknown"


def on_falkordb(rounds: int, sizes: Sizes) -> Report:
    database = FalkorDB()
    runner = asyncio.Runner()
    # The raw client waits for replies as long as runic's async driver does: the driver
    # keeps the embedded handle's socket_timeout (redislite's 5 s), which costs each read
    # a timer in redis-py.
    async_client = AsyncFalkorDB(
        unix_socket_path=database.client.socket_file,
        max_connections=sizes.tasks,
        socket_timeout=database.client.connection_pool.connection_kwargs.get("socket_timeout"),
    )
    orm = database.select_graph("bench_runic")
    side = AsyncSide(
        runner,
        async_client.select_graph("bench_raw"),
        AsyncFalkorDBDriver(orm, max_connections=sizes.tasks),
    )
    peer = peer_graph = None
    if peer_module:
        peer_graph = FalkorDBRaw(database.select_graph("bench_peer"))
        peer = peer_module.Peer(peer_graph.graph, async_client.select_graph("bench_peer"))
    bench = Bench(
        sizes,
        FalkorDBRaw(database.select_graph("bench_raw")),
        FalkorDBDriver(orm),
        FalkorDBRaw(orm),
        side,
        peer,
        peer_graph,
    )
    try:
        machine = {"FalkorDB": falkordb_module_version(database)}
        results = measure(rounds, workloads(bench))
        return Report(results, measure_curve(rounds, bench), machine, bench.no_peer)
    finally:
        runner.run(side.driver.close())
        runner.run(async_client.connection.aclose())
        runner.close()
        for name in ("bench_raw", "bench_runic", "bench_peer"):
            if name in database.list_graphs():
                database.select_graph(name).delete()
        database.close()


def on_arcadedb(rounds: int, sizes: Sizes) -> Report:
    import neo4j

    from benchmarks.raw_clients import AsyncBoltRaw
    from runic.ogm.driver.bolt import BoltDriver
    from runic.ogm.driver.bolt_async import AsyncBoltDriver
    from tests.backends import ARCADEDB_PASSWORD, ArcadeDBProcess

    server = ArcadeDBProcess(databases=("bench_raw", "bench_runic"))
    auth = ("root", ARCADEDB_PASSWORD)
    client = neo4j.GraphDatabase.driver(server.url, auth=auth)
    async_client = neo4j.AsyncGraphDatabase.driver(server.url, auth=auth)
    runner = asyncio.Runner()
    try:
        driver = BoltDriver(client, database="bench_runic", dialect="arcadedb")
        raw, orm = BoltRaw(client, "bench_raw"), BoltRaw(client, "bench_runic")
        side = AsyncSide(
            runner,
            AsyncBoltRaw(async_client, "bench_raw"),
            AsyncBoltDriver(async_client, database="bench_runic", dialect="arcadedb"),
        )
        bench = Bench(sizes, raw, driver, orm, side, no_peer=FALKORDB_ONLY)
        results = measure(rounds, workloads(bench))
        return Report(results, measure_curve(rounds, bench), {}, FALKORDB_ONLY)
    finally:
        runner.run(async_client.close())
        runner.close()
        client.close()
        server.stop()


def on_age(rounds: int, sizes: Sizes) -> Report:
    import psycopg

    from benchmarks.raw_clients import AsyncAGERaw
    from runic.ogm.driver.age import AGEDriver
    from runic.ogm.driver.age_async import AsyncAGEDriver
    from tests.backends import free_port
    from tests.servers.postgres_age import PostgresAGE

    server = PostgresAGE(free_port())
    server.start()
    runner = asyncio.Runner()
    try:
        driver = AGEDriver(psycopg.connect(server.url), "bench_runic", owns_connection=True)
        AGEDriver(psycopg.connect(server.url), "bench_raw", owns_connection=True).close()
        connection = psycopg.connect(server.url)
        with connection.cursor() as cursor:
            cursor.execute("LOAD 'age'")
            cursor.execute('SET search_path = ag_catalog, "$user", public')
        connection.commit()
        raw, orm = AGERaw(connection, "bench_raw"), AGERaw(connection, "bench_runic")
        async_raw = AsyncAGERaw(server.url, "bench_raw", sizes.tasks)
        async_driver = AsyncAGEDriver.from_url(
            f"{server.url}?graph=bench_runic", max_connections=sizes.tasks
        )
        try:
            side = AsyncSide(runner, async_raw, async_driver)
            bench = Bench(sizes, raw, driver, orm, side, no_peer=FALKORDB_ONLY)
            results = measure(rounds, workloads(bench))
            return Report(results, measure_curve(rounds, bench), {}, FALKORDB_ONLY)
        finally:
            runner.run(async_driver.close())
            runner.run(async_raw.close())
            driver.close()
            connection.close()
    finally:
        runner.close()
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
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="write docs/performance_*.csv and docs/_static/performance.png (FalkorDB only)",
    )
    parser.add_argument(
        "--only",
        metavar="TEXT",
        help="run just the workloads whose names contain TEXT (e.g. async), and no curve",
    )
    arguments = parser.parse_args()
    if arguments.write_docs and (arguments.backend != "falkordb" or arguments.only):
        parser.error("--write-docs documents the whole FalkorDB run")
    global ONLY
    ONLY = arguments.only
    scale = arguments.scale or (0.1 if arguments.backend == "age" else 1.0)
    sizes = Sizes().scaled(scale)
    started = time.perf_counter()
    report = BACKENDS[arguments.backend](arguments.rounds, sizes)
    machine = describe_machine(TITLES[arguments.backend], arguments.rounds, scale)
    report.machine = machine | report.machine
    print_report(report, arguments.rounds)
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    if arguments.write_docs:
        for path in write_docs(report):
            print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
