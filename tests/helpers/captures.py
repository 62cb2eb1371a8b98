"""Request paths and bodies more than one test module serves from the fake provider: the
OpenRouter paths and chosen catalogue models, the Hugging Face router's body with one nscale
price changed, and Billing Catalog SKU pages."""

from __future__ import annotations

import json

from . import fixture_path

API = "/api/v1"
LIMITS_PAGE = "/docs/api-reference/limits"
# Catalogue models whose endpoints the 2026-05-18 bundle holds (one with none).
CHOSEN = ["meta-llama/llama-3.3-70b-instruct", "deepseek/deepseek-chat-v3-0324",
          "qwen/qwen-2.5-72b-instruct", "openai/gpt-4o-mini", "google/gemini-2.5-flash",
          "anthropic/claude-sonnet-4", "mistralai/mistral-small-3.2-24b-instruct",
          "~anthropic/claude-sonnet-latest"]


HF = "hf-router-models-2026-06-19.json"
DROPPED = "Qwen/Qwen2.5-Coder-32B-Instruct"  # the model whose nscale input price hf_body sets


def hf_body(input_price: str | None = None) -> bytes:
    """The 2026-06-19 router capture, with DROPPED's nscale input price set if given."""
    data = json.loads(fixture_path("nscale", HF).read_text())
    if input_price:
        for model in data["data"]:
            for offer in model["providers"]:
                if model["id"] == DROPPED and offer["provider"] == "nscale":
                    offer["pricing"]["input"] = float(input_price)
    return json.dumps(data).encode()


def load(name: str) -> dict:
    return json.loads(fixture_path("openrouter", name).read_text())


def sku(description: str, *rates: tuple[int, str, int], regions: tuple[str, ...] = ("global",),
        unit: str = "count", effective: str = "2026-05-01T00:00:00Z") -> dict:
    """One SKU in the Cloud Billing Catalog API's shape (v1 services.skus.list)."""
    return {
        "name": f"services/C7E2-9256-1C43/skus/{abs(hash(description)) % 10**12:012d}",
        "description": description,
        "category": {"serviceDisplayName": "Vertex AI", "resourceFamily": "ApplicationServices",
                     "resourceGroup": "Gemini", "usageType": "OnDemand"},
        "serviceRegions": list(regions),
        "pricingInfo": [{"effectiveTime": effective, "pricingExpression": {
            "usageUnit": unit, "usageUnitDescription": unit, "baseUnit": unit,
            "baseUnitDescription": unit, "baseUnitConversionFactor": 1,
            "displayQuantity": 1000000,
            "tieredRates": [{"startUsageAmount": start,
                             "unitPrice": {"currencyCode": "USD", "units": units,
                                           "nanos": nanos}} for start, units, nanos in rates]},
            "currencyConversionRate": 1}],
        "serviceProviderName": "Google"}


# Built, not captured (no raw Catalog response for this service is public): descriptions as
# public code quotes them, prices as the catalog-derived fixture lists them (USD per token).
PAGE_1 = {"skus": [
    sku("Gemini 2.5 Pro Text Input - Predictions", (0, "0", 1250)),
    sku("Gemini 2.5 Pro Text Input Caching", (0, "0", 125)),
    sku("Gemini 2.5 Pro Text Input Caching (Long)", (0, "0", 250)),
    sku("Gemini 2.5 Flash Lite Text Input - Predictions", (0, "0", 100)),
    sku("Gemini 2.5 Flash GA Text Input - Predictions", (0, "0", 300)),
    sku("Vertex AI Online Prediction Caching Storage", (0, "0", 1000000), unit="h"),
], "nextPageToken": "page-2"}
PAGE_2 = {"skus": [
    sku("Gemini 3.5 Flash Regional Text Output - Predictions", (0, "0", 9900)),
    sku("Gemini 2.5 Pro Batch Text Output - Predictions", (0, "0", 5000)),
    sku("Cloud Vertex AI Model Garden Model as a Service Llama 3.1 405B Input Token",
        (0, "0", 0), (1000000, "0", 5000)),
    sku("Gemini 2.5 Pro Text Output - Predictions", (0, "0", 10000),
        effective="2027-01-01T00:00:00Z"),
    # Differs from the page's $10 by more than its rounding: must be reported.
    sku("Gemini 2.5 Pro Text Output - Predictions", (0, "0", 10500)),
]}
