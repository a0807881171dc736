"""The distribution as a user gets it: ``pip install runic-ogm`` into a clean venv (here,
the wheel built from this checkout, with its dependencies from the package index) runs
the quickstart, away from the checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_clean_venv_installs_the_wheel_and_runs_the_quickstart(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, ROOT, cwd=tmp_path
    )
    (wheel,) = dist.glob("runic_ogm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "runic/py.typed" in names and "runic/testing.py" in names
    assert not [name for name in names if name.startswith(("tests/", "examples/"))]

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path)

    app = tmp_path / "app"
    app.mkdir()
    shutil.copy(ROOT / "examples" / "quickstart.py", app)
    result = run(python, "quickstart.py", cwd=app)
    assert "Published: ['Cypher in practice', 'Hello graphs']" in result.stdout
    assert "{'n.city': 'Berlin', 'total': 2}" in result.stdout

    where = run(python, "-c", "import runic.ogm; print(runic.ogm.__file__)", cwd=app)
    assert Path(where.stdout.strip()).is_relative_to(venv)
    installed = run(python, "-m", "pip", "list", "--format=freeze", cwd=app).stdout.lower()
    assert "runic-ogm==" in installed and "falkordblite==" in installed
    # Only what the quickstart needs: no test, lint or docs tools, no Bolt or AGE client.
    for extra in ("pytest", "mypy", "sphinx", "neo4j", "psycopg", "pydantic"):
        assert f"\n{extra}==" not in f"\n{installed}", extra
