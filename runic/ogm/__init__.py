"""runic's object-graph mapper: models, statements, sessions and drivers."""

from runic.ogm.model import (
    BOTH,
    INCOMING,
    OUTGOING,
    Edge,
    Field,
    GeoLocation,
    Mapped,
    Node,
    Relation,
    Vector,
)
from runic.ogm.query import select
from runic.ogm.query.bulk import delete, update
from runic.ogm.query.ingest import unwind
from runic.ogm.repository import AsyncRepository, Repository
from runic.ogm.running import run_async
from runic.ogm.session.async_session import AsyncSession
from runic.ogm.session.connection_pool import AsyncConnectionManager, ConnectionManager
from runic.ogm.session.retry import async_run_in_transaction, run_in_transaction
from runic.ogm.session.session import Session

__all__ = [
    "BOTH",
    "INCOMING",
    "OUTGOING",
    "AsyncConnectionManager",
    "AsyncRepository",
    "AsyncSession",
    "ConnectionManager",
    "Edge",
    "Field",
    "GeoLocation",
    "Mapped",
    "Node",
    "Relation",
    "Repository",
    "Session",
    "Vector",
    "async_run_in_transaction",
    "delete",
    "run_async",
    "run_in_transaction",
    "select",
    "unwind",
    "update",
]
