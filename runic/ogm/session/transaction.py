"""``session.begin()``: a server transaction across flushes and reads, on the backends
that have one (Bolt and AGE).

The state kept here is shared by both sessions; the shells open the driver's
transaction, send the block's queries through it, and commit or roll it back.
"""

from __future__ import annotations

from typing import Any

from runic.ogm.exceptions import TransactionError
from runic.ogm.session.unit_of_work import UnitOfWork


def refusal(driver: Any) -> TransactionError:
    """Why ``driver`` cannot run ``session.begin()``."""
    if getattr(getattr(driver, "dialect", None), "name", None) == "falkordb":
        return TransactionError(
            "session.begin(): FalkorDB has no transaction across queries. A session's "
            "commit() is already one atomic query: stage the block's changes and commit "
            "once. (begin() runs on the Bolt and AGE drivers.)"
        )
    return TransactionError(
        f"session.begin(): {type(driver).__name__} has no begin(), so it cannot run a "
        "transaction across queries"
    )


class TransactionBlock:
    """Whether a ``session.begin()`` block is open, and what its end does to the session."""

    __slots__ = ("deferred", "open")

    def __init__(self) -> None:
        self.open = False
        #: Models whose key index a flush in the block would have made: index DDL cannot
        #: share a transaction with writes (Neo4j refuses it), so it runs after the COMMIT.
        self.deferred: set[Any] = set()

    def enter(self) -> None:
        if self.open:
            raise TransactionError(
                "session.begin() is already open in this session: blocks do not nest"
            )
        self.open = True

    def leave(self, unit: UnitOfWork, rolled_back: bool) -> None:
        """After a rollback (or a COMMIT that failed) the entities the session holds may
        not match the graph: the session forgets them all, as ``expunge_all()`` does. A
        rollback leaves the graph as it was before the block, so the block can run again;
        after ``WriteOutcomeUnknownError`` the COMMIT may have been applied, so read what
        is stored before running it again."""
        self.open = False
        if rolled_back:
            self.deferred.clear()
            unit.expunge_all()

    def refuse_inside(self, method: str) -> None:
        if self.open:
            ending = (
                "it commits when the block ends; flush() sends changes now"
                if method == "commit"
                else "raise an exception out of the block to roll it back"
            )
            raise TransactionError(f"session.{method}() inside `with session.begin()`: {ending}")
