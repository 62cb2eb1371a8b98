"""`nscale.hf-router`: the public Hugging Face router's model list, `GET /v1/models`, with each
model's `providers`: the offers of the configured providers (default nscale), no token needed."""

from __future__ import annotations

from datetime import datetime

from pricewatch.collectors.base import ParseError, ParseOutput, PlanContext, Source, UnreadLog
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.nscale.offers import offer_and_prices
from pricewatch.collectors.nscale.payloads import RouterModel, RouterOffer
from pricewatch.collectors.nscale.settings import NscaleSettings
from pricewatch.collectors.payloads import note_unread
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
    unread = UnreadLog("data[].")
    read: set[tuple[str, str]] = set()
    left_out: list[str] = []
    for raw in model_list(body, HF_ROUTER, bad=left_out):
        entry = RouterModel.read(raw)
        if entry is None:
            left_out.append(f"model {raw['id']!r} is not an object")
            continue
        offers = entry.providers or []
        if not isinstance(offers, list):
            raise ParseError(HF_ROUTER, f"model {entry.id}: `providers` is not a list")
        note_unread(unread, entry, entry.id)
        for offer in filter(None, map(RouterOffer.read, offers)):
            if offer.provider in providers:
                records += _offer_records(entry, offer, unread, read, left_out)
    if not records and not left_out:
        raise ParseError(HF_ROUTER, f"no offers from {', '.join(sorted(providers))} in the list")
    return ParseOutput(records, *left_out_summary(HF_ROUTER, read, left_out), unread.items(),
                       len(left_out), frozenset(read) if left_out else None)


def _offer_records(entry: RouterModel, offer: RouterOffer, unread: UnreadLog,
                   read: set[tuple[str, str]], left_out: list[str]) -> list[AnyRecord]:
    """One configured provider's offer of `entry`, its prices and its measurements; an
    offer that cannot be read is named in `left_out`."""
    provider = offer.provider or ""
    note_unread(unread, offer, entry.id, "providers[].")
    capabilities = {name for flag, name in ((offer.supports_tools, "tools"),
                                            (offer.supports_structured_output,
                                             "structured_outputs"),
                                            (offer.is_free, "free")) if flag}
    status = HF_STATUS.get(offer.status, "unavailable") if offer.status is not None else None
    try:
        records = offer_and_prices(HF_ROUTER, provider, HF_ROUTE, entry, offer.pricing, {
            "context_length": offer.context_length, "capabilities": capabilities,
            "status": status}, unread, "providers[].")
    except (ParseError, RecordError) as error:
        left_out.append(left_out_message(entry.id, error))
        return []
    read.add((provider, entry.id))
    return records + [validate_record({
        "kind": "measurement", "source": HF_ROUTER, "provider": provider, "model": entry.id,
        "route": HF_ROUTE, "metric": metric, "value": value}, HF_ROUTER)
        for metric, value in (("first_token_latency_ms", offer.first_token_latency_ms),
                              ("throughput_tps", offer.throughput)) if value is not None]


def plan_hf_router(options: NscaleSettings, context: PlanContext) -> list[Request]:
    return [Request(HF_ROUTER, options.hf_router_url, frozenset(options.allowed_hosts))]


SOURCE = Source(HF_ROUTER, "nscale", "offers of nscale.hf_providers (default nscale) on the "
                "Hugging Face router, route huggingface", parse_hf_router, plan_hf_router,
                schedule=3600)
