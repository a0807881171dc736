"""The Cypher compiler: a pure function of a statement and a dialect.

Every user value becomes a ``$parameter``; labels, types and property names are
validated identifiers quoted with backticks. The result also says how to decode each
returned column, so sessions need no knowledge of the statement to read its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from runic.ogm.driver.dialect import FALKORDB, Dialect
from runic.ogm.exceptions import StatementError
from runic.ogm.identifiers import quote
from runic.ogm.model.relations import Direction
from runic.ogm.model.types import IntConverter, InternedStrConverter, StrConverter
from runic.ogm.query.expressions import Comparison, Conjunction, Expression, Negation
from runic.ogm.query.functions import Aggregate
from runic.ogm.query.parameters import plain_value
from runic.ogm.query.statement import Select, Stage, bind_field, is_edge_field
from runic.ogm.query.terms import (
    Call,
    Case,
    Constant,
    FieldRef,
    Labeled,
    Parameter,
    Score,
    StepRef,
    Term,
    TermComparison,
)

if TYPE_CHECKING:
    from runic.ogm.model.entity import Entity
    from runic.ogm.model.fields import FieldAttribute
    from runic.ogm.model.node import Node
    from runic.ogm.model.relations import RelationAttribute
    from runic.ogm.model.types import Converter

ColumnKind = Literal["node", "value"]


@dataclass(frozen=True, slots=True)
class Column:
    """How to decode one returned column: a node, or a value through ``converter``."""

    name: str
    kind: ColumnKind = "value"
    converter: Converter | None = None
    many: bool = False


#: Relations to eager-load, each with the relations to load under it.
type FetchTree = tuple[tuple[RelationAttribute[Any], FetchTree], ...]


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    cypher: str
    params: dict[str, Any] = field(default_factory=dict)
    read_only: bool = True
    columns: tuple[Column, ...] = ()
    #: For a statement with ``fetch()``: the relations held by the columns after the first.
    fetches: FetchTree = ()
    #: The ``param()`` names the statement uses, each with the field it is compared with
    #: (whose converter checks and converts the value) or None: bound by ``bind_named``.
    named: tuple[tuple[str, FieldAttribute[Any] | None], ...] = ()


def fetch_tree(paths: Sequence[Sequence[RelationAttribute[Any]]]) -> FetchTree:
    """Merge fetch paths with common prefixes (``articles`` and ``articles.author``)."""
    root: dict[RelationAttribute[Any], dict[Any, Any]] = {}
    for path in paths:
        level = root
        for relation in path:
            level = level.setdefault(relation, {})

    def freeze(level: dict[RelationAttribute[Any], dict[Any, Any]]) -> FetchTree:
        return tuple((relation, freeze(children)) for relation, children in level.items())

    return freeze(root)


def labels_pattern(model: type[Node], dialect: Dialect = FALKORDB, properties: str = "") -> str:
    """``:`User`:`Admin``` (and ``{properties}``) for a node pattern.

    On a one-label backend the node carries its root's label, and each further label is a
    ``_is_<Label>: true`` property, matched the same way.
    """
    key = (model, dialect, properties)
    pattern = _patterns.get(key)
    if pattern is None:
        pattern = _patterns[key] = _labels_pattern(model, dialect, properties)
    return pattern


#: Patterns by (model, dialect, properties): every statement compiles a few of them.
_patterns: dict[tuple[type[Node], Dialect, str], str] = {}


def _labels_pattern(model: type[Node], dialect: Dialect, properties: str) -> str:
    labels = model.__runic__.labels
    entries = [properties] if properties else []
    if dialect.single_label:
        root_labels = _root_labels(model)
        markers = [f"{quote('_is_' + label)}: true" for label in labels if label not in root_labels]
        labels = root_labels
        entries = markers + entries
    text = "".join(":" + quote(label) for label in labels)
    return text + (" {" + ", ".join(entries) + "}" if entries else "")


def label_markers(model: type[Node]) -> dict[str, bool]:
    """The ``_is_<Label>`` properties a node of ``model`` has on a one-label backend."""
    root_labels = _root_labels(model)
    return {"_is_" + label: True for label in model.__runic__.labels if label not in root_labels}


def _root_labels(model: type[Node]) -> tuple[str, ...]:
    root = model.__runic__.root or model
    return root.__runic__.labels[:1] if root.__runic__.labels else model.__runic__.labels[:1]


class _SelectCompiler:
    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        self.statement = statement
        self.dialect = dialect
        self.params: dict[str, Any] = {}
        #: Each step's name as the user knows it, and as the Cypher text refers to it.
        self.names, self.aliases, self.edge_aliases = _aliases(statement)
        self.named: dict[str, FieldAttribute[Any] | None] = {}

    def parameter(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return "$" + name

    def property_of(self, context: int, field: FieldAttribute[Any]) -> str:
        step = bind_field(self.statement.steps, context, field)
        alias = self.edge_aliases[step] if is_edge_field(field) else self.aliases[step]
        return f"{alias}.{quote(field.name)}"

    def matches(self) -> list[str]:
        """One MATCH per step, each followed by the conditions it makes decidable."""
        statement = self.statement
        by_step: dict[int, list[str]] = {}
        key_match = ""  # the root's key, in its pattern (Dialect.key_in_pattern)
        for context, condition in statement.conditions:
            steps = [bind_field(statement.steps, context, f) for f in condition.fields()]
            decided_at = max(steps, default=0)
            if not key_match and decided_at == 0 and self._is_key_equality(condition):
                assert isinstance(condition, Comparison)
                name, value = quote(condition.field.name), self.parameter(condition.value)
                key_match = f"{name}: {value}"
                # Said twice: the map is served by a GIN index on the properties, the
                # comparison by the key's btree index (runic.ogm.schema.age).
                by_step.setdefault(0, []).append(f"{self.aliases[0]}.{name} = {value}")
                continue
            by_step.setdefault(decided_at, []).append(self.expression(context, condition, top=True))
        lines = []
        for index, step in enumerate(statement.steps):
            pattern = labels_pattern(step.model, self.dialect, key_match if index == 0 else "")
            target = f"({self.aliases[index]}{pattern})"
            if step.relation is None and statement.search is not None:
                alias = self.aliases[index]
                lines.append(self.dialect.search_call(statement.search, self.parameter, alias))
            elif step.relation is None:
                lines.append(f"MATCH {target}")
            else:
                hops = f"*{step.hops[0]}..{step.hops[1]}" if step.hops is not None else ""
                if step.also and not self.dialect.type_alternatives:
                    raise StatementError(
                        f"any_of(): {self.dialect.name} cannot follow several relation types "
                        "in one step; traverse each relation in a statement of its own"
                    )
                types = "|".join(quote(name) for name in (step.relation.type, *step.also))
                edge = f"[{self.edge_aliases[index]}:{types}{hops}]"
                source = f"({self.aliases[index - 1]})"
                direction = step.direction or step.relation.direction
                clause = "OPTIONAL MATCH" if step.optional else "MATCH"
                lines.append(f"{clause} {source}{arrow(direction, edge)}{target}")
            if index in by_step:
                lines.append("WHERE " + " AND ".join(by_step[index]))
            for number, stage in enumerate(statement.stages):
                if stage.step == index:
                    lines += self.stage(number, stage)
        return lines

    def _is_key_equality(self, condition: Expression) -> bool:
        """``<root key> = <value>``, on a dialect that matches keys in the pattern."""
        statement = self.statement
        if not self.dialect.key_in_pattern or statement.search is not None:
            return False
        if not isinstance(condition, Comparison) or condition.op != "=":
            return False
        key = statement.steps[0].model.__runic__.key_field
        return (
            condition.field.name == key.name
            and not is_edge_field(condition.field)
            and not isinstance(condition.value, Term)
            # By the key's type, not the value (get()'s template has none): containment
            # matches a list by a part of it, and an int and a float never.
            and type(key.converter) in (StrConverter, InternedStrConverter, IntConverter)
        )

    def stage(self, number: int, stage: Stage) -> list[str]:
        """``WITH`` the steps so far, ordered and paged (see ``Select.with_``)."""
        kept = [*self.aliases[: stage.step + 1], *self.edge_aliases[1 : stage.step + 1]]
        lines = ["WITH " + ", ".join(kept)]
        order = [
            (
                self.column_reference(key.key, "order_by")
                if isinstance(key.key, str)
                else self.property_of(key.context, key.key)
            )
            + (" DESC" if key.descending else "")
            for key in stage.ordering
        ]
        if order:
            lines.append("ORDER BY " + ", ".join(order))
        if stage.skip_count is not None:
            self.params[f"skip{number}"] = stage.skip_count
            lines.append(f"SKIP $skip{number}")
        if stage.limit_count is not None:
            self.params[f"limit{number}"] = stage.limit_count
            lines.append(f"LIMIT $limit{number}")
        return lines

    def named_parameter(self, name: str, field: FieldAttribute[Any] | None) -> str:
        if self.named.get(name) is None:
            self.named[name] = field
        return "$" + name

    def term(self, context: int, value: Term[Any], field: FieldAttribute[Any] | None = None) -> str:
        """Cypher for a term; ``field`` is what it is compared with, if a field."""
        if isinstance(value, FieldRef):
            return self.property_of(context, value.field)
        if isinstance(value, Constant):
            return self.parameter(plain_value(value.value, self.dialect, "select()", "a value"))
        if isinstance(value, Parameter):
            return self.named_parameter(value.name, field)
        if isinstance(value, Call):
            arguments = ", ".join(self.term(context, argument) for argument in value.arguments)
            return f"{value.function}({arguments})"
        if isinstance(value, Case):
            parts = ["CASE"]
            for condition, result in value.branches:
                when = self.expression(context, condition, top=True)
                parts.append(f"WHEN {when} THEN {self.term(context, result)}")
            if value.default is not None:
                parts.append(f"ELSE {self.term(context, value.default)}")
            return " ".join([*parts, "END"])
        if isinstance(value, StepRef):
            return self.column_reference(value.text, "project()")
        if isinstance(value, Score):
            if self.statement.search is None:
                raise StatementError("score() is a column of a search statement only")
            return "_score"
        raise StatementError(f"cannot compile {value!r}")

    def compared(self, context: int, field: FieldAttribute[Any], op: str, value: Term[Any]) -> str:
        """``field op value`` with a computed value: a point or vector parameter is built
        as the stored type, as for a literal value."""
        target = self.property_of(context, field)
        right = self.term(context, value, field)
        storage = field.converter.storage
        if storage in ("vector", "point") and isinstance(value, Parameter | Constant):
            if op == "IN":
                inner = stored_value(self.dialect, storage, "_v")
                return f"any(_v IN {right} WHERE {target} = {inner})"
            right = stored_value(self.dialect, storage, right)
        if op == "HAS":
            return f"{right} IN {target}"
        return f"{target} {op} {right}"

    def expression(self, context: int, expression: Expression, top: bool = False) -> str:
        if isinstance(expression, TermComparison):
            left = expression.left
            if expression.right is None:
                return f"{self.term(context, left)} {expression.op}"
            if isinstance(left, FieldRef):
                return self.compared(context, left.field, expression.op, expression.right)
            right = expression.right
            field = right.field if isinstance(right, FieldRef) else None
            return f"{self.term(context, left)} {expression.op} {self.term(context, right, field)}"
        if isinstance(expression, Comparison):
            if isinstance(expression.value, Term):
                return self.compared(context, expression.field, expression.op, expression.value)
            target = self.property_of(context, expression.field)
            if expression.op in ("IS NULL", "IS NOT NULL"):
                return f"{target} {expression.op}"
            parameter = self.parameter(expression.value)
            if expression.op == "HAS":
                return f"{parameter} IN {target}"
            storage = expression.field.converter.storage
            if storage in ("vector", "point"):  # compared as the stored type
                if expression.op == "IN":
                    value = stored_value(self.dialect, storage, "_v")
                    return f"any(_v IN {parameter} WHERE {target} = {value})"
                parameter = stored_value(self.dialect, storage, parameter)
            return f"{target} {expression.op} {parameter}"
        if isinstance(expression, Conjunction):
            joined = f" {expression.op} ".join(
                self.expression(context, operand) for operand in expression.operands
            )
            return joined if top and expression.op == "AND" else f"({joined})"
        if isinstance(expression, Negation):
            return f"NOT ({self.expression(context, expression.operand, top=True)})"
        raise StatementError(f"cannot compile {expression!r}")

    def distinct_rows(self) -> bool:
        statement = self.statement
        # Returning an earlier step after traversals would repeat it once per path, as
        # would a target reached by several paths of a repeat().
        return (
            statement.is_distinct
            or statement.returns < statement.current
            or any(step.hops is not None for step in statement.steps)
        )

    def entity_return(self) -> tuple[list[str], tuple[Column, ...]]:
        statement = self.statement
        alias = self.aliases[statement.returns]
        distinct = "DISTINCT " if self.distinct_rows() else ""
        search = statement.search
        lines = [f"RETURN {distinct}{alias}" + (", _score" if search else "")]
        order = []
        for key in statement.ordering:
            if isinstance(key.key, str):
                expression = self.column_reference(key.key, "order_by")
            else:
                step = bind_field(statement.steps, key.context, key.key)
                if distinct and step != statement.returns:
                    raise StatementError(
                        f"cannot order distinct {statement.returned_model.__name__} rows by "
                        f"{key.key.model.__name__}.{key.key.name}, a field of another step"
                    )
                expression = self.property_of(key.context, key.key)
            order.append(expression + (" DESC" if key.descending else ""))
        if search is not None and not order:
            order.append("_score DESC" if self.dialect.search_best_first(search) else "_score")
        lines += self.order_and_page(order)
        name = self.names[statement.returns]
        if search is not None:
            return lines, (Column(name, "node"), Column("_score"))
        return lines, (Column(name, "node"),)

    def column_reference(self, text: str, what: str) -> str:
        alias, _, prop = text.partition(".")
        edge = self.edge_step(alias)
        if edge is not None:
            model = self.edge_model(edge, text, what)
            if not prop:
                raise StatementError(f"{what} {text!r}: name a property of the edge {alias!r}")
            if prop not in model.__runic__.fields:
                raise StatementError(f"{what} {text!r}: {model.__name__} has no field {prop!r}")
            return f"{self.edge_aliases[edge]}.{quote(prop)}"
        if alias not in self.names:
            raise StatementError(
                f"{what} {text!r}: no step is called {alias!r} (aliases: {', '.join(self.names)})"
            )
        step = self.names.index(alias)
        if not prop:
            return self.aliases[step]
        model = self.statement.steps[step].model
        if prop not in model.__runic__.fields:
            raise StatementError(f"{what} {text!r}: {model.__name__} has no field {prop!r}")
        return f"{self.aliases[step]}.{quote(prop)}"

    def edge_step(self, alias: str) -> int | None:
        """The step whose edge the user named ``alias`` (``traverse(edge_alias=...)``)."""
        for index, step in enumerate(self.statement.steps):
            if step.edge_alias == alias:
                return index
        return None

    def edge_model(self, index: int, text: str, what: str) -> type[Entity]:
        step = self.statement.steps[index]
        edge: type[Entity] | None = step.relation.edge if step.relation is not None else None
        if edge is None or step.hops is not None:
            raise StatementError(
                f"{what} {text!r}: the edge's fields are known only for a relation declared "
                "with edge=..., followed one edge at a time"
            )
        return edge

    def column_for(self, text: str) -> Column:
        alias, _, prop = text.partition(".")
        edge = self.edge_step(alias)
        if edge is not None:
            model: type[Entity] = self.edge_model(edge, text, "column")
            return Column(text, "value", model.__runic__.fields[prop].converter)
        if not prop:
            return Column(text, "node")
        model = self.statement.steps[self.names.index(alias)].model
        return Column(text, "value", model.__runic__.fields[prop].converter)

    def aggregate_return(self) -> tuple[list[str], tuple[Column, ...]]:
        statement = self.statement
        items: list[str] = []
        columns: list[Column] = []
        for group in statement.grouping:
            if isinstance(group.key, str):
                expression = self.column_reference(group.key, "group_by")
                column = self.column_for(group.key)
            else:
                step = bind_field(statement.steps, group.context, group.key)
                expression = self.property_of(group.context, group.key)
                column = Column(
                    f"{self.names[step]}.{group.key.name}", "value", group.key.converter
                )
            items.append(f"{expression} AS {quote(column.name)}")
            columns.append(column)
        for context, aggregate in statement.aggregates:
            expression, column = self.aggregate(context, aggregate)
            items.append(f"{expression} AS {quote(column.name)}")
            columns.append(column)
        names = [column.name for column in columns]
        lines = ["RETURN " + ("DISTINCT " if statement.is_distinct else "") + ", ".join(items)]
        order = []
        for key in statement.ordering:
            if isinstance(key.key, str):
                if key.key not in names:
                    raise StatementError(
                        f"order_by {key.key!r}: an aggregate statement orders by its columns "
                        f"({', '.join(names)})"
                    )
                expression = quote(key.key)
            else:
                step = bind_field(statement.steps, key.context, key.key)
                name = f"{self.names[step]}.{key.key.name}"
                if name not in names:
                    raise StatementError(
                        f"order_by {key.key.model.__name__}.{key.key.name}: group by it "
                        "or order by an aggregate name"
                    )
                expression = quote(name)
            order.append(expression + (" DESC" if key.descending else ""))
        lines += self.order_and_page(order)
        return lines, tuple(columns)

    def projection_return(self) -> tuple[list[str], tuple[Column, ...]]:
        """``RETURN`` the projected columns; rows group by the non-aggregate ones."""
        statement = self.statement
        context = statement.current
        items: list[str] = []
        columns: list[Column] = []
        for labeled in statement.projection:
            value = labeled.term
            if isinstance(value, Aggregate):
                expression, column = self.aggregate(context, value)
                column = replace(column, name=labeled.name)
            else:
                expression = self.term(context, value)
                column = self.projected_column(labeled)
            items.append(f"{expression} AS {quote(labeled.name)}")
            columns.append(column)
        names = [column.name for column in columns]
        lines = ["RETURN " + ("DISTINCT " if statement.is_distinct else "") + ", ".join(items)]
        order = []
        for key in statement.ordering:
            if isinstance(key.key, str) and key.key in names:
                expression = quote(key.key)
            elif isinstance(key.key, str):
                expression = self.column_reference(key.key, "order_by")
            else:
                expression = self.property_of(key.context, key.key)
            order.append(expression + (" DESC" if key.descending else ""))
        lines += self.order_and_page(order)
        return lines, tuple(columns)

    def projected_column(self, labeled: Labeled[Any]) -> Column:
        value = labeled.term
        if isinstance(value, StepRef):
            column = self.column_for(value.text)
            return replace(column, name=labeled.name)
        return Column(labeled.name, "value", value.converter)

    def aggregate(self, context: int, aggregate: Aggregate) -> tuple[str, Column]:
        argument = aggregate.argument
        converter: Converter | None = None
        kind: ColumnKind = "value"
        if isinstance(argument, str):
            expression = "*" if argument == "*" else self.column_reference(argument, "aggregate")
            if argument != "*":
                column = self.column_for(argument)
                converter, kind = column.converter, column.kind
        else:
            expression = self.property_of(context, argument)
            converter = argument.converter
        distinct = "DISTINCT " if aggregate.distinct else ""
        cypher = f"{aggregate.function}({distinct}{expression})"
        if aggregate.function in ("count", "sum", "avg"):
            return cypher, Column(aggregate.name)
        return cypher, Column(aggregate.name, kind, converter, many=aggregate.function == "collect")

    def fetch_stages(self, tail: list[str]) -> tuple[list[str], FetchTree]:
        """Turn the entity ``RETURN`` into a ``WITH`` and collect each fetched relation.

        Every relation is gathered by its own ``OPTIONAL MATCH`` and ``collect()``, so each
        returned entity stays one row however many relations and targets it has. When the
        statement is ordered, a row index keeps that order through the aggregations.
        """
        tree = fetch_tree(self.statement.fetches)
        alias = self.aliases[self.statement.returns]
        lines = ["WITH " + tail[0].removeprefix("RETURN "), *tail[1:]]
        scope = [alias]
        if self.statement.ordering:
            lines.append(
                f"WITH collect({alias}) AS _rows UNWIND range(0, size(_rows) - 1) AS _i "
                f"WITH _rows[_i] AS {alias}, _i"
            )
            scope.append("_i")

        def load(parent: str, tree: FetchTree, scope: list[str], prefix: str) -> list[str]:
            names: list[str] = []
            for index, (relation, children) in enumerate(tree):
                name = f"{prefix}{index}"
                edge = f"[:{quote(relation.type)}]"
                lines.append(
                    f"OPTIONAL MATCH ({parent}){arrow(relation.direction, edge)}"
                    f"({name}{labels_pattern(relation.target, self.dialect)})"
                )
                nested = load(name, children, [*scope, *names, name], name + "_")
                item = f"[{', '.join([name, *nested])}]" if children else name
                lines.append(f"WITH {', '.join([*scope, *names])}, collect({item}) AS {name}")
                names.append(name)
            return names

        returned = [alias, *load(alias, tree, scope, "_f")]
        lines.append("RETURN " + ", ".join(returned))
        if self.statement.ordering:
            lines.append("ORDER BY _i")
        return lines, tree

    def order_and_page(self, order: list[str]) -> list[str]:
        """``ORDER BY`` the keys given (then randomly, for ``order_by_random()``), ``SKIP``
        and ``LIMIT``: the tail of every kind of ``RETURN``."""
        if self.statement.shuffled:
            order = [*order, "rand()"]
        lines = ["ORDER BY " + ", ".join(order)] if order else []
        return lines + self.paging()

    def paging(self) -> list[str]:
        statement = self.statement
        lines = []
        if statement.skip_count is not None:
            self.params["skip"] = statement.skip_count
            lines.append("SKIP $skip")
        if statement.limit_count is not None:
            self.params["limit"] = statement.limit_count
            lines.append("LIMIT $limit")
        return lines


def _aliases(statement: Select[Any]) -> tuple[list[str], list[str], list[str]]:
    """The steps' names, the same as Cypher refers to them, and the edges' references.

    A name the user gave is quoted, so a Cypher word (``distinct``, ``null``) is a name
    like any other; runic's own (``n``, ``n1``, ``r1``) need no quotes.
    """
    names = [
        step.alias or ("n" if index == 0 else f"n{index}")
        for index, step in enumerate(statement.steps)
    ]
    edges = [step.edge_alias or f"r{index}" for index, step in enumerate(statement.steps)]
    used = names + edges[1:]
    for name in used:
        if used.count(name) > 1:
            raise StatementError(f"alias {name!r} is used twice in this statement; rename one")
    nodes = [
        quote(name) if step.alias else name
        for name, step in zip(names, statement.steps, strict=True)
    ]
    edge_refs = [
        quote(name) if step.edge_alias else name
        for name, step in zip(edges, statement.steps, strict=True)
    ]
    return names, nodes, edge_refs


def arrow(direction: Direction, edge: str) -> str:
    if direction is Direction.OUTGOING:
        return f"-{edge}->"
    if direction is Direction.INCOMING:
        return f"<-{edge}-"
    return f"-{edge}-"


def compile_select(statement: Select[Any], dialect: Dialect = FALKORDB) -> CompiledQuery:
    """Compile a statement into Cypher, parameters and column decoders.

    Statements that differ only in their values compile to the same text: the text and
    decoders are kept per statement shape, and each call puts its own values in.
    """
    if statement.search is not None or statement.projection or statement.stages:
        return _compile_select(statement, dialect)
    values: list[Any] = []
    try:
        key = (dialect, _shape(statement, values))
        template = _compiled.get(key)
    except TypeError:  # a part that cannot be hashed: compiled every time
        return _compile_select(statement, dialect)
    if template is None:
        template = _compile_select(statement, dialect)
        if len(_compiled) >= _COMPILED_LIMIT:
            _compiled.clear()
        _compiled[key] = template
        return template
    params = {f"p{index}": value for index, value in enumerate(values)}
    if statement.skip_count is not None:
        params["skip"] = statement.skip_count
    if statement.limit_count is not None:
        params["limit"] = statement.limit_count
    return CompiledQuery(template.cypher, params, True, template.columns, template.fetches)


#: Compiled statements by (dialect, shape); emptied when it reaches the limit, so
#: statements built with ever new aliases cannot grow it without end.
_compiled: dict[tuple[Dialect, tuple[Any, ...]], CompiledQuery] = {}
_COMPILED_LIMIT = 2048


def _shape(statement: Select[Any], values: list[Any]) -> tuple[Any, ...]:
    """Everything the text of ``statement`` depends on, and (into ``values``) its
    condition values in the order the compiler numbers them ($p0, $p1, ...)."""
    conditions = tuple(
        (context, _expression_shape(condition, values))
        for context, condition in statement.conditions
    )
    return (
        statement.steps,
        conditions,
        statement.ordering,
        statement.skip_count is None,
        statement.limit_count is None,
        statement.is_distinct,
        statement.returns,
        statement.aggregates,
        statement.grouping,
        statement.fetches,
        statement.shuffled,
    )


def _expression_shape(expression: Expression, values: list[Any]) -> tuple[Any, ...]:
    if isinstance(expression, TermComparison):
        raise TypeError("a comparison of terms")  # compiled each time
    if isinstance(expression, Comparison):
        if isinstance(expression.value, Term):
            raise TypeError("a comparison with a term")
        if expression.op not in ("IS NULL", "IS NOT NULL"):
            values.append(expression.value)
        return (expression.field, expression.op)
    if isinstance(expression, Conjunction):
        operands = tuple(_expression_shape(operand, values) for operand in expression.operands)
        return (expression.op, operands)
    if isinstance(expression, Negation):
        return ("NOT", _expression_shape(expression.operand, values))
    raise TypeError(f"no shape for {expression!r}")  # compiled (and refused) each time


def _compile_select(statement: Select[Any], dialect: Dialect) -> CompiledQuery:
    compiler = _SelectCompiler(statement, dialect)
    lines = compiler.matches()
    if statement.projection:
        tail, columns = compiler.projection_return()
    elif statement.aggregates:
        tail, columns = compiler.aggregate_return()
    else:
        tail, columns = compiler.entity_return()
    tree: FetchTree = ()
    if statement.fetches:
        tail, tree = compiler.fetch_stages(tail)
    named = tuple(compiler.named.items())
    return CompiledQuery("\n".join(lines + tail), compiler.params, True, columns, tree, named)


def compile_edges(statement: Select[Any], dialect: Dialect = FALKORDB) -> CompiledQuery:
    """Source, edge and target of the statement's last traversal, one row per edge."""
    if len(statement.steps) < 2:
        raise StatementError("all_with_edges() needs a statement with a traverse()")
    if statement.aggregates or statement.fetches:
        raise StatementError("all_with_edges() returns edges; drop aggregate() and fetch()")
    final = statement.steps[-1]
    if final.optional or final.hops is not None:
        raise StatementError(
            "all_with_edges() returns one edge per row: its last traverse() can be neither "
            "optional nor a repeat()"
        )
    compiler = _SelectCompiler(statement, dialect)
    lines = compiler.matches()
    last = statement.current
    source, target = compiler.aliases[last - 1], compiler.aliases[last]
    distinct = "DISTINCT " if statement.is_distinct else ""
    lines.append(f"RETURN {distinct}{source}, {compiler.edge_aliases[last]}, {target}")
    order = []
    for key in statement.ordering:
        if isinstance(key.key, str):
            expression = compiler.column_reference(key.key, "order_by")
        else:
            expression = compiler.property_of(key.context, key.key)
        order.append(expression + (" DESC" if key.descending else ""))
    if order:
        lines.append("ORDER BY " + ", ".join(order))
    lines += compiler.paging()
    names = compiler.names[last - 1], compiler.names[last]
    columns = (Column(names[0], "node"), Column("edge"), Column(names[1], "node"))
    return CompiledQuery("\n".join(lines), compiler.params, True, columns)


