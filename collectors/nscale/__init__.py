"""nscale: its own model API (with a service token), its offers on the public Hugging Face
router, and its rate-limit policy page, one module per source; `offers` holds the entry ->
offer and prices logic the first two share."""

from pricewatch.collectors.nscale import hf_router, limits, models

SOURCES = (models.SOURCE, hf_router.SOURCE, limits.SOURCE)
