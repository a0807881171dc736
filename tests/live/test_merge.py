"""merge() upserts and get_or_create(), on both sessions, against embedded FalkorDB."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from runic.ogm import AsyncSession, Session, select
from runic.ogm.exceptions import FieldValidationError, StatementError
from runic.ogm.schema import sync_schema
from tests.models import Admin, Article, User


def names(graph: Any) -> list[list[Any]]:
    return graph.query("MATCH (u:User) RETURN u.id, u.name, labels(u) ORDER BY u.id").result_set


def test_merge_creates_or_overwrites_by_key_in_one_flush(graph: Any, driver: Any) -> None:
    with Session(driver) as session:
        session.add(User(id="ann", name="Ann", email="ann@x", city="Oslo"))
    with Session(driver) as session:
        ann = session.merge(User(id="ann", name="Ann B", email="ann@x"))
        bob = session.merge(Admin(id="bob", name="Bob", email="bob@x", level=3))
        assert session.merge(ann) is ann  # already held: the same instance
    assert names(graph) == [["ann", "Ann B", ["User"]], ["bob", "Bob", ["User", "Admin"]]]
    # The whole node is written: a field left at None is removed.
    assert graph.query("MATCH (u:User {id: 'ann'}) RETURN u.city").result_set == [[None]]
    with Session(driver) as session:
        assert session.get(User, "bob").level == 3
        bob.name = "Robert"  # bob belonged to the closed session: merged as a copy
        copy = session.merge(bob)
        assert copy is not bob and copy.name == "Robert"
        held = session.get(User, "ann")
        assert session.merge(User(id="ann", name="Annie", email="ann@x")) is held
        assert held.name == "Annie"
    assert [row[1] for row in names(graph)] == ["Annie", "Robert"]


def test_merge_then_rollback_or_delete(graph: Any, driver: Any) -> None:
    with Session(driver) as session:
        session.add(User(id="cy", name="Cy", email="cy@x"))
    with Session(driver) as session:
        session.merge(User(id="dee", name="Dee", email="dee@x"))
        session.rollback()
        merged = session.merge(User(id="cy", name="Cy", email="cy@x"))
        session.delete(merged)  # the node may be stored: it is deleted by key
    assert names(graph) == []


def test_relations_of_a_merged_entity_are_merged_not_duplicated(graph: Any, driver: Any) -> None:
    with Session(driver) as session:
        author = User(id="eve", name="Eve", email="eve@x")
        author.articles = [Article(id="a1", title="One")]
        session.add(author)
    with Session(driver) as session:
        again = session.merge(User(id="eve", name="Eve", email="eve@x"))
        session.relate(again, User.articles, session.get(Article, "a1"))
    count = "MATCH (:User {id: 'eve'})-[w:WROTE]->(:Article) RETURN count(w)"
    assert graph.query(count).result_set == [[1]]


def test_get_or_create_returns_the_entity_and_whether_it_was_made(graph: Any, driver: Any) -> None:
    with Session(driver) as session:
        made, created = session.get_or_create(
            User, {"email": "fay@x"}, defaults={"id": "fay", "name": "Fay", "city": "Rome"}
        )
        assert created and made.city == "Rome"
        same, created_again = session.get_or_create(
            User, {"email": "fay@x"}, defaults={"id": "other", "name": "Other"}
        )
        assert same is made and not created_again
    with Session(driver) as session:
        found, created = session.get_or_create(
            User, {"email": "fay@x"}, defaults={"id": "x", "name": "X"}
        )
        assert not created and (found.id, found.name) == ("fay", "Fay")
    assert [row[0] for row in names(graph)] == ["fay"]


def test_get_or_create_refuses_bad_input_before_io(graph: Any, driver: Any) -> None:
    with Session(driver) as session:
        with pytest.raises(StatementError, match="User has no field 'mail'"):
            session.get_or_create(User, {"mail": "x"})
        with pytest.raises(FieldValidationError, match="name"):
            session.get_or_create(User, {"email": "x@y"}, defaults={"id": "x"})
        with pytest.raises(FieldValidationError, match="age"):
            session.get_or_create(
                User, {"email": "x@y"}, defaults={"id": "x", "name": "X", "age": "old"}
            )
    assert names(graph) == []


@pytest.mark.asyncio
async def test_fifty_concurrent_get_or_create_calls_make_one_node(
    graph: Any, driver: Any, async_driver: Any
) -> None:
    sync_schema(driver, [User])  # email is unique

    async def call(number: int) -> bool:
        async with AsyncSession(async_driver) as session:
            entity, created = await session.get_or_create(
                User, {"email": "one@x"}, defaults={"id": f"u{number}", "name": f"U{number}"}
            )
            assert entity.email == "one@x"
            return created

    created = await asyncio.gather(*(call(n) for n in range(50)))
    assert created.count(True) == 1
    async with AsyncSession(async_driver) as session:
        assert await session.count(select(User)) == 1
        merged = session.merge(User(id="zed", name="Zed", email="zed@x"))
        await session.flush()
        assert await session.count(select(User)) == 2 and merged.id == "zed"
