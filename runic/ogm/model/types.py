"""Field value types and the one place where values convert between Python and the database.

Each field gets a :class:`Converter` chosen from its annotation. ``validate`` runs on
construction, assignment and when a value is used in a query expression, so a wrong
type, or a value an engine would mangle (see ``runic.ogm.values``), fails before any
I/O. ``to_db`` and ``from_db`` are the only conversions between Python values and
stored properties.
"""

from __future__ import annotations

import contextlib
import enum
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal

from runic.ogm.values import (
    UnstorableValue,
    shown,
    storable_float,
    storable_int,
    storable_str,
)

# How a stored value is written: most are plain properties, some need a database function.
StorageKind = Literal["plain", "vector", "point", "interned"]


class ConversionError(Exception):
    """A value does not fit a converter (raised by ``validate``); the model turns it into a
    FieldValidationError naming the class and field."""

    def __init__(self, expected: str, actual: Any, detail: str | None = None) -> None:
        self.expected = expected
        self.actual = actual
        self.detail = detail
        super().__init__(detail or f"expected {expected}, got {type(actual).__name__}")


@dataclass(frozen=True, slots=True)
class GeoLocation:
    """A point on the earth, stored with the backend's point type."""

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        for name, limit in (("latitude", 90.0), ("longitude", 180.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"GeoLocation.{name} must be a number, got {value!r}")
            if not -limit <= value <= limit:
                raise ValueError(f"GeoLocation.{name} must be within ±{limit}, got {value}")


@dataclass(frozen=True, slots=True)
class Vector:
    """Declares a vector field:
    ``embedding: Mapped[list[float]] = Field(vector=Vector(dim=384))``.

    The field's values are lists of floats of exactly ``dim`` items, stored with the
    backend's vector type; ``similarity`` is used by vector indexes.
    """

    dim: int
    similarity: Literal["cosine", "euclidean"] = "cosine"

    def __post_init__(self) -> None:
        if isinstance(self.dim, bool) or not isinstance(self.dim, int) or self.dim < 1:
            raise ValueError(f"Vector(dim=...) must be a positive int, got {self.dim!r}")
        if self.similarity not in ("cosine", "euclidean"):
            raise ValueError(
                f"Vector(similarity=...) must be 'cosine' or 'euclidean', got {self.similarity!r}"
            )


class Converter:
    """Validates and converts the values of one field type."""

    expected: ClassVar[str] = "value"
    storage: StorageKind = "plain"
    #: Values that can change in place (lists) need copying for defaults and snapshots.
    mutable: bool = False

    def validate(self, value: Any) -> Any:
        """Return the normalised Python value or raise :class:`ConversionError`."""
        raise NotImplementedError

    def to_db(self, value: Any) -> Any:
        return value

    def from_db(self, value: Any) -> Any:
        return value

    def describe(self) -> str:
        return self.expected

    @property
    def passthrough(self) -> bool:
        """True when stored values are the Python values (no conversion either way)."""
        cls = type(self)
        return cls.to_db is Converter.to_db and cls.from_db is Converter.from_db


class StrConverter(Converter):
    expected = "str"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise ConversionError("str", value)
        try:
            return storable_str(value)
        except UnstorableValue as refused:
            raise ConversionError("str", value, str(refused)) from None


class CheckedConverter(Converter):
    """A converter of the user's (``Field(converter=...)``), whose stored values are
    checked to be plain values before they are sent."""

    def __init__(self, inner: Converter, where: str) -> None:
        self.inner = inner
        self.where = where
        self.mutable = inner.mutable

    def validate(self, value: Any) -> Any:
        return self.inner.validate(value)

    def to_db(self, value: Any) -> Any:
        from runic.ogm.query.parameters import plain_stored

        return plain_stored(self.inner.to_db(value), f"{self.where}: the stored value")

    def from_db(self, value: Any) -> Any:
        return self.inner.from_db(value)

    def describe(self) -> str:
        return self.inner.describe()


class InternedStrConverter(StrConverter):
    """A str that FalkorDB keeps one copy of per distinct value (``Field(interned=True)``)."""

    storage: StorageKind = "interned"


class IntConverter(Converter):
    expected = "int"

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConversionError("int", value)
        try:
            return storable_int(value)
        except UnstorableValue as refused:
            raise ConversionError("int", value, str(refused)) from None


class FloatConverter(Converter):
    """Floats are finite and rounded to :data:`~runic.ogm.values.FLOAT_DIGITS` significant
    digits on assignment, so the value held is the value every backend reads back."""

    expected = "float"

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConversionError("float", value)
        try:
            return storable_float(value)
        except UnstorableValue as refused:
            raise ConversionError("float", value, str(refused)) from None


class BoolConverter(Converter):
    expected = "bool"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ConversionError("bool", value)
        return value


class DateConverter(Converter):
    """Dates are stored as ISO ``YYYY-MM-DD`` strings, which sort and compare correctly."""

    expected = "date"

    def validate(self, value: Any) -> Any:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ConversionError("date", value)
        return value

    def to_db(self, value: Any) -> Any:
        return value.isoformat()

    def from_db(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(value)


class DateTimeConverter(Converter):
    """Datetimes are normalised to UTC and stored as fixed-width ISO strings.

    Fixed width (always microseconds, always ``+00:00``) makes string order equal time
    order, so ``ORDER BY`` and range filters work on every backend. A naive datetime
    is taken to be UTC, as FalkorDB's own ``localdatetime`` does. An aware datetime
    whose UTC time falls outside years 1 to 9999 cannot be stored and is refused.
    """

    expected = "datetime"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, datetime):
            raise ConversionError("datetime", value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ConversionError(
                "datetime",
                value,
                f"{value.isoformat()} is outside years 1 to 9999 in UTC, and datetimes are "
                "stored in UTC",
            ) from None

    def to_db(self, value: Any) -> Any:
        # isoformat, not strftime: strftime writes year 1 as "1", which breaks the width.
        utc = value.astimezone(UTC).replace(tzinfo=None)
        return utc.isoformat(timespec="microseconds") + "+00:00"

    def from_db(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return self.validate(value)
        return datetime.fromisoformat(value)


class EnumConverter(Converter):
    """Enums are stored by value; a member or its value is accepted.

    Member values must be plain values an engine stores faithfully (checked when the
    model is declared), since they are sent as they are.
    """

    def __init__(self, enum_type: type[enum.Enum]) -> None:
        self.enum_type = enum_type
        for member in enum_type:
            try:
                _check_enum_value(member.value)
            except UnstorableValue as refused:
                raise TypeError(
                    f"{enum_type.__name__}.{member.name} cannot be stored: {refused}"
                ) from None

    def describe(self) -> str:
        return self.enum_type.__name__

    def validate(self, value: Any) -> Any:
        if isinstance(value, self.enum_type):
            return value
        try:
            return self.enum_type(value)
        except (ValueError, TypeError):
            allowed = ", ".join(repr(m.value) for m in self.enum_type)
            raise ConversionError(
                self.describe(),
                value,
                f"expected {self.describe()} (one of {allowed}), got {value!r}",
            ) from None

    def to_db(self, value: Any) -> Any:
        return value.value

    def from_db(self, value: Any) -> Any:
        return self.enum_type(value)


def _check_enum_value(value: Any) -> None:
    """Enum values are sent as they are: each must be a str, int, float or bool that is
    stored faithfully."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        storable_int(value)
    elif isinstance(value, float):
        if storable_float(value) != value:
            raise UnstorableValue(
                f"its value {shown(value)} has more significant digits than a float keeps"
            )
    elif isinstance(value, str):
        storable_str(value)
    else:
        raise UnstorableValue(
            f"its value {shown(value)} is a {type(value).__name__}; enum values must be "
            "str, int, float or bool"
        )


class ListConverter(Converter):
    mutable = True

    def __init__(self, item: Converter) -> None:
        self.item = item

    def describe(self) -> str:
        return f"list[{self.item.describe()}]"

    def validate(self, value: Any) -> Any:
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise ConversionError(self.describe(), value)
        result = []
        for position, item in enumerate(value):
            try:
                result.append(self.item.validate(item))
            except ConversionError as error:
                reason = (
                    error.detail or f"expected {self.item.describe()}, got {type(item).__name__}"
                )
                raise ConversionError(self.describe(), item, f"item {position}: {reason}") from None
        return result

    def to_db(self, value: Any) -> Any:
        return [self.item.to_db(item) for item in value]

    def from_db(self, value: Any) -> Any:
        return [self.item.from_db(item) for item in value]

    @property
    def passthrough(self) -> bool:
        return self.item.passthrough


class VectorConverter(Converter):
    storage: StorageKind = "vector"
    mutable = True

    def __init__(self, spec: Vector) -> None:
        self.spec = spec

    def describe(self) -> str:
        return f"Vector(dim={self.spec.dim})"

    def validate(self, value: Any) -> Any:
        if isinstance(value, str | bytes) or not isinstance(value, Sequence):
            raise ConversionError(self.describe(), value)
        if len(value) != self.spec.dim:
            raise ConversionError(
                self.describe(),
                value,
                f"expected {self.spec.dim} floats, got {len(value)}",
            )
        result = []
        for item in value:
            number = None
            if not isinstance(item, bool) and isinstance(item, int | float):
                with contextlib.suppress(UnstorableValue):
                    number = storable_float(item, None)
            if number is None:
                raise ConversionError(
                    self.describe(), item, f"expected finite floats, got {shown(item)}"
                )
            result.append(number)
        return result

    def from_db(self, value: Any) -> Any:
        return [float(item) for item in value]


class GeoConverter(Converter):
    expected = "GeoLocation"
    storage: StorageKind = "point"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, GeoLocation):
            raise ConversionError("GeoLocation", value)
        return value

    def to_db(self, value: Any) -> Any:
        return {"latitude": value.latitude, "longitude": value.longitude}

    def from_db(self, value: Any) -> Any:
        if isinstance(value, GeoLocation):
            return value
        return GeoLocation(float(value["latitude"]), float(value["longitude"]))


_PRIMITIVES: dict[Any, type[Converter]] = {
    str: StrConverter,
    int: IntConverter,
    float: FloatConverter,
    bool: BoolConverter,
    date: DateConverter,
    datetime: DateTimeConverter,
    GeoLocation: GeoConverter,
}


def split_optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` and ``Optional[X]`` become ``(X, True)``; anything else ``(X, False)``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1 and len(members) < len(typing.get_args(annotation)):
            return members[0], True
    return annotation, False


def converter_for(annotation: Any, vector: Vector | None = None) -> Converter:
    """Pick the converter for a (non-optional) annotation; raise TypeError if unsupported."""
    if annotation is Vector or vector is not None:
        if vector is None:
            raise TypeError(
                "a Vector field needs its size: declare it as "
                "`Mapped[list[float]] = Field(vector=Vector(dim=...))`"
            )
        if annotation not in (Vector, list[float]):
            raise TypeError(
                f"a Vector(...) field must be annotated `Mapped[list[float]]`, not {annotation!r}"
            )
        return VectorConverter(vector)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return EnumConverter(annotation)
    if annotation in _PRIMITIVES:
        return _PRIMITIVES[annotation]()
    origin = typing.get_origin(annotation)
    if origin in (list, Sequence):
        (item,) = typing.get_args(annotation) or (None,)
        if item is None or typing.get_origin(item) is not None or item in (GeoLocation,):
            raise TypeError(f"lists must hold primitives, got {annotation!r}")
        return ListConverter(converter_for(item))
    raise TypeError(
        f"unsupported field type {annotation!r}; use str, int, float, bool, date, datetime, "
        "an Enum, a list of those, GeoLocation, or list[float] with Field(vector=Vector(...))"
    )
