"""Vertex AI prices from the Cloud Billing Catalog API (service C7E2-9256-1C43).

Each page of `GET /v1/services/C7E2-9256-1C43/skus` is one body; the run follows every
`nextPageToken`. A SKU's `unitPrice {units, nanos}` is the price of one `usageUnit`;
dividing by `baseUnitConversionFactor` gives the price per base unit, and token SKUs
(base unit `count`) are then scaled to USD per 1M tokens. Every tier is a price record
with its `startUsageAmount` in base units as `usage_tier_start` (Google's first tier is
often a free allowance at $0); the views show the first tier that charges as the price.

A SKU description ("Gemini 2.5 Flash Lite Batch Text Input - Predictions") is mapped by
the rules below, in order: modifiers (service tier, route, long context) are taken out,
the price type names the component, and what is left is the model name. SKUs that map to
nothing (storage, tuning, grounding, machines) are counted and listed, never dropped
silently.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pricewatch.collectors.base import (
    ParseError,
    ParseOutput,
    PlanContext,
    Source,
    UnreadLog,
    merge_by_key,
)
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.payloads import note_unread
from pricewatch.collectors.values import load_json, to_decimal
from pricewatch.collectors.vertex.names import PROVIDER, model_slug
from pricewatch.collectors.vertex.payloads import (
    PricingExpression,
    PricingInfo,
    Sku,
    SkuPage,
    TierRate,
)
from pricewatch.collectors.vertex.settings import VertexSettings
from pricewatch.records import ONE_MILLION, AnyRecord, PriceRecord, validate_record

SKUS = "vertex.skus"
KEY_ENV = "GOOGLE_CLOUD_API_KEY"
PAGE_SIZE = 5000
SERVICE_ID = "C7E2-9256-1C43"
NANO = Decimal("0.000000001")

# Words that are not the model: stripped before the model name is read.
_NOISE = re.compile(r"\s+-\s+predictions?$|^cloud vertex ai model garden model as a service\s+|"
                    r"^vertex ai(?: model garden)?\s+|\bGA\b|\bpredictions?\b", re.IGNORECASE)
# (pattern, service tier)
_TIERS = ((re.compile(r"\bbatch\b", re.I), "batch"), (re.compile(r"\bpriority\b", re.I),
                                                      "priority"),
          (re.compile(r"\bflex\b", re.I), "flex"))
# (pattern, route)
_ROUTES = ((re.compile(r"\bregional\b|\bnon[- ]global\b", re.I), "non-global"),
           (re.compile(r"\bglobal\b", re.I), "global"))
_LONG = re.compile(r"\(long\)|\blong(?:[- ]context)?\b|>\s*200k", re.IGNORECASE)
# Long-context SKUs do not state their threshold; the pricing page does (cliff semantics).
LONG_CONTEXT_TOKENS = {"gemini-1.5": 128_000}
DEFAULT_LONG_CONTEXT_TOKENS = 200_000
# (pattern, component): the price-type phrase; everything before it is the model name.
_COMPONENTS = tuple((re.compile(pattern, re.IGNORECASE), component) for pattern, component in (
    (r"\baudio input caching\b|\bcached audio input\b", "audio_cache_read"),
    (r"\b(?:text |image |video )?input caching\b|\bcached (?:text |image |video )?input\b|"
     r"\bcache (?:hit|read)s?\b", "cache_read"),
    (r"\bcache writes?\b", "cache_write"),
    (r"\baudio input\b", "audio_input"),
    (r"\bimage input\b", "image_input"),
    (r"\bvideo input\b", "video_input"),
    (r"\bthinking (?:text )?output\b|\breasoning output\b", "reasoning"),
    (r"\bimage output\b", "image_output"),
    (r"\baudio output\b", "audio_output"),
    (r"\b(?:text )?input(?: tokens?)?\b", "input"),
    (r"\b(?:text )?output(?: tokens?)?\b", "output"),
))
_NOT_PRICES = re.compile(r"\b(?:storage|tuning|tuned|training|grounding|provisioned|"
                         r"commitment|throughput|endpoint|node|machine|gpu|tpu|cpu|ram|"
                         r"hours?)\b", re.IGNORECASE)


def parse_skus(body: bytes, observed_at: datetime,
               options: VertexSettings | None = None) -> ParseOutput:
    """One page of the SKU list. Keys the page, a SKU, its current pricing or a tier holds
    that the payload models (vertex/payloads.py) do not declare are returned as unread."""
    page = SkuPage.read(load_json(body, SKUS))
    if page is None or not isinstance(page.skus, list):
        raise ParseError(SKUS, "expected an object with a `skus` list")
    if not page.skus and not page.nextPageToken:
        raise ParseError(SKUS, "the `skus` list is empty")
    records: list[AnyRecord] = []
    unmapped: list[str] = []
    unread = UnreadLog()
    note_unread(unread, page, "the page")  # a renamed list: drift
    for index, raw in enumerate(page.skus):
        sku = Sku.read(raw)
        if sku is None:
            raise ParseError(SKUS, f"skus[{index}] is not an object")
        mapped = sku_records(sku, index, observed_at, unread)
        if mapped is None:
            unmapped.append(sku.description or f"skus[{index}]")
        else:
            records += mapped
    warnings = []
    if unmapped:
        shown = "; ".join(unmapped[:20]) + (f"; ... and {len(unmapped) - 20} more"
                                             if len(unmapped) > 20 else "")
        warnings.append(f"{SKUS}: {len(unmapped)} of {len(page.skus)} SKUs map to no model "
                        f"price: {shown}")
        unread.note("skus[] mapped to no model price", unmapped[0], len(unmapped))
    return ParseOutput(records, warnings, None, unread.items())


def describe(description: str) -> tuple[str, str, str, bool, str] | None:
    """(model id, component, route, long context, service tier) of a SKU description."""
    text = " ".join(description.split())
    if _NOT_PRICES.search(text):
        return None
    tier = next((name for pattern, name in _TIERS if pattern.search(text)), "standard")
    route = next((name for pattern, name in _ROUTES if pattern.search(text)), "")
    long = bool(_LONG.search(text))
    for pattern, _ in (*_TIERS, *_ROUTES):
        text = pattern.sub(" ", text)
    text = _LONG.sub(" ", text)
    for _ in range(2):
        text = _NOISE.sub(" ", text).strip()
    for pattern, component in _COMPONENTS:
        match = pattern.search(text)
        if match:
            model = text[:match.start()].strip(" -")
            return (model_slug(model), component, route, long, tier) if model else None
    return None


def sku_records(sku: Sku, index: int, observed_at: datetime,
                unread: UnreadLog | None = None) -> list[AnyRecord] | None:
    """One record per tiered rate of the SKU, or None when the SKU is no model price."""
    description = sku.description
    if description is None:
        raise ParseError(SKUS, f"skus[{index}] has no description")
    if unread is not None:
        note_unread(unread, sku, description, "skus[].")
    meaning = describe(description)
    if meaning is None or not sku.pricingInfo:
        return None
    model, component, route, long, tier = meaning
    info = PricingInfo.read(sku.pricingInfo[-1])
    expression = info.pricingExpression if info else None
    if info is None or expression is None:
        raise ParseError(SKUS, f"skus[{index}] ({description}) has no pricingExpression")
    tiers = _tiers(expression, index, description)
    if unread is not None:
        note_unread(unread, info, description, "skus[].pricingInfo[].")
        for rate in tiers:
            note_unread(unread, rate, description,
                        "skus[].pricingInfo[].pricingExpression.tieredRates[].")
    unit = _unit(expression, description)
    rates = _rates(expression, tiers, index, description)
    if unit is None or any(start != start.to_integral_value() for start, _ in rates):
        return None  # a unit we do not name, or tiers that start inside a base unit
    threshold = 0
    if long:
        family = next((k for k in LONG_CONTEXT_TOKENS if model.startswith(k)), None)
        threshold = LONG_CONTEXT_TOKENS[family] if family else DEFAULT_LONG_CONTEXT_TOKENS
    currency = _currency(tiers[0], index, description)
    return [validate_record({
        "kind": "price", "source": SKUS, "provider": PROVIDER, "model": model, "route": route,
        "component": component, "service_tier": tier, "context_threshold": threshold,
        "unit": unit[0], "price": (price * unit[1]).normalize(), "currency": currency,
        "effective_from": _future_start(info, observed_at), "usage_tier_start": int(start)},
        SKUS) for start, price in rates]


def _tiers(expression: PricingExpression, index: int, description: str) -> list[TierRate]:
    """The tiers of a pricing expression: a non-empty list, each with a unitPrice."""
    listed = expression.tieredRates
    if not isinstance(listed, list) or not listed:
        raise ParseError(SKUS, f"skus[{index}] ({description}) has no tieredRates")
    tiers = [TierRate.read(rate) for rate in listed]
    if any(rate is None or rate.unitPrice is None for rate in tiers):
        raise ParseError(SKUS, f"skus[{index}] ({description}): a tier has no unitPrice")
    return tiers  # type: ignore[return-value]


def _currency(rate: TierRate, index: int, description: str) -> str:
    code = rate.unitPrice.currencyCode if rate.unitPrice else None
    if code is not None and not isinstance(code, str):
        raise ParseError(SKUS, f"skus[{index}] ({description}): currencyCode {code!r} is "
                               "not a currency")
    return code or "USD"


def _rates(expression: PricingExpression, tiers: list[TierRate], index: int,
           description: str) -> list[tuple[Decimal, Decimal]]:
    """(start in base units, price per base unit) of every tier, in order of start."""
    factor = to_decimal(expression.baseUnitConversionFactor, SKUS,
                        f"skus[{index}].baseUnitConversionFactor")
    if factor <= 0:
        raise ParseError(SKUS, f"skus[{index}] ({description}): conversion factor {factor}")
    found = []
    for rate in tiers:
        price = rate.unitPrice
        assert price is not None  # _tiers checked it
        units = to_decimal(price.units, SKUS, f"skus[{index}] units")
        nanos = to_decimal(price.nanos, SKUS, f"skus[{index}] nanos")
        start = to_decimal(rate.startUsageAmount, SKUS, f"skus[{index}] start")
        found.append((start * factor, (units + nanos * NANO) / factor))
    return sorted(found)


def _unit(expression: PricingExpression, description: str) -> tuple[str, Decimal] | None:
    """The named unit of a price per base unit, and the factor to reach it."""
    base = str(expression.baseUnit or expression.usageUnit or "").lower()
    unit_words = str(expression.usageUnitDescription or "")
    said = f"{unit_words} {description}".lower()
    if base in ("count", "token", "tokens"):
        if "character" in said:
            return "per_1k_characters", Decimal(1000)
        if re.search(r"\bimages?\b", unit_words, re.I):
            return "per_image", Decimal(1)
        return "per_1m_tokens", ONE_MILLION
    if base in ("s", "second", "seconds"):
        return "per_second", Decimal(1)
    return None


def _future_start(info: PricingInfo, observed_at: datetime) -> str | None:
    """A pricing that starts after the observation is a published future price."""
    if info.effectiveTime is None:
        return None
    try:
        when = datetime.fromisoformat(info.effectiveTime.replace("Z", "+00:00"))
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return when.date().isoformat() if when > observed_at else None


def next_page(body: bytes) -> str | None:
    """The page token of the next page, if the body names one."""
    try:
        page = SkuPage.read(load_json(body, SKUS))
    except ParseError:
        return None
    return (page.nextPageToken or None) if page else None


def merge(records: list[AnyRecord]) -> tuple[list[AnyRecord], list[str]]:
    """Pages of one listing: a key that two SKUs price differently is left out, and said."""
    kept, conflicts = merge_by_key(records, key=lambda r: r.series,  # type: ignore[union-attr]
                                   value=lambda r: r.price)  # type: ignore[union-attr]
    notes = []
    for group in conflicts:
        first = group[0]
        assert isinstance(first, PriceRecord)
        shown = " and ".join(str(r.price) for r in group if isinstance(r, PriceRecord))
        notes.append(f"{SKUS}: SKUs price {first.model} {first.component} "
                     f"({first.service_tier}, route {first.route or 'default'}) as {shown}; "
                     "left out")
    return kept, notes


def plan_skus(options: VertexSettings, context: PlanContext) -> list[Request]:
    key = context.secrets[KEY_ENV].get_secret_value()
    url = _with_query(options.skus_url, pageSize=str(PAGE_SIZE))
    # The key travels as a header: query parameters end up in logs and the archive.
    return [Request(SKUS, url, frozenset(options.allowed_hosts),
                    headers={"X-Goog-Api-Key": key})]


def next_sku_page(options: VertexSettings, request: Request, body: bytes) -> Request | None:
    token = next_page(body)
    if token is None:
        return None
    return Request(request.source, _with_query(request.url, pageToken=token),
                   request.allowed_hosts, headers=request.headers)


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


SOURCE = Source(SKUS, "vertex", f"Cloud Billing Catalog SKUs of Vertex AI (services/{SERVICE_ID}"
                "/skus, every page; needs an API key)", parse_skus, plan_skus,
                schedule=6 * 3600, secret_env=KEY_ENV, merge_pages=merge, next_page=next_sku_page)
