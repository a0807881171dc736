"""Upgrade, downgrade and stamp as plans: under the lock, each revision's operations,
then its record. Driven by :mod:`runic.migrate.api` with a sync or an async driver.

A revision is recorded once all its operations have run. FalkorDB has no transaction
spanning queries, so a revision stopped midway is not recorded: run it again, and its
operations (idempotent: schema changes skip what exists, batches match only what is
left to change) finish the work.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from runic.migrate import state
from runic.migrate.errors import MigrationError
from runic.migrate.operations import Operations, Progress
from runic.migrate.revisions import Revision, RevisionGraph
from runic.migrate.state import Plan
from runic.ogm.driver.dialect import Dialect
from runic.ogm.schema.items import SchemaItem
from runic.ogm.schema.plan import change_items

log = logging.getLogger("runic.migrate")

#: How long ``upgrade`` waits for another deployer's lock by default, in seconds.
LOCK_TIMEOUT = 60.0


def deployer() -> str:
    """A name for this process in the lock, so a waiting deployer can say who holds it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def log_progress(operation: str, changed: int) -> None:
    log.info("%s: %s nodes so far", operation, f"{changed:,}")


@dataclass
class Settings:
    dialect: Dialect
    lock_timeout: float = LOCK_TIMEOUT
    batch_size: int | None = None
    progress: Progress = log_progress
    #: Run although an applied revision's file changed since (``--allow-edited``).
    allow_edited: bool = False
    #: Called before each revision runs: ``(direction, revision)``.
    announce: Callable[[str, Revision], None] = lambda direction, revision: None
    #: This deployer's name in the lock.
    owner: str = field(default_factory=deployer)


def upgrade(graph: RevisionGraph, target: str, settings: Settings) -> Plan[list[str]]:
    return _under_lock(graph, settings, lambda applied: _upgrade(graph, target, settings, applied))


def downgrade(graph: RevisionGraph, target: str, settings: Settings) -> Plan[list[str]]:
    return _under_lock(
        graph, settings, lambda applied: _downgrade(graph, target, settings, applied)
    )


def stamp(graph: RevisionGraph, target: str, settings: Settings) -> Plan[list[str]]:
    """Record revisions as applied without running them (a graph made before migrations)."""
    return _under_lock(graph, settings, lambda applied: _stamp(graph, target, applied))


def current() -> Plan[dict[str, str]]:
    applied: dict[str, str] = yield from state.applied()
    return applied


def _under_lock(
    graph: RevisionGraph,
    settings: Settings,
    work: Callable[[dict[str, str]], Plan[list[str]]],
) -> Plan[list[str]]:
    if settings.dialect.name in ("neo4j", "arcadedb"):
        # Two processes' first MERGE of the lock could make two lock nodes; the server's
        # unique constraint stops that (AGE runs such writes one at a time).
        lock_name = SchemaItem("unique", state.LOCK_LABEL, "name")
        yield from change_items(settings.dialect, [lock_name], [])
    elif settings.dialect.name == "falkordb":
        # FalkorDB runs writes one at a time, but concurrent MERGEs meeting a label that
        # does not exist yet each made a node (seen with two deployer processes; see
        # FalkorDBDriver._ensure_graph). An index makes the label exist first.
        lock_name = SchemaItem("index", state.LOCK_LABEL, "name")
        yield from change_items(settings.dialect, [lock_name], [])
    yield from state.wait_for_lock(settings.owner, settings.lock_timeout)
    try:
        applied = yield from state.applied()
        _check_edits(graph, applied, settings)
        done = yield from work(applied)
    finally:
        yield from state.release_lock(settings.owner)
    return done


def _check_edits(graph: RevisionGraph, applied: dict[str, str], settings: Settings) -> None:
    edited = [
        graph.by_id[revision].path.name
        for revision, checksum in applied.items()
        if revision in graph.by_id and graph.by_id[revision].checksum != checksum
    ]
    if edited and not settings.allow_edited:
        raise MigrationError(
            f"applied revisions were edited since: {', '.join(sorted(edited))}. Write a new "
            "revision instead (or pass allow_edited / --allow-edited to go on)"
        )


def _recorded(revision: Revision, direction: str, settings: Settings) -> Operations:
    """What the revision asks for, recorded (and so checked) before anything is sent."""
    op = Operations(settings.dialect)
    if settings.batch_size is not None:
        op.batch_size = settings.batch_size
    function = revision.upgrade if direction == "upgrade" else revision.downgrade
    function(op)
    return op


def _run(revision: Revision, direction: str, op: Operations, settings: Settings) -> Plan[None]:
    settings.announce(direction, revision)

    def renew() -> Plan[None]:
        yield from state.keep_lock(settings.owner)

    for operation in op.recorded:
        log.info("%s %s: %s", direction, revision.id, operation.describe())
        yield from operation.plan(settings.dialect, settings.progress, renew)
        yield from renew()


def _upgrade(
    graph: RevisionGraph, target: str, settings: Settings, applied: dict[str, str]
) -> Plan[list[str]]:
    # Every revision of the run is recorded first: a refused operation in the last one
    # stops the run before the first one changes anything.
    due = [(r, _recorded(r, "upgrade", settings)) for r in graph.to_upgrade(set(applied), target)]
    done = []
    for revision, op in due:
        yield from _run(revision, "upgrade", op, settings)
        yield from state.record(revision)
        done.append(revision.id)
    return done


def _downgrade(
    graph: RevisionGraph, target: str, settings: Settings, applied: dict[str, str]
) -> Plan[list[str]]:
    unknown = sorted(set(applied) - set(graph.by_id))
    if unknown:
        raise MigrationError(f"the graph has revisions this directory lacks: {unknown}")
    due = [
        (r, _recorded(r, "downgrade", settings)) for r in graph.to_downgrade(set(applied), target)
    ]
    done = []
    for revision, op in due:
        yield from _run(revision, "downgrade", op, settings)
        yield from state.unrecord(revision.id)
        done.append(revision.id)
    return done


def _stamp(graph: RevisionGraph, target: str, applied: dict[str, str]) -> Plan[list[str]]:
    done = []
    for revision in graph.to_upgrade(set(applied), target):
        yield from state.record(revision)
        done.append(revision.id)
    return done
