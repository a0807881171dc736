"""Migrations on every live backend: revisions up and down, data in batches, the
revision state and lock in the graph, edited revisions, several heads, async."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from runic.migrate import (
    MigrationError,
    MigrationLockedError,
    async_current,
    async_upgrade,
    current,
    downgrade,
    stamp,
    upgrade,
)
from runic.migrate.autogen import diff_operations
from runic.migrate.state import take_lock
from runic.migrate.writer import write_revision
from runic.ogm import Field, Node
from runic.ogm.exceptions import SchemaError
from runic.ogm.schema import SchemaItem, run_requests
from runic.ogm.schema.plan import change_items
from tests.backends import Backend, async_driver_for, make_index


def revisions(directory: Path, schema: bool) -> None:
    """Three revisions: a schema change (where the backend has one), then data."""
    write_revision(
        directory,
        "index names",
        (),
        revision="r1",
        upgrade=['op.create_index("Member", "name")'] if schema else ["pass"],
        downgrade=['op.drop_index("Member", "name")'] if schema else ["pass"],
    )
    write_revision(
        directory,
        "rename name to full_name",
        ("r1",),
        revision="r2",
        upgrade=['op.rename_property("Member", "name", "full_name")'],
        downgrade=['op.rename_property("Member", "full_name", "name")'],
    )
    write_revision(
        directory,
        "active by default, copy to display",
        ("r2",),
        revision="r3",
        upgrade=[
            'op.set_default("Member", "active", True)',
            'op.copy_property("Member", "full_name", "display")',
        ],
        downgrade=['op.remove_property("Member", "display")'],
    )


def members(backend: Backend) -> list[list[Any]]:
    return backend.rows(
        "MATCH (m:Member) RETURN count(m.name), count(m.full_name), count(m.active), "
        "count(m.display)"
    )


def test_upgrade_downgrade_and_upgrade_again(backend: Backend, tmp_path: Path) -> None:
    revisions(tmp_path, schema=True)
    backend.driver.execute("UNWIND range(1, 23) AS i CREATE (:Member {name: 'm' + toString(i)})")
    assert upgrade(backend.driver, tmp_path, batch_size=5) == ["r1", "r2", "r3"]
    assert set(current(backend.driver)) == {"r1", "r2", "r3"}
    assert members(backend) == [[0, 23, 23, 23]]
    assert upgrade(backend.driver, tmp_path) == []  # nothing left to do

    assert downgrade(backend.driver, tmp_path, "-1") == ["r3"]
    assert members(backend) == [[0, 23, 23, 0]]
    assert downgrade(backend.driver, tmp_path, "base", batch_size=4) == ["r2", "r1"]
    assert members(backend) == [[23, 0, 23, 0]] and current(backend.driver) == {}
    assert upgrade(backend.driver, tmp_path, "r2") == ["r1", "r2"]
    assert set(current(backend.driver)) == {"r1", "r2"}
    backend.driver.execute("MATCH (r:RunicRevision) DELETE r")


def test_schema_operations(backend: Backend, tmp_path: Path) -> None:
    """Through the schema layer, idempotent: what exists is not made again, what is gone
    is not dropped."""
    revisions(tmp_path, schema=True)
    index = SchemaItem("index", "Member", "name")
    assert upgrade(backend.driver, tmp_path, "r1") == ["r1"]
    made = run_requests(backend.driver, change_items(backend.driver.dialect, [index], []))
    assert made.created == []  # it exists: nothing to make
    assert downgrade(backend.driver, tmp_path, "base") == ["r1"]
    made = run_requests(backend.driver, change_items(backend.driver.dialect, [], [index]))
    assert made.dropped == []  # it is gone: nothing to drop


def test_an_index_the_backend_cannot_make_is_refused_before_any_change(
    backend: Backend, tmp_path: Path
) -> None:
    """A vector index: FalkorDB makes it; ArcadeDB and AGE refuse it, with nothing sent,
    nothing recorded and the lock released."""
    write_revision(
        tmp_path,
        "embeddings",
        (),
        revision="v1",
        upgrade=['op.create_index("Member", "name")', _VECTOR],
        downgrade=['op.drop_vector_index("Member", "embedding")'],
    )
    if backend.name == "falkordb":
        assert upgrade(backend.driver, tmp_path) == ["v1"]
        assert downgrade(backend.driver, tmp_path, "base") == ["v1"]
        return
    with pytest.raises(SchemaError, match=r"cannot make vector Member\.embedding"):
        upgrade(backend.driver, tmp_path)
    assert current(backend.driver) == {}
    assert backend.rows("MATCH (l:RunicMigrationLock) RETURN count(l)") == [[0]]
    name_index = SchemaItem("index", "Member", "name")
    made = run_requests(backend.driver, change_items(backend.driver.dialect, [name_index], []))
    assert made.created == [name_index]  # the revision's first operation did not run either
    run_requests(backend.driver, change_items(backend.driver.dialect, [], [name_index]))


_VECTOR = 'op.create_vector_index("Member", "embedding", dimension=3)'


def test_an_edited_revision_is_reported(backend: Backend, tmp_path: Path) -> None:
    revisions(tmp_path, schema=False)
    upgrade(backend.driver, tmp_path, "r1")
    path = next(tmp_path.glob("r1_*.py"))
    path.write_text(path.read_text() + "\n# edited\n")
    with pytest.raises(MigrationError, match=r"edited since: r1_index_names.py"):
        upgrade(backend.driver, tmp_path)
    assert upgrade(backend.driver, tmp_path, allow_edited=True) == ["r2", "r3"]
    backend.driver.execute("MATCH (r:RunicRevision) DELETE r")


def test_heads_must_be_merged_for_head(backend: Backend, tmp_path: Path) -> None:
    revisions(tmp_path, schema=False)
    write_revision(tmp_path, "side branch", ("r1",), revision="s2")
    with pytest.raises(MigrationError, match="2 heads"):
        upgrade(backend.driver, tmp_path)
    assert upgrade(backend.driver, tmp_path, "heads") == ["r1", "r2", "s2", "r3"]
    write_revision(tmp_path, "join", ("r3", "s2"), revision="j4")
    assert upgrade(backend.driver, tmp_path) == ["j4"]
    backend.driver.execute("MATCH (r:RunicRevision) DELETE r")


def test_a_held_lock_makes_a_second_deployer_wait_then_fail(
    backend: Backend, tmp_path: Path
) -> None:
    revisions(tmp_path, schema=False)
    assert run_requests(backend.driver, take_lock("other-deployer")) == "other-deployer"
    with pytest.raises(MigrationLockedError, match="other-deployer"):
        upgrade(backend.driver, tmp_path, lock_timeout=0.5)
    assert current(backend.driver) == {}
    backend.driver.execute("MATCH (l:RunicMigrationLock) DELETE l")
    assert stamp(backend.driver, tmp_path) == ["r1", "r2", "r3"]  # a graph made before
    assert upgrade(backend.driver, tmp_path) == []
    backend.driver.execute("MATCH (r:RunicRevision) DELETE r")


def test_two_concurrent_upgrades_apply_each_revision_once(backend: Backend, tmp_path: Path) -> None:
    revisions(tmp_path, schema=False)
    backend.driver.execute("UNWIND range(1, 200) AS i CREATE (:Member {name: 'm' + toString(i)})")
    outcomes: list[Any] = []

    def deploy() -> None:
        try:
            outcomes.append(upgrade(backend.driver, tmp_path, batch_size=10))
        except Exception as error:
            outcomes.append(error)

    threads = [threading.Thread(target=deploy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(map(str, outcomes)) == ["['r1', 'r2', 'r3']", "[]"]
    if backend.name == "arcadedb":  # the lock node is unique across processes too
        lock_name = SchemaItem("unique", "RunicMigrationLock", "name")
        made = run_requests(backend.driver, change_items(backend.driver.dialect, [lock_name], []))
        assert made.created == []  # it exists already
    assert backend.rows("MATCH (r:RunicRevision) RETURN count(r)") == [[3]]
    assert members(backend) == [[0, 200, 200, 200]]
    backend.driver.execute("MATCH (r:RunicRevision) DELETE r")


def test_the_async_api(backend: Backend, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A service migrating at startup with its async driver."""
    revisions(tmp_path, schema=True)
    driver = async_driver_for(request, backend.name)

    async def migrate() -> tuple[list[str], dict[str, str]]:
        try:
            done = await async_upgrade(driver, tmp_path)
            return done, await async_current(driver)
        finally:
            await driver.close()

    done, state = asyncio.run(migrate())
    assert done == ["r1", "r2", "r3"] and set(state) == set(done)
    backend.driver.execute("MATCH (r:RunicRevision) DELETE r")


