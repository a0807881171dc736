"""``parse_compact`` on compact replies captured from embedded FalkorDB: exactly the
falkordb client's parse followed by ``neutral_result``."""

from __future__ import annotations

from typing import Any

import pytest
from falkordb.graph_schema import GraphSchema
from falkordb.query_result import QueryResult as ClientResult
from redis.exceptions import ResponseError

from runic.ogm.driver.falkordb_results import fast_parse, neutral_result, parse_compact

STATS = ["Cached execution: 0", "Query internal execution time: 0.1 milliseconds"]
NODE = [
    0,
    [0, 1],
    [[0, 2, "x"], [1, 3, 1], [2, 5, "1.5"], [3, 4, "true"], [4, 6, [[3, 1], [2, "a"]]]],
]
EDGE = [0, 0, 0, 1, [[5, 3, 2]]]
HEADER = [[1, "a"], [1, "r"], [1, "m"], [1, "l"]]

REPLIES: dict[str, Any] = {
    "entities": [
        HEADER,
        [
            [
                [8, NODE],
                [7, EDGE],
                [10, ["k", [3, 1], "m", [6, [[8, NODE], [1, None]]]]],
                [6, [[2, "é"], [5, "1.18059162071741e+21"], [4, "false"], [6, []]]],
            ]
        ]
        * 3,
        STATS,
    ],
    "one row": [HEADER, [[[8, [1, [2], []]], [1, None], [10, []], [3, -(2**63)]]], STATS],
    "stats only": [["Nodes created: 1", "Cached execution: 0"]],
    "empty": [[[1, "n"]], [], STATS],
    "no columns": [[], [], STATS],
    "path": [[[1, "p"]], [[[9, [[6, [[8, NODE]]], [6, []]]]]], STATS],
    "point": [[[1, "p"]], [[[11, ["1", "2"]]]], STATS],
    "vector": [[[1, "v"]], [[[12, [1.0, 2.0]]]], STATS],
    "date": [[[1, "d"]], [[[14, 1577836800]]], STATS],
    "duration": [[[1, "d"]], [[[16, 86400]]], STATS],
}
UNSUPPORTED = {"path", "point", "vector", "date", "duration"}


class FakeGraph:
    def __init__(self) -> None:
        self.schema = GraphSchema(self)
        self.schema.labels = ["A", "B", "C"]
        self.schema.relationships = ["R"]
        self.schema.properties = ["name", "n", "f", "b", "l", "w"]
        self.procedures: list[str] = []

    def call_procedure(self, procedure: str) -> Any:
        self.procedures.append(procedure)
        names = {"DB.LABELS": ["A", "B", "C", "D"], "DB.RELATIONSHIPTYPES": ["R", "S"]}
        result = ClientResult(self, [["Cached execution: 0"]])
        result._result_set = [[name] for name in names.get(procedure, [])]
        return result


@pytest.mark.parametrize("name", list(REPLIES))
def test_equal_to_the_clients_parse(name: str) -> None:
    graph = FakeGraph()
    reply = REPLIES[name]
    ours = parse_compact(reply, graph.schema)
    theirs = neutral_result(ClientResult(graph, reply))
    assert ours == theirs
    assert repr(ours) == repr(theirs)  # dict vs OrderedDict, int vs float, tuple vs list
    assert (fast_parse(reply, graph.schema) is None) == (name in UNSUPPORTED)
    assert graph.procedures == []


def test_an_unknown_label_refreshes_the_schema_cache() -> None:
    graph = FakeGraph()
    reply = [[[1, "n"]], [[[8, [7, [3], []]]]], STATS]
    assert fast_parse(reply, graph.schema) is None
    result = parse_compact(reply, graph.schema)
    assert graph.procedures == ["DB.LABELS"]
    assert result.rows[0][0].labels == ("D",)
    assert fast_parse(reply, graph.schema) == result  # known now


def test_error_replies_raise_as_the_client_does() -> None:
    graph = FakeGraph()
    with pytest.raises(ResponseError, match="boom"):
        parse_compact([ResponseError("boom")], graph.schema)
    with pytest.raises(ResponseError, match="late"):
        parse_compact([[[1, "n"]], [[[3, 1]]], ResponseError("late")], graph.schema)


def test_undecoded_replies_go_to_the_client() -> None:
    graph = FakeGraph()
    reply = [[[1, b"n"]], [[[2, b"x"]]], STATS]
    assert fast_parse(reply, graph.schema) is None
    assert parse_compact(reply, graph.schema) == neutral_result(ClientResult(graph, reply))
