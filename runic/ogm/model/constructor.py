"""Each model's own ``__init__``, generated from its fields and relations.

A generic ``__init__(**values)`` loops over the keywords, looks each field up and then
fills in the missing ones: about half of what staging 10,000 new nodes costs. The
generated one takes the fields and relations as keyword-only parameters, so it does
only the work its model needs, and ``inspect.signature(User)`` (IDEs, FastAPI, help())
shows the real fields. Values are validated exactly as the field descriptors do.

A subclass that defines its own ``__init__`` and calls ``super().__init__(...)`` reaches
a parent's generated one with fields the parent does not have: that call goes to the
generic ``Entity.__init__`` of the instance's own class.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runic.ogm.exceptions import FieldValidationError
from runic.ogm.model.tracking import track_values
from runic.ogm.values import INT64_MAX, INT64_MIN

if TYPE_CHECKING:
    from runic.ogm.model.entity import Entity, ModelInfo

#: The value of a keyword the caller did not give.
_UNSET: Any = type("_Unset", (), {"__repr__": lambda self: "<unset>"})()


def generated_init(info: ModelInfo, generic: Callable[..., None]) -> Callable[..., None]:
    """The ``__init__`` of the model ``info`` describes; ``generic`` is the fallback."""
    names = [*info.fields, *info.relations]
    assert not any(name.startswith("_") or keyword.iskeyword(name) for name in names)
    scope: dict[str, Any] = {
        "_UNSET": _UNSET,
        "_cls": info.cls,
        "_generic": generic,
        "_refuse": _refuse_unknown(info),
        "_track": track_values,
        "_mutable": info.mutable,
    }
    body = [
        "if self.__class__ is not _cls:",  # a subclass's own __init__ called super()
        "    return _generic(self, **{k: v for k, v in ("
        + "".join(f"({name!r}, {name}), " for name in names)
        + ") if v is not _UNSET}, **_unknown)",
        "if _unknown:",
        "    _refuse(_unknown)",
        "_values = {}",
    ]
    for index, (name, field) in enumerate(info.fields.items()):
        scope[f"_validate{index}"] = field.validate
        body.append(f"if {name} is _UNSET:")
        if not field.has_default:
            scope[f"_missing{index}"] = _refuse_missing(info, name)
            body.append(f"    _missing{index}()")
        elif field.declaration.default_factory is None and not field.converter.mutable:
            scope[f"_default{index}"] = field.default_value()  # immutable: shared safely
            body.append(f"    _values[{name!r}] = _default{index}")
        else:
            scope[f"_default{index}"] = field.default_value
            body.append(f"    _values[{name!r}] = _default{index}()")
        fast = _plain_check(name, field.plain)
        if fast:
            body.append(f"elif {fast}:")
            body.append(f"    _values[{name!r}] = {name}")
        body.append("else:")
        body.append(f"    _values[{name!r}] = _validate{index}({name})")
    if info.mutable:
        body.append("_track(self, _values, _mutable)")
    body += [
        "self._runic_values = _values",
        "self._runic_relations = {}",
        "self._runic_state = None",
    ]
    for name in info.relations:  # through the relation descriptor, which validates
        body.append(f"if {name} is not _UNSET:")
        body.append(f"    self.{name} = {name}")
    parameters = "".join(f", {name}=_UNSET" for name in names)
    star = ", *" if names else ""
    source = f"def __init__(self{star}{parameters}, **_unknown):\n" + "".join(
        f"    {line}\n" for line in body
    )
    exec(source, scope)
    init: Callable[..., None] = scope["__init__"]
    init.__qualname__ = f"{info.cls.__qualname__}.__init__"
    init.__module__ = info.cls.__module__
    return init


def _plain_check(name: str, plain: type | None) -> str:
    """The test that accepts a common value as it is (as ``FieldAttribute.validate``)."""
    if plain is str:
        return f'type({name}) is str and {name}.isascii() and "\\x00" not in {name}'
    if plain is int:
        return f"type({name}) is int and {INT64_MIN} <= {name} <= {INT64_MAX}"
    if plain is bool:
        return f"type({name}) is bool"
    return ""


def _refuse_unknown(info: ModelInfo) -> Callable[[dict[str, Any]], None]:
    def refuse(unknown: dict[str, Any]) -> None:
        known = ", ".join([*info.fields, *info.relations]) or "none"
        raise FieldValidationError(
            info.name, next(iter(unknown)), f"unknown field (fields of {info.name}: {known})"
        )

    return refuse


def _refuse_missing(info: ModelInfo, name: str) -> Callable[[], None]:
    field = info.fields[name]

    def refuse() -> None:
        expected = field.converter.describe()
        raise FieldValidationError(
            info.name, name, f"required field missing (expected {expected})", expected=expected
        )

    return refuse


def install_init(cls: type[Entity], info: ModelInfo) -> None:
    """Give a concrete model its generated ``__init__``, unless it defines its own."""
    from runic.ogm.model.entity import Entity

    if info.abstract or "__init__" in cls.__dict__:
        return
    cls.__init__ = generated_init(info, Entity.__init__)  # type: ignore[method-assign]
