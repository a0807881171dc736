"""The ``CYPHER name=value ...`` header that carries a query's parameters to FalkorDB.

FalkorDB takes parameters as Cypher literals in front of the query. The ``falkordb``
client writes them with ``falkordb.helpers.stringify_param_value``, one ``isinstance``
chain and one recursive call per value: for a commit of 10,000 nodes that is a fifth of
the time. :func:`params_header` writes the same text, character for character, faster:

* a value's encoder is found by ``type(value)`` in a dict; types it has no encoder for
  (``bytes``, ``tuple``, subclasses such as ``IntEnum`` or a ``str`` subclass, anything
  unknown) are written by the client's own ``stringify_param_value``, so their text can
  never differ from the client's;
* a list of at least ``_SMALL`` items is written in a few passes over all its items, each
  in C: a list of strings is one ``join`` (after one check that no item has a ``\\`` or
  ``"``), numbers one ``join`` of their ``str``; a list of maps with the same plain-string
  keys in the same order is one ``%`` format of a row template (``{`id`:"%s",`n`:%s}``,
  with the template of nested maps and lists of strings or numbers spliced in) repeated
  once per row, over the values taken column by column; any other list item by item;
* the ``"`key`:"`` prefixes of map keys and the ``"`name`="`` of parameter names are
  built (and checked) once and cached.

The client's rules, kept exactly: strings in ``"`` with only ``\\`` and ``"`` escaped (a
raw newline, tab or any other character stays as it is), ``None`` as ``null``, ints,
floats and bools as ``str(value)`` (floats are their shortest repr, e.g. ``1e+16``,
which FalkorDB reads back exactly up to its 15 significant digits; bools ``True`` and
``False``, which FalkorDB reads as booleans as it does ``true`` and ``false``), lists in
``[]``, maps in ``{}`` with each key (its ``str()``) in backticks, parameter names in
backticks, and a ``ValueError`` for an empty map key or parameter name or one with a
backtick in it.

There is no deliberate difference in the text sent: the unit tests compare it with the
client's on randomized values, and the live tests what FalkorDB reads from it. The only
difference is in the ``ValueError`` messages, which name the refused key with its
``repr`` (the client's do not name an empty one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import chain, repeat
from typing import Any, Final

from falkordb.helpers import stringify_param_value as client_value

#: Types whose text is ``str(value)``, as in the client.
_PLAIN: Final = frozenset({int, float, bool})
_STR_ONLY: Final = frozenset({str})
_NONE_ONLY: Final = frozenset({type(None)})

#: ``"`key`:"`` for each plain-string map key seen, and ``"`name`="`` for each parameter
#: name; cleared when they grow past the bound.
_prefixes: dict[str, str] = {}
_names: dict[str, str] = {}
_PREFIX_BOUND: Final = 4096
#: Lists shorter than this are written item by item: a pass per column costs more.
_SMALL: Final = 8


def params_header(params: Mapping[Any, Any]) -> str:
    """``CYPHER `name`=value ...`` followed by a space, to put in front of a query.

    The text ``falkordb.Graph._build_params_header`` writes for ``dict(params)``.
    """
    parts = ["CYPHER "]
    append = parts.append
    for name, value in params.items():
        prefix = _names.get(name) if type(name) is str else None
        append(prefix or _name(name))
        append(_value(value))
        append(" ")
    return "".join(parts)


def _checked(key: Any, what: str) -> str:
    """A map key or parameter name as the client writes it, or ValueError."""
    text = key if type(key) is str else key.decode() if isinstance(key, bytes) else str(key)
    if text == "":
        raise ValueError(f"Cypher {what} cannot be empty: {key!r}")
    if "`" in text:
        raise ValueError(
            f"Cypher {what} cannot contain a backtick: {text!r} (FalkorDB does not "
            "support escaped backticks in identifiers)"
        )
    return text


def _name(name: Any) -> str:
    """``"`name`="`` for a parameter name."""
    text = f"`{_checked(name, 'parameter name')}`="
    if type(name) is str:
        if len(_names) >= _PREFIX_BOUND:
            _names.clear()
        _names[name] = text
    return text


def _prefix(key: Any) -> str:
    """``"`key`:"`` for a map key."""
    if type(key) is str:
        prefix = _prefixes.get(key)
        if prefix is None:
            prefix = f"`{_checked(key, 'map key')}`:"
            if len(_prefixes) >= _PREFIX_BOUND:
                _prefixes.clear()
            _prefixes[key] = prefix
        return prefix
    return f"`{_checked(key, 'map key')}`:"


def _value(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _string(value)
    encode = _ENCODERS.get(kind)
    if encode is None:
        return str(client_value(value))
    return encode(value)


def _string(text: str) -> str:
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    return '"' + text + '"'


def _escaped(text: str) -> str:
    """A string's text between its quotes."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if '"' in text:
        text = text.replace('"', '\\"')
    return text


