"""`openrouter.key`: this account's own limits, `GET /api/v1/key` (older `/api/v1/auth/key`);
needs OPENROUTER_API_KEY, sent only as a header."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pricewatch.collectors.base import ParseError, ParseOutput, PlanContext, Source, UnreadLog
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.openrouter.api import allowed, api_url
from pricewatch.collectors.openrouter.payloads import Key
from pricewatch.collectors.openrouter.settings import OpenRouterSettings
from pricewatch.collectors.payloads import note_unread
from pricewatch.collectors.values import load_json, to_decimal
from pricewatch.records import validate_record

KEY = "openrouter.key"
KEY_ENV = "OPENROUTER_API_KEY"


def parse_key(body: bytes, observed_at: datetime,
              options: OpenRouterSettings | None = None) -> ParseOutput:
    """`GET /api/v1/key` (older `/api/v1/auth/key`): this account's own limits; keys a
    `Key` does not declare are returned as unread."""
    payload = load_json(body, KEY)
    data = Key.read(payload.get("data") if isinstance(payload, dict) else None)
    if data is None or "limit" not in data.model_fields_set:
        raise ParseError(KEY, "expected an object with `data.limit`")
    records: list[dict[str, Any]] = []
    credit = {"scope": "api key", "metric": "credits", "condition": ""}
    if data.limit is None:
        records.append({**credit, "value": None, "enforced": False, "note": "no credit limit"})
    else:
        reset = data.limit_reset
        records.append({**credit, "value": to_decimal(data.limit, KEY, "data.limit"),
                        "condition": f"resets {reset}" if reset is not None else ""})
    daily = data.free_model_daily_requests
    if daily is not None and daily.limit is not None:
        records.append({"scope": ":free models", "metric": "requests_per_day",
                        "value": to_decimal(daily.limit, KEY, "free_model_daily_requests"),
                        "condition": "this account"})
    unread = UnreadLog("data.")
    note_unread(unread, data, "the key")
    return ParseOutput([validate_record({"kind": "rate_limit", "source": KEY,
                                         "provider": "openrouter", **item}, KEY)
                        for item in records], [], None, unread.items())


def plan_key(options: OpenRouterSettings, context: PlanContext) -> list[Request]:
    """The current `/key`, then the older `/auth/key`: whichever answers is the snapshot."""
    secret = context.secrets[KEY_ENV].get_secret_value()
    headers = {"Authorization": f"Bearer {secret}"}
    return [Request(KEY, api_url(options, path), allowed(options), headers=headers)
            for path in ("/key", "/auth/key")]


SOURCE = Source(KEY, "openrouter", "this account's limits, GET /api/v1/key (needs a key)",
                parse_key, plan_key, schedule=3600, secret_env=KEY_ENV)
