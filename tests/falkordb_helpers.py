"""Small helpers for live FalkorDB tests."""

from __future__ import annotations

import time
from typing import Any


def unique_constraint(graph: Any, label: str, prop: str) -> None:
    """Create a unique constraint and wait until FalkorDB reports it OPERATIONAL."""
    graph.create_node_unique_constraint(label, prop)
    for _ in range(250):
        if all(c.get("status") == "OPERATIONAL" for c in graph.list_constraints()):
            return
        time.sleep(0.02)
    raise AssertionError(f"the constraint on {label}.{prop} never became OPERATIONAL")


def index_keys(driver: Any, *models: Any) -> None:
    """Make sure the models' keys are indexed, as a driver's first creating commit does,
    so a test can count the queries of a commit alone."""
    from runic.ogm.schema.keys import ensure_key_index
    from runic.ogm.session.core import Steps
    from runic.ogm.session.key_indexes import indexed_keys

    for model in models:
        steps: Steps[None] = Steps(ensure_key_index(driver.dialect, model))
        for query in steps:
            steps.outcome = driver.execute(query.cypher, query.params, read_only=query.read_only)
        indexed_keys(driver).add(model)
