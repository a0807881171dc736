"""Change tracking without a database: a flush examines what changed, not what is held."""

from __future__ import annotations

import copy
import gc
import pickle
import weakref
from typing import Any

import pytest

from runic.ogm.driver.dialect import FALKORDB
from runic.ogm.driver.records import GraphNode
from runic.ogm.exceptions import FieldValidationError
from runic.ogm.model.tracking import TrackedList
from runic.ogm.session.identity import IdentityKey
from runic.ogm.session.unit_of_work import UnitOfWork
from tests.models import Article, User
from tests.unit.test_flush import no_loading, stored_article, stored_user


class UnwalkableMap(dict[IdentityKey, Any]):
    """An identity map that fails the test if anything walks it."""

    def _walked(self, *_: Any) -> Any:
        raise AssertionError("the identity map was walked")

    __iter__ = items = values = keys = copy = _walked  # type: ignore[assignment]


class NoDatabase:
    """A driver for sessions that must send nothing."""

    dialect = FALKORDB
    name = "none"

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nothing is sent")


def held_session(size: int) -> tuple[UnitOfWork, list[User]]:
    unit = UnitOfWork(no_loading)
    users = [stored_user(unit, f"u{i}") for i in range(size)]
    unit.identity = UnwalkableMap(unit.identity)
    return unit, users


def test_a_flush_examines_only_the_changed_entity_of_ten_thousand() -> None:
    unit, users = held_session(10_000)
    users[1234].name = "Changed"
    plan = unit.plan()
    assert plan.examined == 1
    assert plan.updates == {User: [("u1234", {"name": "Changed"})]}
    unit.flushed()
    # Clean again: the next flush has nothing to examine and plans nothing.
    again = unit.plan()
    assert not again and again.examined == 0
    assert not unit.snapshots


def test_loading_takes_no_snapshot() -> None:
    unit, _ = held_session(100)
    assert not unit.snapshots and not unit.dirty


def test_in_place_list_changes_are_seen_also_through_an_old_reference() -> None:
    unit, users = held_session(3)
    alice = users[0]
    tags = alice.tags
    assert isinstance(tags, TrackedList)
    tags.append("x")
    plan = unit.plan()
    assert plan.examined == 1
    assert plan.updates == {User: [("u0", {"tags": ["x"]})]}
    assert type(plan.updates[User][0][1]["tags"]) is list  # sent as a plain list
    unit.flushed()
    tags += ["y"]  # the reference read before the flush still reports changes
    tags.sort(reverse=True)
    assert unit.plan().updates == {User: [("u0", {"tags": ["y", "x"]})]}


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.extend(["z"]),
        lambda t: t.insert(0, "z"),
        lambda t: t.remove("a"),
        lambda t: t.pop(),
        lambda t: t.clear(),
        lambda t: t.reverse(),
        lambda t: t.__setitem__(0, "z"),
        lambda t: t.__delitem__(0),
        lambda t: t.__imul__(2),
    ],
)
def test_every_list_mutation_marks_the_entity(change: Any) -> None:
    unit = UnitOfWork(no_loading)
    node = GraphNode(
        "u", ("User",), {"id": "u", "name": "U", "email": "u@x", "active": True, "tags": ["a", "b"]}
    )
    user = unit.merge(node)
    assert isinstance(user, User)
    change(user.tags)
    assert unit.dirty and unit.plan().updates[User][0][1]["tags"] == list(user.tags)


def test_a_to_many_relation_changed_in_place_is_planned() -> None:
    unit, users = held_session(2)
    article = stored_article(unit, "a1")
    unit.loaded_relation(users[0], User.articles, [article])
    unit.plan()
    unit.flushed()
    fresh = Article(id="a2", title="New")
    users[0].articles.append(fresh)  # not in any session yet: it joins through the relation
    plan = unit.plan()
    assert plan.examined == 2  # the changed user, and the article that joined as new
    assert [row["id"] for row in plan.creates[Article]] == ["a2"]
    assert sum(len(rows) for rows in plan.merges.values()) == 1


def test_an_unchanged_assignment_plans_nothing_and_leaves_the_entity_clean() -> None:
    unit, users = held_session(2)
    users[0].name = users[0].name
    assert not unit.plan()
    unit.flushed()
    assert not unit.dirty and not unit.snapshots


def test_a_failed_flush_keeps_every_change_pending() -> None:
    unit, users = held_session(3)
    users[0].name = "A"
    first = unit.plan()
    users[1].name = "B"  # changed while the first flush is in flight
    unit.unplanned()  # the first flush failed
    plan = unit.plan()
    assert plan.examined == 2 == len(plan.updates[User])
    assert first.examined == 1


def test_a_change_during_the_flight_diffs_against_what_the_flush_stored() -> None:
    unit, users = held_session(1)
    users[0].name = "First"
    unit.plan()
    users[0].name = "Second"  # during the flight
    unit.flushed()
    assert unit.plan().updates == {User: [("u0", {"name": "Second"})]}


def test_rollback_restores_changed_entities_only() -> None:
    unit, users = held_session(3)
    article = stored_article(unit, "a1")
    unit.loaded_relation(users[2], User.articles, [article])
    users[0].name = "Changed"
    users[0].tags.append("t")
    unit.rollback()
    assert (users[0].name, users[0].tags) == ("u0", [])
    assert isinstance(users[0].tags, TrackedList)
    assert users[2].articles == [article]  # clean: its loaded relation is still right
    assert not unit.plan()


def test_a_primary_key_change_is_still_refused() -> None:
    unit, users = held_session(2)
    users[0].id = "other"
    with pytest.raises(FieldValidationError, match="primary key"):
        unit.plan()


