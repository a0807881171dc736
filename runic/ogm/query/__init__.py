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
from runic.ogm.query.statement import Select, select

__all__ = [
    "Aggregate",
    "Column",
    "CompiledQuery",
    "Expression",
    "SearchHit",
    "Select",
    "avg",
    "collect",
    "compile_count",
    "compile_select",
    "count",
    "fulltext_search",
    "max_",
    "min_",
    "select",
    "sum_",
    "vector_search",
]
