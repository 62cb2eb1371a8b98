"""`openrouter.providers`: the directory of upstream providers, `GET /api/v1/providers` (who
serves a route, where they are, their status page; no prices)."""

from __future__ import annotations

from datetime import datetime

from pricewatch.collectors.base import ParseError, PlanContext, Source
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.openrouter.api import allowed, api_url
from pricewatch.collectors.openrouter.settings import OpenRouterSettings
from pricewatch.collectors.values import load_json
from pricewatch.records import AnyRecord, RecordError, validate_record

PROVIDERS = "openrouter.providers"


def parse_providers(body: bytes, observed_at: datetime,
                    options: OpenRouterSettings | None = None) -> list[AnyRecord]:
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


def plan_providers(options: OpenRouterSettings, context: PlanContext) -> list[Request]:
    return [Request(PROVIDERS, api_url(options, "/providers"), allowed(options))]


SOURCE = Source(PROVIDERS, "openrouter", "provider directory, GET /api/v1/providers",
                parse_providers, plan_providers, schedule=24 * 3600)
