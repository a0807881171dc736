"""What graph engines store faithfully: the checks a plain value passes before it is sent.

Some values of the right Python type are mangled or refused by an engine, late and
without naming the value: FalkorDB stores ints beyond int64 clamped, returns floats
with 15 significant digits, and rejects NaN, ±inf and strings with NUL at its parser;
AGE refuses all of those; no engine encodes a lone surrogate. Fields and raw
``execute()`` parameters use these rules alike, so a bad value is refused before any
I/O, with the reason, and a model behaves the same on every backend.
"""

from __future__ import annotations

import math
import reprlib
from typing import Any, Final

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

#: Significant digits a float field keeps, on every backend: FalkorDB returns no more,
#: so float fields are rounded to them and what is stored is exactly what reads back.
FLOAT_DIGITS: Final = 15

_short = reprlib.Repr(maxstring=60, maxother=60)
#: Floats below this in magnitude stay finite when rounded (NaN fails the comparison).
_LARGE: Final = 1e308


class UnstorableValue(ValueError):
    """Internal: a value of the right type that an engine would mangle or refuse.

    The message says why; callers add where the value came from (a field, a parameter).
    """


def shown(value: Any) -> str:
    """A value as error messages show it: its repr, shortened when long."""
    return _short.repr(value)


def storable_int(value: int) -> int:
    """``value`` as a plain int, or :class:`UnstorableValue` when outside int64."""
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return value  # the common case, without the checks below
    if not INT64_MIN <= value <= INT64_MAX:
        raise UnstorableValue(
            f"{shown(value)} is outside the 64-bit integer range graph databases store "
            f"({INT64_MIN} to {INT64_MAX}); FalkorDB would store it clamped"
        )
    return int.__int__(value)  # a plain int: a subclass could render itself as anything


def storable_float(value: float | int, digits: int | None = FLOAT_DIGITS) -> float:
    """``value`` as a finite float rounded to ``digits`` significant digits (None: kept).

    Rounding is idempotent and makes the stored float the one a 15-digit backend reads
    back, so equality filters on loaded values find what was stored.
    """
    if type(value) is float and digits == FLOAT_DIGITS and -_LARGE < value < _LARGE:
        return float(f"{value:.15g}")  # the common case: finite, and rounding cannot overflow
    try:
        number = float(int.__int__(value)) if isinstance(value, int) else float.__float__(value)
    except OverflowError:
        raise UnstorableValue(f"{shown(value)} is too large for a float") from None
    if not math.isfinite(number):
        raise UnstorableValue(
            f"{shown(value)} is not a finite number; graph databases cannot store or "
            "compare NaN and infinities faithfully (FalkorDB refuses them)"
        )
    if digits is None:
        return number
    rounded = float(f"{number:.{digits}g}")
    if not math.isfinite(rounded):
        raise UnstorableValue(
            f"{shown(value)} becomes inf when rounded to the {digits} significant digits "
            "kept (floats up to ±1.79769313486231e308 are stored)"
        )
    return rounded


def storable_str(value: str) -> str:
    """``value`` as a plain str, or :class:`UnstorableValue` for NUL or a lone surrogate."""
    if type(value) is str and value.isascii() and "\x00" not in value:
        return value  # the common case, without the checks below
    text = str.__str__(value)  # a plain str: a subclass could override its escaping
    if "\x00" in text:
        raise UnstorableValue(
            f"{shown(value)} contains a NUL character (\\x00), which FalkorDB and AGE refuse"
        )
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise UnstorableValue(
                f"{shown(value)} contains a lone surrogate ({text[error.start]!r} at "
                f"{error.start}), which is not text and cannot be encoded as UTF-8"
            ) from None
    return text
