"""`nscale.hf-router`: the public Hugging Face router's model list, `GET /v1/models`, with each
model's `providers`: the offers of the configured providers (default nscale), no token needed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pricewatch.collectors.base import ParseError, ParseOutput, PlanContext, Source, UnreadLog
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.nscale.offers import offer_and_prices
from pricewatch.collectors.nscale.settings import NscaleSettings
from pricewatch.collectors.values import left_out_message, left_out_summary, model_list
from pricewatch.records import AnyRecord, RecordError, validate_record

HF_ROUTER = "nscale.hf-router"
HF_ROUTE = "huggingface"
HF_STATUS = {"live": "available", "staging": "preview", "error": "unavailable"}
DEFAULTS = NscaleSettings()


def parse_hf_router(body: bytes, observed_at: datetime,
                    options: NscaleSettings | None = None) -> ParseOutput:
    """Hugging Face router `GET /v1/models`: the offers of the providers `options.hf_providers`
    names (default nscale), route `huggingface`. A missing price or context length is
    unknown, never zero."""
    providers = frozenset((options or DEFAULTS).hf_providers)
    records: list[AnyRecord] = []
    unread = UnreadLog("data[].providers[].")
    read: set[tuple[str, str]] = set()
    left_out: list[str] = []
    for entry in model_list(body, HF_ROUTER, bad=left_out):
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
            try:
                records += offer_and_prices(HF_ROUTER, offer["provider"], entry["id"],
                                             HF_ROUTE, entry, offer.get("pricing"), {
                    "context_length": context if isinstance(context, int) and context >= 0
                    else None,
                    "capabilities": capabilities,
                    "status": HF_STATUS.get(status, "unavailable") if isinstance(status, str)
                    else None}, unread)
            except (ParseError, RecordError) as error:
                left_out.append(left_out_message(entry["id"], error))
                continue
            read.add((offer["provider"], entry["id"]))
            for field, metric in (("first_token_latency_ms", "first_token_latency_ms"),
                                  ("throughput", "throughput_tps")):
                value = offer.get(field)
                if isinstance(value, int | Decimal) and not isinstance(value, bool):
                    records.append(validate_record({
                        "kind": "measurement", "source": HF_ROUTER,
                        "provider": offer["provider"],
                        "model": entry["id"], "route": HF_ROUTE, "metric": metric,
                        "value": value}, HF_ROUTER))
    if not records and not left_out:
        raise ParseError(HF_ROUTER, f"no offers from {', '.join(sorted(providers))} in the list")
    return ParseOutput(records, *left_out_summary(HF_ROUTER, read, left_out), unread.items(),
                       len(left_out), frozenset(read) if left_out else None)


def plan_hf_router(options: NscaleSettings, context: PlanContext) -> list[Request]:
    return [Request(HF_ROUTER, options.hf_router_url, frozenset(options.allowed_hosts))]


SOURCE = Source(HF_ROUTER, "nscale", "offers of nscale.hf_providers (default nscale) on the "
                "Hugging Face router, route huggingface", parse_hf_router, plan_hf_router,
                schedule=3600)
