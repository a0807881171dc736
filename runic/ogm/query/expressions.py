"""Filter expressions built from model attributes: ``User.name == "Alice"`` and friends.

Values are validated and converted by the field's converter when the expression is
built, so a wrong type fails at once, long before a query is sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

from runic.ogm.exceptions import StatementError

if TYPE_CHECKING:
    from runic.ogm.model.fields import FieldAttribute
    from runic.ogm.query.bulk import Arithmetic, ArithmeticOp
    from runic.ogm.query.terms import Term


class Expression:
    """A boolean condition; combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def __and__(self, other: Expression) -> Expression:
        return Conjunction("AND", (self, _expression(other, "&")))

    def __or__(self, other: Expression) -> Expression:
        return Conjunction("OR", (self, _expression(other, "|")))

    def __invert__(self) -> Expression:
        return Negation(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "a runic expression has no truth value: combine conditions with & | ~ "
            "instead of and / or / not"
        )

    def fields(self) -> Iterable[FieldAttribute[Any]]:
        """The model attributes this expression reads, for binding them to query steps."""
        raise NotImplementedError


def _expression(value: object, operator: str) -> Expression:
    if not isinstance(value, Expression):
        raise StatementError(
            f"both sides of {operator} must be runic expressions, got {type(value).__name__}"
        )
    return value


@dataclass(frozen=True, eq=False, slots=True)
class Comparison(Expression):
    """``<field> <op> <value>``; ``value`` is already converted to its stored form, or
    is a term (``runic.ogm.query.terms``) computed by the query."""

    field: FieldAttribute[Any]
    op: str
    value: Any = None

    def fields(self) -> Iterable[FieldAttribute[Any]]:
        other = getattr(type(self.value), "_runic_term", False)
        return (self.field, *self.value.fields()) if other else (self.field,)


@dataclass(frozen=True, eq=False, slots=True)
class Conjunction(Expression):
    op: str  # "AND" or "OR"
    operands: tuple[Expression, ...]

    def fields(self) -> Iterable[FieldAttribute[Any]]:
        for operand in self.operands:
            yield from operand.fields()


@dataclass(frozen=True, eq=False, slots=True)
class Negation(Expression):
    operand: Expression

    def fields(self) -> Iterable[FieldAttribute[Any]]:
        return self.operand.fields()


class ArithmeticOperators:
    """``+ - * /`` building server-side values, for bulk updates:
    ``values(login_count=User.login_count + 1)``."""

    __slots__ = ()

    def __add__(self, other: Any) -> Arithmetic:
        return _arithmetic(self, "+", other)

    def __radd__(self, other: Any) -> Arithmetic:
        return _arithmetic(other, "+", self)

    def __sub__(self, other: Any) -> Arithmetic:
        return _arithmetic(self, "-", other)

    def __rsub__(self, other: Any) -> Arithmetic:
        return _arithmetic(other, "-", self)

    def __mul__(self, other: Any) -> Arithmetic:
        return _arithmetic(self, "*", other)

    def __rmul__(self, other: Any) -> Arithmetic:
        return _arithmetic(other, "*", self)

    def __truediv__(self, other: Any) -> Arithmetic:
        return _arithmetic(self, "/", other)


