"""nscale: its own model API (with a service token), the public Hugging Face router's nscale
offers, and its rate-limit policy page.

Prices are USD per 1M tokens as JSON numbers or strings. JSON numbers can carry binary
float noise (`0.030000000000000002`); they are read through their decimal text and rounded
to PRICE_DECIMALS places, which no published per-1M price needs more than. Image models
price output per megapixel; embedding models have an input price only (no output price,
not a zero one). A 429 from nscale means "insufficient credit", never throttling.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from bs4 import BeautifulSoup

from pricewatch.collectors.base import (
    ParseError,
    Parser,
    PlanContext,
    Source,
    model_list,
    register,
    register_source,
    to_decimal,
)
from pricewatch.collectors.fetch import Request
from pricewatch.records import MAX_PRICE, AnyRecord, RecordError, validate_record
from pricewatch.settings import Settings

MODELS = "nscale.models"
HF_ROUTER = "nscale.hf-router"
LIMITS = "nscale.limits"
TOKEN_ENV = "NSCALE_SERVICE_TOKEN"
HF_ROUTE = "huggingface"
PRICE_DECIMALS = 9  # a billionth of a dollar per 1M tokens: below any real price step
_QUANTUM = Decimal(1).scaleb(-PRICE_DECIMALS)

# How an entry says what it is; the name rule is the fallback for entries that say nothing.
IMAGE_TYPES = {"image", "image-generation", "text-to-image"}
EMBEDDING_TYPES = {"embedding", "embeddings", "feature-extraction"}
IMAGE_NAME = re.compile(r"flux|stable-diffusion|sdxl|\bsd-?3", re.IGNORECASE)
EMBEDDING_NAME = re.compile(r"embed", re.IGNORECASE)
HF_STATUS = {"live": "available", "staging": "preview", "error": "unavailable"}


def money(value: Any, source: str, where: str) -> Decimal:
    """A price from a JSON number or string, float noise rounded away."""
    number = to_decimal(value, source, where)
    if number < 0:
        raise ParseError(source, f"{where}: negative price {value!r}")
    if number >= MAX_PRICE:  # quantize would overflow the context: no real price is this
        raise ParseError(source, f"{where}: price {value!r} is out of range")
    return number.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()


def model_kind(entry: dict[str, Any]) -> str:
    """chat, image or embedding: from the entry's own type or modalities, else its name."""
    for key in ("type", "model_type", "task"):
        value = entry.get(key)
        if isinstance(value, str):
            if value.lower() in IMAGE_TYPES:
                return "image"
            if value.lower() in EMBEDDING_TYPES:
                return "embedding"
            return "chat"
    outputs = (entry.get("architecture") or {}).get("output_modalities") \
        if isinstance(entry.get("architecture"), dict) else None
    if isinstance(outputs, list) and "image" in outputs:
        return "image"
    if isinstance(outputs, list) and "embeddings" in outputs:
        return "embedding"
    model = str(entry.get("id", ""))
    if IMAGE_NAME.search(model):
        return "image"
    return "embedding" if EMBEDDING_NAME.search(model) else "chat"


def _retiring_on(entry: dict[str, Any]) -> date | None:
    for key in ("retirement_date", "retiring_on", "deprecation_date", "expiration_date"):
        value = entry.get(key)
        if isinstance(value, str) and len(value) >= 10:
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                continue
    return None