def test_a_data_migration_over_100_000_nodes_goes_in_bounded_batches(
    graph: Any, tmp_path: Path
) -> None:
    from runic.ogm.driver.falkordb import FalkorDBDriver
    from runic.ogm.driver.recording import record_queries

    graph.query("UNWIND range(1, 100000) AS i CREATE (:Reader {name: 'r' + toString(i)})")
    write_revision(
        tmp_path,
        "full names",
        (),
        revision="big",
        upgrade=['op.rename_property("Reader", "name", "full_name")'],
    )
    driver = FalkorDBDriver(graph)
    seen: list[int] = []
    with record_queries(driver) as log:
        upgrade(driver, tmp_path, progress=lambda operation, changed: seen.append(changed))
    batches = [q for q in log.queries if "LIMIT $batch" in q.cypher]
    assert len(batches) == 11 and all(q.params["batch"] == 10_000 for q in batches)
    assert seen == [10_000 * n for n in range(1, 11)]
    counted = graph.query("MATCH (r:Reader) RETURN count(r.name), count(r.full_name)")
    assert counted.result_set == [[0, 100_000]]


class Cupboard(Node):
    code: str = Field(primary_key=True)
    room: str = Field(index=True)


def test_autogenerate_writes_the_schema_difference(backend: Backend, tmp_path: Path) -> None:
    up, down = diff_operations(backend.driver, [Cupboard])
    assert "op.create_index('Cupboard', 'room')" in up
    assert "op.create_unique('Cupboard', 'code')" in up
    assert sorted(down) == sorted(line.replace("create", "drop") for line in up)
    write_revision(tmp_path, "cupboards", (), revision="c1", upgrade=up, downgrade=down)
    assert upgrade(backend.driver, tmp_path) == ["c1"]
    assert diff_operations(backend.driver, [Cupboard]) == ([], [])

    # The model no longer declares an index the graph has: the next revision drops it.
    make_index(backend, "Cupboard", "colour")
    up, down = diff_operations(backend.driver, [Cupboard])
    assert up == ["op.drop_index('Cupboard', 'colour')"]
    assert down == ["op.create_index('Cupboard', 'colour')"]
    write_revision(tmp_path, "no colour index", ("c1",), revision="c2", upgrade=up, downgrade=down)
    assert upgrade(backend.driver, tmp_path) == ["c2"]
    assert diff_operations(backend.driver, [Cupboard]) == ([], [])
    assert downgrade(backend.driver, tmp_path, "base") == ["c2", "c1"]
    up, _ = diff_operations(backend.driver, [Cupboard])
    assert "op.drop_index('Cupboard', 'colour')" in up  # c2's downgrade made it again
    assert "op.create_index('Cupboard', 'room')" in up  # c1's downgrade dropped it
    backend.driver.execute("MATCH (r:RunicRevision) DELETE r")
    run_requests(backend.driver, change_items(backend.driver.dialect, [], [colour_index()]))


