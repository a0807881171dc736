"""docs/session.rst's ``session.begin()`` block, run on every backend's sync driver."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm.exceptions import TransactionError
from tests.backends import Backend
from tests.docs_blocks import block_containing
from tests.models import User


def test_the_session_pages_transaction_block(backend: Backend) -> None:
    block = block_containing("session.rst", "session.begin()")
    block = block.replace("from myapp.models import User", "")
    scope: dict[str, Any] = {"__name__": "docs_session", "User": User}
    exec(compile(block, "docs/session.rst", "exec", dont_inherit=True), scope)
    with backend.session() as session:
        session.add(User(id="ada", name="Ada", email="ada@example.com", city="Rome"))
    if backend.name == "falkordb":
        with pytest.raises(TransactionError, match="FalkorDB has no transaction across"):
            scope["move"](backend.driver, "ada", "Oslo")
        return
    assert scope["move"](backend.driver, "ada", "Oslo") == 1
    assert backend.rows("MATCH (u:User) RETURN u.city") == [["Oslo"]]
