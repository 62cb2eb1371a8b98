"""Imports every provider module so that their parsers and sources are registered."""

from pricewatch.collectors import base, nscale, openrouter, openrouter_limits, vertex  # noqa: F401
