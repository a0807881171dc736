"""``get_many()`` / ``find_all_by_ids()``: one query for what the session does not hold,
results in the order of the keys asked for (issue 15)."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncRepository, AsyncSession, Repository, Session
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import FieldValidationError
from tests.models import Article, User


def _users(driver: Any) -> None:
    with Session(driver) as session:
        for key in ("ada", "bob", "cy"):
            user = User(id=key, name=key.title(), email=f"{key}@x.org")
            user.articles.append(Article(id=f"{key}-a", title=f"By {key}"))
            session.add(user)


def test_held_entities_cost_nothing_and_the_rest_one_query(driver: Any) -> None:
    _users(driver)
    with Session(driver) as session:
        bob = session.get_one(User, "bob")
        repository = Repository(session, User)
        with record_queries(driver) as log:
            found = repository.find_all_by_ids(["cy", "nobody", "bob", "ada", "cy"])
        assert [u.id for u in found] == ["cy", "bob", "ada"]  # asked order, once, no gaps
        assert found[1] is bob  # the identity map's entity
        assert log.count == 1 and "IN" in log.queries[0].cypher
        with record_queries(driver) as log:
            assert repository.find_all_by_ids(["ada", "bob"]) == [found[2], bob]
            assert repository.find_all_by_ids([]) == []
        assert log.count == 0  # all held now
        with_articles = session.get_many(User, ["ada", "bob"], fetch=["articles"])
        assert [a.title for u in with_articles for a in u.articles] == ["By ada", "By bob"]
        with pytest.raises(FieldValidationError, match=r"User\.id"):
            session.get_many(User, ["ada", 3])
        with pytest.raises(TypeError, match="iterable of keys"):
            session.get_many(User, "ada")


@pytest.mark.asyncio
async def test_find_all_by_ids_on_an_async_repository(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        session.add_all([User(id=k, name=k, email=f"{k}@x.org") for k in ("ada", "bob")])
    async with AsyncSession(async_driver) as session:
        found = await AsyncRepository(session, User).find_all_by_ids(["bob", "ada"])
        assert [u.id for u in found] == ["bob", "ada"]


class Users(Repository[User]):
    def by_city(self, city: str) -> list[User]:
        return self.cypher(
            "MATCH (u:User) WHERE u.city = $city RETURN u ORDER BY u.id", {"city": city}
        )


def test_typed_raw_cypher_through_a_repository(driver: Any) -> None:
    from runic.ogm.exceptions import MultipleResultsError

    with Session(driver) as session:
        session.add_all(
            [
                User(id="ada", name="Ada", email="a@x.org", city="London", age=36),
                User(id="bob", name="Bob", email="b@x.org", city="London"),
            ]
        )
    with Session(driver) as session:
        users = Users(session, User)
        held = session.get_one(User, "ada")
        londoners = users.by_city("London")
        assert [u.id for u in londoners] == ["ada", "bob"] and londoners[0] is held
        assert users.cypher("MATCH (u:User) RETURN count(u)", returns=int) == [2]
        assert (
            users.cypher_one("MATCH (u:User {id: $k}) RETURN u.age", {"k": "ada"}, returns=int)
            == 36
        )
        assert users.cypher_one("MATCH (u:User {id: 'zed'}) RETURN u") is None
        rows = users.cypher("MATCH (u:User) RETURN u.id AS id ORDER BY id", returns=dict)
        assert rows == [{"id": "ada"}, {"id": "bob"}]
        with pytest.raises(MultipleResultsError, match="2 rows"):
            users.cypher_one("MATCH (u:User) RETURN u")
        with pytest.raises(TypeError, match=r"column 'u\.name' is str .*not int"):
            users.cypher("MATCH (u:User) RETURN u.name", returns=int)
        with pytest.raises(TypeError, match="returns=..."):
            users.cypher("RETURN 1", returns=list)


@pytest.mark.asyncio
async def test_typed_raw_cypher_through_an_async_repository(async_driver: Any) -> None:
    async with AsyncSession(async_driver) as session:
        session.add(User(id="ada", name="Ada", email="a@x.org"))
    async with AsyncSession(async_driver) as session:
        users = AsyncRepository(session, User)
        found = await users.cypher("MATCH (u:User) RETURN u")
        assert [u.id for u in found] == ["ada"]
        assert await users.cypher_one("MATCH (u:User) RETURN u.name", returns=str) == "Ada"
