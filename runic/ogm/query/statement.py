"""Immutable select statements.

Every builder method returns a new :class:`Select`; nothing mutates the statement it
was called on, so statements can be shared, stored and extended freely.

A statement is a chain of steps: the root node and each ``traverse()`` target. Field
references in ``where``/``order_by``/``aggregate`` bind to the most recent step whose
model they belong to, counting back from the step that was current when the method was
called; so ``where`` after ``traverse`` filters the target.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Self, cast, overload

from runic.ogm.exceptions import StatementError
from runic.ogm.identifiers import validate_identifier
from runic.ogm.query.expressions import Expression
from runic.ogm.query.functions import Aggregate
from runic.ogm.query.terms import Constant, Labeled, StepRef, Term, term

if TYPE_CHECKING:
    from runic.ogm.model.fields import FieldAttribute
    from runic.ogm.model.node import Node
    from runic.ogm.model.relations import Direction, RelationAttribute
    from runic.ogm.query.search import SearchSource


@dataclass(frozen=True, slots=True)
class Step:
    model: type[Node]
    relation: RelationAttribute[Any] | None = None
    alias: str | None = None
    edge_alias: str | None = None
    #: traverse(optional=True): rows without a match keep the step as null (OPTIONAL MATCH).
    optional: bool = False
    #: traverse(direction=...): the relation followed the other way, or both ways.
    direction: Direction | None = None
    #: repeat(relation, min_hops=, max_hops=): a path of that many edges.
    hops: tuple[int, int] | None = None
    #: any_of(relation, ...): the types of the other relations followed as well.
    also: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Repeat[N: Node]:
    """``repeat(User.friends, min_hops=1, max_hops=3)``: a relation followed over a path
    of ``min_hops`` to ``max_hops`` edges, for :meth:`Select.traverse`."""

    relation: RelationAttribute[N] | AnyOf[N]
    min_hops: int
    max_hops: int


@dataclass(frozen=True, slots=True)
class AnyOf[N: Node]:
    """``any_of(User.friends, User.colleagues)``: relations of one source and target
    model followed in one step (``-[:FRIEND|COLLEAGUE]->``), for :meth:`Select.traverse`."""

    relations: tuple[RelationAttribute[N], ...]


def any_of[N: Node](*relations: RelationAttribute[N]) -> AnyOf[N]:
    """Several relations of the same source and target models, followed in one step;
    the first one's direction applies (override it with ``traverse(direction=...)``)."""
    from runic.ogm.model.relations import RelationAttribute

    if len(relations) < 2:
        raise StatementError("any_of() takes at least two relations")
    for relation in relations:
        if not isinstance(relation, RelationAttribute):
            raise StatementError(f"any_of() takes relations such as User.friends, got {relation!r}")
    first = relations[0]
    for relation in relations[1:]:
        if relation.model is not first.model or relation.target is not first.target:
            raise StatementError(
                f"any_of(): {relation.model.__name__}.{relation.name} does not join the same "
                f"models as {first.model.__name__}.{first.name}"
            )
        if relation.declaration.direction is not first.declaration.direction:
            raise StatementError(
                f"any_of(): {relation.model.__name__}.{relation.name} goes another direction "
                f"than {first.model.__name__}.{first.name}; pass traverse(direction=...)"
            )
    return AnyOf(tuple(relations))


#: The longest path a repeat() may follow: a bound on the work one query can ask for.
MAX_HOPS = 32


def repeat[N: Node](
    relation: RelationAttribute[N] | AnyOf[N], *, min_hops: int = 1, max_hops: int
) -> Repeat[N]:
    """A relation followed over a path of ``min_hops`` to ``max_hops`` edges (``max_hops``
    at most 32): ``select(User).traverse(repeat(User.friends, max_hops=3))``."""
    from runic.ogm.model.relations import RelationAttribute

    if not isinstance(relation, RelationAttribute | AnyOf):
        raise StatementError(f"repeat() takes a relation such as User.friends, got {relation!r}")
    for name, hops in (("min_hops", min_hops), ("max_hops", max_hops)):
        if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
            raise StatementError(f"repeat({name}=...) takes a non-negative int, got {hops!r}")
    if not min_hops <= max_hops <= MAX_HOPS:
        raise StatementError(
            f"repeat() needs min_hops <= max_hops <= {MAX_HOPS}, got {min_hops} and {max_hops}"
        )
    return Repeat(relation, min_hops, max_hops)


