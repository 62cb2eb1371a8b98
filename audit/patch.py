"""`audit --emit-patch`: the entries an audit found wrong, stale or off by 1000x, and the
components the provider prices that an entry leaves out, corrected to the provider's own
price, written in the map's own format so a maintainer can review them and open a pull
request. Each corrected entry is the map's entry as it was, with the corrected fields and
the provider URL that proves them as `source`. The file loads back as a map of its format,
and audited again those components agree.

Not corrected (counted): a component the map prices and the provider does not (the
provider may simply not publish it), and a long-context price the entry's format has no
place for."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pricewatch.audit.maps import (
    GENAI_COMPONENTS,
    MODELS_DEV_COMPONENTS,
    litellm_field,
    litellm_field_name,
)

FIXES = ("wrong", "stale", "unit_error")


@dataclass
class Patch:
    """A patch's text, and what it corrected and left as it was."""

    text: str
    entries: int = 0
    fields: int = 0
    left: Counter[str] = field(default_factory=Counter)


def number_text(value: Decimal) -> str:
    """A decimal as a JSON number, exactly (no binary float on the way)."""
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".") or "0"


def to_json(value: Any, indent: int = 0) -> str:
    """JSON with Decimal numbers written from their digits."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(str(k))}: {to_json(v, indent + 2)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(f"{inner}{to_json(v, indent + 2)}" for v in value) + \
            f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def _fixable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows a patch corrects: a price the map gets wrong, and a price the provider has
    that the map leaves out."""
    return [row for row in rows if row["class"] in FIXES or (
        row["class"] == "missing_component" and row["map_price"] is None)]


def litellm_patch(document: dict[str, Any], rows: list[dict[str, Any]]) -> Patch:
    entries: dict[str, dict[str, Any]] = {}
    patch = Patch("")
    for row in _fixable(rows):
        name = row["field"] or litellm_field_name(row["component"], row["unit"],
                                                  row["context_threshold"],
                                                  row["service_tier"])
        meaning = litellm_field(name) if name else None
        if meaning is None:
            patch.left[f"{row['component']} over {row['context_threshold']} tokens"] += 1
            continue
        entry = entries.setdefault(row["key"], copy.deepcopy(document[row["key"]]))
        entry[name] = Decimal(row["provider_price"]) / meaning[2]
        entry["source"] = row["source_url"] or entry.get("source")
        patch.fields += 1
    patch.entries = len(entries)
    patch.text = to_json(dict(sorted(entries.items()))) + "\n"
    return patch


def models_dev_patch(document: dict[str, Any], rows: list[dict[str, Any]]) -> Patch:
    names = {component: name for name, component in MODELS_DEV_COMPONENTS.items()}
    providers: dict[str, dict[str, Any]] = {}
    patch = Patch("")
    for row in _fixable(rows):
        provider_id, model_id = row["key"].split("/", 1)
        threshold = row["context_threshold"]
        models = providers.setdefault(provider_id, {"models": {}})["models"]
        model = models.setdefault(model_id, copy.deepcopy(
            document[provider_id]["models"][model_id]))
        cost = model.setdefault("cost", {})
        name = names[row["component"]]
        price = Decimal(row["provider_price"])
        if threshold == 0:
            cost[name] = price
        else:  # a long-context price: in context_over_200k (if the entry has it) and tiers
            if threshold == 200_000 and isinstance(cost.get("context_over_200k"), dict):
                cost["context_over_200k"][name] = price
            tiers = cost.setdefault("tiers", [])
            tier = next((t for t in tiers if isinstance(t, dict) and (t.get("tier") or {})
                         .get("size") == threshold), None)
            if tier is None:
                tier = {"tier": {"type": "context", "size": threshold}}
                tiers.append(tier)
            tier[name] = price
        model["source"] = row["source_url"]
        patch.fields += 1
    patch.entries = sum(len(p["models"]) for p in providers.values())
    patch.text = to_json(providers) + "\n"
    return patch


