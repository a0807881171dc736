"""The ``runic-migrate`` command, as a user runs it: settings in pyproject.toml, init,
revision, upgrade, current, history, downgrade, upgrade again, on embedded FalkorDB."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runic.migrate.writer import write_revision
from tests.backends import age_url, arcadedb_options
from tests.docs_blocks import block_containing, block_of_kind

#: The walkthrough's commands and its revision file, as docs/migrations.rst shows them.
WALKTHROUGH = [
    shlex.split(line.removeprefix("$ runic-migrate "))
    for line in block_of_kind("migrations.rst", "console").splitlines()
    if line.startswith("$ runic-migrate ")
]
REVISION = block_containing("migrations.rst", "def upgrade(op: Operations)")


#: The console script, as users run it: its ``sys.path`` lacks the project's directory.
COMMAND = str(Path(sys.executable).parent / "runic-migrate")


def cli(project: Path, *arguments: str) -> str:
    result = subprocess.run(
        [COMMAND, *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_walkthrough(falkordb_server: Any, graph_name: str, tmp_path: Path) -> None:
    socket = falkordb_server.client.socket_file
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "walk"\n\n[tool.runic.migrate]\ndirectory = "migrations"\n'
        f'url = "falkordb+unix://{socket}?graph={graph_name}"\n'
    )
    graph = falkordb_server.select_graph(graph_name)
    graph.query("UNWIND range(1, 30) AS i CREATE (:Walker {name: 'w' + toString(i)})")

    assert [command[0] for command in WALKTHROUGH] == [
        "init",
        "revision",
        "history",
        "upgrade",
        "current",
        "downgrade",
        "upgrade",
    ]
    outputs = []
    for command in WALKTHROUGH:
        outputs.append(cli(tmp_path, *command))
        if command[0] == "revision":  # the user fills in the file it wrote
            (path,) = (tmp_path / "migrations").glob("w1_*.py")
            assert path.name == "w1_walkers_have_full_names.py"
            path.write_text(REVISION)
        if command[0] == "upgrade":
            renamed = graph.query("MATCH (w:Walker) RETURN count(w.full_name), count(w.name)")
            assert renamed.result_set == [[30, 0]]
        if command[0] == "downgrade":
            back = graph.query("MATCH (w:Walker) RETURN count(w.full_name), count(w.name)")
            assert back.result_set == [[0, 30]]
    init, revision, history, first, current, down, again = outputs
    assert "revisions directory" in init and "w1_walkers_have_full_names.py" in revision
    assert history.startswith("pending  w1: Walkers have full names")
    assert "upgrade w1: Walkers have full names" in first
    assert "applied 1 revision(s): w1" in first and "applied 1 revision(s): w1" in again
    assert current.strip() == "w1: Walkers have full names"
    assert "undid 1 revision(s): w1" in down
    print(
        "".join(
            f"$ runic-migrate {' '.join(c)}\n{o}" for c, o in zip(WALKTHROUGH, outputs, strict=True)
        )
    )

    failed = subprocess.run(
        [sys.executable, "-m", "runic.migrate", "downgrade", "nope"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert failed.returncode == 1 and "no revision 'nope'" in failed.stderr
    graph.delete()


MODELS = """
from runic.ogm import Field, Node


class Product(Node):
    sku: str = Field(primary_key=True)
    name: str = Field(index=True)