def _null(value: None) -> str:
    return "null"


def _map(value: dict[Any, Any]) -> str:
    if not value:
        return "{}"
    return "{" + ",".join([_prefix(key) + _value(item) for key, item in value.items()]) + "}"


def _list(values: list[Any]) -> str:
    if len(values) < _SMALL:
        return "[" + ",".join(map(_value, values)) + "]"
    kinds = set(map(type, values))
    if kinds == _STR_ONLY:
        body = '","'.join(values)
        if "\\" not in body and body.count('"') == 2 * len(values) - 2:
            return '["' + body + '"]'
        return '["' + '","'.join(map(_escaped, values)) + '"]'
    if kinds <= _PLAIN:
        return "[" + ",".join(map(str, values)) + "]"
    piece, arguments = _column(values, kinds)
    return "[" + _rows(piece, arguments, len(values)) + "]"


#: The text of a run of values (a list's items, or one key's values in a list of maps)
#: as a format: the ``%`` piece each value is written by, and the piece's arguments, as
#: columns with one item per value (none when the piece has no ``%s``).
type _Format = tuple[str, list[Sequence[Any]]]


def _rows(piece: str, arguments: list[Sequence[Any]], count: int) -> str:
    """The texts of ``count`` values written by ``piece``, joined by commas."""
    if not arguments:
        return ",".join(repeat(piece % (), count))  # ``%%`` in a key still to undo
    if piece == "%s":
        return ",".join(arguments[0])  # texts: plain values do not reach here
    width = len(arguments)
    if width == 1:
        flat: Sequence[Any] = tuple(arguments[0])
    else:
        interleaved: list[Any] = [None] * (count * width)
        for position, column in enumerate(arguments):
            interleaved[position::width] = column
        flat = tuple(interleaved)
    return ",".join(repeat(piece, count)) % flat


def _column(values: Sequence[Any], kinds: set[type] | None = None) -> _Format:
    if kinds is None:
        kinds = set(map(type, values))
    if kinds <= _PLAIN:
        return "%s", [values]  # ``%s`` writes str(value)
    if kinds == _STR_ONLY:
        body = "".join(values)
        if "\\" not in body and '"' not in body:
            return '"%s"', [values]
        return '"%s"', [list(map(_escaped, values))]
    if kinds == _NONE_ONLY:
        return "null", []
    if len(kinds) == 1:
        if dict in kinds:
            return _maps(values)
        if list in kinds:
            return _lists(values)
    return "%s", [list(map(_value, values))]


def _lists(values: Sequence[list[Any]]) -> _Format:
    """A run of lists: lists of strings or of numbers are written in one pass."""
    items = list(chain.from_iterable(values))
    if not items:
        return "[]", []
    kinds = set(map(type, items))
    if kinds == _STR_ONLY and all(values):  # an empty list would read [""]
        body = "".join(items)
        if "\\" not in body and '"' not in body:
            return '["%s"]', [list(map('","'.join, values))]
    elif kinds <= _PLAIN:
        return "[%s]", [list(map(",".join, map(map, repeat(str), values)))]
    return "%s", [list(map(_list, values))]


def _maps(rows: Sequence[dict[Any, Any]]) -> _Format:
    """A run of maps. When they all have the same plain-string keys in the same order
    (the header keeps each map's order), one template for all, with their values as
    arguments, a column per key; otherwise the text of each map."""
    keys = list(rows[0])
    width = len(keys)
    # Every map has ``keys`` in order iff the keys of all, one map after the other, are
    # ``keys`` repeated: a map with more than ``width`` keys would repeat one.
    every_key = [*chain.from_iterable(rows)]
    if (
        not width
        or every_key != keys * len(rows)
        or [*map(type, every_key)].count(str) != len(every_key)  # a str subclass: its str()
    ):
        return "%s", [list(map(_map, rows))]
    values = [*chain.from_iterable(map(dict.values, rows))]
    pieces = []
    arguments: list[Sequence[Any]] = []
    for position, key in enumerate(keys):
        piece, column = _column(values[position::width])
        pieces.append(_prefix(key).replace("%", "%%") + piece)
        arguments += column
    return "{" + ",".join(pieces) + "}", arguments


_ENCODERS: Final[dict[type, Callable[[Any], str]]] = {
    int: int.__repr__,
    float: float.__repr__,
    bool: bool.__repr__,
    type(None): _null,
    list: _list,
    dict: _map,
}
