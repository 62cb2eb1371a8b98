"""OpenRouter's pricing objects and model fields, shared by the catalogue and endpoint parsers.

Prices arrive as decimal strings in USD per token (or per request / image / search) and
become `Decimal` per 1M tokens. `"-1"` marks a dynamically priced router: no figure.
Zero-valued optional components stopped being sent in January 2026; a zero and a missing
optional component are therefore the same fact and neither is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pricewatch.collectors.base import ParseError
from pricewatch.collectors.values import to_decimal
from pricewatch.records import (
    ONE_MILLION,
    PRICE_SCALE,
    PriceRecord,
    RecordError,
    validate_record,
)

# OpenRouter pricing key -> (our component, our unit, factor from OpenRouter's unit).
# Unknown keys are kept under their own name as per-token prices, OpenRouter's default unit.
COMPONENTS: dict[str, tuple[str, str, Decimal]] = {
    "prompt": ("input", "per_1m_tokens", ONE_MILLION),
    "completion": ("output", "per_1m_tokens", ONE_MILLION),
    "input_cache_read": ("cache_read", "per_1m_tokens", ONE_MILLION),
    "input_cache_write": ("cache_write", "per_1m_tokens", ONE_MILLION),
    "internal_reasoning": ("reasoning", "per_1m_tokens", ONE_MILLION),
    "audio": ("audio_input", "per_1m_tokens", ONE_MILLION),
    "input_audio_cache": ("audio_cache_read", "per_1m_tokens", ONE_MILLION),
    "image_output": ("image_output", "per_1m_tokens", ONE_MILLION),
    "audio_output": ("audio_output", "per_1m_tokens", ONE_MILLION),
    "request": ("request", "per_request", Decimal(1)),
    "image": ("image_input", "per_image", Decimal(1)),
    "web_search": ("web_search", "per_1k_searches", Decimal(1000)),
}
REQUIRED = ("prompt", "completion")  # always stored, so a free model shows price 0
NOT_PRICES = {"discount"}  # a numeric share, not a price

# OpenRouter's supported_parameters that mean a capability.
PARAMETER_CAPABILITIES = {
    "reasoning": "reasoning",
    "include_reasoning": "reasoning",
    "tools": "tools",
    "structured_outputs": "structured_outputs",
}


def modalities(architecture: dict[str, Any], side: str) -> list[str] | None:
    """Input or output modalities; the 2024 schema only had `modality` ("text+image->text")."""
    listed = architecture.get(f"{side}_modalities")
    if isinstance(listed, list):
        return [str(item) for item in listed]
    modality = architecture.get("modality")
    if not isinstance(modality, str):
        return None
    if modality == "multimodal":  # 2024: text and image in, text out
        return ["image", "text"] if side == "input" else ["text"]
    inputs, _, outputs = modality.partition("->")
    part = inputs if side == "input" else (outputs or "text")
    return [item for item in part.split("+") if item]


def capabilities(inputs: Iterable[str] | None, outputs: Iterable[str] | None,
                 parameters: Iterable[str] | None, free: bool) -> list[str]:
    """Capabilities read from the data (not guessed from names)."""
    found = {f"{m}_input" for m in inputs or () if m != "text"}
    found |= {f"{m}_output" for m in outputs or () if m != "text"}
    found |= {PARAMETER_CAPABILITIES[p] for p in parameters or () if p in PARAMETER_CAPABILITIES}
    if "embeddings_output" in found:
        found.discard("embeddings_output")
        found.add("embeddings")
    if free:
        found.add("free")
    return sorted(found)


def omits_zeros(pricing: dict[str, Any]) -> bool:
    """Whether a pricing object follows OpenRouter's January 2026 rule of leaving zero-valued
    optional components out: it sends no optional component as zero. Then a component the
    offer was priced for and no longer sends is 0; before the rule (explicit "0" fields),
    an absent component is simply not published."""
    return not any(key not in REQUIRED and key not in NOT_PRICES and _is_zero(raw)
                   for key, raw in pricing.items())


def _is_zero(raw: Any) -> bool:
    """A zero sent as a string ("0") or a JSON number (0, 0.0)."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        return False
    try:
        return Decimal(str(raw).strip()) == 0
    except InvalidOperation:
        return False


def prices(pricing: dict[str, Any], *, source: str, model: str, route: str = "",
           threshold: int = 0, warnings: list[str] | None = None) -> list[PriceRecord]:
    """Price records of one pricing object; `-1` is dynamic, zero optional ones are omitted.

    An optional component priced finer than the warehouse stores exactly (more than 18
    decimal places in its unit: a 2024 catalogue priced one image at 0.0000000001384083045)
    is left out and named in `warnings`, so one such figure does not reject the whole
    catalogue; without a `warnings` list it is an error, as any unstorable price is."""
    records = []
    for key, raw in pricing.items():
        if key in NOT_PRICES or not isinstance(raw, str | int | Decimal) or isinstance(raw, bool):
            continue
        value = to_decimal(raw, source, f"model {model!r} pricing.{key}")
        component, unit, factor = COMPONENTS.get(key, (component_name(key), "per_1m_tokens",
                                                       ONE_MILLION))
        if value == -1:
            records.append(_price(source, model, route, component, unit, None, threshold))
            continue
        if value < 0:
            raise ParseError(source, f"model {model!r} pricing.{key}: negative price {raw!r}")
        if value == 0 and key not in REQUIRED:
            continue
        scaled = value * factor
        if warnings is not None and key not in REQUIRED and _finer_than_stored(scaled):
            warnings.append(f"model {model!r} pricing.{key} {raw!r}: more than {PRICE_SCALE} "
                            f"decimal places {unit}, left out")
            continue
        records.append(_price(source, model, route, component, unit, scaled, threshold))
    return records


def _finer_than_stored(value: Decimal) -> bool:
    exponent = value.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent < -PRICE_SCALE


def component_name(key: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in key.lower()).strip("_") or "unknown"


def _price(source: str, model: str, route: str, component: str, unit: str,
           value: Decimal | None, threshold: int) -> PriceRecord:
    data = {"kind": "price", "source": source, "provider": "openrouter", "model": model,
            "route": route, "component": component, "unit": unit,
            "context_threshold": threshold, "price": value, "dynamic": value is None}
    try:
        return validate_record(data, source)  # type: ignore[return-value]
    except RecordError as error:
        raise ParseError(source, f"model {model!r} {component}: {error.reason}") from None


def int_or_none(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value() and value >= 0:
        return int(value)
    return None


def iso_date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
