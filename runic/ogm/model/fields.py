"""Field declarations (``Field(...)``) and the descriptor that serves them.

On the class, ``User.name`` is an expression operand (``User.name == "Alice"``); on an
instance it is the value, validated on every assignment.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, overload

from runic.ogm.exceptions import FieldValidationError, StatementError
from runic.ogm.model.tracking import TrackedList
from runic.ogm.model.types import (
    BoolConverter,
    ConversionError,
    Converter,
    IntConverter,
    ListConverter,
    StrConverter,
    Vector,
)
from runic.ogm.query.expressions import FieldOperand
from runic.ogm.values import INT64_MAX, INT64_MIN

if TYPE_CHECKING:
    from runic.ogm.model.entity import Entity


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final[Any] = _Missing()


@dataclass(frozen=True, slots=True)
class FieldDeclaration:
    """What ``Field(...)`` returns; turned into a :class:`FieldAttribute` by the model."""

    default: Any = MISSING
    default_factory: Callable[[], Any] | None = None
    primary_key: bool = False
    index: bool = False
    unique: bool = False
    fulltext: bool = False
    vector: Vector | None = None
    #: The optimistic-locking counter: every flush that updates or deletes the entity
    #: checks it against the graph and increments it (see StaleDataError).
    version: bool = False
    #: A str key made by runic (:func:`new_id`) when none is given.
    generated: bool = False
    #: A converter of the user's for a type runic does not know (see ``Converter``).
    converter: Converter | None = None
    #: FalkorDB keeps one copy of each distinct value (``intern()``); a str field.
    interned: bool = False


def new_id() -> str:
    """A new random key (a UUID4 as 32 hex digits): ``Field(default_factory=new_id)``,
    or ``Field(generated=True)``."""
    return uuid.uuid4().hex


@overload
def Field(
    default: Any = MISSING,
    *,
    default_factory: Callable[[], Any] | None = None,
    primary_key: bool = False,
    index: bool = False,
    unique: bool = False,
    fulltext: bool = False,
    vector: Vector | None = None,
    generated: bool = False,
    converter: Converter | None = None,
    interned: bool = False,
    version: Literal[True],
    init: Literal[False] = False,
) -> Any: ...


@overload
def Field(
    default: Any = MISSING,
    *,
    default_factory: Callable[[], Any] | None = None,
    primary_key: bool = False,
    index: bool = False,
    unique: bool = False,
    fulltext: bool = False,
    vector: Vector | None = None,
    generated: bool = False,
    converter: Converter | None = None,
    interned: bool = False,
    version: Literal[False] = False,
    init: Literal[True] = True,
) -> Any: ...


def Field(
    default: Any = MISSING,
    *,
    default_factory: Callable[[], Any] | None = None,
    primary_key: bool = False,
    index: bool = False,
    unique: bool = False,
    fulltext: bool = False,
    vector: Vector | None = None,
    generated: bool = False,
    converter: Converter | None = None,
    interned: bool = False,
    version: bool = False,
    init: bool | None = None,
) -> Any:
    """Declare a field with options: ``email: Mapped[str] = Field(unique=True)``.

    ``version: Mapped[int] = Field(version=True)`` makes the field the entity's
    optimistic-locking counter: it starts at 1 and runic maintains it, so type checkers
    do not offer it as a constructor argument. ``init`` only says that to them (it
    follows ``version``).

    ``generated=True`` makes a str key with :func:`new_id` when none is given (for type
    checkers, which read only ``default``/``default_factory``, write
    ``default_factory=new_id``). ``converter`` stores a type runic does not know through
    a :class:`~runic.ogm.model.types.Converter` of yours. ``interned=True`` (a str field)
    has FalkorDB keep one copy of each distinct value (``intern()``); other backends store
    it as it is.
    """
    if init is not None and init is not (not version):
        raise TypeError(
            "Field(init=...) follows version=: only a version field, which runic sets, "
            "is left out of the constructor"
        )
    if default is not MISSING and default_factory is not None:
        raise TypeError("Field() takes default or default_factory, not both")
    if default_factory is not None and not callable(default_factory):
        raise TypeError(f"Field(default_factory=...) must be callable, got {default_factory!r}")
    if generated:
        if default is not MISSING or default_factory not in (None, new_id):
            raise TypeError("Field(generated=True) makes the default; give no other")
        default_factory = new_id
    if converter is not None and not isinstance(converter, Converter):
        raise TypeError(
            "Field(converter=...) takes an instance of a runic.ogm.model.Converter subclass, "
            f"got {converter!r}"
        )
    return FieldDeclaration(
        default=default,
        default_factory=default_factory,
        primary_key=primary_key,
        index=index,
        unique=unique,
        fulltext=fulltext,
        vector=vector,
        version=version,
        generated=generated,
        converter=converter,
        interned=interned,
    )


class FieldAttribute[T](FieldOperand[T]):
    """A model field holding ``T``: the class-level operand and the instance-level slot."""

    __slots__ = (
        "_default",
        "converter",
        "declaration",
        "model",
        "name",
        "nullable",
        "plain",
    )
    __hash__ = object.__hash__

    def __init__(
        self,
        model: type[Entity],
        name: str,
        converter: Converter,
        nullable: bool,
        declaration: FieldDeclaration,
    ) -> None:
        self.model = model
        self.name = name
        self.converter = converter
        self.nullable = nullable
        self.declaration = declaration
        self._default = _normalised_default(converter, declaration.default)
        #: The type whose common values are valid as they are (see ``validate``).
        self.plain: type | None = _PLAIN_TYPES.get(type(converter))

    def rebind(self, model: type[Entity]) -> FieldAttribute[T]:
        """A copy of this field for a subclass, so ``Admin.name`` belongs to ``Admin``."""
        return FieldAttribute(model, self.name, self.converter, self.nullable, self.declaration)

    @property
    def model_name(self) -> str:
        return self.model.__name__

    @property
    def primary_key(self) -> bool:
        return self.declaration.primary_key

    @property
    def has_default(self) -> bool:
        declaration = self.declaration
        return (
            declaration.default is not MISSING
            or declaration.default_factory is not None
            or self.nullable
        )

    def default_value(self) -> Any:
        """A fresh default: factories are called and mutable defaults copied each time."""
        declaration = self.declaration
        if declaration.default_factory is not None:
            return self.validate(declaration.default_factory())
        if declaration.default is MISSING:
            return None
        if self.converter.mutable:
            return copy.deepcopy(self._default)
        return self._default

    def validate(self, value: Any) -> Any:
        """Normalise ``value`` for this field or raise
        :class:`~runic.ogm.exceptions.FieldValidationError`."""
        kind = type(value)
        if kind is self.plain:  # the common values, accepted here without the converter
            if kind is str:
                if value.isascii() and "\x00" not in value:
                    return value
            elif kind is int:
                if INT64_MIN <= value <= INT64_MAX:
                    return value
            else:
                return value  # bool
        if value is None:
            if self.nullable:
                return None
            raise FieldValidationError(
                self.model_name,
                self.name,
                f"expected {self.converter.describe()}, got None (the field is not Optional)",
                expected=self.converter.describe(),
                actual=None,
            )
        try:
            return self.converter.validate(value)
        except ConversionError as error:
            raise FieldValidationError(
                self.model_name,
                self.name,
                error.detail or f"expected {error.expected}, got {type(error.actual).__name__}",
                expected=error.expected,
                actual=error.actual,
            ) from None

    def to_param(self, value: Any) -> Any:
        if value is None:
            raise StatementError(
                f"{self._describe()}: compare with None through == None, != None, "
                "is_null() or is_not_null()"
            )
        return self.converter.to_db(self.validate(value))

    def item_param(self, value: Any) -> Any:
        converter = self.converter
        assert isinstance(converter, ListConverter)
        try:
            return converter.item.to_db(converter.item.validate(value))
        except ConversionError as error:
            raise FieldValidationError(
                self.model_name,
                self.name,
                "contains() "
                + (
                    error.detail
                    or f"expected {converter.item.describe()}, got {type(error.actual).__name__}"
                ),
                expected=converter.item.describe(),
                actual=value,
            ) from None

    def _describe(self) -> str:
        return f"{self.model_name}.{self.name}"

    def _is_list(self) -> bool:
        return isinstance(self.converter, ListConverter)

    def _is_str(self) -> bool:
        return isinstance(self.converter, StrConverter)

    def __repr__(self) -> str:
        return f"<field {self._describe()}: {self.converter.describe()}>"

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> FieldAttribute[T]: ...

    @overload
    def __get__(self, instance: object, owner: type[Any]) -> T: ...

    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        if instance is None:
            return self
        try:
            return instance._runic_values[self.name]
        except KeyError:
            return instance._runic_missing_field(self)

    def __set__(self, instance: Entity, value: Any) -> None:
        value = self.validate(value)
        state = instance._runic_state
        if state is not None:
            state.changed(instance)  # before the change: the session keeps what was stored
        if value is not None and self.converter.mutable:
            value = TrackedList(value, instance)
        instance._runic_values[self.name] = value


#: Converters whose values of exactly this type are stored as they are, if a plain str is
#: ASCII without NUL and an int fits 64 bits (the rules of ``runic.ogm.values``).
_PLAIN_TYPES: dict[type[Converter], type] = {
    StrConverter: str,
    IntConverter: int,
    BoolConverter: bool,
}


def _normalised_default(converter: Converter, default: Any) -> Any:
    """The default as validation makes it (floats rounded, datetimes in UTC...), computed
    once; a default that fails is returned as declared, for the model to report."""
    if default is MISSING or default is None:
        return default
    try:
        return converter.validate(default)
    except ConversionError:
        return default
