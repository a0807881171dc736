"""``runic-migrate`` (or ``python -m runic.migrate``): the migration commands.

``init``, ``revision -m MSG``, ``merge -m MSG``, ``upgrade [TARGET]``,
``downgrade TARGET``, ``current``, ``history``, ``heads``, ``stamp TARGET``. Settings
come from ``[tool.runic.migrate]`` (see :mod:`runic.migrate.config`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from runic.migrate import api
from runic.migrate.autogen import baseline_operations, diff_operations, import_models
from runic.migrate.config import OWN_FILE, Config, find_config
from runic.migrate.errors import MigrationError
from runic.migrate.revisions import Revision, RevisionGraph
from runic.migrate.writer import write_revision
from runic.ogm.exceptions import RunicError

SECTION = """
[tool.runic.migrate]
directory = "{directory}"
url = "falkordb://localhost:6379/app"  # any create_driver URL; RUNIC_MIGRATE_URL overrides
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        config = find_config()
        if arguments.directory:
            config.directory = Path(arguments.directory).resolve()
        if getattr(arguments, "url", None):
            config.url = arguments.url
        result: int = arguments.command(arguments, config)
        return result
    except RunicError as error:
        print(f"runic-migrate: {error}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="runic-migrate", description=__doc__)
    parser.add_argument("--directory", help="the revisions directory (overrides the settings)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, function: Any, help: str, *, graph: bool = False) -> Any:
        sub = commands.add_parser(name, help=help)
        sub.set_defaults(command=function)
        if graph:
            sub.add_argument("--url", help="the graph's URL (overrides the settings)")
        return sub

    command("init", _init, "make the revisions directory and the settings")
    sub = command("revision", _revision, "write a new, empty revision")
    sub.add_argument("-m", "--message", required=True)
    sub.add_argument("--rev-id", help="the revision id (default: random)")
    sub.add_argument(
        "--autogenerate",
        action="store_true",
        help="fill it with the schema changes the models need (settings: models, url)",
    )
    sub.add_argument("--url", help="the graph's URL, for --autogenerate")
    sub = command(
        "baseline",
        _baseline,
        "write a revision making what the models declare, and stamp it as applied "
        "(a graph made before migrations)",
        graph=True,
    )
    sub.add_argument("-m", "--message", default="baseline")
    sub.add_argument("--rev-id", help="the revision id (default: random)")
    sub = command("merge", _merge, "write a revision joining every head")
    sub.add_argument("-m", "--message", required=True)
    command("heads", _heads, "the revisions nothing follows yet")
    sub = command("history", _history, "every revision, oldest first, and which are applied")
    sub.add_argument("--url", help="the graph's URL, to mark what is applied")
    command("current", _current, "the revisions applied to the graph", graph=True)
    for name, function, help in (
        ("upgrade", _upgrade, "apply revisions up to TARGET (head, heads or an id)"),
        ("downgrade", _downgrade, "undo revisions down to TARGET (an id, -N or base)"),
        ("stamp", _stamp, "record revisions up to TARGET as applied, running nothing"),
    ):
        sub = command(name, function, help, graph=True)
        sub.add_argument("target", nargs="?" if name != "downgrade" else None, default="head")
        sub.add_argument(
            "--allow-edited",
            action="store_true",
            help="go on although an applied revision's file changed since",
        )
        sub.add_argument(
            "--lock-timeout",
            type=float,
            default=60.0,
            help="seconds to wait for another deployer (default 60)",
        )
        if name != "stamp":
            sub.add_argument("--batch-size", type=int, help="nodes per query in data operations")
    return parser


def _init(arguments: argparse.Namespace, config: Config) -> int:
    directory = config.directory
    directory.mkdir(parents=True, exist_ok=True)
    print(f"revisions directory: {directory}")
    if config.source is None:
        pyproject = Path.cwd() / "pyproject.toml"
        target = pyproject if pyproject.is_file() else Path.cwd() / OWN_FILE
        relative = (
            directory.relative_to(Path.cwd()) if directory.is_relative_to(Path.cwd()) else directory
        )
        text = SECTION.format(directory=relative.as_posix())
        if target.name == OWN_FILE:
            text = text.replace("[tool.runic.migrate]\n", "")
        with target.open("a", encoding="utf-8") as file:
            file.write(text)
        print(f"settings written to {target.name}: set url to your graph")
    return 0


def _revision(arguments: argparse.Namespace, config: Config) -> int:
    upgrade: list[str] | None = None
    downgrade: list[str] | None = None
    if arguments.autogenerate:
        if arguments.url:
            config.url = arguments.url
        models = _models(config, "--autogenerate")
        upgrade, downgrade = _with_driver(config, diff_operations, models)
        if not upgrade:
            print("the graph's schema matches the models: the revision is empty")
    print(f"wrote {_write_after_head(arguments, config, upgrade, downgrade)}")
    return 0


def _baseline(arguments: argparse.Namespace, config: Config) -> int:
    models = _models(config, "baseline")

    def write_and_stamp(driver: Any) -> Path:
        upgrade, downgrade = baseline_operations(driver.dialect, models)
        path = _write_after_head(arguments, config, upgrade, downgrade)
        api.stamp(driver, config.directory, "heads")
        return path

    path = _with_driver(config, write_and_stamp)
    print(f"wrote {path} and stamped it as applied")
    return 0


def _models(config: Config, command: str) -> list[Any]:
    if not config.models:
        raise MigrationError(f"{command}: list the models' modules in `models`")
    root = config.source.parent if config.source is not None else Path.cwd()
    return import_models(config.models, root)


def _write_after_head(
    arguments: argparse.Namespace,
    config: Config,
    upgrade: list[str] | None,
    downgrade: list[str] | None,
) -> Path:
    """A new revision after the one head (refused while there are several)."""
    heads = tuple(_graph(config).heads)
    if len(heads) > 1:
        raise MigrationError(f"{len(heads)} heads ({', '.join(heads)}): run `merge` first")
    return write_revision(
        config.directory,
        arguments.message,
        heads,
        revision=arguments.rev_id,
        upgrade=upgrade,
        downgrade=downgrade,
    )


def _merge(arguments: argparse.Namespace, config: Config) -> int:
    heads = tuple(_graph(config).heads)
    if len(heads) < 2:
        raise MigrationError("there is one head: nothing to merge")
    path = write_revision(config.directory, arguments.message, heads)
    print(f"wrote {path}, after {', '.join(heads)}")
    return 0


def _heads(arguments: argparse.Namespace, config: Config) -> int:
    graph = _graph(config)
    for head in graph.heads:
        print(_line(graph.by_id[head]))
    return 0


def _history(arguments: argparse.Namespace, config: Config) -> int:
    graph = _graph(config)
    applied: dict[str, str] = {}
    if arguments.url:
        config.url = arguments.url
    if config.url:
        applied = _with_driver(config, api.current)
    for revision in graph.order:
        mark = "applied" if revision.id in applied else "pending"
        print(f"{mark:8} {_line(revision)}")
    return 0


def _current(arguments: argparse.Namespace, config: Config) -> int:
    applied = _with_driver(config, api.current)
    graph = _graph(config)
    if not applied:
        print("nothing applied")
    for revision_id in applied:
        revision = graph.by_id.get(revision_id)
        print(_line(revision) if revision else f"{revision_id} (not in {config.directory})")
    return 0


def _upgrade(arguments: argparse.Namespace, config: Config) -> int:
    done = _with_driver(
        config, api.upgrade, config.directory, arguments.target, **_run_options(arguments)
    )
    print(f"applied {len(done)} revision(s){': ' + ', '.join(done) if done else ''}")
    return 0


def _downgrade(arguments: argparse.Namespace, config: Config) -> int:
    done = _with_driver(
        config, api.downgrade, config.directory, arguments.target, **_run_options(arguments)
    )
    print(f"undid {len(done)} revision(s){': ' + ', '.join(done) if done else ''}")
    return 0


def _stamp(arguments: argparse.Namespace, config: Config) -> int:
    done = _with_driver(
        config,
        api.stamp,
        config.directory,
        arguments.target,
        allow_edited=arguments.allow_edited,
        lock_timeout=arguments.lock_timeout,
    )
    print(f"stamped {len(done)} revision(s) as applied")
    return 0


def _run_options(arguments: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {
        "allow_edited": arguments.allow_edited,
        "lock_timeout": arguments.lock_timeout,
        "announce": lambda direction, revision: print(f"{direction} {_line(revision)}"),
        "progress": _progress_printer(),
    }
    if arguments.batch_size:
        options["batch_size"] = arguments.batch_size
    return options


def _progress_printer() -> Any:
    """A progress line redrawn in place on a terminal; a log line per batch otherwise."""
    terminal = sys.stderr.isatty()

    def progress(operation: str, changed: int) -> None:
        if terminal:
            print(f"\r  {operation}: {changed:,} nodes", end="", file=sys.stderr, flush=True)
        else:
            print(f"  {operation}: {changed:,} nodes so far", file=sys.stderr)

    return progress


def _with_driver(config: Config, function: Any, *args: Any, **kwargs: Any) -> Any:
    if not config.url:
        raise MigrationError(
            "no graph URL: set url in [tool.runic.migrate], RUNIC_MIGRATE_URL, or --url"
        )
    from runic.ogm.driver import create_driver

    driver = create_driver(config.url, **config.driver_options())
    try:
        return function(driver, *args, **kwargs)
    finally:
        driver.close()


def _graph(config: Config) -> RevisionGraph:
    return RevisionGraph.load(config.directory)


def _line(revision: Revision) -> str:
    after = f" (after {', '.join(revision.down)})" if revision.down else ""
    return f"{revision.id}{after}: {revision.message}"
