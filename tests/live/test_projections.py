"""Projections, value functions, field-to-field comparisons and named parameters
(issue 15), on embedded FalkorDB through both sessions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from runic.ogm import AsyncSession, GeoLocation, Session, select
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import FieldValidationError, ParameterError, StatementError
from runic.ogm.query import (
    coalesce,
    count,
    fn,
    lower,
    param,
    score,
    size,
    substring,
    to_string,
    upper,
    when,
)
from runic.ogm.query.search import fulltext_search
from runic.ogm.schema import sync_schema
from tests.models import Article, Doc, Sample, User


def _people(driver: Any) -> None:
    with Session(driver) as session:
        ada = User(id="ada", name="Ada", email="ada@x.org", age=36, city="London", region="London")
        ada.articles = [
            Article(id="a1", title="Notes", published_at=datetime(1843, 9, 1, tzinfo=UTC)),
            Article(id="a2", title="Letters"),
        ]
        bob = User(id="bob", name="bob", email="bob@x.org", age=17, city="Paris", region="IDF")
        cy = User(id="cy", name="Cy", email="cy@x.org")
        session.add_all([ada, bob, cy])


def test_columns_come_back_as_values_tuples_or_dicts(driver: Any) -> None:
    _people(driver)
    with Session(driver) as session:
        names = session.scalars(select(User.name).order_by(User.name))
        assert names == ["Ada", "Cy", "bob"]
        pairs = session.scalars(select(User.id, User.age).order_by("id"))
        assert pairs == [("ada", 36), ("bob", 17), ("cy", None)]
        rows = session.all_rows(select(User.id, upper(User.name).as_("shout")).order_by("id"))
        assert rows[0] == {"id": "ada", "shout": "ADA"}
        # a field's value is read back through its converter (a datetime, not a string)
        dates = session.scalars(select(Article.published_at).where(Article.id == "a1"))
        assert dates == [datetime(1843, 9, 1, tzinfo=UTC)]
        assert session.count(select(User.city).distinct()) == 3  # London, Paris, None
        assert session.scalar(select(User.name).where(User.id == "cy")) == "Cy"


def test_projections_over_traversals_group_by_the_other_columns(driver: Any) -> None:
    _people(driver)
    with Session(driver) as session:
        per_author = (
            select(User)
            .traverse(User.articles)
            .project(User.name, count("*").as_("articles"), coalesce(Article.title, "?").as_("t"))
        )
        rows = session.all_rows(per_author.order_by("t"))
        assert rows == [
            {"name": "Ada", "articles": 1, "t": "Letters"},
            {"name": "Ada", "articles": 1, "t": "Notes"},
        ]
        totals = select(User).traverse(User.articles).project(User.name, count("*").as_("n"))
        assert session.all_rows(totals) == [{"name": "Ada", "n": 2}]
        by_alias = select(User).alias("u").traverse(User.articles).alias("a")
        titles = session.scalars(by_alias.project("u.name", "a.title").order_by("a.title"))
        assert titles == [("Ada", "Letters"), ("Ada", "Notes")]


def test_value_functions_and_case(driver: Any) -> None:
    _people(driver)
    with Session(driver) as session:
        statement = select(
            User.id,
            when(User.age >= 18, "adult")
            .when(User.age >= 0, "minor")
            .else_("unknown")
            .as_("group"),
            coalesce(User.age, -1).as_("age"),
            size(User.name).as_("length"),
            substring(User.email, 0, 3).as_("prefix"),
            fn("toUpper", User.id).as_("key"),
            to_string(User.age).as_("age_text"),
        ).order_by("id")
        rows = session.all_rows(statement)
        assert [(r["group"], r["age"], r["length"]) for r in rows] == [
            ("adult", 36, 3),
            ("minor", 17, 3),
            ("unknown", -1, 2),
        ]
        assert [r["prefix"] for r in rows] == ["ada", "bob", "cy@"]
        assert [r["key"] for r in rows] == ["ADA", "BOB", "CY"]
        assert rows[0]["age_text"] == "36"
        found = session.scalars(select(User).where(lower(User.name) == "bob"))
        assert [u.id for u in found] == ["bob"]


def test_fields_compare_with_fields(driver: Any) -> None:
    _people(driver)
    with Session(driver) as session:
        same = session.scalars(select(User.id).where(User.city == User.region))
        assert same == ["ada"]
        older_than_name = select(User.id).where(size(User.name) < User.age).order_by("id")
        assert session.scalars(older_than_name) == ["ada", "bob"]


def test_a_statement_with_params_is_built_once_and_run_with_values(driver: Any) -> None:
    _people(driver)
    adults = select(User).where(User.age >= param("min_age")).order_by(User.id)
    by_names = select(User.id).where(User.name.in_(param("names"))).order_by("id")
    with Session(driver) as session:
        assert [u.id for u in session.scalars(adults, {"min_age": 18})] == ["ada"]
        assert [u.id for u in session.scalars(adults, {"min_age": 10})] == ["ada", "bob"]
        assert session.count(adults, {"min_age": 30}) == 1
        assert session.exists(adults, {"min_age": 99}) is False
        assert session.scalars(by_names, {"names": ["Ada", "Cy"]}) == ["ada", "cy"]
        assert session.one(adults, {"min_age": 30}).id == "ada"
        with record_queries(driver) as queries:
            with pytest.raises(ParameterError, match=r"param\('min_age'\) has no value"):
                session.scalars(adults)
            with pytest.raises(ParameterError, match=r"no param\('age'\)"):
                session.scalars(adults, {"min_age": 1, "age": 2})
            with pytest.raises(FieldValidationError, match=r"User\.age"):
                session.scalars(adults, {"min_age": "old"})  # the compared field's type
            with pytest.raises(ParameterError, match="has no param"):
                session.scalars(select(User), {"x": 1})
        assert len(queries) == 0  # refused before any I/O


def test_params_on_points_and_vectors_compare_as_the_stored_type(driver: Any) -> None:
    here = GeoLocation(latitude=52.52, longitude=13.40)
    with Session(driver) as session:
        session.add(Sample(id=1, place=here, embedding=[1.0, 0.0, 0.0]))
        session.add(Sample(id=2, place=GeoLocation(latitude=1, longitude=2)))
    at = select(Sample.id).where(Sample.place == param("at"))
    with Session(driver) as session:
        assert session.scalars(at, {"at": here}) == [1]
        by_vector = select(Sample.id).where(Sample.embedding == param("v"))
        assert session.scalars(by_vector, {"v": [1.0, 0.0, 0.0]}) == [1]


def test_bad_terms_are_refused_before_any_io(driver: Any) -> None:
    with pytest.raises(StatementError, match="not a function name"):
        fn("toUpper(n.name)) MATCH (x", User.name)
    with pytest.raises(StatementError, match="runic's own"):
        param("p0")
    with pytest.raises(StatementError, match="name the column"):
        select(User).project(when(User.age > 1, "x"))
    with pytest.raises(StatementError, match="used twice"):
        select(User).traverse(User.articles).project(User.id, Article.id)
    with pytest.raises(StatementError, match="score\\(\\) is a column of a search"):
        Session(driver).scalars(select(User.id, score()))
    with pytest.raises(StatementError, match="fetch"):
        select(User.name).fetch("articles")
    with pytest.raises(ParameterError, match="select\\(\\): a value"):
        Session(driver).scalars(select(User.id).where(User.name == coalesce(User.city, object())))


def test_a_search_projects_its_score(driver: Any) -> None:
    sync_schema(driver, [Doc])
    with Session(driver) as session:
        session.add(Doc(id="d1", title="graph databases", embedding=[1.0, 0.0, 0.0]))
        session.add(Doc(id="d2", title="relational databases", embedding=[0.0, 1.0, 0.0]))
    with Session(driver) as session:
        hits = session.all_rows(fulltext_search(Doc, "graph").project(Doc.id, score()))
        assert [row["id"] for row in hits] == ["d1"] and hits[0]["score"] > 0


@pytest.mark.asyncio
async def test_the_async_session_runs_projections_and_params(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        session.add(User(id="ada", name="Ada", email="ada@x.org", age=36))
        session.add(User(id="bob", name="Bob", email="bob@x.org", age=17))
    older = select(User.name, User.age).where(User.age > param("age")).order_by("name")
    async with AsyncSession(async_driver) as session:
        assert await session.scalars(older, {"age": 10}) == [("Ada", 36), ("Bob", 17)]
        assert await session.all_rows(older, {"age": 20}) == [{"name": "Ada", "age": 36}]
        assert await session.first(select(User.name).order_by("name")) == "Ada"
        with pytest.raises(ParameterError):
            await session.scalars(older)
