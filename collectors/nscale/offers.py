"""An nscale model entry as an offer and its prices, shared by nscale's own API and the
Hugging Face router.

Prices are USD per 1M tokens as JSON numbers or strings. JSON numbers can carry binary
float noise (`0.030000000000000002`); they are read through their decimal text and rounded
to PRICE_DECIMALS places, which no published per-1M price needs more than. Image models
price output per megapixel; embedding models have an input price only (no output price,
not a zero one). A 429 from nscale means "insufficient credit", never throttling.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pricewatch.collectors.base import ParseError, UnreadLog
from pricewatch.collectors.nscale.payloads import Entry, Pricing
from pricewatch.collectors.payloads import note_unread
from pricewatch.collectors.values import to_decimal
from pricewatch.records import MAX_PRICE, AnyRecord, RecordError, validate_record

PRICE_DECIMALS = 9  # a billionth of a dollar per 1M tokens: below any real price step
_QUANTUM = Decimal(1).scaleb(-PRICE_DECIMALS)

# How an entry says what it is; the name rule is the fallback for entries that say nothing.
IMAGE_TYPES = {"image", "image-generation", "text-to-image"}
EMBEDDING_TYPES = {"embedding", "embeddings", "feature-extraction"}
IMAGE_NAME = re.compile(r"flux|stable-diffusion|sdxl|\bsd-?3", re.IGNORECASE)
EMBEDDING_NAME = re.compile(r"embed", re.IGNORECASE)


def money(value: Any, source: str, where: str) -> Decimal:
    """A price from a JSON number or string, float noise rounded away."""
    number = to_decimal(value, source, where)
    if number < 0:
        raise ParseError(source, f"{where}: negative price {value!r}")
    if number >= MAX_PRICE:  # quantize would overflow the context: no real price is this
        raise ParseError(source, f"{where}: price {value!r} is out of range")
    return number.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()


def model_kind(entry: Entry) -> str:
    """chat, image or embedding: from the entry's own type or modalities, else its name."""
    for value in entry.kinds:
        if value is not None:
            if value.lower() in IMAGE_TYPES:
                return "image"
            if value.lower() in EMBEDDING_TYPES:
                return "embedding"
            return "chat"
    outputs = entry.architecture.output_modalities if entry.architecture else None
    if outputs and "image" in outputs:
        return "image"
    if outputs and "embeddings" in outputs:
        return "embedding"
    if IMAGE_NAME.search(entry.id):
        return "image"
    return "embedding" if EMBEDDING_NAME.search(entry.id) else "chat"


def _retiring_on(entry: Entry) -> date | None:
    for value in entry.dates:
        if value is not None and len(value) >= 10:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                continue
    return None


def modalities(entry: Entry, kind: str) -> tuple[list[str], list[str]]:
    """Input and output modalities as the entry states them (`architecture.*_modalities`,
    e.g. Llama 4 Scout takes text and images); where it states none, what its kind implies."""
    stated = (entry.architecture.input_modalities, entry.architecture.output_modalities) \
        if entry.architecture else (None, None)
    implied = (["text"], ["image"] if kind == "image" else
               ["embeddings"] if kind == "embedding" else ["text"])
    return stated[0] or implied[0], stated[1] or implied[1]


def offer_and_prices(source: str, provider: str, route: str, entry: Entry, pricing: Any,
                     extra: dict[str, Any], unread: UnreadLog | None = None,
                     path: str = "") -> list[AnyRecord]:
    """An entry's offer and prices; pricing keys a `Pricing` does not declare go to
    `unread` (under `path` + `pricing.`)."""
    model, kind = entry.id, model_kind(entry)
    inputs, outputs = modalities(entry, kind)
    capabilities = set(extra.pop("capabilities", ()))
    capabilities |= {f"{m}_input" for m in inputs if m != "text"}  # image_input: vision
    capabilities |= {"image_output"} if kind == "image" else set()
    capabilities |= {"embeddings"} if kind == "embedding" else set()
    retiring = _retiring_on(entry)
    records: list[dict[str, Any]] = [{
        "kind": "offer", "model": model, "route": route,
        "status": extra.pop("status", None) or ("retiring" if retiring else "available"),
        "retiring_on": retiring, "input_modalities": inputs, "output_modalities": outputs,
        "capabilities": sorted(capabilities), **extra}]
    prices = Pricing.read(pricing)
    if prices is not None:
        if unread is not None:
            note_unread(unread, prices, model, f"{path}pricing.")
        output_unit = "per_megapixel" if kind == "image" else "per_1m_tokens"
        for value, component, unit in ((prices.input, "input", "per_1m_tokens"),
                                       (prices.output, "output", output_unit)):
            if value is None or (kind == "embedding" and component == "output"):
                continue  # not published: absent, not zero
            where = f"model {model!r} pricing.{component}"
            if kind == "image" and component == "input" and money(value, source, where) == 0:
                continue  # image input is not charged per token
            records.append({"kind": "price", "model": model, "route": route,
                            "component": component, "unit": unit,
                            "price": money(value, source, where)})
    elif pricing is not None:
        raise ParseError(source, f"model {model!r}: pricing is not an object")
    try:
        return [validate_record({"source": source, "provider": provider, **r}, source)
                for r in records]
    except RecordError as error:
        raise ParseError(source, f"model {model!r}: {error.reason}"
                         f"{' (' + error.field + ')' if error.field else ''}") from None
