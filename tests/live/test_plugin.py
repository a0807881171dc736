"""runic's pytest plugin (``pytest_plugins = ["runic.testing"]``), run by pytest itself on
a project that uses it (issue 16)."""

from __future__ import annotations

from typing import Any

USER_TESTS = """
import pytest
from runic.ogm import Field, Mapped, Node, select


class Task(Node):
    id: Mapped[str] = Field(primary_key=True)
    done: Mapped[bool] = Field(default=False)


def test_sync_one(runic_session):
    runic_session.add(Task(id="a"))
    runic_session.commit()
    assert runic_session.count(select(Task)) == 1


def test_sync_two_sees_a_fresh_graph(runic_session):
    assert runic_session.count(select(Task)) == 0


@pytest.mark.asyncio
async def test_async(runic_async_session):
    runic_async_session.add(Task(id="b", done=True))
    await runic_async_session.commit()
    assert await runic_async_session.count(select(Task).where(Task.done == True)) == 1


def test_the_server_is_shared(runic_falkordb, runic_graph):
    assert runic_graph.name.startswith("runic_test_")
"""


def test_the_plugin_gives_each_test_a_fresh_graph_on_one_server(pytester: Any) -> None:
    pytester.makeconftest('pytest_plugins = ["runic.testing"]\n')
    pytester.makeini("[pytest]\nasyncio_mode = strict\n")
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
