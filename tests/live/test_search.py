"""Fulltext and vector search builders on both sessions, against embedded FalkorDB."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import AsyncSession, Session, select
from runic.ogm.exceptions import StatementError
from runic.ogm.query import SearchHit, fulltext_search, vector_search
from runic.ogm.schema import sync_schema
from tests.models import Doc, User


def docs() -> list[Doc]:
    return [
        Doc(id="d1", title="Graph databases", body="nodes and edges", embedding=[1.0, 0.0, 0.0]),
        Doc(id="d2", title="Cooking", body="a graph of recipes", embedding=[0.0, 1.0, 0.0]),
        Doc(id="d3", title="Gardening", body="soil", topic="home", embedding=[0.9, 0.1, 0.0]),
    ]


def seed(graph: Any) -> None:
    """Docs plus their declared indexes; sync_schema waits until they are built."""
    driver = _driver(graph)
    with Session(driver) as session:
        session.add_all(docs())
    sync_schema(driver, [Doc])


def _driver(graph: Any) -> Any:
    from runic.ogm.driver.falkordb import FalkorDBDriver

    return FalkorDBDriver(graph)


def test_fulltext_hits_are_scored_best_first_and_compose(graph: Any, driver: Any) -> None:
    seed(graph)
    with Session(driver) as session:
        hits = session.fulltext_search(Doc, "graph").all()
        assert {hit.entity.id for hit in hits} == {"d1", "d2"}
        assert all(isinstance(hit, SearchHit) and hit.score > 0 for hit in hits)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert hits[0].entity is session.get(Doc, hits[0].entity.id)  # identity map

        cooking = session.fulltext_search(Doc, "graph").where(Doc.title == "Cooking").all()
        assert [(doc.id, type(score)) for doc, score in cooking] == [("d2", float)]
        assert len(session.fulltext_search(Doc, "graph").limit(1).all()) == 1
        assert session.fulltext_search(Doc, "graph").count() == 2
        assert session.fulltext_search(Doc, "soil").first().entity.id == "d3"
        assert session.fulltext_search(Doc, "nothing-matches").first() is None
        assert [d.id for d in session.fulltext_search(Doc, "soil").entities()] == ["d3"]
        assert [d.id for d in session.scalars(fulltext_search(Doc, "soil"))] == ["d3"]


def test_vector_hits_are_nearest_first(graph: Any, driver: Any) -> None:
    seed(graph)
    with Session(driver) as session:
        hits = session.vector_search(Doc, Doc.embedding, [1.0, 0.0, 0.0], k=2).all()
        assert [hit.entity.id for hit in hits] == ["d1", "d3"]
        assert hits[0].score <= hits[1].score  # a distance: smaller is nearer
        at_home = session.vector_search(Doc, Doc.embedding, [1.0, 0.0, 0.0], k=3)
        assert [d.id for d, _ in at_home.where(Doc.topic == "home").all()] == ["d3"]
        ordered = session.scalars(
            vector_search(Doc, Doc.embedding, [0.0, 1.0, 0.0], k=3).order_by(Doc.id)
        )
        assert [d.id for d in ordered] == ["d1", "d2", "d3"]


@pytest.mark.asyncio
async def test_async_search_builders_are_awaited(graph: Any, async_driver: Any) -> None:
    seed(graph)
    async with AsyncSession(async_driver) as session:
        builder = session.fulltext_search(Doc, "graph")
        hits = await builder.all()
        assert {doc.id for doc, _ in hits} == {"d1", "d2"}
        assert (await builder.where(Doc.id == "d2").first()).entity.id == "d2"
        assert await builder.count() == 2
        nearest = await session.vector_search(Doc, Doc.embedding, [0.0, 1.0, 0.0], k=1).all()
        assert [doc.id for doc, _ in nearest] == ["d2"]
        [(soil, score)] = await session.search(fulltext_search(Doc, "soil"))
        assert soil.id == "d3" and score > 0


def test_bad_searches_are_refused_before_any_io(graph: Any, driver: Any) -> None:
    with Session(driver) as session:
        with pytest.raises(
            StatementError, match=r"User has no fulltext index.*Field\(fulltext=True\)"
        ):
            session.fulltext_search(User, "alice")
        with pytest.raises(StatementError, match="Doc.title has no vector index.*Vector\\(dim="):
            session.vector_search(Doc, Doc.title, [1.0, 0.0, 0.0])
        with pytest.raises(StatementError, match="expected 3 floats, got 2"):
            session.vector_search(Doc, Doc.embedding, [1.0, 0.0])
        with pytest.raises(StatementError, match="k must be a positive int, got 0"):
            session.vector_search(Doc, Doc.embedding, [1.0, 0.0, 0.0], k=0)
        with pytest.raises(StatementError, match="text must be a non-empty str"):
            session.fulltext_search(Doc, "  ")
        with pytest.raises(StatementError, match="fetch\\(\\) is not available on a search"):
            fulltext_search(Doc, "graph").fetch()
        with pytest.raises(StatementError, match="read other statements with scalars"):
            session.search(select(Doc))
    assert graph.query("MATCH (n) RETURN count(n)").result_set == [[0]]
