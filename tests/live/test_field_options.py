"""Field(generated=True), Field(converter=...), Field(interned=True) and Unicode names
(issue 15)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from runic.ogm import Field, Mapped, Node, Session, select, unwind
from runic.ogm.driver.recording import record_queries
from runic.ogm.exceptions import FieldValidationError, ModelDefinitionError, ParameterError
from runic.ogm.model import ConversionError, Converter, new_id
from tests.backends import Backend


class DecimalAsText(Converter):
    """A Decimal stored as its exact text: a converter of the user's."""

    expected = "Decimal"

    def validate(self, value: Any) -> Any:
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ConversionError("a finite Decimal", value)
        return value

    def to_db(self, value: Any) -> Any:
        return str(value)

    def from_db(self, value: Any) -> Any:
        return Decimal(value)


class Broken(Converter):
    """Stores an object the client would write as its str(): refused."""

    def validate(self, value: Any) -> Any:
        return value

    def to_db(self, value: Any) -> Any:
        return object()


class Voucher(Node):
    id: Mapped[str] = Field(primary_key=True, generated=True)
    price: Mapped[Decimal] = Field(converter=DecimalAsText())
    city: Mapped[str] = Field(interned=True, default="Paris")


class Coupon(Node):
    id: Mapped[str] = Field(primary_key=True, default_factory=new_id)
    value: Mapped[int | None] = Field(converter=Broken(), default=None)


class Café(Node):
    clé: Mapped[str] = Field(primary_key=True)
    prénom: Mapped[str]
    名前: Mapped[str | None] = Field(default=None)


def test_generated_keys_custom_converters_and_interned_strings(driver: Any) -> None:
    with Session(driver) as session:
        ticket = Voucher(price=Decimal("19.99"))
        assert len(ticket.id) == 32 and ticket.id != Voucher(price=Decimal(1)).id
        session.add(ticket)
        session.add(Voucher(id="given", price=Decimal("0.10"), city="Lyon"))
        with record_queries(driver) as log:
            session.commit()
        assert "intern(" in log.queries[-1].cypher  # FalkorDB keeps one copy per value
    with Session(driver) as session:
        stored = session.get_one(Voucher, ticket.id)
        assert stored.price == Decimal("19.99") and isinstance(stored.price, Decimal)
        assert session.scalars(select(Voucher.price).where(Voucher.id == "given")) == [
            Decimal("0.10")
        ]
        cheap = select(Voucher).where(Voucher.price == Decimal("0.10"))  # compared as text
        assert [t.id for t in session.scalars(cheap)] == ["given"]
        assert session.count(select(Voucher).where(Voucher.city == "Paris")) == 1
        assert session.execute(unwind([{"price": Decimal(5)}]).merge(Voucher)) == 1
        with pytest.raises(FieldValidationError, match=r"Voucher\.price"):
            Voucher(price=1.5)


def test_a_converter_that_stores_no_plain_value_is_refused_before_io(driver: Any) -> None:
    with Session(driver) as session, record_queries(driver) as log:
        with pytest.raises(ParameterError, match=r"Coupon\.value: the stored value is a object"):
            session.add(Coupon(value=1))
            session.commit()
        session.rollback()  # the session still holds the refused work
    assert log.count == 0


def test_field_options_are_checked_when_the_model_is_declared() -> None:
    with pytest.raises(ModelDefinitionError, match="generated=True\\) makes str keys"):

        class Numbered(Node):
            id: Mapped[int] = Field(primary_key=True, generated=True)

    with pytest.raises(ModelDefinitionError, match="interned=True\\) is for a str field"):

        class Counted(Node):
            id: Mapped[str] = Field(primary_key=True)
            n: Mapped[int] = Field(interned=True)

    with pytest.raises(TypeError, match="makes the default"):
        Field(generated=True, default="x")
    with pytest.raises(TypeError, match="Converter subclass"):
        Field(converter=str)  # type: ignore[arg-type]


def test_unicode_names_on_every_backend(backend: Backend) -> None:
    with Session(backend.driver) as session:
        session.add(Café(clé="c1", prénom="Zoé", 名前="花子"))
    with Session(backend.driver) as session:
        café = session.get_one(Café, "c1")
        assert (café.prénom, café.名前) == ("Zoé", "花子")
        found = session.scalars(select(Café.clé).where(Café.prénom == "Zoé").alias("ça"))
        assert found == ["c1"]


def test_field_options_on_every_backend(backend: Backend) -> None:
    with Session(backend.driver) as session:
        session.add(Voucher(id="t1", price=Decimal("1.50"), city="Rome"))
    with Session(backend.driver) as session:
        ticket = session.get_one(Voucher, "t1")
        assert (ticket.price, ticket.city) == (Decimal("1.50"), "Rome")


def test_the_docs_example_of_field_options_runs(driver: Any) -> None:
    from tests.docs_blocks import block_containing

    namespace: dict[str, Any] = {"__name__": "docs_models"}
    block = block_containing("models.rst", "class DecimalAsText")
    exec(compile(block, "models.rst", "exec", dont_inherit=True), namespace)
    receipt, model = namespace["receipt"], namespace["Receipt"]
    assert len(receipt.id) == 32 and receipt.currency == "EUR"
    with Session(driver) as session:
        session.add(receipt)
    with Session(driver) as session:
        assert session.get_one(model, receipt.id).total == Decimal("19.99")
