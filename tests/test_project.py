"""The docs build, the examples run, and the code passes mypy --strict and ruff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    result = run(
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        "docs",
        str(tmp_path / "html"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "html" / "models.html").exists()


def test_there_are_examples() -> None:
    assert EXAMPLES, "examples/ holds no scripts"


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(example: Path) -> None:
    result = run(sys.executable, str(example))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip(), f"{example.name} printed nothing"


def test_quickstart_prints_the_expected_results() -> None:
    result = run(sys.executable, "examples/quickstart.py")
    assert "Published: ['Cypher in practice', 'Hello graphs']" in result.stdout
    assert "{'n.city': 'Berlin', 'total': 2}" in result.stdout


def test_session_tour_prints_the_expected_results() -> None:
    result = run(sys.executable, "examples/sessions.py")
    assert (
        "queries: 2 | sent: {'b0': [{'key': 'ada', 'changes': {'tags': ['admin']}}]}"
        in result.stdout
    )
    assert "members: [('Ada', 1), ('Bob', 0)]" in result.stdout
    assert "Ada follows Bob since 2024-01-01" in result.stdout
    assert "refused: Member(id='eve'" in result.stdout
    assert "held: Ada" in result.stdout and "expired: Ada L. | queries: 3" in result.stdout
    assert "again: True" in result.stdout


def test_async_tour_prints_the_expected_results() -> None:
    result = run(sys.executable, "examples/async_tour.py")
    out = result.stdout
    assert "renamed: Ada Lovelace" in out
    assert "lazy: Author.posts is not loaded" in out and "fetch=['posts']" in out
    assert "posts: ['Note 1', 'Note 2', 'Note 3']" in out
    assert "detached: DetachedEntityError" in out
    assert "published: ['Note 3', 'Note 1'] 2" in out
    assert "per region: [('eu', 1), ('us', 1)]" in out
    assert "repository: ['ada', 'bob'] 2 True ['ada']" in out
    assert out.count("hit: Note") == 2 and "hit: Note 2" not in out
    assert "requests served: 20 authors now: 22" in out
    assert "streamed: {'eu': 21, 'us': 1}" in out
    assert "from sync code: 22" in out and "inside a running loop: 22" in out


def test_schema_tour_prints_the_expected_results() -> None:
    out = run(sys.executable, "examples/schema.py").stdout
    assert "+ unique Customer.email" in out and "+ index Customer.country" in out
    assert "+ vector Customer.taste (dimension=4, similarityFunction=cosine)" in out
    assert "created: 7" in out and "second run: schema up to date" in out
    assert "- index Customer.legacy_code" in out
    assert "refused: Customer email" in out


def test_search_tour_prints_the_expected_results() -> None:
    out = run(sys.executable, "examples/search.py").stdout
    assert sorted(
        line.split(" 0.")[0] for line in out.splitlines() if line.startswith("lemon:")
    ) == [
        "lemon: Lemon chicken",
        "lemon: Lemon tart",
    ]
    assert "french lemon: ['Lemon tart']" in out
    assert "sweetest: [('Lemon tart', 0.2), ('Salted caramel', 0.29)]" in out
    assert "sourest: ['Lemon chicken']" in out
    assert "refused: vector_search(): Recipe.title has no vector index" in out


def test_concurrency_tour_prints_the_expected_results() -> None:
    out = run(sys.executable, "examples/concurrency.py").stdout
    assert "stale: alice read 1 stored 2" in out
    assert "duplicate: id Account(id='bob', balance=0, version=1)" in out
    assert "balances: 10 100 total: 110" in out


def test_bulk_tour_prints_the_expected_results() -> None:
    out = run(sys.executable, "examples/bulk.py").stdout
    assert "woken: 4 bumped: 10 m0 now: True 1" in out
    assert "removed: 2 left: 8" in out
    assert "ingested: 2500 linked: 2" in out
    assert "merged: 100 m42@example.com" in out
    assert "get_or_create: m99 True True False" in out
    assert "average logins: 13.4 newest: m99" in out
    assert "'m0': [], 'm1': ['Early bird', 'Helper']" in out.replace(
        "['Helper', 'Early bird']", "['Early bird', 'Helper']"
    )


def test_mypy_strict() -> None:
    result = run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff() -> None:
    result = run(
        sys.executable,
        "-m",
        "ruff",
        "check",
        "runic",
        "tests",
        "examples",
        "benchmarks",
        "conftest.py",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_queries_tour_prints_the_expected_results() -> None:
    out = run(sys.executable, "examples/queries.py").stdout
    assert "names: ['Ada', 'Bob'] pairs: [('Ada', 36), ('Bob', 17)]" in out
    assert "per author: [{'name': 'Ada', 'books': 2}]" in out
    assert "labels: [('ada', 'Countess', 'adult', 3), ('bob', 'Bob', 'minor', 3)]" in out
    assert "works at home: ['ada'] found: ['bob']" in out
    assert "over 10: ['Ada', 'Bob']" in out and "over 30: ['Ada']" in out
    assert "late books: ['Letters']" in out
    assert "books per person: [('ada', 2), ('bob', 0), ('cy', 0)]" in out
    assert "mentors of cy: ['ada', 'bob']" in out
    assert "first's books: ['Letters', 'Notes']" in out
    assert "refused: scalars(): the statement's param('age') has no value" in out
    assert "queries sent: 2" in out  # the refused run sent nothing


def test_fastapi_service_prints_the_expected_results() -> None:
    out = run(sys.executable, "examples/fastapi_service.py").stdout
    assert "created: 201 Ada" in out and "duplicate email: 409" in out
    assert "found: 200 ['Notes']" in out and "missing: 404" in out
