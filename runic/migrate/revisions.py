"""Revision scripts: Python files with ``upgrade(op)`` and ``downgrade(op)``, chained by
``down_revision`` into a graph of revisions (several heads until a merge joins them)."""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from runic.migrate.errors import MigrationError

_REVISION_ID = re.compile(r"^[A-Za-z0-9_]{1,64}$")


@dataclass(frozen=True)
class Revision:
    """One revision script."""

    id: str
    #: The revisions this one follows: none for a first revision, two or more for a merge.
    down: tuple[str, ...]
    message: str
    path: Path
    #: sha256 of the file's text: an applied revision whose file changed is reported.
    checksum: str
    upgrade: Callable[[Any], Any]
    downgrade: Callable[[Any], Any]


def checksum(text: str) -> str:
    return hashlib.sha256(text.replace("\r\n", "\n").encode()).hexdigest()


def load_revision(path: Path) -> Revision:
    text = path.read_text(encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"runic_revision_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise MigrationError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        raise MigrationError(f"{path}: the revision does not import: {error!r}") from error
    return Revision(
        id=_text(module, path, "revision"),
        down=_down(module, path),
        message=str(getattr(module, "message", "") or ""),
        path=path,
        checksum=checksum(text),
        upgrade=_function(module, path, "upgrade"),
        downgrade=_function(module, path, "downgrade"),
    )


def _text(module: ModuleType, path: Path, name: str) -> str:
    value = getattr(module, name, None)
    if not isinstance(value, str) or not _REVISION_ID.match(value):
        raise MigrationError(
            f"{path}: `{name}` must be a revision id (letters, digits, _), got {value!r}"
        )
    return value


def _down(module: ModuleType, path: Path) -> tuple[str, ...]:
    value = getattr(module, "down_revision", None)
    values = (value,) if isinstance(value, str) else tuple(value or ())
    for item in values:
        if not isinstance(item, str) or not _REVISION_ID.match(item):
            raise MigrationError(f"{path}: `down_revision` holds {item!r}, not a revision id")
    return values


def _function(module: ModuleType, path: Path, name: str) -> Callable[[Any], Any]:
    function = getattr(module, name, None)
    if not callable(function):
        raise MigrationError(f"{path}: the revision has no `{name}(op)` function")
    return function  # type: ignore[no-any-return]


class RevisionGraph:
    """Every revision of a directory, and the order they apply in."""

    def __init__(self, revisions: Iterable[Revision]) -> None:
        self.by_id: dict[str, Revision] = {}
        for revision in revisions:
            if revision.id in self.by_id:
                other = self.by_id[revision.id].path.name
                raise MigrationError(
                    f"revision {revision.id} is defined twice: {other} and {revision.path.name}"
                )
            self.by_id[revision.id] = revision
        for revision in self.by_id.values():
            for down in revision.down:
                if down not in self.by_id:
                    raise MigrationError(
                        f"{revision.path.name}: down_revision {down!r} is not a revision here"
                    )
        self.order = self._topological()

    @classmethod
    def load(cls, directory: Path) -> RevisionGraph:
        if not directory.is_dir():
            raise MigrationError(f"no revisions directory at {directory} (run `init` first)")
        paths = sorted(p for p in directory.glob("*.py") if not p.name.startswith("_"))
        return cls(load_revision(path) for path in paths)

    def _topological(self) -> list[Revision]:
        """Each revision after those it follows; ties by id, so the order is stable."""
        done: set[str] = set()
        order: list[Revision] = []
        remaining = dict(self.by_id)
        while remaining:
            ready = sorted(r for r, rev in remaining.items() if set(rev.down) <= done)
            if not ready:
                cycle = ", ".join(sorted(remaining))
                raise MigrationError(f"the revisions {cycle} follow each other in a cycle")
            for revision_id in ready:
                order.append(remaining.pop(revision_id))
                done.add(revision_id)
        return order

    @property
    def heads(self) -> list[str]:
        """Revisions no other revision follows."""
        followed = {down for revision in self.by_id.values() for down in revision.down}
        return sorted(set(self.by_id) - followed)

    def ancestors(self, revision_id: str) -> set[str]:
        """The revision and every revision it follows, directly or not."""
        self.resolve(revision_id)
        seen: set[str] = set()
        stack = [revision_id]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.by_id[current].down)
        return seen

    def resolve(self, target: str) -> str:
        """A revision id, or a unique prefix of one."""
        if target in self.by_id:
            return target
        found = [revision for revision in self.by_id if revision.startswith(target)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise MigrationError(f"no revision {target!r}")
        raise MigrationError(f"{target!r} is the start of several revisions: {sorted(found)}")

    def to_upgrade(self, applied: set[str], target: str) -> list[Revision]:
        """What ``upgrade target`` runs, in order: ``head`` (the one head), ``heads``
        (all), or a revision and what it follows."""
        if target == "head":
            heads = self.heads
            if len(heads) > 1:
                raise MigrationError(
                    f"there are {len(heads)} heads ({', '.join(heads)}): upgrade to `heads`, "
                    "or join them with `merge`"
                )
            wanted = self.ancestors(heads[0]) if heads else set()
        elif target == "heads":
            wanted = set().union(*(self.ancestors(head) for head in self.heads))
        else:
            wanted = self.ancestors(self.resolve(target))
        return [revision for revision in self.order if revision.id in wanted - applied]

    def to_downgrade(self, applied: set[str], target: str) -> list[Revision]:
        """What ``downgrade target`` undoes, newest first: ``base`` (everything), ``-N``
        (the last N applied), or down to (not including) a revision."""
        ordered = [revision for revision in self.order if revision.id in applied]
        if target == "base":
            undone = ordered
        elif re.fullmatch(r"-\d+", target):
            count = int(target[1:])
            undone = ordered[len(ordered) - count :] if count else []
        else:
            kept = self.ancestors(self.resolve(target))
            undone = [revision for revision in ordered if revision.id not in kept]
        return list(reversed(undone))