def test_tracked_list_copies_are_plain_lists_and_hold_no_entity() -> None:
    _unit, users = held_session(1)
    users[0].tags = ["a", "b"]
    tags = users[0].tags
    for copied in (copy.copy(tags), copy.deepcopy(tags), pickle.loads(pickle.dumps(tags))):
        assert type(copied) is list and copied == ["a", "b"]
    detached = User(id="x", name="X", email="x@x", tags=["a"])
    reference = weakref.ref(detached)
    gc.disable()
    try:
        del detached  # no cycle between the entity and its list: freed at once
        assert reference() is None
    finally:
        gc.enable()


def test_large_staging_pauses_the_collector_until_the_work_is_settled() -> None:
    assert gc.isenabled()
    for settle in ("flushed", "rollback", "close"):
        unit = UnitOfWork(no_loading)
        for i in range(999):
            unit.add(User(id=f"n{i}", name="N", email=f"n{i}@x"))
        assert gc.isenabled()  # small work: left alone
        unit.add(User(id="last", name="N", email="last@x"))
        assert not gc.isenabled(), settle
        if settle == "flushed":
            unit.plan()
            unit.flushed()
        else:
            getattr(unit, settle)()
        assert gc.isenabled(), settle


def test_a_collector_the_application_turned_off_stays_off() -> None:
    gc.disable()
    try:
        unit = UnitOfWork(no_loading)
        for i in range(1_000):
            unit.add(User(id=f"n{i}", name="N", email=f"n{i}@x"))
        unit.close()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_abandoned_session_resumes_the_collector() -> None:
    from runic.ogm import AsyncSession, Session

    class NoAsyncDatabase(NoDatabase):
        async def execute(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            raise AssertionError("nothing is sent")

    for make in (lambda: Session(NoDatabase()), lambda: AsyncSession(NoAsyncDatabase())):
        session = make()
        session.add_all(User(id=f"n{i}", name="N", email=f"n{i}@x") for i in range(1_000))
        assert not gc.isenabled()
        del session  # never closed, never committed
        assert gc.isenabled()


def test_an_entity_expunged_while_its_change_is_in_flight_is_not_written_later() -> None:
    unit, users = held_session(2)
    gone = users[0]
    gone.name = "Detached"
    unit.plan()  # the flush is in flight...
    unit.expunge(gone)  # ...another task lets go of the entity...
    unit.unplanned()  # ...and the flush fails
    fresh = stored_user(unit, "u0")  # the node is read again: a new entity
    assert fresh is not gone
    fresh.name = "Fresh"
    assert unit.plan().updates == {User: [("u0", {"name": "Fresh"})]}


def test_release_keeps_an_entity_whose_change_is_in_flight() -> None:
    from runic.ogm.session.core import SessionCore

    core = SessionCore(FALKORDB, no_loading, autoflush=True)
    user = stored_user(core.unit, "u0")
    user.name = "Changed"
    core.unit.plan()  # in flight
    core.release([user])
    assert core.unit.identity.get((type(user).__runic__.key_root, "u0")) is user


def test_a_merged_then_deleted_versioned_entity_is_deleted_without_a_version_check() -> None:
    from runic.ogm import Field, Node

    class Ledger(Node):
        id: str = Field(primary_key=True)
        version: int = Field(version=True)

    unit = UnitOfWork(no_loading)
    held = unit.upsert(Ledger(id="l1", version=7))  # the stored version is unknown
    unit.delete(held)
    plan = unit.plan()
    assert plan.deletes == {Ledger: ["l1"]} and not plan.versioned_deletes


def test_a_copied_or_unpickled_entity_is_tracked_once_added() -> None:
    original = User(id="c", name="C", email="c@x", tags=["a"])
    for clone in (pickle.loads(pickle.dumps(original)), copy.deepcopy(original)):
        assert type(clone.tags) is list  # plain while detached
        unit = UnitOfWork(no_loading)
        unit.add(clone)
        unit.plan()
        unit.flushed()
        clone.tags.append("b")
        assert unit.plan().updates == {User: [("c", {"tags": ["a", "b"]})]}


def test_a_session_subclass_keeps_its_own_methods() -> None:
    from runic.ogm import Session

    calls: list[str] = []

    class Audited(Session):
        def flush(self) -> None:
            calls.append("flush")
            return super().flush()

    session = Audited(NoDatabase())
    session.flush()
    session.flush()
    assert calls == ["flush", "flush"]


def test_a_failed_flush_and_work_taken_back_resume_the_collector() -> None:
    from runic.ogm import Session
    from runic.ogm.exceptions import DriverError

    class Refusing(NoDatabase):
        def execute(self, *args: Any, **kwargs: Any) -> Any:
            raise DriverError("refused")

    session = Session(Refusing())
    users = [User(id=f"n{i}", name="N", email=f"n{i}@x") for i in range(1_000)]
    session.add_all(users)
    assert not gc.isenabled()
    with pytest.raises(DriverError):
        session.flush()
    assert gc.isenabled()
    session.add(User(id="more", name="N", email="more@x"))  # pending again, below the mark
    for user in [*users, session.get(User, "more")]:  # held: no query
        session.expunge(user)
    session.add_all(User(id=f"m{i}", name="N", email=f"m{i}@x") for i in range(1_000))
    assert not gc.isenabled()
    for user in list(session._core.unit.new.values()):
        session.expunge(user)
    session.flush()  # nothing pending: sends nothing, and the pause ends
    assert gc.isenabled()
    session.close()
