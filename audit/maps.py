"""Community price maps read into pricewatch's terms: pure functions of a map's bytes.

A map (LiteLLM's `model_prices_and_context_window.json` and its copy in tokencost, or
models.dev's `api.json`) is read into entries (one per model key) and prices (one per
component of an entry, in pricewatch's component, service tier, context threshold and unit,
exact: numbers are Decimal from their text, never binary floats). Each reader says which
pricewatch provider an entry is for (`openrouter`, `nscale`, `vertex`; None: a provider
pricewatch does not track) and which components its format can express at all, so the
comparison can tell "the map omits it" from "the map cannot say it". A price field a reader
does not understand is counted by name, never dropped silently.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pricewatch.errors import InputError

MILLION = Decimal(1_000_000)
FORMATS = ("litellm", "models-dev")


@dataclass(frozen=True)
class MapPrice:
    """One component of one map entry, converted to pricewatch's unit (per 1M tokens for
    token components; the component's own unit otherwise). `field` is the map's own name
    for it (a patch writes that field back)."""

    key: str
    component: str
    service_tier: str
    context_threshold: int
    unit: str
    price: Decimal
    field: str


@dataclass(frozen=True)
class MapEntry:
    """One model key of a map, and the pricewatch offer it names (provider None: a
    provider pricewatch does not track)."""

    key: str
    provider: str | None
    model: str


@dataclass
class ReadMap:
    """What a reader made of a map: entries, their prices, the components the format can
    express (component, unit), and price fields it did not read (name -> count)."""

    format: str
    entries: list[MapEntry] = field(default_factory=list)
    prices: list[MapPrice] = field(default_factory=list)
    expressible: frozenset[tuple[str, str]] = frozenset()
    unread: Counter[str] = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)


def _number(value: Any) -> Decimal | None:
    """A map's number: Decimal read from its text (json parse_float=Decimal), an int, or a
    numeric string; None for anything else (null, a list, a word)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() and number >= 0 else None


