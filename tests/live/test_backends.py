"""The backend-neutral suite: the same models and statements on every live backend.

Parametrized over FalkorDB (embedded), ArcadeDB (Bolt) and Apache AGE (psycopg) by the
``backend`` fixture, each through a Session on its sync driver and through an
AsyncSession on its async driver; ``RUNIC_BACKENDS`` narrows the list.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from runic.ogm import Field, Node, delete, select, update
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import (
    ConstraintViolationError,
    QueryRejectedError,
    StatementError,
    TransactionError,
)
from runic.ogm.query import avg, count, max_
from tests.backends import Backend, make_index
from tests.models import Admin, Article, Comment, Friendship, User

BACKEND_MODES = ("sync", "async")


class Ticket(Node):
    code: str = Field(primary_key=True)
    owner: str = Field(unique=True)


class Locker(Node):
    code: str = Field(primary_key=True)
    room: str = Field(index=True)


def seed(backend: Backend) -> None:
    with backend.session() as session:
        alice = User(id="alice", name="Alice", email="a@x", city="Berlin", age=30, tags=["a"])
        alice.articles = [
            Article(id="a1", title="One", published=True, comments=[Comment(id="c1", text="hi")]),
            Article(id="a2", title="Two"),
        ]
        session.add_all(
            [
                alice,
                User(id="bob", name="Bob", email="b@x", city="Paris", age=40),
                User(id="cy", name="Cy", email="c@x", city="Berlin", age=20),
                Admin(id="root", name="Root", email="r@x", level=3),
            ]
        )


def test_crud_round_trip(backend: Backend) -> None:
    seed(backend)
    with backend.session() as session:
        alice = session.get(User, "alice")
        assert (alice.name, alice.city, alice.age, alice.tags) == ("Alice", "Berlin", 30, ["a"])
        alice.city = None  # removes the property
        alice.tags.append("b")  # in place: detected
        session.delete(session.get(User, "cy"))
    assert backend.rows("MATCH (u:User {id: 'alice'}) RETURN u.city, u.tags") == [
        [None, ["a", "b"]]
    ]
    assert backend.rows("MATCH (u:User {id: 'cy'}) RETURN u.id") == []


def test_identity_map_and_change_tracking(backend: Backend) -> None:
    seed(backend)
    with backend.session() as session:
        alice = session.get(User, "alice")
        assert session.get(User, "alice") is alice
        assert alice in session.scalars(select(User).where(User.city == "Berlin"))
        with record_queries(backend.session_driver) as sent:
            session.flush()  # nothing changed: nothing sent
        assert len(sent) == 0
        alice.age = 31
        with record_queries(backend.session_driver) as sent:
            session.flush()
        assert len(sent) == 1 and sent.queries[0].params["b0"] == [
            {"key": "alice", "changes": {"age": 31}}
        ]


def test_polymorphic_reads(backend: Backend) -> None:
    seed(backend)
    with backend.session() as session:
        root = session.get(User, "root")
        assert type(root) is Admin and root.level == 3
        assert {u.id for u in session.scalars(select(User))} == {"alice", "bob", "cy", "root"}
        assert [a.id for a in session.scalars(select(Admin))] == ["root"]
        root.level = 4
    with backend.session() as session:
        assert session.get(Admin, "root").level == 4


def test_relations_and_edges(backend: Backend) -> None:
    seed(backend)
    with backend.session() as session:
        alice = session.get(User, "alice", fetch=["articles"])
        alice.articles = [a for a in alice.articles if a.id == "a1"]  # unlink a2
        alice.articles.append(Article(id="a3", title="Three"))
        session.relate(
            alice,
            User.best_friend,
            session.get(User, "bob"),
            edge=Friendship(since=date(2020, 1, 2)),
        )
    with backend.session() as session:
        alice = session.get(User, "alice", fetch=["articles", "best_friend"])
        assert sorted(a.id for a in alice.articles) == ["a1", "a3"]
        assert alice.best_friend.id == "bob"
        [(source, edge, target)] = session.all_with_edges(
            select(User).where(User.id == "alice").traverse(User.best_friend)
        )
        assert (source.id, edge.since, target.id) == ("alice", date(2020, 1, 2), "bob")


def test_fetch_is_one_round_trip_with_nested_paths(backend: Backend) -> None:
    seed(backend)
    with backend.session() as session:
        with record_queries(backend.session_driver) as sent:
            alice = session.get(User, "alice", fetch=["articles.comments"])
        assert len(sent) == 1
        comments = {a.id: [c.id for c in a.comments] for a in alice.articles}
        assert comments == {"a1": ["c1"], "a2": []}
        users = session.scalars(select(User).order_by(User.id).fetch("articles"))
        assert [len(u.articles) for u in users] == [2, 0, 0, 0]


def test_traversal_and_paging(backend: Backend) -> None:
    seed(backend)
    with backend.session() as session:
        titles = session.scalars(
            select(User)
            .where(User.id == "alice")
            .traverse(User.articles)
            .where(Article.published == True)
            .return_target()
        )
        assert [a.title for a in titles] == ["One"]
        aged = select(User).where(User.age.is_not_null())  # backends order nulls differently
        page = session.scalars(aged.order_by(User.age, desc=True).skip(1).limit(2))
        assert [u.id for u in page] == ["alice", "cy"]
        assert session.count(select(User).where(User.city == "Berlin")) == 2
        assert session.exists(select(User).where(User.age > 35))
        assert session.distinct(User.city) == ["Berlin", "Paris"]


def test_aggregation(backend: Backend) -> None:
    seed(backend)
    with backend.session() as session:
        rows = session.all_rows(
            select(User)
            .where(User.city.is_not_null())
            .aggregate(count("*").as_("n"), max_(User.age).as_("oldest"), group_by=User.city)
            .order_by("n", desc=True)
        )
        assert rows == [
            {"n.city": "Berlin", "n": 2, "oldest": 30},
            {"n.city": "Paris", "n": 1, "oldest": 40},
        ]
        assert session.scalar(
            select(User).where(User.age.is_not_null()).aggregate(avg(User.age))
        ) == pytest.approx(30.0)


def test_bulk_statements_and_merge(backend: Backend) -> None:
    seed(backend)
    with backend.session() as session:
        assert (
            session.execute(update(User).where(User.city == "Berlin").values(age=User.age + 1)) == 2
        )
        assert session.execute(delete(Article).where(Article.published == False)) == 1
        session.merge(User(id="bob", name="Robert", email="b@x"))
        session.merge(User(id="dee", name="Dee", email="d@x"))
    assert backend.rows(
        "MATCH (u:User) WHERE u.id IN ['alice', 'cy'] RETURN u.age ORDER BY u.age"
    ) == [[21], [31]]
    assert backend.rows(
        "MATCH (u:User) WHERE u.id IN ['bob', 'dee'] RETURN u.name ORDER BY u.id"
    ) == [["Robert"], ["Dee"]]
    assert backend.rows("MATCH (a:Article) RETURN a.id") == [["a1"]]


def test_a_failed_commit_changes_nothing_and_keeps_the_work(backend: Backend) -> None:
    backend.unique("Ticket", "owner")
    with backend.session() as session:
        session.add(Ticket(code="t1", owner="ann"))
    session = backend.session()
    session.add_all([Ticket(code="t2", owner="bob"), Ticket(code="t3", owner="ann")])
    with pytest.raises(ConstraintViolationError):
        session.commit()
    assert backend.rows("MATCH (t:Ticket) RETURN t.code") == [["t1"]]
    session.delete(session.get(Ticket, "t3"))  # still pending: fix it and retry
    session.commit()
    assert sorted(row[0] for row in backend.rows("MATCH (t:Ticket) RETURN t.code")) == ["t1", "t2"]


def test_get_or_create_is_atomic_or_refused_before_io(backend: Backend) -> None:
    with backend.session() as session:
        if not backend.driver.dialect.atomic_get_or_create:
            with pytest.raises(StatementError, match="not supported on this backend"):
                session.get_or_create(Ticket, {"owner": "ann"}, defaults={"code": "t1"})
            assert backend.rows("MATCH (t:Ticket) RETURN t.code") == []
            return
        made, created = session.get_or_create(Ticket, {"owner": "ann"}, defaults={"code": "t1"})
        again, created_again = session.get_or_create(
            Ticket, {"owner": "ann"}, defaults={"code": "t2"}
        )
        assert created and not created_again and again is made
    assert backend.rows("MATCH (t:Ticket) RETURN t.code") == [["t1"]]


class Wardrobe(Node):
    """Locker for async runs: ArcadeDB keeps a database's schema between tests."""

    code: str = Field(primary_key=True)
    room: str = Field(index=True)


