"""Flush planning: pending node work becomes one query of batched ``UNWIND`` stages.

Sans-I/O. Batches run in a fixed order (creates, updates, deletes), one ``UNWIND`` per
model, chained with ``WITH count(*) AS _`` so that empty batches do not stop the query.
On FalkorDB one query is applied whole or not at all, which makes a flush atomic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runic.ogm.driver.dialect import Dialect
from runic.ogm.identifiers import quote
from runic.ogm.model.node import Node
from runic.ogm.query.compiler import (
    CompiledQuery,
    create_stage,
    labels_pattern,
    special_fields,
    stored_value,
)


@dataclass(slots=True)
class FlushPlan:
    """Rows to write, grouped per model; empty when there is nothing to send."""

    creates: dict[type[Node], list[dict[str, Any]]] = field(default_factory=dict)
    updates: dict[type[Node], list[tuple[Any, dict[str, Any]]]] = field(default_factory=dict)
    deletes: dict[type[Node], list[Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.creates or self.updates or self.deletes)


def _match_by_key(model: type[Node], source: str) -> str:
    info = model.__runic__
    root = info.root or model
    return f"MATCH (n{labels_pattern(root)} {{{quote(info.key_field.name)}: {source}}})"  # type: ignore[arg-type]


def compile_flush(plan: FlushPlan, dialect: Dialect) -> CompiledQuery:
    stages: list[str] = []
    params: dict[str, Any] = {}

    def batch(payload: list[Any]) -> str:
        name = f"b{len(params)}"
        params[name] = payload
        return "$" + name

    for model, rows in plan.creates.items():
        name = f"b{len(params)}"
        cypher, params[name] = create_stage(model, rows, dialect, "$" + name)
        stages.append(cypher)

    for model, changes in plan.updates.items():
        special = special_fields(model)
        # Rows that change the same special fields share a stage, so each stage's SET
        # list is fixed; plain fields go through one `+=` map (None removes).
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for key, changed in changes:
            specials = tuple(name for name in special if name in changed)
            plain = {k: v for k, v in changed.items() if k not in special}
            item = {"key": key, "set": plain}
            for position, name in enumerate(specials):
                item[f"s{position}"] = changed[name]
            groups.setdefault(specials, []).append(item)
        for specials, payload in groups.items():
            sets = ["n += r.set"] + [
                f"n.{quote(name)} = {stored_value(dialect, special[name], f'r.s{position}')}"
                for position, name in enumerate(specials)
            ]
            stages.append(
                f"UNWIND {batch(payload)} AS r {_match_by_key(model, 'r.key')} SET "
                + ", ".join(sets)
            )

    for model, keys in plan.deletes.items():
        stages.append(f"UNWIND {batch(keys)} AS k {_match_by_key(model, 'k')} DETACH DELETE n")

    return CompiledQuery("\nWITH count(*) AS _\n".join(stages), params, read_only=False)
