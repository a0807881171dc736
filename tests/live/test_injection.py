"""Hostile values travel as data; hostile identifiers are refused before any I/O."""

from __future__ import annotations

from typing import Any

import pytest

from runic.ogm import Node, Relation, Session, select
from runic.ogm.exceptions import InvalidIdentifierError
from tests.models import User

HOSTILE = [
    "x'}) DETACH DELETE n //",
    'x"}) DETACH DELETE n //',
    "`) MATCH (m) DETACH DELETE m //",
    "$p0",
    "\\' OR 1=1 --",
]


def test_hostile_strings_round_trip_as_data(driver: Any) -> None:
    users = [User(id=f"u{i}", name=text, email=text) for i, text in enumerate(HOSTILE)]
    with Session(driver) as session:
        session.add_all(users)
    for i, text in enumerate(HOSTILE):
        (found,) = Session(driver).scalars(select(User).where(User.name == text))
        assert found.id == f"u{i}" and found.email == text
    assert Session(driver).count(select(User)) == len(HOSTILE)
    assert driver.execute("MATCH (n) RETURN count(n)", read_only=True).rows == [[len(HOSTILE)]]


@pytest.mark.parametrize("name", ["with space", "back`tick", "semi;colon", "new\nline"])
def test_identifiers_with_unsafe_characters_are_rejected(name: str) -> None:
    with pytest.raises(InvalidIdentifierError):
        select(User).alias(name)
    with pytest.raises(InvalidIdentifierError):
        type(f"Bad{abs(hash(name))}", (Node,), {"__annotations__": {"id": str}}, label=name)
    with pytest.raises(InvalidIdentifierError):
        type(
            f"BadRel{abs(hash(name))}",
            (Node,),
            {"__annotations__": {"id": str, "r": "list[User]"}, "r": Relation(name)},
        )
