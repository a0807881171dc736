"""A service under load survives a crash of its FalkorDB server: 64 concurrent clients
commit through one AsyncConnectionManager, the server is killed (SIGKILL) and restarted
on the same port (its AOF, fsynced on every write, replayed), and the clients go on by
themselves. Afterwards every acknowledged commit is stored exactly once, and no commit
is half applied, although commits cut off by the crash were sent again."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from runic.ogm import AsyncConnectionManager
from runic.ogm.exceptions import ConnectionFailedError, WriteOutcomeUnknownError
from tests.models import Article, User
from tests.servers.falkordb_server import FalkorDBServer

CLIENTS = 64
COMMITS_PER_CLIENT = 8
#: How long the server stays down, in seconds.
DOWN_FOR = 1.0
#: Bound on the whole run.
DEADLINE = 60.0


def test_a_service_under_load_survives_a_kill_and_restart() -> None:
    with FalkorDBServer(appendonly=True) as server:
        stats = asyncio.run(_run_service(server))
        rows = _graph_contents(server)
    acknowledged: set[str] = stats["acknowledged"]
    assert len(acknowledged) == CLIENTS * COMMITS_PER_CLIENT  # every client finished
    assert stats["failed_then_retried"] > 0  # the crash did cut commits off
    # Each commit wrote a user, an article and the edge between them: all or nothing,
    # once, and nothing that was not acknowledged (every commit was retried to the end).
    users = [row[0] for row in rows["users"]]
    assert sorted(users) == sorted(acknowledged)
    assert rows["articles"] == [[len(acknowledged)]]
    assert rows["edges"] == [[len(acknowledged)]]
    assert rows["orphans"] == [[0]]
    # The first commit after the restart came soon after it: recovery needs no action.
    assert stats["recovered_after"] is not None and stats["recovered_after"] < 5.0


async def _run_service(server: FalkorDBServer) -> dict[str, Any]:
    manager = AsyncConnectionManager.from_url(
        f"{server.url}/service?socket_timeout=5&socket_connect_timeout=1", max_connections=16
    )
    acknowledged: set[str] = set()
    counters = {"failed_then_retried": 0}
    killed_at: list[float] = []
    acknowledged_at: list[float] = []
    deadline = time.monotonic() + DEADLINE

    async def client(number: int) -> None:
        for commit in range(COMMITS_PER_CLIENT):
            key = f"c{number}-{commit}"
            async with manager.session() as session:
                user = User(id=key, name=key, email=f"{key}@x.org")
                user.articles.append(Article(id=f"{key}-a", title=key))
                session.add(user)
                while True:
                    try:
                        await session.commit()
                        break
                    except (ConnectionFailedError, WriteOutcomeUnknownError):
                        # Pending work is kept; after an unknown outcome the next commit
                        # applies it once whether or not this one was applied.
                        counters["failed_then_retried"] += 1
                        assert time.monotonic() < deadline, "the service did not recover"
                        await asyncio.sleep(0.05)
            acknowledged.add(key)
            acknowledged_at.append(time.monotonic())

    async def crash() -> None:
        while len(acknowledged) < CLIENTS and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # under load: about one commit per client done
        server.kill()
        killed_at.append(time.monotonic())
        await asyncio.sleep(DOWN_FOR)
        await asyncio.to_thread(server.restart)

    await asyncio.gather(crash(), *(client(number) for number in range(CLIENTS)))
    await manager.close()
    # From the moment the server was started again to the first commit acknowledged.
    restart = killed_at[0] + DOWN_FOR if killed_at else float("inf")
    after = [moment for moment in acknowledged_at if moment > restart]
    recovered = min(after) - restart if after else None
    return {"acknowledged": acknowledged, **counters, "recovered_after": recovered}


def _graph_contents(server: FalkorDBServer) -> dict[str, Any]:
    from falkordb import FalkorDB

    client = FalkorDB(host="127.0.0.1", port=server.port, socket_timeout=10)
    try:
        graph = client.select_graph("service")
        queries = {
            "users": "MATCH (u:User) RETURN u.id",
            "articles": "MATCH (a:Article) RETURN count(a)",
            "edges": "MATCH (:User)-[w:WROTE]->(:Article) RETURN count(w)",
            "orphans": "MATCH (a:Article) WHERE NOT (a)<-[:WROTE]-(:User) RETURN count(a)",
        }
        return {name: graph.ro_query(query).result_set for name, query in queries.items()}
    finally:
        client.connection.close()
