"""`openrouter.models`: the catalogue, `GET /api/v1/models`: one default-route offer (route
`""`, OpenRouter's own price when it picks the endpoint) and its prices per model, and the
model's published benchmark scores (`benchmarks`, since 2026; collectors/openrouter/
benchmarks.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pricewatch.collectors.base import ParseError, ParseOutput, PlanContext, Source, UnreadLog
from pricewatch.collectors.fetch import Request
from pricewatch.collectors.openrouter.api import allowed, api_url
from pricewatch.collectors.openrouter.benchmarks import benchmark_scores
from pricewatch.collectors.openrouter.payloads import CatalogueModel
from pricewatch.collectors.openrouter.pricing import (
    BILLED_BY,
    REQUIRED,
    capabilities,
    is_free,
    iso_date,
    modalities,
    offer_prices,
)
from pricewatch.collectors.openrouter.settings import OpenRouterSettings
from pricewatch.collectors.payloads import note_unread
from pricewatch.collectors.values import left_out_message, left_out_summary, model_list
from pricewatch.records import AnyRecord, RecordError, validate_record

MODELS = "openrouter.models"


def parse_models(body: bytes, observed_at: datetime,
                 options: OpenRouterSettings | None = None) -> ParseOutput:
    """`GET /api/v1/models`: one default-route offer and its prices per model; what the
    body holds beyond the keys `CatalogueModel` declares is returned as unread."""
    records: list[AnyRecord] = []
    warnings: list[str] = []
    unread = UnreadLog("data[].")
    read: set[tuple[str, str]] = set()
    left_out: list[str] = []
    for item in model_list(body, MODELS, bad=left_out):
        entry = CatalogueModel.read(item)
        try:
            if entry is None:
                raise ParseError(MODELS, f"model {item['id']!r} is not an object")
            records.extend(_model_records(entry, warnings, unread))
        except (ParseError, RecordError) as error:
            left_out.append(left_out_message(item["id"], error))
            continue
        read.add(("openrouter", item["id"]))
    summary, _ = left_out_summary(MODELS, read, left_out)
    return ParseOutput(records, summary + warnings, None, unread.items(), len(left_out),
                       frozenset(read) if left_out else None)


def _model_records(item: CatalogueModel, warnings: list[str],
                   unread: UnreadLog) -> list[AnyRecord]:
    model, pricing = item.id, item.pricing
    if pricing is None:
        raise ParseError(MODELS, f"model {model!r} has no pricing object")
    for key in REQUIRED:  # a price that is not sent is not 0, and not a reason to close it
        if key not in pricing or pricing[key] is None:
            raise ParseError(MODELS, f"model {model!r} pricing.{key} is missing")
    note_unread(unread, item, model)
    price_records = offer_prices(pricing, source=MODELS, model=model, warnings=warnings,
                                 unread=unread)
    top = item.top_provider
    inputs, outputs = modalities(item.architecture, "input"), \
        modalities(item.architecture, "output")
    for modality in sorted(set(outputs or ()) - set(BILLED_BY)):
        unread.note(f"architecture.output_modalities={modality}", model)
    free = is_free(model, price_records, outputs)
    parameters = item.supported_parameters
    retiring_on = iso_date(item.expiration_date)
    offer = {
        "kind": "offer", "source": MODELS, "provider": "openrouter", "model": model,
        "route": "", "status": "retiring" if retiring_on else "available",
        "retiring_on": retiring_on, "display_name": item.name,
        "context_length": item.context_length or (top.context_length if top else None),
        "max_output_tokens": top.max_completion_tokens if top else None,
        "input_modalities": inputs, "output_modalities": outputs,
        "supported_parameters": parameters,
        "capabilities": capabilities(inputs, outputs, parameters, free),
        "alias_of": alias_of(item.alias_target),
        "reasoning_efforts": item.reasoning.supported_efforts if item.reasoning else None,
    }
    scores = benchmark_scores(MODELS, model, item.benchmarks, unread)
    try:
        return [validate_record(offer, MODELS), *price_records, *scores]
    except RecordError as error:
        raise ParseError(MODELS, f"model {model!r}: {error.reason}"
                         f"{' (' + error.field + ')' if error.field else ''}") from None


def alias_of(target: Any) -> str | None:
    """`alias_target: {"name": ..., "slug": "deepseek/deepseek-v4-pro-0813"}` -> the slug."""
    slug = target.get("slug") if isinstance(target, dict) else target
    return slug if isinstance(slug, str) and slug else None


def plan_models(options: OpenRouterSettings, context: PlanContext) -> list[Request]:
    """The whole catalogue: `?output_modalities=all` (the default) lists every modality."""
    query = f"?output_modalities={options.output_modalities}" if options.output_modalities \
        else ""
    return [Request(MODELS, api_url(options, "/models" + query), allowed(options))]


SOURCE = Source(MODELS, "openrouter", "model catalogue, GET /api/v1/models", parse_models,
                plan_models, schedule=3600)
