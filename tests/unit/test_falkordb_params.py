"""runic's ``CYPHER`` parameter header (``falkordb_params``) writes exactly the text of the
falkordb client's ``Graph._build_params_header``, checked without a database on
randomized values and on each fast path's edge; and the drivers send it in front of the
query, with no parameters left for the client."""

from __future__ import annotations

import asyncio
import enum
import random
from collections import OrderedDict
from typing import Any

import pytest
from falkordb.graph import Graph
from redis.exceptions import ResponseError

from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver
from runic.ogm.driver.falkordb_params import _SMALL, params_header
from runic.ogm.exceptions import DriverError


def client_header(params: dict[Any, Any]) -> str:
    """The header the falkordb client writes (the method does not use ``self``)."""
    header: str = Graph._build_params_header(None, params)
    return header


def assert_same(params: dict[Any, Any]) -> None:
    assert params_header(params) == client_header(params)


def many(values: list[Any]) -> list[Any]:
    """``values`` repeated into a list long enough for the one-pass paths (lists shorter
    than ``_SMALL`` are written item by item)."""
    return values * (_SMALL // max(len(values), 1) + 1)


# -- randomized values ----------------------------------------------------------------

CHARS = [
    *"aZ0 _-.",
    '"',
    "\\",
    '\\"',
    '"\\',
    "\n",
    "\t",
    "\r",
    "\x01",
    "\x7f",
    "'",
    "`",
    "%",
    "%s",
    "%%",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    '","',
    "é",
    "日本",
    "\u2028",
    "\ufeff",
    "😀",
    "\U0001d11e",
    "null",
]
INTS = [0, 1, -1, 7, -42, 2**31, 2**53 + 1, -(2**53) - 1, 2**63 - 1, -(2**63 - 1), -(2**63)]
FLOATS = [
    0.0,
    -0.0,
    0.1,
    0.30000000000000004,
    -2.5,
    1 / 3,
    1e-300,
    1e300,
    1e16,
    1e15,
    1.5e-7,
    1e-5,
    123456.789,
    5e-324,
    1.7976931348623157e308,
    float(2**53 + 1),
]
KEYS = ["id", "name", "age", "a%b", "%s", "@type", "a-b", "日本", "x y", "1", "_", "null"]


class Colour(enum.IntEnum):
    RED = 1


class Tag(enum.StrEnum):
    A = 'a"b'


class Text(str):
    """A str subclass that renders itself unlike its value."""

    def __str__(self) -> str:
        return "rendered"


class Ratio(float):
    pass


#: Values the encoder has no encoder for: the client's own function writes them.
FOREIGN = [
    (1, "two", None),
    (),
    b'by"tes',
    Colour.RED,
    Tag.A,
    Text("plain"),
    Ratio(0.5),
    OrderedDict([("k", 1), ("j", [True])]),
    {1: "int key", 2.5: "float key", None: "None key"},
    {Text("key"): 1},
]


def random_string(rng: random.Random) -> str:
    return "".join(rng.choice(CHARS) for _ in range(rng.choice([0, 0, 1, 2, 5, 12])))


def random_scalar(rng: random.Random) -> Any:
    kind = rng.randrange(7)
    if kind == 0:
        return random_string(rng)
    if kind == 1:
        return rng.choice(INTS) if rng.random() < 0.5 else rng.randint(-(10**6), 10**6)
    if kind == 2:
        return rng.choice(FLOATS) if rng.random() < 0.5 else rng.uniform(-1e6, 1e6)
    if kind == 3:
        return rng.random() < 0.5
    if kind == 4:
        return None
    if kind == 5:
        return rng.choice(FOREIGN) if rng.random() < 0.2 else rng.choice(KEYS)
    return rng.random() * 10 ** rng.randint(-20, 20)


def random_value(rng: random.Random, depth: int) -> Any:
    if depth == 0 or rng.random() < 0.3:
        return random_scalar(rng)
    kind = rng.randrange(8)
    size = rng.choice([0, 1, 2, 3, _SMALL - 1, _SMALL, 2 * _SMALL])
    if kind == 0:  # a mixed list
        return [random_value(rng, depth - 1) for _ in range(size)]
    if kind == 1:  # a list of one type
        make = rng.choice([random_string, random_scalar])
        pick = rng.choice([str, int, float, bool, type(None)])
        items = [make(rng) for _ in range(size * 4)]
        return [item for item in items if type(item) is pick] or items
    if kind == 2:  # a map
        keys = rng.sample(KEYS, rng.randint(0, 4))
        return {key: random_value(rng, depth - 1) for key in keys}
    if kind == 3:  # rows: maps with the same keys, now and then one that differs
        keys = rng.sample(KEYS, rng.randint(0, 4))
        shapes = [rng.choice([random_scalar, random_string]) for _ in keys]
        rows: list[Any] = []
        for _ in range(size + 1):
            row = {key: shape(rng) for key, shape in zip(keys, shapes, strict=True)}
            if keys and rng.random() < 0.3:
                row[keys[0]] = random_value(rng, depth - 1)
            rows.append(row)
        if rows and rng.random() < 0.2:
            rows[-1] = dict(reversed(list(rows[-1].items())))  # same keys, other order
        if rows and rng.random() < 0.1:
            rows[-1] = {**rows[-1], "extra": 1}
        if rows and keys and rng.random() < 0.1:
            rows[-1] = {key: value for key, value in rows[-1].items() if key != keys[-1]}
        return rows
    if kind == 4:  # lists of strings or numbers in a list
        make = rng.choice([random_string, lambda r: r.choice(INTS + FLOATS)])
        return [[make(rng) for _ in range(rng.choice([0, 1, 3]))] for _ in range(size)]
    if kind == 5:  # rows holding lists and nested rows
        return [
            {
                "tags": [random_string(rng) for _ in range(rng.choice([1, 2]))],
                "at": {"latitude": rng.uniform(-90, 90), "longitude": rng.choice(FLOATS)},
                "none": None,
                "flag": rng.random() < 0.5,
            }
            for _ in range(size + 1)
        ]
    if kind == 6:
        return rng.choice(FOREIGN)
    return [random_value(rng, depth - 1) for _ in range(size)]


@pytest.mark.parametrize("seed", range(40))
def test_random_values_read_as_the_client_writes_them(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(50):
        params = {
            rng.choice(KEYS) + str(index): random_value(rng, 4)
            for index in range(rng.randint(1, 4))
        }
        assert_same(params)


# -- each rule and fast path -----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        'say "hi"',
        "back\\slash",
        "\\",
        '\\"',
        "line\nbreak\ttab\rreturn",
        "é 日本 😀 \U0001d11e",
        "%s %d %%",
        0,
        -(2**63),
        2**63 - 1,
        2**53 + 1,
        0.1,
        -0.0,
        1e16,
        1.5e-7,
        1e-300,
        1e300,
        True,
        False,
        None,
        [],
        {},
        [[]],
        [{}],
        [{}, {}],
    ],
    ids=repr,
)
def test_scalars_and_empty_containers(value: Any) -> None:
    assert_same({"x": value})
    assert_same({"x": [value, value]})
    assert_same({"x": many([value])})
    assert_same({"x": {"k": value}})
    assert_same({"x": [{"k": value}, {"k": value}]})
    assert_same({"x": many([{"k": value, "j": 1}])})
    assert_same({"x": many([{"k": [value]}, {"k": [value, value]}])})


