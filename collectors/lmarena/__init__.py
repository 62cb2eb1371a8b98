"""LMArena (Chatbot Arena): its overall text Elo history, a quality source (scores, no
prices), off by default: its public history stopped in 2025 (`[lmarena] enabled = true`,
or `pricewatch collect lmarena.elo`, collects it)."""

from pricewatch.collectors import lazy_package

# in run order; imported when SOURCES is first asked for (pricewatch.settings imports this
# package's settings.py: reading settings loads no parser)
SOURCE_MODULES = ("elo",)
__getattr__ = lazy_package(__name__, SOURCE_MODULES)
