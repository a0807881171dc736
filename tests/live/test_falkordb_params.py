"""The FalkorDB drivers write the ``CYPHER`` parameter header themselves
(``falkordb_params``): tricky values reach embedded FalkorDB as they do through the
falkordb client's own header, and read back as sent, types included."""

from __future__ import annotations

import math
from typing import Any

import pytest

from runic.ogm.driver.falkordb import AsyncFalkorDBDriver, FalkorDBDriver, neutral

UNWIND = "UNWIND $rows AS r RETURN r"

#: Values FalkorDB stores and returns exactly: ints within int64, floats of at most 15
#: significant digits, strings without NUL.
FAITHFUL: list[Any] = [
    "",
    "plain",
    'say "hi"',
    "back\\slash",
    "\\",
    '\\"',
    "\\n is not a newline",
    "line\nbreak\ttab\rreturn\x01",
    "é 日本 😀 \U0001d11e",
    "%s %d %% {x} `tick` 'single'",
    "null",
    "True",
    0,
    -1,
    2**53 + 1,
    -(2**53) - 1,
    2**63 - 1,
    -(2**63 - 1),
    -(2**63),
    0.0,
    -0.0,
    0.1,
    -2.5,
    1e16,
    1e15,
    1.5e-7,
    1e-300,
    1e300,
    5e-324,
    123456.789,
    True,
    False,
    None,
    [],
    {},
    ["a", 'b"', "c\\"],
    [1, 2.5, True, None, "x"],
    [[1, 2], [], ["a"]],
    {"@type": "thing", "a-b": 1, "日本": [True], "%s": None, "nested": {"deep": [{"k": -0.0}]}},
]

#: Values FalkorDB changes (floats come back with 15 significant digits): they must
#: come back as they do through the client's own header.
CHANGED: list[Any] = [1 / 3, 0.30000000000000004, 2.0**53 + 2, 1.7976931348623157e308]


def rows_of(values: list[Any]) -> list[dict[str, Any]]:
    """Rows with the same keys (the columnar path) holding each value in turn."""
    return [
        {
            "value": value,
            "list": [value, value],
            "map": {"inner": value},
            "tags": [f"t{index}", 'q"'],
            "flag": index % 2 == 0,
            "at": {"latitude": index / 8, "longitude": -index / 8},
        }
        for index, value in enumerate(values)
    ]


def typed(value: Any) -> Any:
    """``value`` with each scalar's type (and a float's sign), for an exact comparison."""
    if isinstance(value, list):
        return ["list", [typed(item) for item in value]]
    if isinstance(value, dict):
        return ["map", [(key, typed(item)) for key, item in value.items()]]
    if isinstance(value, float):
        return ["float", value, math.copysign(1.0, value)]
    return [type(value).__name__, value]


def through_client(graph: Any, cypher: str, params: dict[str, Any]) -> list[Any]:
    """What FalkorDB returns when the falkordb client writes the header."""
    return [[neutral(value) for value in row] for row in graph.ro_query(cypher, params).result_set]


def test_values_read_back_as_sent(graph: Any) -> None:
    driver = FalkorDBDriver(graph)
    rows = rows_of(FAITHFUL)
    # The graph does not exist yet: the read goes through the "empty key" retry.
    result = driver.execute(UNWIND, {"rows": rows}, read_only=True)
    assert typed([row[0] for row in result.rows]) == typed(rows)
    assert typed(result.rows) == typed(through_client(graph, UNWIND, {"rows": rows}))


def test_each_value_alone_and_in_a_mixed_list(graph: Any) -> None:
    driver = FalkorDBDriver(graph)
    for value in FAITHFUL:
        result = driver.execute("RETURN $v, [$v, 1, 'x']", {"v": value}, read_only=True)
        assert typed(result.rows) == typed([[value, [value, 1, "x"]]])


def test_changed_values_read_back_as_through_the_client(graph: Any) -> None:
    driver = FalkorDBDriver(graph)
    params = {"rows": rows_of(CHANGED * 3), "v": CHANGED, "w": CHANGED * 3}
    cypher = "UNWIND $rows AS r RETURN r, $v, $w"
    result = driver.execute(cypher, params, read_only=True)
    assert typed(result.rows) == typed(through_client(graph, cypher, params))


def test_booleans_stay_booleans(graph: Any) -> None:
    driver = FalkorDBDriver(graph)
    result = driver.execute(
        "RETURN $t, $f, $t = true, $f = false, [x IN $l WHERE x] AS kept",
        {"t": True, "f": False, "l": [True, False, True]},
        read_only=True,
    )
    assert typed(result.rows) == typed([[True, False, True, True, [True, True]]])


def test_floats_and_big_ints_round_trip_exactly(graph: Any) -> None:
    driver = FalkorDBDriver(graph)
    values = [1e16, 1.5e-7, -0.0, 2**53 + 1] * 3  # long enough for the one-pass path
    result = driver.execute("UNWIND $v AS x RETURN x", {"v": values}, read_only=True)
    assert typed([row[0] for row in result.rows]) == typed(values)
    assert typed(result.rows) == typed(
        through_client(graph, "UNWIND $v AS x RETURN x", {"v": values})
    )


def test_written_properties_read_back_as_sent(graph: Any) -> None:
    driver = FalkorDBDriver(graph)
    rows = [
        {
            "id": f'n"{index}\\',
            "name": f"Name\n{index} 😀",
            "age": [0, -(2**63), 2**63 - 1, 2**53 + 1][index % 4],
            "score": [0.1, -0.0, 1e16, 1.5e-7][index % 4],
            "flag": index % 3 == 0,
            "tags": [f"t{index}", 'q"', ""],
        }
        for index in range(200)
    ]
    driver.execute("UNWIND $rows AS r CREATE (n:Row) SET n = r", {"rows": rows})
    result = driver.execute(
        "MATCH (n:Row) RETURN n.id, n.name, n.age, n.score, n.flag, n.tags", read_only=True
    )
    by_id = {row[0]: row for row in result.rows}
    assert len(by_id) == len(rows)
    assert typed([by_id[row["id"]] for row in rows]) == typed([list(row.values()) for row in rows])


@pytest.mark.asyncio
async def test_async_driver_values_read_back_as_sent(async_driver: AsyncFalkorDBDriver) -> None:
    rows = rows_of(FAITHFUL)
    result = await async_driver.execute(UNWIND, {"rows": rows}, read_only=True)
    assert typed([row[0] for row in result.rows]) == typed(rows)
    await async_driver.execute("UNWIND $rows AS r CREATE (:Row {v: r.tags})", {"rows": rows})
    count = await async_driver.execute(
        "MATCH (n:Row) WHERE n.v = $tags RETURN count(n)", {"tags": ["t3", 'q"']}, read_only=True
    )
    assert count.rows == [[1]]
