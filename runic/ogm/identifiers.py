"""Validation and quoting of identifiers (labels, types, properties, aliases).

User values always travel as parameters; identifiers cannot, so they are
restricted to a safe alphabet and still quoted with backticks.
"""

from __future__ import annotations

import re

from runic.ogm.exceptions import InvalidIdentifierError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def validate_identifier(name: object, what: str) -> str:
    """Return ``name`` if it is a safe identifier, else raise naming ``what`` it was for."""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise InvalidIdentifierError(
            f"invalid {what} {name!r}: use letters, digits and underscores, "
            "not starting with a digit"
        )
    return name


def quote(name: str) -> str:
    """Backtick-quote an identifier that :func:`validate_identifier` accepted."""
    return f"`{name}`"
