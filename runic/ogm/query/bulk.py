"""Bulk statements: ``update(User).where(...).values(...)`` and ``delete(User).where(...)``.

Each compiles to one query that changes every matching node on the server, without
loading them. ``session.execute(stmt)`` runs it, returns how many nodes it changed, and
brings the entities the session holds in line (new values, or expunged when deleted).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from runic.ogm.exceptions import StatementError
from runic.ogm.identifiers import quote
from runic.ogm.query.compiler import CompiledQuery, _SelectCompiler, special_fields, stored_value
from runic.ogm.query.expressions import ArithmeticOperators, Expression
from runic.ogm.query.statement import Select, select
from runic.ogm.values import UnstorableValue, storable_float, storable_int

if TYPE_CHECKING:
    from runic.ogm.driver.dialect import Dialect
    from runic.ogm.model.fields import FieldAttribute
    from runic.ogm.model.node import Node

ArithmeticOp = Literal["+", "-", "*", "/"]


@dataclass(frozen=True, slots=True)
class Arithmetic(ArithmeticOperators):
    """A value computed on the server from a field: ``User.login_count + 1``."""

    left: FieldAttribute[Any] | Arithmetic
    op: ArithmeticOp
    right: FieldAttribute[Any] | Arithmetic | int | float

    def fields(self) -> list[FieldAttribute[Any]]:
        found: list[FieldAttribute[Any]] = []
        for side in (self.left, self.right):
            if isinstance(side, Arithmetic):
                found += side.fields()
            elif not isinstance(side, int | float):
                found.append(side)
        return found


def arithmetic(left: Any, op: ArithmeticOp, right: Any) -> Arithmetic:
    """Checked construction: numbers and numeric fields only, numbers that an engine
    computes with faithfully (int64, finite floats)."""
    sides = []
    for side in (left, right):
        if isinstance(side, Arithmetic):
            sides.append(side)
            continue
        if isinstance(side, bool) or not (isinstance(side, int | float) or _numeric(side)):
            raise StatementError(
                f"arithmetic takes int or float fields and numbers, got {side!r} {op} ..."
            )
        try:
            if isinstance(side, int):
                side = storable_int(side)
            elif isinstance(side, float):
                side = storable_float(side, None)  # an operand, not a stored value
        except UnstorableValue as refused:
            raise StatementError(
                f"arithmetic ({op}) takes numbers a graph database computes with faithfully: "
                f"{refused}"
            ) from None
        sides.append(side)
    return Arithmetic(sides[0], op, sides[1])


def _numeric(value: Any) -> bool:
    from runic.ogm.model.fields import FieldAttribute
    from runic.ogm.model.types import FloatConverter, IntConverter

    return isinstance(value, FieldAttribute) and isinstance(
        value.converter, IntConverter | FloatConverter
    )


@dataclass(frozen=True, slots=True)
class Update[T]:
    """Set fields on every node the statement matches, in one query."""

    source: Select[T]
    assignments: tuple[tuple[str, Any], ...] = ()

    @property
    def model(self) -> type[Node]:
        return self.source.root

    @property
    def bumps_version(self) -> str | None:
        """The version field this update increments: every bulk update of a versioned
        model does (unless it sets the version itself), so sessions holding an older
        read fail their version check instead of overwriting the change."""
        version = self.model.__runic__.version
        if version is None or any(name == version for name, _ in self.assignments):
            return None
        return version

    @property
    def written(self) -> list[str]:
        """The fields the update writes, in the order the query returns them."""
        names = [name for name, _ in self.assignments]
        version = self.bumps_version
        return [*names, version] if version is not None else names

    def where(self, *conditions: Expression) -> Update[T]:
        return replace(self, source=self.source.where(*conditions))

    def values(self, **values: Any) -> Update[T]:
        """``values(active=True)``, ``values(login_count=User.login_count + 1)``."""
        model = self.model
        fields = model.__runic__.fields
        checked = dict(self.assignments)
        for name, value in values.items():
            field = fields.get(name)
            if field is None:
                raise StatementError(
                    f"update({model.__name__}).values(): no field {name!r} "
                    f"(fields: {', '.join(fields)})"
                )
            if name == model.__runic__.primary_key:
                raise StatementError(
                    f"update({model.__name__}).values(): {name!r} is the primary key, "
                    "which a bulk update cannot change"
                )
            if isinstance(value, Arithmetic):
                for used in value.fields():
                    if used.name not in fields or not (
                        issubclass(model, used.model) or issubclass(used.model, model)
                    ):
                        raise StatementError(
                            f"update({model.__name__}).values({name}=...): "
                            f"{used.model.__name__}.{used.name} is not a field of it"
                        )
                checked[name] = value
            else:
                checked[name] = field.validate(value)  # raises, naming the field
        return replace(self, assignments=tuple(checked.items()))


@dataclass(frozen=True, slots=True)
class Delete[T]:
    """Delete every node the statement matches, with its edges, in one query; or, after
    ``batch(size)``, in queries of at most ``size`` nodes each."""

    source: Select[T]
    batch_size: int | None = None

    @property
    def model(self) -> type[Node]:
        return self.source.root

    def where(self, *conditions: Expression) -> Delete[T]:
        return replace(self, source=self.source.where(*conditions))

    def batch(self, size: int) -> Delete[T]:
        """Delete in queries of at most ``size`` nodes, until none match: a million nodes
        never make one giant transaction. Each batch is applied on its own, so an
        interrupted delete leaves the nodes of the batches not yet run."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise StatementError(f"delete().batch() takes a positive int, got {size!r}")
        return replace(self, batch_size=size)