def test_schema_sync_where_the_backend_has_it(backend: Backend) -> None:
    model = Locker if backend.mode == "sync" else Wardrobe
    label = model.__name__
    done = backend.sync_schema([model])
    assert {f"unique {label}.code", f"index {label}.room"} <= {str(item) for item in done.created}
    assert backend.sync_schema([model]).empty
    make_index(backend, label, "colour")
    extra = backend.sync_schema([model], drop_extra=True)
    assert [str(item) for item in extra.dropped] == [f"index {label}.colour"]
    assert backend.schema_diff([model], drop_extra=True).empty
    with backend.session() as session:
        session.add(model(code="l1", room="a"))
    with pytest.raises(ConstraintViolationError), backend.session() as session:
        session.add(model(code="l1", room="b"))


def test_field_types_round_trip(backend: Backend) -> None:
    from datetime import UTC, datetime

    from tests.models import Color, Sample

    values = {
        "id": 1,
        "text": "héllo",
        "count": 3,
        "ratio": 0.5,
        "flag": True,
        "day": date(2024, 2, 29),
        "moment": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "color": Color.GREEN,
        "numbers": [1, 2],
        "embedding": [0.5, 0.25, 1.0],
    }
    with backend.session() as session:
        session.add(Sample(**values))
    with backend.session() as session:
        stored = session.get(Sample, 1)
        assert {name: getattr(stored, name) for name in values} == values
        stored.embedding = [1.0, 0.0, 0.0]
        stored.moment = None
    with backend.session() as session:
        again = session.get(Sample, 1)
        assert again.embedding == [1.0, 0.0, 0.0] and again.moment is None


