"""The ``runic.ogm`` logger, a statement's Cypher and readable reprs (issue 16)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from runic.ogm import AsyncSession, Session, select
from runic.ogm.exceptions import QueryRejectedError
from tests.models import User


def test_each_query_is_logged_at_debug_without_values(driver: Any, caplog: Any) -> None:
    with Session(driver) as session:
        session.add(User(id="ada", name="Ada", email="secret@x.org"))
    caplog.set_level(logging.DEBUG, logger="runic.ogm")
    with Session(driver) as session:
        session.scalars(select(User).where(User.email == "secret@x.org"))
        with pytest.raises(QueryRejectedError):
            session.execute("RETURN $x +")
    records = [r for r in caplog.records if r.name == "runic.ogm"]
    assert len(records) == 2
    read = records[0].getMessage()
    assert read.startswith("read in ") and "1 rows; parameters: p0" in read
    assert "MATCH (n:`User`)" in read and "secret@x.org" not in read
    assert "failed: QueryRejectedError" in records[1].getMessage()
    assert not any(r.name == "runic.ogm.parameters" for r in caplog.records)

    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="runic.ogm.parameters")
    with Session(driver) as session:
        session.scalars(select(User).where(User.email == "secret@x.org"))
    values = [r.getMessage() for r in caplog.records if r.name == "runic.ogm.parameters"]
    assert values == ["parameter values: {'p0': 'secret@x.org'}"]


@pytest.mark.asyncio
async def test_an_async_session_logs_its_queries(async_driver: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="runic.ogm")
    async with AsyncSession(async_driver) as session:
        await session.count(select(User))
    assert any("read in" in r.getMessage() for r in caplog.records if r.name == "runic.ogm")


def test_a_statement_shows_its_cypher_and_sessions_their_state(driver: Any) -> None:
    statement = select(User).where(User.name == "Ada").order_by(User.id).limit(3)
    assert str(statement) == (
        "MATCH (n:`User`)\nWHERE n.`name` = $p0\nRETURN n\nORDER BY n.`id`\nLIMIT $limit"
    )
    session = Session(driver)
    session.add(User(id="ada", name="Ada", email="a@x.org"))
    text = repr(session)
    assert text.startswith("<Session on FalkorDBDriver(graph=") and "server=" in text
    assert text.endswith("1 entities held, changes pending>")
    session.close()
    assert repr(session).endswith(": closed>")
