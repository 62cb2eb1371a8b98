"""`openrouter.providers`: the directory of upstream providers, `GET /api/v1/providers` (who
serves a route, where they are, their status page; no prices)."""

from __future__ import annotations

from datetime import datetime

from pricewatch.collectors.base import ParseError, ParseOutput, PlanContext, Source, UnreadLog
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.openrouter.api import allowed, api_url
from pricewatch.collectors.openrouter.payloads import Provider
from pricewatch.collectors.openrouter.settings import OpenRouterSettings
from pricewatch.collectors.payloads import note_unread
from pricewatch.collectors.values import load_json
from pricewatch.records import AnyRecord, RecordError, validate_record

PROVIDERS = "openrouter.providers"


def parse_providers(body: bytes, observed_at: datetime,
                    options: OpenRouterSettings | None = None) -> ParseOutput:
    """`GET /api/v1/providers`: the directory of upstream providers (no prices); keys a
    `Provider` does not declare are returned as unread."""
    payload = load_json(body, PROVIDERS)
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list) or not data:
        raise ParseError(PROVIDERS, "expected an object with a non-empty `data` list")
    records: list[AnyRecord] = []
    unread = UnreadLog("data[].")
    for index, raw in enumerate(data):
        item = Provider.read(raw)
        if item is None or item.slug is None:
            raise ParseError(PROVIDERS, f"data[{index}] has no slug")
        note_unread(unread, item, item.slug)
        try:
            records.append(validate_record({
                "kind": "provider", "source": PROVIDERS, "provider": "openrouter",
                "slug": item.slug, "name": item.name, "headquarters": item.headquarters,
                "status_page_url": item.status_page_url,
                "privacy_policy_url": item.privacy_policy_url,
                "terms_of_service_url": item.terms_of_service_url,
                "datacenters": item.datacenters}, PROVIDERS))
        except RecordError as error:
            raise ParseError(PROVIDERS, f"provider {item.slug!r}: {error.reason}") from None
    return ParseOutput(records, [], None, unread.items())


def plan_providers(options: OpenRouterSettings, context: PlanContext) -> list[Request]:
    return [Request(PROVIDERS, api_url(options, "/providers"), allowed(options))]


SOURCE = Source(PROVIDERS, "openrouter", "provider directory, GET /api/v1/providers",
                parse_providers, plan_providers, schedule=24 * 3600)
