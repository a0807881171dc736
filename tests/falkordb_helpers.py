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