def colour_index() -> SchemaItem:
    return SchemaItem("index", "Cupboard", "colour")


def test_a_deployer_that_lost_its_lock_stops(backend: Backend, tmp_path: Path) -> None:
    """Its lock expired mid-operation and another deployer took it: the next batch's
    renewal finds that, and the run stops there, recording nothing."""
    revisions(tmp_path, schema=False)
    backend.driver.execute("UNWIND range(1, 20) AS i CREATE (:Member {name: 'm' + toString(i)})")

    def intrude(operation: str, changed: int) -> None:
        if changed == 5:
            backend.driver.execute("MATCH (l:RunicMigrationLock) SET l.expires = 0")
            assert run_requests(backend.driver, take_lock("intruder")) == "intruder"

    with pytest.raises(MigrationLockedError, match="intruder took it over"):
        upgrade(backend.driver, tmp_path, "r2", batch_size=5, progress=intrude)
    assert set(current(backend.driver)) == {"r1"}  # r2 stopped after one batch
    assert members(backend) == [[15, 5, 0, 0]]
    assert backend.rows("MATCH (l:RunicMigrationLock) RETURN l.owner") == [["intruder"]]
    backend.driver.execute("MATCH (l:RunicMigrationLock) DELETE l")
    backend.driver.execute("MATCH (r:RunicRevision) DELETE r")