@dataclass(frozen=True, slots=True)
class OrderKey:
    key: FieldAttribute[Any] | str
    context: int
    descending: bool


@dataclass(frozen=True, slots=True)
class Stage:
    """``with_()``: the rows up to step ``step``, ordered and paged, before any later
    traversal expands them."""

    step: int
    ordering: tuple[OrderKey, ...]
    skip_count: int | None
    limit_count: int | None


@dataclass(frozen=True, slots=True)
class GroupKey:
    key: FieldAttribute[Any] | str
    context: int


#: A relation path to eager-load, e.g. ``(User.articles, Article.comments)``.
FetchPath = tuple["RelationAttribute[Any]", ...]


@dataclass(frozen=True, slots=True)
class Select[T]:
    """A query over nodes: build it with :func:`select` and the methods below."""

    steps: tuple[Step, ...]
    conditions: tuple[tuple[int, Expression], ...] = ()
    ordering: tuple[OrderKey, ...] = ()
    skip_count: int | None = None
    limit_count: int | None = None
    is_distinct: bool = False
    returns: int = 0
    aggregates: tuple[tuple[int, Aggregate], ...] = ()
    grouping: tuple[GroupKey, ...] = ()
    fetches: tuple[FetchPath, ...] = ()
    #: Set by fulltext_search()/vector_search(): the index query that feeds the root.
    search: SearchSource | None = None
    #: order_by_random(): rows in a random order (after any order_by keys).
    shuffled: bool = False
    #: select(User.name, ...) / project(...): the columns returned instead of entities.
    projection: tuple[Labeled[Any], ...] = ()
    #: with_(): order and page the rows so far before later traversals expand them.
    stages: tuple[Stage, ...] = ()

    @property
    def current(self) -> int:
        return len(self.steps) - 1

    def __str__(self) -> str:
        """The Cypher this statement compiles to for FalkorDB; for another backend,
        ``compile_select(statement, driver.dialect).cypher``."""
        from runic.ogm.query.compiler import compile_select

        return compile_select(self).cypher

    @property
    def root(self) -> type[Node]:
        return self.steps[0].model

    @property
    def returned_model(self) -> type[Node]:
        return self.steps[self.returns].model

    def where(self, *conditions: Expression, on: str | None = None) -> Self:
        """Keep rows matching every condition (several calls AND together).

        A field reads the most recent step of its model; ``on="alias"`` makes the
        conditions' fields read the step (or edge) of that alias instead, for a model
        that appears at several steps (``select(User).alias("u").traverse(User.friends)``).
        """
        context = self.current if on is None else self.step_named(on)
        bound = list(self.conditions)
        for condition in conditions:
            if not isinstance(condition, Expression):
                raise StatementError(
                    "where() takes conditions such as User.name == 'Alice', "
                    f"got {type(condition).__name__}"
                )
            try:
                steps = [bind_field(self.steps, context, f) for f in condition.fields()]
            except StatementError:
                if on is None:
                    raise
                steps = [-1]
            if on is not None and any(step != context for step in steps):
                raise StatementError(
                    f"where(on={on!r}): the condition reads a field of another step than {on!r}"
                )
            if self.stages and max(steps, default=0) <= self.stages[-1].step:
                raise StatementError(
                    "where() after with_() filters the steps paged by it; filter them "
                    "before with_(), or filter a later traversal"
                )
            bound.append((context, condition))
        return _evolve(self, conditions=tuple(bound))

    def step_named(self, alias: str) -> int:
        """The index of the step whose node or edge is called ``alias``."""
        for index, step in enumerate(self.steps):
            if alias in (step.alias, step.edge_alias):
                return index
        names = [n for step in self.steps for n in (step.alias, step.edge_alias) if n]
        raise StatementError(
            f"no step is called {alias!r} (aliases: {', '.join(names) or 'none'}); name one "
            "with alias() or traverse(edge_alias=...)"
        )

    def alias(self, name: str) -> Self:
        """Name the current step (the root, or the last traversal target)."""
        validate_identifier(name, "alias")
        taken = {step.alias for step in self.steps} | {step.edge_alias for step in self.steps}
        if name in taken and self.steps[self.current].alias != name:
            raise StatementError(f"alias {name!r} is already used in this statement")
        steps = list(self.steps)
        steps[self.current] = replace(steps[self.current], alias=name)
        return _evolve(self, steps=tuple(steps))

    def traverse[N: Node](
        self,
        relation: RelationAttribute[N] | Repeat[N] | AnyOf[N],
        *,
        edge_alias: str | None = None,
        optional: bool = False,
        direction: Direction | str | None = None,
    ) -> Traversal[T, N]:
        """Follow ``relation`` from the current step; later calls apply to its target.

        ``edge_alias`` names the edge (its Edge class's fields then filter and order it);
        ``optional=True`` keeps rows with no match (``OPTIONAL MATCH``), the step null;
        ``direction`` follows the relation ``"OUTGOING"``, ``"INCOMING"`` or ``"BOTH"``
        ways instead of its declared one; :func:`repeat` follows a path of several edges.
        """
        from runic.ogm.model.relations import Direction, RelationAttribute

        hops = None
        if isinstance(relation, Repeat):
            hops = (relation.min_hops, relation.max_hops)
            relation = relation.relation
        also: tuple[str, ...] = ()
        if isinstance(relation, AnyOf):
            also = tuple(other.type for other in relation.relations[1:])
            relation = relation.relations[0]
        if not isinstance(relation, RelationAttribute):
            raise StatementError(
                f"traverse() takes a relation such as User.articles, got {relation!r}"
            )
        if not isinstance(optional, bool):
            raise StatementError(f"traverse(optional=...) takes a bool, got {optional!r}")
        if direction is not None:
            try:
                direction = Direction(
                    direction.upper() if isinstance(direction, str) else direction
                )
            except ValueError:
                raise StatementError(
                    f"traverse(direction=...) takes OUTGOING, INCOMING or BOTH, got {direction!r}"
                ) from None
        source = self.steps[self.current].model
        if not (issubclass(source, relation.model) or issubclass(relation.model, source)):
            raise StatementError(
                f"cannot traverse {relation.model.__name__}.{relation.name} from {source.__name__}"
            )
        if edge_alias is not None:
            validate_identifier(edge_alias, "edge alias")
        step = Step(relation.target, relation, None, edge_alias, optional, direction, hops, also)
        traversal = _evolve(self, steps=(*self.steps, step), into=Traversal)
        return cast("Traversal[T, N]", traversal)

    def return_target(self) -> Select[Any]:
        """Return the last traversal target instead of the root."""
        if len(self.steps) < 2:
            raise StatementError("return_target() needs a traverse() first")
        if self.steps[self.current].optional:
            raise StatementError(
                "return_target(): an optional traversal's target may be missing; return it "
                "from a traverse() without optional=True, or project() its fields"
            )
        if self.fetches:
            raise StatementError(
                "call fetch() after return_target(): it applies to what is returned"
            )
        return _evolve(self, returns=self.current)

    def order_by(
        self, key: FieldAttribute[Any] | str, desc: bool = False, *, on: str | None = None
    ) -> Self:
        """Sort by a field, ``"alias.property"`` or an aggregate name; calls add keys.
        ``on="alias"`` reads the field at that step (see :meth:`where`)."""
        from runic.ogm.model.fields import FieldAttribute

        context = self.current if on is None else self.step_named(on)
        if on is not None:
            if not isinstance(key, FieldAttribute):
                raise StatementError("order_by(on=...) takes a field; name others 'alias.property'")
            if bind_field(self.steps, context, key) != context:
                raise StatementError(f"order_by(on={on!r}): {key.name} is not a field of {on!r}")
        self._check_key(key, "order_by()")
        if not isinstance(desc, bool):
            raise StatementError(f"order_by(desc=...) must be a bool, got {desc!r}")
        return _evolve(self, ordering=(*self.ordering, OrderKey(key, context, desc)))

    def order_by_random(self) -> Self:
        """Rows in a random order, e.g. ``select(Quote).order_by_random().limit(1)``."""
        return _evolve(self, shuffled=True)

    def _check_key(self, key: object, what: str) -> None:
        """A key is a field of some step, or an ``alias``/``alias.property``/column name."""
        from runic.ogm.model.fields import FieldAttribute

        if isinstance(key, FieldAttribute):
            bind_field(self.steps, self.current, key)
        elif isinstance(key, str):
            for part in key.split(".", 1):
                validate_identifier(part, f"{what} key")
        else:
            raise StatementError(
                f"{what} takes fields or 'alias.property' names, got {type(key).__name__}"
            )

    def fetch(self, *paths: str | RelationAttribute[Any]) -> Self:
        """Eager-load relations of the returned entities in the same round trip.

        A path is a relation (``User.articles``) or a dotted name (``"articles.author"``).
        """
        if self.aggregates or self.projection:
            raise StatementError(
                "fetch() loads relations of entities; an aggregate or projection has none"
            )
        if self.search is not None:
            raise StatementError(
                "fetch() is not available on a search yet; read the hits, then load their "
                "relations with a select(...).where(key in ...).fetch(...)"
            )
        added = tuple(resolve_fetch_path(self.returned_model, path) for path in paths)
        known = set(self.fetches)
        return _evolve(self, fetches=(*self.fetches, *(p for p in added if p not in known)))

    def project(self, *columns: Any) -> Select[Any]:
        """Return these columns instead of entities: fields, terms (``lower(User.name)``,
        ``coalesce(...)``), aggregates (rows are then grouped by the other columns),
        ``"alias"`` or ``"alias.property"``; name one with ``.as_("name")``."""
        if self.fetches:
            raise StatementError("project() returns columns, which cannot fetch= relations")
        if self.aggregates:
            raise StatementError(
                "use project() or aggregate(), not both: project() takes aggregates too"
            )
        return _evolve(self, projection=projection_of(self.steps, columns))

    def with_(self) -> Self:
        """Order and page the rows so far before later traversals expand them:
        ``select(User).order_by(User.name).limit(10).with_().traverse(User.articles)``
        follows the articles of the first ten users only. The order, skip and limit given
        before ``with_()`` apply there; those given after, to the final rows."""
        if self.skip_count is None and self.limit_count is None and not self.ordering:
            raise StatementError("with_() needs an order_by(), skip() or limit() before it")
        if self.aggregates or self.projection or self.search is not None:
            raise StatementError("with_() pages a traversal's rows; call it before project()")
        stage = Stage(self.current, self.ordering, self.skip_count, self.limit_count)
        return _evolve(
            self, stages=(*self.stages, stage), ordering=(), skip_count=None, limit_count=None
        )

    def skip(self, count: int) -> Self:
        return _evolve(self, skip_count=_non_negative(count, "skip"))

    def limit(self, count: int) -> Self:
        return _evolve(self, limit_count=_non_negative(count, "limit"))

    def distinct(self) -> Self:
        return _evolve(self, is_distinct=True)

    def aggregate(
        self,
        *aggregates: Aggregate,
        group_by: FieldAttribute[Any] | str | list[FieldAttribute[Any] | str] | None = None,
    ) -> Select[Any]:
        """Return aggregate rows instead of entities (read them with ``all_rows``)."""
        from runic.ogm.model.fields import FieldAttribute

        if not aggregates:
            raise StatementError("aggregate() needs at least one aggregate, e.g. count('*')")
        if self.fetches:
            raise StatementError("aggregate() returns rows, which cannot fetch= relations")
        if self.projection:
            raise StatementError(
                "use project() or aggregate(), not both: project() takes aggregates too"
            )
        added = []
        for aggregate in aggregates:
            if not isinstance(aggregate, Aggregate):
                raise StatementError(
                    f"aggregate() takes count(), sum_(), ..., got {type(aggregate).__name__}"
                )
            if isinstance(aggregate.argument, FieldAttribute):
                bind_field(self.steps, self.current, aggregate.argument)
            added.append((self.current, aggregate))
        keys: list[FieldAttribute[Any] | str]
        if group_by is None:
            keys = []
        elif isinstance(group_by, list | tuple):
            keys = list(group_by)
        else:
            keys = [group_by]
        grouping = []
        for key in keys:
            self._check_key(key, "group_by")
            grouping.append(GroupKey(key, self.current))
        names = [a.name for _, a in (*self.aggregates, *added)]
        duplicates = {name for name in names if names.count(name) > 1}
        if duplicates:
            raise StatementError(
                f"aggregate name {sorted(duplicates)[0]!r} is used twice; name them with .as_()"
            )
        return _evolve(
            self,
            aggregates=(*self.aggregates, *added),
            grouping=(*self.grouping, *grouping),
        )