def test_the_client_rules_spelled_out() -> None:
    header = params_header(
        {"s": 'a"b\\c\nd', "n": None, "t": True, "f": False, "i": -3, "x": 1e16, "l": [1.5]}
    )
    assert header == (
        'CYPHER `s`="a\\"b\\\\c\nd" `n`=null `t`=True `f`=False `i`=-3 `x`=1e+16 `l`=[1.5] '
    )
    assert params_header({"m": {"@type": "a", "k": [{"v": None}]}}) == (
        'CYPHER `m`={`@type`:"a",`k`:[{`v`:null}]} '
    )


def test_booleans_are_written_as_the_client_writes_them() -> None:
    """No deliberate difference: FalkorDB reads ``True``/``False`` as booleans (the live
    tests check it), so the client's ``str(value)`` is kept."""
    assert params_header({"b": [True, False, {"k": True}]}) == (
        "CYPHER `b`=[True,False,{`k`:True}] "
    )
    assert_same({"b": [True, False, {"k": True}], "rows": [{"k": False}, {"k": True}]})


def test_lists_of_strings() -> None:
    for values in (
        ["a", "b"],
        ['a"', "b"],
        ["a", '"'],
        ["\\", "b"],
        ['","', "x"],
        ["", ""],
        [""],
        ['"'],
    ):
        assert_same({"x": values})
        assert_same({"x": many(values)})
        assert_same({"x": many([{"k": value} for value in values])})
        assert_same({"x": many([values])})
        assert_same({"x": many([*many([["a"]]), values])})