_SET = re.compile(r"^prices(?:\[(\d+)\])?\.(\w+)$")


def genai_patch(document: list[dict[str, Any]], rows: list[dict[str, Any]]) -> Patch:
    """A genai-prices data file of the corrected models (the list of providers, each with
    only its corrected models, as they were, with the corrected price sets). `rows` are all
    the audit's rows of the map (agreements too: they say which price set was read)."""
    originals = {(p["id"], m["id"]): m for p in document for m in p.get("models") or []}
    # the price set each comparison read (a row with a field names it): where a component
    # the set leaves out is added
    compared = {(row["key"], row["audited_at"]): row["field"] for row in rows if row["field"]}
    models: dict[tuple[str, str], dict[str, Any]] = {}
    patch = Patch("")
    # a rule that prices several models at different prices cannot be right for all: the
    # model whose id is the entry's wins (its rows last), and the others are counted
    fixable = sorted(_fixable(rows), key=lambda r: r["model"].lower() == r["key"].split(
        "/", 1)[1].lower())
    prices_of: dict[tuple, set[str]] = {}
    for row in rows:
        if row["provider_price"] is not None:
            prices_of.setdefault((row["key"], row["component"], row["context_threshold"],
                                  row["audited_at"]), set()).add(row["provider_price"])
    for row in fixable:
        provider_id, model_id = row["key"].split("/", 1)
        ident = (provider_id, model_id)
        model = models.setdefault(ident, copy.deepcopy(originals[ident]))
        threshold, price = row["context_threshold"], Decimal(row["provider_price"])
        if len(prices_of[(row["key"], row["component"], threshold, row["audited_at"])]) > 1:
            patch.left["a rule that prices models of different prices"] += 1
        field_path = row["field"] or compared.get((row["key"], row["audited_at"]))
        if field_path is None and isinstance(model.get("prices"), dict):
            field_path = "prices.input_mtok"  # one undated set, with no price yet
        match = _SET.match(field_path or "")
        if match is None:
            patch.left["a component of a model without prices"] += 1
            continue
        index, name = match.groups()
        if row["field"] is None:  # a component the set leaves out: named by its component
            name = next(n for n, (c, u, _) in GENAI_COMPONENTS.items()
                        if c == row["component"] and u == row["unit"])
        prices = model["prices"] if index is None else model["prices"][int(index)]["prices"]
        value = price / GENAI_COMPONENTS[name][2]
        if not _set_genai(prices, name, threshold, value):
            patch.left[f"{row['component']} over {threshold} tokens without a base price"] += 1
            continue
        patch.fields += 1
    providers: dict[str, list[dict[str, Any]]] = {}
    for (provider_id, _), model in sorted(models.items()):
        providers.setdefault(provider_id, []).append(model)
    urls = {row["key"].split("/", 1)[0]: row["source_url"] for row in rows if row["source_url"]}
    patch.entries = len(models)
    patch.text = to_json([{"id": provider_id, "pricing_urls": [urls[provider_id]]
                           if provider_id in urls else [], "models": listed}
                          for provider_id, listed in providers.items()]) + "\n"
    return patch


PATCHERS = {"litellm": litellm_patch, "models-dev": models_dev_patch,
            "genai-prices": genai_patch}


def _set_genai(prices: dict[str, Any], name: str, threshold: int, value: Decimal) -> bool:
    """Set a genai-prices price (a tier from `threshold` tokens, or the base); a tier needs
    a base price to hang from (False without one)."""
    current = prices.get(name)
    if threshold == 0:
        if isinstance(current, dict):
            current["base"] = value
        else:
            prices[name] = value
        return True
    if current is None:
        return False
    if not isinstance(current, dict):
        current = prices[name] = {"base": current, "tiers": []}
    tiers = current.setdefault("tiers", [])
    tier = next((t for t in tiers if t.get("start") == threshold), None)
    if tier is None:
        tiers.append({"start": threshold, "price": value})
        tiers.sort(key=lambda t: t["start"])
    else:
        tier["price"] = value
    return True
