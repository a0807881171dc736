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

    __slots__ = ("open",)

    def __init__(self) -> None:
        self.open = False

    def enter(self) -> None:
        if self.open:
            raise TransactionError(
                "session.begin() is already open in this session: blocks do not nest"
            )
        self.open = True

    def leave(self, unit: UnitOfWork, rolled_back: bool) -> None:
        """After a rollback (or a COMMIT that failed) the graph is as it was before the
        block, so the entities the session holds no longer match it: the session forgets
        them all, as ``expunge_all()`` does, and the block can be run again."""
        self.open = False
        if rolled_back:
            unit.expunge_all()

    def refuse_inside(self, method: str) -> None:
        if self.open:
            ending = (
                "it commits when the block ends; flush() sends changes now"
                if method == "commit"
                else "raise an exception out of the block to roll it back"
            )
            raise TransactionError(f"session.{method}() inside `with session.begin()`: {ending}")
