"""The compiler catalogue: each statement's Cypher and parameters, and builder rules."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import select
from runic.ogm.driver.dialect import FALKORDB
from runic.ogm.exceptions import FieldValidationError, InvalidIdentifierError, StatementError
from runic.ogm.query import compile_count, compile_select, count
from tests.catalogue import CASES, Case
from tests.models import Article, Sample, User


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_catalogue_compiles(case: Case) -> None:
    compiled = compile_select(case.build())
    assert compiled.cypher == case.cypher
    assert compiled.params == case.params
    assert compiled.read_only


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_cached_compile_equals_a_fresh_one(case: Case) -> None:
    from runic.ogm.query.compiler import _compile_select

    fresh = _compile_select(case.build(), FALKORDB)
    for _ in range(2):  # the second one comes from the cache
        cached = compile_select(case.build())
        assert (cached.cypher, cached.params, cached.columns, cached.fetches) == (
            fresh.cypher,
            fresh.params,
            fresh.columns,
            fresh.fetches,
        )


def test_statements_of_one_shape_share_the_text_and_keep_their_values() -> None:
    def statement(name: str, ages: list[int], limit: int) -> Any:
        return (
            select(User)
            .where((User.name == name) & ~User.age.in_(ages), User.city.is_null())
            .limit(limit)
        )

    first = compile_select(statement("ann", [1, 2], 5))
    second = compile_select(statement("bob", [3], 7))
    assert second.cypher == first.cypher
    assert first.params == {"p0": "ann", "p1": [1, 2], "limit": 5}
    assert second.params == {"p0": "bob", "p1": [3], "limit": 7}
    other = compile_select(select(User).where(User.name == "ann").skip(1))
    assert other.cypher != first.cypher and other.params == {"p0": "ann", "skip": 1}


class TestImmutability:
    def test_every_builder_call_returns_a_new_statement(self) -> None:
        base = select(User)
        before = compile_select(base)
        derived = [
            base.where(User.name == "x"),
            base.alias("u"),
            base.traverse(User.articles),
            base.order_by(User.name),
            base.skip(1),
            base.limit(1),
            base.distinct(),
            base.aggregate(count("*")),
        ]
        assert all(statement is not base for statement in derived)
        assert compile_select(base) == before

    def test_a_statement_can_be_extended_twice(self) -> None:
        base = select(User).where(User.active == True)
        one, two = base.where(User.city == "a"), base.where(User.city == "b")
        assert compile_select(one).params == {"p0": True, "p1": "a"}
        assert compile_select(two).params == {"p0": True, "p1": "b"}


class TestCount:
    def test_count_ignores_order_and_paging(self) -> None:
        statement = select(User).where(User.age > 3).order_by(User.name).skip(2).limit(5)
        compiled = compile_count(statement)
        assert compiled.cypher == (
            "MATCH (n:`User`)\nWHERE n.`age` > $p0\nRETURN count(n) AS `count`"
        )
        assert compiled.params == {"p0": 3}

    def test_count_of_an_earlier_step_is_distinct(self) -> None:
        compiled = compile_count(select(User).traverse(User.articles))
        assert compiled.cypher.endswith("RETURN count(DISTINCT n) AS `count`")

    def test_count_of_an_aggregate_counts_groups(self) -> None:
        compiled = compile_count(select(User).aggregate(count("*"), group_by="n.city"))
        assert compiled.cypher == (
            "MATCH (n:`User`)\nWITH n.`city` AS `n.city`, count(*) AS `count`\n"
            "RETURN count(*) AS `count`"
        )


class TestValuesAreParameters:
    def test_values_are_converted_and_never_inlined(self) -> None:
        hostile = "x'}) DETACH DELETE n //"
        compiled = compile_select(select(User).where(User.name == hostile))
        assert hostile not in compiled.cypher
        assert compiled.params == {"p0": hostile}

    def test_enum_and_date_values_use_the_stored_form(self) -> None:
        from datetime import date

        from tests.models import Color

        compiled = compile_select(
            select(Sample).where((Sample.color == Color.GREEN) & (Sample.day < date(2024, 2, 3)))
        )
        assert compiled.params == {"p0": "green", "p1": "2024-02-03"}


class TestBadInput:
    def test_wrong_value_type_in_an_expression(self) -> None:
        with pytest.raises(FieldValidationError, match=r"User\.age: expected int, got str"):
            User.age == "old"
        with pytest.raises(FieldValidationError, match=r"User\.age"):
            User.age.in_([1, "two"])

    def test_string_operators_need_str_fields(self) -> None:
        with pytest.raises(StatementError, match=r"startswith\(\) needs a str field; User\.age"):
            User.age.startswith("1")

    def test_in_needs_a_list(self) -> None:
        with pytest.raises(StatementError, match=r"User\.id\.in_\(\) takes a list"):
            User.id.in_("abc")

    def test_python_boolean_operators_are_refused(self) -> None:
        with pytest.raises(TypeError, match="combine conditions with &"):
            (User.age > 1) and (User.age < 3)

    def test_where_needs_an_expression(self) -> None:
        with pytest.raises(StatementError, match="where\\(\\) takes conditions"):
            select(User).where(True)  # type: ignore[arg-type]

    def test_field_of_another_model(self) -> None:
        with pytest.raises(StatementError, match=r"Article\.title does not belong"):
            select(User).where(Article.title == "x")

    @pytest.mark.parametrize("alias", ["u v", "u`", "1u", "u-v", ""])
    def test_bad_alias(self, alias: str) -> None:
        with pytest.raises(InvalidIdentifierError, match="invalid alias"):
            select(User).alias(alias)

    def test_duplicate_alias(self) -> None:
        with pytest.raises(StatementError, match="already used"):
            select(User).alias("u").traverse(User.articles).alias("u")

    @pytest.mark.parametrize("value", [-1, 1.5, "3", True])
    def test_bad_skip_and_limit(self, value: object) -> None:
        with pytest.raises(StatementError, match=r"limit\(\) takes a non-negative int"):
            select(User).limit(value)  # type: ignore[arg-type]
        with pytest.raises(StatementError, match=r"skip\(\) takes a non-negative int"):
            select(User).skip(value)  # type: ignore[arg-type]

    def test_return_target_needs_a_traversal(self) -> None:
        with pytest.raises(StatementError, match="needs a traverse"):
            select(User).return_target()

    def test_traverse_from_the_wrong_model(self) -> None:
        with pytest.raises(StatementError, match="cannot traverse Article.author from User"):
            select(User).traverse(Article.author)

    def test_select_needs_a_node_class(self) -> None:
        with pytest.raises(StatementError, match="select\\(\\) takes a Node class"):
            select(int)

    def test_group_by_unknown_alias_or_field(self) -> None:
        with pytest.raises(StatementError, match="no step is called 'x'"):
            compile_select(select(User).aggregate(count("*"), group_by="x.city"))
        with pytest.raises(StatementError, match="User has no field 'town'"):
            compile_select(select(User).aggregate(count("*"), group_by="n.town"))

    def test_group_by_identifier_is_validated(self) -> None:
        with pytest.raises(InvalidIdentifierError):
            select(User).aggregate(count("*"), group_by="n.ci`ty")

    def test_aggregate_names_must_differ(self) -> None:
        with pytest.raises(StatementError, match="'count' is used twice"):
            select(User).aggregate(count("*"), count("*", distinct=True))

    def test_order_by_a_column_that_is_not_returned(self) -> None:
        with pytest.raises(StatementError, match="orders by its columns"):
            compile_select(select(User).aggregate(count("*")).order_by("n.name"))