"""


def test_revision_autogenerate(falkordb_server: Any, graph_name: str, tmp_path: Path) -> None:
    socket = falkordb_server.client.socket_file
    (tmp_path / "pyproject.toml").write_text(
        '[tool.runic.migrate]\nmodels = ["shop"]\n'
        f'url = "falkordb+unix://{socket}?graph={graph_name}"\n'
    )
    (tmp_path / "shop.py").write_text(MODELS)
    cli(tmp_path, "init")
    cli(tmp_path, "revision", "-m", "shop schema", "--autogenerate", "--rev-id", "s1")
    written = (tmp_path / "migrations" / "s1_shop_schema.py").read_text()
    assert "op.create_index('Product', 'name')" in written
    assert "op.create_unique('Product', 'sku')" in written
    assert "op.drop_index('Product', 'name')" in written  # in downgrade
    assert "applied 1 revision(s): s1" in cli(tmp_path, "upgrade")
    again = cli(tmp_path, "revision", "-m", "nothing", "--autogenerate", "--rev-id", "s2")
    assert "the graph's schema matches the models" in again
    falkordb_server.select_graph(graph_name).delete()


def test_baseline_of_a_graph_made_before_migrations(
    falkordb_server: Any, graph_name: str, tmp_path: Path
) -> None:
    socket = falkordb_server.client.socket_file
    (tmp_path / "pyproject.toml").write_text(
        '[tool.runic.migrate]\nmodels = ["shop"]\n'
        f'url = "falkordb+unix://{socket}?graph={graph_name}"\n'
    )
    (tmp_path / "shop.py").write_text(MODELS)
    graph = falkordb_server.select_graph(graph_name)
    graph.query("CREATE (:Product {sku: 'p1', name: 'Pen'})")
    graph.query("CREATE INDEX FOR (p:Product) ON (p.name)")
    cli(tmp_path, "init")
    assert "stamped it as applied" in cli(tmp_path, "baseline", "--rev-id", "b0")
    written = (tmp_path / "migrations" / "b0_baseline.py").read_text()
    assert "op.create_index('Product', 'name')" in written
    assert cli(tmp_path, "current").strip() == "b0: baseline"
    assert "applied 0 revision(s)" in cli(tmp_path, "upgrade")
    graph.delete()


def deploy_target(request: pytest.FixtureRequest, name: str) -> tuple[str, dict[str, Any], Any]:
    """A URL and options another process can reach the backend with, and a driver here."""
    if name == "falkordb":
        from runic.ogm.driver.falkordb import FalkorDBDriver

        server, graph_name = request.getfixturevalue("falkordb_server"), "deployers"
        socket = server.client.socket_file
        driver = FalkorDBDriver(server.select_graph(graph_name))
        return f"falkordb+unix://{socket}?graph={graph_name}", {}, driver
    if name == "arcadedb":
        server = request.getfixturevalue("arcadedb_server")
        options = arcadedb_options()
        options["auth"] = list(options["auth"])
        return server.url, options, request.getfixturevalue("arcadedb_driver")
    return age_url(request.getfixturevalue("age_server")), {}, request.getfixturevalue("age_driver")


@pytest.mark.parametrize("name", ["falkordb", "arcadedb", "age"])
def test_two_deployer_processes(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Two ``runic-migrate upgrade`` processes at once: one migrates, the other finds the
    lock held and fails clearly (exit 1, the holder named); run again, it has nothing to
    do. Each revision is applied once."""
    url, options, driver = deploy_target(request, name)
    driver.execute("MATCH (n) DETACH DELETE n")
    driver.execute("UNWIND range(1, 300) AS i CREATE (:Shiftworker {name: 'w' + toString(i)})")
    settings = f'[tool.runic.migrate]\ndirectory = "migrations"\nurl = "{url}"\n'
    if options:
        settings += "options = " + toml_table(options) + "\n"
    (tmp_path / "pyproject.toml").write_text(settings)
    migrations = tmp_path / "migrations"
    # Recording r1 takes 4 s (its upgrade sleeps), all of it under the first lock taker's lock.
    write_revision(migrations, "slow start", (), revision="d1", upgrade=["time.sleep(4)"])
    path = next(migrations.glob("d1_*.py"))
    path.write_text("import time\n" + path.read_text())
    write_revision(
        migrations,
        "full names",
        ("d1",),
        revision="d2",
        upgrade=['op.rename_property("Shiftworker", "name", "full_name")'],
    )
    command = [COMMAND, "upgrade", "--lock-timeout", "1"]
    deployers = [
        subprocess.Popen(
            [*command, "--batch-size", "25"],
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = []
    for process in deployers:
        try:
            out, err = process.communicate(timeout=120)
        finally:
            process.kill()
        outcomes.append((process.returncode, out + err))
    outcomes.sort()
    (migrated, migrated_output), (refused, refused_output) = outcomes
    assert migrated == 0 and "applied 2 revision(s): d1, d2" in migrated_output, outcomes
    assert refused == 1 and "is migrating this graph; waited 1 s" in refused_output, outcomes
    again = cli(tmp_path, "upgrade")
    assert "applied 0" in again or "up to date" in again, again
    assert driver.execute("MATCH (r:RunicRevision) RETURN count(r)").rows == [[2]]
    counted = driver.execute("MATCH (w:Shiftworker) RETURN count(w.name), count(w.full_name)")
    assert counted.rows == [[0, 300]]
    driver.execute("MATCH (n) DETACH DELETE n")


def toml_table(options: dict[str, Any]) -> str:
    def value(item: Any) -> str:
        if isinstance(item, list):
            return "[" + ", ".join(value(part) for part in item) + "]"
        return json.dumps(item)

    return "{ " + ", ".join(f"{key} = {value(item)}" for key, item in options.items()) + " }"
