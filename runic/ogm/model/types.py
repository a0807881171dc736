"""Field value types and the one place where values convert between Python and the database.

Each field gets a :class:`Converter` chosen from its annotation. ``validate`` runs on
construction, assignment and when a value is used in a query expression, so a wrong
type fails before any I/O. ``to_db`` and ``from_db`` are the only conversions between
Python values and stored properties.
"""

from __future__ import annotations

import enum
import math
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal

# How a stored value is written: most are plain properties, some need a database function.
StorageKind = Literal["plain", "vector", "point"]


class ConversionError(Exception):
    """Internal: a value does not fit a converter; the model layer adds class and field."""

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
    """Declares a vector field: ``embedding: Vector = Vector(dim=384)``.

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
        return value


class IntConverter(Converter):
    expected = "int"

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConversionError("int", value)
        return value


class FloatConverter(Converter):
    expected = "float"

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConversionError("float", value)
        return float(value)


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
    is taken to be UTC, as FalkorDB's own ``localdatetime`` does.
    """

    expected = "datetime"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, datetime):
            raise ConversionError("datetime", value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def to_db(self, value: Any) -> Any:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")

    def from_db(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return self.validate(value)
        return datetime.fromisoformat(value)


class EnumConverter(Converter):
    """Enums are stored by value; a member or its value is accepted."""

    def __init__(self, enum_type: type[enum.Enum]) -> None:
        self.enum_type = enum_type

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
            except ConversionError:
                raise ConversionError(
                    self.describe(),
                    item,
                    f"item {position}: expected {self.item.describe()}, got {type(item).__name__}",
                ) from None
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
            if (
                isinstance(item, bool)
                or not isinstance(item, int | float)
                or not math.isfinite(item)
            ):
                raise ConversionError(
                    self.describe(), item, f"expected finite floats, got {item!r}"
                )
            result.append(float(item))
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
            raise TypeError("a Vector field needs its size: declare it as `= Vector(dim=...)`")
        if annotation not in (Vector, list[float]):
            raise TypeError(f"a Vector(...) field must be annotated `Vector`, not {annotation!r}")
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
        "an Enum, a list of those, Vector or GeoLocation"
    )
