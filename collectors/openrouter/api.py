"""Where OpenRouter's requests go: every URL derives from `openrouter.api_base`, and no request
or redirect leaves `openrouter.allowed_hosts`."""

from __future__ import annotations

from pricewatch.collectors.openrouter.settings import OpenRouterSettings


def api_url(options: OpenRouterSettings, path: str) -> str:
    return options.api_base.rstrip("/") + path


def allowed(options: OpenRouterSettings) -> frozenset[str]:
    return frozenset(options.allowed_hosts)