class Traversal[T, N: Node](Select[T]):
    """A statement after ``traverse()``: it still returns ``T`` (the root) until
    ``return_target()`` makes it return ``N``, the last traversal target."""

    __slots__ = ()

    def return_target(self) -> Select[N]:
        """Return the last traversal target instead of the root."""
        return super().return_target()


_SELECT_FIELDS = tuple(Select.__dataclass_fields__)


def _evolve[S: Select[Any]](statement: S, into: type[Any] | None = None, **changes: Any) -> S:
    """``dataclasses.replace`` for the hot builder methods, without its per-call field
    introspection (a statement is built for each query). ``into`` changes the class."""
    new = object.__new__(into or type(statement))
    for name in _SELECT_FIELDS:
        value = changes[name] if name in changes else getattr(statement, name)
        object.__setattr__(new, name, value)
    return new


_PROJECT_OR_AGGREGATE = "use project() or aggregate(), not both: project() takes aggregates too"

type _Column[T] = FieldAttribute[T] | Term[T] | Labeled[T]


@overload
def select[T](model: type[T], /) -> Select[T]: ...
@overload
def select[A](a: _Column[A], /) -> Select[A]: ...
@overload
def select[A, B](a: _Column[A], b: _Column[B], /) -> Select[tuple[A, B]]: ...
@overload
def select[A, B, C](a: _Column[A], b: _Column[B], c: _Column[C], /) -> Select[tuple[A, B, C]]: ...
@overload
def select[A, B, C, D](
    a: _Column[A], b: _Column[B], c: _Column[C], d: _Column[D], /
) -> Select[tuple[A, B, C, D]]: ...
@overload
def select(*columns: Any) -> Select[tuple[Any, ...]]: ...
def select(*columns: Any) -> Select[Any]:
    """Start a statement over the nodes of a model (its subclasses included):
    ``select(User)``; or over columns: ``select(User.name, lower(User.email))`` returns
    one value per row for one column, a tuple for several (see :meth:`Select.project`).
    """
    if len(columns) == 1 and isinstance(columns[0], type):
        return _select_model(columns[0])
    if not columns:
        raise StatementError("select() takes a Node class, or fields and terms to return")
    fields = [f for column in columns for f in _column_fields(column)]
    if not fields:
        raise StatementError(
            "select(columns): at least one column must read a model field, so runic knows "
            "which nodes to match; start with select(Model).project(...) otherwise"
        )
    root = fields[0].model
    return _select_model(root).project(*columns)


