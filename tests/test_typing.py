"""User code type-checks: mypy --strict and pyright (strict) over the examples, the docs'
code and a typed-usage module pass with no error, and the mistakes in
``tests/typing/negative`` are each reported by both checkers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from tests.docs_blocks import code_blocks

ROOT = Path(__file__).resolve().parent.parent
TYPING = ROOT / "tests" / "typing"
NEGATIVE = sorted((TYPING / "negative").glob("*.py"))
PYRIGHT = Path(sys.executable).parent / "pyright"

#: What a docs fragment (a block with ``await`` or ``async with`` at its top level, as a
#: notebook cell has) is given: it is checked as the body of this coroutine.
FRAGMENT = """# pyright: reportUnusedImport=false, reportUnusedVariable=false
from falkordb.asyncio.graph import AsyncGraph
from runic.ogm.driver.falkordb import AsyncFalkorDBDriver


async def docs_fragment(
    driver: AsyncFalkorDBDriver, session: AsyncSession, async_graph_handle: AsyncGraph
) -> None:
"""

#: What each docs page's code blocks assume is already defined.
DOCS_PRELUDES = {
    "installation.rst": "",
    "models.rst": "",
    "queries.rst": "from runic.ogm import *\nfrom myapp.models import *\n",
    # The async guide's blocks, shown as the guide has them, leave names unused: the
    # placeholder in ``async with AsyncSession(driver) as session: ...``, an ``import pytest``.
    "async.rst": (
        "# pyright: reportUnusedImport=false, reportUnusedVariable=false\n"
        "from runic.ogm import *\nfrom myapp.models import *\n"
    ),
    "session.rst": "",
    "testing.rst": "",
    "migrations.rst": "",
    "scaling.rst": "",
}


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def docs_code(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The docs' Python code blocks as modules: one per block, after the page's prelude.

    The models page's declarations double as ``myapp.models``, which the other pages'
    blocks import as a user's project would.
    """
    directory = tmp_path_factory.mktemp("docs_code")
    package = directory / "myapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    models = [block for block in code_blocks("models.rst") if "class User(Node)" in block]
    assert len(models) == 1
    (package / "models.py").write_text(models[0])
    written = []
    for page, prelude in DOCS_PRELUDES.items():
        blocks = code_blocks(page)
        assert blocks, f"{page} has no Python code blocks"
        for number, block in enumerate(blocks):
            for part, module in enumerate(_files(block)):
                path = directory / f"{page.removesuffix('.rst')}_{number}_{part}.py"
                if _is_fragment(module):
                    module = FRAGMENT + textwrap.indent(module, "    ")
                path.write_text(prelude + module)
                written.append(path)
    readme = (ROOT / "README.md").read_text()
    for number, block in enumerate(re.findall(r"```python\n(.*?)```", readme, re.S)):
        path = directory / f"readme_{number}.py"
        path.write_text(block)
        written.append(path)
    return written


def _files(block: str) -> list[str]:
    """A block that shows several files (``# conftest.py``, then ``# test_x.py``), split."""
    parts = re.split(r"^(?=# \w+\.py$)", block, flags=re.M)
    return [part for part in parts if part.strip()]


def _is_fragment(block: str) -> bool:
    try:
        compile(block, "block", "exec", dont_inherit=True)
    except SyntaxError as error:
        return "outside" in str(error) and "function" in str(error)
    return False


def test_every_python_block_of_the_docs_is_code() -> None:
    for page in sorted(path.name for path in (ROOT / "docs").glob("*.rst")):
        for block in code_blocks(page):
            assert not block.lstrip().startswith(">>>"), f"{page}: a session is `pycon`"


def mypy_strict(*paths: str | Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", *paths)


def test_user_code_passes_mypy_strict(docs_code: list[Path]) -> None:
    result = mypy_strict("examples", TYPING / "typed_usage.py", *docs_code)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def _pyright_config(directory: Path) -> Path:
    """The project's pyright settings, for checking files outside the project (the docs'
    code): runic resolves from the project root, ``myapp`` from ``directory``."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pyright"]
    settings = {key: value for key, value in settings.items() if key != "include"}
    settings.update(venvPath=str(ROOT), extraPaths=[str(ROOT)])
    path = directory / "pyrightconfig.json"
    path.write_text(json.dumps(settings))
    return path


def test_user_code_passes_pyright_strict(docs_code: list[Path]) -> None:
    config = _pyright_config(docs_code[0].parent)
    result = run(
        PYRIGHT,
        "--outputjson",
        "-p",
        config,
        ROOT / "examples",
        TYPING / "typed_usage.py",
        *docs_code,
    )
    report = json.loads(result.stdout)
    problems = [d for d in report["generalDiagnostics"] if d["severity"] != "information"]
    assert problems == [], json.dumps(problems, indent=1)
    assert report["summary"]["filesAnalyzed"] >= 8 + len(docs_code)
    assert result.returncode == 0


def test_the_typed_usage_module_runs() -> None:
    """Its declarations and statements are real code, valid at runtime too."""
    result = run(sys.executable, "-c", "import tests.typing.typed_usage")
    assert result.returncode == 0, result.stderr


def test_nothing_silences_the_checkers() -> None:
    checked = [*sorted((ROOT / "examples").glob("*.py")), TYPING / "typed_usage.py"]
    for path in checked:
        text = path.read_text()
        assert "type: ignore" not in text and "pyright: ignore" not in text, path.name
        assert "cast(" not in text and "# pyright:" not in text, path.name


# -- negative cases ---------------------------------------------------------------

_EXPECT = re.compile(r"#\s*expect:\s*mypy\[([\w-]+)\]\s+pyright\[(\w+)\]")


def _expected(checker: int) -> dict[tuple[str, int], str]:
    """``(file name, line) -> error code`` from the ``# expect:`` markers."""
    expected = {}
    for path in NEGATIVE:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                expected[(path.name, number)] = match.group(checker)
    assert expected, "no negative cases found"
    return expected


def _compare(
    expected: dict[tuple[str, int], str], reported: dict[tuple[str, int], set[str]]
) -> None:
    missed = {place: code for place, code in expected.items() if code not in reported[place]}
    unexpected = {place: codes for place, codes in reported.items() if place not in expected}
    assert not missed, f"expected errors not reported: {missed}\nreported: {dict(reported)}"
    assert not unexpected, f"errors on lines that expect none: {unexpected}"


def test_mypy_reports_each_mistake() -> None:
    result = mypy_strict("--show-error-codes", *NEGATIVE)
    reported: dict[tuple[str, int], set[str]] = defaultdict(set)
    for match in re.finditer(r"^(.+?\.py):(\d+): error: .*\[([\w-]+)\]$", result.stdout, re.M):
        reported[(Path(match.group(1)).name, int(match.group(2)))].add(match.group(3))
    assert result.returncode == 1, result.stdout + result.stderr
    _compare(_expected(1), reported)


def test_pyright_reports_each_mistake() -> None:
    result = run(PYRIGHT, "--outputjson", *NEGATIVE)
    reported: dict[tuple[str, int], set[str]] = defaultdict(set)
    for diagnostic in json.loads(result.stdout)["generalDiagnostics"]:
        if diagnostic["severity"] == "error":
            place = (Path(diagnostic["file"]).name, diagnostic["range"]["start"]["line"] + 1)
            reported[place].add(diagnostic.get("rule", "?"))
    assert result.returncode == 1
    _compare(_expected(2), reported)
