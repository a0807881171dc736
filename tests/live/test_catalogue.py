"""Every catalogue statement runs on embedded FalkorDB and returns the expected rows."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import Session
from tests.catalogue import CASES, Case, load_dataset
from tests.models import Admin, Article, User


@pytest.fixture
def dataset(driver: Any) -> Any:
    load_dataset(driver)
    return driver


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_catalogue_rows(dataset: Any, case: Case) -> None:
    statement = case.build()
    if statement.aggregates:
        rows = Session(dataset).all_rows(statement)
        assert rows == case.expected if case.ordered else sorted(rows) == sorted(case.expected)
        return
    entities = Session(dataset).scalars(statement)
    keys = [entity.id for entity in entities]
    if case.ordered:
        assert keys == case.expected
    else:
        assert sorted(keys) == sorted(case.expected)
    if not statement.aggregates:
        assert Session(dataset).count(statement.skip(0)) >= len(keys)


def test_reads_return_the_most_specific_class(dataset: Any) -> None:
    from runic.ogm import select

    users = {user.id: user for user in Session(dataset).scalars(select(User))}
    assert type(users["erin"]) is Admin and users["erin"].level == 3
    assert type(users["alice"]) is User


def test_values_round_trip_through_the_database(dataset: Any) -> None:
    from runic.ogm import select

    (alice,) = Session(dataset).scalars(select(User).where(User.id == "alice"))
    assert (alice.name, alice.city, alice.age, alice.tags) == (
        "Alice",
        "Berlin",
        31,
        ["py", "graph"],
    )
    (a1,) = Session(dataset).scalars(select(Article).where(Article.id == "a1"))
    assert a1.published_at.isoformat() == "2024-01-10T12:00:00+00:00"


def test_count_counts_the_unpaged_statement(dataset: Any) -> None:
    from runic.ogm import select

    assert Session(dataset).count(select(User).limit(1)) == 5
    assert Session(dataset).count(select(User).traverse(User.articles)) == 4