def _column_fields(column: Any) -> list[FieldAttribute[Any]]:
    from runic.ogm.model.fields import FieldAttribute

    if isinstance(column, Labeled):
        column = column.term
    if isinstance(column, FieldAttribute):
        return [column]
    if isinstance(column, Term):
        return list(column.fields())
    if isinstance(column, Aggregate):
        argument = column.argument
        return [argument] if isinstance(argument, FieldAttribute) else []
    return []


def projection_of(steps: tuple[Step, ...], columns: tuple[Any, ...]) -> tuple[Labeled[Any], ...]:
    """The columns of a projection, named and checked against the steps, before any I/O."""
    if not columns:
        raise StatementError("project() needs at least one column")
    labeled: list[Labeled[Any]] = []
    for given in columns:
        column: Any = given
        name: str | None = None
        if isinstance(column, Labeled):
            column, name = column.term, column.name
        if isinstance(column, Aggregate):
            value: Any = column
            name = name or column.name
        elif isinstance(column, str):
            for part in column.split(".", 1):
                validate_identifier(part, "project() column")
            value = StepRef(column)
        else:
            value = term(column)
            if isinstance(value, Constant):
                raise StatementError(
                    f"project() takes fields, terms and aggregates, got {column!r}; name a "
                    "constant with fn() or a param() if it must be a column"
                )
        for field in _column_fields(value):
            bind_field(steps, len(steps) - 1, field)
        name = name or getattr(value, "default_name", None)
        if name is None:
            raise StatementError(f"project(): name the column {column!r} with .as_('name')")
        labeled.append(Labeled(value, name))
    names = [column.name for column in labeled]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise StatementError(
            f"project(): the column name {twice[0]!r} is used twice; name one with .as_()"
        )
    return tuple(labeled)


