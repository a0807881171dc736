"""Statements, expressions, aggregate functions and the Cypher compiler."""

from runic.ogm.query.compiler import (
    Column,
    CompiledQuery,
    compile_count,
    compile_select,
)
from runic.ogm.query.expressions import Expression
from runic.ogm.query.functions import Aggregate, avg, collect, count, max_, min_, sum_
from runic.ogm.query.search import SearchHit, fulltext_search, vector_search
from runic.ogm.query.statement import AnyOf, Repeat, Select, any_of, repeat, select
from runic.ogm.query.terms import (
    Term,
    abs_,
    coalesce,
    fn,
    lower,
    param,
    replace,
    round_,
    score,
    size,
    substring,
    to_string,
    trim,
    upper,
    when,
)

__all__ = [
    "Aggregate",
    "AnyOf",
    "Column",
    "CompiledQuery",
    "Expression",
    "Repeat",
    "SearchHit",
    "Select",
    "Term",
    "abs_",
    "any_of",
    "avg",
    "coalesce",
    "collect",
    "compile_count",
    "compile_select",
    "count",
    "fn",
    "fulltext_search",
    "lower",
    "max_",
    "min_",
    "param",
    "repeat",
    "replace",
    "round_",
    "score",
    "select",
    "size",
    "substring",
    "sum_",
    "to_string",
    "trim",
    "upper",
    "vector_search",
    "when",
]
