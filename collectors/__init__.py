"""Collectors: one package per provider (a module per source, each a pure parser and the
requests of one run, and one `SOURCES` list in the package's `__init__`), plus what they
share: the fetch layer (`fetch`), page text (`pages`), JSON values (`values`) and the `Source`
description with run assembly (`base`).

Adding a provider: a package here laid out like the others, one entry in PROVIDERS below,
and its settings class (a section of `pricewatch.settings.Settings` named like the provider).
"""

from __future__ import annotations

from collections.abc import Sequence

from pricewatch.collectors import nscale, openrouter, vertex
from pricewatch.collectors.base import RECORDS, ParseError, Source

PROVIDERS = (openrouter, vertex, nscale)

# Every collectable source, in provider order; and what `parse`, `ingest` and `reparse` read.
SOURCES: tuple[Source, ...] = tuple(source for p in PROVIDERS for source in p.SOURCES)
PARSERS: dict[str, Source] = {source.name: source for source in (*SOURCES, RECORDS)}


def get_source(name: str) -> Source:
    """A source (or the `records` format) by name; an unknown name lists the known ones."""
    try:
        return PARSERS[name]
    except KeyError:
        raise ParseError(name, f"unknown source; known sources: {', '.join(PARSERS)}") from None


def sources_for(selection: Sequence[str]) -> list[Source]:
    """Collectable sources by provider (`openrouter`) or by name (`openrouter.models`), in
    SOURCES order (each provider lists a source after the ones it `needs`)."""
    if not selection:
        return list(SOURCES)
    providers = {s.provider for s in SOURCES}
    unknown = [name for name in selection
               if name not in providers and name not in {s.name for s in SOURCES}]
    if unknown:
        known = sorted(providers | {s.name for s in SOURCES})
        raise ParseError(unknown[0], f"unknown provider or source; known: {', '.join(known)}")
    return [s for s in SOURCES if s.provider in selection or s.name in selection]
