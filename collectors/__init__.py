"""Collectors: one module per provider (sources and pure parsers) and the shared fetch layer."""
