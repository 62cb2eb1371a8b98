"""OpenRouter: the model catalogue (and, later, per-model endpoints, providers, limits).

Prices arrive as decimal strings in USD per token (or per request / image / search) and
become `Decimal` per 1M tokens. `"-1"` marks a dynamically priced router: no figure.
Zero-valued optional components stopped being sent in January 2026; a zero and a missing
optional component are therefore the same fact and neither is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from pricewatch.collectors.base import (
    ParseError,
    ParseOutput,
    Parser,
    PlanContext,
    Source,
    load_json,
    model_list,
    register,
    register_source,
    to_decimal,
)
from pricewatch.collectors.fetch import Request
from pricewatch.records import ONE_MILLION, AnyRecord, PriceRecord, RecordError, validate_record
from pricewatch.settings import Settings

MODELS = "openrouter.models"

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


def _modalities(architecture: dict[str, Any], side: str) -> list[str] | None:
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


def prices(pricing: dict[str, Any], *, source: str, model: str, route: str = "",
           threshold: int = 0) -> list[PriceRecord]:
    """Price records of one pricing object; `-1` is dynamic, zero optional ones are omitted."""
    records = []
    for key, raw in pricing.items():
        if key in NOT_PRICES or not isinstance(raw, str | int | Decimal) or isinstance(raw, bool):
            continue
        value = to_decimal(raw, source, f"model {model!r} pricing.{key}")
        component, unit, factor = COMPONENTS.get(key, (_component_name(key), "per_1m_tokens",
                                                       ONE_MILLION))
        if value == -1:
            records.append(_price(source, model, route, component, unit, None, threshold))
            continue
        if value < 0:
            raise ParseError(source, f"model {model!r} pricing.{key}: negative price {raw!r}")
        if value == 0 and key not in REQUIRED:
            continue
        records.append(_price(source, model, route, component, unit, value * factor, threshold))
    return records


def _component_name(key: str) -> str:
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


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value() and value >= 0:
        return int(value)
    return None


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_models(body: bytes, observed_at: datetime) -> list[AnyRecord]:
    """`GET /api/v1/models`: one default-route offer and its prices per model."""
    records: list[AnyRecord] = []
    for item in model_list(body, MODELS):
        records.extend(_model_records(item))
    return records


def _model_records(item: dict[str, Any]) -> list[AnyRecord]:
    model = item["id"]
    pricing = item.get("pricing")
    if not isinstance(pricing, dict):
        raise ParseError(MODELS, f"model {model!r} has no pricing object")
    price_records = prices(pricing, source=MODELS, model=model)
    by_component = {p.component: p.price for p in price_records}
    free = by_component.get("input") == 0 and by_component.get("output") == 0
    architecture = item.get("architecture") if isinstance(item.get("architecture"), dict) else {}
    top = item.get("top_provider") if isinstance(item.get("top_provider"), dict) else {}
    inputs, outputs = _modalities(architecture, "input"), _modalities(architecture, "output")
    parameters = item.get("supported_parameters")
    parameters = [str(p) for p in parameters] if isinstance(parameters, list) else None
    retiring_on = _date(item.get("expiration_date"))
    offer = {
        "kind": "offer", "source": MODELS, "provider": "openrouter", "model": model,
        "route": "", "status": "retiring" if retiring_on else "available",
        "retiring_on": retiring_on,
        "display_name": item.get("name") if isinstance(item.get("name"), str) else None,
        "context_length": _int_or_none(item.get("context_length"))
        or _int_or_none(top.get("context_length")),
        "max_output_tokens": _int_or_none(top.get("max_completion_tokens")),
        "input_modalities": inputs, "output_modalities": outputs,
        "supported_parameters": parameters,
        "capabilities": capabilities(inputs, outputs, parameters, free),
    }
    try:
        return [validate_record(offer, MODELS), *price_records]
    except RecordError as error:
        raise ParseError(MODELS, f"model {model!r}: {error.reason}"
                         f"{' (' + error.field + ')' if error.field else ''}") from None


ENDPOINTS = "openrouter.endpoints"
PROVIDERS = "openrouter.providers"
KEY = "openrouter.key"

# Volatile endpoint readings, kept as measurements (a time series), never as SCD2 values.
UPTIME_FIELDS = {"uptime_last_5m": "uptime_pct_5m", "uptime_last_30m": "uptime_pct_30m",
                 "uptime_last_1d": "uptime_pct_1d"}
PERCENTILE_FIELDS = {"latency_last_30m": "latency_ms", "throughput_last_30m": "throughput_tps"}


def _endpoints_payload(body: bytes) -> dict[str, Any]:
    payload = load_json(body, ENDPOINTS)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise ParseError(ENDPOINTS, "expected an object with `data.id` and `data.endpoints`")
    if not isinstance(data.get("endpoints"), list):
        raise ParseError(ENDPOINTS, f"model {data['id']!r}: `data.endpoints` is not a list")
    return data


def endpoints_model(body: bytes, url: str) -> tuple[str, str]:
    """The model a sweep body speaks for: its offers outside this body are left alone."""
    return ("openrouter", _endpoints_payload(body)["id"])


def parse_endpoints(body: bytes, observed_at: datetime) -> ParseOutput:
    """`GET /api/v1/models/{author}/{slug}/endpoints`: one offer per serving endpoint."""
    data = _endpoints_payload(body)
    model = data["id"]
    architecture = data.get("architecture") if isinstance(data.get("architecture"), dict) else {}
    inputs, outputs = _modalities(architecture, "input"), _modalities(architecture, "output")
    for index, endpoint in enumerate(data["endpoints"]):
        if not isinstance(endpoint, dict):
            raise ParseError(ENDPOINTS, f"model {model!r}: endpoints[{index}] is not an object")
    routes, warnings = _routes(model, data["endpoints"])
    records: list[AnyRecord] = []
    for route, endpoint in zip(routes, data["endpoints"], strict=True):
        records.extend(_endpoint_records(model, route, endpoint, inputs, outputs))
    return ParseOutput(records, warnings)


def _routes(model: str, endpoints: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Each endpoint's route. A tag that repeats within one model (seen in May 2026: two
    `google-vertex/us-south1` endpoints with different prices) becomes `tag#1`, `tag#2`,
    numbered by ascending input then output price, so each stays its own offer."""
    tags = [_route(endpoint, model) for endpoint in endpoints]
    warnings = []
    for tag in sorted({t for t in tags if tags.count(t) > 1}):
        twins = sorted((i for i, t in enumerate(tags) if t == tag),
                       key=lambda i: _sort_key(endpoints[i]))
        for rank, index in enumerate(twins, start=1):
            tags[index] = f"{tag}#{rank}"
        warnings.append(f"{ENDPOINTS}: model {model!r} lists tag {tag!r} {len(twins)} times; "
                        f"stored as {tag}#1..#{len(twins)} by ascending price")
    return tags, warnings


