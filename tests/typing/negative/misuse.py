"""Mistakes a type checker must report. Each marked line names the error code mypy
and pyright give; the suite fails if either checker misses one or reports another."""

from __future__ import annotations

from runic.ogm import AsyncRepository, AsyncSession, Field, Mapped, Node, Relation, Session, select
from runic.ogm.query.statement import Select


class Article(Node):
    id: Mapped[str] = Field(primary_key=True)
    title: Mapped[str]


class User(Node):
    id: Mapped[str] = Field(primary_key=True)
    name: Mapped[str]
    age: Mapped[int | None] = Field(default=None)
    articles: Relation[list[Article]] = Relation("WROTE")


# constructors: a wrong value type, an unknown field, a missing required field
User(id="u1", name=42)  # expect: mypy[arg-type] pyright[reportArgumentType]
User(id="u1", name="Ann", nickname="A")  # expect: mypy[call-arg] pyright[reportCallIssue]
User(id="u1")  # expect: mypy[call-arg] pyright[reportCallIssue]
Article(id="a1", title="T", author=None)  # expect: mypy[call-arg] pyright[reportCallIssue]

# filters: a field the model does not have, a value of the wrong type, a non-expression
User.nickname == "x"  # expect: mypy[attr-defined] pyright[reportAttributeAccessIssue]
select(User).where(User.age > "3")  # expect: mypy[operator] pyright[reportOperatorIssue]
select(User).where(User.name.in_([1, 2]))  # expect: mypy[list-item] pyright[reportArgumentType]
select(User).where(User.name)  # expect: mypy[arg-type] pyright[reportArgumentType]
select(User).where(User.articles == [])  # expect: mypy[arg-type] pyright[reportArgumentType]

# relations: a field where a relation belongs
select(User).traverse(User.name)  # expect: mypy[arg-type] pyright[reportArgumentType]
select(User).fetch(User.age)  # expect: mypy[arg-type] pyright[reportArgumentType]


def misuse(session: Session, ada: User, users: Select[User]) -> None:
    ada.name = 3  # expect: mypy[assignment] pyright[reportAttributeAccessIssue]
    ada.articles = [ada]  # expect: mypy[list-item] pyright[reportAttributeAccessIssue]
    session.relate(ada, User.articles, ada)  # expect: mypy[misc] pyright[reportArgumentType]
    session.get(User, "ada").name  # expect: mypy[union-attr] pyright[reportOptionalMemberAccess]
    session.query(int)  # expect: mypy[type-var] pyright[reportArgumentType]
    found: list[Article] = session.scalars(users)  # expect: mypy[arg-type] pyright[reportAssignmentType]
    print(found)


async def forgot_await(session: AsyncSession, repo: AsyncRepository[User]) -> None:
    session.get(User, "ada").name  # expect: mypy[attr-defined] pyright[reportAttributeAccessIssue]
    users: list[User] = repo.find_all()  # expect: mypy[assignment] pyright[reportAssignmentType]
    print(users)
