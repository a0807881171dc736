"""Pydantic models made from runic models, for APIs (FastAPI's ``response_model``).

``pydantic_model(User)`` is a ``pydantic.BaseModel`` with ``User``'s fields, their types
and defaults; it reads entities directly (``from_attributes``), so an endpoint can return
a ``User`` and have it validated and serialised. Relations are left out unless named in
``relations``; a named relation must then be loaded (``fetch=``), since reading it is
what serialising it does. Install with ``pip install 'runic-ogm[pydantic]'``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from runic.ogm.exceptions import ModelDefinitionError
from runic.ogm.model.entity import Entity
from runic.ogm.model.types import (
    BoolConverter,
    Converter,
    DateConverter,
    DateTimeConverter,
    EnumConverter,
    FloatConverter,
    GeoConverter,
    GeoLocation,
    IntConverter,
    ListConverter,
    StrConverter,
    VectorConverter,
)

try:
    import pydantic
except ImportError as missing:  # pragma: no cover - exercised without the extra
    raise ImportError(
        "runic.ogm.pydantic needs pydantic 2: pip install 'runic-ogm[pydantic]'"
    ) from missing


def pydantic_model(
    model: type[Entity],
    *,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] = (),
    relations: Mapping[str, type[pydantic.BaseModel] | None] | Iterable[str] = (),
    name: str | None = None,
    many: bool = False,
) -> type[pydantic.BaseModel]:
    """A Pydantic model of ``model``'s fields (those in ``include``, if given, but not in
    ``exclude``), plus the ``relations`` named: each as the Pydantic model given, or
    (``None``, or a plain list of names) as ``pydantic_model()`` of its target's fields.

    ``many=True`` gives a model of a list of them (a ``RootModel``), for an endpoint that
    returns a list: a type checker accepts ``response_model=UsersOut`` where it refuses
    ``list[UserOut]`` of a model made at runtime.
    """
    if many:
        one = pydantic_model(model, include=include, exclude=exclude, relations=relations)
        listed: type[pydantic.BaseModel] = pydantic.RootModel[list[one]]  # type: ignore[valid-type]
        return listed
    info = model.__runic__
    included = set(info.fields) if include is None else set(include)
    excluded = set(exclude)
    unknown = sorted((included | excluded) - set(info.fields))
    if unknown:
        raise ModelDefinitionError(
            f"pydantic_model({model.__name__}): no field {unknown[0]!r} "
            f"(fields: {', '.join(info.fields)})"
        )
    fields: dict[str, Any] = {}
    for field_name, field in info.fields.items():
        if field_name not in included or field_name in excluded:
            continue
        annotation = python_type(field.converter)
        if field.nullable:
            annotation = annotation | None
        default = field.default_value() if field.has_default else ...
        fields[field_name] = (annotation, default)
    nested = relations if isinstance(relations, Mapping) else dict.fromkeys(relations)
    for relation_name, target_model in nested.items():
        relation = info.relations.get(relation_name)
        if relation is None:
            raise ModelDefinitionError(
                f"pydantic_model({model.__name__}): no relation {relation_name!r} "
                f"(relations: {', '.join(info.relations) or 'none'})"
            )
        target: Any = target_model or pydantic_model(relation.target)
        fields[relation_name] = (list[target] if relation.to_many else target | None, ...)
    config = pydantic.ConfigDict(from_attributes=True)
    created: type[pydantic.BaseModel] = pydantic.create_model(
        name or f"{model.__name__}Model", __config__=config, **fields
    )
    return created


def python_type(converter: Converter) -> Any:
    """The Python type a field of this converter holds (``Any`` for a converter of the
    user's, whose type runic does not know)."""
    simple: dict[type[Converter], Any] = {
        StrConverter: str,
        IntConverter: int,
        FloatConverter: float,
        BoolConverter: bool,
        DateConverter: datetime.date,
        DateTimeConverter: datetime.datetime,
        VectorConverter: list[float],
        GeoConverter: GeoLocation,
    }
    for kind, annotation in simple.items():
        if isinstance(converter, kind):
            return annotation
    if isinstance(converter, EnumConverter):
        return converter.enum_type
    if isinstance(converter, ListConverter):
        return list[python_type(converter.item)]  # type: ignore[misc]
    return Any