def test_a_cypher_word_is_an_alias_on_every_backend(backend: Backend) -> None:
    seed(backend)
    with backend.session() as session:
        statement = (
            select(User).alias("null").where(User.id == "alice").traverse(User.articles)
        ).alias("distinct")
        titles = sorted(a.title for a in session.scalars(statement.return_target()))
        assert titles == ["One", "Two"]
        grouped = select(User).alias("order").aggregate(count("*").as_("n"), group_by="order.id")
        assert {row["order.id"] for row in session.all_rows(grouped)} >= {"alice"}


def test_projections_functions_and_params_on_every_backend(backend: Backend) -> None:
    from runic.ogm.query import coalesce, lower, param, when

    seed(backend)
    statement = (
        select(
            User.id,
            lower(User.name).as_("key"),
            coalesce(User.city, "none").as_("city"),
            when(User.age >= param("adult"), "adult").else_("other").as_("group"),
        )
        .where(User.id.in_(param("ids")))
        .order_by("id")
    )
    with backend.session() as session:
        rows = session.all_rows(statement, {"adult": 18, "ids": ["alice"]})
        assert rows == [{"id": "alice", "key": "alice", "city": "Berlin", "group": "adult"}]
        assert session.scalars(select(User.id).where(User.city == User.city).order_by("id"))
        per_author = select(User).traverse(User.articles).project(User.id, count("*").as_("n"))
        assert {"id": "alice", "n": 2} in session.all_rows(per_author)


