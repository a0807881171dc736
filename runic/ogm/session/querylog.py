"""What a session sends, on the ``runic.ogm`` logger.

At DEBUG, each query is logged once it has run: its Cypher, the names of its parameters,
how long it took and how many rows came back (or the error). Parameter values can hold
personal data, so they are logged only when the ``runic.ogm.parameters`` logger itself
is set to DEBUG (a level inherited from ``runic.ogm`` is not enough)::

    logging.getLogger("runic.ogm").setLevel(logging.DEBUG)
    logging.getLogger("runic.ogm.parameters").setLevel(logging.DEBUG)  # values too
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger("runic.ogm")
values_logger = logging.getLogger("runic.ogm.parameters")


def logging_queries() -> bool:
    """Checked once per session operation, so a disabled logger costs next to nothing."""
    return logger.isEnabledFor(logging.DEBUG)


def log_query(query: Any, result: Any, seconds: float, error: BaseException | None) -> None:
    """One DEBUG record for a query that ran (``result``) or failed (``error``)."""
    names = ", ".join(sorted(query.params)) or "none"
    outcome = f"failed: {type(error).__name__}" if error is not None else f"{len(result.rows)} rows"
    kind = "read" if query.read_only else "write"
    logger.debug(
        "%s in %.2f ms, %s; parameters: %s\n%s",
        kind,
        seconds * 1000,
        outcome,
        names,
        query.cypher,
    )
    if logging.NOTSET < values_logger.level <= logging.DEBUG:  # set on it, not inherited
        values_logger.debug("parameter values: %r", query.params)


class _Query:
    """The parts of a query :func:`log_query` reads, from a driver call's arguments."""

    __slots__ = ("cypher", "params", "read_only")

    def __init__(self, cypher: str, params: Any, read_only: bool) -> None:
        self.cypher, self.params, self.read_only = cypher, params or {}, read_only


def logged(execute: Callable[..., Any]) -> Callable[..., Any]:
    """A driver's ``execute`` that logs each query (see :func:`log_query`)."""

    def run(cypher: str, params: Any = None, *, read_only: bool = False) -> Any:
        started = time.perf_counter()
        try:
            result = execute(cypher, params, read_only=read_only)
        except BaseException as error:
            log_query(_Query(cypher, params, read_only), None, time.perf_counter() - started, error)
            raise
        log_query(_Query(cypher, params, read_only), result, time.perf_counter() - started, None)
        return result

    return run


def logged_async(execute: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """:func:`logged` for an async driver."""

    async def run(cypher: str, params: Any = None, *, read_only: bool = False) -> Any:
        started = time.perf_counter()
        try:
            result = await execute(cypher, params, read_only=read_only)
        except BaseException as error:
            log_query(_Query(cypher, params, read_only), None, time.perf_counter() - started, error)
            raise
        log_query(_Query(cypher, params, read_only), result, time.perf_counter() - started, None)
        return result

    return run
