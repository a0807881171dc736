"""The public session methods, declared once for both session kinds.

Each method is a core function. On a :class:`Session` it is a function that returns the
result; on an :class:`~runic.ogm.session.async_session.AsyncSession` it is a coroutine
function. The two sessions share one list of methods, signatures and docstrings; each
says only how its methods run an operation that may query (``_method``) and a call that
only stages work (``_staged``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from functools import update_wrapper, wraps
from types import MethodType
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, Self, overload

from runic.ogm.session.core import Operation, SessionCore
from runic.ogm.session.staging import StagingMethods

if TYPE_CHECKING:
    from runic.ogm.session.async_session import AsyncSession
    from runic.ogm.session.session import Session


class _SessionMethod[**P, T]:
    """A session method built from a core function, per session class (see below)."""

    #: The session class's static method that turns the core function into a method.
    factory: ClassVar[str]

    def __init__(self, core_function: Callable[..., Any]) -> None:
        self.core_function = core_function
        self.methods: dict[type[Any], Callable[..., Any]] = {}
        update_wrapper(self, core_function)  # type: ignore[arg-type]

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.__name__ = name

    @overload
    def __get__(self, session: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, session: Session, owner: type[Any]) -> Callable[P, T]: ...

    @overload
    def __get__(
        self, session: AsyncSession, owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...

    def __get__(self, session: Any, owner: type[Any]) -> Any:
        method = self.methods.get(owner)
        if method is None:
            if not hasattr(owner, self.factory):
                return self
            core = self.core_function
            method = update_wrapper(getattr(owner, self.factory)(core), core)
            method.__name__ = self.__name__
            method.__qualname__ = f"{owner.__qualname__}.{self.__name__}"
            method.__module__ = owner.__module__
            del method.__wrapped__  # an operation's signature returns an Operation; ours not
            signature = inspect.signature(core)
            method.__signature__ = signature.replace(  # type: ignore[attr-defined]
                return_annotation=inspect.Signature.empty
            )
            self.methods[owner] = method
            if inspect.getattr_static(owner, self.__name__) is self:
                # From now on the class holds the plain function, bound the usual (fast)
                # way; never over a method a subclass defines itself.
                setattr(owner, self.__name__, method)
        return method if session is None else MethodType(method, session)


class operation[**P, T](_SessionMethod[P, T]):
    """A method that runs a core operation (it may query): ``Session._method`` blocks,
    ``AsyncSession._method`` awaits."""

    factory = "_method"

    def __init__(self, core_operation: Callable[Concatenate[SessionCore, P], Operation[T]]) -> None:
        super().__init__(core_operation)


class staged[**P, T](_SessionMethod[P, T]):
    """A method that only stages work in the unit of work, so it runs no operation: a
    plain call on Session, a coroutine on AsyncSession (as the async guide lists it)."""

    factory = "_staged"

    def __init__(self, core_function: Callable[Concatenate[SessionCore, P], T]) -> None:
        super().__init__(core_function)


def _whole[**P](
    function: Callable[Concatenate[SessionCore, P], None],
) -> Callable[Concatenate[SessionCore, P], Operation[None]]:
    """A call that sends nothing but settles the whole session (``rollback``, ``close``),
    run as an operation: while another task's flush is in flight it is refused like a
    query, rather than discarding or detaching what that flush is writing."""

    @wraps(function)
    def run(core: SessionCore, /, *args: P.args, **kwargs: P.kwargs) -> Operation[None]:
        function(core, *args, **kwargs)
        yield from ()

    return run


class SessionMethods(StagingMethods):
    """Everything a session can do: staging (no I/O) plus these operations."""

    driver: Any
    #: Set once the session has written (see ``runic.ogm.session.replica_reads``).
    _reads_on_primary: bool

    def read_from_primary(self) -> None:
        """Send this session's reads to the primary from now on, where reads would go to
        replicas (FalkorDB's ``read_from="replica"``). A session does so by itself once
        it has written; ``run_in_transaction`` does it for a retry after a lost race,
        which a lagging replica would only repeat."""
        self._reads_on_primary = True

    def __repr__(self) -> str:
        unit = self._core.unit
        if unit.closed:
            state = "closed"
        else:
            pending = "changes pending" if unit.pending else "nothing pending"
            state = f"{len(unit.identity)} entities held, {pending}"
        return f"<{type(self).__name__} on {self.driver!r}: {state}>"

    flush = operation(SessionCore.flush)
    commit = operation(SessionCore.commit)
    rollback = operation(_whole(SessionCore.rollback))
    close = operation(_whole(SessionCore.close))
    expunge_all = operation(_whole(SessionCore.expunge_all))
    relate = staged(SessionCore.relate)
    unrelate = staged(SessionCore.unrelate)
    get = operation(SessionCore.get)
    get_one = operation(SessionCore.get_one)
    get_many = operation(SessionCore.get_many)
    get_or_create = operation(SessionCore.get_or_create)
    scalars = operation(SessionCore.scalars)
    scalar = operation(SessionCore.scalar)
    first = operation(SessionCore.scalar)
    one = operation(SessionCore.one)
    one_or_none = operation(SessionCore.one_or_none)
    exists = operation(SessionCore.exists)
    distinct = operation(SessionCore.distinct)
    search = operation(SessionCore.search)
    count = operation(SessionCore.count)
    all_rows = operation(SessionCore.all_rows)
    all_with_edges = operation(SessionCore.all_with_edges)
    execute = operation(SessionCore.execute)
    refresh = operation(SessionCore.refresh)
    load = operation(SessionCore.load)
