"""The peer column: run.py's workloads through falkordb-orm, another OGM for FalkorDB.

falkordb-orm is not a runic dependency: ``./scripts/bench`` installs it (pinned) into
``.venv-bench`` and run.py imports this module only when it can. The peer works on a
graph of its own (``bench_peer``) in the same embedded FalkorDB, filled with the same
data and the same key indexes as the other two graphs.

Each method is the idiomatic falkordb-orm spelling of one workload, worked out from its
1.2.2 source. Where its API cannot do exactly what runic and the raw client do, the
method says what it does instead, and run.py prints that note beside the figure.
"""

# No ``from __future__ import annotations``: falkordb-orm reads the class annotations
# (list["PeerUser"], int | None) when ``@node`` runs.

import asyncio
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from falkordb_orm import (
    AsyncRepository,
    Repository,
    Session,
    generated_id,
    node,
    query,
    relationship,
)

NAME = "falkordb-orm"
VERSION = version(NAME)

#: Why a row's peer figure is not quite the same work; run.py prints these as notes.
BY_NODE_ID = (
    "Session.get() takes the internal node id only (WHERE id(n) = $id): "
    "keys mapped to node ids before the rounds"
)
ASYNC_BY_NODE_ID = (
    "AsyncRepository.find_by_id(node id) per get: "
    "AsyncSession.get() returns an un-awaited coroutine in 1.2.2"
)
QUERIES_WITHOUT_SESSION = (
    "a Repository @query method per query, outside any session: "
    "its sessions do not hold query results"
)
ONE_QUERY_PER_ENTITY = (
    "save_all(): a CREATE per node and a query per edge, in reverse order so that each "
    "edge's target already has its node id; one edge fewer, as the ring's closing edge "
    "needs a second save of a node, which 1.2.2 turns into a duplicate node"
)
SAVE_PER_ENTITY = "find_all(), then save_all(): a MERGE per entity"
FETCH_LAZILY = (
    "find_by_id(key, fetch=[...]) runs the eager query but leaves both relations "
    "unloaded in 1.2.2; reading them loads each with one more query"
)
NO_BULK_UPDATE = "n/a: no bulk update statement"


@node("BenchUser")
class PeerUser:
    """A stored user, keyed by its ``id`` property like runic's BenchUser."""

    id: str
    name: str
    age: int = 0
    follows: list["PeerUser"] = relationship("FOLLOWS", target="PeerUser")
    posts: list["PeerPost"] = relationship("POSTED", target="PeerPost")


@node("BenchPost")
class PeerPost:
    id: str
    title: str


@node("BenchUser")
class PeerNewUser:
    """A user as falkordb-orm creates one. Its relationship writes match both ends by
    internal node id (``id(n) = $id``), so an entity that is to be related needs
    ``generated_id()``; the key is stored in ``key``."""

    id: int | None = generated_id()
    key: str
    name: str
    age: int = 0
    follows: list["PeerNewUser"] = relationship("FOLLOWS", target="PeerNewUser")


class PeerUsers(Repository[PeerUser]):
    @query("MATCH (n:BenchUser {id: $key}) RETURN n", returns=PeerUser)
    def find_by_key(self, key: str) -> list[PeerUser]: ...


class Peer:
    """falkordb-orm on ``graph`` (sync) and ``async_graph`` (falkordb.asyncio)."""

    def __init__(self, graph: Any, async_graph: Any) -> None:
        self.graph = graph
        self.users = PeerUsers(graph, PeerUser)
        self.new_users = Repository(graph, PeerNewUser)
        self.async_users = AsyncRepository(async_graph, PeerUser)
        #: key -> internal node id, for the lookups that only take a node id
        self.ids: dict[str, int] = {}

    def learn_ids(self) -> None:
        """Map every user's key to its node id (after the graph was filled)."""
        rows = self.graph.ro_query("MATCH (n:BenchUser) RETURN n.id, id(n)").result_set
        self.ids = {key: node_id for key, node_id in rows}

    def commit(self, count: int) -> None:
        users = [PeerNewUser(key=f"u{i}", name=f"User {i}", age=i) for i in range(count)]
        for i in range(1, count):
            users[i].follows = [users[(i + 1) % count]]
        self.new_users.save_all([users[0], *reversed(users[1:])])

    def gets_in_one_session(self, count: int) -> None:
        with Session(self.graph) as session:
            for i in range(count):
                session.get(PeerUser, self.ids[f"u{i}"])

    def timed_gets_in_one_session(self, count: int, clock: Callable[[], float]) -> list[float]:
        """The duration of each of ``count`` gets in one session."""
        durations = []
        with Session(self.graph) as session:
            for i in range(count):
                node_id = self.ids[f"u{i}"]
                start = clock()
                session.get(PeerUser, node_id)
                durations.append(clock() - start)
        return durations

    def gets_session_per_get(self, count: int) -> None:
        for i in range(count):
            with Session(self.graph) as session:
                session.get(PeerUser, self.ids[f"u{i}"])

    async def async_get(self, key: str) -> None:
        await self.async_users.find_by_id(self.ids[key])

    async def async_sequential(self, keys: list[str]) -> None:
        for key in keys:
            await self.async_get(key)

    async def async_concurrent(self, keys: list[str], tasks: int) -> None:
        async def worker(share: list[str]) -> None:
            for key in share:
                await self.async_get(key)

        await asyncio.gather(*(worker(keys[t::tasks]) for t in range(tasks)))

    def queries(self, count: int) -> None:
        for i in range(count):
            self.users.find_by_key(f"u{i}")

    def load(self) -> None:
        self.users.find_all()

    def update_loaded(self) -> None:
        users = self.users.find_all()
        for user in users:
            user.age += 1
        self.users.save_all(users)

    def fetch(self, hubs: int, related: int) -> None:
        for h in range(hubs):
            user = self.users.find_by_id(f"u{h}", fetch=["follows", "posts"])
            assert user is not None
            if (len(user.follows), len(user.posts)) != (related, related):
                raise RuntimeError(f"{NAME} fetched u{h} wrongly")
