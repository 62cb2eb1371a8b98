"""Google Vertex AI: the pricing page (with the partner pages that name free previews), the
Cloud Billing Catalog SKUs, and the quota pages, one module per source; `names` holds how
Google writes model names and dates, which all three share."""

from pricewatch.collectors import lazy_package

# in run order, a source after the ones it `needs`; imported when SOURCES is first asked for
# (pricewatch.settings imports this package's settings.py: reading settings loads no parser)
SOURCE_MODULES = ("pricing", "skus", "quotas")
__getattr__ = lazy_package(__name__, SOURCE_MODULES)
