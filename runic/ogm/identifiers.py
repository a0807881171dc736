"""Validation and quoting of identifiers (labels, types, properties, aliases).

User values always travel as parameters; identifiers cannot, so they are
restricted to a safe alphabet and still quoted with backticks.
"""

from __future__ import annotations

import re
import unicodedata

from runic.ogm.exceptions import InvalidIdentifierError

#: Letters (of any script), digits and underscores, not starting with a digit: what
#: Python accepts as a name, so every class and field name is one.
_IDENTIFIER = re.compile(r"[^\W\d]\w*\Z")


def validate_identifier(name: object, what: str) -> str:
    """Return ``name`` if it is a safe identifier, else raise naming ``what`` it was for."""
    if (
        not isinstance(name, str)
        or not _IDENTIFIER.match(name)
        or unicodedata.normalize("NFC", name) != name
    ):
        raise InvalidIdentifierError(
            f"invalid {what} {name!r}: use letters, digits and underscores, "
            "not starting with a digit (in NFC form)"
        )
    return name


def quote(name: str) -> str:
    """Backtick-quote an identifier that :func:`validate_identifier` accepted."""
    return f"`{name}`"