def compile_count(statement: Select[Any], dialect: Dialect = FALKORDB) -> CompiledQuery:
    """Count what the statement matches, ignoring its order, skip and limit."""
    compiler = _SelectCompiler(statement, dialect)
    lines = compiler.matches()
    if statement.aggregates or statement.projection:
        compiler.statement = replace(statement, ordering=(), skip_count=None, limit_count=None)
        if statement.projection:
            tail, _ = compiler.projection_return()
        else:
            tail, _ = compiler.aggregate_return()
        lines.append("WITH " + tail[0].removeprefix("RETURN "))
        lines.append("RETURN count(*) AS `count`")
    else:
        alias = compiler.aliases[statement.returns]
        distinct = "DISTINCT " if compiler.distinct_rows() else ""
        lines.append(f"RETURN count({distinct}{alias}) AS `count`")
    named = tuple(compiler.named.items())
    return CompiledQuery("\n".join(lines), compiler.params, True, (Column("count"),), (), named)


def compile_exists(statement: Select[Any], dialect: Dialect = FALKORDB) -> CompiledQuery:
    """One row when the statement matches anything, none otherwise."""
    compiler = _SelectCompiler(statement, dialect)
    lines = [*compiler.matches(), "RETURN 1 LIMIT 1"]
    named = tuple(compiler.named.items())
    return CompiledQuery("\n".join(lines), compiler.params, True, (), (), named)


def compile_distinct(
    statement: Select[Any], field: FieldAttribute[Any], dialect: Dialect = FALKORDB
) -> CompiledQuery:
    """The distinct stored values of ``field`` over what the statement matches, sorted."""
    compiler = _SelectCompiler(statement, dialect)
    target = compiler.property_of(statement.returns, field)
    lines = [
        *compiler.matches(),
        f"WITH DISTINCT {target} AS value WHERE value IS NOT NULL",
        "RETURN value ORDER BY value",
    ]
    return CompiledQuery(
        "\n".join(lines), compiler.params, True, (Column("value", "value", field.converter),)
    )


def special_fields(model: type[Entity]) -> dict[str, str]:
    """Fields a property map cannot hold (vectors, points), with their storage kind."""
    return {
        name: field.converter.storage
        for name, field in model.__runic__.fields.items()
        if field.converter.storage != "plain"
    }


def stored_value(dialect: Dialect, storage: str, source: str) -> str:
    """The dialect's constructor around ``source`` for a vector or point field."""
    if storage == "vector":
        return dialect.vector_value(source)
    if storage == "interned":
        return dialect.interned_value(source)
    return dialect.point_value(source)
