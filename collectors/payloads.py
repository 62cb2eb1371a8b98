"""Upstream JSON objects as pydantic models: a parser declares once, as one model per
object a provider sends, which keys it reads and what type each must have, instead of
walking dicts with `isinstance` checks.

The models are as lenient as the parsers must be with a format that moves: a value of
another type than declared reads as None (the parser decides what a missing value means,
and a price is never invented for it), and every key a model does not declare is kept
(`model_extra`) and reported as unread by `note_unread`, so the declared fields are the one
list of what a parser reads or knowingly passes over. Numbers arrive as int or Decimal
(`values.load_json`): no float ever holds a figure.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Self, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)

from pricewatch.collectors.base import UnreadLog


def count_or_none(value: Any) -> int | None:
    """A non-negative whole number (JSON `128000` or `128000.0`), else None; a string of
    digits is not a count."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, Decimal) and value.is_finite() and value >= 0 \
            and value == value.to_integral_value():
        return int(value)
    return None


def number_or_none(value: Any) -> int | Decimal | None:
    """A finite JSON number as it was read (int or Decimal), else None."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    return value if Decimal(value).is_finite() else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _texts(value: Any) -> list[str] | None:
    return [str(item) for item in value] if isinstance(value, list) else None


def _object(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _list(value: Any) -> list[Any] | None:
    return value if isinstance(value, list) else None


Text = Annotated[str | None, BeforeValidator(_text)]
Texts = Annotated[list[str] | None, BeforeValidator(_texts)]  # a list, each item as text
Count = Annotated[int | None, BeforeValidator(count_or_none)]
Number = Annotated[int | Decimal | None, BeforeValidator(number_or_none)]
Object = Annotated[dict[str, Any] | None, BeforeValidator(_object)]  # read on by the parser
List = Annotated[list[Any] | None, BeforeValidator(_list)]
PassedOver = Any  # a key read knowingly as no price or availability fact: never unread


class Payload(BaseModel):
    """One upstream object. `Model.read(value)` is the object, or None when `value` is not
    a JSON object; a nested Payload field of another shape is None too. (A parser that
    needs the object as sent, for an order that must not depend on what was read, keeps
    the value it read.)"""

    model_config = ConfigDict(extra="allow", frozen=True, protected_namespaces=())

    @classmethod
    def read(cls, value: Any) -> Self | None:
        if not isinstance(value, dict):
            return None
        try:
            return cls.model_validate(value)
        except ValidationError:
            if all(isinstance(key, str) for key in value):
                return None  # a field of another shape that is not lenient
        try:  # YAML may key a mapping by a number: such a key is unread, by its text
            return cls.model_validate({str(key): item for key, item in value.items()})
        except ValidationError:
            return None


def _none_if_invalid(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError:
        return None


# A field holding another Payload, `Annotated[Model | None, NESTED]`: a value that is no
# object of its shape reads as None.
NESTED = WrapValidator(_none_if_invalid)


def note_unread(unread: UnreadLog, payload: Payload, example: str, path: str = "") -> None:
    """Note each key of `payload` (and of the payloads nested in it) that its model does
    not declare, under its path (`architecture.tokenizer_v2`)."""
    for key in payload.model_extra or {}:
        unread.note(f"{path}{key}", example)
    for name in _nested_fields(type(payload)):
        value = getattr(payload, name)
        if value is not None:
            note_unread(unread, value, example, f"{path}{name}.")


@cache
def _nested_fields(model: type[Payload]) -> tuple[str, ...]:
    """The fields of `model` that hold another Payload."""
    return tuple(name for name, info in model.model_fields.items()
                 if any(isinstance(kind, type) and issubclass(kind, Payload)
                        for kind in (info.annotation, *get_args(info.annotation))))
