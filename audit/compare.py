"""The audit itself: read maps (maps.py), hand them to the warehouse as Arrow tables, run
queries/commands/audit.sql against the prices in force at a time, and count the result per
map. Reads only: an audit writes nothing to the warehouse."""

from __future__ import annotations

import importlib.resources
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pricewatch import queries
from pricewatch.audit.maps import ReadMap, read_map
from pricewatch.errors import InputError
from pricewatch.settings import Settings

CLASSES = ("agree", "wrong", "stale", "unit_error", "missing_component")
ERRORS = ("wrong", "stale", "unit_error")  # a price the map has, and gets wrong
# `package:NAME`: the map file inside an installed package (what an offline user has)
PACKAGE_MAPS = {"litellm": ("litellm", "model_prices_and_context_window_backup.json"),
                "tokencost": ("tokencost", "model_prices.json")}
PRICE = pa.decimal128(38, 18)
QUANTUM = Decimal(1).scaleb(-18)


@dataclass(frozen=True)
class AuditedMap:
    name: str
    read: ReadMap


def map_bytes(spec: str) -> tuple[bytes, str]:
    """A map's bytes and its name: a file, or `package:NAME` (the data file inside an
    installed package, read with importlib.resources)."""
    if spec.startswith("package:"):
        package = spec.removeprefix("package:")
        if package not in PACKAGE_MAPS:
            raise InputError(f"map {spec}: packages read are {', '.join(sorted(PACKAGE_MAPS))}")
        module, member = PACKAGE_MAPS[package]
        try:
            body = importlib.resources.files(module).joinpath(member).read_bytes()
        except (ModuleNotFoundError, FileNotFoundError) as error:
            raise InputError(f"map {spec}: {module} is not installed here, or has no "
                             f"{member} ({error})") from None
        return body, spec
    if "://" in spec:
        raise InputError(f"map {spec}: give a file or package:NAME (download the map first; "
                         "URLs are not fetched by audit yet)")
    path = Path(spec)
    if not path.is_file():
        raise InputError(f"map {spec}: no such file")
    return path.read_bytes(), path.name


def load_maps(specs: list[str], fmt: str = "auto") -> list[AuditedMap]:
    maps = []
    for spec in specs:
        body, name = map_bytes(spec)
        if any(m.name == name for m in maps):
            name = spec  # two files of one name: tell them apart by the path given
        maps.append(AuditedMap(name, read_map(body, name, fmt)))
    return maps


def _exact(price: Decimal, where: str) -> Decimal:
    """A map price as DECIMAL(38, 18): a price that needs more places cannot be compared
    exactly, and is an error naming it, never rounded."""
    exact = price.quantize(QUANTUM)
    if exact != price:
        raise InputError(f"{where}: {price} has more than 18 decimal places")
    return exact


def register(con: duckdb.DuckDBPyConnection, maps: list[AuditedMap]) -> None:
    """The maps' entries, prices and expressible components as the tables audit.sql
    reads."""
    entries = [(m.name, e.key, e.provider, e.model) for m in maps for e in m.read.entries]
    prices = [(m.name, p.key, p.component, p.service_tier, p.context_threshold, p.unit,
               _exact(p.price, f"map {m.name} {p.key} {p.field}"), p.field)
              for m in maps for p in m.read.prices]
    expressible = [(m.name, c, u) for m in maps for c, u in sorted(m.read.expressible)]
    con.register("audit_entries", pa.table(
        dict(zip(("map", "key", "provider", "model"),
                 map(list, zip(*entries, strict=True)) if entries else ([],) * 4,
                 strict=True)),
        schema=pa.schema([("map", pa.string()), ("key", pa.string()),
                          ("provider", pa.string()), ("model", pa.string())])))
    con.register("audit_prices", pa.table(
        dict(zip(("map", "key", "component", "service_tier", "context_threshold", "unit",
                  "map_price", "field"),
                 map(list, zip(*prices, strict=True)) if prices else ([],) * 8, strict=True)),
        schema=pa.schema([("map", pa.string()), ("key", pa.string()),
                          ("component", pa.string()), ("service_tier", pa.string()),
                          ("context_threshold", pa.int64()), ("unit", pa.string()),
                          ("map_price", PRICE), ("field", pa.string())])))
    con.register("audit_expressible", pa.table(
        dict(zip(("map", "component", "unit"),
                 map(list, zip(*expressible, strict=True)) if expressible else ([],) * 3,
                 strict=True)),
        schema=pa.schema([("map", pa.string()), ("component", pa.string()),
                          ("unit", pa.string())])))


def summarise(maps: list[AuditedMap], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
            "unread_fields": dict(sorted(audited.read.unread.items())),
            "bad_entries": list(audited.read.bad)})
    return summaries


def audit(settings: Settings, maps: list[AuditedMap],
          at: datetime) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    """Every compared component of every map (columns, rows, including agreements) and the
    summary per map."""
    with queries.open_gold(settings) as con:
        register(con, maps)
        columns, rows = queries.named(con, "audit", {"at": at})
    return columns, rows, summarise(maps, rows)
