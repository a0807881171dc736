"""Indexes and unique constraints on Apache AGE: PostgreSQL indexes on the label tables,
read back, used by runic's own lookups, and refused cleanly when stored data breaks them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from runic.ogm import Field, Node, Session
from runic.ogm.exceptions import ConstraintViolationError, SchemaError
from runic.ogm.schema import SchemaItem, schema_diff, sync_schema


class Shelfmark(Node):
    code: str = Field(primary_key=True)
    isbn: str = Field(unique=True, default="")
    floor: int = Field(index=True, default=0)


class Duplicated(Node):
    code: str = Field(primary_key=True)


def plan_of(driver: Any, cypher: str, params: dict[str, Any]) -> str:
    """PostgreSQL's plan for a Cypher query, as AGE runs it."""
    from runic.ogm.driver.age import QueryPlan

    sql, _ = QueryPlan(driver.graph, cypher, params, lock=False).statements[-1]
    rows = driver.execute_sql([("EXPLAIN " + sql, (json.dumps(params),))], read_only=True)
    return "\n".join(row[0] for row in rows)


def runic_indexes(driver: Any, label: str) -> list[str]:
    listing = (
        "SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename = %s "
        "AND indexname LIKE 'runic%%' ORDER BY indexname"
    )
    rows = driver.execute_sql([(listing, (driver.graph, label))], read_only=True)
    return [row[0] for row in rows]


def test_sync_schema_makes_indexes_that_get_uses(age_driver: Any) -> None:
    from runic.ogm.session.core import _get_query

    before = plan_of(
        age_driver, _get_query(Shelfmark, (), age_driver.dialect).cypher, {"p0": "x", "limit": 2}
    )
    made = sync_schema(age_driver, [Shelfmark])
    assert sorted(map(str, made.created)) == [
        "index Shelfmark.floor",
        "unique Shelfmark.code",
        "unique Shelfmark.isbn",
    ]
    assert runic_indexes(age_driver, "Shelfmark") == [
        "runic_index_Shelfmark_floor",
        "runic_unique_Shelfmark_code",
        "runic_unique_Shelfmark_isbn",
    ]
    assert schema_diff(age_driver, [Shelfmark]).empty
    with Session(age_driver) as session:
        session.add_all(Shelfmark(code=f"s{i}", isbn=f"i{i}", floor=i % 3) for i in range(50))
    get = _get_query(Shelfmark, (), age_driver.dialect).cypher
    assert 'Index Scan using "runic_unique_Shelfmark_code"' not in before
    assert 'Index Scan using "runic_unique_Shelfmark_code"' in plan_of(
        age_driver, get, {"p0": "s7", "limit": 2}
    )
    floor = "MATCH (n:Shelfmark) WHERE n.floor = $f RETURN n"
    assert "runic_index_Shelfmark_floor" in plan_of(age_driver, floor, {"f": 1})
    with Session(age_driver) as session:
        assert session.get(Shelfmark, "s7") is not None

    # PostgreSQL itself now refuses a second node with a stored value, whoever writes it.
    with pytest.raises(ConstraintViolationError, match="runic_unique_Shelfmark_isbn"):
        age_driver.execute("CREATE (:Shelfmark {code: 'other', isbn: 'i3'})")
    assert age_driver.execute("MATCH (n:Shelfmark) RETURN count(n)").rows == [[50]]


def test_a_unique_constraint_that_stored_nodes_break_is_refused(age_driver: Any) -> None:
    age_driver.execute("CREATE (:Duplicated {code: 'a'}), (:Duplicated {code: 'a'})")
    with pytest.raises(SchemaError, match=r"unique constraint on Duplicated\.code failed"):
        sync_schema(age_driver, [Duplicated])
    assert runic_indexes(age_driver, "Duplicated") == []
    assert schema_diff(age_driver, [Duplicated]).created == [
        SchemaItem("unique", "Duplicated", "code")
    ]
    age_driver.execute("MATCH (n:Duplicated) DELETE n")


def test_fulltext_and_vector_declarations_are_refused_before_any_change(
    age_driver: Any,
) -> None:
    from tests.models import Doc

    with pytest.raises(SchemaError, match=r"age cannot make fulltext Doc\.body"):
        sync_schema(age_driver, [Doc])
    assert runic_indexes(age_driver, "Doc") == []


class Visitor(Node):
    code: str = Field(primary_key=True)


class Guard(Visitor):
    badge: str = Field(unique=True, default="")


def test_a_subclass_field_is_indexed_on_the_root_label_table(age_driver: Any) -> None:
    """AGE stores a Guard under its root's label, Visitor, with an ``_is_Guard`` marker:
    the unique index on ``badge`` goes on Visitor's table, where it holds."""
    made = sync_schema(age_driver, [Visitor, Guard])
    assert sorted(map(str, made.created)) == ["unique Visitor.badge", "unique Visitor.code"]
    assert runic_indexes(age_driver, "Visitor") == [
        "runic_unique_Visitor_badge",
        "runic_unique_Visitor_code",
    ]
    assert runic_indexes(age_driver, "Guard") == []
    with Session(age_driver) as session:
        session.add(Guard(code="g1", badge="b7"))
    with pytest.raises(ConstraintViolationError), Session(age_driver) as session:
        session.add(Guard(code="g2", badge="b7"))
    assert schema_diff(age_driver, [Visitor, Guard]).empty
