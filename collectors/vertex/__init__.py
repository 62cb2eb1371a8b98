"""Google Vertex AI: the pricing page (with the partner pages that name free previews), the
Cloud Billing Catalog SKUs, and the quota pages, one module per source; `names` holds how
Google writes model names and dates, which all three share."""

from pricewatch.collectors.vertex import pricing, quotas, skus

SOURCES = (pricing.SOURCE, skus.SOURCE, quotas.SOURCE)
