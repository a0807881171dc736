"""The typed declaration form (``Mapped[...]``, ``Relation[...]``) at runtime: it builds
the same model as plain annotations, and its mistakes are refused with clear errors."""

from __future__ import annotations

import enum
import typing
from collections.abc import Sequence
from datetime import datetime

import pytest

from runic.ogm import INCOMING, Field, Mapped, Node, Relation, Vector, select
from runic.ogm.exceptions import FieldValidationError, ModelDefinitionError
from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.compiler import compile_select
from runic.ogm.query.statement import Select, Traversal


class TypedAuthor(Node):
    id: Mapped[str] = Field(primary_key=True)
    name: Mapped[str]
    age: Mapped[int | None] = Field(default=None)
    tags: Mapped[list[str]] = Field(default_factory=list)
    version: Mapped[int] = Field(version=True)
    books: Relation[list[TypedBook]] = Relation("WROTE")


class TypedBook(Node):
    id: Mapped[str] = Field(primary_key=True)
    title: Mapped[str]
    published_at: Mapped[datetime | None] = Field(default=None)
    taste: Mapped[list[float] | None] = Field(default=None, vector=Vector(dim=2))
    author: Relation[TypedAuthor | None] = Relation("WROTE", direction=INCOMING)


class PlainAuthor(Node):
    id: str = Field(primary_key=True)
    name: str
    age: int | None = None
    tags: list[str] = []
    version: int = Field(version=True)
    books: list[PlainBook] = Relation("WROTE")


class PlainBook(Node):
    id: str = Field(primary_key=True)
    title: str


def test_typed_and_plain_declarations_make_the_same_model() -> None:
    typed, plain = TypedAuthor.__runic__, PlainAuthor.__runic__
    assert list(typed.fields) == list(plain.fields)
    for name, field in typed.fields.items():
        other = plain.fields[name]
        assert type(field.converter) is type(other.converter), name
        assert (field.nullable, field.has_default) == (other.nullable, other.has_default), name
    assert typed.primary_key == plain.primary_key == "id"
    assert typed.version == plain.version == "version"
    books = typed.relations["books"]
    assert (books.target, books.to_many, books.type) == (TypedBook, True, "WROTE")
    author = TypedBook.__runic__.relations["author"]
    assert (author.target, author.to_many) == (TypedAuthor, False)
    assert TypedBook.__runic__.fields["taste"].declaration.vector == Vector(dim=2)


def test_class_access_gives_the_operands_and_instances_the_values() -> None:
    assert isinstance(TypedAuthor.name, FieldAttribute)
    assert isinstance(TypedAuthor.books, RelationAttribute)
    author = TypedAuthor(id="a", name="Ann")
    book = TypedBook(id="b", title="T", author=author)
    assert (author.name, author.age, author.tags, author.version) == ("Ann", None, [], 1)
    assert book.author is author and author.books == []
    with pytest.raises(FieldValidationError, match="TypedAuthor.name"):
        TypedAuthor(id="a", name=42)


def test_typed_statements_compile_as_before() -> None:
    statement = (
        select(TypedAuthor)
        .where(TypedAuthor.age > 3)
        .traverse(TypedAuthor.books)
        .where(TypedBook.title.startswith("G"))
    )
    assert type(statement) is Traversal
    target = statement.return_target()
    assert isinstance(target, Select) and target.returned_model is TypedBook
    plain = (
        select(PlainAuthor)
        .where(PlainAuthor.age > 3)
        .traverse(PlainAuthor.books)
        .where(PlainBook.title.startswith("G"))
    )
    compiled = compile_select(target).cypher
    assert compiled == compile_select(plain.return_target()).cypher.replace("Plain", "Typed")


def test_annotations_evaluated_or_not_are_read_alike() -> None:
    namespace: dict[str, typing.Any] = {}
    exec(
        "from runic.ogm import Field, Mapped, Node, Relation\n"
        "class EagerNote(Node):\n"
        "    id: Mapped[str] = Field(primary_key=True)\n"
        "    score: Mapped[float | None] = Field(default=None)\n"
        "    links: Relation[list['EagerNote']] = Relation('LINKS')\n",
        namespace,
    )
    info = namespace["EagerNote"].__runic__
    assert info.fields["score"].nullable
    assert info.relations["links"].target is namespace["EagerNote"]


def test_a_relation_annotation_without_a_declaration_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match=r"Lonely.friends: a Relation\[...\]"):

        class Lonely(Node):
            id: Mapped[str] = Field(primary_key=True)
            friends: Relation[list[Lonely]]


def test_mapped_is_an_annotation_only() -> None:
    with pytest.raises(TypeError, match="annotation"):
        Mapped()


def test_init_follows_version() -> None:
    with pytest.raises(TypeError, match="init"):
        Field(init=False)
    with pytest.raises(TypeError, match="init"):
        Field(version=True, init=True)
    assert Field(version=True, init=False).version


class Mood(enum.Enum):
    CALM = "calm"
    BUSY = "busy"


def test_a_quoted_type_inside_mapped_is_resolved() -> None:
    class Quoted(Node):
        id: Mapped[str] = Field(primary_key=True)
        mood: Mapped["Mood"] = Field(default=Mood.CALM)  # noqa: UP037
        score: Mapped["int | None"] = Field(default=None)  # noqa: UP037

    assert Quoted(id="q").mood is Mood.CALM
    assert Quoted.__runic__.fields["score"].nullable

    namespace: dict[str, typing.Any] = {"__name__": __name__, "Mood": Mood}
    exec(
        "from runic.ogm import Field, Mapped, Node\n"
        "class EagerQuoted(Node):\n"
        "    id: Mapped[str] = Field(primary_key=True)\n"
        "    mood: Mapped['Mood'] = Field(default=Mood.BUSY)\n"
        "    score: Mapped['int | None'] = Field(default=None)\n",
        namespace,
    )
    info = namespace["EagerQuoted"].__runic__
    assert info.fields["score"].nullable and info.fields["mood"].default_value() is Mood.BUSY


def test_a_typed_to_one_relation_must_allow_none() -> None:
    with pytest.raises(ModelDefinitionError, match=r"Relation\[TypedBook \| None\]"):

        class Shelf(Node):
            id: Mapped[str] = Field(primary_key=True)
            best: Relation[TypedBook] = Relation("BEST")


def test_a_sequence_relation_is_to_many() -> None:
    class Reader(Node):
        id: Mapped[str] = Field(primary_key=True)
        read: Relation[Sequence[TypedBook]] = Relation("READ")

    relation = Reader.__runic__.relations["read"]
    assert relation.to_many and relation.target is TypedBook
