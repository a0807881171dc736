"""to_dict() and pydantic_model(): entities as data for APIs (issue 16)."""

from __future__ import annotations

import datetime
from typing import Any

import pydantic
import pytest

from runic.ogm import AsyncSession, Session
from runic.ogm.exceptions import ModelDefinitionError
from runic.ogm.pydantic import pydantic_model
from tests.models import Article, Sample, User


def test_to_dict_gives_fields_and_loaded_relations_only(driver: Any) -> None:
    with Session(driver) as session:
        ada = User(id="ada", name="Ada", email="a@x.org", tags=["x"])
        ada.articles = [Article(id="a1", title="Notes")]
        session.add(ada)
    with Session(driver) as session:
        plain = session.get_one(User, "ada")
        data = plain.to_dict()
        assert data["name"] == "Ada" and data["tags"] == ["x"] and "articles" not in data
        assert type(data["tags"]) is list  # not the entity's tracked list
        loaded = session.get_one(User, "ada", fetch=["articles.author"])
        nested = loaded.to_dict()
        assert nested["articles"][0]["title"] == "Notes"
        assert nested["articles"][0]["author"] == {"id": "ada"}  # the cycle ends at its key


def test_a_pydantic_model_reads_entities(driver: Any) -> None:
    UserOut = pydantic_model(User, exclude=["email"], relations=["articles"])
    fields = UserOut.model_fields
    assert "email" not in fields and fields["age"].annotation == int | None
    assert fields["active"].default is True and fields["name"].is_required()
    SampleOut = pydantic_model(Sample, include=["id", "moment", "numbers", "color"])
    assert SampleOut.model_fields["moment"].annotation == datetime.datetime | None
    with Session(driver) as session:
        ada = User(id="ada", name="Ada", email="a@x.org")
        ada.articles = [Article(id="a1", title="Notes")]
        session.add(ada)
    with Session(driver) as session:
        out = UserOut.model_validate(session.get_one(User, "ada", fetch=["articles"]))
        assert out.model_dump()["articles"][0]["title"] == "Notes"
    with pytest.raises(pydantic.ValidationError):
        UserOut.model_validate({"id": "x"})  # name is required
    with pytest.raises(ModelDefinitionError, match="no field 'nmae'"):
        pydantic_model(User, include=["nmae"])
    with pytest.raises(ModelDefinitionError, match="no relation 'posts'"):
        pydantic_model(User, relations=["posts"])


@pytest.mark.asyncio
async def test_an_unloaded_relation_is_loud_when_serialised(async_driver: Any) -> None:
    UserOut = pydantic_model(User, relations=["articles"])
    async with AsyncSession(async_driver) as session:
        session.add(User(id="ada", name="Ada", email="a@x.org"))
    async with AsyncSession(async_driver) as session:
        ada = await session.get_one(User, "ada")
        # pydantic reports the LazyLoadError, with runic's message, as a ValidationError
        with pytest.raises(pydantic.ValidationError, match="LazyLoadError: User.articles is not"):
            UserOut.model_validate(ada)
        loaded = await session.get_one(User, "ada", fetch=["articles"])
        assert UserOut.model_validate(loaded).model_dump()["articles"] == []
