"""Aider: its polyglot coding leaderboard, a quality source (scores, no prices): one record
per published run and metric, kept with its licence and attribution."""

from pricewatch.collectors import lazy_package

# in run order; imported when SOURCES is first asked for (pricewatch.settings imports this
# package's settings.py: reading settings loads no parser)
SOURCE_MODULES = ("polyglot",)
__getattr__ = lazy_package(__name__, SOURCE_MODULES)
