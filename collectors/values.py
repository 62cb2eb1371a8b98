"""Values as JSON APIs send them: bodies read with every number as Decimal, decimal strings
checked, and the `{"data": [...]}` model list of OpenAI-style APIs."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from pricewatch.collectors.base import ParseError
from pricewatch.collectors.pages import decode


def load_json(body: bytes, source: str) -> Any:
    """JSON with every non-integer number as Decimal, so no float ever holds a price; the
    non-standard NaN and Infinity become Decimal too, and so are refused as prices."""
    text = decode(body, source)
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=Decimal)
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


ID_SHOWN = 80  # characters of an id a message shows


def shown_id(model: str) -> str:
    """An id as messages show it: cut to ID_SHOWN characters (a 600-character id is not a
    name anybody reads)."""
    return model if len(model) <= ID_SHOWN else model[:ID_SHOWN - 1] + "\u2026"


def left_out_message(model: str, error: Exception) -> str:
    """`model 'a/b' pricing.prompt: 'NaN' is not a finite number`, the id cut to size."""
    reason = str(getattr(error, "reason", error)).replace(repr(model), repr(shown_id(model)))
    return reason[:300] if repr(shown_id(model)) in reason else \
        f"model {shown_id(model)!r}: {reason[:300]}"


def left_out_summary(source: str, read: set[Any], left_out: list[str]) -> tuple[list[str], None]:
    """The warnings of a list some of whose items were left out (and no suspect verdict: the
    suspect guard judges the run against the last good one); a ParseError when none was
    read."""
    if not read:
        raise ParseError(source, "no model could be read; first: "
                         + (left_out[0] if left_out else "the list is empty"))
    if not left_out:
        return [], None
    return [f"{source}: {len(left_out)} of {len(left_out) + len(read)} models left out (the "
            f"rest is a partial run): {'; '.join(left_out[:20])}"], None


def model_list(body: bytes, source: str, bad: list[str] | None = None) -> list[dict[str, Any]]:
    """The `{"data": [{"id": ...}, ...]}` list that OpenAI-style model APIs answer with. With
    a `bad` list, an entry without an id is named there and skipped instead of failing the
    whole list."""
    payload = load_json(body, source)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise ParseError(source, "expected an object with a `data` list of models")
    if not data:
        raise ParseError(source, "the `data` list is empty: no models")
    kept = []
    for index, entry in enumerate(data):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            if bad is None:
                raise ParseError(source, f"data[{index}] has no model id")
            bad.append(f"data[{index}]: no model id")
            continue
        kept.append(entry)
    return kept