def load(body: bytes, name: str) -> Any:
    try:
        return json.loads(body, parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as error:
        raise InputError(f"map {name}: not JSON ({error})") from None


def detect(document: Any, name: str) -> str:
    """The map's format from its shape."""
    if isinstance(document, dict) and document:
        values = [v for v in document.values() if isinstance(v, dict)]
        if any("litellm_provider" in v or "input_cost_per_token" in v for v in values):
            return "litellm"
        if values and all(isinstance(v.get("models"), dict) for v in values):
            return "models-dev"
    if isinstance(document, list) and any(
            (isinstance(p, dict) and "model_match" in p) or (isinstance(p, dict) and
            "pricing_urls" in p) for p in document):
        raise InputError(f"map {name}: a genai-prices data file, which `audit` does not read "
                         "yet (use a LiteLLM, tokencost or models.dev map)")
    raise InputError(f"map {name}: neither a LiteLLM/tokencost map (an object of model keys "
                     "with `litellm_provider`) nor a models.dev api.json (an object of "
                     "providers with `models`); give --format")


def read_map(body: bytes, name: str, fmt: str = "auto") -> ReadMap:
    """A map's bytes read by its format (`auto`: detected from its shape)."""
    document = load(body, name)
    if fmt == "auto":
        fmt = detect(document, name)
    if fmt == "litellm":
        return read_litellm(document, name)
    if fmt == "models-dev":
        return read_models_dev(document, name)
    raise InputError(f"map format {fmt!r}: use auto, {', '.join(FORMATS)}")


# --- LiteLLM (and tokencost, its copy): USD per token, one object per model key ----------

# `<direction>_cost_per_<what>`, `cache_read_input_<what>_cost`,
# `cache_creation_input_token_cost[_above_1hr]`, each optionally `_above_<N>k_tokens` (a
# long-context price from N thousand tokens) and `_batches` / `_flex` / `_priority`.
_LITELLM_FIELD = re.compile(
    r"^(?:(?P<dir>input|output)_cost_per_(?P<what>token|audio_token|image_token|image|"
    r"reasoning_token)|cache_read_input_(?P<cached>token|audio_token)_cost|"
    r"cache_creation_input_token_cost(?P<hour>_above_1hr)?)"
    r"(?:_above_(?P<k>\d+)k_tokens)?(?:_(?P<tier>batches|flex|priority))?$")
# (direction or cache kind, what) -> (component, unit, per-unit factor to pricewatch's unit)
_LITELLM_COMPONENTS: dict[tuple[str, str], tuple[str, str, Decimal]] = {
    ("input", "token"): ("input", "per_1m_tokens", MILLION),
    ("output", "token"): ("output", "per_1m_tokens", MILLION),
    ("input", "audio_token"): ("audio_input", "per_1m_tokens", MILLION),
    ("output", "audio_token"): ("audio_output", "per_1m_tokens", MILLION),
    ("output", "reasoning_token"): ("reasoning", "per_1m_tokens", MILLION),
    ("input", "image_token"): ("image_input", "per_1m_tokens", MILLION),
    ("output", "image_token"): ("image_output", "per_1m_tokens", MILLION),
    ("input", "image"): ("image_input", "per_image", Decimal(1)),
    ("output", "image"): ("image_output", "per_image", Decimal(1)),
    ("cache_read", "token"): ("cache_read", "per_1m_tokens", MILLION),
    ("cache_read", "audio_token"): ("audio_cache_read", "per_1m_tokens", MILLION),
    ("cache_write", "token"): ("cache_write", "per_1m_tokens", MILLION),
    ("cache_write_1h", "token"): ("cache_write_1h", "per_1m_tokens", MILLION),
}
_TIERS = {None: "standard", "batches": "batch", "flex": "flex", "priority": "priority"}


def litellm_field(name: str) -> tuple[str, str, Decimal, int, str] | None:
    """A LiteLLM price field as (component, unit, factor, context threshold, service tier);
    None for a field this reader does not understand."""
    match = _LITELLM_FIELD.match(name)
    if match is None:
        return None
    if match["dir"]:
        kind, what = match["dir"], match["what"]
    elif match["cached"]:
        kind, what = "cache_read", match["cached"]
    else:
        kind, what = ("cache_write_1h" if match["hour"] else "cache_write"), "token"
    component, unit, factor = _LITELLM_COMPONENTS[(kind, what)]
    threshold = int(match["k"]) * 1000 if match["k"] else 0
    return component, unit, factor, threshold, _TIERS[match["tier"]]


def litellm_provider(key: str, entry: dict[str, Any]) -> tuple[str | None, str]:
    """The pricewatch provider and model id of a LiteLLM key: `openrouter/<id>` and
    `nscale/<id>` by their prefix (or `litellm_provider`), `vertex_ai*` providers with the
    key less a `vertex_ai/` prefix; any other provider is not tracked."""
    provider = entry.get("litellm_provider")
    provider = provider if isinstance(provider, str) else ""
    for tracked in ("openrouter", "nscale"):
        if provider == tracked or key.startswith(f"{tracked}/"):
            return tracked, key.removeprefix(f"{tracked}/")
    if provider.startswith("vertex_ai") or key.startswith("vertex_ai/"):
        return "vertex", key.removeprefix("vertex_ai/")
    return None, key


def read_litellm(document: Any, name: str) -> ReadMap:
    if not isinstance(document, dict):
        raise InputError(f"map {name}: a LiteLLM map is one JSON object of model keys")
    read = ReadMap("litellm", expressible=frozenset(
        (component, unit) for component, unit, _ in _LITELLM_COMPONENTS.values()))
    for key, entry in document.items():
        if key == "sample_spec":  # the format's own documentation, not a model
            continue
        if not isinstance(entry, dict):
            read.bad.append(f"{key}: not an object")
            continue
        provider, model = litellm_provider(key, entry)
        read.entries.append(MapEntry(key, provider, model))
        for field_name, value in entry.items():
            if "cost" not in field_name:
                continue  # limits, modes and flags: no price
            meaning = litellm_field(field_name)
            price = _number(value)
            if meaning is None or price is None:
                read.unread[field_name if meaning is None else f"{field_name} (no number)"] += 1
                continue
            component, unit, factor, threshold, tier = meaning
            read.prices.append(MapPrice(key, component, tier, threshold, unit,
                                        price * factor, field_name))
    return read


# --- models.dev api.json: USD per 1M tokens, providers -> models -> cost ----------------

_MODELS_DEV_COMPONENTS = {"input": "input", "output": "output", "cache_read": "cache_read",
                          "cache_write": "cache_write", "reasoning": "reasoning",
                          "input_audio": "audio_input", "output_audio": "audio_output"}


def models_dev_provider(provider_id: str) -> str | None:
    """models.dev's provider id as a pricewatch provider: `openrouter`, `nscale`, and the
    `google-vertex` family (Vertex AI and its partner models) as `vertex`."""
    if provider_id in ("openrouter", "nscale"):
        return provider_id
    if provider_id == "google-vertex" or provider_id.startswith("google-vertex-"):
        return "vertex"
    return None


def _models_dev_costs(read: ReadMap, key: str, cost: dict[str, Any], threshold: int,
                      where: str) -> None:
    for name, value in cost.items():
        if name in ("context_over_200k", "tiers"):
            continue  # read by the caller
        component = _MODELS_DEV_COMPONENTS.get(name)
        price = _number(value)
        if component is None or price is None:
            read.unread[f"{where}{name}" if component is None else f"{where}{name} (no number)"
                        ] += 1
            continue
        read.prices.append(MapPrice(key, component, "standard", threshold, "per_1m_tokens",
                                    price, f"{where}{name}"))


def read_models_dev(document: Any, name: str) -> ReadMap:
    if not isinstance(document, dict):
        raise InputError(f"map {name}: a models.dev api.json is one JSON object of providers")
    read = ReadMap("models-dev", expressible=frozenset(
        (component, "per_1m_tokens") for component in _MODELS_DEV_COMPONENTS.values()))
    for provider_id, provider in document.items():
        models = provider.get("models") if isinstance(provider, dict) else None
        if not isinstance(models, dict):
            read.bad.append(f"{provider_id}: no `models` object")
            continue
        for model_id, model in models.items():
            key = f"{provider_id}/{model_id}"
            read.entries.append(MapEntry(key, models_dev_provider(provider_id), model_id))
            cost = model.get("cost") if isinstance(model, dict) else None
            if not isinstance(cost, dict):
                continue  # no price published: nothing to compare
            _models_dev_costs(read, key, cost, 0, "cost.")
            tiers: dict[int, dict[str, Any]] = {}
            over = cost.get("context_over_200k")
            if isinstance(over, dict):
                tiers[200_000] = over
            for tier in cost.get("tiers") or []:
                size = (tier.get("tier") or {}) if isinstance(tier, dict) else {}
                if size.get("type") == "context" and isinstance(size.get("size"), int):
                    tiers[size["size"]] = {k: v for k, v in tier.items() if k != "tier"}
                else:
                    read.unread["cost.tiers[] (not a context tier)"] += 1
            for threshold, tier_cost in sorted(tiers.items()):
                _models_dev_costs(read, key, tier_cost, threshold, f"cost.tiers[{threshold}].")
    return read
