"""Versioned schema and data migrations for runic graphs.

Revisions are Python files with ``upgrade(op)`` and ``downgrade(op)``; what is applied
is recorded in the graph itself. Run them with the ``runic-migrate`` command
(``python -m runic.migrate``) or these functions.
"""

from runic.migrate.api import (
    async_current,
    async_downgrade,
    async_stamp,
    async_upgrade,
    current,
    downgrade,
    stamp,
    upgrade,
)
from runic.migrate.errors import MigrationError, MigrationLockedError
from runic.migrate.operations import Operations

__all__ = [
    "MigrationError",
    "MigrationLockedError",
    "Operations",
    "async_current",
    "async_downgrade",
    "async_stamp",
    "async_upgrade",
    "current",
    "downgrade",
    "stamp",
    "upgrade",
]
