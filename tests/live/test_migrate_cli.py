"""The ``runic-migrate`` command, as a user runs it: settings in pyproject.toml, init,
revision, upgrade, current, history, downgrade, upgrade again, on embedded FalkorDB."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.docs_blocks import block_containing, block_of_kind

#: The walkthrough's commands and its revision file, as docs/migrations.rst shows them.
WALKTHROUGH = [
    shlex.split(line.removeprefix("$ runic-migrate "))
    for line in block_of_kind("migrations.rst", "console").splitlines()
    if line.startswith("$ runic-migrate ")
]
REVISION = block_containing("migrations.rst", "def upgrade(op: Operations)")


def cli(project: Path, *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "runic.migrate", *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_walkthrough(falkordb_server: Any, graph_name: str, tmp_path: Path) -> None:
    assert (Path(sys.executable).parent / "runic-migrate").exists()  # the console script
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
