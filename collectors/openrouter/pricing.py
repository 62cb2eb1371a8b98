"""OpenRouter's pricing objects and model fields, shared by the catalogue and endpoint parsers.

Prices arrive as decimal strings in USD per token (or per request / image / search) and
become `Decimal` per 1M tokens. `"-1"` marks a dynamically priced router: no figure.
Zero-valued optional components stopped being sent in January 2026; a zero and a missing
optional component are therefore the same fact and neither is stored: an absent component is
not published (never 0), and one that stops being sent closes like any unlisted price.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from pricewatch.collectors.base import ParseError, UnreadLog
from pricewatch.collectors.openrouter.overrides import (
    NO_WINDOW,
    Override,
    OverrideError,
    Window,
    read_override,
    resolve,
)
from pricewatch.collectors.openrouter.payloads import Architecture
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
    "input_cache_write_1h": ("cache_write_1h", "per_1m_tokens", ONE_MILLION),
    "image_token": ("image_token", "per_1m_tokens", ONE_MILLION),
    "request": ("request", "per_request", Decimal(1)),
    "image": ("image_input", "per_image", Decimal(1)),
    "web_search": ("web_search", "per_1k_searches", Decimal(1000)),
}
REQUIRED = ("prompt", "completion")  # always stored, so a free model shows price 0
NOT_PRICES = {"discount", "overrides"}  # a numeric share; the conditional prices
# Keys of a `pricing.overrides` entry shaped like a condition pricewatch does not know: such
# an entry cannot be placed, so it is left out (and named), never read as a price.
CONDITION_PREFIXES = ("min_", "max_", "utc_")

# What bills each output modality: an offer is free only when, for every modality it
# outputs, one of these components is published, and every published price is 0. A video
# model priced only by prompt/completion 0 has no published price for what it bills
# (seconds of video): not published, not free. A modality missing here (video, rerank, a
# new one) never makes an offer free, and the catalogue records it as unread.
BILLED_BY: dict[str, tuple[str, ...]] = {
    "text": ("output",),
    "embeddings": ("input",),
    "image": ("image_output", "image_input"),
    "audio": ("audio_output",),
    "speech": ("audio_output",),
}
# Unknown pricing keys are per token (OpenRouter's default unit) unless their name ends in
# a unit word; a price is never put in a unit its name contradicts.
UNIT_SUFFIXES = (("_second", "per_second"), ("_seconds", "per_second"),
                 ("_minute", "per_minute"), ("_image", "per_image"),
                 ("_request", "per_request"))

# OpenRouter's supported_parameters that mean a capability.
PARAMETER_CAPABILITIES = {
    "reasoning": "reasoning",
    "include_reasoning": "reasoning",
    "tools": "tools",
    "structured_outputs": "structured_outputs",
}


def modalities(architecture: Architecture | None, side: str) -> list[str] | None:
    """Input or output modalities; the 2024 schema only had `modality` ("text+image->text")."""
    if architecture is None:
        return None
    listed = getattr(architecture, f"{side}_modalities")
    if listed is not None:
        return listed
    modality = architecture.modality
    if modality is None:
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


def prices(pricing: dict[str, Any], *, source: str, model: str, route: str = "",
           threshold: int = 0, warnings: list[str] | None = None,
           window: Window = NO_WINDOW, keep_zeros: bool = False) -> list[PriceRecord]:
    """Price records of one pricing object; `-1` is dynamic, zero optional ones are omitted
    (unless `keep_zeros`: a conditional zero that undercuts a price is a price).

    An optional component priced finer than the warehouse stores exactly (more than 18
    decimal places in its unit: a 2024 catalogue priced one image at 0.0000000001384083045)
    is left out and named in `warnings`, so one such figure does not reject the whole
    catalogue; without a `warnings` list it is an error, as any unstorable price is."""
    records = []
    for key, raw in pricing.items():
        if key in REQUIRED and not _is_figure(raw):
            raise ParseError(source, f"model {model!r} pricing.{key}: {raw!r} is not a price")
        if key in NOT_PRICES or not _is_figure(raw):
            continue
        value = to_decimal(raw, source, f"model {model!r} pricing.{key}")
        component, unit, factor = COMPONENTS.get(key) or unknown_component(key)
        if value == -1:
            records.append(_price(source, model, route, component, unit, None, threshold,
                                  window))
            continue
        if value < 0:
            raise ParseError(source, f"model {model!r} pricing.{key}: negative price {raw!r}")
        if value == 0 and key not in REQUIRED and not keep_zeros:
            continue
        scaled = value * factor
        if warnings is not None and key not in REQUIRED and _finer_than_stored(scaled):
            warnings.append(f"model {model!r} pricing.{key} {raw!r}: more than {PRICE_SCALE} "
                            f"decimal places {unit}, left out")
            continue
        records.append(_price(source, model, route, component, unit, scaled, threshold,
                              window))
    return records


def _is_figure(raw: Any) -> bool:
    return isinstance(raw, str | int | Decimal) and not isinstance(raw, bool)


def offer_prices(pricing: dict[str, Any], *, source: str, model: str, route: str = "",
                 warnings: list[str], unread: UnreadLog) -> list[PriceRecord]:
    """Every price of one pricing object, its `overrides` resolved into long-context tiers
    (context_threshold) and UTC time windows (overrides.resolve). An entry that cannot be
    placed is left out, named in `warnings` and recorded as unread; the rest still apply."""
    for key, raw in pricing.items():
        if key not in COMPONENTS and key not in NOT_PRICES:
            unread.note(f"pricing.{key}", model)  # stored under its own name, per token
        elif key in COMPONENTS and raw is not None and not _is_figure(raw):
            unread.note(f"pricing.{key} (not a number)", model)
    listed = pricing.get("overrides")
    if listed is None or listed == []:
        return prices(pricing, source=source, model=model, route=route, warnings=warnings)
    if not isinstance(listed, list):
        unread.note("pricing.overrides", model)
        warnings.append(f"model {model!r} pricing.overrides is not a list: left out")
        return prices(pricing, source=source, model=model, route=route, warnings=warnings)
    entries = []
    for index, entry in enumerate(listed):
        try:
            entries.append(read_override(entry, _is_price_key))
        except OverrideError as error:
            unread.note("pricing.overrides[]", model)
            warnings.append(f"model {model!r} pricing.overrides[{index}]: {error}; the entry "
                            "is left out")
    base = _figures(pricing, source, model, "pricing")
    read = [Override(e.tier, e.days, e.span,
                     _figures(e.values, source, model, "pricing.overrides[]"))
            for e in entries]
    records: list[PriceRecord] = []
    for (threshold, window), values in resolve(base, read).items():
        row = {key: format(value, "f") for key, value in values.items()}
        records += prices(row, source=source, model=model, route=route, threshold=threshold,
                          warnings=warnings, window=window,
                          keep_zeros=(threshold, window) != (0, NO_WINDOW))
    return records


def _is_price_key(key: str, raw: Any) -> bool:
    """A key of an override entry that is a price: a figure whose name is not shaped like a
    condition (`min_…`, `max_…`, `utc_…`)."""
    return _is_figure(raw) and not key.startswith(CONDITION_PREFIXES)


def _figures(pricing: dict[str, Any], source: str, model: str, where: str
             ) -> dict[str, Decimal]:
    return {key: to_decimal(raw, source, f"model {model!r} {where}.{key}")
            for key, raw in pricing.items() if key not in NOT_PRICES and _is_figure(raw)}


def _finer_than_stored(value: Decimal) -> bool:
    exponent = value.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent < -PRICE_SCALE


def unknown_component(key: str) -> tuple[str, str, Decimal]:
    """A pricing key pricewatch does not know: its own name, its unit from a unit word at
    the end of the name, else per token (scaled to per 1M tokens)."""
    name = component_name(key)
    unit = next((u for suffix, u in UNIT_SUFFIXES if name.endswith(suffix)), None)
    return (name, unit, Decimal(1)) if unit else (name, "per_1m_tokens", ONE_MILLION)


def is_free(model: str, records: Iterable[PriceRecord], outputs: Iterable[str] | None) -> bool:
    """The `free` class: a `:free` variant, or an offer whose every published price is 0 and
    which publishes a price for each modality it outputs (BILLED_BY)."""
    if model.endswith(":free"):
        return True
    base = [r for r in records if r.context_threshold == 0 and not r.windowed]
    published = {r.component: r.price for r in base}
    if not published or any(price != 0 for price in published.values()):
        return False  # a priced component, or a dynamic (None) one
    return all(any(c in published for c in BILLED_BY.get(m, ())) for m in outputs or ("text",))


def component_name(key: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in key.lower()).strip("_") or "unknown"


def _price(source: str, model: str, route: str, component: str, unit: str,
           value: Decimal | None, threshold: int, window: Window) -> PriceRecord:
    days, start, end = window
    data = {"kind": "price", "source": source, "provider": "openrouter", "model": model,
            "route": route, "component": component, "unit": unit,
            "context_threshold": threshold, "price": value, "dynamic": value is None,
            "utc_days": days, "utc_start_minute": start, "utc_end_minute": end}
    try:
        return validate_record(data, source)  # type: ignore[return-value]
    except RecordError as error:
        raise ParseError(source, f"model {model!r} {component}: {error.reason}") from None


def iso_date(value: str | None) -> date | None:
    if value is None or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
