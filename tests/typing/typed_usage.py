"""What a type checker sees in ordinary runic code, pinned with ``assert_type``.

The suite runs ``mypy --strict`` and ``pyright`` (strict) over this module and expects
no error: each ``assert_type`` fails the check if a type changes. Importing it runs the
model declarations and statements for real, so they stay valid at runtime too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, assert_type

from runic.ogm import (
    INCOMING,
    AsyncRepository,
    AsyncSession,
    Edge,
    Field,
    Mapped,
    Node,
    Relation,
    Repository,
    Session,
    Vector,
    select,
    update,
)
from runic.ogm.model import FieldAttribute, RelationAttribute
from runic.ogm.query import coalesce, count, lower, param, when
from runic.ogm.query.expressions import Comparison, Expression
from runic.ogm.query.search import SearchHit
from runic.ogm.query.statement import Select, Traversal
from runic.ogm.session.async_session import EntityStream
from runic.ogm.session.query import AsyncQuery, Query


class Wrote(Edge, type="WROTE"):
    since: Mapped[date]


class User(Node):
    id: Mapped[str] = Field(primary_key=True)
    name: Mapped[str]
    email: Mapped[str] = Field(unique=True)
    age: Mapped[int | None] = Field(default=None)
    active: Mapped[bool] = Field(default=True)
    tags: Mapped[list[str]] = Field(default_factory=list)
    version: Mapped[int] = Field(version=True)
    articles: Relation[list[Article]] = Relation("WROTE", edge=Wrote)
    mentor: Relation[User | None] = Relation("MENTORS", direction=INCOMING)


class Article(Node):
    id: Mapped[str] = Field(primary_key=True)
    title: Mapped[str] = Field(fulltext=True)
    published: Mapped[bool] = Field(default=False)
    published_at: Mapped[datetime | None] = Field(default=None)
    embedding: Mapped[list[float] | None] = Field(default=None, vector=Vector(dim=3))
    author: Relation[User | None] = Relation("WROTE", direction=INCOMING)


# -- class level: operands ----------------------------------------------------------

assert_type(User.name, FieldAttribute[str])
assert_type(User.age, FieldAttribute[int | None])
assert_type(User.tags, FieldAttribute[list[str]])
assert_type(User.articles, RelationAttribute[Article])
assert_type(User.mentor, RelationAttribute[User])
assert_type(Article.author, RelationAttribute[User])

assert_type(User.name == "x", Comparison)
assert_type(User.name != "x", Comparison)
assert_type(User.age > 3, Comparison)
assert_type(User.age <= 30, Comparison)
assert_type(User.age == None, Comparison)
assert_type(User.name.in_(["ada", "bob"]), Comparison)
assert_type(User.name.not_in(["eve"]), Expression)
assert_type(User.name.contains("a"), Comparison)
assert_type(User.name.startswith("A"), Comparison)
assert_type(User.name.endswith("a"), Comparison)
assert_type(User.tags.contains("admin"), Comparison)
assert_type(User.age.is_null(), Comparison)
assert_type(User.age.is_not_null(), Comparison)
assert_type((User.active == True) & (User.name == "x"), Expression)
assert_type((User.active == True) | ~(User.age > 3), Expression)
assert_type(Article.published_at > datetime(2024, 1, 1), Comparison)

# -- instance level: values ---------------------------------------------------------

ada = User(id="ada", name="Ada", email="ada@example.com")
note = Article(id="a1", title="Note", author=ada)
assert_type(ada.name, str)
assert_type(ada.age, int | None)
assert_type(ada.tags, list[str])
assert_type(ada.version, int)
assert_type(ada.articles, list[Article])
assert_type(ada.mentor, User | None)
assert_type(note.author, User | None)
assert_type(note.embedding, list[float] | None)
ada.name = "Ada Lovelace"
ada.age = None
ada.articles = [note]

# -- statements -----------------------------------------------------------------------

users = select(User).where(User.name == "x").order_by(User.age, desc=True).limit(10)
assert_type(users, Select[User])
assert_type(select(User).fetch(User.articles, "mentor"), Select[User])
traversal = select(User).where(User.id == "ada").alias("u").traverse(User.articles)
assert_type(traversal, Traversal[User, Article])
assert_type(traversal.alias("a").where(Article.published == True), Traversal[User, Article])
assert_type(traversal.return_target(), Select[Article])
assert_type(select(Article).order_by(Article.published_at, desc=True), Select[Article])
assert_type(select(User).aggregate(count("*").as_("total"), group_by="n.name"), Select[Any])
bump = update(User).where(User.active == False).values(age=User.age + 1)
names = select(User.name).where(User.age > param("age"))
assert_type(names, Select[str])
pairs = select(User.name, User.age).where(lower(User.name) == "ada")
assert_type(pairs, Select[tuple[str, int | None]])
labeled = select(
    User.id, coalesce(User.age, 0).as_("age"), when(User.active == True, "on").as_("s")
)
assert_type(select(User).where(User.age == User.version), Select[User])


# -- Session -------------------------------------------------------------------------


def sync_reads(session: Session) -> None:
    assert_type(session.get(User, "ada"), User | None)
    assert_type(session.get(User, "ada", fetch=[User.articles, "mentor"]), User | None)
    assert_type(session.get_one(User, "ada"), User)
    assert_type(session.scalars(users), list[User])
    assert_type(session.scalars(traversal.return_target()), list[Article])
    assert_type(session.scalar(users), User | None)
    assert_type(session.first(users), User | None)
    assert_type(session.one(users), User)
    assert_type(session.one_or_none(users), User | None)
    assert_type(session.count(users), int)
    assert_type(session.exists(users), bool)
    assert_type(session.distinct(User.name), list[str])
    assert_type(session.all_rows(users), list[dict[str, Any]])
    assert_type(session.get_or_create(User, {"email": "a@b.c"}), tuple[User, bool])
    assert_type(
        session.search(session.fulltext_search(Article, "x").statement), list[SearchHit[Article]]
    )
    assert_type(session.fulltext_search(Article, "graphs").all(), list[SearchHit[Article]])
    assert_type(session.merge(ada), User)
    session.relate(ada, User.articles, note, edge=Wrote(since=date(2024, 1, 1)))
    session.unrelate(ada, User.articles, note)
    assert_type(session.execute(bump), int)
    assert_type(session.execute("MATCH (n) RETURN n", {"x": 1}), list[dict[str, Any]])
    assert_type(session.scalars(names, {"age": 3}), list[str])
    assert_type(session.scalars(pairs), list[tuple[str, int | None]])
    assert_type(session.first(names, {"age": 3}), str | None)
    held: dict[User, set[Article]] = {ada: {note}}  # entities hash by identity
    assert_type(held[ada], set[Article])


def sync_queries(session: Session) -> None:
    query = session.query(User).where(User.active == True).order_by(User.name)
    assert_type(query, Query[User])
    assert_type(query.all(), list[User])
    assert_type(query.first(), User | None)
    assert_type(query.one(), User)
    assert_type(query.one_or_none(), User | None)
    assert_type(query.count(), int)
    assert_type(query.exists(), bool)
    written = query.traverse(User.articles).where(Article.published == True)
    assert_type(written.return_target().all(), list[Article])


class UserRepository(Repository[User]):
    def adults(self) -> list[User]:
        return self.query().where(User.age >= 18).all()

    def named(self, name: str) -> list[User]:
        return self.session.scalars(select(self.model).where(User.name == name))


def sync_repositories(session: Session) -> None:
    repo = UserRepository(session, User)
    assert_type(repo.adults(), list[User])
    assert_type(repo.named("Ada"), list[User])
    assert_type(repo.find_all(limit=5), list[User])
    assert_type(repo.get("ada"), User | None)
    assert_type(repo.count(), int)
    assert_type(repo.exists("ada"), bool)
    assert_type(repo.query(), Query[User])


# -- AsyncSession --------------------------------------------------------------------


async def async_reads(session: AsyncSession) -> None:
    assert_type(await session.get(User, "ada", fetch=["articles"]), User | None)
    assert_type(await session.get_one(User, "ada"), User)
    assert_type(await session.scalars(users), list[User])
    assert_type(await session.scalar(users), User | None)
    assert_type(await session.first(users), User | None)
    assert_type(await session.one(users), User)
    assert_type(await session.one_or_none(users), User | None)
    assert_type(await session.count(users), int)
    assert_type(await session.get_or_create(User, {"email": "a@b.c"}), tuple[User, bool])
    assert_type(await session.fulltext_search(Article, "x").all(), list[SearchHit[Article]])
    assert_type(session.stream(users), EntityStream[User])
    async for streamed in session.stream(users):
        assert_type(streamed, User)
    await session.relate(ada, User.articles, note)
    await session.commit()


async def async_queries(session: AsyncSession) -> None:
    query = session.query(User).where(User.name.startswith("A"))
    assert_type(query, AsyncQuery[User])
    assert_type(await query.all(), list[User])
    assert_type(await query.first(), User | None)
    assert_type(await query.one(), User)
    assert_type(await query.count(), int)
    target = query.traverse(User.articles).return_target()
    assert_type(await target.all(), list[Article])
    assert_type(await session.execute(bump), int)


class AsyncUserRepository(AsyncRepository[User]):
    async def active_named(self, name: str) -> list[User]:
        return await (
            self.query()
            .where((User.active == True) & (User.name == name))
            .order_by(User.name)
            .all()
        )


async def async_repositories(session: AsyncSession) -> None:
    repo = AsyncUserRepository(session, User)
    assert_type(await repo.active_named("Ada"), list[User])
    assert_type(await repo.find_all(skip=0, limit=20), list[User])
    assert_type(await repo.get("ada"), User | None)
    assert_type(await repo.count(), int)
    assert_type(await repo.exists("ada"), bool)