def _select_model[T](model: type[T]) -> Select[T]:
    started = _started.get(model) if isinstance(model, type) else None
    if started is not None:
        return started  # statements are immutable: one start per model serves every call
    from runic.ogm.model.node import Node

    if not (isinstance(model, type) and issubclass(model, Node)):
        raise StatementError(f"select() takes a Node class, got {model!r}")
    if model.__runic__.abstract:
        raise StatementError(f"select() cannot query the abstract class {model.__name__}")
    started = _started[model] = Select(steps=(Step(model),))
    return started


#: ``select(model)`` per model, built once.
_started: dict[Any, Select[Any]] = {}


def bind_field(steps: tuple[Step, ...], context: int, field: FieldAttribute[Any]) -> int:
    """The index of the step ``field`` refers to, searching back from ``context``: the
    step of its node class, or for a field of an Edge class, the step whose relation
    declares that edge (see :func:`is_edge_field`)."""
    if is_edge_field(field):
        for index in range(context, 0, -1):
            step = steps[index]
            edge = step.relation.edge if step.relation is not None else None
            if edge is not None and issubclass(edge, field.model) and not step.also:
                if step.hops is not None:
                    raise StatementError(
                        f"{field.model.__name__}.{field.name}: a repeat() step is a path of "
                        "several edges, whose fields cannot be filtered one by one"
                    )
                return index
        raise StatementError(
            f"{field.model.__name__}.{field.name} is a field of an edge that no traverse() in "
            "this statement follows (its relation must declare edge=...)"
        )
    for index in range(context, -1, -1):
        model = steps[index].model
        if issubclass(model, field.model) or issubclass(field.model, model):
            return index
    names = ", ".join(step.model.__name__ for step in steps[: context + 1])
    raise StatementError(
        f"{field.model.__name__}.{field.name} does not belong to any node in this "
        f"statement ({names})"
    )


