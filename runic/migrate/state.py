"""What is applied where, kept in the graph itself: a ``RunicRevision`` node per applied
revision (its id and checksum), and a ``RunicMigrationLock`` node while a deployer
migrates. All of it as sans-I/O plans of requests, for sync and async drivers alike."""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import Any

from runic.migrate.errors import MigrationLockedError
from runic.migrate.revisions import Revision
from runic.ogm.exceptions import ConstraintViolationError
from runic.ogm.query.compiler import CompiledQuery
from runic.ogm.schema.plan import Pause, SchemaRequest

REVISION_LABEL = "RunicRevision"
LOCK_LABEL = "RunicMigrationLock"
#: A lock not renewed for this long is taken over (its deployer died).
LOCK_TTL = 900.0
#: How often a waiting deployer asks again.
LOCK_POLL = 0.25

type Plan[T] = Generator[SchemaRequest, Any, T]


def applied() -> Plan[dict[str, str]]:
    """Applied revision ids, each with the checksum its file had then."""
    result = yield CompiledQuery(
        f"MATCH (r:{REVISION_LABEL}) RETURN r.id AS id, r.checksum AS checksum", read_only=True
    )
    return {str(row[0]): str(row[1]) for row in result.rows}


def record(revision: Revision) -> Plan[None]:
    yield CompiledQuery(
        f"CREATE (:{REVISION_LABEL} {{id: $id, checksum: $checksum, message: $message, "
        "applied_at: $at})",
        {
            "id": revision.id,
            "checksum": revision.checksum,
            "message": revision.message,
            "at": time.time(),
        },
        read_only=False,
    )


def unrecord(revision_id: str) -> Plan[None]:
    yield CompiledQuery(
        f"MATCH (r:{REVISION_LABEL} {{id: $id}}) DELETE r", {"id": revision_id}, read_only=False
    )


def take_lock(owner: str, ttl: float = LOCK_TTL) -> Plan[str]:
    """Take the lock, or renew it if ``owner`` holds it; the holder's name either way.

    One query, so it is atomic where a query is (FalkorDB, AGE under its write lock, a
    Bolt transaction). Plain ``MERGE`` plus ``CASE``, which every backend runs.
    """
    now = time.time()
    result = yield CompiledQuery(
        f"MERGE (l:{LOCK_LABEL} {{name: 'lock'}}) "
        "WITH l, (l.owner IS NULL OR l.owner = $owner OR l.expires < $now) AS free "
        "SET l.owner = CASE WHEN free THEN $owner ELSE l.owner END, "
        "l.expires = CASE WHEN free THEN $expires ELSE l.expires END "
        "RETURN l.owner AS owner, l.expires AS expires",
        {"owner": owner, "now": now, "expires": now + ttl},
        read_only=False,
    )
    holders = {str(row[0]) for row in result.rows}
    return owner if holders == {owner} else ", ".join(sorted(holders - {owner}))


def wait_for_lock(owner: str, timeout: float) -> Plan[None]:
    """Take the lock, waiting up to ``timeout`` seconds while another deployer holds it."""
    waited = 0.0
    while True:
        try:
            holder = yield from take_lock(owner)
        except ConstraintViolationError:  # another deployer made the lock node first
            holder = "another deployer, creating the lock"
        if holder == owner:
            return
        if waited >= timeout:
            raise MigrationLockedError(
                f"another deployer ({holder}) is migrating this graph; waited {timeout:g} s. "
                f"Its lock expires {LOCK_TTL:g} s after its last step if it has died."
            )
        yield Pause(LOCK_POLL)
        waited += LOCK_POLL


def keep_lock(owner: str) -> Plan[None]:
    """Renew the lock; if it expired and another deployer took it, stop, before two
    deployers change the graph at once."""
    holder = yield from take_lock(owner)
    if holder != owner:
        raise MigrationLockedError(
            f"this deployer's lock expired and {holder} took it over; stopped here, before "
            "the next step (run the migration again once the other one has finished)"
        )


def release_lock(owner: str) -> Plan[None]:
    yield CompiledQuery(
        f"MATCH (l:{LOCK_LABEL} {{name: 'lock'}}) WHERE l.owner = $owner DELETE l",
        {"owner": owner},
        read_only=False,
    )
