"""Running a unit of work again when it lost a race: ``run_in_transaction``.

Optimistic locking turns a lost update into :class:`~runic.ogm.exceptions.StaleDataError`;
the answer is to read again and redo the change in a fresh session. These helpers do
that: open a session, call ``work(session)``, commit, and on a retryable error wait a
little (exponential backoff with full jitter, so contenders spread out) and start over.
The delays are computed once here for the sync and async helpers.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from runic.ogm.exceptions import StaleDataError

if TYPE_CHECKING:
    from runic.ogm.session.async_session import AsyncSession
    from runic.ogm.session.session import Session

#: What is worth running again by default: a version check that failed, so nothing was
#: written. Pass ``retry_on=`` to add your own.
RETRYABLE: tuple[type[BaseException], ...] = (StaleDataError,)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits between attempts: up to ``first`` seconds, doubling, never above ``cap``."""

    first: float = 0.005
    cap: float = 2.0

    def delays(self, retries: int) -> Iterator[float]:
        """One delay before each retry (full jitter: uniform between 0 and the bound)."""
        for attempt in range(retries):
            yield random.uniform(0, min(self.cap, self.first * 2**attempt))


DEFAULT_BACKOFF = Backoff()


def _check(retries: int) -> None:
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"run_in_transaction(): retries must be an int >= 0, got {retries!r}")


def _schedule(retries: int, backoff: Backoff) -> Iterator[float]:
    """0 before the first attempt, then the backoff's delays."""
    _check(retries)
    yield 0.0
    yield from backoff.delays(retries)


def _gave_up(error: BaseException, attempts: int) -> BaseException:
    error.add_note(f"run_in_transaction(): gave up after {attempts} attempts")
    return error


def run_in_transaction[T](
    open_session: Callable[[], Session],
    work: Callable[[Session], T],
    *,
    retries: int = 5,
    retry_on: tuple[type[BaseException], ...] = RETRYABLE,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> T:
    """``work(session)`` in a new session, committed; run again on a retryable error."""
    failure: BaseException | None = None
    attempts = 0
    for delay in _schedule(retries, backoff):
        if delay:
            time.sleep(delay)
        attempts += 1
        try:
            with open_session() as session:
                if attempts > 1:
                    session.read_from_primary()
                return work(session)
        except retry_on as error:
            failure = error
    assert failure is not None
    raise _gave_up(failure, attempts)


async def async_run_in_transaction[T](
    open_session: Callable[[], AsyncSession],
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    retries: int = 5,
    retry_on: tuple[type[BaseException], ...] = RETRYABLE,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> T:
    """The async mirror of :func:`run_in_transaction`: ``await work(session)``."""
    failure: BaseException | None = None
    attempts = 0
    for delay in _schedule(retries, backoff):
        if delay:
            await asyncio.sleep(delay)
        attempts += 1
        try:
            async with open_session() as session:
                if attempts > 1:
                    session.read_from_primary()
                return await work(session)
        except retry_on as error:
            failure = error
    assert failure is not None
    raise _gave_up(failure, attempts)
