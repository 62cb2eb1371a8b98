"""The gold layer: one SQL view (or macro) per file, created in the DuckDB file so that the
DuckDB CLI, a notebook or a dashboard sees exactly what `pricewatch` shows.

Views are reinstalled when these files or the view settings change (a checksum row in
`views_installed`); installing needs the write lock, reading them does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from pricewatch.settings import Settings
from pricewatch.warehouse.db import fetch_one, open_warehouse

# Creation order: each file may use the ones before it.
VIEWS = (
    "view_setting", "canonical_model", "is_coding_model", "model_identity", "unmatched_models",
    "prices_as_of", "current_prices", "current_price_tiers", "upcoming_prices", "offers_as_of",
    "current_offers",
    "offer_capabilities", "cheapest_as_of", "cheapest_per_capability", "price_changes",
    "offer_changes", "rate_limit_changes", "collector_health", "price_alerts",
    "vertex_price_discrepancies",
)


def command_sql(name: str) -> str:
    """A query one command runs (queries/commands/NAME.sql): read-only, not a view."""
    return resources.files("pricewatch.queries").joinpath("commands", f"{name}.sql").read_text(
        encoding="utf-8")


def view_sql(name: str) -> str:
    return resources.files("pricewatch.queries").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def view_settings(settings: Settings) -> dict[str, str]:
    v = settings.views
    return {"mix_input": str(v.mix_input), "mix_output": str(v.mix_output),
            "cache_share": str(v.cache_share), "long_context_tokens": str(v.long_context_tokens),
            "drop_pct": str(v.drop_pct), "rise_pct": str(v.rise_pct),
            "failing_runs": str(v.failing_runs)}


def load_overrides(path: Path | None) -> list[tuple[str, str, str]]:
    """`[[override]] provider = "...", model = "...", canonical_model = "..."` rows."""
    if path is None:
        return []
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"model identity overrides {path}: {error}") from None
    rows = []
    for index, item in enumerate(data.get("override", [])):
        try:
            rows.append((str(item["provider"]), str(item["model"]),
                         str(item["canonical_model"])))
        except (KeyError, TypeError):
            raise ValueError(f"model identity overrides {path}: override #{index + 1} needs "
                             "provider, model and canonical_model") from None
    return rows


def _checksum(settings: Settings, overrides: list[tuple[str, str, str]]) -> str:
    text = json.dumps([[view_sql(v) for v in VIEWS], view_settings(settings), overrides])
    return hashlib.sha256(text.encode()).hexdigest()


def install(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    """Create or replace every view if they are missing or out of date. True if it did."""
    overrides = load_overrides(settings.views.identity_overrides)
    checksum = _checksum(settings, overrides)
    if fetch_one(con, "SELECT 1 FROM views_installed WHERE checksum = ?", [checksum]):
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM view_settings")
        con.executemany("INSERT INTO view_settings VALUES (?, ?)",
                        list(view_settings(settings).items()))  # seven rows, not a bulk path
        con.execute("DELETE FROM model_identity_overrides")
        if overrides:
            con.executemany("INSERT INTO model_identity_overrides VALUES (?, ?, ?)", overrides)
        for name in VIEWS:
            con.execute(view_sql(name))
        con.execute("DELETE FROM views_installed")
        con.execute("INSERT INTO views_installed VALUES (?, ?)", [checksum, datetime.now(UTC)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True


def ensure_installed(settings: Settings) -> None:
    """Install the views if needed; a read-only check first, so readers rarely lock."""
    overrides = load_overrides(settings.views.identity_overrides)
    checksum = _checksum(settings, overrides)
    with open_warehouse(settings, read_only=True) as con:
        if fetch_one(con, "SELECT 1 FROM views_installed WHERE checksum = ?", [checksum]):
            return
    with open_warehouse(settings) as con:
        install(con, settings)


@contextmanager
def open_gold(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection on which every view exists and is current."""
    ensure_installed(settings)
    with open_warehouse(settings, read_only=True) as con:
        yield con


def rows(con: duckdb.DuckDBPyConnection, sql: str,
         params: Any = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and rows as dicts, the shape the CLI's output layer takes."""
    result = con.execute(sql, params) if params is not None else con.execute(sql)
    columns = [d[0] for d in result.description or ()]
    return columns, [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
