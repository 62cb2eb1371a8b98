"""nscale: its own model API (with a service token), its offers on the public Hugging Face
router, and its rate-limit policy page, one module per source; `offers` holds the entry ->
offer and prices logic the first two share."""

from pricewatch.collectors import lazy_package

# in run order, a source after the ones it `needs`; imported when SOURCES is first asked for
# (pricewatch.settings imports this package's settings.py: reading settings loads no parser)
SOURCE_MODULES = ("models", "hf_router", "limits")
__getattr__ = lazy_package(__name__, SOURCE_MODULES)
