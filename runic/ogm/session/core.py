"""What a session does, written once for the sync and async shells.

Each operation is a generator: it yields the queries it needs, receives each result
through ``send()`` (or the driver's error through ``throw()``) and returns its answer.
``Session`` drives these generators with blocking calls and ``AsyncSession`` with
``await``, so neither shell holds any logic of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, NoReturn

from runic.ogm.allocation import allocation_burst
from runic.ogm.driver.dialect import Dialect
from runic.ogm.driver.records import GraphEdge, GraphNode, QueryResult
from runic.ogm.exceptions import (
    ConstraintViolationError,
    DriverError,
    EntityNotFoundError,
    LazyLoadError,
    MultipleResultsError,
    NoResultError,
    QueryRejectedError,
    StatementError,
    WriteOutcomeUnknownError,
)
from runic.ogm.identifiers import quote
from runic.ogm.model.fields import FieldAttribute
from runic.ogm.model.node import Node
from runic.ogm.model.registry import registry
from runic.ogm.model.relations import RelationAttribute
from runic.ogm.model.storage import to_storage
from runic.ogm.query.bulk import BulkStatement, Delete, Update, compile_bulk
from runic.ogm.query.compiler import (
    CompiledQuery,
    FetchTree,
    compile_count,
    compile_distinct,
    compile_edges,
    compile_exists,
    compile_select,
    labels_pattern,
)
from runic.ogm.query.expressions import Comparison
from runic.ogm.query.ingest import Unwind
from runic.ogm.query.parameters import bind_named
from runic.ogm.query.search import SearchHit
from runic.ogm.query.statement import FetchPath, Select, bind_field, resolve_fetch_path, select
from runic.ogm.session import ingest
from runic.ogm.session.conflicts import explain_conflict
from runic.ogm.session.decoding import build_edge, decode_rows
from runic.ogm.session.flush import (
    CHUNK_SIZE,
    FlushPlan,
    compile_flush,
    compile_get_or_create,
    root_model,
)
from runic.ogm.session.identity import identity_key, relation_targets, stored_key
from runic.ogm.session.transaction import TransactionBlock
from runic.ogm.session.unique_values import checks_values, refuse_unsafe
from runic.ogm.session.unit_of_work import RelationLoader, UnitOfWork

log = logging.getLogger("runic.ogm")

#: An operation: yields queries, is sent their results, returns its answer.
type Operation[T] = Generator[CompiledQuery, QueryResult, T]


class Steps[T]:
    """Walks an operation for a shell: iterate for its queries, and before asking for the
    next one set ``outcome`` to the last one's result or the error it raised.

    The operation's answer is ``value`` once the iteration ends; an error the operation
    does not handle leaves the loop as it is.
    """

    __slots__ = ("_operation", "_started", "outcome", "value")

    def __init__(self, operation: Operation[T]) -> None:
        self._operation = operation
        self._started = False
        self.outcome: QueryResult | Exception | None = None

    def __iter__(self) -> Steps[T]:
        return self

    def __next__(self) -> CompiledQuery:
        operation = self._operation
        try:
            if not self._started:
                self._started = True
                return next(operation)
            outcome = self.outcome
            if isinstance(outcome, Exception):
                return operation.throw(outcome)
            return operation.send(outcome)  # type: ignore[arg-type]
        except StopIteration as done:
            self.value: T = done.value
            raise StopIteration from None


#: Values for a statement's ``param()`` names.
type Params = Mapping[str, Any] | None


def require_statement(statement: object, method: str) -> None:
    """Refuse, before any I/O, what is not a statement (Cypher text, a model class)."""
    if not isinstance(statement, Select):
        hint = (
            "; run Cypher text with session.execute(cypher, params)"
            if isinstance(statement, str)
            else ""
        )
        raise TypeError(
            f"{method}() takes a statement such as select(User).where(...), got "
            f"{type(statement).__name__}{hint}"
        )


class SessionCore:
    """The unit of work plus the queries that read into it and flush it."""

    def __init__(
        self,
        dialect: Dialect,
        relation_loader: RelationLoader,
        autoflush: bool,
        indexed_keys: Callable[[], set[type[Node]]] | None = None,
    ) -> None:
        self.dialect = dialect
        self.autoflush = autoflush
        self.chunk_size = CHUNK_SIZE
        self.unit = UnitOfWork(relation_loader, owner=self)
        self.transaction = TransactionBlock()
        #: Root models whose key index is known to exist (shared by a driver's sessions).
        #: Root models whose key index is known to exist, shared by a driver's sessions;
        #: looked up on the first creating flush (most sessions never need it).
        self._indexed_keys = indexed_keys or set

    # -- writing -----------------------------------------------------------------

    def flush(self) -> Operation[None]:
        """Send all pending work as one atomic query; on failure nothing changes here."""
        unit = self.unit
        if not unit.pending:
            unit.gc_pause.stop()  # staged work that was all taken back
            return
        try:
            with allocation_burst(len(unit.new) + len(unit.dirty)):
                plan = unit.plan()
                if not plan:
                    unit.flushed()  # what it examined turned out unchanged
                    return
                if checks_values(self.dialect):
                    self._refuse_unsafe_values(plan)
                query = compile_flush(plan, self.dialect, chunk_size=self.chunk_size)
            if plan.new_keys or plan.upserts:
                yield from self._index_keys([*plan.new_keys, *map(root_model, plan.upserts)])
            yield from self._send_flush(plan, query)
        except BaseException as error:
            unit.unplanned()  # every change stays pending, for a retry
            if isinstance(error, WriteOutcomeUnknownError) or not isinstance(error, Exception):
                # It may have been applied (a cancelled task or an interrupt may have
                # stopped after the query went out): a retry writes idempotently.
                unit.outcome_unknown()
            unit.gc_pause.stop()  # and the collector runs again, whatever the caller does
            raise
        unit.flushed()

    def _send_flush(self, plan: FlushPlan, query: CompiledQuery) -> Operation[None]:
        try:
            yield query
        except QueryRejectedError as error:
            if self.transaction.open:
                # The server failed the block's transaction with this query; queries that
                # would explain it fail too (as another, wrong, error): it is raised as is.
                raise
            yield from self._explain_refusal(plan, error)

    def _explain_refusal(self, plan: FlushPlan, error: QueryRejectedError) -> Operation[None]:
        """Raise what a refused flush means: the entity and field of a conflict or of a
        violated constraint, found with more queries."""
        if isinstance(error, ConstraintViolationError):
            if plan.guarded:
                conflict = yield from explain_conflict(plan, self.dialect, self.unit.identity)
                if conflict is not None:
                    raise conflict from error
            explained = yield from self._explain_violation(error)
            raise explained from error
        if not plan.guarded:  # a failed guard is explained; a lost connection is kept
            raise error
        conflict = yield from explain_conflict(plan, self.dialect, self.unit.identity)
        if conflict is None:
            raise error
        raise conflict from error

    def _refuse_unsafe_values(self, plan: FlushPlan) -> None:
        for model, rows in (*plan.creates.items(), *plan.upserts.items()):
            refuse_unsafe(model, rows, self.dialect)
        for model, changes in plan.updates.items():
            refuse_unsafe(model, (changed for _, changed in changes), self.dialect)

    def _index_keys(self, models: Iterable[type[Node]]) -> Operation[None]:
        """Make sure the keys a flush checks are indexed (once per driver and model).

        Before any ``MERGE`` too (``merge()``, ``get_or_create``): on FalkorDB, concurrent
        MERGEs of one key made up to 50 nodes while their label did not exist yet (the
        index makes it exist), and one once it did.
        """
        known = self._indexed_keys()
        missing = [model for model in models if model not in known]
        if not missing:
            return
        if self.transaction.open:
            self.transaction.deferred.update(missing)  # made after the block's COMMIT
            return
        from runic.ogm.schema.keys import ensure_key_index  # the schema package uses this one

        for model in missing:
            yield from ensure_key_index(self.dialect, model)
            known.add(model)

    def index_deferred_keys(self) -> Operation[None]:
        """The key indexes a ``begin()`` block's flushes needed, once it has committed."""
        deferred, self.transaction.deferred = self.transaction.deferred, set()
        if not deferred:
            return
        try:
            yield from self._index_keys(sorted(deferred, key=lambda model: model.__name__))
        except DriverError as error:
            # The block has committed; its flushes were checked without the index. The
            # next flush outside a block tries again.
            log.warning("key index after a session.begin() block not made: %s", error)

    def commit(self) -> Operation[None]:
        """Send all pending work (outside a ``begin()`` block, which commits at its end)."""
        self.transaction.refuse_inside("commit")
        yield from self.flush()

    def rollback(self) -> None:
        """Discard work not flushed yet; what earlier flushes sent is stored (they commit
        as they go, outside a ``begin()`` block)."""
        self.transaction.refuse_inside("rollback")
        self.unit.rollback()

    def close(self) -> None:
        """Forget every entity; unloaded state on them can no longer be read."""
        self.unit.close()

    def expunge_all(self) -> None:
        """Forget every entity and all pending work; the session stays open."""
        self.unit.expunge_all()

    def finish(self, success: bool) -> Operation[None]:
        """The end of a ``with`` block: commit on success, roll back on error, close always."""
        unit = self.unit
        try:
            if not success:
                unit.rollback()
            elif unit.pending:
                yield from self.flush()
        finally:
            unit.close()

    def _prepare(self) -> Operation[None]:
        if self.autoflush:
            yield from self.flush()

    def relate(
        self, source: Node, relation: RelationAttribute[Any] | str, target: Node, edge: Any = None
    ) -> None:
        """Stage an edge (MERGE: relating twice keeps one); ``edge`` gives its properties.

        Nothing is sent until the next flush, which creates the edge with its properties.
        """
        if type(relation) is RelationAttribute and relation.model is type(source):
            attribute = relation  # the class's own attribute: nothing to resolve or check
        else:
            attribute = self.relation_of(source, relation, "relate()")
        properties = None
        if edge is not None:
            if attribute.edge is None:
                raise StatementError(
                    f"relate(): {type(source).__name__}.{attribute.name} declares no edge "
                    f"model, so it takes no edge= (got {type(edge).__name__})"
                )
            if not isinstance(edge, attribute.edge):
                raise StatementError(
                    f"relate(): edge= for {type(source).__name__}.{attribute.name} must be a "
                    f"{attribute.edge.__name__}, got {type(edge).__name__}"
                )
            properties = to_storage(edge)
        self.unit.link("merge", source, attribute, target, properties)

    def unrelate(self, source: Node, relation: RelationAttribute[Any] | str, target: Node) -> None:
        """Stage removing the edges of ``relation`` between two entities."""
        self.unit.link("unlink", source, self.relation_of(source, relation, "unrelate()"), target)

    @staticmethod
    def relation_of(
        source: Node, relation: RelationAttribute[Any] | str, method: str
    ) -> RelationAttribute[Any]:
        if not isinstance(source, Node):
            raise TypeError(f"{method} takes a Node entity first, got {type(source).__name__}")
        relations = type(source).__runic__.relations
        name = relation.name if isinstance(relation, RelationAttribute) else relation
        found = relations.get(name) if isinstance(name, str) else None
        if found is None or (
            isinstance(relation, RelationAttribute) and not issubclass(type(source), relation.model)
        ):
            known = ", ".join(relations) or "none"
            raise StatementError(
                f"{method}: {type(source).__name__} has no relation {relation!r} "
                f"(relations: {known})"
            )
        return found

    # -- reading -----------------------------------------------------------------

    def get(
        self, model: type[Node], key: Any, fetch: Sequence[str | RelationAttribute[Any]] = ()
    ) -> Operation[Any]:
        """The entity with this key, or None; a held entity with what ``fetch`` asks costs
        no query."""
        paths = tuple(resolve_fetch_path(model, path) for path in fetch) if fetch else ()
        key_field = model.__runic__.key_field
        key_value = key_field.validate(key)
        unit = self.unit
        cached = unit.cached(model, key_value)
        if cached is not None and self._holds(cached, paths):
            return cached
        template = _get_query(model, paths, self.dialect)
        key_param = key_field.converter.to_db(key_value)
        query = CompiledQuery(  # not dataclasses.replace: this is the hot path of get()
            template.cypher,
            {**template.params, "p0": key_param},
            template.read_only,
            template.columns,
            template.fetches,
        )
        if unit.pending:
            yield from self._prepare()
        found = yield from self._read_entities(query)
        return found[0] if found else None

    def get_many(
        self,
        model: type[Node],
        keys: Iterable[Any],
        fetch: Sequence[str | RelationAttribute[Any]] = (),
    ) -> Operation[list[Any]]:
        """The entities with these keys, in the order of ``keys`` (each once; keys with
        no node left out): held ones from the identity map, the others in one query."""
        if isinstance(keys, str | bytes) or not isinstance(keys, Iterable):
            raise TypeError(f"get_many() takes an iterable of keys, got {type(keys).__name__}")
        paths = tuple(resolve_fetch_path(model, path) for path in fetch) if fetch else ()
        key_field = model.__runic__.key_field
        wanted = list(dict.fromkeys(key_field.validate(key) for key in keys))
        unit = self.unit
        found: dict[Any, Node] = {}
        missing = []
        for key in wanted:
            cached = unit.cached(model, key)
            if cached is not None and self._holds(cached, paths):
                found[key] = cached
            else:
                missing.append(key)
        if missing:
            statement = select(model).where(key_field.in_(missing)).fetch(*fetch)
            if unit.pending:
                yield from self._prepare()
            for entity in (yield from self._read_entities(compile_select(statement, self.dialect))):
                found[entity._runic_values[key_field.name]] = entity
        return [found[key] for key in wanted if key in found]

    def get_one(
        self, model: type[Node], key: Any, fetch: Sequence[str | RelationAttribute[Any]] = ()
    ) -> Operation[Any]:
        """The entity with this key; :class:`~runic.ogm.exceptions.NoResultError` when
        there is none."""
        found = yield from self.get(model, key, fetch)
        if found is None:
            raise NoResultError(f"get_one(): no {model.__name__} with key {key!r}")
        return found

    def get_or_create(
        self,
        model: type[Node],
        lookup: Mapping[str, Any],
        defaults: Mapping[str, Any] | None = None,
    ) -> Operation[tuple[Any, bool]]:
        """``(entity, created)``: the node whose fields equal ``lookup``, made from
        ``lookup`` and ``defaults`` when there is none, in one atomic query."""
        if not (isinstance(model, type) and issubclass(model, Node)):
            raise TypeError(f"get_or_create() takes a Node class, got {model!r}")
        fields = model.__runic__.fields
        if not isinstance(lookup, Mapping) or not lookup:
            raise StatementError("get_or_create() needs a lookup such as {'email': ...}")
        for name in (*lookup, *(defaults or {})):
            if name not in fields:
                raise StatementError(
                    f"get_or_create(): {model.__name__} has no field {name!r} "
                    f"(fields: {', '.join(fields)})"
                )
        candidate = model(**{**(defaults or {}), **lookup})  # validates before any I/O
        if not self.dialect.atomic_get_or_create:
            raise StatementError(
                f"get_or_create() is not supported on this backend ({self.dialect.name}): it "
                "has no atomic OPTIONAL MATCH + MERGE ... ON CREATE SET"
            )
        params = {name: fields[name].to_param(value) for name, value in lookup.items()}
        row = to_storage(candidate)
        refuse_unsafe(model, [row], self.dialect)
        yield from self._prepare()
        yield from self._index_keys([root_model(model)])
        query = compile_get_or_create(model, params, row, self.dialect)
        result = yield query
        node, created = result.rows[0]
        return self.unit.merge(node), bool(created)

    def exists_key(self, model: type[Node], key: Any) -> Operation[bool]:
        found = yield from self.get(model, key, ())
        return found is not None

    def exists(self, statement: Select[Any], params: Params = None) -> Operation[bool]:
        """Whether the statement matches anything (one cheap query, no entities built)."""
        require_statement(statement, "exists")
        query = self._bound(compile_exists(statement, self.dialect), params, "exists()")
        yield from self._prepare()
        result = yield query
        return bool(result.rows)

    def one(self, statement: Select[Any], params: Params = None) -> Operation[Any]:
        """The only entity the statement matches; NoResultError or MultipleResultsError
        otherwise."""
        require_statement(statement, "one")
        found = yield from self.one_or_none(statement, params)
        if found is None:
            raise NoResultError(f"one(): no {statement.returned_model.__name__} matches")
        return found

    def one_or_none(self, statement: Select[Any], params: Params = None) -> Operation[Any]:
        """The only entity the statement matches, None when none does;
        MultipleResultsError when several do."""
        require_statement(statement, "one_or_none")
        found = yield from self.scalars(statement.limit(2), params)
        if len(found) > 1:
            raise MultipleResultsError(
                f"one(): more than one {statement.returned_model.__name__} matches"
            )
        return found[0] if found else None

    def distinct(
        self, field: FieldAttribute[Any], statement: Select[Any] | None = None
    ) -> Operation[list[Any]]:
        """The distinct values of ``field`` (sorted, None left out), over ``statement``'s
        matches or every node of the field's model."""
        if not isinstance(field, FieldAttribute):
            raise StatementError(f"distinct() takes a field such as User.city, got {field!r}")
        if statement is None:
            statement = select(field.model)
        require_statement(statement, "distinct")
        bind_field(statement.steps, statement.returns, field)  # raises, naming the field
        yield from self._prepare()
        query = compile_distinct(statement, field, self.dialect)
        result = yield query
        convert = field.converter.from_db
        return [convert(row[0]) for row in result.rows]

    @staticmethod
    def _holds(entity: Node, paths: Sequence[FetchPath]) -> bool:
        """True when every fetch path is already loaded on ``entity`` (no query needed)."""
        for path in paths:
            level = [entity]
            for relation in path:
                loaded = [item._runic_relations for item in level]
                if any(relation.name not in values for values in loaded):
                    return False
                level = [t for values in loaded for t in relation_targets(values[relation.name])]
        return True

    def scalars(self, statement: Select[Any], params: Params = None) -> Operation[list[Any]]:
        """The statement's entities, merged into the identity map; for a projection, one
        value per row (one column) or a tuple per row (several)."""
        require_statement(statement, "scalars")
        if statement.aggregates:
            raise StatementError("scalars() returns entities; read an aggregate with all_rows()")
        query = compile_select(statement, self.dialect)
        if query.named or params:
            query = self._bound(query, params, "scalars()")
        if self.unit.pending:
            yield from self._prepare()
        if statement.projection:
            result = yield query
            rows = decode_rows(result, query.columns, self.unit.merge)
            if len(query.columns) == 1:
                return [next(iter(row.values())) for row in rows]
            return [tuple(row.values()) for row in rows]
        return (yield from self._read_entities(query))

    def _bound(self, query: CompiledQuery, params: Params, method: str) -> CompiledQuery:
        """``query`` with the values of its ``param()`` names, checked before any I/O."""
        if not query.named and not params:
            return query
        values = bind_named(query.named, params, self.dialect, method)
        return replace(query, params={**query.params, **values})

    def _read_entities(self, query: CompiledQuery) -> Operation[list[Any]]:
        result = yield query
        merge = self.unit.merge
        with allocation_burst(len(result.rows)):
            if not query.fetches:
                return [merge(row[0]) for row in result.rows]
            found: list[Node] = []
            for row in result.rows:
                entity = merge(row[0])
                for (relation, children), value in zip(query.fetches, row[1:], strict=True):
                    self._attach(entity, relation, children, value)
                found.append(entity)
            return found

    def _attach(
        self, entity: Node, relation: RelationAttribute[Any], children: FetchTree, value: Any
    ) -> None:
        """Fill a fetched relation (and the relations fetched under it) from ``collect()``."""
        merge = self.unit.merge
        if not children:  # the common case: a list of nodes
            found = [merge(node) for node in value or () if node is not None]
            targets = list({id(target): target for target in found}.values())
        else:
            targets = []
            seen: set[int] = set()
            for item in value or ():
                node, nested = item[0], item[1:]
                if node is None:
                    continue
                target = merge(node)
                for (child, grandchildren), child_value in zip(children, nested, strict=True):
                    self._attach(target, child, grandchildren, child_value)
                if id(target) not in seen:
                    seen.add(id(target))
                    targets.append(target)
        self.unit.loaded_relation(entity, relation, targets)

    def search(self, statement: Select[Any]) -> Operation[list[SearchHit[Any]]]:
        """The hits of a ``fulltext_search()``/``vector_search()`` statement, with scores."""
        require_statement(statement, "search")
        if statement.search is None:
            raise StatementError(
                "search() takes a statement made by fulltext_search() or vector_search(); "
                "read other statements with scalars()"
            )
        yield from self._prepare()
        result = yield compile_select(statement, self.dialect)
        merge = self.unit.merge
        with allocation_burst(len(result.rows)):
            return [SearchHit(merge(row[0]), float(row[-1])) for row in result.rows]

    def first_hit(self, statement: Select[Any]) -> Operation[SearchHit[Any] | None]:
        require_statement(statement, "first")
        hits = yield from self.search(statement.limit(1))
        return hits[0] if hits else None

    def scalar(self, statement: Select[Any], params: Params = None) -> Operation[Any]:
        """The statement's first entity, or None; for an aggregate statement, the first
        column of its first row (``scalar(select(User).aggregate(avg(User.age)))``)."""
        require_statement(statement, "scalar")
        if statement.aggregates:
            rows = yield from self.all_rows(statement.limit(1), params)
            return next(iter(rows[0].values())) if rows else None
        found = yield from self.scalars(statement.limit(1), params)
        return found[0] if found else None

    def count(self, statement: Select[Any], params: Params = None) -> Operation[int]:
        """How many entities (or projected rows) the statement matches, ignoring skip and
        limit."""
        require_statement(statement, "count")
        query = self._bound(compile_count(statement, self.dialect), params, "count()")
        yield from self._prepare()
        result = yield query
        return int(result.rows[0][0])

    def all_rows(
        self, statement: Select[Any], params: Params = None
    ) -> Operation[list[dict[str, Any]]]:
        """One dict per row, for projections and aggregates."""
        require_statement(statement, "all_rows")
        query = self._bound(compile_select(statement, self.dialect), params, "all_rows()")
        yield from self._prepare()
        result = yield query
        return decode_rows(result, query.columns, self.unit.merge)

    def all_with_edges(self, statement: Select[Any]) -> Operation[list[tuple[Any, Any, Any]]]:
        """``(source, edge, target)`` for the statement's last traversal, one per edge."""
        require_statement(statement, "all_with_edges")
        yield from self._prepare()
        result = yield compile_edges(statement, self.dialect)
        merge = self.unit.merge
        return [
            (merge(source), build_edge(edge), merge(target)) for source, edge, target in result.rows
        ]

    def execute(
        self, cypher: str | BulkStatement, params: Mapping[str, Any] | None = None
    ) -> Operation[Any]:
        """Raw Cypher, or a bulk ``update()``/``delete()`` statement.

        Cypher gives rows (nodes and edges of declared models as entities); a bulk
        statement gives the number of nodes it changed.
        """
        if isinstance(cypher, Update | Delete):
            return (yield from self._bulk(cypher))
        if isinstance(cypher, Unwind):
            return (yield from self._unwind(cypher))
        if not isinstance(cypher, str):
            raise TypeError(
                f"execute() takes Cypher text, an update()/delete() statement or an "
                f"unwind(rows).merge(...), got {type(cypher).__name__}"
            )
        from runic.ogm.query.parameters import plain_parameters

        checked = plain_parameters(params, self.dialect)  # refuses before the autoflush
        yield from self._prepare()
        result = yield CompiledQuery(cypher, checked, read_only=False)
        return [
            {name: self._decode_raw(value) for name, value in zip(result.columns, row, strict=True)}
            for row in result.rows
        ]

    def typed_cypher(
        self, cypher: str, params: Mapping[str, Any] | None, returns: type[Any]
    ) -> Operation[list[Any]]:
        """Raw Cypher whose rows come back as ``returns``: entities of a Node class (the
        first column's nodes, joined to the identity map), ``dict`` rows, or the first
        column's values as ``int``, ``float``, ``str`` or ``bool``."""
        if not isinstance(returns, type) or not (
            issubclass(returns, Node) or returns in (dict, int, float, str, bool)
        ):
            raise TypeError(
                f"cypher(returns=...) takes a Node class, dict, int, float, str or bool, "
                f"got {returns!r}"
            )
        rows: list[dict[str, Any]] = yield from self.execute(cypher, params)
        if returns is dict:
            return rows
        values: list[Any] = []
        for index, row in enumerate(rows):
            if not row:
                raise TypeError(
                    f"cypher(): row {index} has no column to read as {returns.__name__}"
                )
            value = next(iter(row.values()))
            if value is None and not issubclass(returns, Node):
                values.append(None)
                continue
            if not isinstance(value, returns) or (returns is int and isinstance(value, bool)):
                if returns is float and isinstance(value, int) and not isinstance(value, bool):
                    value = float(value)
                else:
                    column = next(iter(row))
                    raise TypeError(
                        f"cypher(): row {index}, column {column!r} is {type(value).__name__} "
                        f"({value!r:.60}), not {returns.__name__}"
                    )
            values.append(value)
        return values

    def _bulk(self, statement: BulkStatement) -> Operation[Any]:
        model = statement.model
        compile_bulk(statement, self.dialect)  # refuses a bad statement before the flush
        if isinstance(statement, Update):
            refuse_unsafe(model, [dict(statement.assignments)], self.dialect)
        yield from self._prepare()
        # Held entities must follow the change: then each changed node is returned.
        held = any(isinstance(entity, model) for entity in self.unit.identity.values())
        if isinstance(statement, Delete) and statement.batch_size is not None:
            return (yield from self._batched_delete(statement, held))
        result = yield compile_bulk(statement, self.dialect, returning=held)
        if not held:
            return int(result.rows[0][0]) if result.rows else 0
        if isinstance(statement, Delete):
            self.unit.bulk_deleted(model, [row[0] for row in result.rows])
        else:
            self.unit.bulk_updated(model, statement.written, result.rows)
        return len(result.rows)

    def _unwind(self, statement: Unwind) -> Operation[int]:
        """Write an ``unwind()``'s rows in batches; the number of rows written."""
        target = statement.target
        if target is None:
            raise StatementError("unwind(rows) needs .merge(Model) or .merge(relation) first")
        if isinstance(target, RelationAttribute):
            return (yield from self._unwind_edges(statement, target))
        rows = ingest.node_rows(target, statement.rows)  # every row checked before any I/O
        refuse_unsafe(target, rows, self.dialect)
        yield from self._prepare()
        yield from self._index_keys([root_model(target)])
        for chunk in ingest.chunks(rows, statement.batch_size):
            yield compile_flush(ingest.node_plan(target, chunk), self.dialect)
        key_field = target.__runic__.key_field
        keys = [key_field.converter.from_db(row[key_field.name]) for row in rows]
        self._expire_held(target, keys, ())
        return len(rows)

    def _unwind_edges(self, statement: Unwind, relation: RelationAttribute[Any]) -> Operation[int]:
        shape, rows, sources, targets = ingest.edge_rows(statement)
        yield from self._prepare()
        size = statement.batch_size
        for start in range(0, len(rows), size):
            for model, keys in (
                (relation.model, sources[start : start + size]),
                (relation.target, targets[start : start + size]),
            ):
                missing = yield from self._missing_keys(model, keys)
                if missing:
                    raise EntityNotFoundError(
                        f"unwind().merge({relation.model.__name__}.{relation.name}): no "
                        f"{model.__name__} with key {missing[0]!r} ({len(missing)} missing in "
                        f"rows {start} to {start + size - 1}); rows before them were written, "
                        "these were not"
                    )
            chunk = rows[start : start + size]
            yield compile_flush(ingest.edge_plan(shape, chunk), self.dialect)
        self._expire_held(relation.model, sources, (relation.name,))
        return len(rows)

    def _missing_keys(self, model: type[Node], keys: Sequence[Any]) -> Operation[list[Any]]:
        """The keys among ``keys`` that no stored node of ``model`` has."""
        key_field = model.__runic__.key_field
        wanted = list(dict.fromkeys(keys))
        found = yield compile_select(
            select(model).where(key_field.in_(wanted)).project(key_field), self.dialect
        )
        stored = {key_field.converter.from_db(row[0]) for row in found.rows}
        return [key for key in wanted if key not in stored]

    def _expire_held(self, model: type[Node], keys: Sequence[Any], names: tuple[str, ...]) -> None:
        """Held entities the graph changed under: their next read comes from it."""
        unit = self.unit
        for key in keys:
            held = unit.cached(model, key)
            if held is not None and identity_key(held) not in unit.new:
                unit.expire(held, names)

    def _batched_delete(self, statement: Delete[Any], held: bool) -> Operation[int]:
        """Run a batched delete until a batch comes back short: the total deleted."""
        query = compile_bulk(statement, self.dialect, returning=held)
        size = statement.batch_size or 1
        total = 0
        while True:
            result = yield query
            if held:
                self.unit.bulk_deleted(statement.model, [row[0] for row in result.rows])
                deleted = len(result.rows)
            else:
                deleted = int(result.rows[0][0]) if result.rows else 0
            total += deleted
            if deleted < size:
                return total

    def _decode_raw(self, value: Any) -> Any:
        if isinstance(value, GraphNode) and registry.class_for_labels(value.labels):
            return self.unit.merge(value)
        if isinstance(value, GraphEdge):
            return build_edge(value)
        if isinstance(value, list):
            return [self._decode_raw(item) for item in value]
        return value

    def refresh(self, entity: Node) -> Operation[None]:
        """Re-read ``entity``'s fields from the graph; unflushed changes to it are dropped."""
        self.unit.persistent(entity, "refresh()")
        model = type(entity)
        key = identity_key(entity)[1]
        query = compile_select(
            select(model).where(model.__runic__.key_field == key).limit(1), self.dialect
        )
        result = yield query
        if not result.rows:
            raise EntityNotFoundError(f"refresh(): {entity!r} is no longer in the graph")
        self.unit.refreshed(entity, result.rows[0][0])

    def load(
        self, entities: Sequence[Node], *paths: str | RelationAttribute[Any]
    ) -> Operation[None]:
        """Load relations (``"articles"``, ``"articles.comments"``) for many entities in
        one round trip, so their attributes can then be read (also on an AsyncSession).

        Relations an entity already holds are kept; entities not stored yet get empty ones.
        """
        entities = list(entities)
        if not paths:
            raise StatementError("load() needs relation names, e.g. load(users, 'articles')")
        if not entities:
            return
        unit = self.unit
        for entity in entities:
            if not isinstance(entity, Node):
                raise TypeError(f"load() takes Node entities, got {type(entity).__name__}")
            unit.check_member(entity, "load()")
        model = _common_model(entities)
        resolved = [resolve_fetch_path(model, path) for path in paths]
        keys = []
        for entity in entities:
            key = identity_key(entity)
            if key in unit.new and key not in unit.upserting:
                for path in resolved:
                    unit.loaded_relation(entity, path[0], [])
            elif not self._holds(entity, resolved):
                keys.append(key[1])
        if not keys:
            return
        key_field = model.__runic__.key_field
        statement = select(model).where(key_field.in_(keys)).fetch(*paths)
        yield from self._prepare()
        yield from self._read_entities(compile_select(statement, self.dialect))

    def load_relation(
        self, entity: Node, relation: RelationAttribute[Any] | FieldAttribute[Any]
    ) -> Operation[Any]:
        """One query for an unloaded relation or expired field of a stored entity (the
        sync lazy load)."""
        if isinstance(relation, FieldAttribute):
            return (yield from self._load_expired(entity, relation))
        info = type(entity).__runic__
        key = entity._runic_values[info.key_field.name]
        statement = (
            select(type(entity))
            .where(info.key_field == key)
            .traverse(getattr(type(entity), relation.name))
            .return_target()
        )
        targets = yield from self.scalars(statement)
        return self.unit.loaded_relation(entity, relation, targets)

    def _load_expired(self, entity: Node, field: FieldAttribute[Any]) -> Operation[Any]:
        """Read the node again and fill every expired field of ``entity`` at once."""
        model = type(entity)
        key_field = model.__runic__.key_field
        key = entity._runic_values[key_field.name]
        result = yield compile_select(select(model).where(key_field == key).limit(1), self.dialect)
        if not result.rows:
            raise EntityNotFoundError(f"{entity!r} is no longer in the graph")
        self.unit.unexpired(entity, result.rows[0][0])
        return entity._runic_values[field.name]

    def stream_page(self, statement: Select[Any], page: int, size: int) -> Operation[list[Any]]:
        """One page of a streamed statement, in a stable order (the key when none is given)."""
        if not statement.ordering and not statement.aggregates:
            model = statement.returned_model
            statement = statement.order_by(model.__runic__.key_field)
        offset = page * size
        limit = size
        if statement.limit_count is not None:
            limit = min(size, statement.limit_count - offset)
            if limit <= 0:
                return []
        paged = statement.skip((statement.skip_count or 0) + offset).limit(limit)
        return (yield from self.scalars(paged))

    def release(self, entities: Sequence[Node]) -> None:
        """Let go of streamed entities nobody changed, so a long stream stays small."""
        unit = self.unit
        for entity in entities:
            key = identity_key(entity)
            if (
                unit.identity.get(key) is entity
                and key not in unit.new
                and key not in unit.deleted
                and key not in unit.dirty
                and key not in unit.planned_dirty  # changed, and its flush is in flight
                and not entity._runic_relations
            ):
                unit.expunge(entity)

    # -- failures ----------------------------------------------------------------

    def _explain_violation(
        self, error: ConstraintViolationError
    ) -> Operation[ConstraintViolationError]:
        """Find the entity and field that broke a unique constraint, with one read per field."""
        unit = self.unit
        checks: dict[tuple[type[Node], str], list[tuple[Node, Any]]] = {}
        for key, values in unit.planned.items():
            entity = unit.identity.get(key)
            if entity is None:  # expunged while the flush was in flight
                continue
            info = type(entity).__runic__
            if error.label is not None and error.label not in info.labels:
                continue
            before = unit.snapshots.get(key, {}) if key not in unit.new else {}
            for name, field in info.fields.items():
                value = values.get(name)
                unique = field.declaration.unique or name == info.primary_key
                if unique and value is not None and before.get(name) != value:
                    checks.setdefault((root_model(type(entity)), name), []).append(
                        (entity, field.converter.to_db(value))
                    )
        for (root, name), candidates in checks.items():
            seen: dict[Any, Node] = {}
            for entity, value in candidates:
                if _hashable(value) in seen:
                    return _violation(
                        error,
                        entity,
                        name,
                        value,
                        f"so does {seen[_hashable(value)]!r}, also pending",
                    )
                seen[_hashable(value)] = entity
            key_name = root.__runic__.key_field.name
            result = yield CompiledQuery(
                f"MATCH (n{labels_pattern(root, self.dialect)}) WHERE n.{quote(name)} IN $values "
                f"RETURN n.{quote(name)} AS value, n.{quote(key_name)} AS key",
                {"values": [value for _, value in candidates]},
            )
            stored = {_hashable(value): owner for value, owner in result.rows}
            for entity, value in candidates:
                owner = stored.get(_hashable(value), _NONE)
                if owner is not _NONE and owner != stored_key(entity):
                    return _violation(
                        error,
                        entity,
                        name,
                        value,
                        f"the stored {root.__name__} {owner!r} has it already",
                    )
        return error


