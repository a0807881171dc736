"""Value rules (int64, finite floats, 15 digits, clean strings, UTC datetimes) and raw
``execute()`` parameters, checked without a database."""

from __future__ import annotations

import enum
import math
import random
import re
import struct
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from runic.ogm import Field, GeoLocation, Node, Vector, select, update
from runic.ogm.driver.dialect import AGE, ARCADEDB, DIALECTS, FALKORDB
from runic.ogm.exceptions import (
    FieldValidationError,
    ModelDefinitionError,
    ParameterError,
    RunicError,
    StatementError,
)
from runic.ogm.query import fulltext_search
from runic.ogm.query.parameters import plain_parameters
from runic.ogm.values import (
    FLOAT_DIGITS,
    INT64_MAX,
    INT64_MIN,
    UnstorableValue,
    storable_float,
    storable_int,
    storable_str,
)


class ValueProbe(Node):
    id: str = Field(primary_key=True)
    count: int | None = None
    ratio: float | None = None
    label: str | None = Field(default=None, fulltext=True)
    moment: datetime | None = None
    ratios: list[float] = []
    labels: list[str] = []
    third: float = 1 / 3


class Stringy:
    """Renders itself as Cypher: what the falkordb client would splice into the query."""

    def __str__(self) -> str:
        return "0 MATCH (n) DETACH DELETE n"


class EvilInt(int):
    def __str__(self) -> str:
        return "0 MATCH (n) DETACH DELETE n"


class Level(enum.IntEnum):
    LOW = 1


class TestValueRules:
    def test_int64_bounds(self) -> None:
        assert storable_int(INT64_MAX) == INT64_MAX and storable_int(INT64_MIN) == INT64_MIN
        for value in (INT64_MAX + 1, INT64_MIN - 1):
            with pytest.raises(UnstorableValue, match="outside the 64-bit integer range"):
                storable_int(value)

    def test_int_subclasses_become_plain_ints(self) -> None:
        plain = storable_int(EvilInt(5))
        assert type(plain) is int and str(plain) == "5"

    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 10**400])
    def test_non_finite_floats_are_refused(self, value: float) -> None:
        with pytest.raises(UnstorableValue):
            storable_float(value)

    def test_floats_round_to_fifteen_digits(self) -> None:
        assert FLOAT_DIGITS == 15
        assert storable_float(1 / 3) == 0.333333333333333
        assert storable_float(0.1 + 0.2) == 0.3
        assert storable_float(1 / 3, None) == 1 / 3
        assert storable_float(5e-324) == 5e-324
        with pytest.raises(UnstorableValue, match="becomes inf when rounded"):
            storable_float(1.7976931348623157e308)
        assert storable_float(1.79769313486231e308) == 1.79769313486231e308

    def test_rounding_is_what_a_fifteen_digit_backend_reads_back(self) -> None:
        """A rounded float printed with 15 digits (FalkorDB's reply) parses back to itself,
        normal and subnormal alike."""
        generator = random.Random(11)
        for _ in range(20_000):
            bits = generator.getrandbits(64 if generator.random() < 0.8 else 52)
            value = struct.unpack("<d", struct.pack("<Q", bits))[0]
            if not math.isfinite(value):
                continue
            try:
                rounded = storable_float(value)
            except UnstorableValue:
                continue
            assert float(f"{rounded:.15g}") == rounded == storable_float(rounded)

    def test_every_dialect_keeps_at_least_the_field_digits(self) -> None:
        """Float fields keep FLOAT_DIGITS on every backend; a backend that kept fewer
        would need them lowered."""
        assert FALKORDB.float_digits == FLOAT_DIGITS
        assert ARCADEDB.float_digits is None and AGE.float_digits is None
        for dialect in DIALECTS.values():
            assert dialect.float_digits is None or dialect.float_digits >= FLOAT_DIGITS

    @pytest.mark.parametrize(
        ("text", "reason"),
        [("a\x00b", "NUL"), ("\ud800", "lone surrogate"), ("ok\udfffok", "lone surrogate")],
    )
    def test_unencodable_strings_are_refused(self, text: str, reason: str) -> None:
        with pytest.raises(UnstorableValue, match=reason):
            storable_str(text)

    def test_clean_strings_pass_as_plain_str(self) -> None:
        class Loud(str):
            def replace(self, *args: Any, **kwargs: Any) -> str:
                return '"}) MATCH (n) DETACH DELETE n //'

        for text in ("", "héllo ✓", "😀", "tab\tnew\nline"):
            assert storable_str(text) == text
        plain = storable_str(Loud("x"))
        assert type(plain) is str and plain.replace("x", "y") == "y"


