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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pricewatch.errors import InputError
from pricewatch.money import ONE_MILLION

QUANTUM = Decimal(1).scaleb(-18)  # the warehouse's DECIMAL(38, 18)
FORMATS = ("litellm", "models-dev", "genai-prices")


@dataclass(frozen=True)
class MapPrice:
    """One component of one map entry, converted to pricewatch's unit (per 1M tokens for
    token components; the component's own unit otherwise). `field` is the map's own name
    for it (a patch writes that field back); `since` the day a dated price starts (a
    genai-prices start_date: compared at that day), None for an undated price."""

    key: str
    component: str
    service_tier: str
    context_threshold: int
    unit: str
    price: Decimal
    field: str
    since: date | None = None
    price_set: int = 0  # genai-prices: the index of its set in the model's `prices` list


@dataclass(frozen=True)
class MapEntry:
    """One model key of a map, and the pricewatch offer it names (provider None: a
    provider pricewatch does not track). An entry that names its models by a rule
    (genai-prices' `match`) has `matches` instead of one model, and `order`: of a
    provider's entries, the first whose rule matches a model id (lower case) prices it."""

    key: str
    provider: str | None
    model: str
    matches: Callable[[str], bool] | None = None
    order: int = 0


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
    document: Any = None  # the map as read (Decimal numbers): a patch is made from it

    def add_price(self, price: MapPrice) -> None:
        """A price, compared exactly as DECIMAL(38, 18): one that needs more places is
        counted as not read (that price, not the map, is left out)."""
        if price.price != price.price.quantize(QUANTUM):
            self.unread[f"{price.field} (more than 18 decimal places)"] += 1
        else:
            self.prices.append(price)


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
    if isinstance(document, list) and document and all(
            isinstance(p, dict) and isinstance(p.get("models"), list) for p in document):
        return "genai-prices"
    raise InputError(f"map {name}: neither a LiteLLM/tokencost map (an object of model keys "
                     "with `litellm_provider`), a models.dev api.json (an object of providers "
                     "with `models`) nor a genai-prices data file (a list of providers with "
                     "`models`); give --format")


def read_map(body: bytes, name: str, fmt: str = "auto") -> ReadMap:
    """A map's bytes read by its format (`auto`: detected from its shape)."""
    document = load(body, name)
    if fmt == "auto":
        fmt = detect(document, name)
    readers = {"litellm": read_litellm, "models-dev": read_models_dev,
               "genai-prices": read_genai_prices}
    if fmt not in readers:
        raise InputError(f"map format {fmt!r}: use auto, {', '.join(FORMATS)}")
    read = readers[fmt](document, name)
    read.document = document
    return read


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
    ("input", "token"): ("input", "per_1m_tokens", ONE_MILLION),
    ("output", "token"): ("output", "per_1m_tokens", ONE_MILLION),
    ("input", "audio_token"): ("audio_input", "per_1m_tokens", ONE_MILLION),
    ("output", "audio_token"): ("audio_output", "per_1m_tokens", ONE_MILLION),
    ("output", "reasoning_token"): ("reasoning", "per_1m_tokens", ONE_MILLION),
    ("input", "image_token"): ("image_input", "per_1m_tokens", ONE_MILLION),
    ("output", "image_token"): ("image_output", "per_1m_tokens", ONE_MILLION),
    ("input", "image"): ("image_input", "per_image", Decimal(1)),
    ("output", "image"): ("image_output", "per_image", Decimal(1)),
    ("cache_read", "token"): ("cache_read", "per_1m_tokens", ONE_MILLION),
    ("cache_read", "audio_token"): ("audio_cache_read", "per_1m_tokens", ONE_MILLION),
    ("cache_write", "token"): ("cache_write", "per_1m_tokens", ONE_MILLION),
    ("cache_write_1h", "token"): ("cache_write_1h", "per_1m_tokens", ONE_MILLION),
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


