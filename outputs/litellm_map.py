"""`pricewatch export --format litellm`: the warehouse's current prices as a LiteLLM price
map (its key scheme and field names, USD per token written from the decimal's digits), so
a LiteLLM or tokencost user can point their tool at pricewatch's figures.

Keys: `openrouter/<id>`, `nscale/<id>`, `vertex_ai/<id>` with `litellm_provider`
`openrouter`, `nscale`, `vertex_ai`; one route per offer (map_prices_as_of). A price with no
LiteLLM field (per request, per search, a time-of-day price, a threshold that is no whole
thousand) is not written, and counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pricewatch import queries
from pricewatch.audit.maps import litellm_field, litellm_field_name
from pricewatch.audit.patch import to_json
from pricewatch.settings import Settings

KEY_PREFIX = {"openrouter": "openrouter", "nscale": "nscale", "vertex": "vertex_ai"}


@dataclass
class Written:
    entries: int = 0
    prices: int = 0
    left: Counter[str] = field(default_factory=Counter)


def _mode(output_modalities: list[str] | None) -> str | None:
    outputs = set(output_modalities or [])
    if "text" in outputs:
        return "chat"
    if outputs == {"image"}:
        return "image_generation"
    return None


def build(rows: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], Written]:
    """The map from export_litellm's rows."""
    entries: dict[str, dict[str, Any]] = {}
    written = Written()
    for row in rows:
        name = litellm_field_name(row["component"], row["unit"], row["context_threshold"],
                                  row["service_tier"])
        windowed = (row["utc_days"], row["utc_start_minute"], row["utc_end_minute"]) != (
            "", 0, 1440)
        if name is None or windowed:
            written.left["a time-of-day price" if windowed else
                         f"{row['component']} ({row['unit']})"] += 1
            continue
        key = f"{KEY_PREFIX[row['provider']]}/{row['model']}"
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = {"litellm_provider": KEY_PREFIX[row["provider"]]}
            if (mode := _mode(row["output_modalities"])) is not None:
                entry["mode"] = mode
            if row["context_length"] is not None:
                entry["max_input_tokens"] = row["context_length"]
            if row["max_output_tokens"] is not None:
                entry["max_output_tokens"] = row["max_output_tokens"]
        entry[name] = Decimal(row["price"]) / litellm_field(name)[2]
        if row["source_url"]:
            entry["source"] = row["source_url"]
        written.prices += 1
    written.entries = len(entries)
    return entries, written


def export_litellm(settings: Settings) -> tuple[str, Written]:
    """The current prices as the text of one LiteLLM map file."""
    with queries.open_gold(settings) as con:
        _, rows = queries.named(con, "export_litellm")
    entries, written = build(rows)
    return to_json(entries) + "\n", written