class FieldOperand[T](ArithmeticOperators):
    """Comparison operators for a model field holding ``T``; mixed into the descriptor.

    Subclasses supply ``model_name``, ``name``, ``converter`` and ``to_param``. Ordering
    and ``in_`` take ``T`` so a type checker flags a value of the wrong type; ``==``
    takes any value (a checker falls back to ``object.__eq__`` otherwise), and the field
    validates it when the expression is built.
    """

    __slots__ = ()
    __hash__ = object.__hash__

    def to_param(self, value: Any) -> Any:
        raise NotImplementedError

    def item_param(self, value: Any) -> Any:
        """Convert one element of a list field, for ``contains``."""
        raise NotImplementedError

    def _describe(self) -> str:
        raise NotImplementedError

    def _is_list(self) -> bool:
        raise NotImplementedError

    def _is_str(self) -> bool:
        raise NotImplementedError

    def _ordered(self) -> FieldAttribute[Any]:
        if self._is_list():
            raise StatementError(f"{self._describe()} is a list field and cannot be ordered")
        return self  # type: ignore[return-value]

    def __eq__(self, other: object) -> Comparison:  # type: ignore[override]
        if other is None:
            return Comparison(self, "IS NULL")  # type: ignore[arg-type]
        if _is_term(other):
            return _compare(self, "=", other)
        return Comparison(self, "=", self.to_param(other))  # type: ignore[arg-type]

    def __ne__(self, other: object) -> Comparison:  # type: ignore[override]
        if other is None:
            return Comparison(self, "IS NOT NULL")  # type: ignore[arg-type]
        if _is_term(other):
            return _compare(self, "<>", other)
        return Comparison(self, "<>", self.to_param(other))  # type: ignore[arg-type]

    @overload
    def __lt__(self, other: T) -> Comparison: ...
    @overload
    def __lt__(self, other: Term[Any] | FieldOperand[Any]) -> Comparison: ...
    def __lt__(self, other: Any) -> Comparison:
        if _is_term(other):
            return _compare(self._ordered(), "<", other)
        return Comparison(self._ordered(), "<", self.to_param(other))

    @overload
    def __le__(self, other: T) -> Comparison: ...
    @overload
    def __le__(self, other: Term[Any] | FieldOperand[Any]) -> Comparison: ...
    def __le__(self, other: Any) -> Comparison:
        if _is_term(other):
            return _compare(self._ordered(), "<=", other)
        return Comparison(self._ordered(), "<=", self.to_param(other))

    @overload
    def __gt__(self, other: T) -> Comparison: ...
    @overload
    def __gt__(self, other: Term[Any] | FieldOperand[Any]) -> Comparison: ...
    def __gt__(self, other: Any) -> Comparison:
        if _is_term(other):
            return _compare(self._ordered(), ">", other)
        return Comparison(self._ordered(), ">", self.to_param(other))

    @overload
    def __ge__(self, other: T) -> Comparison: ...
    @overload
    def __ge__(self, other: Term[Any] | FieldOperand[Any]) -> Comparison: ...
    def __ge__(self, other: Any) -> Comparison:
        if _is_term(other):
            return _compare(self._ordered(), ">=", other)
        return Comparison(self._ordered(), ">=", self.to_param(other))

    @overload
    def in_(self, values: Iterable[T]) -> Comparison: ...
    @overload
    def in_(self, values: Term[Any]) -> Comparison: ...
    def in_(self, values: Any) -> Comparison:
        """The field's value is one of ``values`` (a list, or a ``param()``)."""
        if _is_term(values):
            return _compare(self, "IN", values)
        return Comparison(self, "IN", self._list_param(values, "in_"))  # type: ignore[arg-type]

    def not_in(self, values: Iterable[T]) -> Expression:
        """The field's value is none of ``values``."""
        return Negation(self.in_(values))

    def contains(self, value: Any) -> Comparison:
        """Substring test on a str field; membership test on a list field."""
        if self._is_list():
            return Comparison(self, "HAS", self.item_param(value))  # type: ignore[arg-type]
        self._require_str("contains")
        return Comparison(self, "CONTAINS", self.to_param(value))  # type: ignore[arg-type]

    def startswith(self, prefix: str) -> Comparison:
        self._require_str("startswith")
        return Comparison(self, "STARTS WITH", self.to_param(prefix))  # type: ignore[arg-type]

    def endswith(self, suffix: str) -> Comparison:
        self._require_str("endswith")
        return Comparison(self, "ENDS WITH", self.to_param(suffix))  # type: ignore[arg-type]

    def is_null(self) -> Comparison:
        return Comparison(self, "IS NULL")  # type: ignore[arg-type]

    def is_not_null(self) -> Comparison:
        return Comparison(self, "IS NOT NULL")  # type: ignore[arg-type]

    def _require_str(self, method: str) -> None:
        if not self._is_str():
            raise StatementError(f"{method}() needs a str field; {self._describe()} is not one")

    def _list_param(self, values: Iterable[T], method: str) -> list[Any]:
        if isinstance(values, str | bytes) or not isinstance(values, Iterable):
            raise StatementError(
                f"{self._describe()}.{method}() takes a list of values, got {type(values).__name__}"
            )
        return [self.to_param(value) for value in values]


def _is_term(value: object) -> bool:
    """A field or a term (``param()``, a function call) as the other side."""
    return isinstance(value, FieldOperand) or getattr(type(value), "_runic_term", False)


def _compare(field: FieldOperand[Any], op: str, other: Any) -> Comparison:
    """A field compared with a computed value: another field, a ``param()``, a function
    call (see ``runic.ogm.query.terms``); the value is then a term, not a parameter."""
    from runic.ogm.query.terms import term

    return Comparison(field, op, term(other))  # type: ignore[arg-type]


def _arithmetic(left: Any, op: ArithmeticOp, right: Any) -> Arithmetic:
    from runic.ogm.query.bulk import arithmetic

    return arithmetic(left, op, right)
