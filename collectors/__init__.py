"""Collectors: one package per provider (a module per source, each a pure parser and the
requests of one run, and one `SOURCES` list in the package's `__init__`; its settings
section in the package's `settings.py`), plus what they share: the fetch layer (`fetch`),
page text (`pages`), JSON values (`values`), the `Source` description with run assembly
(`base`) and what every settings section has (`settings`).

Adding a provider: a package here laid out like the others, its name in
`PROVIDER_NAMES` below, and its settings class as a section of `pricewatch.settings.Settings`
named like it.

Nothing is imported until asked for: `pricewatch.settings` imports each provider's settings
module, which runs this file and the provider's `__init__`, and a command that only reads
the warehouse must not pay for the parsers (bs4, httpx).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pricewatch.collectors.base import Source

# The providers pricewatch collects, in run order: each is the package collectors/<name>/
# (a test checks the folders against it; records.PROVIDERS is this list). `aider` and
# `lmarena` publish scores (quality sources), no prices.
PROVIDER_NAMES = ("openrouter", "vertex", "nscale", "aider", "lmarena")


def lazy_package(package: str, source_modules: Sequence[str]) -> Callable[[str], Any]:
    """A provider package's module `__getattr__`: `SOURCES` (the `SOURCE` of each of
    `source_modules`, in that order) and its submodules, imported on first use."""

    @cache
    def attribute(name: str) -> Any:
        if name == "SOURCES":
            return tuple(importlib.import_module(f"{package}.{module}").SOURCE
                         for module in source_modules)
        if not name.startswith("_") and importlib.util.find_spec(f"{package}.{name}"):
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return attribute


@cache
def providers() -> tuple[ModuleType, ...]:
    """The provider packages, in the order of PROVIDER_NAMES."""
    return tuple(importlib.import_module(f"pricewatch.collectors.{name}")
                 for name in PROVIDER_NAMES)


@cache
def sources() -> tuple[Source, ...]:
    """Every collectable source, in provider order (each provider lists a source after the
    ones it `needs`)."""
    return tuple(source for p in providers() for source in p.SOURCES)


@cache
def parsers() -> dict[str, Source]:
    """What `parse`, `ingest` and `reparse` read: every source and the `records` format."""
    from pricewatch.collectors.base import RECORDS

    return {source.name: source for source in (*sources(), RECORDS)}


def __getattr__(name: str) -> Any:
    """`PROVIDERS`, `SOURCES` and `PARSERS`, built on first use."""
    built = {"PROVIDERS": providers, "SOURCES": sources, "PARSERS": parsers}.get(name)
    if built is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return built()


def get_source(name: str) -> Source:
    """A source (or the `records` format) by name; an unknown name lists the known ones."""
    from pricewatch.collectors.base import ParseError

    try:
        return parsers()[name]
    except KeyError:
        raise ParseError(name, f"unknown source; known sources: {', '.join(parsers())}"
                         ) from None


def sources_for(selection: Sequence[str], settings: Any = None) -> list[Source]:
    """Collectable sources by provider (`openrouter`) or by name (`openrouter.models`), in
    SOURCES order (each provider lists a source after the ones it `needs`). With no
    selection: every source whose provider section is `enabled` in `settings` (a provider
    that is off by default, like lmarena, runs only when named or enabled)."""
    from pricewatch.collectors.base import ParseError

    every = sources()
    if not selection:
        return [s for s in every if settings is None
                or getattr(s.section(settings), "enabled", True)]
    providers_ = {s.provider for s in every}
    unknown = [name for name in selection
               if name not in providers_ and name not in {s.name for s in every}]
    if unknown:
        known = sorted(providers_ | {s.name for s in every})
        raise ParseError(unknown[0], f"unknown provider or source; known: {', '.join(known)}")
    return [s for s in every if s.provider in selection or s.name in selection]