def _sort_key(endpoint: dict[str, Any]) -> tuple[Decimal, Decimal, str]:
    pricing = endpoint.get("pricing") or {}

    def price(key: str) -> Decimal:
        try:
            return Decimal(str(pricing.get(key)))
        except InvalidOperation:
            return Decimal("Infinity")

    return price("prompt"), price("completion"), json.dumps(endpoint, sort_keys=True,
                                                            default=str)


def _route(endpoint: dict[str, Any], model: str) -> str:
    """Routes are keyed on the tag: provider names change over time, tags do not."""
    tag = endpoint.get("tag")
    if isinstance(tag, str) and tag:
        return tag
    name = endpoint.get("provider_name")
    if isinstance(name, str) and name:
        return _component_name(name).replace("_", "-")
    raise ParseError(ENDPOINTS, f"model {model!r}: an endpoint has neither tag nor provider_name")


def _endpoint_records(model: str, route: str, endpoint: dict[str, Any],
                      inputs: list[str] | None, outputs: list[str] | None) -> list[AnyRecord]:
    pricing = endpoint.get("pricing")
    if not isinstance(pricing, dict):
        raise ParseError(ENDPOINTS, f"model {model!r} route {route!r}: no pricing object")
    price_records = prices(pricing, source=ENDPOINTS, model=model, route=route)
    for tier in pricing.get("overrides") or ():
        threshold = _int_or_none(tier.get("min_prompt_tokens")) if isinstance(tier, dict) else None
        if threshold is None:
            raise ParseError(ENDPOINTS, f"model {model!r} route {route!r}: a pricing override "
                                        "has no min_prompt_tokens")
        tier_prices = {k: v for k, v in tier.items() if k != "min_prompt_tokens"}
        price_records += prices(tier_prices, source=ENDPOINTS, model=model, route=route,
                                threshold=threshold)
    by_component = {p.component: p.price for p in price_records if p.context_threshold == 0}
    free = by_component.get("input") == 0 and by_component.get("output") == 0
    parameters = endpoint.get("supported_parameters")
    parameters = [str(p) for p in parameters] if isinstance(parameters, list) else None
    quantization = endpoint.get("quantization")
    offer = {
        "kind": "offer", "source": ENDPOINTS, "provider": "openrouter", "model": model,
        "route": route, "status": "available",
        "display_name": endpoint.get("provider_name") if isinstance(
            endpoint.get("provider_name"), str) else None,
        "context_length": _int_or_none(endpoint.get("context_length")),
        "max_output_tokens": _int_or_none(endpoint.get("max_completion_tokens")),
        "max_prompt_tokens": _int_or_none(endpoint.get("max_prompt_tokens")),
        "input_modalities": inputs, "output_modalities": outputs,
        "supported_parameters": parameters,
        "capabilities": capabilities(inputs, outputs, parameters, free),
        "quantization": quantization if isinstance(quantization, str) else None,
    }
    try:
        records: list[AnyRecord] = [validate_record(offer, ENDPOINTS), *price_records]
    except RecordError as error:
        raise ParseError(ENDPOINTS, f"model {model!r} route {route!r}: {error.reason}") from None
    return records + _measurements(model, route, endpoint)


