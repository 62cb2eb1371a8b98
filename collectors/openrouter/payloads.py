"""The objects OpenRouter's API sends, as the parsers read them (collectors/payloads.py):
a catalogue model of `GET /models`, an endpoint of `GET /models/{id}/endpoints`, a provider
of `GET /providers`. A key declared `PassedOver` is read knowingly as no price or
availability fact; any key not declared here is recorded as unread with the run, so a new
field shows up in `status` and as an alert."""

from __future__ import annotations

from typing import Annotated, Any

from pricewatch.collectors.payloads import (
    NESTED,
    Count,
    List,
    Number,
    Object,
    PassedOver,
    Payload,
    Text,
    Texts,
)


class Architecture(Payload):
    """`architecture`: the modalities (the 2024 schema had only `modality`,
    "text+image->text")."""

    input_modalities: Texts = None
    output_modalities: Texts = None
    modality: Text = None
    tokenizer: PassedOver = None
    instruct_type: PassedOver = None


class TopProvider(Payload):
    context_length: Count = None
    max_completion_tokens: Count = None
    is_moderated: PassedOver = None


class Reasoning(Payload):
    """`reasoning`: the efforts are read; its defaults and switches are passed over."""

    supported_efforts: Texts = None
    mandatory: PassedOver = None
    default_enabled: PassedOver = None
    default_effort: PassedOver = None
    supports_max_tokens: PassedOver = None


class CatalogueModel(Payload):
    """One entry of `GET /models` `data[]` (its id checked by values.model_list)."""

    id: str
    name: Text = None
    context_length: Count = None
    architecture: Annotated[Architecture | None, NESTED] = None
    pricing: Object = None  # collectors/openrouter/pricing.py reads it key by key
    top_provider: Annotated[TopProvider | None, NESTED] = None
    supported_parameters: Texts = None
    expiration_date: Text = None
    alias_target: Any = None  # {"name": ..., "slug": ...}, or the slug itself
    reasoning: Annotated[Reasoning | None, NESTED] = None
    benchmarks: Any = None  # collectors/openrouter/benchmarks.py reads it
    # text, links and defaults that are no price or availability fact
    canonical_slug: PassedOver = None
    hugging_face_id: PassedOver = None
    created: PassedOver = None
    description: PassedOver = None
    per_request_limits: PassedOver = None
    default_parameters: PassedOver = None
    supported_voices: PassedOver = None
    knowledge_cutoff: PassedOver = None
    links: PassedOver = None


class Endpoint(Payload):
    """One entry of `data.endpoints[]`. Uptime, latency and throughput are volatile
    readings, kept as measurements (a time series), never as SCD2 values."""

    tag: Text = None
    provider_name: Text = None
    pricing: Object = None
    context_length: Count = None
    max_completion_tokens: Count = None
    max_prompt_tokens: Count = None
    supported_parameters: Texts = None
    quantization: Text = None
    status: Number = None
    uptime_last_5m: Number = None
    uptime_last_30m: Number = None
    uptime_last_1d: Number = None
    latency_last_30m: Any = None  # {p50: ..., p90: ...}, or (older) one number
    throughput_last_30m: Any = None
    # names and moderation flags
    name: PassedOver = None
    model_name: PassedOver = None
    model_id: PassedOver = None
    is_byok: PassedOver = None
    supports_implicit_caching: PassedOver = None
    supports_tool_choice: PassedOver = None
    supports_voice_cloning: PassedOver = None


class ModelEndpoints(Payload):
    """`data` of `GET /models/{id}/endpoints`: the model and its endpoints."""

    id: Text = None
    architecture: Annotated[Architecture | None, NESTED] = None
    endpoints: List = None


class Provider(Payload):
    """One entry of `GET /providers` `data[]` (who serves a route; no prices)."""

    slug: Text = None
    name: Text = None
    headquarters: Text = None
    status_page_url: Text = None
    privacy_policy_url: Text = None
    terms_of_service_url: Text = None
    datacenters: Texts = None


class FreeDaily(Payload):
    limit: Any = None  # requests per day on `:free` models


class Key(Payload):
    """`data` of `GET /key` (older `/auth/key`): this account's limits. Usage counters are
    not limits; the deprecated `rate_limit` object is "safe to ignore", say the docs."""

    limit: Any = None  # USD of credit, or null: no limit
    limit_reset: Text = None
    free_model_daily_requests: Annotated[FreeDaily | None, NESTED] = None
    label: PassedOver = None
    limit_remaining: PassedOver = None
    include_byok_in_limit: PassedOver = None
    usage: PassedOver = None
    usage_daily: PassedOver = None
    usage_weekly: PassedOver = None
    usage_monthly: PassedOver = None
    byok_usage: PassedOver = None
    byok_usage_daily: PassedOver = None
    byok_usage_weekly: PassedOver = None
    byok_usage_monthly: PassedOver = None
    is_free_tier: PassedOver = None
    is_provisioning_key: PassedOver = None
    rate_limit: PassedOver = None


class AnalysisIndexes(Payload):
    """`benchmarks.artificial_analysis`: Artificial Analysis' indexes."""

    intelligence_index: Any = None
    coding_index: Any = None
    agentic_index: Any = None


class ArenaRating(Payload):
    """One of `benchmarks.design_arena[]`: Design Arena's rating in one arena and category."""

    arena: Text = None
    category: Text = None
    elo: Any = None
    win_rate: Any = None
    rank: PassedOver = None  # a position, not a score


class Benchmarks(Payload):
    """A catalogue model's `benchmarks` (since 2026)."""

    artificial_analysis: Any = None  # an AnalysisIndexes object
    design_arena: Any = None  # a list of ArenaRating objects
