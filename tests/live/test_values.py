"""No value an engine would mangle reaches it: each bad input is refused before any I/O
(nothing recorded, the node count unchanged, the server alive), and each edge value that
can be stored reads back equal and is found by an equality filter on the loaded value.

Backend-neutral tests run on every live backend (``backend``); the FalkorDB facts that
make the rules necessary are probed on embedded FalkorDB (``graph``/``driver``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from runic.ogm import AsyncSession, Field, Node, Session, select, update
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import FieldValidationError, ParameterError
from runic.ogm.values import INT64_MAX, INT64_MIN
from tests.backends import Backend


class Reading(Node):
    id: str = Field(primary_key=True)
    count: int | None = None
    ratio: float | None = None
    label: str | None = None
    moment: datetime | None = None
    ratios: list[float] = []


class Crafted:
    """What the falkordb client would splice into the query text through ``str()``."""

    def __str__(self) -> str:
        return "0 MATCH (n) DETACH DELETE n"


def node_count(backend: Backend) -> int:
    return int(backend.rows("MATCH (n) RETURN count(n)")[0][0])


def assert_alive(backend: Backend) -> None:
    assert backend.rows("RETURN 1 AS one") == [[1]]


def seed(backend: Backend) -> None:
    with Session(backend.driver) as session:
        session.add(Reading(id="seed", count=1, ratio=0.5, label="kept", ratios=[1.0]))


PLUS_TWO = timezone(timedelta(hours=2))
MINUS_FIVE = timezone(timedelta(hours=-5))

BAD_FIELD_VALUES = [
    ("count", 2**63),
    ("count", -(2**63) - 1),
    ("ratio", math.nan),
    ("ratio", math.inf),
    ("ratio", -math.inf),
    ("ratio", 1.7976931348623157e308),
    ("label", "a\x00b"),
    ("label", "\ud800"),
    ("ratios", [0.5, math.nan]),
    ("moment", datetime(1, 1, 1, 1, tzinfo=PLUS_TWO)),
    ("moment", datetime(9999, 12, 31, 22, tzinfo=MINUS_FIVE)),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELD_VALUES)
def test_bad_field_values_are_refused_before_io(backend: Backend, field: str, value: Any) -> None:
    seed(backend)
    before = node_count(backend)
    attribute = getattr(Reading, field)
    with Session(backend.driver) as session:
        held = session.get(Reading, "seed")
        with record_queries(backend.driver) as log:
            with pytest.raises(FieldValidationError, match=rf"Reading\.{field}: ") as raised:
                session.add(Reading(id="bad", **{field: value}))
            assert raised.value.actual is not None
            with pytest.raises(FieldValidationError, match=rf"Reading\.{field}: "):
                setattr(held, field, value)
            with pytest.raises(FieldValidationError, match=rf"Reading\.{field}: "):
                session.scalars(select(Reading).where(attribute == value))
            with pytest.raises(FieldValidationError, match=rf"Reading\.{field}: "):
                session.execute(update(Reading).values(**{field: value}))
        assert log.count == 0
    assert node_count(backend) == before
    with Session(backend.driver) as session:
        stored = session.get(Reading, "seed")
        assert stored is not None
        assert (stored.count, stored.ratio, stored.label, stored.ratios) == (1, 0.5, "kept", [1.0])
    assert_alive(backend)


EDGE_VALUES = [
    ("count", INT64_MAX),
    ("count", INT64_MIN),
    ("ratio", 1 / 3),
    ("ratio", 0.1 + 0.2),
    ("ratio", 1e-300),
    ("ratio", 5e-324),
    ("ratio", 2.2250738585072014e-308),
    ("ratio", 123456789.123456789),
    ("ratio", 1.79769313486231e308),
    ("ratio", -1.79769313486231e308),
    ("ratios", [1 / 3, 2 / 3, 0.1 + 0.2]),
    ("label", "héllo ✓ 😀 tab\there"),
    ("moment", datetime(1, 1, 1)),
    ("moment", datetime(1, 1, 1, tzinfo=UTC)),
    ("moment", datetime(1, 1, 1, 3, tzinfo=PLUS_TWO)),
    ("moment", datetime(9999, 12, 31, 23, 59, 59, 999999)),
    ("moment", datetime(9999, 12, 31, 18, 59, 59, 999999, tzinfo=MINUS_FIVE)),
]


@pytest.mark.parametrize(("field", "value"), EDGE_VALUES)
def test_edge_values_read_back_equal_and_are_found(
    backend: Backend, field: str, value: Any
) -> None:
    written = Reading(id="edge", **{field: value})
    with Session(backend.driver) as session:
        session.add(written)
    held = getattr(written, field)
    attribute = getattr(Reading, field)
    with Session(backend.driver) as session:
        loaded = session.get(Reading, "edge")
        assert loaded is not None
        assert getattr(loaded, field) == held
        found = session.scalars(select(Reading).where(attribute == getattr(loaded, field)))
        assert [reading.id for reading in found] == ["edge"]
    with Session(backend.driver) as session:  # the value as first given finds it too
        assert [r.id for r in session.scalars(select(Reading).where(attribute == value))] == [
            "edge"
        ]
    assert_alive(backend)


RAW_BAD_VALUES = [
    Path("/tmp/x"),
    Crafted(),
    {1, 2},
    b"bytes",
    {1: "non-string key"},
    2**63,
    -(2**63) - 1,
    math.nan,
    math.inf,
    -math.inf,
    "a\x00b",
    "\ud800",
    [1, [Path("/nested")]],
    {"deep": {"deeper": math.nan}},
    datetime(1, 1, 1, tzinfo=PLUS_TWO),
]


@pytest.mark.parametrize("value", RAW_BAD_VALUES, ids=repr)
def test_raw_parameters_are_refused_before_io(backend: Backend, value: Any) -> None:
    seed(backend)
    before = node_count(backend)
    with Session(backend.driver) as session, record_queries(backend.driver) as log:
        session.add(Reading(id="pending"))  # autoflush must not run either
        with pytest.raises(ParameterError, match=r"execute\(\): parameter 'x'"):
            session.execute("CREATE (:Reading {id: 'raw', label: $x})", {"x": value})
        assert log.count == 0
        session.rollback()
    assert node_count(backend) == before
    assert_alive(backend)


RAW_FLOATS = [1 / 3, 0.1 + 0.2, 1e-300, 5e-324, 123456789.123456789, 1.7976931348623157e308]


def test_raw_float_parameters_store_what_reads_back(backend: Backend) -> None:
    """Raw floats are rounded to the digits the backend returns (15 on FalkorDB, all of
    them elsewhere), so a raw write reads back equal and a raw filter finds it."""
    digits = backend.driver.dialect.float_digits
    for position, value in enumerate(RAW_FLOATS):
        key = f"raw{position}"
        expected = value if digits is None else float(f"{value:.{digits}g}")
        with Session(backend.driver) as session:
            if math.isinf(expected):
                with record_queries(backend.driver) as log, pytest.raises(ParameterError):
                    session.execute(
                        "CREATE (:Reading {id: $id, ratio: $v})", {"id": key, "v": value}
                    )
                assert log.count == 0
                continue
            session.execute("CREATE (:Reading {id: $id, ratio: $v})", {"id": key, "v": value})
        with Session(backend.driver) as session:
            loaded = session.get(Reading, key)
            assert loaded is not None and loaded.ratio == expected
            rows = session.execute(
                "MATCH (n:Reading) WHERE n.ratio = $v RETURN n.id AS id", {"v": loaded.ratio}
            )
            assert rows == [{"id": key}]
    assert_alive(backend)


# -- FalkorDB: the engine facts behind the rules ---------------------------------------


def test_probe_falkordb_returns_fifteen_digits_and_clamps_ints(graph: Any) -> None:
    """A probe of the engine, bypassing runic. When it fails, FalkorDB changed: revisit
    ``FalkorDBDialect.float_digits`` and the int64 rule in ``runic.ogm.values``."""
    graph.query("CREATE (:Probe {x: $x, big: $big})", {"x": 1 / 3, "big": 2**63})
    stored, big = graph.query("MATCH (n:Probe) RETURN n.x, n.big").result_set[0]
    assert stored == 0.333333333333333 != 1 / 3  # stored whole, returned with 15 digits
    assert big == INT64_MAX  # clamped
    found = graph.query("MATCH (n:Probe) WHERE n.x = $x RETURN count(n)", {"x": stored})
    assert found.result_set == [[0]]  # why runic rounds before it writes


def test_a_crafted_str_parameter_cannot_reach_the_query(driver: Any) -> None:
    with Session(driver) as session:
        session.add_all([Reading(id="a"), Reading(id="b")])
    with Session(driver) as session, record_queries(driver) as log:
        with pytest.raises(TypeError, match="parameter 'x' is a Crafted"):
            session.execute("RETURN $x AS x", {"x": Crafted()})
        assert log.count == 0
    assert driver.execute("MATCH (n) RETURN count(n)").rows == [[2]]


@pytest.mark.asyncio
async def test_async_sessions_refuse_raw_parameters_too(driver: Any, async_driver: Any) -> None:
    with Session(driver) as session:
        session.add(Reading(id="a"))
    async with AsyncSession(async_driver) as session:
        with record_queries(async_driver) as log:
            with pytest.raises(ParameterError, match=r"parameter 'x'\[0\] is a PosixPath"):
                await session.execute("RETURN $x AS x", {"x": [Path("/etc/passwd")]})
            assert log.count == 0
        rows = await session.execute("MATCH (n:Reading) RETURN n.id AS id, $v AS v", {"v": 1 / 3})
        assert rows == [{"id": "a", "v": 0.333333333333333}]
    assert driver.execute("RETURN 1").rows == [[1]]
