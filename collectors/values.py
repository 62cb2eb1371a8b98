"""Values as JSON APIs send them: bodies read with every number as Decimal, decimal strings
checked, and the `{"data": [...]}` model list of OpenAI-style APIs."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from pricewatch.collectors.base import ParseError
from pricewatch.collectors.pages import decode


def load_json(body: bytes, source: str) -> Any:
    """JSON with every non-integer number as Decimal, so no float ever holds a price."""
    text = decode(body, source)
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        snippet = body[:60].decode("utf-8", "replace").strip()
        raise ParseError(source, f"body is not JSON ({error.msg} at line {error.lineno}); "
                                 f"starts with {snippet!r}") from None


def to_decimal(value: Any, source: str, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ParseError(source, f"{where}: expected a decimal string, got {value!r}")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise ParseError(source, f"{where}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ParseError(source, f"{where}: {value!r} is not a finite number")
    return number


def model_list(body: bytes, source: str) -> list[dict[str, Any]]:
    """The `{"data": [{"id": ...}, ...]}` list that OpenAI-style model APIs answer with."""
    payload = load_json(body, source)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ParseError(source, "expected an object with a `data` list of models")
    if not data:
        raise ParseError(source, "the `data` list is empty: no models")
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise ParseError(source, f"data[{index}] has no model id")
    return data
