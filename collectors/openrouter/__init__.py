"""OpenRouter: the catalogue, per-model endpoints, the provider directory, the `:free` limits
docs page and this account's key limits, one module per source."""

from pricewatch.collectors.openrouter import endpoints, key, limits, models, providers

SOURCES = (models.SOURCE, endpoints.SOURCE, providers.SOURCE, limits.SOURCE, key.SOURCE)
