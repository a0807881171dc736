"""Why a guarded flush was refused: a key stored already, or a version that moved on.

A flush checks created keys and read versions inside its own atomic unit and fails
whole when one does not hold (see ``flush.guard_stages``). The backend's error then
says only that the query failed, so these reads find the entity and the values to name.
Sans-I/O, like the rest of the session core.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from runic.ogm.driver.dialect import Dialect
from runic.ogm.driver.records import QueryResult
from runic.ogm.exceptions import ConstraintViolationError, RunicError, StaleDataError
from runic.ogm.identifiers import quote
from runic.ogm.model.node import Node
from runic.ogm.query.compiler import CompiledQuery, labels_pattern
from runic.ogm.session.flush import FlushPlan

_NOT_WRITTEN = "Nothing of this flush was written and the session still holds its changes"
_RETRY = (
    f"{_NOT_WRITTEN}: roll back and run the unit of work again "
    "(run_in_transaction() retries it for you)."
)


def explain_conflict(
    plan: FlushPlan, dialect: Dialect, held: dict[Any, Node]
) -> Generator[CompiledQuery, QueryResult, RunicError | None]:
    """The error that names the conflict, or None when no guard explains the failure.

    ``held`` is the session's identity map, to name the entity behind a stored key.
    """
    for model, keys in plan.new_keys.items():
        field = model.__runic__.key_field
        name = quote(field.name)
        result = yield CompiledQuery(
            f"MATCH (n{labels_pattern(model, dialect)}) WHERE n.{name} IN $keys "
            f"RETURN n.{name} LIMIT 1",
            {"keys": keys},
            read_only=True,
        )
        if result.rows:
            value = field.converter.from_db(result.rows[0][0])
            entity = held.get((model.__runic__.key_root, value))
            return ConstraintViolationError(
                f"commit refused: a {model.__name__} with {field.name}={value!r} is stored "
                f"already (another session may have created it), so {entity!r} cannot be "
                f"created. Use merge() to write it whether or not it is stored. {_NOT_WRITTEN}.",
                label=model.__runic__.labels[0],
                entity=entity,
                field=field.name,
            )
    for model, checks in plan.versions.items():
        version = model.__runic__.version
        assert version is not None
        result = yield CompiledQuery(
            f"UNWIND $rows AS r OPTIONAL MATCH (n{labels_pattern(model, dialect)} "
            f"{{{quote(model.__runic__.key_field.name)}: r.k}}) "
            f"RETURN r.k, n IS NOT NULL, n.{quote(version)}",
            {"rows": [{"k": check.key, "v": check.read} for check in checks]},
            read_only=True,
        )
        stored = {_hashable(key): (found, value) for key, found, value in result.rows}
        for check in checks:
            found, actual = stored.get(_hashable(check.key), (False, None))
            if actual != check.read:
                return _stale(check.entity, version, check.read, actual, bool(found))
    return None


def _stale(entity: Node, version: str, read: int, actual: Any, found: bool) -> StaleDataError:
    model = type(entity).__name__
    key = entity._runic_values[type(entity).__runic__.key_field.name]
    if not found:
        happened = "it has been deleted since"
    elif actual is None:
        happened = (
            f"the stored node has no {version} property (written before the field was "
            f"declared? backfill it with update({model}).values({version}=1))"
        )
    else:
        happened = f"the graph holds {version} {actual} now (another session changed it)"
    return StaleDataError(
        f"{model} {key!r} is stale: this session read {version} {read}, and {happened}. {_RETRY}",
        entity=entity,
        key=key,
        expected=read,
        actual=actual,
    )


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
