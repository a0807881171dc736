"""Bulk statements, upserts, get-or-create and batch relation loading.

Shown in docs/bulk.rst; the test suite runs it and checks what it prints.
"""

from __future__ import annotations

from redislite import FalkorDB

from runic.ogm import Field, Mapped, Node, Relation, Session, delete, select, unwind, update
from runic.ogm.driver.falkordb import FalkorDBDriver
from runic.ogm.query import avg
from runic.ogm.schema import sync_schema


class Member(Node):
    id: Mapped[str] = Field(primary_key=True)
    email: Mapped[str] = Field(unique=True)
    active: Mapped[bool] = Field(default=True)
    logins: Mapped[int] = Field(default=0)
    badges: Relation[list[Badge]] = Relation("EARNED")


class Badge(Node):
    id: Mapped[str] = Field(primary_key=True)
    title: Mapped[str]


def main() -> None:
    database = FalkorDB()
    graph = database.select_graph("bulk_tour")
    driver = FalkorDBDriver(graph)
    sync_schema(driver, [Member, Badge])
    with Session(driver) as session:
        session.add_all(
            Member(id=f"m{i}", email=f"m{i}@example.com", active=i % 3 != 0, logins=i)
            for i in range(10)
        )

    # [update]
    with Session(driver) as session:
        m0 = session.get_one(Member, "m0")
        woken = session.execute(
            update(Member).where(Member.active == False).values(active=True)  # noqa: E712
        )
        bumped = session.execute(update(Member).values(logins=Member.logins + 1))
        print("woken:", woken, "bumped:", bumped, "m0 now:", m0.active, m0.logins)
    # [/update]

    # [delete]
    with Session(driver) as session:
        removed = session.execute(delete(Member).where(Member.logins > 8))
        print("removed:", removed, "left:", session.count(select(Member)))
        # A large delete in bounded steps: queries of at most 1,000 nodes until none match.
        session.execute(delete(Member).where(Member.email.endswith("@old.example")).batch(1000))
    # [/delete]

    # [unwind]
    rows = [{"id": f"ingest-{i}", "title": f"Badge {i}"} for i in range(2500)]
    earned = [{"source": "m1", "target": "ingest-0"}, {"source": "m2", "target": "ingest-0"}]
    with Session(driver) as session:
        written = session.execute(unwind(rows).merge(Badge).batch(1000))  # 3 queries
        linked = session.execute(unwind(earned).merge(Member.badges))
        print("ingested:", written, "linked:", linked)
        session.execute(delete(Badge).where(Badge.id.startswith("ingest-")).batch(1000))
    # [/unwind]

    # [merge]
    with Session(driver) as session:
        # Written by key: updated when stored, created when not. No read first.
        session.merge(Member(id="m1", email="m1@example.com", logins=100))
        session.merge(Member(id="m42", email="m42@example.com"))
    with Session(driver) as session:
        print("merged:", session.get_one(Member, "m1").logins, session.get_one(Member, "m42").email)
    # [/merge]

    # [get-or-create]
    with Session(driver) as session:
        member, created = session.get_or_create(
            Member, {"email": "new@example.com"}, defaults={"id": "m99"}
        )
        again, created_again = session.get_or_create(
            Member, {"email": "new@example.com"}, defaults={"id": "other"}
        )
        print("get_or_create:", member.id, created, again is member, created_again)
    # [/get-or-create]

    # [load]
    with Session(driver) as session:
        first = session.get_one(Member, "m1")
        first.badges = [Badge(id="b1", title="Early bird"), Badge(id="b2", title="Helper")]
    with Session(driver) as session:
        members = session.scalars(select(Member).order_by(Member.id).limit(3))
        session.load(members, "badges")  # one query for all three
        print("badges:", {m.id: [b.title for b in m.badges] for m in members})
    # [/load]
    # [results]
    with Session(driver) as session:
        average = session.scalar(select(Member).aggregate(avg(Member.logins)))
        newest = session.one_or_none(select(Member).where(Member.email == "new@example.com"))
        print("average logins:", round(average or 0, 1), "newest:", newest.id if newest else None)
    # [/results]
    graph.delete()
    database.close()


if __name__ == "__main__":
    main()