def test_rows_keep_each_map_key_order() -> None:
    rows = many([{"a": 1, "b": "x"}, {"b": "y", "a": 2}, {"a": 3, "b": "z"}])
    assert_same({"rows": rows})
    assert params_header({"rows": rows}).startswith(
        'CYPHER `rows`=[{`a`:1,`b`:"x"},{`b`:"y",`a`:2},{`a`:3,`b`:"z"},{`a`:1,`b`:"x"},'
    )


def test_rows_with_other_keys() -> None:
    same = many([{"a": 1, "b": 2}])
    assert_same({"rows": [*same, {"a": 1}, *same, {"a": 1, "b": 2, "c": 3}]})
    assert_same({"rows": [*same, {"b": 1, "a": 2}]})
    assert_same({"rows": [*same, {"a": 1, "c": 2}]})
    assert_same({"rows": [*same, {}, *same]})
    assert_same({"rows": [{}, *same]})
    assert_same({"rows": [{"a": 1}, *same]})
    assert_same({"rows": [*same, {"a": 1, "b": 2}, {"b": 2}]})


def test_rows_columns_of_every_kind() -> None:
    rows = [
        {
            "s": f"s{i}",
            "q": 'q"' if i == 2 else "q",
            "n": None,
            "o": None if i % 2 else "set",
            "num": [1, 2.5, True][i % 3],
            "tags": ["a", "b"][: i % 3],
            "nums": [i, i / 3],
            "mixed": ["a", 1] if i % 2 else ["b"],
            "at": {"latitude": i / 7, "longitude": -i / 7},
            "deep": [{"k": [{"v": i}]}],
            "foreign": (i, "t"),
        }
        for i in range(2 * _SMALL)
    ]
    assert_same({"rows": rows})


def test_percent_in_keys_and_values() -> None:
    assert_same({"rows": many([{"a%b": None}])})
    assert_same({"rows": many([{"%s": "%s", "%%": 1}, {"%s": "%d", "%%": 2}])})
    assert_same({"rows": many([{"k%": {"%j": None}}])})
    assert_same({"rows": many([{"k%": {"%j": None}, "v": 1}])})


def test_values_the_client_writes() -> None:
    for value in FOREIGN:
        assert_same({"x": value})
        assert_same({"x": [value, value]})
        assert_same({"x": many([value])})
        assert_same({"x": many([{"k": value}])})
        assert_same({"x": many([{"k": [value]}])})


def test_str_subclass_keys_are_written_by_their_str() -> None:
    rows: list[dict[Any, Any]] = [*many([{"key": 1}]), {Text("key"): 2}]
    assert params_header({"rows": rows}).endswith("{`key`:1},{`rendered`:2}] ")
    assert_same({"rows": rows})
    assert_same({"rows": [{Text("key"): 2}, *many([{"key": 1}])]})
    assert_same({Text("name"): 1, b"bytes": 2, 3: 3})


def test_a_mapping_is_written_like_the_dict_of_it() -> None:
    params = OrderedDict([("b", 1), ("a", [2])])
    assert params_header(params) == client_header(dict(params))


def test_a_large_commit_payload() -> None:
    params = {
        "b0": [f"n{i}" for i in range(2000)],
        "b1": [{"id": f"n{i}", "name": f'Name "{i}"', "age": i % 90} for i in range(2000)],
        "b2": [{"a": f"n{i}", "b": f"n{i + 1}"} for i in range(2000)],
        "b3": [
            {
                "score": i * 0.37,
                "active": i % 2 == 0,
                "note": None,
                "tags": [f"t{i % 7}", f"u{i % 13}"],
                "location": {"latitude": 48.85 + i * 1e-5, "longitude": 2.35 - i * 1e-5},
            }
            for i in range(2000)
        ],
    }
    assert_same(params)