def test_traversal_options_on_every_backend(backend: Backend) -> None:
    from datetime import date

    from runic.ogm.query import repeat

    seed(backend)
    with backend.session() as session:
        alice, bob, cy = (session.get_one(User, key) for key in ("alice", "bob", "cy"))
        session.relate(alice, User.best_friend, bob, edge=Friendship(since=date(2020, 1, 1)))
        session.relate(bob, User.best_friend, cy, edge=Friendship(since=date(2024, 1, 1)))
    with backend.session() as session:
        per_user = (
            select(User)
            .where(User.id.in_(["alice", "bob"]))
            .traverse(User.articles, optional=True)
            .project(User.id, count(Article.id).as_("n"))
            .order_by("id")
        )
        assert session.scalars(per_user) == [("alice", 2), ("bob", 0)]
        of_alice = select(User).where(User.id == "alice")
        reach = of_alice.traverse(repeat(User.best_friend, max_hops=2)).return_target()
        assert sorted(u.id for u in session.scalars(reach)) == ["bob", "cy"]
        recent = (
            select(User)
            .traverse(User.best_friend)
            .where(Friendship.since > date(2022, 1, 1))
            .return_target()
        )
        assert [u.id for u in session.scalars(recent)] == ["cy"]
        of_bob = select(User).where(User.id == "bob")
        back = of_bob.traverse(User.best_friend, direction="INCOMING").return_target()
        assert [u.id for u in session.scalars(back)] == ["alice"]
        first = select(User).order_by(User.id).limit(1).with_()  # alice, then her articles
        titles = first.traverse(User.articles).project(Article.title).order_by("title")
        assert session.scalars(titles) == ["One", "Two"]


def test_a_batched_delete_runs_bounded_queries_on_every_backend(backend: Backend) -> None:
    with backend.session() as session:
        session.add_all(
            [Locker(code=f"l{i:03}", room="r1" if i < 250 else "r2") for i in range(260)]
        )
    with backend.session() as session:
        kept = session.get_one(Locker, "l001")
        with record_queries(backend.session_driver) as log:
            deleted = session.execute(delete(Locker).where(Locker.room == "r1").batch(100))
        assert deleted == 250
        assert log.count == 3  # 100, 100, then 50: a short batch ends it
        assert all("LIMIT $batch" in query.cypher for query in log.queries)
        assert session.get(Locker, "l001") is None and kept is not None
        assert session.count(select(Locker)) == 10


def test_unwind_ingests_nodes_and_edges_on_every_backend(backend: Backend) -> None:
    from datetime import date

    from runic.ogm import unwind

    people = [{"id": f"p{i}", "name": f"P{i}", "email": f"p{i}@x"} for i in range(30)]
    articles = [{"id": f"a{i}", "title": f"T{i}"} for i in range(3)]
    wrote = [{"source": "p0", "target": f"a{i}"} for i in range(3)]
    friends = [{"source": "p1", "target": "p2", "since": date(2021, 3, 4)}]
    with backend.session() as session:
        assert session.execute(unwind(people).merge(User).batch(7)) == 30
        assert session.execute(unwind(articles).merge(Article)) == 3
        assert session.execute(unwind(wrote).merge(User.articles)) == 3
        assert session.execute(unwind(friends).merge(User.best_friend)) == 1
        assert session.execute(unwind(people[:2]).merge(User)) == 2  # again: by key
    with backend.session() as session:
        assert session.count(select(User)) == 30
        assert sorted(a.id for a in session.get_one(User, "p0", fetch=["articles"]).articles) == [
            "a0",
            "a1",
            "a2",
        ]
        edges = session.all_with_edges(select(User).traverse(User.best_friend))
        assert [(s.id, e.since, t.id) for s, e, t in edges] == [("p1", date(2021, 3, 4), "p2")]


def test_any_of_on_every_backend(backend: Backend) -> None:
    from runic.ogm.query import any_of, repeat
    from tests.models import Scientist

    with backend.session() as session:
        a, b, c, d = (Scientist(id=k) for k in "abcd")
        a.advisors, a.colleagues, c.advisors = [b], [c], [d]
        session.add_all([a, b, c, d])
    with backend.session() as session:
        of_a = select(Scientist).where(Scientist.id == "a")
        near = of_a.traverse(any_of(Scientist.advisors, Scientist.colleagues)).return_target()
        if backend.name == "age":  # AGE has no -[:A|B]->: refused before anything is sent
            with (
                record_queries(backend.session_driver) as log,
                pytest.raises(StatementError, match="age cannot"),
            ):
                session.scalars(near)
            assert log.count == 0
            return
        assert sorted(s.id for s in session.scalars(near)) == ["b", "c"]
        both = any_of(Scientist.advisors, Scientist.colleagues)
        far = of_a.traverse(repeat(both, max_hops=2)).return_target()
        assert sorted(s.id for s in session.scalars(far)) == ["b", "c", "d"]


