"""Aggregate functions for ``select(...).aggregate(...)`` and ``project(...)``:
``count``, ``sum_``, ``avg``, ``min_``, ``max_`` and ``collect``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from runic.ogm.exceptions import StatementError
from runic.ogm.identifiers import validate_identifier

if TYPE_CHECKING:
    from runic.ogm.model.fields import FieldAttribute


@dataclass(frozen=True, slots=True)
class Aggregate:
    function: str
    argument: str | FieldAttribute[Any]
    alias: str | None = None
    distinct: bool = False

    def as_(self, name: str) -> Aggregate:
        """Name the result column: ``count("*").as_("total")``."""
        return replace(self, alias=validate_identifier(name, "aggregate name"))

    @property
    def name(self) -> str:
        if self.alias is not None:
            return self.alias
        argument = self.argument
        if isinstance(argument, str):
            suffix = "" if argument == "*" else "_" + argument.replace(".", "_")
        else:
            suffix = "_" + argument.name
        return self.function + suffix


def _make(function: str, argument: str | FieldAttribute[Any], distinct: bool) -> Aggregate:
    from runic.ogm.model.fields import FieldAttribute

    if isinstance(argument, str) and argument == "*" and function != "count":
        raise StatementError(f"{function}() needs a field or an alias, not '*'")
    if not isinstance(argument, str | FieldAttribute):
        raise StatementError(
            f"{function}() takes a model field, an alias or 'alias.property', "
            f"got {type(argument).__name__}"
        )
    if isinstance(argument, str) and argument != "*":
        for part in argument.split(".", 1):
            validate_identifier(part, f"{function}() argument")
    return Aggregate(function, argument, None, distinct)


def count(argument: str | FieldAttribute[Any] = "*", *, distinct: bool = False) -> Aggregate:
    return _make("count", argument, distinct)


def sum_(argument: str | FieldAttribute[Any], *, distinct: bool = False) -> Aggregate:
    return _make("sum", argument, distinct)


def avg(argument: str | FieldAttribute[Any], *, distinct: bool = False) -> Aggregate:
    return _make("avg", argument, distinct)


def min_(argument: str | FieldAttribute[Any]) -> Aggregate:
    return _make("min", argument, False)


def max_(argument: str | FieldAttribute[Any]) -> Aggregate:
    return _make("max", argument, False)


def collect(argument: str | FieldAttribute[Any], *, distinct: bool = False) -> Aggregate:
    return _make("collect", argument, distinct)
