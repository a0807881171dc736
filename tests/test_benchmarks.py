"""The benchmark still runs: every workload, at 1% of its size, prints a ratio."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The rows of benchmarks/run.py at --scale 0.01 (the sizes are part of the names).
WORKLOADS = [
    "commit 100 nodes + 100 edges",
    "commit 1,000 nodes + 1,000 edges",
    "get() x10 in one session",
    "get() x80 in one session",
    "get() x10, a session per get",
    "async get() x10, sequential",
    "async get() x10, 32 concurrent sessions",
    "10 queries in a session holding 100 entities",
    "load 100 nodes into entities",
    "update 100 loaded entities, commit",
    "update(...).values(...) over 100 nodes",
    "get(fetch=[2 relations]) x10, 10 each",
]
CURVE_SIZES = ["5", "10", "20", "40", "80"]
SMALLEST = ("--scale", "0.01", "--rounds", "1")
RATIO = re.compile(r"\d+\.\d\dx")


def bench(*arguments: str) -> subprocess.CompletedProcess[str]:
    """benchmarks/run.py at its smallest, which must succeed."""
    result = subprocess.run(
        [sys.executable, "benchmarks/run.py", *SMALLEST, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_benchmark_runs_every_workload() -> None:
    result = bench()
    lines = result.stdout.splitlines()
    for name in WORKLOADS:
        row = [line for line in lines if line.startswith(f"{name} ")]
        assert len(row) == 1, f"no row for {name!r} in:\n{result.stdout}"
        assert RATIO.search(row[0]), f"no ratio in {row[0]!r}"
    budgeted = [line for line in lines if "≤" in line]
    assert len(budgeted) == 9, "nine rows have a budget"
    assert all(re.search(r"≤\d\.\d\dx +(yes|NO) ", line) for line in budgeted), budgeted
    curve = lines[next(i for i, line in enumerate(lines) if "gets held" in line) :]
    for size in CURVE_SIZES:
        assert any(line.split()[:1] == [size] and RATIO.search(line) for line in curve), size
    if importlib.util.find_spec("falkordb_orm") is None:
        assert "not installed (scripts/bench)" in result.stdout


@pytest.mark.parametrize("name", ["arcadedb", "age"])
def test_the_other_backends_have_async_rows(name: str) -> None:
    """On ArcadeDB and AGE the async rows run against the raw async client (neo4j's
    AsyncDriver; psycopg's async pool); ``--only`` runs just them."""
    result = bench("--backend", name, "--only", "async")
    rows = [line for line in result.stdout.splitlines() if RATIO.search(line)]
    assert [row.split("  ")[0] for row in rows] == [
        row for row in WORKLOADS if row.startswith("async")
    ], result.stdout
    assert "session-size curve" not in result.stdout