class TestFields:
    @pytest.mark.parametrize(
        ("field", "value", "shown"),
        [
            ("count", 2**63, "9223372036854775808"),
            ("count", -(2**63) - 1, "-9223372036854775809"),
            ("ratio", math.nan, "nan"),
            ("ratio", math.inf, "inf"),
            ("ratio", -math.inf, "-inf"),
            ("ratio", 1.7976931348623157e308, "1.7976931348623157e+308"),
            ("label", "a\x00b", r"'a\x00b'"),
            ("label", "\ud800", r"'\ud800'"),
            ("ratios", [1.0, math.nan], "item 1: nan"),
            ("labels", ["ok", "a\x00b"], r"item 1: 'a\x00b'"),
            ("moment", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=2))), "0001-01-01"),
            (
                "moment",
                datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
                "9999-12-31",
            ),
        ],
    )
    def test_bad_values_name_class_field_and_value(
        self, field: str, value: Any, shown: str
    ) -> None:
        expected = rf"ValueProbe\.{field}: .*{re.escape(shown)}"
        with pytest.raises(FieldValidationError, match=expected) as raised:
            ValueProbe(id="p", **{field: value})
        assert raised.value.model == "ValueProbe" and raised.value.field == field
        probe = ValueProbe(id="p")
        with pytest.raises(FieldValidationError, match=expected):
            setattr(probe, field, value)
        with pytest.raises(FieldValidationError, match=expected):
            update(ValueProbe).values(**{field: value})
        attribute = getattr(ValueProbe, field)
        with pytest.raises(FieldValidationError, match=expected):
            select(ValueProbe).where(attribute == value)
        with pytest.raises(FieldValidationError, match=expected):
            attribute.in_([value])
        if isinstance(value, list):
            with pytest.raises(FieldValidationError, match=rf"ValueProbe\.{field}: contains\(\)"):
                attribute.contains(value[1])

    def test_floats_are_held_as_stored(self) -> None:
        probe = ValueProbe(id="p", ratio=1 / 3, ratios=[1 / 3, 2])
        assert probe.ratio == 0.333333333333333
        assert probe.ratios == [0.333333333333333, 2.0]
        assert probe.third == 0.333333333333333  # defaults too
        compiled = (ValueProbe.ratio == 1 / 3).value
        assert compiled == 0.333333333333333

    def test_datetimes_store_fixed_width_at_the_ends_of_the_range(self) -> None:
        converter = ValueProbe.moment.converter
        for moment, text in [
            (datetime(1, 1, 1), "0001-01-01T00:00:00.000000+00:00"),
            (datetime(999, 5, 6, 7, 8, 9, 10, tzinfo=UTC), "0999-05-06T07:08:09.000010+00:00"),
            (
                datetime(1, 1, 1, 3, tzinfo=timezone(timedelta(hours=2))),
                "0001-01-01T01:00:00.000000+00:00",
            ),
            (datetime(9999, 12, 31, 23, 59, 59, 999999), "9999-12-31T23:59:59.999999+00:00"),
        ]:
            stored = converter.to_db(converter.validate(moment))
            assert stored == text
            assert converter.from_db(stored) == converter.validate(moment)

    def test_enum_values_must_be_storable(self) -> None:
        class Badge(enum.Enum):
            GOLD = ("gold", 1)

        class Huge(enum.Enum):
            BIG = 2**64

        for kind in (Badge, Huge):
            with pytest.raises(ModelDefinitionError, match=f"{kind.__name__}\\."):
                type(
                    f"EnumHolder{kind.__name__}",
                    (Node,),
                    {"__annotations__": {"id": str, "kind": kind}},
                )

    def test_arithmetic_operands_and_search_text_are_checked(self) -> None:
        with pytest.raises(StatementError, match="nan is not a finite number"):
            update(ValueProbe).values(count=ValueProbe.count * math.nan)
        with pytest.raises(StatementError, match="outside the 64-bit integer range"):
            update(ValueProbe).values(count=ValueProbe.count + 2**63)
        with pytest.raises(StatementError, match="NUL"):
            fulltext_search(ValueProbe, "a\x00b")

    def test_vectors_refuse_numbers_too_large_for_a_float(self) -> None:
        class EmbeddedProbe(Node):
            id: str
            embedding: Vector = Vector(dim=2)

        with pytest.raises(FieldValidationError, match="expected finite floats"):
            EmbeddedProbe(id="e", embedding=[1.0, 10**400])


