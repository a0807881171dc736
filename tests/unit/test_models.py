"""Model declaration, construction and validation (no database needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from runic.ogm import BOTH, Edge, Field, Node, Relation, Vector
from runic.ogm.exceptions import (
    FieldValidationError,
    InvalidIdentifierError,
    ModelDefinitionError,
    RunicError,
)
from runic.ogm.model.registry import registry
from tests.models import Admin, Article, Color, Friendship, Sample, User


def make_user(**overrides: object) -> User:
    values: dict[str, object] = {"id": "u1", "name": "Ann", "email": "ann@example.com"}
    values.update(overrides)
    return User(**values)


class TestDeclaration:
    def test_labels_key_and_fields(self) -> None:
        info = User.__runic__
        assert info.labels == ("User",)
        assert info.primary_key == "id"
        assert list(info.fields) == [
            "id",
            "name",
            "email",
            "city",
            "region",
            "age",
            "active",
            "tags",
        ]
        assert set(info.relations) == {"articles", "best_friend"}

    def test_subclass_adds_a_label_and_keeps_the_root(self) -> None:
        info = Admin.__runic__
        assert info.labels == ("User", "Admin")
        assert info.root is User
        assert info.primary_key == "id"
        assert "level" in info.fields and "name" in info.fields
        assert Admin.name.model is Admin  # inherited fields belong to the subclass

    def test_label_override(self) -> None:
        class Person(Node, label="PersonLabel"):
            id: str

        assert Person.__runic__.labels == ("PersonLabel",)

    def test_field_named_id_is_the_key_when_none_is_marked(self) -> None:
        assert Sample.__runic__.primary_key == "id"
        assert Article.__runic__.primary_key == "id"

    def test_explicit_primary_key(self) -> None:
        class Isbn(Node):
            isbn: str = Field(primary_key=True)
            id: str | None = None

        assert Isbn.__runic__.primary_key == "isbn"

    def test_field_options_are_kept(self) -> None:
        assert User.email.declaration.unique is True

        class Indexed(Node):
            id: str
            name: str = Field(index=True)
            body: str = Field(default="", fulltext=True)

        assert Indexed.name.declaration.index and Indexed.body.declaration.fulltext

    def test_relations(self) -> None:
        assert User.articles.target is Article and User.articles.to_many
        assert User.best_friend.target is User and not User.best_friend.to_many
        assert User.best_friend.edge is Friendship and User.best_friend.type == "FRIEND"
        assert Article.author.direction == "INCOMING"

    def test_forward_reference_by_string_resolves_later(self) -> None:
        class Shelf(Node):
            id: str
            books: list["LaterBook"] = Relation("HOLDS")  # noqa: UP037

        class LaterBook(Node):
            id: str

        assert Shelf.books.target is LaterBook

    def test_relation_type_from_edge_class(self) -> None:
        class Colleague(Edge, type="WORKS_WITH"):
            since: int = 0

        class Worker(Node):
            id: str
            peers: list[Worker] = Relation(edge=Colleague, direction=BOTH)

        assert Worker.peers.type == "WORKS_WITH"

    def test_edge_type_defaults_to_upper_snake_class_name(self) -> None:
        class ReviewedBy(Edge):
            score: int

        assert ReviewedBy.__runic__.edge_type == "REVIEWED_BY"

    def test_abstract_base_shares_fields_without_a_label(self) -> None:
        class Stamped(Node, abstract=True):
            id: str
            created: date | None = None

        class Invoice(Stamped):
            total: float = 0.0

        assert Invoice.__runic__.labels == ("Invoice",)
        assert "created" in Invoice.__runic__.fields
        with pytest.raises(ModelDefinitionError, match="abstract"):
            Stamped(id="x")


class TestConstruction:
    def test_defaults_and_optional(self) -> None:
        user = make_user()
        assert user.city is None and user.active is True and user.tags == []

    def test_mutable_defaults_are_not_shared(self) -> None:
        first, second = make_user(id="a"), make_user(id="b")
        first.tags.append("x")
        assert second.tags == []
        assert User.tags.declaration.default == []

    def test_default_factory(self) -> None:
        a, b = Article(title="x"), Article(title="y")
        assert a.id != b.id and len(a.id) == 32

    def test_all_types_accept_their_values(self) -> None:
        moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
        sample = Sample(
            id=1,
            text="t",
            count=2,
            ratio=3,
            flag=False,
            day=date(2024, 1, 2),
            moment=moment,
            color="red",
            numbers=(1, 2),
            embedding=[1, 2.5, 3],
        )
        assert sample.ratio == 3.0 and isinstance(sample.ratio, float)
        assert sample.color is Color.RED
        assert sample.numbers == [1, 2]
        assert sample.embedding == [1.0, 2.5, 3.0]

    def test_datetimes_are_normalised_to_utc(self) -> None:
        plus_two = timezone(timedelta(hours=2))
        sample = Sample(id=1, moment=datetime(2024, 1, 1, 12, tzinfo=plus_two))
        assert sample.moment == datetime(2024, 1, 1, 10, tzinfo=UTC)
        assert sample.moment.tzinfo is UTC
        naive = Sample(id=2, moment=datetime(2024, 1, 1, 12))
        assert naive.moment == datetime(2024, 1, 1, 12, tzinfo=UTC)

    def test_relations_can_be_given_to_the_constructor(self) -> None:
        author = make_user()
        article = Article(title="t", author=author)
        assert article.author is author
        assert make_user(articles=[article]).articles == [article]

    def test_the_constructor_takes_the_fields_and_relations_by_name(self) -> None:
        import inspect

        parameters = inspect.signature(User).parameters
        assert list(parameters)[:3] == ["id", "name", "email"]
        assert "articles" in parameters and "best_friend" in parameters
        assert all(p.kind is p.KEYWORD_ONLY for name, p in parameters.items() if name != "_unknown")
        # A subclass gets its own, with the parent's fields first.
        assert list(inspect.signature(Admin).parameters)[:3] == ["id", "name", "email"]
        assert "level" in inspect.signature(Admin).parameters

    def test_values_the_fast_check_leaves_go_through_the_field(self) -> None:
        assert make_user(name="Zoë").name == "Zoë"
        with pytest.raises(FieldValidationError, match="NUL"):
            make_user(name="a\x00b")
        with pytest.raises(FieldValidationError, match="User.name"):
            make_user(name=3)
        assert Sample(id=2**63 - 1).id == 2**63 - 1
        with pytest.raises(FieldValidationError):
            Sample(id=2**63)

    def test_a_subclass_with_its_own_init_can_call_super(self) -> None:
        class Member(User):
            nickname: str = ""

            def __init__(self, **values: object) -> None:
                values.setdefault("nickname", "new")
                super().__init__(**values)

        member = Member(id="m", name="M", email="m@x")
        assert (member.nickname, member.name, member.tags) == ("new", "M", [])
        with pytest.raises(FieldValidationError, match="unknown field"):
            Member(id="m", name="M", email="m@x", shoe=1)

    def test_repr_names_the_key(self) -> None:
        assert repr(make_user()) == "User(id='u1', name='Ann', email='ann@example.com')"


class TestValidation:
    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            ("name", 42, "str"),
            ("age", "old", "int"),
            ("age", True, "int"),
            ("active", "yes", "bool"),
            ("tags", "abc", "list[str]"),
        ],
    )
    def test_wrong_type_names_class_field_expected_and_actual(
        self, field: str, value: object, expected: str
    ) -> None:
        with pytest.raises(FieldValidationError) as caught:
            make_user(**{field: value})
        error = caught.value
        assert (error.model, error.field, error.expected) == ("User", field, expected)
        assert error.actual == value
        message = str(error)
        assert message.startswith(f"User.{field}:")
        assert expected in message and type(value).__name__ in message

    def test_assignment_is_validated(self) -> None:
        user = make_user()
        with pytest.raises(FieldValidationError, match=r"User\.age: expected int, got str"):
            user.age = "x"  # type: ignore[assignment]
        assert user.age is None

    def test_none_on_a_required_field(self) -> None:
        with pytest.raises(FieldValidationError, match=r"User\.name: .*not Optional"):
            make_user(name=None)
        user = make_user()
        with pytest.raises(FieldValidationError, match=r"User\.name"):
            user.name = None  # type: ignore[assignment]

    def test_missing_required_field(self) -> None:
        with pytest.raises(FieldValidationError, match=r"User\.email: required field missing"):
            User(id="x", name="y")

    def test_unknown_keyword(self) -> None:
        with pytest.raises(FieldValidationError, match=r"User\.nickname: unknown field"):
            make_user(nickname="z")

    def test_list_items_are_checked(self) -> None:
        with pytest.raises(
            FieldValidationError, match=r"User\.tags: item 1: expected str, got int"
        ):
            make_user(tags=["a", 1])

    def test_enum_lists_its_values(self) -> None:
        with pytest.raises(FieldValidationError, match=r"Sample\.color: .*'red', 'green'"):
            Sample(id=1, color="blue")

    def test_vector_dimension(self) -> None:
        with pytest.raises(
            FieldValidationError, match=r"Sample\.embedding: expected 3 floats, got 2"
        ):
            Sample(id=1, embedding=[1.0, 2.0])

    def test_date_is_not_datetime(self) -> None:
        with pytest.raises(FieldValidationError, match=r"Sample\.day: expected date, got datetime"):
            Sample(id=1, day=datetime(2024, 1, 1))

    def test_relation_values_are_checked(self) -> None:
        with pytest.raises(
            FieldValidationError, match=r"User\.articles: expected Article, got User"
        ):
            make_user(articles=[make_user(id="other")])
        article = Article(title="t")
        with pytest.raises(FieldValidationError, match=r"Article\.author: expected User"):
            article.author = article  # type: ignore[assignment]

    def test_errors_are_runic_errors(self) -> None:
        with pytest.raises(RunicError):
            make_user(name=1)


class TestDefinitionErrors:
    def test_no_primary_key(self) -> None:
        with pytest.raises(ModelDefinitionError, match="Keyless has no primary key"):

            class Keyless(Node):
                name: str

    def test_two_primary_keys(self) -> None:
        with pytest.raises(ModelDefinitionError, match="several primary keys"):

            class TwoKeys(Node):
                a: str = Field(primary_key=True)
                b: str = Field(primary_key=True)

    def test_optional_primary_key(self) -> None:
        with pytest.raises(ModelDefinitionError, match="cannot be Optional"):

            class OptionalKey(Node):
                id: str | None = None

    def test_duplicate_label(self) -> None:
        with pytest.raises(ModelDefinitionError, match=r"labels \['User'\] are already used"):

            class Impostor(Node, label="User"):
                id: str

    @pytest.mark.parametrize("label", ["Bad Label", "Bad`Label", "1abc", ""])
    def test_invalid_label(self, label: str) -> None:
        with pytest.raises(InvalidIdentifierError, match="invalid label"):

            class BadLabel(Node, label=label):
                id: str

    def test_invalid_relationship_type(self) -> None:
        with pytest.raises(InvalidIdentifierError, match="relationship type"):

            class BadRel(Node):
                id: str
                others: list[User] = Relation("KNOWS` ]->() DETACH DELETE n //")

    def test_relation_to_a_non_node_class(self) -> None:
        with pytest.raises(ModelDefinitionError, match="must be a Node class"):

            class BadTarget(Node):
                id: str
                owner: int | None = Relation("OWNS")

    def test_relation_to_an_unknown_class(self) -> None:
        class Dangling(Node):
            id: str
            ghost: list["NoSuchModel"] = Relation("HAUNTS")  # noqa: F821, UP037

        with pytest.raises(
            ModelDefinitionError, match="Dangling.ghost refers to unknown node class 'NoSuchModel'"
        ):
            registry.configure()
        registry._unresolved.clear()  # keep later tests' configure() clean

    def test_unsupported_field_type(self) -> None:
        with pytest.raises(ModelDefinitionError, match=r"Weird\.data: unsupported field type"):

            class Weird(Node):
                id: str
                data: dict[str, int]

    def test_bad_default(self) -> None:
        with pytest.raises(ModelDefinitionError, match=r"BadDefault\.n: bad default 'x'"):

            class BadDefault(Node):
                id: str
                n: int = "x"  # type: ignore[assignment]

    def test_vector_needs_a_size(self) -> None:
        with pytest.raises(ModelDefinitionError, match="needs its size"):

            class NoSize(Node):
                id: str
                v: Vector

    def test_edge_type_mismatch(self) -> None:
        with pytest.raises(ModelDefinitionError, match="does not match the edge class"):

            class Mismatch(Node):
                id: str
                friend: User | None = Relation("ENEMY", edge=Friendship)

    def test_subclass_cannot_redefine_a_field(self) -> None:
        with pytest.raises(ModelDefinitionError, match="redefines a member of User"):

            class Renamed(User):
                name: int  # type: ignore[assignment]