def _offer_and_prices(source: str, provider: str, model: str, route: str,
                      entry: dict[str, Any], pricing: Any,
                      extra: dict[str, Any]) -> list[AnyRecord]:
    kind = model_kind(entry)
    capabilities = set(extra.pop("capabilities", ()))
    capabilities |= {"image_output"} if kind == "image" else set()
    capabilities |= {"embeddings"} if kind == "embedding" else set()
    retiring = _retiring_on(entry)
    records: list[dict[str, Any]] = [{
        "kind": "offer", "model": model, "route": route,
        "status": extra.pop("status", None) or ("retiring" if retiring else "available"),
        "retiring_on": retiring,
        "input_modalities": ["text"],
        "output_modalities": ["image"] if kind == "image" else
        ["embeddings"] if kind == "embedding" else ["text"],
        "capabilities": sorted(capabilities), **extra}]
    if isinstance(pricing, dict):
        output_unit = "per_megapixel" if kind == "image" else "per_1m_tokens"
        for key, component, unit in (("input", "input", "per_1m_tokens"),
                                     ("output", "output", output_unit)):
            value = pricing.get(key)
            if value is None or (kind == "embedding" and component == "output"):
                continue  # not published: absent, not zero
            if kind == "image" and component == "input" and money(value, source, key) == 0:
                continue  # image input is not charged per token
            records.append({"kind": "price", "model": model, "route": route,
                            "component": component, "unit": unit,
                            "price": money(value, source, f"model {model!r} pricing.{key}")})
    elif pricing is not None:
        raise ParseError(source, f"model {model!r}: pricing is not an object")
    try:
        return [validate_record({"source": source, "provider": provider, **r}, source)
                for r in records]
    except RecordError as error:
        raise ParseError(source, f"model {model!r}: {error.reason}"
                         f"{' (' + error.field + ')' if error.field else ''}") from None


def parse_models(body: bytes, observed_at: datetime) -> list[AnyRecord]:
    """`GET /v1/models` of nscale's own API: ids are Hugging Face repo ids, kept as given."""
    records: list[AnyRecord] = []
    for entry in model_list(body, MODELS):
        context = entry.get("context_length")
        records += _offer_and_prices(MODELS, "nscale", entry["id"], "", entry,
                                     entry.get("pricing"), {
            "context_length": context if isinstance(context, int) and context >= 0 else None})
    return records


def parse_hf_router(body: bytes, observed_at: datetime,
                    providers: frozenset[str] = frozenset({"nscale"})) -> list[AnyRecord]:
    """Hugging Face router `GET /v1/models`: the offers of the chosen providers, route
    `huggingface`. A missing price or context length is unknown, never zero."""
    records: list[AnyRecord] = []
    for entry in model_list(body, HF_ROUTER):
        offers = entry.get("providers") or []
        if not isinstance(offers, list):
            raise ParseError(HF_ROUTER, f"model {entry['id']}: `providers` is not a list")
        for offer in offers:
            if not isinstance(offer, dict) or not isinstance(offer.get("provider"), str) \
                    or offer["provider"] not in providers:
                continue
            context = offer.get("context_length")
            capabilities = {name for flag, name in (("supports_tools", "tools"),
                                                    ("supports_structured_output",
                                                     "structured_outputs"),
                                                    ("is_free", "free")) if offer.get(flag)}
            status = offer.get("status")
            records += _offer_and_prices(HF_ROUTER, offer["provider"], entry["id"], HF_ROUTE,
                                         entry, offer.get("pricing"), {
                "context_length": context if isinstance(context, int) and context >= 0 else None,
                "capabilities": capabilities,
                "status": HF_STATUS.get(status, "unavailable") if isinstance(status, str)
                else None})
            for field, metric in (("first_token_latency_ms", "first_token_latency_ms"),
                                  ("throughput", "throughput_tps")):
                value = offer.get(field)
                if isinstance(value, int | Decimal) and not isinstance(value, bool):
                    records.append(validate_record({
                        "kind": "measurement", "source": HF_ROUTER,
                        "provider": offer["provider"],
                        "model": entry["id"], "route": HF_ROUTE, "metric": metric,
                        "value": value}, HF_ROUTER))
    if not records:
        raise ParseError(HF_ROUTER, f"no offers from {', '.join(sorted(providers))} in the list")
    return records


