"""`nscale.models`: nscale's own API, `GET /v1/models` with a Bearer service token: ids are
Hugging Face repo ids kept as given, prices in USD per 1M tokens."""

from __future__ import annotations

from datetime import datetime

from pricewatch.collectors.base import ParseError, ParseOutput, PlanContext, Source, UnreadLog
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.nscale.offers import offer_and_prices
from pricewatch.collectors.nscale.payloads import Model
from pricewatch.collectors.nscale.settings import NscaleSettings
from pricewatch.collectors.payloads import note_unread
from pricewatch.collectors.values import left_out_message, left_out_summary, model_list
from pricewatch.records import AnyRecord, RecordError

MODELS = "nscale.models"
TOKEN_ENV = "NSCALE_SERVICE_TOKEN"


def parse_models(body: bytes, observed_at: datetime,
                 options: NscaleSettings | None = None) -> ParseOutput:
    """`GET /v1/models` of nscale's own API: ids are Hugging Face repo ids, kept as given.
    Keys a `Model` (or its `Pricing`) does not declare are returned as unread."""
    records: list[AnyRecord] = []
    unread = UnreadLog("data[].")
    read: set[tuple[str, str]] = set()
    left_out: list[str] = []
    for raw in model_list(body, MODELS, bad=left_out):
        entry = Model.read(raw)
        try:
            if entry is None:
                raise ParseError(MODELS, f"model {raw['id']!r} is not an object")
            note_unread(unread, entry, entry.id)
            records += offer_and_prices(MODELS, "nscale", "", entry, entry.pricing,
                                        {"context_length": entry.context_length}, unread)
        except (ParseError, RecordError) as error:
            left_out.append(left_out_message(raw["id"], error))
            continue
        read.add(("nscale", entry.id))
    return ParseOutput(records, *left_out_summary(MODELS, read, left_out),
                       unread.items(), len(left_out), frozenset(read) if left_out else None)


def plan_models(options: NscaleSettings, context: PlanContext) -> list[Request]:
    token = context.secrets[TOKEN_ENV].get_secret_value()
    # A 429 from the inference API means "insufficient credit": not retried.
    return [Request(MODELS, options.api_base.rstrip("/") + "/models",
                    frozenset(options.allowed_hosts),
                    headers={"Authorization": f"Bearer {token}"}, retry_429=False)]


SOURCE = Source(MODELS, "nscale", "models and prices from nscale's API, GET /v1/models "
                "(needs a service token)", parse_models, plan_models, schedule=3600,
                secret_env=TOKEN_ENV)
