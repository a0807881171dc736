"""Terms: the values a statement computes, beyond a node itself.

A term is a model field, a literal, a named parameter (:func:`param`), a function call
(:func:`coalesce`, ``lower``, :func:`fn`, ...), a ``CASE`` (:func:`when`) or a
search score (:func:`score`). Terms are compared with each other (``User.age >
Other.age``, ``lower(User.name) == "ada"``), projected as columns
(``select(User.name, lower(User.email).as_("email"))``), and their literal values always
travel as query parameters. Function names are checked identifiers, never text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runic.ogm.exceptions import StatementError
from runic.ogm.identifiers import validate_identifier
from runic.ogm.query.expressions import Expression, FieldOperand

if TYPE_CHECKING:
    from runic.ogm.model.fields import FieldAttribute
    from runic.ogm.model.types import Converter

#: Parameter names runic gives its own values; a named parameter takes another.
RESERVED_PARAMETER = re.compile(r"p\d+|skip\d*|limit\d*|_.*")

#: A Cypher function name: letters, digits and underscores, dotted for a namespace
#: (``vec.cosineDistance``, ``string.join``).
FUNCTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class Term[T]:
    """A value computed by the statement; ``T`` is the Python type it reads back as."""

    __slots__ = ()
    #: Marks terms for the field operators, which take them as the other side.
    _runic_term = True
    __hash__ = object.__hash__

    def as_(self, name: str) -> Labeled[T]:
        """Name the column this term is returned as: ``lower(User.name).as_("key")``."""
        return Labeled(self, validate_identifier(name, "column name"))

    def fields(self) -> Iterator[FieldAttribute[Any]]:
        """The model fields the term reads, for binding them to the statement's steps."""
        return iter(())

    @property
    def default_name(self) -> str | None:
        """The column name when none is given with ``as_()``; None: one is needed."""
        return None

    @property
    def converter(self) -> Converter | None:
        """How a returned value is read back (a field's converter), if at all."""
        return None

    def __eq__(self, other: object) -> Expression:  # type: ignore[override]
        return compare(self, "=", other)

    def __ne__(self, other: object) -> Expression:  # type: ignore[override]
        return compare(self, "<>", other)

    def __lt__(self, other: Any) -> Expression:
        return compare(self, "<", other)

    def __le__(self, other: Any) -> Expression:
        return compare(self, "<=", other)

    def __gt__(self, other: Any) -> Expression:
        return compare(self, ">", other)

    def __ge__(self, other: Any) -> Expression:
        return compare(self, ">=", other)

    def is_null(self) -> Expression:
        return TermComparison(self, "IS NULL", None)

    def is_not_null(self) -> Expression:
        return TermComparison(self, "IS NOT NULL", None)

    def contains(self, other: Any) -> Expression:
        return compare(self, "CONTAINS", other)

    def startswith(self, other: Any) -> Expression:
        return compare(self, "STARTS WITH", other)

    def endswith(self, other: Any) -> Expression:
        return compare(self, "ENDS WITH", other)

    def in_(self, values: Any) -> Expression:
        return compare(self, "IN", values)


@dataclass(frozen=True, eq=False, slots=True)
class FieldRef[T](Term[T]):
    """A model field as a term."""

    field: FieldAttribute[T]

    def fields(self) -> Iterator[FieldAttribute[Any]]:
        yield self.field

    @property
    def default_name(self) -> str:
        return self.field.name

    @property
    def converter(self) -> Converter:
        return self.field.converter


@dataclass(frozen=True, eq=False, slots=True)
class StepRef(Term[Any]):
    """A step (``"u"``) or a property of it (``"u.name"``) named by its alias."""

    text: str

    @property
    def default_name(self) -> str:
        return self.text


@dataclass(frozen=True, eq=False, slots=True)
class Constant[T](Term[T]):
    """A Python value, sent as a parameter."""

    value: T


@dataclass(frozen=True, eq=False, slots=True)
class Parameter(Term[Any]):
    """``param("name")``: a value given when the statement runs."""

    name: str

    @property
    def default_name(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False, slots=True)
class Call[T](Term[T]):
    """A function call: ``lower(User.name)``."""

    function: str
    arguments: tuple[Term[Any], ...]
    #: The converter of the value it returns, when it keeps its argument's type.
    keeps: Converter | None = None

    def fields(self) -> Iterator[FieldAttribute[Any]]:
        for argument in self.arguments:
            yield from argument.fields()

    @property
    def default_name(self) -> str:
        first = next((a.default_name for a in self.arguments if a.default_name), None)
        base = self.function.replace(".", "_").lower()
        return f"{base}_{first.replace('.', '_')}" if first else base

    @property
    def converter(self) -> Converter | None:
        return self.keeps


@dataclass(frozen=True, eq=False, slots=True)
class Case[T](Term[T]):
    """``CASE WHEN ... THEN ... ELSE ... END``, built by :func:`when`."""

    branches: tuple[tuple[Expression, Term[Any]], ...]
    default: Term[Any] | None = None

    def when(self, condition: Expression, value: Any) -> Case[T]:
        """Another branch, tried after the ones before it."""
        return Case((*self.branches, _branch(condition, value)), self.default)

    def else_(self, value: Any) -> Case[T]:
        """The value when no branch holds (NULL otherwise)."""
        return Case(self.branches, term(value))

    def fields(self) -> Iterator[FieldAttribute[Any]]:
        for condition, value in self.branches:
            yield from condition.fields()
            yield from value.fields()
        if self.default is not None:
            yield from self.default.fields()


