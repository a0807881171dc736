"""Each field type survives a write and a read on embedded FalkorDB."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from runic.ogm import GeoLocation, Session, select
from tests.models import Color, Sample


def insert(driver: Any, *samples: Sample) -> None:
    with Session(driver) as session:
        session.add_all(samples)


def test_every_type_round_trips(driver: Any) -> None:
    original = Sample(
        id=1,
        text="héllo ✓",
        count=-7,
        ratio=0.25,
        flag=False,
        day=date(1999, 12, 31),
        moment=datetime(2024, 2, 29, 23, 59, 58, 999999, tzinfo=UTC),
        color=Color.GREEN,
        numbers=[3, 1, 2],
        embedding=[0.5, -1.0, 2.0],
        place=GeoLocation(52.5, 13.4),
    )
    insert(driver, original)
    (loaded,) = Session(driver).scalars(select(Sample))
    for name in Sample.__runic__.fields:
        if name != "place":
            assert getattr(loaded, name) == getattr(original, name), name
    assert loaded.color is Color.GREEN
    # FalkorDB keeps point coordinates as 32-bit floats.
    assert loaded.place.latitude == pytest.approx(52.5, abs=1e-5)
    assert loaded.place.longitude == pytest.approx(13.4, abs=1e-5)


def test_vectors_and_points_use_native_types(driver: Any) -> None:
    insert(driver, Sample(id=1, embedding=[1.0, 0.0, 0.0], place=GeoLocation(1.0, 2.0)))
    result = driver.execute(
        "MATCH (n:Sample) RETURN typeOf(n.embedding), typeOf(n.place)", read_only=True
    )
    assert result.rows == [["Vectorf32", "Point"]]


def test_none_values_store_no_property(driver: Any) -> None:
    insert(driver, Sample(id=1))
    result = driver.execute("MATCH (n:Sample) RETURN keys(n)", read_only=True)
    assert result.rows == [[["id", "numbers"]]]
    (loaded,) = Session(driver).scalars(select(Sample))
    assert loaded.text is None and loaded.embedding is None and loaded.numbers == []


def test_datetimes_order_and_filter_on_the_server(driver: Any) -> None:
    moments = [datetime(2024, 1, d, tzinfo=UTC) for d in (3, 1, 2)]
    insert(driver, *(Sample(id=i, moment=m) for i, m in enumerate(moments)))
    statement = select(Sample).where(Sample.moment > moments[1]).order_by(Sample.moment)
    assert [s.id for s in Session(driver).scalars(statement)] == [2, 0]
