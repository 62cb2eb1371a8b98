"""The audit itself: read maps (maps.py), hand them to the warehouse as Arrow tables, run
queries/commands/audit.sql against the prices in force at a time, and count the result per
map. Reads only: an audit writes nothing to the warehouse."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.resources
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pricewatch import queries
from pricewatch.audit.maps import MapEntry, MapPrice, ReadMap, read_map
from pricewatch.errors import InputError
from pricewatch.settings import Settings

CLASSES = ("agree", "wrong", "stale", "unit_error", "missing_component")
ERRORS = ("wrong", "stale", "unit_error")  # a price the map has, and gets wrong
# `package:NAME`: the map file inside an installed package (what an offline user has)
PACKAGE_MAPS = {"litellm": ("litellm", "model_prices_and_context_window_backup.json"),
                "tokencost": ("tokencost", "model_prices.json")}
PRICE = pa.decimal128(38, 18)


@dataclass(frozen=True)
class AuditedMap:
    name: str
    read: ReadMap


def fetch_map(url: str, settings: Settings) -> bytes:
    """A map fetched through the fetch layer: the `audit.allowed_hosts` allow-list (for
    every redirect too), the size cap, retries and the User-Agent of every source."""
    from pricewatch.collectors.fetch import Fetcher, FetchError, Request

    async def get() -> bytes | None:
        async with Fetcher(settings.fetch) as fetcher:
            body = await fetcher.get(Request("audit", url,
                                             frozenset(settings.audit.allowed_hosts)))
            return body.content

    try:
        content = asyncio.run(get())
    except FetchError as error:
        raise InputError(f"map {url}: {error}") from None
    if not content:
        raise InputError(f"map {url}: the response has no body")
    return content


def _as_data(value: Any) -> Any:
    """genai-prices' Python objects as its data file's JSON values: fields that are None
    left out, `or_`/`and_` as `or`/`and`, dates as text, Decimals kept exact."""
    if isinstance(value, Decimal | str | int | float | bool):
        return value
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_as_data(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif isinstance(value, dict):
        fields = value
    elif hasattr(value, "__dict__"):
        fields = vars(value)
    else:
        return str(value)
    return {key.removesuffix("_") if key in ("or_", "and_") else key: _as_data(item)
            for key, item in fields.items() if item is not None and not key.startswith("_")}


def genai_prices_package() -> bytes:
    """The providers genai-prices ships inside its package (generated Python, not a data
    file) as its data file's JSON: what an offline genai-prices user prices with."""
    from pricewatch.audit.patch import to_json

    try:
        from genai_prices.data import providers  # type: ignore[import-not-found]
    except ImportError as error:
        raise InputError(f"map package:genai-prices: genai-prices is not installed here "
                         f"({error})") from None
    return to_json(_as_data(list(providers))).encode()


def map_bytes(spec: str, settings: Settings | None = None) -> tuple[bytes, str]:
    """A map's bytes and its name: a file, `package:NAME` (the data file inside an
    installed package, read with importlib.resources) or a URL (fetched, allow-listed)."""
    if spec == "package:genai-prices":
        return genai_prices_package(), spec
    if spec.startswith("package:"):
        package = spec.removeprefix("package:")
        if package not in PACKAGE_MAPS:
            raise InputError(f"map {spec}: packages read are "
                             f"{', '.join(sorted([*PACKAGE_MAPS, 'genai-prices']))}")
        module, member = PACKAGE_MAPS[package]
        try:
            body = importlib.resources.files(module).joinpath(member).read_bytes()
        except (ModuleNotFoundError, FileNotFoundError) as error:
            raise InputError(f"map {spec}: {module} is not installed here, or has no "
                             f"{member} ({error})") from None
        return body, spec
    if "://" in spec:
        if settings is None or not spec.startswith(("https://", "http://")):
            raise InputError(f"map {spec}: a URL is http(s)://HOST/PATH")
        return fetch_map(spec, settings), spec
    path = Path(spec)
    if not path.is_file():
        raise InputError(f"map {spec}: no such file")
    return path.read_bytes(), path.name


def load_maps(specs: list[str], fmt: str = "auto",
              settings: Settings | None = None) -> list[AuditedMap]:
    maps = []
    for spec in specs:
        body, name = map_bytes(spec, settings)
        if any(m.name == name for m in maps):
            name = spec  # two files of one name: tell them apart by the path given
        maps.append(AuditedMap(name, read_map(body, name, fmt)))
    return maps


def expand(entries: list[MapEntry], models: list[tuple[str, str]]) -> list[tuple]:
    """(key, provider, model) for every entry: its own model, or, for an entry that names
    its models by a rule, each model of its provider whose first matching entry it is."""
    rows = [(e.key, e.provider, e.model) for e in entries if e.matches is None]
    ruled: dict[str, list[MapEntry]] = {}
    for entry in entries:
        if entry.matches is not None and entry.provider is not None:
            ruled.setdefault(entry.provider, []).append(entry)
    for provider, model in models:
        candidates = sorted(ruled.get(provider, []), key=lambda e: e.order)
        first = next((e for e in candidates if e.matches(model.lower())), None)
        if first is not None:
            rows.append((first.key, provider, model))
    return rows


def _table(columns: tuple[tuple[str, pa.DataType], ...], rows: list[tuple]) -> pa.Table:
    names = [name for name, _ in columns]
    data = list(map(list, zip(*rows, strict=True))) if rows else [[] for _ in names]
    return pa.table(dict(zip(names, data, strict=True)), schema=pa.schema(list(columns)))


