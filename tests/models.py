"""Models shared by the tests (one declaration per label across the whole suite)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from uuid import uuid4

from runic.ogm import INCOMING, Edge, Field, GeoLocation, Node, Relation, Vector


class Friendship(Edge, type="FRIEND"):
    since: date


class User(Node):
    id: str = Field(primary_key=True)
    name: str
    email: str = Field(unique=True)
    city: str | None = None
    region: str | None = None
    age: int | None = None
    active: bool = True
    tags: list[str] = []
    articles: list[Article] = Relation("WROTE")
    best_friend: User | None = Relation("FRIEND", edge=Friendship)


class Admin(User):
    level: int = 1


class Article(Node):
    id: str = Field(primary_key=True, default_factory=lambda: uuid4().hex)
    title: str
    published: bool = False
    published_at: datetime | None = None
    author: User | None = Relation("WROTE", direction=INCOMING)
    comments: list[Comment] = Relation("HAS_COMMENT")


class Comment(Node):
    id: str = Field(primary_key=True)
    text: str


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Sample(Node):
    """One field of every supported type."""

    id: int
    text: str | None = None
    count: int | None = None
    ratio: float | None = None
    flag: bool | None = None
    day: date | None = None
    moment: datetime | None = None
    color: Color | None = None
    numbers: list[int] = []
    embedding: Vector | None = Vector(dim=3)
    place: GeoLocation | None = None


class Doc(Node):
    """Searchable: fulltext on title and body, a vector index on embedding."""

    id: str = Field(primary_key=True)
    title: str = Field(fulltext=True)
    body: str = Field(fulltext=True, default="")
    topic: str = "misc"
    embedding: Vector = Vector(dim=3)


class Scientist(Node):
    id: str = Field(primary_key=True)
    advisors: list[Scientist] = Relation("ADVISED_BY")
    colleagues: list[Scientist] = Relation("WORKS_WITH")
    students: list[Scientist] = Relation("ADVISED_BY", direction=INCOMING)