class TestRawParameters:
    @pytest.mark.parametrize(
        ("value", "kind"),
        [
            (Path("/tmp/x"), "PosixPath"),
            (Stringy(), "Stringy"),
            ({1, 2}, "set"),
            (b"bytes", "bytes"),
            (object(), "object"),
            (Vector(dim=3), "Vector"),
        ],
    )
    def test_non_plain_values_are_refused_naming_the_parameter(self, value: Any, kind: str) -> None:
        with pytest.raises(TypeError, match=rf"execute\(\): parameter 'x' is a {kind}") as raised:
            plain_parameters({"x": value}, FALKORDB)
        assert isinstance(raised.value, ParameterError) and isinstance(raised.value, RunicError)

    def test_nested_values_name_their_path(self) -> None:
        with pytest.raises(ParameterError, match=r"parameter 'rows'\[1\]\['tags'\]\[0\] is a set"):
            plain_parameters({"rows": [{"tags": []}, {"tags": [{1}]}]}, FALKORDB)
        with pytest.raises(ParameterError, match=r"parameter 'm': map keys must be str, got int"):
            plain_parameters({"m": {1: "a"}}, FALKORDB)
        with pytest.raises(ParameterError, match="map keys must be non-empty and without"):
            plain_parameters({"m": {"a`b": 1}}, FALKORDB)
        with pytest.raises(ParameterError, match="parameter names must be str"):
            plain_parameters({1: 1}, FALKORDB)  # type: ignore[dict-item]
        loop: list[Any] = []
        loop.append(loop)
        with pytest.raises(ParameterError, match="contains itself"):
            plain_parameters({"loop": loop}, FALKORDB)

    @pytest.mark.parametrize(
        ("value", "reason"),
        [
            (2**63, "64-bit integer range"),
            (-(2**63) - 1, "64-bit integer range"),
            (math.nan, "not a finite number"),
            (math.inf, "not a finite number"),
            ([1.7976931348623157e308], "becomes inf"),
            ("a\x00b", "NUL"),
            ({"k": "\ud800"}, "lone surrogate"),
            (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), "outside years 1 to 9999"),
        ],
    )
    def test_values_an_engine_would_mangle_are_refused(self, value: Any, reason: str) -> None:
        with pytest.raises(ValueError, match=rf"execute\(\): parameter 'x'.*{reason}"):
            plain_parameters({"x": value}, FALKORDB)

    def test_plain_and_runic_values_are_sent_in_stored_form(self) -> None:
        sent = plain_parameters(
            {
                "none": None,
                "flag": True,
                "n": EvilInt(3),
                "level": Level.LOW,
                "text": "héllo",
                "items": (1, [2.5, "x"]),
                "map": {"a": {"b": None}},
                "day": date(2024, 2, 29),
                "moment": datetime(1, 1, 1),
                "place": GeoLocation(52.5, 13.4),
            },
            FALKORDB,
        )
        assert sent == {
            "none": None,
            "flag": True,
            "n": 3,
            "level": 1,
            "text": "héllo",
            "items": [1, [2.5, "x"]],
            "map": {"a": {"b": None}},
            "day": "2024-02-29",
            "moment": "0001-01-01T00:00:00.000000+00:00",
            "place": {"latitude": 52.5, "longitude": 13.4},
        }
        assert type(sent["n"]) is int and type(sent["level"]) is int

    def test_floats_are_rounded_to_what_the_backend_returns(self) -> None:
        assert plain_parameters({"x": [1 / 3]}, FALKORDB) == {"x": [0.333333333333333]}
        assert plain_parameters({"x": [1 / 3]}, ARCADEDB) == {"x": [1 / 3]}
        assert plain_parameters({"x": 1.7976931348623157e308}, AGE) == {"x": 1.7976931348623157e308}
        assert plain_parameters(None, FALKORDB) == {}

    def test_parameters_must_be_a_mapping(self) -> None:
        with pytest.raises(ParameterError, match="must be a mapping"):
            plain_parameters([("x", 1)], FALKORDB)  # type: ignore[arg-type]
