"""``Mapped[T]``: the annotation of a typed field, ``name: Mapped[str]``.

For a type checker it is a descriptor: on the class (``User.name``) a
:class:`~runic.ogm.model.fields.FieldAttribute` operand for filters and ordering, on an
instance (``user.name``) the value. At runtime it only marks the annotation: the model
reads ``T`` from it and installs its own descriptor.
"""

from __future__ import annotations

import re
import typing
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from runic.ogm.model.fields import FieldAttribute


class Mapped[T]:
    __slots__ = ()

    if TYPE_CHECKING:

        @overload
        def __get__(self, instance: None, owner: type[Any]) -> FieldAttribute[T]: ...

        @overload
        def __get__(self, instance: object, owner: type[Any]) -> T: ...

        def __get__(self, instance: object, owner: type[Any]) -> FieldAttribute[T] | T: ...

        def __set__(self, instance: object, value: T) -> None: ...

    def __init__(self) -> None:
        raise TypeError("Mapped[...] is an annotation: `name: Mapped[str]`, not a value")


#: ``Mapped[...]`` or ``Relation[...]`` in a string annotation, maybe module-qualified.
_WRAPPED_TEXT = re.compile(r"\s*(?:[A-Za-z_][\w.]*\.)?(?:Mapped|Relation)\[(.*)\]\s*\Z", re.S)


def unwrap_annotation(annotation: Any) -> Any:
    """``T`` of ``Mapped[T]`` or ``Relation[T]``; any other annotation as it is.

    String annotations (``from __future__ import annotations``) are unwrapped as text,
    and a quoted ``T`` (``Mapped["Color"]``) comes back as its text, unquoted.
    """
    if isinstance(annotation, typing.ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        match = _WRAPPED_TEXT.match(annotation)
        return _unquoted(match.group(1)) if match else annotation
    from runic.ogm.model.relations import Relation

    if typing.get_origin(annotation) in (Mapped, Relation):
        (inner,) = typing.get_args(annotation)
        if isinstance(inner, typing.ForwardRef):
            return inner.__forward_arg__
        return inner
    return annotation


def is_relation_annotation(annotation: Any) -> bool:
    """Whether ``annotation`` is ``Relation[...]`` (as an object or as text)."""
    if isinstance(annotation, str):
        return annotation.lstrip().split("[", 1)[0].rsplit(".", 1)[-1] == "Relation"
    from runic.ogm.model.relations import Relation

    return typing.get_origin(annotation) is Relation


def _unquoted(text: str) -> str:
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1].strip()
    return text
