"""The sync Session: runs the shared core's operations with blocking driver calls."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, NoReturn, Self, overload

from runic.ogm.driver.base import GraphDriver, GraphTransaction, has_async_execute
from runic.ogm.exceptions import DetachedEntityError
from runic.ogm.model.edge import Edge
from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.node import Node
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.query.bulk import Delete, Update
from runic.ogm.query.ingest import Unwind
from runic.ogm.query.search import SearchHit
from runic.ogm.query.statement import Select
from runic.ogm.session.core import Operation, SessionCore
from runic.ogm.session.key_indexes import indexed_keys
from runic.ogm.session.operations import SessionMethods
from runic.ogm.session.ownership import THREAD_IN_USE, SessionInUseError, ThreadGuard
from runic.ogm.session.query import Query, SearchQuery
from runic.ogm.session.querylog import logged, logging_queries
from runic.ogm.session.replica_reads import primary_reader, query_routes
from runic.ogm.session.transaction import refusal
from runic.ogm.session.unit_of_work import RelationLoader


class Session(SessionMethods):
    """``with Session(driver) as session:`` commits on success and rolls back on error.

    Queries flush pending changes first, so they see what the session holds. An
    unloaded relation loads on first access with one query.

    A Session belongs to one thread at a time: a call from a second thread while
    another is inside the session raises ``SessionInUseError`` and changes nothing.
    """

    def __init__(self, driver: GraphDriver, *, autoflush: bool = True) -> None:
        if has_async_execute(driver):
            raise TypeError(
                f"Session needs a sync driver, got {type(driver).__name__}; "
                "use AsyncSession for an async driver"
            )
        self.driver = driver
        self._core = SessionCore(
            driver.dialect, _weak_loader(self), autoflush, lambda: indexed_keys(driver)
        )
        self._guard: ThreadGuard = ThreadGuard()
        #: Where reads go once this session has written, when they go to replicas.
        self._primary_reads = primary_reader(driver)
        self._reads_on_primary = False
        #: The server transaction of an open ``begin()`` block, which queries go through.
        self._transaction: GraphTransaction | None = None

    _query_type = Query
    _search_type = SearchQuery

    if TYPE_CHECKING:  # the methods whose results depend on their arguments' types

        def get[N: Node](
            self, model: type[N], key: Any, fetch: Sequence[str | RelationAttribute[Any]] = ()
        ) -> N | None: ...
        def get_one[N: Node](
            self, model: type[N], key: Any, fetch: Sequence[str | RelationAttribute[Any]] = ()
        ) -> N: ...
        def get_many[N: Node](
            self,
            model: type[N],
            keys: Iterable[Any],
            fetch: Sequence[str | RelationAttribute[Any]] = (),
        ) -> list[N]: ...
        def get_or_create[N: Node](
            self,
            model: type[N],
            lookup: Mapping[str, Any],
            defaults: Mapping[str, Any] | None = None,
        ) -> tuple[N, bool]: ...
        def scalars[T](
            self, statement: Select[T], params: Mapping[str, Any] | None = None
        ) -> list[T]: ...
        def scalar[T](
            self, statement: Select[T], params: Mapping[str, Any] | None = None
        ) -> T | None: ...
        def first[T](
            self, statement: Select[T], params: Mapping[str, Any] | None = None
        ) -> T | None: ...
        def one[T](self, statement: Select[T], params: Mapping[str, Any] | None = None) -> T: ...
        def one_or_none[T](
            self, statement: Select[T], params: Mapping[str, Any] | None = None
        ) -> T | None: ...
        def search[T](self, statement: Select[T]) -> list[SearchHit[T]]: ...
        def distinct[V](
            self, field: FieldAttribute[V], statement: Select[Any] | None = None
        ) -> list[V]: ...
        def relate[N: Node](
            self,
            source: Node,
            relation: RelationAttribute[N] | str,
            target: N,
            edge: Edge | None = None,
        ) -> None: ...
        def unrelate[N: Node](
            self, source: Node, relation: RelationAttribute[N] | str, target: N
        ) -> None: ...
        @overload
        def execute(
            self, cypher: Update[Any] | Delete[Any] | Unwind, params: None = None
        ) -> int: ...
        @overload
        def execute(
            self, cypher: str, params: Mapping[str, Any] | None = None
        ) -> list[dict[str, Any]]: ...
        def execute(
            self,
            cypher: str | Update[Any] | Delete[Any] | Unwind,
            params: Mapping[str, Any] | None = None,
        ) -> int | list[dict[str, Any]]: ...
        def query[N: Node](self, model: type[N]) -> Query[N]: ...
        def fulltext_search[N: Node](self, model: type[N], text: str) -> SearchQuery[N]: ...
        def vector_search[N: Node](
            self, model: type[N], field: FieldAttribute[Any], vector: Sequence[float], k: int = 10
        ) -> SearchQuery[N]: ...

    def _run[T](self, operation: Operation[T]) -> T:
        """Drive an operation: send each query it yields, hand back the result or error.

        Refuses a second thread while one is inside the session (a non-blocking acquire).
        """
        lock = self._guard.lock
        if not lock.acquire(False):
            operation.close()
            raise SessionInUseError(THREAD_IN_USE)
        try:
            transaction = self._transaction
            execute = self.driver.execute if transaction is None else transaction.execute
            primary = self._primary_reads if transaction is None else None
            wrap = logged if logging_queries() else None
            execute, pinned = query_routes(execute, primary, self._reads_on_primary, wrap)
            try:  # Steps' protocol, written out: this runs for every query
                query = next(operation)
                while True:
                    if pinned is not None and not query.read_only:
                        # From its first write on, the session reads from the primary.
                        self._reads_on_primary = True
                        execute, pinned = pinned, None
                    try:
                        result = execute(query.cypher, query.params, read_only=query.read_only)
                    except Exception as error:
                        query = operation.throw(error)
                    else:
                        query = operation.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
        finally:
            lock.release()

    @staticmethod
    def _method[**P, T](
        operation: Callable[Concatenate[SessionCore, P], Operation[T]],
    ) -> Callable[Concatenate[Session, P], T]:
        def method(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
            return session._run(operation(session._core, *args, **kwargs))

        return method

    @staticmethod
    def _staged[**P, T](
        function: Callable[Concatenate[SessionCore, P], T],
    ) -> Callable[Concatenate[Session, P], T]:
        def method(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
            lock = session._guard.lock  # the guard, inlined: relate() runs per edge
            if not lock.acquire(False):
                raise SessionInUseError(THREAD_IN_USE)
            try:
                return function(session._core, *args, **kwargs)
            finally:
                lock.release()

        return method

    @contextlib.contextmanager
    def begin(self) -> Iterator[Self]:
        """``with session.begin():`` runs the block's flushes and reads in one server
        transaction (Bolt and AGE), committed when the block ends (after a last flush)
        and rolled back when it raises.

        After a rollback, or a COMMIT that failed, the session forgets every entity (as
        ``expunge_all()``): the graph is as it was before the block, so run it again.
        On FalkorDB, which has no transaction across queries, it raises
        :class:`~runic.ogm.exceptions.TransactionError`.
        """
        begin = getattr(self.driver, "begin", None)
        if begin is None:
            raise refusal(self.driver)
        block = self._core.transaction
        block.enter()
        try:
            transaction = begin()
        except BaseException:
            block.leave(self._core.unit, rolled_back=False)  # nothing was sent
            raise
        self._transaction = transaction
        committed = False
        try:
            yield self
            self._run(self._core.flush())
            self._transaction = None
            transaction.commit()
            committed = True
            self._run(self._core.index_deferred_keys())
        except BaseException:
            if self._transaction is not None:  # the COMMIT was not attempted
                self._transaction = None
                transaction.rollback()
            raise
        finally:
            block.leave(self._core.unit, rolled_back=not committed)

    def _load_relation(
        self, entity: Node, relation: RelationAttribute[Any] | FieldAttribute[Any]
    ) -> Any:
        return self._run(self._core.load_relation(entity, relation))

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._run(self._core.finish(kind is None))

    async def __aenter__(self) -> NoReturn:
        raise TypeError(
            "Session is sync: use `with Session(driver)`, or AsyncSession with an async driver"
        )

    async def __aexit__(self, *args: object) -> None:  # pragma: no cover - __aenter__ refuses
        return None


def _weak_loader(session: Session) -> RelationLoader:
    """The session's lazy loader, holding the session weakly: the unit of work holds the
    loader, so a strong one would keep an abandoned session alive until a collection."""
    method = weakref.WeakMethod(session._load_relation)

    def load(entity: Node, relation: RelationAttribute[Any] | FieldAttribute[Any]) -> Any:
        bound = method()
        if bound is None:
            raise DetachedEntityError(
                f"{type(entity).__name__}.{relation.name} was not loaded and its session is gone"
            )
        return bound(entity, relation)

    return load