@dataclass(frozen=True, eq=False, slots=True)
class Score(Term[float]):
    """The score of a search hit (``fulltext_search``/``vector_search`` statements)."""

    @property
    def default_name(self) -> str:
        return "score"


@dataclass(frozen=True, eq=False, slots=True)
class Labeled[T]:
    """A term with its column name: one column of a projection."""

    term: Term[T] | Any
    name: str


@dataclass(frozen=True, eq=False, slots=True)
class TermComparison(Expression):
    """``<term> <op> <term>``: a comparison with a computed value on either side."""

    left: Term[Any]
    op: str
    right: Term[Any] | None

    def fields(self) -> Iterator[FieldAttribute[Any]]:
        yield from self.left.fields()
        if self.right is not None:
            yield from self.right.fields()


def is_term(value: object) -> bool:
    """A term, or a field (which is one), as the other side of a comparison."""
    return isinstance(value, FieldOperand) or getattr(type(value), "_runic_term", False)


def term(value: Any) -> Term[Any]:
    """``value`` as a term: a field becomes a :class:`FieldRef`, a plain value a
    :class:`Constant`; a term stays as it is."""
    from runic.ogm.model.fields import FieldAttribute

    if isinstance(value, Term):
        return value
    if isinstance(value, FieldAttribute):
        return FieldRef(value)
    if isinstance(value, Expression):
        raise StatementError(
            "a condition is not a value here; use when(condition, value) for a value "
            "that depends on it"
        )
    return Constant(value)


def compare(left: Any, op: str, right: Any) -> TermComparison:
    if right is None and op in ("=", "<>"):
        return TermComparison(term(left), "IS NULL" if op == "=" else "IS NOT NULL", None)
    return TermComparison(term(left), op, term(right))


def _branch(condition: Expression, value: Any) -> tuple[Expression, Term[Any]]:
    if not isinstance(condition, Expression):
        raise StatementError(
            f"when() takes a condition such as User.age >= 18, got {type(condition).__name__}"
        )
    return condition, term(value)


def param(name: str) -> Parameter:
    """A value given when the statement runs: ``where(User.name == param("name"))``, then
    ``session.scalars(statement, {"name": "Ada"})``. A statement can then be built once
    and run many times; running it without the value is refused before any I/O."""
    validate_identifier(name, "param() name")
    if RESERVED_PARAMETER.fullmatch(name):
        raise StatementError(
            f"param({name!r}): p0, p1, ..., skip, limit, skip0, limit0, ... and names "
            "starting with _ are runic's own; choose another name"
        )
    return Parameter(name)


def when(condition: Expression, value: Any) -> Case[Any]:
    """``CASE``: ``when(User.age >= 18, "adult").when(..., ...).else_("minor")``."""
    return Case((_branch(condition, value),))


def score() -> Score:
    """The search score of a hit, as a column of a search statement's projection."""
    return Score()


def fn(name: str, *arguments: Any) -> Call[Any]:
    """Any Cypher function by name, e.g. ``fn("toUpper", User.name)``; the name must be
    a (dotted) identifier, so it cannot carry Cypher."""
    if not isinstance(name, str) or not FUNCTION_NAME.fullmatch(name):
        raise StatementError(f"fn(): {name!r} is not a function name")
    return Call(name, tuple(term(argument) for argument in arguments))


def _keeping(function: str, value: Any, *rest: Any) -> Call[Any]:
    first = term(value)
    return Call(function, (first, *map(term, rest)), first.converter)


def coalesce(*values: Any) -> Call[Any]:
    """The first of ``values`` that is not null: ``coalesce(User.nickname, User.name)``."""
    if len(values) < 2:
        raise StatementError("coalesce() takes at least two values")
    terms = tuple(term(value) for value in values)
    return Call("coalesce", terms, next((t.converter for t in terms if t.converter), None))


def lower(value: Any) -> Call[str]:
    return Call("toLower", (term(value),))


def upper(value: Any) -> Call[str]:
    return Call("toUpper", (term(value),))


def trim(value: Any) -> Call[str]:
    return Call("trim", (term(value),))


def substring(value: Any, start: Any, length: Any | None = None) -> Call[str]:
    """Characters of ``value`` from ``start`` (0-based), ``length`` of them or the rest."""
    arguments = (value, start) if length is None else (value, start, length)
    return Call("substring", tuple(term(argument) for argument in arguments))


def replace(value: Any, search: Any, replacement: Any) -> Call[str]:
    return Call("replace", (term(value), term(search), term(replacement)))


def to_string(value: Any) -> Call[str]:
    return Call("toString", (term(value),))


def size(value: Any) -> Call[int]:
    """The length of a string or a list."""
    return Call("size", (term(value),))


def abs_(value: Any) -> Call[Any]:
    return _keeping("abs", value)


def round_(value: Any) -> Call[float]:
    return Call("round", (term(value),))