# -- refused names and keys ------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"": 1},
        {"a`b": 1},
        {b"": 1},
        {"x": {"": 1}},
        {"x": {"a`b": 1}},
        {"x": [{"": 1}, {"": 2}]},
        {"x": many([{"": 1}])},
        {"x": many([{"ok": 1, "a`b": 1}, {"ok": 2, "a`b": 2}])},
        {"x": many([{"ok": many([{"": 1}])}])},
        {"x": many([1, {"": 1}])},
        {"x": [*many([{"ok": 1}]), {"a`b": 1}]},
    ],
    ids=repr,
)
def test_empty_and_backtick_keys_are_refused_as_by_the_client(params: dict[Any, Any]) -> None:
    with pytest.raises(ValueError):
        client_header(params)
    with pytest.raises(ValueError) as refused:
        params_header(params)
    message = str(refused.value)
    assert "cannot be empty: " in message or "cannot contain a backtick: 'a`b'" in message


def test_refusals_name_the_key() -> None:
    with pytest.raises(ValueError, match=r"parameter name cannot be empty: ''"):
        params_header({"": 1})
    with pytest.raises(ValueError, match=r"map key cannot contain a backtick: 'a`b'"):
        params_header({"x": many([{"a`b": 1}])})
    with pytest.raises(ValueError, match=r"map key cannot be empty: ''"):
        params_header({"x": {"": 1}})


# -- the drivers send the header --------------------------------------------------------


class FakeResult:
    header = [[1, "r"]]
    result_set = [[1]]


class FakeGraph:
    """A graph handle that records what the driver asks of the client."""

    name = "fake"

    def __init__(self, fail: str | None = None) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.fail = fail

    def query(self, q: str, params: Any = None) -> FakeResult:
        return self._record("query", q, params)

    def ro_query(self, q: str, params: Any = None) -> FakeResult:
        return self._record("ro_query", q, params)

    def _record(self, method: str, q: str, params: Any) -> FakeResult:
        self.calls.append((method, q, params))
        if self.fail and q.endswith(self.fail):
            raise ResponseError("boom")
        return FakeResult()


class AsyncFakeGraph(FakeGraph):
    client = None

    async def query(self, q: str, params: Any = None) -> FakeResult:  # type: ignore[override]
        return self._record("query", q, params)

    async def ro_query(self, q: str, params: Any = None) -> FakeResult:  # type: ignore[override]
        return self._record("ro_query", q, params)


PARAMS = {"rows": [{"id": "a", "n": 1}, {"id": 'b"', "n": 2}], "flag": True}


def test_the_sync_driver_sends_the_header_and_no_params() -> None:
    graph = FakeGraph()
    driver = FalkorDBDriver(graph)
    driver.execute("UNWIND $rows AS r RETURN r", PARAMS, read_only=True)
    driver.execute("CREATE (:N)", PARAMS)
    driver.execute("RETURN 1", {})
    driver.execute("RETURN 2")
    sent = [call for call in graph.calls if call[1] != "RETURN 0"]
    assert sent == [
        ("ro_query", client_header(PARAMS) + "UNWIND $rows AS r RETURN r", None),
        ("query", client_header(PARAMS) + "CREATE (:N)", None),
        ("query", "RETURN 1", None),
        ("query", "RETURN 2", None),
    ]


def test_errors_show_the_cypher_without_the_header() -> None:
    driver = FalkorDBDriver(FakeGraph(fail="RETURN $flag"))
    with pytest.raises(DriverError) as caught:
        driver.execute("RETURN $flag", PARAMS)
    assert str(caught.value).endswith("--- query ---\nRETURN $flag")
    assert "CYPHER" not in str(caught.value)


def test_the_async_driver_sends_the_header_and_no_params() -> None:
    graph = AsyncFakeGraph()
    driver = AsyncFalkorDBDriver.__new__(AsyncFalkorDBDriver)
    driver._graph_ready = True
    driver._read_timeout = None
    driver._wait = None

    class Handle:
        pass

    handle: Any = Handle()
    handle.graph = handle.writer = graph
    handle.lane = handle.replica_lane = None

    async def run() -> None:
        await driver._execute(handle, "UNWIND $rows AS r RETURN r", PARAMS, True, False)
        await driver._execute(handle, "CREATE (:N)", PARAMS, False, False)
        await driver._execute(handle, "RETURN 1", None, False, False)

    asyncio.run(run())
    assert graph.calls == [
        ("ro_query", client_header(PARAMS) + "UNWIND $rows AS r RETURN r", None),
        ("query", client_header(PARAMS) + "CREATE (:N)", None),
        ("query", "RETURN 1", None),
    ]
