"""Which models' key indexes a driver has made sure of, shared by all its sessions.

Each flush that creates nodes checks their keys are not stored yet, and makes sure the
key is indexed first so that check is a lookup (see ``runic.ogm.schema.keys``). It is
done once per driver and model, not once per session.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from runic.ogm.model.node import Node

_indexed: WeakKeyDictionary[Any, set[type[Node]]] = WeakKeyDictionary()


def indexed_keys(driver: Any) -> set[type[Node]]:
    """The root models whose key index ``driver`` has made sure of."""
    try:
        return _indexed.setdefault(driver, set())
    except TypeError:  # a driver that cannot be weakly referenced: each session checks
        return set()
