"""The async guide's code blocks as the docs show them, and a way to run one.

``guide.rst`` is the async guide, the user contract, as it was given to the project.
Every one of its code blocks must appear in ``docs/async.rst`` (line for line, in
order; the docs may add lines such as ``assert user is not None`` for type checkers,
and annotate the test fixture's signatures), and every block of the docs page is run
by a test of this package. The markers below name each docs block by a line unique to it.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import runic.ogm
from tests.docs_blocks import block_containing
from tests.models import Article, User

GUIDE = Path(__file__).with_name("guide.rst")
PAGE = "async.rst"

OPENING = 'FalkorDB(host="localhost", port=6379)'
EVERY_BACKEND = 'create_async_driver("postgresql://'
TRANSACTION = "async with session.begin():"
LAZY = "# BAD — accessing .articles"
CRUD = "# Create"
QUERYING = "select(Article)"
AGGREGATE = 'count("*").as_("total")'
BUILDER = "session.query(User)"
REPOSITORY = "repo = AsyncRepository(session, User)"
SUBCLASS = "class UserRepository"
MANAGER = "AsyncConnectionManager(async_graph_handle)"
TESTING = "# conftest.py"

#: One marker per code block of docs/async.rst, each run by a test of this package.
MARKERS = (
    OPENING,
    EVERY_BACKEND,
    TRANSACTION,
    LAZY,
    CRUD,
    QUERYING,
    AGGREGATE,
    BUILDER,
    REPOSITORY,
    SUBCLASS,
    MANAGER,
    TESTING,
)

#: Guide lines the docs annotate, so that the page passes mypy --strict and pyright.
ANNOTATED = {
    "async def async_driver():": (
        "async def async_driver() -> AsyncIterator[AsyncFalkorDBDriver]:"
    ),
    "async def test_create_user(async_driver):": (
        "async def test_create_user(async_driver: AsyncFalkorDBDriver) -> None:"
    ),
}


def docs_block(marker: str) -> str:
    return block_containing(PAGE, marker)


def namespace(**names: Any) -> dict[str, Any]:
    """What the page's blocks assume: runic.ogm's names and the User/Article models."""
    scope: dict[str, Any] = {"__name__": "docs_async"}
    scope.update((name, getattr(runic.ogm, name)) for name in runic.ogm.__all__)
    scope.update(User=User, Article=Article, **names)
    return scope


async def run(block: str, scope: dict[str, Any]) -> dict[str, Any]:
    """Run a block as a notebook cell would: top-level ``await`` and ``async with``
    allowed, names left in ``scope``."""
    code = compile(
        block, f"docs/{PAGE}", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    result = eval(code, scope)
    if inspect.iscoroutine(result):
        await result
    return scope
