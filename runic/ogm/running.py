"""Running async code from sync code, including where an event loop already runs."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_async[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion and return its result.

    ``asyncio.run()`` refuses to start inside a running event loop, which is where a
    Jupyter notebook or an async test runs your sync code. There, the coroutine runs in a
    fresh loop on a worker thread while the caller waits. Drivers open their own
    connections for that loop, so a driver made earlier can be used inside it.
    """
    if not isinstance(coroutine, Coroutine):
        raise TypeError(
            f"run_async() takes a coroutine, got {type(coroutine).__name__}: "
            "call the async function, e.g. run_async(main()) rather than run_async(main)"
        )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="runic-run-async") as worker:
        return worker.submit(asyncio.run, coroutine).result()
