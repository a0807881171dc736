"""Quickstart: declare models, write through a Session and query on embedded FalkorDB.

Run with ``./scripts/setup`` (or ``.venv/bin/python examples/quickstart.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from redislite import FalkorDB

from runic.ogm import INCOMING, Field, Mapped, Node, Relation, Session, select
from runic.ogm.driver.falkordb import FalkorDBDriver
from runic.ogm.query import count


class Author(Node):
    id: Mapped[str] = Field(primary_key=True)
    name: Mapped[str]
    city: Mapped[str | None] = Field(default=None)
    posts: Relation[list[Post]] = Relation("WROTE")


class Post(Node):
    id: Mapped[str] = Field(primary_key=True, default_factory=lambda: uuid4().hex)
    title: Mapped[str]
    published: Mapped[bool] = Field(default=False)
    published_at: Mapped[datetime | None] = Field(default=None)
    author: Relation[Author | None] = Relation("WROTE", direction=INCOMING)


def main() -> None:
    database = FalkorDB()  # an embedded FalkorDB server, started on demand
    graph = database.select_graph("quickstart")
    driver = FalkorDBDriver(graph)
    try:
        alice = Author(id="alice", name="Alice", city="Berlin")
        carol = Author(id="carol", name="Carol", city="Paris")
        alice.posts = [
            Post(
                id="p1",
                title="Hello graphs",
                published=True,
                published_at=datetime(2024, 3, 1, tzinfo=UTC),
            ),
            Post(id="p3", title="Draft", published=False),
        ]
        carol.posts = [
            Post(
                id="p2",
                title="Cypher in practice",
                published=True,
                published_at=datetime(2024, 4, 1, tzinfo=UTC),
            ),
        ]
        with Session(driver) as session:  # commits on success: one query for everything
            session.add_all([alice, Author(id="bob", name="Bob", city="Berlin"), carol])

        feed = (
            select(Post)
            .where(Post.published == True)  # noqa: E712
            .order_by(Post.published_at, desc=True)
            .limit(20)
        )
        session = Session(driver)
        print("Published:", [post.title for post in session.scalars(feed)])

        alices_posts = (
            select(Author)
            .where(Author.id == "alice")
            .alias("u")
            .traverse(Author.posts)
            .alias("a")
            .return_target()
        )
        print("Alice wrote:", sorted(post.title for post in session.scalars(alices_posts)))

        per_city = select(Author).aggregate(count("*").as_("total"), group_by="n.city")
        print("Authors per city:", sorted(session.all_rows(per_city), key=str))

        carol = session.get_one(Author, "carol", fetch=["posts"])  # one round trip
        print("Carol wrote:", [post.title for post in carol.posts])
        session.close()
    finally:
        graph.delete()
        database.close()


if __name__ == "__main__":
    main()
