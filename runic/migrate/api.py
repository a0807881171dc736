"""The migration commands as functions, for a sync driver and (``async_*``) an async
one: a service can migrate at startup with the driver it already has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runic.migrate import runner
from runic.migrate.revisions import RevisionGraph
from runic.migrate.runner import Settings
from runic.ogm.schema import async_run_requests, run_requests


def _settings(driver: Any, options: dict[str, Any]) -> Settings:
    return Settings(driver.dialect, **options)


def upgrade(driver: Any, directory: str | Path, target: str = "head", **options: Any) -> list[str]:
    """Apply the revisions up to ``target`` (``head``, ``heads`` or a revision id); the
    ids applied, in order. ``options`` are ``runic.migrate.runner.Settings``'s: ``batch_size``,
    ``lock_timeout``, ``progress``, ``allow_edited``, ``announce``."""
    graph = RevisionGraph.load(Path(directory))
    return run_requests(driver, runner.upgrade(graph, target, _settings(driver, options)))


def downgrade(driver: Any, directory: str | Path, target: str, **options: Any) -> list[str]:
    """Undo revisions: down to ``target`` (kept), ``-N`` (the last N) or ``base``."""
    graph = RevisionGraph.load(Path(directory))
    return run_requests(driver, runner.downgrade(graph, target, _settings(driver, options)))


def stamp(driver: Any, directory: str | Path, target: str = "head", **options: Any) -> list[str]:
    """Record the revisions up to ``target`` as applied without running them."""
    graph = RevisionGraph.load(Path(directory))
    return run_requests(driver, runner.stamp(graph, target, _settings(driver, options)))


def current(driver: Any) -> dict[str, str]:
    """The applied revisions, each with its file's checksum when it was applied."""
    return run_requests(driver, runner.current())


async def async_upgrade(
    driver: Any, directory: str | Path, target: str = "head", **options: Any
) -> list[str]:
    graph = RevisionGraph.load(Path(directory))
    return await async_run_requests(
        driver, runner.upgrade(graph, target, _settings(driver, options))
    )


async def async_downgrade(
    driver: Any, directory: str | Path, target: str, **options: Any
) -> list[str]:
    graph = RevisionGraph.load(Path(directory))
    return await async_run_requests(
        driver, runner.downgrade(graph, target, _settings(driver, options))
    )


async def async_stamp(
    driver: Any, directory: str | Path, target: str = "head", **options: Any
) -> list[str]:
    graph = RevisionGraph.load(Path(directory))
    return await async_run_requests(driver, runner.stamp(graph, target, _settings(driver, options)))


async def async_current(driver: Any) -> dict[str, str]:
    return await async_run_requests(driver, runner.current())
