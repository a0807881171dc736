"""Schema sync from model declarations, on embedded FalkorDB, for both driver kinds."""

from __future__ import annotations

import time
from typing import Any

import pytest

from runic.ogm import Field, Node, Session, Vector
from runic.ogm.driver.dialect import Dialect
from runic.ogm.exceptions import SchemaError
from runic.ogm.schema import (
    SchemaItem,
    async_schema_diff,
    async_sync_schema,
    declared_schema,
    schema_diff,
    sync_schema,
)
from tests.models import Admin, Doc, User


class Cabinet(Node):
    code: str = Field(primary_key=True)
    room: str = Field(index=True)
    note: str = Field(fulltext=True, default="")
    shape: Vector = Vector(dim=2, similarity="euclidean")


def indexes(graph: Any) -> list[list[Any]]:
    return graph.query(
        "CALL db.indexes() YIELD label, properties, types RETURN label, properties, types "
        "ORDER BY label"
    ).result_set


def colour_status(graph: Any) -> list[str]:
    rows = graph.query(
        "CALL db.indexes() YIELD label, properties, status RETURN properties, status"
    )
    return [status for properties, status in rows.result_set if "colour" in properties]


def test_models_declare_keys_uniques_indexes_fulltext_and_vectors() -> None:
    assert declared_schema([Cabinet]) == {
        SchemaItem("unique", "Cabinet", "code"),
        SchemaItem("index", "Cabinet", "room"),
        SchemaItem("fulltext", "Cabinet", "note"),
        SchemaItem(
            "vector", "Cabinet", "shape", (("dimension", 2), ("similarityFunction", "euclidean"))
        ),
    }
    # A subclass inherits its parent's items, on the parent's label: one index serves both.
    assert (
        declared_schema([Admin])
        == declared_schema([User])
        == {
            SchemaItem("unique", "User", "id"),
            SchemaItem("unique", "User", "email"),
        }
    )


def test_sync_creates_what_is_missing_and_is_idempotent(graph: Any, driver: Any) -> None:
    planned = schema_diff(driver, [Cabinet, User])
    assert indexes(graph) == []  # a diff changes nothing
    done = sync_schema(driver, [Cabinet, User])
    assert done.created == planned.created and not done.dropped
    assert "+ unique User.email" in str(done)
    assert {(row[0], tuple(sorted(row[1]))) for row in indexes(graph)} == {
        ("Cabinet", ("code", "note", "room", "shape")),
        ("User", ("email", "id")),
    }
    constraints = graph.query(
        "CALL db.constraints() YIELD label, properties, status "
        "RETURN label, properties, status ORDER BY label"
    ).result_set
    assert constraints and all(status == "OPERATIONAL" for *_, status in constraints)

    again = sync_schema(driver, [Cabinet, User])
    assert again.empty and str(again) == "schema up to date"
    assert len(again.unchanged) == len(done.created)


def test_drop_extra_removes_only_undeclared_items_of_the_models_labels(
    graph: Any, driver: Any
) -> None:
    sync_schema(driver, [Cabinet])
    graph.query("CREATE INDEX FOR (n:Cabinet) ON (n.colour)")
    graph.query("CREATE INDEX FOR (n:Unmanaged) ON (n.x)")
    assert sync_schema(driver, [Cabinet]).empty  # extras stay unless asked
    diff = schema_diff(driver, [Cabinet], drop_extra=True)
    assert [str(item) for item in diff.dropped] == ["index Cabinet.colour"]
    done = sync_schema(driver, [Cabinet], drop_extra=True)
    assert [str(item) for item in done.dropped] == ["index Cabinet.colour"]
    labels = {row[0]: row[1] for row in indexes(graph)}
    assert "colour" not in labels["Cabinet"] and labels["Unmanaged"] == ["x"]


def test_a_sync_returns_once_a_dropped_index_is_gone(graph: Any, driver: Any) -> None:
    # FalkorDB rebuilds a label's range index without the dropped field in the
    # background and lists the old one (with the field) until then: with 200,000 nodes
    # that takes long enough that a sync which did not wait leaves it listed.
    graph.query("UNWIND range(1, 200000) AS i CREATE (:Cabinet {code: toString(i), room: 'a'})")
    sync_schema(driver, [Cabinet])
    graph.query("CREATE INDEX FOR (n:Cabinet) ON (n.colour)")
    deadline = time.monotonic() + 30
    while "OPERATIONAL" not in str(colour_status(graph)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert colour_status(graph) == ["OPERATIONAL"]
    sync_schema(driver, [Cabinet], drop_extra=True)
    labels = {row[0]: row[1] for row in indexes(graph)}
    assert "colour" not in labels["Cabinet"]
    assert schema_diff(driver, [Cabinet], drop_extra=True).empty


def test_a_vector_index_of_another_size_is_made_again(graph: Any, driver: Any) -> None:
    graph.query(
        "CREATE VECTOR INDEX FOR (n:Doc) ON (n.embedding) "
        "OPTIONS {dimension: 5, similarityFunction: 'cosine'}"
    )
    done = sync_schema(driver, [Doc])
    assert [str(item) for item in done.dropped] == [
        "vector Doc.embedding (dimension=5, similarityFunction=cosine)"
    ]
    assert "vector Doc.embedding (dimension=3, similarityFunction=cosine)" in map(str, done.created)
    assert sync_schema(driver, [Doc]).empty


def test_duplicates_make_a_unique_constraint_fail_clearly(graph: Any, driver: Any) -> None:
    with Session(driver) as session:
        session.add_all(
            [User(id="a", name="A", email="same@x"), User(id="b", name="B", email="same@x")]
        )
    with pytest.raises(SchemaError, match=r"User\.email failed: stored nodes already share"):
        sync_schema(driver, [User])
    failed = graph.query(
        "CALL db.constraints() YIELD label, properties, status RETURN properties, status"
    ).result_set
    assert ["email"] not in [row[0] for row in failed]  # the failed constraint is gone
    with Session(driver) as session:
        session.delete(session.get(User, "b"))
    assert [str(i) for i in sync_schema(driver, [User]).created] == ["unique User.email"]


@pytest.mark.asyncio
async def test_async_sync_and_diff(graph: Any, async_driver: Any) -> None:
    planned = await async_schema_diff(async_driver, [Cabinet])
    done = await async_sync_schema(async_driver, [Cabinet])
    assert done.created == planned.created and len(done.created) == 5
    assert (await async_sync_schema(async_driver, [Cabinet])).empty
    assert "Cabinet" in [row[0] for row in indexes(graph)]


def test_backends_without_schema_sync_are_refused_before_io() -> None:
    class Elsewhere:
        dialect = Dialect()
        name = "g"

        def execute(self, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("no query may be sent")

    with pytest.raises(SchemaError, match=r"not available on this backend \(cypher\)"):
        sync_schema(Elsewhere(), [User])
    with pytest.raises(TypeError, match="models= takes Node classes"):
        schema_diff(Elsewhere(), ["User"])  # type: ignore[list-item]