def register(con: duckdb.DuckDBPyConnection, maps: list[AuditedMap],
             entries: dict[str, list[tuple]], prices: dict[str, list[MapPrice]]) -> None:
    """One comparison's maps as the tables audit.sql reads: each map's entries (expanded),
    the prices compared this time, and what its format can express."""
    text = pa.string()
    con.register("audit_entries", _table(
        (("map", text), ("key", text), ("provider", text), ("model", text)),
        [(m.name, *row) for m in maps for row in entries[m.name]]))
    con.register("audit_prices", _table(
        (("map", text), ("key", text), ("component", text), ("service_tier", text),
         ("context_threshold", pa.int64()), ("unit", text), ("map_price", PRICE),
         ("field", text)),
        [(m.name, p.key, p.component, p.service_tier, p.context_threshold, p.unit,
          p.price, p.field)
         for m in maps for p in prices.get(m.name, [])]))
    con.register("audit_expressible", _table(
        (("map", text), ("component", text), ("unit", text)),
        [(m.name, c, u) for m in maps for c, u in sorted(m.read.expressible)]))


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def plan(maps: list[AuditedMap], at: datetime,
         at_given: bool) -> tuple[dict[datetime, dict[str, list[MapPrice]]], Counter[str]]:
    """Which prices are compared at which time. Undated prices at `at`. Of a model's dated
    price sets (genai-prices: the last set whose start_date has come applies, else the
    first set), the one in force at `at` is compared at `at`; without --at, each earlier
    dated set also at its own start date, as the map claims it from then. A set that
    starts after `at` is not compared (counted per map)."""
    times: dict[datetime, dict[str, list[MapPrice]]] = {}
    later: Counter[str] = Counter()
    for audited in maps:
        sets: dict[str, dict[int, list[MapPrice]]] = {}
        for price in audited.read.prices:
            sets.setdefault(price.key, {}).setdefault(price.price_set, []).append(price)
        for by_index in sets.values():
            started = [i for i, group in by_index.items()
                       if group[0].since is None or midnight(group[0].since) <= at]
            in_force = max(started) if started else min(by_index)
            for index, group in by_index.items():
                since = group[0].since
                if index == in_force:
                    when = at
                elif since is not None and midnight(since) <= at and not at_given:
                    when = midnight(since)
                else:
                    if since is not None and midnight(since) > at:
                        later[audited.name] += len(group)
                    continue
                times.setdefault(when, {}).setdefault(audited.name, []).extend(group)
    times.setdefault(at, {})
    return times, later


def summarise(maps: list[AuditedMap], rows: list[dict[str, Any]],
              later: Counter[str] | None = None) -> list[dict[str, Any]]:
    """Per map: entries read, for a tracked provider, matched to an offer, agreeing in
    every compared component, with a wrong/stale/unit_error price, the rows of each class,
    untracked (a provider pricewatch does not collect) and unlisted (a tracked provider,
    a model it does not list at the time) entries, and the error rate (entries with a
    wrong, stale or 1000x price per matched entry, in percent)."""
    summaries = []
    for audited in maps:
        mine = [row for row in rows if row["map"] == audited.name]
        by_key: dict[str, set[str]] = {}
        for row in mine:
            by_key.setdefault(row["key"], set()).add(row["class"])
        classes = Counter(row["class"] for row in mine)
        tracked = [e for e in audited.read.entries if e.provider is not None]
        with_errors = sum(1 for found in by_key.values() if found & set(ERRORS))
        matched = len(by_key)
        summaries.append({
            "map": audited.name, "format": audited.read.format,
            "entries": len(audited.read.entries), "tracked": len(tracked),
            "matched": matched,
            "agree": sum(1 for found in by_key.values() if found == {"agree"}),
            "with_errors": with_errors,
            **{f"{name}_rows": classes.get(name, 0) for name in CLASSES},
            "untracked": len(audited.read.entries) - len(tracked),
            "unlisted": len(tracked) - matched,
            "error_rate_pct": (Decimal(100 * with_errors) / matched).quantize(Decimal("0.1"))
            if matched else None,
            "prices_not_yet_in_force": (later or Counter())[audited.name],
            "unread_fields": dict(sorted(audited.read.unread.items())),
            "bad_entries": list(audited.read.bad)})
    return summaries


def audit(settings: Settings, maps: list[AuditedMap], at: datetime, at_given: bool = True
          ) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    """Every compared component of every map (columns, rows, including agreements) and the
    summary per map. `at_given` false: `at` is now, and dated map prices are also compared
    at their own dates."""
    times, later = plan(maps, at, at_given)
    columns: list[str] = []
    rows: list[dict[str, Any]] = []
    with queries.open_gold(settings) as con:
        _, models = queries.named(con, "audit_models")
        pairs = [(row["provider"], row["model"]) for row in models]
        entries = {m.name: expand(m.read.entries, pairs) for m in maps}
        for when in sorted(times):
            # at `at` every entry (one without prices lacks what the provider has); at an
            # earlier date only the entries whose dated prices are compared then
            compared = entries if when == at else {
                name: [row for row in rows_of if row[0] in
                       {price.key for price in times[when].get(name, [])}]
                for name, rows_of in entries.items()}
            register(con, maps, compared, times[when])
            columns, found = queries.named(con, "audit", {"at": when})
            rows += found
    rows.sort(key=lambda r: (r["map"], r["key"], r["model"], r["component"],
                             r["service_tier"], r["context_threshold"], r["unit"],
                             r["audited_at"]))
    return columns, rows, summarise(maps, rows, later)