def is_edge_field(field: FieldAttribute[Any]) -> bool:
    """A field of an Edge class: it reads the edge a traversal step follows."""
    from runic.ogm.model.edge import Edge

    return issubclass(field.model, Edge)


def resolve_fetch_path(model: type[Node], path: str | RelationAttribute[Any]) -> FetchPath:
    """Check a ``fetch=`` entry against the model before any I/O."""
    from runic.ogm.model.relations import RelationAttribute

    if isinstance(path, RelationAttribute):
        if not (issubclass(model, path.model) or issubclass(path.model, model)):
            raise StatementError(
                f"fetch={path.model.__name__}.{path.name}: not a relation of {model.__name__}"
            )
        return (path,)
    if not isinstance(path, str) or not path:
        raise StatementError(
            f"fetch= takes relation names such as 'articles' or 'articles.author', got {path!r}"
        )
    resolved = []
    current = model
    for name in path.split("."):
        relations = current.__runic__.relations
        relation = relations.get(name)
        if relation is None:
            known = ", ".join(relations) or "none"
            raise StatementError(
                f"fetch={path!r}: {current.__name__} has no relation {name!r} "
                f"(relations of {current.__name__}: {known})"
            )
        resolved.append(relation)
        current = relation.target
    return tuple(resolved)


def _non_negative(count: int, name: str) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise StatementError(f"{name}() takes a non-negative int, got {count!r}")
    return count
