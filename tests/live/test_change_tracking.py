"""Change tracking on every live backend: in-place changes are stored, a query in a
session that holds many clean entities sends only itself."""

from __future__ import annotations

from typing import Any

from runic.ogm import Session, select
from runic.ogm.driver.recording import record_queries
from tests.backends import Backend
from tests.models import Article, User


def stored(driver: Any, key: str) -> dict[str, Any]:
    rows = driver.execute(
        "MATCH (u:User {id: $k}) OPTIONAL MATCH (u)-[:WROTE]->(a:Article) "
        "RETURN u.name, u.tags, collect(a.id)",
        {"k": key},
        read_only=True,
    ).rows
    name, tags, articles = rows[0]
    return {"name": name, "tags": tags, "articles": sorted(articles)}


def seed(driver: Any, count: int = 3) -> None:
    with Session(driver) as session:
        session.add_all(
            User(id=f"u{i}", name=f"U{i}", email=f"u{i}@x", tags=["a"]) for i in range(count)
        )
        session.add(Article(id="a1", title="One"))


def test_in_place_changes_are_stored(backend: Backend) -> None:
    driver = backend.driver
    seed(driver)
    with Session(driver) as session:
        user = session.get(User, "u0", fetch=["articles"])
        tags, articles = user.tags, user.articles
        tags.append("b")
        articles.append(session.get(Article, "a1"))
        articles.append(Article(id="a2", title="Two"))  # new: joins through the relation
        session.flush()
        assert stored(driver, "u0") == {"name": "U0", "tags": ["a", "b"], "articles": ["a1", "a2"]}
        # References read before the flush still report what is done to them.
        tags.remove("a")
        del articles[0]
    assert stored(driver, "u0") == {"name": "U0", "tags": ["b"], "articles": ["a2"]}


def test_a_query_among_many_clean_entities_sends_only_itself(backend: Backend) -> None:
    driver = backend.driver
    seed(driver, 200)
    with Session(driver) as session:
        held = session.scalars(select(User))
        assert len(held) == 200
        next(user for user in held if user.id == "u7").name = "Seven"
        with record_queries(driver) as log:
            session.scalars(select(User).where(User.id == "u1"))  # autoflush: one update
            session.scalars(select(User).where(User.id == "u2"))  # nothing changed
        cyphers = [query.cypher for query in log.queries]
        assert len(cyphers) == 3 and "SET" in cyphers[0], cyphers
        assert "SET" not in cyphers[1] + cyphers[2]
    assert stored(driver, "u7")["name"] == "Seven"


def test_rollback_returns_changed_entities_to_what_is_stored(backend: Backend) -> None:
    driver = backend.driver
    seed(driver)
    with Session(driver) as session:
        user = session.get(User, "u1")
        user.name = "Changed"
        user.tags.append("z")
        session.rollback()
        assert (user.name, user.tags) == ("U1", ["a"])
        session.commit()
    assert stored(driver, "u1") == {"name": "U1", "tags": ["a"], "articles": []}
