"""`openrouter.endpoints`: `GET /api/v1/models/{author}/{slug}/endpoints` for every catalogue
model, one offer per serving endpoint (route = the endpoint's tag), long-context tiers as
prices with a threshold, and uptime, latency and throughput as measurements."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from pricewatch.collectors.base import (
    DirectoryOptions,
    ParseError,
    ParseOutput,
    PlanContext,
    Source,
    UnreadLog,
)
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.openrouter.api import allowed, api_url
from pricewatch.collectors.openrouter.models import MODELS
from pricewatch.collectors.openrouter.payloads import Endpoint, ModelEndpoints
from pricewatch.collectors.openrouter.pricing import (
    capabilities,
    component_name,
    modalities,
    offer_prices,
)
from pricewatch.collectors.openrouter.settings import OpenRouterSettings
from pricewatch.collectors.payloads import note_unread, number_or_none
from pricewatch.collectors.values import load_json
from pricewatch.records import AnyRecord, RecordError, validate_record

ENDPOINTS = "openrouter.endpoints"

# Volatile endpoint readings (fields of `Endpoint`), kept as measurements: a time series.
UPTIME_FIELDS = {"uptime_last_5m": "uptime_pct_5m", "uptime_last_30m": "uptime_pct_30m",
                 "uptime_last_1d": "uptime_pct_1d"}
PERCENTILE_FIELDS = {"latency_last_30m": "latency_ms", "throughput_last_30m": "throughput_tps"}


def _endpoints_payload(body: bytes) -> tuple[str, ModelEndpoints, list[Endpoint]]:
    """The model id, the `data` object and its endpoints, each a JSON object."""
    data = ModelEndpoints.read(_data(load_json(body, ENDPOINTS)))
    if data is None or not data.id:
        raise ParseError(ENDPOINTS, "expected an object with `data.id` and `data.endpoints`")
    if data.endpoints is None:
        raise ParseError(ENDPOINTS, f"model {data.id!r}: `data.endpoints` is not a list")
    endpoints = []
    for index, raw in enumerate(data.endpoints):
        endpoint = Endpoint.read(raw)
        if endpoint is None:
            raise ParseError(ENDPOINTS, f"model {data.id!r}: endpoints[{index}] is not an "
                                        "object")
        endpoints.append(endpoint)
    return data.id, data, endpoints


def _data(payload: Any) -> Any:
    return payload.get("data") if isinstance(payload, dict) else None


def endpoints_model(body: bytes, url: str) -> tuple[str, str]:
    """The model a sweep body speaks for: its offers outside this body are left alone."""
    return ("openrouter", _endpoints_payload(body)[0])


def parse_endpoints(body: bytes, observed_at: datetime,
                    options: DirectoryOptions | None = None) -> ParseOutput:
    """`GET /api/v1/models/{author}/{slug}/endpoints`: one offer per serving endpoint. The
    options' directory (OpenRouter's providers, name -> slug) keys endpoints without a tag."""
    slugs = options.slugs if options is not None else {}
    model, data, endpoints = _endpoints_payload(body)
    inputs, outputs = modalities(data.architecture, "input"), \
        modalities(data.architecture, "output")
    routes, warnings = _routes(model, endpoints, data.endpoints or [], slugs)
    records: list[AnyRecord] = []
    unread = UnreadLog("data.endpoints[].")
    for route, endpoint in zip(routes, endpoints, strict=True):
        note_unread(unread, endpoint, f"{model} {route}")
        records.extend(_endpoint_records(model, route, endpoint, inputs, outputs, warnings,
                                         unread))
    return ParseOutput(records, warnings, None, unread.items())


def _routes(model: str, endpoints: list[Endpoint], sent: list[Any],
            slugs: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Each endpoint's route. A tag that repeats within one model (seen in May 2026: two
    `google-vertex/us-south1` endpoints with different prices) becomes `tag#1`, `tag#2`,
    numbered by ascending input then output price, so each stays its own offer."""
    tags = [_route(endpoint, model, slugs) for endpoint in endpoints]
    warnings = []
    for tag in sorted({t for t in tags if tags.count(t) > 1}):
        twins = sorted((i for i, t in enumerate(tags) if t == tag),
                       key=lambda i: _sort_key(endpoints[i], sent[i]))
        for rank, index in enumerate(twins, start=1):
            tags[index] = f"{tag}#{rank}"
        warnings.append(f"{ENDPOINTS}: model {model!r} lists tag {tag!r} {len(twins)} times; "
                        f"stored as {tag}#1..#{len(twins)} by ascending price")
    return tags, warnings