def _measurements(model: str, route: str, endpoint: dict[str, Any]) -> list[AnyRecord]:
    readings: dict[str, Any] = {"endpoint_status": endpoint.get("status")}
    pricing = endpoint.get("pricing") or {}
    readings["pricing_discount"] = pricing.get("discount")
    for name, metric in UPTIME_FIELDS.items():
        readings[metric] = endpoint.get(name)
    for name, prefix in PERCENTILE_FIELDS.items():
        value = endpoint.get(name)
        if isinstance(value, dict):
            for percentile, reading in value.items():
                readings[f"{prefix}_{percentile}_30m"] = reading
        else:  # older captures: one number
            readings[f"{prefix}_30m"] = value
    records: list[AnyRecord] = []
    for metric, value in readings.items():
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            continue
        if not Decimal(value).is_finite():
            continue
        records.append(validate_record({
            "kind": "measurement", "source": ENDPOINTS, "provider": "openrouter",
            "model": model, "route": route, "metric": metric, "value": value}, ENDPOINTS))
    return records


def parse_providers(body: bytes, observed_at: datetime) -> list[AnyRecord]:
    """`GET /api/v1/providers`: the directory of upstream providers (no prices)."""
    payload = load_json(body, PROVIDERS)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list) or not data:
        raise ParseError(PROVIDERS, "expected an object with a non-empty `data` list")
    records: list[AnyRecord] = []
    for index, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("slug"), str):
            raise ParseError(PROVIDERS, f"data[{index}] has no slug")
        fields = {k: item.get(k) if isinstance(item.get(k), str) else None
                  for k in ("name", "headquarters", "status_page_url", "privacy_policy_url",
                            "terms_of_service_url")}
        centres = item.get("datacenters")
        try:
            records.append(validate_record({
                "kind": "provider", "source": PROVIDERS, "provider": "openrouter",
                "slug": item["slug"], **fields,
                "datacenters": [str(c) for c in centres] if isinstance(centres, list) else None,
            }, PROVIDERS))
        except RecordError as error:
            raise ParseError(PROVIDERS, f"provider {item['slug']!r}: {error.reason}") from None
    return records