def litellm_field_name(component: str, unit: str, threshold: int, tier: str) -> str | None:
    """The LiteLLM field that holds a component (the inverse of litellm_field); None when
    the format cannot say it (a threshold that is no whole thousand, an unknown
    component)."""
    names = {(c, u): (kind, what) for (kind, what), (c, u, _) in _LITELLM_COMPONENTS.items()}
    if (component, unit) not in names or threshold % 1000:
        return None
    kind, what = names[(component, unit)]
    if kind in ("input", "output"):
        name = f"{kind}_cost_per_{what}"
    elif kind == "cache_read":
        name = f"cache_read_input_{what}_cost"
    else:
        name = "cache_creation_input_token_cost" + ("_above_1hr" if kind == "cache_write_1h"
                                                    else "")
    if threshold:
        name += f"_above_{threshold // 1000}k_tokens"
    suffix = {value: key for key, value in _TIERS.items()}[tier]
    return name + (f"_{suffix}" if suffix else "")


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
            read.add_price(MapPrice(key, component, tier, threshold, unit,
                                        price * factor, field_name))
    return read


# --- models.dev api.json: USD per 1M tokens, providers -> models -> cost ----------------

MODELS_DEV_COMPONENTS = {"input": "input", "output": "output", "cache_read": "cache_read",
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
        component = MODELS_DEV_COMPONENTS.get(name)
        price = _number(value)
        if component is None or price is None:
            read.unread[f"{where}{name}" if component is None else f"{where}{name} (no number)"
                        ] += 1
            continue
        read.add_price(MapPrice(key, component, "standard", threshold, "per_1m_tokens",
                                    price, f"{where}{name}"))


def read_models_dev(document: Any, name: str) -> ReadMap:
    if not isinstance(document, dict):
        raise InputError(f"map {name}: a models.dev api.json is one JSON object of providers")
    read = ReadMap("models-dev", expressible=frozenset(
        (component, "per_1m_tokens") for component in MODELS_DEV_COMPONENTS.values()))
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


# --- genai-prices data.json (v1 and v2): providers -> models with match rules -----------

# field -> (component, unit, factor to pricewatch's unit)
GENAI_COMPONENTS: dict[str, tuple[str, str, Decimal]] = {
    "input_mtok": ("input", "per_1m_tokens", Decimal(1)),
    "output_mtok": ("output", "per_1m_tokens", Decimal(1)),
    "cache_read_mtok": ("cache_read", "per_1m_tokens", Decimal(1)),
    "cache_write_mtok": ("cache_write", "per_1m_tokens", Decimal(1)),
    "cache_write_1h_mtok": ("cache_write_1h", "per_1m_tokens", Decimal(1)),
    "input_audio_mtok": ("audio_input", "per_1m_tokens", Decimal(1)),
    "output_audio_mtok": ("audio_output", "per_1m_tokens", Decimal(1)),
    "cache_audio_read_mtok": ("audio_cache_read", "per_1m_tokens", Decimal(1)),
    "output_reasoning_mtok": ("reasoning", "per_1m_tokens", Decimal(1)),
    "input_image_mtok": ("image_input", "per_1m_tokens", Decimal(1)),
    "output_image_mtok": ("image_output", "per_1m_tokens", Decimal(1)),
    "requests_kcount": ("request", "per_request", Decimal("0.001")),
    "web_searches_kcount": ("web_search", "per_1k_searches", Decimal(1)),
}


# what a genai-prices model says besides its prices; any other key is counted as not read
GENAI_MODEL_KEYS = frozenset({"id", "name", "description", "match", "context_window",
                              "price_comments", "deprecated", "prices"})


def genai_provider(provider_id: str) -> str | None:
    """genai-prices' provider id as a pricewatch provider: `openrouter`; `nscale` and
    `huggingface_nscale` (nscale on the Hugging Face router) as `nscale`; `google` (the
    Gemini API and Vertex AI, one price list) as `vertex`."""
    return {"openrouter": "openrouter", "nscale": "nscale", "huggingface_nscale": "nscale",
            "google": "vertex"}.get(provider_id)


def match_rule(clause: Any, where: str) -> Callable[[str], bool]:
    """A genai-prices match clause (`equals`, `starts_with`, `ends_with`, `contains`,
    `regex`, `or`, `and`) as a predicate on a lower-case model id, as genai-prices applies
    it."""
    if not isinstance(clause, dict) or len(clause) != 1:
        raise InputError(f"{where}: a match clause is an object of one key")
    (kind, value), = clause.items()
    if kind in ("or", "and") and isinstance(value, list):
        parts = [match_rule(part, where) for part in value]
        return (lambda text: any(p(text) for p in parts)) if kind == "or" else \
            (lambda text: all(p(text) for p in parts))
    if not isinstance(value, str):
        raise InputError(f"{where}: match clause {kind!r} needs a text")
    tests: dict[str, Callable[[str], bool]] = {
        "equals": lambda text: text == value,
        "starts_with": lambda text: text.startswith(value),
        "ends_with": lambda text: text.endswith(value),
        "contains": lambda text: value in text,
        "regex": lambda text: re.search(value, text) is not None}
    if kind not in tests:
        raise InputError(f"{where}: unknown match clause {kind!r}")
    if kind == "regex":
        try:
            re.compile(value)
        except re.error as error:
            raise InputError(f"{where}: match regex {value!r}: {error}") from None
    return tests[kind]


def _genai_prices(read: ReadMap, key: str, prices: dict[str, Any], since: date | None,
                  where: str, price_set: int = 0) -> None:
    for name, value in prices.items():
        meaning = GENAI_COMPONENTS.get(name)
        if meaning is None:
            read.unread[f"{where}{name}"] += 1
            continue
        component, unit, factor = meaning
        levels: list[tuple[int, Any]] = [(0, value)]
        if isinstance(value, dict):  # tiered: a base and prices from a number of tokens
            tiers = value.get("tiers") if isinstance(value.get("tiers"), list) else []
            levels = [(0, value.get("base"))] + [
                (tier.get("start"), tier.get("price")) for tier in tiers
                if isinstance(tier, dict)]
        for threshold, level in levels:
            price = _number(level)
            if price is None or not isinstance(threshold, int) or isinstance(threshold, bool):
                read.unread[f"{where}{name} (no number)"] += 1
                continue
            read.add_price(MapPrice(key, component, "standard", threshold, unit,
                                        price * factor, f"{where}{name}", since, price_set))


def _genai_dated(read: ReadMap, key: str, prices: Any) -> None:
    """A model's `prices`: one set, or a list of sets of which the last whose constraint
    holds applies (a start_date from which it holds; none: always). Each dated set is kept
    with its day (compared at that day); a time-of-day set is not read (counted)."""
    if isinstance(prices, dict):
        _genai_prices(read, key, prices, None, "prices.")
        return
    if not isinstance(prices, list):
        read.unread["prices (not an object or list)"] += 1
        return
    for index, conditional in enumerate(prices):
        constraint = conditional.get("constraint") if isinstance(conditional, dict) else None
        body = conditional.get("prices") if isinstance(conditional, dict) else None
        if not isinstance(body, dict):
            read.unread["prices[] (no prices object)"] += 1
            continue
        if constraint is None:
            _genai_prices(read, key, body, None, f"prices[{index}].", index)
        elif isinstance(constraint, dict) and set(constraint) == {"start_date"}:
            try:
                since = datetime.strptime(str(constraint["start_date"]), "%Y-%m-%d").date()
            except ValueError:
                read.unread["prices[] (start_date not a date)"] += 1
                continue
            _genai_prices(read, key, body, since, f"prices[{index}].", index)
        else:
            read.unread["prices[] (time-of-day constraint)"] += 1


def read_genai_prices(document: Any, name: str) -> ReadMap:
    if not isinstance(document, list):
        raise InputError(f"map {name}: a genai-prices data file is one JSON list of providers")
    read = ReadMap("genai-prices", expressible=frozenset(
        (component, unit) for component, unit, _ in GENAI_COMPONENTS.values()))
    for provider in document:
        if not isinstance(provider, dict) or not isinstance(provider.get("id"), str):
            read.bad.append(f"{str(provider)[:60]}: not a provider with an id")
            continue
        tracked = genai_provider(provider["id"])
        for order, model in enumerate(provider.get("models") or []):
            if not isinstance(model, dict) or not isinstance(model.get("id"), str):
                read.bad.append(f"{provider['id']}: a model without an id")
                continue
            key = f"{provider['id']}/{model['id']}"
            try:
                rule = match_rule(model.get("match"), f"map {name} {key}")
            except InputError as error:
                read.bad.append(str(error))
                continue
            read.entries.append(MapEntry(key, tracked, model["id"], rule, order))
            _genai_dated(read, key, model.get("prices"))
            for name in set(model) - GENAI_MODEL_KEYS:  # price_variants, ...: counted
                read.unread[f"models[].{name}"] += 1
    return read
