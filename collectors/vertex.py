"""Vertex AI's three sources: what one run of each fetches.

The parsers live in vertex_pricing, vertex_skus and vertex_quotas. The pricing page moved
in 2026 (to .../gemini-enterprise-agent-platform/generative-ai/pricing); the fetch layer
follows that redirect because both paths are on an allowed Google host.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pricewatch.collectors import vertex_pricing, vertex_quotas, vertex_skus
from pricewatch.collectors.base import PlanContext, Source, register_source
from pricewatch.collectors.fetch import Request
from pricewatch.settings import Settings

KEY_ENV = "GOOGLE_CLOUD_API_KEY"
PAGE_SIZE = 5000


def _allowed(settings: Settings) -> frozenset[str]:
    return frozenset(settings.vertex.allowed_hosts)


def plan_pricing(settings: Settings, context: PlanContext) -> list[Request]:
    urls = [settings.vertex.pricing_page_url, *settings.vertex.partner_page_urls]
    return [Request(vertex_pricing.PRICING, url, _allowed(settings)) for url in urls]


def plan_quotas(settings: Settings, context: PlanContext) -> list[Request]:
    return [Request(vertex_quotas.QUOTAS, url, _allowed(settings))
            for url in settings.vertex.quota_page_urls]


def plan_skus(settings: Settings, context: PlanContext) -> list[Request]:
    key = context.secrets[KEY_ENV].get_secret_value()
    url = _with_query(settings.vertex.skus_url, pageSize=str(PAGE_SIZE))
    # The key travels as a header: query parameters end up in logs and the archive.
    return [Request(vertex_skus.SKUS, url, _allowed(settings),
                    headers={"X-Goog-Api-Key": key})]


def next_sku_page(settings: Settings, request: Request, body: bytes) -> Request | None:
    token = vertex_skus.next_page(body)
    if token is None:
        return None
    return Request(request.source, _with_query(request.url, pageToken=token),
                   request.allowed_hosts, headers=request.headers)


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


register_source(Source(vertex_pricing.PRICING, "vertex",
                       "pricing page, and the partner pages that name free previews",
                       plan_pricing))
register_source(Source(vertex_skus.SKUS, "vertex",
                       "Cloud Billing Catalog SKUs (every page; needs an API key)", plan_skus,
                       secret_env=KEY_ENV, next_page=next_sku_page))
register_source(Source(vertex_quotas.QUOTAS, "vertex",
                       "quotas, Standard PayGo tiers, partner and open model quota pages",
                       plan_quotas))
