"""Regressions for the bugs runic-py's own tests found in runic (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncSession, GeoLocation, Session, select
from runic.ogm.exceptions import DetachedEntityError
from runic.ogm.query import count
from tests.models import Article, Sample, User


def _author_with_article(driver: Any) -> None:
    with Session(driver) as session:
        ada = User(id="ada", name="Ada", email="ada@x.org")
        ada.articles.append(Article(id="a1", title="Notes"))
        session.add(ada)


def test_an_expunged_entity_refuses_to_read_an_unloaded_relation(driver: Any) -> None:
    _author_with_article(driver)
    with Session(driver) as session:
        ada = session.get_one(User, "ada")
        session.expunge(ada)
        with pytest.raises(DetachedEntityError, match=r"User\.articles was not loaded"):
            _ = ada.articles
        with pytest.raises(DetachedEntityError, match=r"User\.best_friend"):
            _ = ada.best_friend
        loaded = session.get_one(User, "ada", fetch=["articles"])
        session.expunge(loaded)
        assert [a.id for a in loaded.articles] == ["a1"]  # loaded before: still readable

    # A new entity expunged before it was stored has no stored relations: empty, no error.
    with Session(driver) as session:
        fresh = User(id="new", name="New", email="new@x.org")
        session.add(fresh)
        session.expunge(fresh)
        assert fresh.articles == []


def test_an_expunged_entity_added_to_a_session_is_written_by_key(driver: Any) -> None:
    _author_with_article(driver)
    with Session(driver) as session:
        ada = session.get_one(User, "ada")
        session.expunge(ada)
    ada.name = "Ada L."  # changed while detached
    with Session(driver) as session:
        session.add(ada)
        assert [a.id for a in ada.articles] == ["a1"]  # attached again: loads
    with Session(driver) as session:
        assert session.scalars(select(User)) and session.get_one(User, "ada").name == "Ada L."
        assert session.count(select(User)) == 1  # written by key, not created twice


@pytest.mark.parametrize(
    "alias", ["distinct", "not", "null", "true", "false", "match", "return", "order"]
)
def test_a_cypher_word_is_an_alias_like_any_other(driver: Any, alias: str) -> None:
    _author_with_article(driver)
    with Session(driver) as session:
        statement = select(User).alias(alias).where(User.id == "ada")
        assert [u.id for u in session.scalars(statement)] == ["ada"]
        traversal = select(User).alias(alias).traverse(User.articles).alias("where")
        assert [a.id for a in session.scalars(traversal.return_target())] == ["a1"]
        grouped = select(User).alias(alias).aggregate(count("*").as_("n"), group_by=f"{alias}.name")
        assert session.all_rows(grouped) == [{f"{alias}.name": "Ada", "n": 1}]


def test_where_equality_on_points_and_vectors_matches(driver: Any) -> None:
    here = GeoLocation(latitude=52.52, longitude=13.40)
    there = GeoLocation(latitude=48.85, longitude=2.35)
    with Session(driver) as session:
        session.add(Sample(id=1, place=here, embedding=[1.0, 0.0, 0.0]))
        session.add(Sample(id=2, place=there, embedding=[0.0, 1.0, 0.0]))
    with Session(driver) as session:
        assert [s.id for s in session.scalars(select(Sample).where(Sample.place == here))] == [1]
        by_vector = select(Sample).where(Sample.embedding == [0.0, 1.0, 0.0])
        assert [s.id for s in session.scalars(by_vector)] == [2]
        unlike = select(Sample).where(Sample.place != here)
        assert [s.id for s in session.scalars(unlike)] == [2]
        either = select(Sample).where(Sample.place.in_([here, there])).order_by(Sample.id)
        assert [s.id for s in session.scalars(either)] == [1, 2]


def test_cypher_text_where_a_statement_belongs_is_a_type_error(driver: Any) -> None:
    with Session(driver) as session:
        for method in ("scalars", "scalar", "first", "one", "one_or_none", "count", "exists"):
            with pytest.raises(TypeError, match=r"takes a statement .*session\.execute"):
                getattr(session, method)("MATCH (n) RETURN n")
        with pytest.raises(TypeError, match=r"scalars\(\) takes a statement.*got type"):
            session.scalars(User)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_cypher_text_where_a_statement_belongs_is_a_type_error_async(
    async_driver: Any,
) -> None:
    async with AsyncSession(async_driver) as session:
        with pytest.raises(TypeError, match=r"scalars\(\) takes a statement"):
            await session.scalars("MATCH (n) RETURN n")  # type: ignore[arg-type]
