"""Where revisions live and which graph they go to: ``[tool.runic.migrate]`` in
``pyproject.toml`` (or the same keys in ``runic-migrate.toml``), with the URL
overridable by ``RUNIC_MIGRATE_URL`` (a deployment's secret) or ``--url``.

.. code-block:: toml

   [tool.runic.migrate]
   directory = "migrations"               # the revision files
   url = "falkordb://localhost:6379/app"  # any create_driver URL
   options = { socket_timeout = 5 }       # create_driver options
   models = ["myapp.models"]              # for revision --autogenerate
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runic.migrate.errors import MigrationError

OWN_FILE = "runic-migrate.toml"
URL_VARIABLE = "RUNIC_MIGRATE_URL"


@dataclass
class Config:
    directory: Path
    url: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    #: Modules declaring the models, imported by ``revision --autogenerate``.
    models: list[str] = field(default_factory=list)
    #: The file the settings came from (None: defaults).
    source: Path | None = None

    def driver_options(self) -> dict[str, Any]:
        options = dict(self.options)
        if isinstance(options.get("auth"), list):  # TOML has no tuples
            options["auth"] = tuple(options["auth"])
        return options


def find_config(start: Path | None = None) -> Config:
    """The settings of the nearest ``pyproject.toml`` with ``[tool.runic.migrate]`` (or
    ``runic-migrate.toml``) at or above ``start``; defaults when there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        own = folder / OWN_FILE
        if own.is_file():
            return _config(_read(own), own)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            section = _read(pyproject).get("tool", {}).get("runic", {}).get("migrate")
            if section is not None:
                return _config(section, pyproject)
    return Config(directory=here / "migrations", url=os.environ.get(URL_VARIABLE))


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise MigrationError(f"{path}: not valid TOML: {error}") from error


def _config(section: dict[str, Any], source: Path) -> Config:
    unknown = sorted(set(section) - {"directory", "url", "options", "models"})
    if unknown:
        raise MigrationError(f"{source}: unknown migration settings {unknown}")
    options = section.get("options", {})
    if not isinstance(options, dict):
        raise MigrationError(f"{source}: `options` is a table of create_driver options")
    return Config(
        directory=(source.parent / str(section.get("directory", "migrations"))).resolve(),
        url=os.environ.get(URL_VARIABLE) or section.get("url"),
        options=options,
        models=[str(name) for name in section.get("models", [])],
        source=source,
    )