_NOT_ENFORCED = re.compile("(?:doesn|don)[\u2019']t|does not|do not", re.IGNORECASE)
_ENFORCE = re.compile(r"\s+enforce\s+rate\s+limits", re.IGNORECASE)
_FIGURE = re.compile(r"(\d[\d,]*)\s+(requests|tokens)\s+per\s+(second|minute|day)",
                     re.IGNORECASE)
_METRICS = {("requests", "second"): "requests_per_second",
            ("requests", "minute"): "requests_per_minute",
            ("requests", "day"): "requests_per_day",
            ("tokens", "minute"): "tokens_per_minute", ("tokens", "day"): "tokens_per_day"}


def parse_limits(body: bytes, observed_at: datetime) -> list[AnyRecord]:
    """The rate-limits FAQ: "not enforced" is a stored fact; published figures are figures."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParseError(LIMITS, f"body is not UTF-8 ({error.reason})") from None
    if re.search(r"<(html|body)\b", text[:5000], re.IGNORECASE):
        text = BeautifulSoup(text, "lxml").get_text(" ")
    text = re.sub(r"\s+", " ", text)
    base = {"kind": "rate_limit", "source": LIMITS, "provider": "nscale",
            "scope": "serverless inference", "condition": ""}
    records = [validate_record({**base, "metric": _METRICS[(kind.lower(), unit.lower())],
                                "value": Decimal(figure.replace(",", ""))}, LIMITS)
               for figure, kind, unit in _FIGURE.findall(text)]
    if not records and any(_ENFORCE.match(text, m.end()) for m in _NOT_ENFORCED.finditer(text)):
        records.append(validate_record({
            **base, "metric": "requests_per_minute", "value": None, "enforced": False,
            "note": "not enforced for serverless inference; 429 means insufficient credit"},
            LIMITS))
    if not records:
        raise ParseError(LIMITS, "neither rate-limit figures nor a statement that none are "
                                 "enforced")
    return records


def _allowed(settings: Settings) -> frozenset[str]:
    return frozenset(settings.nscale.allowed_hosts)


def plan_models(settings: Settings, context: PlanContext) -> list[Request]:
    token = context.secrets[TOKEN_ENV].get_secret_value()
    return [Request(MODELS, settings.nscale.api_base.rstrip("/") + "/models", _allowed(settings),
                    headers={"Authorization": f"Bearer {token}"}, retry_429=False)]


def plan_hf_router(settings: Settings, context: PlanContext) -> list[Request]:
    return [Request(HF_ROUTER, settings.nscale.hf_router_url, _allowed(settings))]


def plan_limits(settings: Settings, context: PlanContext) -> list[Request]:
    page = settings.nscale.limits_page_url
    # The docs site's 429 is throttling; only the inference API's means "no credit".
    return [Request(LIMITS, page.rstrip("/") + ".md", _allowed(settings)),
            Request(LIMITS, page, _allowed(settings))]


register(Parser(MODELS, parse_models, "nscale model list with prices, GET /v1/models (token)"))
def configure(settings: Settings) -> None:
    """Keep the Hugging Face providers the configuration names (default: nscale)."""
    chosen = frozenset(settings.nscale.hf_providers)
    register(Parser(HF_ROUTER, lambda body, at: parse_hf_router(body, at, chosen),
                    "Hugging Face router model list: offers of "
                    f"{', '.join(sorted(chosen))} (route huggingface)"))


register(Parser(HF_ROUTER, parse_hf_router,
                "Hugging Face router model list: offers of nscale (route huggingface)"))
register(Parser(LIMITS, parse_limits, "nscale rate-limits FAQ (markdown or HTML)"))
register_source(Source(MODELS, "nscale", "models and prices from nscale's API", plan_models,
                       secret_env=TOKEN_ENV))
register_source(Source(HF_ROUTER, "nscale", "nscale offers on the Hugging Face router",
                       plan_hf_router))
register_source(Source(LIMITS, "nscale", "rate-limit policy (docs FAQ)", plan_limits))