def parse_key(body: bytes, observed_at: datetime) -> list[AnyRecord]:
    """`GET /api/v1/key` (older `/api/v1/auth/key`): this account's own limits.

    Usage counters are not limits and are not stored, nor is the key's label; the
    deprecated `rate_limit` object ("safe to ignore", say the docs) is skipped.
    """
    payload = load_json(body, KEY)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or "limit" not in data:
        raise ParseError(KEY, "expected an object with `data.limit`")
    records: list[dict[str, Any]] = []
    limit = data.get("limit")
    credit = {"scope": "api key", "metric": "credits", "condition": ""}
    if limit is None:
        records.append({**credit, "value": None, "enforced": False, "note": "no credit limit"})
    else:
        reset = data.get("limit_reset")
        records.append({**credit, "value": to_decimal(limit, KEY, "data.limit"),
                        "condition": f"resets {reset}" if isinstance(reset, str) else ""})
    daily = data.get("free_model_daily_requests")
    if isinstance(daily, dict) and daily.get("limit") is not None:
        records.append({"scope": ":free models", "metric": "requests_per_day",
                        "value": to_decimal(daily["limit"], KEY, "free_model_daily_requests"),
                        "condition": "this account"})
    return [validate_record({"kind": "rate_limit", "source": KEY, "provider": "openrouter",
                             **item}, KEY) for item in records]


def _allowed(settings: Settings) -> frozenset[str]:
    return frozenset(settings.openrouter.allowed_hosts)


def _api(settings: Settings, path: str) -> str:
    return settings.openrouter.api_base.rstrip("/") + path


def plan_models(settings: Settings, context: PlanContext) -> list[Request]:
    return [Request(MODELS, _api(settings, "/models"), _allowed(settings))]


def plan_endpoints(settings: Settings, context: PlanContext) -> list[Request]:
    """One request per catalogue model; `author/slug` (and `:free`) stay in the path."""
    return [Request(ENDPOINTS, _api(settings, f"/models/{quote(model, safe='/:~')}/endpoints"),
                    _allowed(settings)) for model in context.catalogue]


def plan_providers(settings: Settings, context: PlanContext) -> list[Request]:
    return [Request(PROVIDERS, _api(settings, "/providers"), _allowed(settings))]


def plan_key(settings: Settings, context: PlanContext) -> list[Request]:
    """The current `/key`, then the older `/auth/key`: whichever answers is the snapshot."""
    secret = context.secrets[KEY_ENV].get_secret_value()
    headers = {"Authorization": f"Bearer {secret}"}
    return [Request(KEY, _api(settings, path), _allowed(settings), headers=headers)
            for path in ("/key", "/auth/key")]


KEY_ENV = "OPENROUTER_API_KEY"

register(Parser(MODELS, parse_models, "OpenRouter model catalogue, GET /api/v1/models"))
register(Parser(ENDPOINTS, parse_endpoints,
                "OpenRouter per-model endpoints, GET /api/v1/models/{author}/{slug}/endpoints "
                "(one body per model)", per_body_scope=endpoints_model))
register(Parser(PROVIDERS, parse_providers, "OpenRouter provider directory, GET /api/v1/providers"))
register(Parser(KEY, parse_key, "OpenRouter account limits, GET /api/v1/key (needs a key)"))

register_source(Source(MODELS, "openrouter", "model catalogue", plan_models))
register_source(Source(ENDPOINTS, "openrouter", "per-model endpoints (one request per model)",
                       plan_endpoints, sweep=True, needs_catalogue=MODELS))
register_source(Source(PROVIDERS, "openrouter", "provider directory", plan_providers))
register_source(Source(KEY, "openrouter", "this account's limits", plan_key, secret_env=KEY_ENV))
