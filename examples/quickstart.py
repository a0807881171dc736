"""Quickstart: declare models, write a few nodes and query them on embedded FalkorDB.

Run with ``./scripts/setup`` (or ``.venv/bin/python examples/quickstart.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from redislite import FalkorDB

from runic.ogm import INCOMING, Field, Node, Relation, select
from runic.ogm.driver.falkordb import FalkorDBDriver
from runic.ogm.model.storage import to_storage
from runic.ogm.query import compile_create_nodes, count
from runic.ogm.session.reader import read_entities, read_rows


class Author(Node):
    id: str = Field(primary_key=True)
    name: str
    city: str | None = None
    posts: list[Post] = Relation("WROTE")


class Post(Node):
    id: str = Field(primary_key=True, default_factory=lambda: uuid4().hex)
    title: str
    published: bool = False
    published_at: datetime | None = None
    author: Author | None = Relation("WROTE", direction=INCOMING)


def main() -> None:
    database = FalkorDB()  # an embedded FalkorDB server, started on demand
    graph = database.select_graph("quickstart")
    driver = FalkorDBDriver(graph)
    try:
        authors = [
            Author(id="alice", name="Alice", city="Berlin"),
            Author(id="bob", name="Bob", city="Berlin"),
            Author(id="carol", name="Carol", city="Paris"),
        ]
        posts = [
            Post(id="p1", title="Hello graphs", published=True,
                 published_at=datetime(2024, 3, 1, tzinfo=UTC)),
            Post(id="p2", title="Cypher in practice", published=True,
                 published_at=datetime(2024, 4, 1, tzinfo=UTC)),
            Post(id="p3", title="Draft", published=False),
        ]
        # Writing goes through the Session once it lands; until then, one batch per label.
        for model, entities in ((Author, authors), (Post, posts)):
            query = compile_create_nodes(model, [to_storage(e) for e in entities])
            driver.execute(query.cypher, query.params)
        driver.execute(
            "UNWIND $pairs AS p MATCH (a:Author {id: p[0]}), (b:Post {id: p[1]}) "
            "CREATE (a)-[:WROTE]->(b)",
            {"pairs": [["alice", "p1"], ["alice", "p3"], ["carol", "p2"]]},
        )

        feed = (
            select(Post)
            .where(Post.published == True)  # noqa: E712
            .order_by(Post.published_at, desc=True)
            .limit(20)
        )
        print("Published:", [post.title for post in read_entities(driver, feed)])

        alices_posts = (
            select(Author).where(Author.id == "alice").alias("u")
            .traverse(Author.posts).alias("a")
            .return_target()
        )
        print("Alice wrote:", sorted(post.title for post in read_entities(driver, alices_posts)))

        per_city = select(Author).aggregate(count("*").as_("total"), group_by="n.city")
        print("Authors per city:", sorted(read_rows(driver, per_city), key=str))
    finally:
        graph.delete()
        database.close()


if __name__ == "__main__":
    main()
