"""Imports every provider module so that their parsers and sources are registered."""

from collectors import base, openrouter  # noqa: F401