def _sort_key(endpoint: Endpoint, sent: Any) -> tuple[Decimal, Decimal, str]:
    """Ascending input, then output price, then the endpoint as sent."""
    pricing = endpoint.pricing or {}

    def price(key: str) -> Decimal:
        try:
            return Decimal(str(pricing.get(key)))
        except InvalidOperation:
            return Decimal("Infinity")

    return price("prompt"), price("completion"), json.dumps(sent, sort_keys=True,
                                                            default=str)


def _route(endpoint: Endpoint, model: str, slugs: Mapping[str, str]) -> str:
    """Routes are keyed on the tag: provider names change over time, tags do not. Captures
    before tags existed (2025) name only the provider ("Google"); its directory slug is what
    the tag later says ("google-vertex"), so the endpoint keeps its history across the tag's
    arrival. A name the directory lacks falls back to the name as a slug."""
    if endpoint.tag:
        return endpoint.tag
    name = endpoint.provider_name
    if name and name.strip():
        return slugs.get(name.strip().lower()) or component_name(name).replace("_", "-")
    raise ParseError(ENDPOINTS, f"model {model!r}: an endpoint has neither tag nor provider_name")


def _endpoint_records(model: str, route: str, endpoint: Endpoint,
                      inputs: list[str] | None, outputs: list[str] | None,
                      warnings: list[str], unread: UnreadLog) -> list[AnyRecord]:
    pricing = endpoint.pricing
    if pricing is None:
        raise ParseError(ENDPOINTS, f"model {model!r} route {route!r}: no pricing object")
    price_records = offer_prices(pricing, source=ENDPOINTS, model=model, route=route,
                                 warnings=warnings, unread=unread)
    by_component = {p.component: p.price for p in price_records
                    if p.context_threshold == 0 and not p.windowed}
    free = by_component.get("input") == 0 and by_component.get("output") == 0
    parameters = endpoint.supported_parameters
    offer = {
        "kind": "offer", "source": ENDPOINTS, "provider": "openrouter", "model": model,
        "route": route, "status": "available", "display_name": endpoint.provider_name,
        "context_length": endpoint.context_length,
        "max_output_tokens": endpoint.max_completion_tokens,
        "max_prompt_tokens": endpoint.max_prompt_tokens,
        "input_modalities": inputs, "output_modalities": outputs,
        "supported_parameters": parameters,
        "capabilities": capabilities(inputs, outputs, parameters, free),
        "quantization": endpoint.quantization,
    }
    try:
        records: list[AnyRecord] = [validate_record(offer, ENDPOINTS), *price_records]
    except RecordError as error:
        raise ParseError(ENDPOINTS, f"model {model!r} route {route!r}: {error.reason}") from None
    return records + _measurements(model, route, endpoint)


def _measurements(model: str, route: str, endpoint: Endpoint) -> list[AnyRecord]:
    readings: dict[str, Any] = {"endpoint_status": endpoint.status,
                                "pricing_discount": (endpoint.pricing or {}).get("discount")}
    for name, metric in UPTIME_FIELDS.items():
        readings[metric] = getattr(endpoint, name)
    for name, prefix in PERCENTILE_FIELDS.items():
        value = getattr(endpoint, name)
        if isinstance(value, dict):
            for percentile, reading in value.items():
                readings[f"{prefix}_{percentile}_30m"] = reading
        else:  # older captures: one number
            readings[f"{prefix}_30m"] = value
    return [validate_record({
        "kind": "measurement", "source": ENDPOINTS, "provider": "openrouter", "model": model,
        "route": route, "metric": metric, "value": number}, ENDPOINTS)
        for metric, value in readings.items()
        if (number := number_or_none(value)) is not None]


def plan_endpoints(options: OpenRouterSettings, context: PlanContext) -> list[Request]:
    """One request per catalogue model; `author/slug` (and `:free`) stay in the path."""
    return [Request(ENDPOINTS, api_url(options, f"/models/{quote(model, safe='/:~')}/endpoints"),
                    allowed(options)) for model in context.catalogue]


SOURCE = Source(ENDPOINTS, "openrouter",
                "per-model endpoints, GET /api/v1/models/{author}/{slug}/endpoints "
                "(one request per catalogue model)", parse_endpoints, plan_endpoints,
                schedule=6 * 3600, needs=MODELS, scope=endpoints_model,
                directory="openrouter.providers")