_NONE = object()


def _common_model(entities: Sequence[Node]) -> type[Node]:
    """The most specific model class every entity is an instance of."""
    for cls in type(entities[0]).__mro__:
        if cls is Node:
            break
        if issubclass(cls, Node) and all(isinstance(entity, cls) for entity in entities):
            return cls
    kinds = sorted({type(entity).__name__ for entity in entities})
    raise StatementError(f"load() takes entities of one model, got {', '.join(kinds)}")


def refuse_lazy_load(
    entity: Node, relation: RelationAttribute[Any] | FieldAttribute[Any]
) -> NoReturn:
    """What an AsyncSession does on access to an unloaded relation or an expired field:
    say how to load it."""
    model = type(entity).__name__
    name = relation.name
    if isinstance(relation, FieldAttribute):
        raise LazyLoadError(
            f"{model}.{name} was expired, and an AsyncSession never loads lazily (attribute "
            "access cannot await): await session.refresh(entity) before reading it"
        )
    raise LazyLoadError(
        f"{model}.{name} is not loaded, and an AsyncSession never loads lazily (attribute "
        f"access cannot await). Load it up front: await session.get({model}, key, "
        f"fetch=[{name!r}]), select({model}).fetch({name!r}), or a traversal query."
    )


_get_queries: dict[tuple[type[Node], tuple[FetchPath, ...], Dialect], CompiledQuery] = {}


def _get_query(model: type[Node], paths: tuple[FetchPath, ...], dialect: Dialect) -> CompiledQuery:
    """The compiled ``get()`` for a model and fetch paths; only the key parameter varies."""
    cached = _get_queries.get((model, paths, dialect))
    if cached is not None:
        return cached
    # The key is a placeholder here; each get() puts its own stored key in "p0".
    statement = select(model).where(Comparison(model.__runic__.key_field, "=")).limit(1)
    if paths:
        statement = replace(statement, fetches=paths)
    query = _get_queries[(model, paths, dialect)] = compile_select(statement, dialect)
    assert set(query.params) == {"p0", "limit"}, query.params
    return query


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _violation(
    error: ConstraintViolationError, entity: Node, field: str, value: Any, clash: str
) -> ConstraintViolationError:
    model = type(entity).__name__
    return ConstraintViolationError(
        f"commit refused by the unique constraint on {model}.{field}: {entity!r} has "
        f"{field}={value!r} and {clash}. Nothing was written; the session still holds its "
        f"changes, so fix the value and commit again, or roll back. ({error})",
        label=error.label,
        entity=entity,
        field=field,
    )
