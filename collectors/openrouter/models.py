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
from pricewatch.collectors.openrouter.pricing import (
    BILLED_BY,
    REQUIRED,
    capabilities,
    int_or_none,
    is_free,
    iso_date,
    modalities,
    offer_prices,
)
from pricewatch.collectors.openrouter.settings import OpenRouterSettings
from pricewatch.collectors.values import left_out_message, left_out_summary, model_list
from pricewatch.records import AnyRecord, RecordError, validate_record

MODELS = "openrouter.models"

# The keys of a catalogue model this parser reads, and those it passes over knowingly
# (text, links and defaults that are no price or availability fact). Any other key is
# recorded as unread with the run: a new field shows up in `status` and as an alert.
MODEL_KEYS = ("id", "name", "context_length", "architecture", "pricing", "top_provider",
              "supported_parameters", "expiration_date", "alias_target", "reasoning",
              "benchmarks")
PASSED_OVER = ("canonical_slug", "hugging_face_id", "created", "description",
               "per_request_limits", "default_parameters", "supported_voices",
               "knowledge_cutoff", "links")
TOP_PROVIDER_KEYS = ("context_length", "max_completion_tokens", "is_moderated")
ARCHITECTURE_KEYS = ("input_modalities", "output_modalities", "modality", "tokenizer",
                     "instruct_type")
# reasoning: the efforts are read; its defaults and switches are passed over
REASONING_KEYS = ("supported_efforts", "mandatory", "default_enabled", "default_effort",
                  "supports_max_tokens")


def parse_models(body: bytes, observed_at: datetime,
                 options: OpenRouterSettings | None = None) -> ParseOutput:
    """`GET /api/v1/models`: one default-route offer and its prices per model; what the
    body holds beyond the keys above is returned as unread."""
    records: list[AnyRecord] = []
    warnings: list[str] = []
    unread = UnreadLog("data[].")
    read: set[tuple[str, str]] = set()
    left_out: list[str] = []
    for item in model_list(body, MODELS, bad=left_out):
        try:
            records.extend(_model_records(item, warnings, unread))
        except (ParseError, RecordError) as error:
            left_out.append(left_out_message(item["id"], error))
            continue
        read.add(("openrouter", item["id"]))
    summary, _ = left_out_summary(MODELS, read, left_out)
    return ParseOutput(records, summary + warnings, None, unread.items(), len(left_out),
                       frozenset(read) if left_out else None)


def _model_records(item: dict[str, Any], warnings: list[str],
                   unread: UnreadLog) -> list[AnyRecord]:
    model = item["id"]
    pricing = item.get("pricing")
    if not isinstance(pricing, dict):
        raise ParseError(MODELS, f"model {model!r} has no pricing object")
    for key in REQUIRED:  # a price that is not sent is not 0, and not a reason to close it
        if key not in pricing or pricing[key] is None:
            raise ParseError(MODELS, f"model {model!r} pricing.{key} is missing")
    unread.keys(item, MODEL_KEYS + PASSED_OVER, model)
    for key, known in (("top_provider", TOP_PROVIDER_KEYS), ("architecture", ARCHITECTURE_KEYS),
                       ("reasoning", REASONING_KEYS)):
        if isinstance(item.get(key), dict):
            unread.keys(item[key], known, model, f"{key}.")
    price_records = offer_prices(pricing, source=MODELS, model=model, warnings=warnings,
                                 unread=unread)
    architecture = item.get("architecture") if isinstance(item.get("architecture"), dict) else {}
    top = item.get("top_provider") if isinstance(item.get("top_provider"), dict) else {}
    inputs, outputs = modalities(architecture, "input"), modalities(architecture, "output")
    for modality in sorted(set(outputs or ()) - set(BILLED_BY)):
        unread.note(f"architecture.output_modalities={modality}", model)
    free = is_free(model, price_records, outputs)
    parameters = item.get("supported_parameters")
    parameters = [str(p) for p in parameters] if isinstance(parameters, list) else None
    retiring_on = iso_date(item.get("expiration_date"))
    offer = {
        "kind": "offer", "source": MODELS, "provider": "openrouter", "model": model,
        "route": "", "status": "retiring" if retiring_on else "available",
        "retiring_on": retiring_on,
        "display_name": item.get("name") if isinstance(item.get("name"), str) else None,
        "context_length": int_or_none(item.get("context_length"))
        or int_or_none(top.get("context_length")),
        "max_output_tokens": int_or_none(top.get("max_completion_tokens")),
        "input_modalities": inputs, "output_modalities": outputs,
        "supported_parameters": parameters,
        "capabilities": capabilities(inputs, outputs, parameters, free),
        "alias_of": alias_of(item.get("alias_target")),
        "reasoning_efforts": reasoning_efforts(item.get("reasoning")),
    }
    scores = benchmark_scores(MODELS, model, item.get("benchmarks"), unread)
    try:
        return [validate_record(offer, MODELS), *price_records, *scores]
    except RecordError as error:
        raise ParseError(MODELS, f"model {model!r}: {error.reason}"
                         f"{' (' + error.field + ')' if error.field else ''}") from None


def alias_of(target: Any) -> str | None:
    """`alias_target: {"name": ..., "slug": "deepseek/deepseek-v4-pro-0813"}` -> the slug."""
    slug = target.get("slug") if isinstance(target, dict) else target
    return slug if isinstance(slug, str) and slug else None


def reasoning_efforts(reasoning: Any) -> list[str] | None:
    efforts = reasoning.get("supported_efforts") if isinstance(reasoning, dict) else None
    return [str(e) for e in efforts] if isinstance(efforts, list) else None


def plan_models(options: OpenRouterSettings, context: PlanContext) -> list[Request]:
    """The whole catalogue: `?output_modalities=all` (the default) lists every modality."""
    query = f"?output_modalities={options.output_modalities}" if options.output_modalities \
        else ""
    return [Request(MODELS, api_url(options, "/models" + query), allowed(options))]


SOURCE = Source(MODELS, "openrouter", "model catalogue, GET /api/v1/models", parse_models,
                plan_models, schedule=3600)
