"""Connection options every driver takes, by the same names, as arguments or in its URL.

- ``socket_connect_timeout``: seconds to wait for a connection to open.
- ``socket_timeout``: seconds to wait for a reply (FalkorDB; the Bolt and AGE clients
  have no read timeout, so there ``query_timeout`` bounds the wait on the server side).
- ``query_timeout``: seconds a query may run on the server before it stops it.
- ``max_connections``: queries in flight at once, and so connections opened at most.
- ``pool_timeout``: seconds a query waits for a free connection before it fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: How long a query waits for a free connection by default, in seconds.
POOL_TIMEOUT = 30.0

CONNECTION_OPTIONS: dict[str, type] = {
    "socket_timeout": float,
    "socket_connect_timeout": float,
    "max_connections": int,
    "pool_timeout": float,
    "query_timeout": float,
}


def take_options(
    url: str,
    query: dict[str, list[str]],
    options: dict[str, Any],
    known: Mapping[str, type] = CONNECTION_OPTIONS,
) -> dict[str, Any]:
    """Remove the ``known`` options from a URL's parsed ``query`` and from ``options``
    (which win), and return them converted; a value that is not a positive number is a
    :class:`ValueError` naming the option."""
    given = {name: query.pop(name)[-1] for name in list(query) if name in known}
    given.update({name: options.pop(name) for name in list(options) if name in known})
    taken: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        try:
            taken[name] = known[name](value)
        except (TypeError, ValueError):
            raise ValueError(f"{url!r}: option {name} must be a number, got {value!r}") from None
        if taken[name] <= 0:
            raise ValueError(f"{url!r}: option {name} must be positive, got {value!r}")
    return taken
