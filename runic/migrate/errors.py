"""The migration tool's errors."""

from __future__ import annotations

from runic.ogm.exceptions import RunicError


class MigrationError(RunicError):
    """A migration cannot run as asked: a bad revision file, an unknown revision, an
    edited revision already applied, several heads where one is needed."""


class MigrationLockedError(MigrationError):
    """Another deployer holds the migration lock and did not release it in time."""
