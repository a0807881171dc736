"""Raw ``execute()`` parameters: only plain values are sent, checked before any I/O.

The falkordb client writes parameters into the query text and calls ``str()`` on any
value it does not know, so an object's ``__str__`` (a ``pathlib.Path``, or one crafted
for it) would become Cypher. runic sends only None, bool, int, float, str, lists and
str-keyed dicts of those, under the value rules fields follow (``runic.ogm.values``);
its own value types (date, datetime, Enum, GeoLocation) become their stored form, as a
field stores them. Anything else raises :class:`~runic.ogm.exceptions.ParameterError`
naming the parameter and where inside it the value sits.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from runic.ogm.exceptions import ParameterError
from runic.ogm.model.types import (
    ConversionError,
    DateConverter,
    DateTimeConverter,
    GeoConverter,
    GeoLocation,
    Vector,
)
from runic.ogm.values import UnstorableValue, shown, storable_float, storable_int, storable_str

if TYPE_CHECKING:
    from runic.ogm.driver.dialect import Dialect
    from runic.ogm.model.fields import FieldAttribute

PLAIN = (
    "only None, bool, int, float, str, lists and str-keyed dicts of those (and date, "
    "datetime, Enum and GeoLocation values) are sent"
)
_DATETIME = DateTimeConverter()
_DATE = DateConverter()
_GEO = GeoConverter()


def plain_parameters(params: Mapping[str, Any] | None, dialect: Dialect) -> dict[str, Any]:
    """``params`` as plain values the backend of ``dialect`` stores faithfully.

    Floats are rounded to the digits the backend returns (``dialect.float_digits``), so
    a raw write stores exactly what reads back. Raises ``ParameterError`` otherwise.
    """
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ParameterError(
            f"execute(): parameters must be a mapping of names to values, "
            f"got {type(params).__name__}"
        )
    checker = _Checker(dialect.float_digits)
    checked: dict[str, Any] = {}
    for name, value in params.items():
        checker.check_key(name, "execute(): parameter names")
        checked[name] = checker.plain(value, f"parameter {name!r}")
    return checked


def plain_value(value: Any, dialect: Dialect, method: str, where: str) -> Any:
    """One value of a statement (a constant in it, or a ``param()`` value), checked and
    converted as :func:`plain_parameters` does, with ``method`` and ``where`` named."""
    return _Checker(dialect.float_digits, method).plain(value, where)


def plain_stored(value: Any, where: str) -> Any:
    """A value a converter of the user's stored, checked to be plain (see the module
    docstring): anything else would reach the client, which writes its ``str()``."""
    return _Checker(None, "Field(converter=...)").plain(value, where)


def bind_named(
    named: tuple[tuple[str, FieldAttribute[Any] | None], ...],
    values: Mapping[str, Any] | None,
    dialect: Dialect,
    method: str,
) -> dict[str, Any]:
    """The values of a statement's ``param()`` names, checked before any I/O: each one
    given, none unknown, each converted by the field it is compared with (or checked as
    a plain value)."""
    if values is not None and not isinstance(values, Mapping):
        raise ParameterError(
            f"{method}: parameters must be a mapping of param() names to values, got "
            f"{type(values).__name__}"
        )
    given = values or {}
    names = [name for name, _ in named]
    missing = [name for name in names if name not in given]
    if missing:
        raise ParameterError(
            f"{method}: the statement's param({missing[0]!r}) has no value; pass it as "
            f"{method.removesuffix('()')}(statement, {{{missing[0]!r}: ...}})"
        )
    unknown = sorted(set(given) - set(names))
    if unknown:
        known = ", ".join(names) or "none"
        raise ParameterError(
            f"{method}: the statement has no param({unknown[0]!r}) (its params: {known})"
        )
    bound: dict[str, Any] = {}
    for name, field in named:
        value = given[name]
        if field is None or value is None:
            bound[name] = plain_value(value, dialect, method, f"param({name!r})")
        elif isinstance(value, list | tuple) and not field.converter.mutable:
            bound[name] = [field.to_param(item) for item in value]  # IN param("names")
        else:
            bound[name] = field.to_param(value)
    return bound


class _Checker:
    __slots__ = ("containers", "float_digits", "method")

    def __init__(self, float_digits: int | None, method: str = "execute()") -> None:
        self.float_digits = float_digits
        #: Who takes the value, for the messages.
        self.method = method
        #: The lists and dicts being walked, so a value that contains itself is caught.
        self.containers: set[int] = set()

    def plain(self, value: Any, where: str) -> Any:
        kind = type(value)
        try:
            if value is None or kind is bool:
                return value
            if kind is str:
                return storable_str(value)
            if kind is int:
                return storable_int(value)
            if kind is float:
                return storable_float(value, self.float_digits)
            if isinstance(value, list | tuple):
                return self.sequence(value, where)
            if isinstance(value, Mapping):
                return self.mapping(value, where)
            return self.converted(value, where)
        except UnstorableValue as refused:
            raise ParameterError(f"{self.method}: {where}: {refused}") from None

    def converted(self, value: Any, where: str) -> Any:
        """runic's value types in stored form; subclasses of plain types as plain values."""
        if isinstance(value, enum.Enum):
            return self.plain(value.value, f"{where} (the value of {shown(value)})")
        if isinstance(value, int):
            return storable_int(value)
        if isinstance(value, float):
            return storable_float(value, self.float_digits)
        if isinstance(value, str):
            return storable_str(value)
        if isinstance(value, datetime):
            try:
                return _DATETIME.to_db(_DATETIME.validate(value))
            except ConversionError as error:
                raise UnstorableValue(str(error)) from None
        if isinstance(value, date):
            return _DATE.to_db(value)
        if isinstance(value, GeoLocation):
            return self.mapping(_GEO.to_db(value), where)
        if isinstance(value, Vector):
            raise ParameterError(
                f"{self.method}: {where} is a Vector, which declares a vector field; pass the "
                "vector's values as a list of floats"
            )
        raise ParameterError(
            f"{self.method}: {where} is a {type(value).__name__} ({shown(value)}); {PLAIN}, "
            "since the database client would write any other value into the query as its "
            "str(). Convert it to one of those first."
        )

    def sequence(self, value: list[Any] | tuple[Any, ...], where: str) -> list[Any]:
        self.enter(value, where)
        try:
            return [self.plain(item, f"{where}[{index}]") for index, item in enumerate(value)]
        finally:
            self.containers.discard(id(value))

    def mapping(self, value: Mapping[Any, Any], where: str) -> dict[str, Any]:
        self.enter(value, where)
        try:
            result: dict[str, Any] = {}
            for key, item in value.items():
                self.check_key(key, f"{self.method}: {where}: map keys")
                result[key] = self.plain(item, f"{where}[{key!r}]")
            return result
        finally:
            self.containers.discard(id(value))

    def enter(self, container: object, where: str) -> None:
        if id(container) in self.containers:
            raise ParameterError(f"{self.method}: {where} is a list or dict that contains itself")
        self.containers.add(id(container))

    @staticmethod
    def check_key(key: Any, what: str) -> None:
        """Names and map keys are written into the query between backticks: plain,
        non-empty str without a backtick."""
        if type(key) is not str:
            raise ParameterError(f"{what} must be str, got {type(key).__name__} ({shown(key)})")
        if not key or "`" in key:
            raise ParameterError(f"{what} must be non-empty and without backticks, got {key!r}")
        try:
            storable_str(key)
        except UnstorableValue as refused:
            raise ParameterError(f"{what}: {refused}") from None