type BulkStatement = Update[Any] | Delete[Any]


def update[T](model: type[T]) -> Update[T]:
    """``update(User).where(User.active == False).values(active=True)``."""
    return Update(select(model))


def delete[T](model: type[T]) -> Delete[T]:
    """``delete(User).where(User.last_login < cutoff)``."""
    return Delete(select(model))


def compile_bulk(
    statement: BulkStatement, dialect: Dialect, *, returning: bool = True
) -> CompiledQuery:
    """The query, returning the key of each node changed (and, for updates, new values);
    without ``returning``, only how many nodes it changed (one row)."""
    compiler = _SelectCompiler(statement.source, dialect)
    lines = compiler.matches()
    model = statement.model
    key = quote(model.__runic__.key_field.name)
    if isinstance(statement, Delete):
        if statement.batch_size is not None:
            compiler.params["batch"] = statement.batch_size
            lines.append("WITH n LIMIT $batch")
        if returning:
            lines.append(f"WITH n, n.{key} AS _key DETACH DELETE n RETURN _key")
        else:
            lines.append("DETACH DELETE n RETURN count(*)")
        return CompiledQuery("\n".join(lines), compiler.params, read_only=False)
    if not statement.assignments:
        raise StatementError(f"update({model.__name__}) needs values(...) to set")
    special = special_fields(model)
    sets = []
    for name, value in statement.assignments:
        if isinstance(value, Arithmetic):
            expression = _arithmetic(value, compiler)
        else:
            converter = model.__runic__.fields[name].converter
            parameter = compiler.parameter(None if value is None else converter.to_db(value))
            expression = parameter
            if name in special and value is not None:
                expression = stored_value(dialect, special[name], parameter)
        sets.append(f"n.{quote(name)} = {expression}")
    version = statement.bumps_version
    if version is not None:
        first = compiler.parameter(model.__runic__.fields[version].default_value())
        sets.append(f"n.{quote(version)} = coalesce(n.{quote(version)}, {first} - 1) + 1")
    returned = ", ".join(f"n.{quote(name)}" for name in statement.written)
    lines.append("SET " + ", ".join(sets))
    lines.append(f"RETURN n.{key}, {returned}" if returning else "RETURN count(*)")
    return CompiledQuery("\n".join(lines), compiler.params, read_only=False)


def _arithmetic(value: Arithmetic, compiler: _SelectCompiler) -> str:
    parts = []
    for side in (value.left, value.right):
        if isinstance(side, Arithmetic):
            parts.append(_arithmetic(side, compiler))
        elif isinstance(side, int | float):
            parts.append(compiler.parameter(side))
        else:
            parts.append(f"n.{quote(side.name)}")
    return f"({parts[0]} {value.op} {parts[1]})"
