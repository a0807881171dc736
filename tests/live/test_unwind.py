"""``unwind(rows).merge(...)``: ingest plain rows as nodes and edges by key (issue 15)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from runic.ogm import AsyncSession, Session, select, unwind
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import EntityNotFoundError, FieldValidationError, StatementError
from tests.models import Article, User


def test_rows_become_nodes_by_key_in_bounded_batches(driver: Any) -> None:
    rows = [{"id": f"u{i}", "name": f"User {i}", "email": f"u{i}@x.org"} for i in range(25)]
    with Session(driver) as session:
        held = User(id="u3", name="Old", email="u3@x.org")
        session.add(held)
        session.commit()
        with record_queries(driver) as log:
            written = session.execute(unwind(rows).merge(User).batch(10))
        assert written == 25
        assert sum("UNWIND" in query.cypher for query in log.queries) == 3  # 10 + 10 + 5
        assert held.name == "User 3"  # the held entity reads what the graph now holds
    again = [{"id": "u0", "name": "Renamed", "email": "u0@x.org", "age": 3}]
    with Session(driver) as session:
        assert session.execute(unwind(again).merge(User)) == 1
        assert session.count(select(User)) == 25  # merged by key, not created twice
        u0 = session.get_one(User, "u0")
        assert (u0.name, u0.age, u0.active) == ("Renamed", 3, True)  # defaults filled


def test_rows_become_edges_between_stored_nodes(driver: Any) -> None:
    with Session(driver) as session:
        session.add_all([User(id=k, name=k, email=f"{k}@x.org") for k in ("ada", "bob")])
        session.add_all([Article(id=k, title=k) for k in ("a1", "a2")])
    wrote = [{"user": "ada", "article": "a1"}, {"user": "ada", "article": "a2"}]
    friends = [{"source": "ada", "target": "bob", "since": date(2020, 5, 1)}]
    with Session(driver) as session:
        ada = session.get_one(User, "ada")
        assert ada.articles == []  # loaded: expired by the ingest below
        assert (
            session.execute(unwind(wrote).merge(User.articles, source="user", target_key="article"))
            == 2
        )
        assert session.execute(unwind(friends).merge(User.best_friend)) == 1
        assert sorted(a.id for a in ada.articles) == ["a1", "a2"]
        edges = session.all_with_edges(select(User).traverse(User.best_friend))
        assert [(s.id, e.since, t.id) for s, e, t in edges] == [("ada", date(2020, 5, 1), "bob")]
        # the same rows again: merged, not duplicated
        session.execute(unwind(wrote).merge(User.articles, source="user", target_key="article"))
        assert session.count(select(User).traverse(User.articles).return_target()) == 2


def test_bad_rows_are_refused_before_any_io(driver: Any) -> None:
    with Session(driver) as session, record_queries(driver) as log:
        with pytest.raises(FieldValidationError, match=r"User\.age") as caught:
            session.execute(
                unwind([{"id": "a", "name": "A", "email": "a@x", "age": "old"}]).merge(User)
            )
        assert "in unwind() row 0" in caught.value.__notes__[0]
        with pytest.raises(FieldValidationError, match="User.nickname: unknown field"):
            session.execute(
                unwind([{"id": "a", "name": "A", "email": "a", "nickname": 1}]).merge(User)
            )
        with pytest.raises(StatementError, match="declares no edge class"):
            session.execute(unwind([{"source": "a", "target": "b", "x": 1}]).merge(User.articles))
        with pytest.raises(StatementError, match="needs .merge"):
            session.execute(unwind([{"id": "a"}]))
        with pytest.raises(StatementError, match="iterable of dicts"):
            unwind({"id": "a"})
        with pytest.raises(StatementError, match="positive int"):
            unwind([]).batch(0)
    assert log.count == 0


def test_an_edge_to_a_missing_node_is_refused_and_names_it(driver: Any) -> None:
    with Session(driver) as session:
        session.add(User(id="ada", name="Ada", email="a@x.org"))
    with Session(driver) as session:
        with pytest.raises(EntityNotFoundError, match="no Article with key 'ghost'"):
            session.execute(unwind([{"source": "ada", "target": "ghost"}]).merge(User.articles))
        assert session.count(select(User).traverse(User.articles)) == 0


@pytest.mark.asyncio
async def test_unwind_on_an_async_session(async_driver: Any) -> None:
    rows = [{"id": f"u{i}", "name": "x", "email": f"{i}@x"} for i in range(5)]
    async with AsyncSession(async_driver) as session:
        assert await session.execute(unwind(rows).merge(User)) == 5
        assert await session.count(select(User)) == 5
