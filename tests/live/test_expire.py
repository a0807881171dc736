"""``expire()`` makes the next read come from the graph; ``expunge_all()`` lets go of
everything a session holds (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncSession, Session
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import DetachedEntityError, LazyLoadError, RunicError
from tests.models import Article, User


def _store(driver: Any) -> None:
    with Session(driver) as session:
        ada = User(id="ada", name="Ada", email="ada@x.org", age=36)
        ada.articles.append(Article(id="a1", title="Notes"))
        session.add(ada)


def _change_behind_the_session(driver: Any) -> None:
    with Session(driver) as other:
        ada = other.get_one(User, "ada")
        ada.name, ada.age = "Ada L.", 37
        ada.articles.append(Article(id="a2", title="More"))


def test_an_expired_field_is_read_again_on_access(driver: Any) -> None:
    _store(driver)
    with Session(driver) as session:
        ada = session.get_one(User, "ada")
        assert [a.id for a in ada.articles] == ["a1"]
        _change_behind_the_session(driver)
        assert ada.name == "Ada"  # the identity map keeps what it read
        session.expire(ada, "name", User.articles)
        with record_queries(driver) as queries:
            assert ada.name == "Ada L."
            assert ada.age == 36  # not expired: as read before
            assert sorted(a.id for a in ada.articles) == ["a1", "a2"]
        assert len(queries) == 2  # one read of the node, one of the relation
        session.expire(ada)  # everything but the key
        assert (ada.age, ada.email) == (37, "ada@x.org")


def test_expire_drops_unflushed_changes_and_nothing_is_written(driver: Any) -> None:
    _store(driver)
    with Session(driver) as session:
        ada = session.get_one(User, "ada")
        ada.name = "Changed"
        ada.city = "Paris"
        session.expire(ada, "name")
        assert ada.name == "Ada"  # read from the graph: the change is gone
    with Session(driver) as session:
        stored = session.get_one(User, "ada")
        assert (stored.name, stored.city) == ("Ada", "Paris")  # the other change stays


def test_expire_refuses_the_key_unknown_names_and_unstored_entities(driver: Any) -> None:
    _store(driver)
    with Session(driver) as session:
        ada = session.get_one(User, "ada")
        with pytest.raises(RunicError, match="User.id is the key"):
            session.expire(ada, "id")
        with pytest.raises(RunicError, match="User has no field or relation 'nmae'"):
            session.expire(ada, "nmae")
        fresh = User(id="new", name="New", email="n@x.org")
        session.add(fresh)
        with pytest.raises(RunicError, match="not stored yet"):
            session.expire(fresh)
        assert ada.name == "Ada"  # nothing was expired by the refused calls


@pytest.mark.asyncio
async def test_an_async_session_refreshes_an_expired_entity(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        session.add(User(id="ada", name="Ada", email="ada@x.org"))
    async with AsyncSession(async_driver) as session:
        ada = await session.get_one(User, "ada")
        await session.execute("MATCH (u:User {id: 'ada'}) SET u.name = 'Ada L.'")
        session.expire(ada, "name")
        with pytest.raises(LazyLoadError, match=r"User\.name was expired.*refresh"):
            _ = ada.name
        await session.refresh(ada)
        assert ada.name == "Ada L."


def test_expunge_all_lets_go_of_everything_and_keeps_the_session_open(driver: Any) -> None:
    _store(driver)
    with Session(driver) as session:
        ada = session.get_one(User, "ada")
        ada.name = "Never written"
        session.add(User(id="bob", name="Bob", email="bob@x.org"))
        session.expunge_all()
        with pytest.raises(DetachedEntityError):
            _ = ada.articles  # stored, let go: unloaded state cannot be read
        session.commit()  # nothing pending
        again = session.get_one(User, "ada")
        assert again is not ada and again.name == "Ada"
        assert session.get(User, "bob") is None


@pytest.mark.asyncio
async def test_expunge_all_on_an_async_session(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        session.add(User(id="ada", name="Ada", email="ada@x.org"))
        await session.expunge_all()
    async with AsyncSession(async_driver) as session:
        assert await session.get(User, "ada") is None
