"""Values a backend must not receive in a key or unique field, refused before any I/O.

FalkorDB's unique-constraint check crashes the server on some strings (see
``FalkorDBDialect.unsafe_unique_value``). A primary key is unique on every backend,
so each flush, ``get_or_create`` and bulk update checks the string values it would
write to key and unique fields, and raises ``FieldValidationError`` naming the class,
the field and the value instead of sending them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from runic.ogm.driver.dialect import Dialect
from runic.ogm.exceptions import FieldValidationError
from runic.ogm.model.node import Node
from runic.ogm.model.types import StrConverter

_unique_strings: dict[type[Node], tuple[str, ...]] = {}


def _checked_fields(model: type[Node]) -> tuple[str, ...]:
    """The model's key and unique fields that hold strings."""
    found = _unique_strings.get(model)
    if found is None:
        info = model.__runic__
        found = _unique_strings[model] = tuple(
            name
            for name, field in info.fields.items()
            if (field.declaration.unique or name == info.primary_key)
            and isinstance(field.converter, StrConverter)
        )
    return found


def checks_values(dialect: Dialect) -> bool:
    """Whether the backend refuses any unique value (most do not: nothing to check)."""
    return type(dialect).unsafe_unique_value is not Dialect.unsafe_unique_value


def refuse_unsafe(model: type[Node], rows: Iterable[Mapping[str, Any]], dialect: Dialect) -> None:
    """Raise for the first row that would write an unsafe value to a unique field."""
    if not checks_values(dialect):
        return
    names = _checked_fields(model)
    if not names:
        return
    unsafe = dialect.unsafe_unique_value
    for row in rows:
        for name in names:
            value = row.get(name)
            if value is None:
                continue
            reason = unsafe(value)
            if reason is not None:
                raise FieldValidationError(
                    model.__name__,
                    name,
                    f"{_shown(value)} cannot be stored in a unique field on {dialect.name}: "
                    f"{reason}. Strip or change the value before storing it",
                    actual=value,
                )


def _shown(value: str) -> str:
    return repr(value) if len(value) <= 80 else f"{value[:60]!r}... ({len(value)} characters)"
