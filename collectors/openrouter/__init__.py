"""OpenRouter: the catalogue, per-model endpoints, the provider directory, the `:free` limits
docs page and this account's key limits, one module per source."""

from pricewatch.collectors import lazy_package

# in run order, a source after the ones it `needs`; imported when SOURCES is first asked for
# (pricewatch.settings imports this package's settings.py: reading settings loads no parser)
SOURCE_MODULES = ("models", "endpoints", "providers", "limits", "key")
__getattr__ = lazy_package(__name__, SOURCE_MODULES)
