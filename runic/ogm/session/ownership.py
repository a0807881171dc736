"""Who may use a session right now: one thread (``Session``) or one task (``AsyncSession``).

A sync ``Session`` is refused to a second thread while another thread is inside any of
its methods: threads interleave anywhere, so staging in the middle of a flush plan could
corrupt it. An ``AsyncSession`` refuses a second task's *operation* (a query, a flush,
``rollback``, ``close``) while one is in flight, but lets any task *stage* work then:
tasks interleave only at ``await``, so a staging call is never cut in two, and the unit
of work settles only what the flush in flight planned (see :mod:`.inflight`), so work
staged during the flight stays pending for the next flush.
"""

from __future__ import annotations

import asyncio
from threading import RLock
from typing import Any

from runic.ogm.exceptions import RunicError
from runic.ogm.session.inflight import Flight
from runic.ogm.session.unit_of_work import UnitOfWork

THREAD_IN_USE = (
    "this Session is already in use by another thread; a Session belongs to one thread "
    "at a time: open one session per thread (this call changed and sent nothing)"
)
TASK_IN_USE = (
    "this AsyncSession is already in use by another task; an AsyncSession belongs to one "
    "task at a time: open one session per task (this call changed and sent nothing)"
)


class SessionInUseError(RunicError, RuntimeError):
    """A session was used by a second thread (or task) while another was inside it.

    Nothing was changed or sent by the refused call: retry it once the other thread or
    task is done with the session, or give each thread or task its own session.
    """


class ThreadGuard:
    """``with guard:`` around every sync Session method: one thread inside at a time.

    A non-blocking acquire of a re-entrant lock, so it never waits and costs about
    what two C calls cost; the thread inside may re-enter (a lazy load during an
    operation). ``Session._run`` uses ``lock`` directly on its hot path.
    """

    __slots__ = ("lock",)

    def __init__(self) -> None:
        self.lock = RLock()

    def __enter__(self) -> None:
        if not self.lock.acquire(False):
            raise SessionInUseError(THREAD_IN_USE)

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    def during(self) -> None:
        """No other thread stages during a sync flush, so no flight needs watching."""
        return None


class TaskGuard:
    """An AsyncSession's owner while an operation is in flight.

    ``with guard:`` around staging lets every task in (it stays pending, see above);
    ``claim``/``release`` around an operation refuse a second task.
    """

    __slots__ = ("_unit", "flight", "task")

    def __init__(self, unit: UnitOfWork) -> None:
        self.task: asyncio.Task[Any] | None = None
        #: What staging during the current operation must know about its flush.
        self.flight: Flight | None = None
        self._unit = unit

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None

    def claim(self, operation: Any) -> None:
        """Make the current task the owner, or refuse (closing ``operation`` unstarted)."""
        task = asyncio.current_task()
        if self.task is not None and self.task is not task:
            operation.close()
            raise SessionInUseError(TASK_IN_USE)
        self.task = task

    def during(self) -> Flight | None:
        """The flight a staging call happens during, if an operation is under way (made
        on first use: most operations see no staging meanwhile)."""
        if self.task is None:
            return None
        if self.flight is None:
            self.flight = Flight(self._unit)
        return self.flight

    def release(self) -> None:
        """The operation ended, however: settle what staging did during its flight."""
        flight = self.flight
        self.task = None
        self.flight = None
        if flight is not None:
            flight.landed()
        else:
            Flight.settle(self._unit)
