"""Reading one's own writes where reads go to replicas.

A driver whose read-only queries go to replicas (FalkorDB's ``read_from="replica"``)
offers ``execute_on_primary``. A session sends its reads there once it has sent a
write, so it never reads a replica that has not applied that write yet. Shared by the
sync and async sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def primary_reader(driver: Any) -> Callable[..., Any] | None:
    """The driver's ``execute_on_primary`` when its reads go to replicas, else None."""
    if getattr(driver, "reads_from_replicas", False):
        execute: Callable[..., Any] = driver.execute_on_primary
        return execute
    return None


def query_routes[F](
    execute: F, primary: F | None, on_primary: bool, wrap: Callable[[F], F] | None
) -> tuple[F, F | None]:
    """What a session's query loop sends through now, and what it switches to at its
    first write (None: no switch). ``wrap`` is the query log's, when it is on."""
    chosen, later = (primary, None) if primary is not None and on_primary else (execute, primary)
    assert chosen is not None
    if wrap is None:
        return chosen, later
    return wrap(chosen), None if later is None else wrap(later)