class Seat(Node):
    code: str = Field(primary_key=True)
    holder: str


def test_32_sessions_at_once(backend: Backend) -> None:
    """32 threads, each with sessions of its own: in an async run their sessions are tasks
    on one event loop, sharing the async driver's connections."""
    sessions = 32

    def work(number: int) -> int:
        with backend.session() as session:
            session.add(Seat(code=f"s{number}", holder="nobody"))
        with backend.session() as session:
            seat = session.get(Seat, f"s{number}")
            assert seat is not None and seat.holder == "nobody"
            seat.holder = f"h{number}"
            session.flush()
            return int(session.count(select(Seat)))

    with ThreadPoolExecutor(max_workers=sessions) as pool:
        seen = list(pool.map(work, range(sessions)))
    assert all(1 <= count <= sessions for count in seen)
    rows = backend.rows("MATCH (s:Seat) RETURN s.code, s.holder")
    assert sorted(map(tuple, rows)) == sorted((f"s{n}", f"h{n}") for n in range(sessions))


def test_begin_runs_flushes_and_reads_in_one_transaction(backend: Backend) -> None:
    def seats() -> list[tuple[str, str]]:
        return sorted(map(tuple, backend.rows("MATCH (s:Seat) RETURN s.code, s.holder")))

    if backend.name == "falkordb":
        with backend.session() as session:
            session.add(Seat(code="b1", holder="ann"))
            with pytest.raises(TransactionError, match="FalkorDB has no transaction across"):
                session.begin().__enter__()
        assert seats() == [("b1", "ann")]  # the session goes on as it was
        return
    # AGE's sync driver has one connection, which the open transaction holds.
    other_connection = not (backend.name == "age" and backend.mode == "sync")
    with backend.session() as session:
        with session.begin():
            session.add(Seat(code="b1", holder="ann"))
            session.flush()
            assert session.count(select(Seat)) == 1  # the block reads its own writes
            if other_connection:
                assert seats() == []  # which nobody else sees before the COMMIT
            session.add(Seat(code="b2", holder="bob"))  # sent by the block's last flush
        assert seats() == [("b1", "ann"), ("b2", "bob")]

        with pytest.raises(KeyError), session.begin():
            seat = session.get(Seat, "b1")
            assert seat is not None
            seat.holder = "cy"
            session.add(Seat(code="b3", holder="dee"))
            session.flush()
            assert session.count(select(Seat)) == 3
            raise KeyError("the block fails")
        assert seats() == [("b1", "ann"), ("b2", "bob")]  # rolled back, both flushes
        again = session.get(Seat, "b1")
        assert again is not None and again is not seat and again.holder == "ann"

        with session.begin():
            with pytest.raises(TransactionError, match="commits when the block ends"):
                session.commit()
            with pytest.raises(TransactionError, match="raise an exception out of the block"):
                session.rollback()
            with pytest.raises(TransactionError, match="blocks do not nest"), session.begin():
                pass
            again.holder = "eve"
    assert seats() == [("b1", "eve"), ("b2", "bob")]


def test_a_failed_query_fails_the_whole_block(backend: Backend) -> None:
    """A refused flush is raised as the server's refusal (no explaining queries in a
    failed transaction), and a failure the block caught still stops its COMMIT."""
    if backend.name == "falkordb":  # no transactions across queries: see the test above
        with backend.session() as session, pytest.raises(TransactionError):
            session.begin().__enter__()
        return
    backend.unique("Seat", "holder")
    with backend.session() as session:
        session.add(Seat(code="c1", holder="ann"))
    with backend.session() as session:
        with pytest.raises(ConstraintViolationError), session.begin() as block:
            block.add(Seat(code="c2", holder="bob"))
            block.flush()
            block.add(Seat(code="c3", holder="ann"))  # ann holds c1 already
            block.flush()
        refused = pytest.raises(TransactionError, match="nothing of the block was committed")
        with refused, session.begin():
            session.add(Seat(code="c4", holder="cy"))
            session.flush()
            with pytest.raises(QueryRejectedError):
                session.execute("RETURN 1 / $zero AS r", {"zero": 0})
    rows = backend.rows("MATCH (s:Seat) RETURN s.code, s.holder")
    assert rows == [["c1", "ann"]]
