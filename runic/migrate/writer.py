"""New revision files: ``revision`` and ``merge`` write them from this template."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

from runic.migrate.errors import MigrationError

TEMPLATE = '''"""{message}

Revision {revision}{after}, written {written}.
"""

from runic.migrate import Operations

revision = "{revision}"
down_revision = {down!r}
message = {message!r}


def upgrade(op: Operations) -> None:
{upgrade}


def downgrade(op: Operations) -> None:
{downgrade}
'''


def write_revision(
    directory: Path,
    message: str,
    down: tuple[str, ...],
    *,
    revision: str | None = None,
    upgrade: list[str] | None = None,
    downgrade: list[str] | None = None,
) -> Path:
    """Write ``<id>_<slug>.py`` with the given operation lines; its path."""
    if not message.strip():
        raise MigrationError("a revision needs a message (-m)")
    revision = revision or uuid.uuid4().hex[:12]
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")[:40] or "revision"
    path = directory / f"{revision}_{slug}.py"
    down_value: str | tuple[str, ...] | None = (
        None if not down else down[0] if len(down) == 1 else tuple(down)
    )
    text = TEMPLATE.format(
        message=message.strip(),
        revision=revision,
        after=f", after {', '.join(down)}" if down else "",
        written=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        down=down_value,
        upgrade=_body(upgrade),
        downgrade=_body(downgrade),
    )
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _body(lines: list[str] | None) -> str:
    return "\n".join(f"    {line}" for line in lines) if lines else "    pass"
