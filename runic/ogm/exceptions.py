"""Every exception runic raises. All derive from :class:`RunicError`."""

from __future__ import annotations

from typing import Any


class RunicError(Exception):
    """Base class of every runic exception, so callers can catch runic failures at once."""


class ModelDefinitionError(RunicError, TypeError):
    """A Node or Edge class is declared wrongly (no key, bad type, duplicate label...)."""


class InvalidIdentifierError(RunicError, ValueError):
    """A label, relationship type, property name or alias is not a safe Cypher identifier."""


class FieldValidationError(RunicError, ValueError):
    """A value does not fit a field; raised before any I/O."""

    def __init__(
        self,
        model: str,
        field: str,
        message: str,
        *,
        expected: str | None = None,
        actual: Any = None,
    ) -> None:
        self.model = model
        self.field = field
        self.expected = expected
        self.actual = actual
        super().__init__(f"{model}.{field}: {message}")


class StatementError(RunicError, ValueError):
    """A query statement was built with arguments that cannot work."""


class ParameterError(RunicError, TypeError, ValueError):
    """A raw ``execute()`` parameter cannot be sent; raised before any I/O.

    Either it is not a plain value (a TypeError: only None, bool, int, float, str, lists
    and str-keyed dicts of those, and runic's value types travel) or it is one an engine
    would mangle (a ValueError: an int beyond int64, NaN, a string with NUL...).
    """


class EntityNotFoundError(RunicError, LookupError):
    """An entity that must exist was not found."""


class LazyLoadError(RunicError):
    """An unloaded relation was touched where loading it would need I/O."""


class DetachedEntityError(RunicError):
    """Unloaded state was touched on an entity whose session is closed."""


class TransactionError(RunicError):
    """``session.begin()`` used where it cannot work: on a backend without transactions
    across queries (FalkorDB), nested, or with ``commit()``/``rollback()`` inside."""


class DriverError(RunicError):
    """A query failed in the database or on the way to it.

    The subclasses say what became of it: :class:`QueryRejectedError` (the server
    answered with an error: nothing was applied), :class:`ConnectionFailedError` (the
    query never ran: safe to send again) and :class:`WriteOutcomeUnknownError` (a write
    was sent and no answer came: it may have been applied).
    """

    #: Whether the query may have been applied although it failed.
    may_have_applied: bool = False

    def __init__(self, message: str, *, address: str | None = None) -> None:
        super().__init__(message)
        #: The server the query went to (``host:port`` or a socket path), when known.
        self.address = address


class QueryRejectedError(DriverError):
    """The server refused the query (syntax, types, a constraint): nothing was applied."""


class QueryTimeoutError(QueryRejectedError):
    """The server stopped the query at its ``query_timeout``: nothing was applied."""


class ConnectionFailedError(DriverError):
    """The server could not be reached, or the connection broke before the query could
    change anything (before a write was sent, or during a read): safe to retry."""


class WriteOutcomeUnknownError(DriverError):
    """A write was sent and the connection broke or timed out before its answer: it may
    or may not have been applied. Retry only what is safe to apply twice."""

    may_have_applied = True


class ReplicationLagError(WriteOutcomeUnknownError):
    """A write the primary applied, which fewer replicas than ``wait_replicas`` confirmed
    within ``wait_timeout``: it stands on the primary, but a failover now could lose it.

    ``confirmed`` replicas had it, of ``wanted``.
    """

    def __init__(
        self, message: str, *, confirmed: int, wanted: int, address: str | None = None
    ) -> None:
        super().__init__(message, address=address)
        self.confirmed = confirmed
        self.wanted = wanted


class ConstraintViolationError(QueryRejectedError):
    """The database refused a write because it breaks a constraint.

    ``label`` is the label the database named; a session that can tell which of its
    entities broke the constraint sets ``entity`` and ``field`` too.
    """

    def __init__(
        self,
        message: str,
        *,
        label: str | None = None,
        entity: Any = None,
        field: str | None = None,
        address: str | None = None,
    ) -> None:
        super().__init__(message, address=address)
        self.label = label
        self.entity = entity
        self.field = field


class StaleDataError(RunicError):
    """A flush found an entity changed or deleted by someone else since it was read.

    Raised for models with a version field (``Field(version=True)``). Nothing of the
    flush was written and the session keeps its pending changes; the usual answer is to
    roll back and run the unit of work again (``run_in_transaction`` does that).
    ``expected`` is the version this session read; ``actual`` the one the graph holds,
    None when the node is gone.
    """

    def __init__(
        self, message: str, *, entity: Any = None, key: Any = None, expected: Any, actual: Any
    ) -> None:
        super().__init__(message)
        self.entity = entity
        self.key = key
        self.expected = expected
        self.actual = actual


class SchemaError(RunicError):
    """An index or constraint could not be made as the models declare it."""


class NoResultError(RunicError, LookupError):
    """``one()`` found nothing."""


class MultipleResultsError(RunicError, LookupError):
    """``one()`` or ``one_or_none()`` found more than one entity."""
