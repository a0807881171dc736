"""Bulk update() and delete() statements on both sessions, against embedded FalkorDB."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncSession, Session, delete, select, update
from runic.ogm.driver.dialect import FALKORDB
from runic.ogm.exceptions import FieldValidationError, StatementError
from runic.ogm.query.bulk import compile_bulk
from tests.models import Sample, User


def seed(driver: Any) -> None:
    with Session(driver) as session:
        session.add_all(
            User(id=f"u{i}", name=f"U{i}", email=f"{i}@x", age=20 + i, active=i % 2 == 0)
            for i in range(6)
        )


def stored(graph: Any) -> list[list[Any]]:
    return graph.query("MATCH (u:User) RETURN u.id, u.age, u.active ORDER BY u.id").result_set


def test_update_compiles_to_one_parameterised_query() -> None:
    statement = update(User).where(User.active == False).values(active=True, age=User.age + 1)
    query = compile_bulk(statement, FALKORDB)
    assert query.cypher == (
        "MATCH (n:`User`)\nWHERE n.`active` = $p0\n"
        "SET n.`active` = $p1, n.`age` = (n.`age` + $p2)\n"
        "RETURN n.`id`, n.`active`, n.`age`"
    )
    assert query.params == {"p0": False, "p1": True, "p2": 1}
    nested = compile_bulk(update(User).values(age=2 * (User.age + 1) - User.age), FALKORDB)
    assert "SET n.`age` = (($p0 * (n.`age` + $p1)) - n.`age`)" in nested.cypher
    counted = compile_bulk(statement, FALKORDB, returning=False)
    assert counted.cypher.endswith(
        "SET n.`active` = $p1, n.`age` = (n.`age` + $p2)\nRETURN count(*)"
    )
    query = compile_bulk(delete(User).where(User.age > 30), FALKORDB)
    assert query.cypher == (
        "MATCH (n:`User`)\nWHERE n.`age` > $p0\nWITH n, n.`id` AS _key DETACH DELETE n RETURN _key"
    )


def test_update_sets_every_match_and_the_held_entities(graph: Any, driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        held = session.get(User, "u1")
        untouched = session.get(User, "u0")
        statement = update(User).where(User.active == False).values(active=True)
        assert session.execute(statement) == 3
        assert held.active is True and untouched.active is True
        assert session.execute(update(User).values(age=User.age + 1)) == 6
        assert held.age == 22
        held.name = "changed"  # tracked as usual: only the name is sent
    assert [row[1] for row in stored(graph)] == [21, 22, 23, 24, 25, 26]
    assert all(row[2] for row in stored(graph))
    assert graph.query("MATCH (u:User {id: 'u1'}) RETURN u.name").result_set == [["changed"]]


def test_delete_removes_matches_and_expunges_held_entities(graph: Any, driver: Any) -> None:
    seed(driver)
    with Session(driver) as session:
        gone = session.get(User, "u5")
        assert session.execute(delete(User).where(User.age >= 24)) == 2
        assert session.get(User, "u5") is None and gone not in session.scalars(select(User))
        assert session.execute(delete(User).where(User.age > 100)) == 0
    assert [row[0] for row in stored(graph)] == ["u0", "u1", "u2", "u3"]


@pytest.mark.asyncio
async def test_async_bulk_statements(graph: Any, driver: Any, async_driver: Any) -> None:
    seed(driver)
    async with AsyncSession(async_driver) as session:
        assert await session.execute(update(User).values(age=User.age * 2)) == 6
        assert await session.execute(delete(User).where(User.active == True)) == 3
    assert [row[1] for row in stored(graph)] == [42, 46, 50]


def test_bad_bulk_statements_are_refused_before_io(graph: Any, driver: Any) -> None:
    seed(driver)
    before = stored(graph)
    with pytest.raises(StatementError, match=r"update\(User\).values\(\): no field 'agee'"):
        update(User).values(agee=1)
    with pytest.raises(StatementError, match="'id' is the primary key"):
        update(User).values(id="x")
    with pytest.raises(FieldValidationError, match="age"):
        update(User).values(age="old")
    with pytest.raises(StatementError, match="arithmetic takes int or float fields"):
        update(User).values(age=User.name + 1)
    with pytest.raises(StatementError, match="Sample.count is not a field of it"):
        update(User).values(age=Sample.count * 2)
    with Session(driver) as session, pytest.raises(StatementError, match="needs values"):
        session.execute(update(User))
    assert stored(graph) == before
