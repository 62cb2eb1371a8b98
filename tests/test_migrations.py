"""Schema migrations on a database written by an older pricewatch: history stays whole."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import jsonl, price_line
from pipeline import ingest_body
from settings import Settings
from warehouse.db import open_warehouse
from warehouse.history import PRICES, _key_digest

T1 = datetime(2026, 5, 1, tzinfo=UTC)
T2 = datetime(2026, 6, 1, tzinfo=UTC)


def _as_schema_4(settings: Settings) -> None:
    """Undo migration 5 the way a schema-4 database looked: no usage_tier_start column,
    key_hash over the old key."""
    old_key = tuple(c for c in PRICES.key if c != "usage_tier_start")
    with open_warehouse(settings) as con:
        con.execute("ALTER TABLE price_history DROP COLUMN usage_tier_start")
        con.execute(f"UPDATE price_history SET key_hash = {_key_digest(old_key)}")
        con.execute("DELETE FROM schema_migrations WHERE version = 5")


def test_usage_tier_migration_keeps_every_series(settings: Settings) -> None:
    prices = {"a/one": "1.25", "a/two": "2.5", "a/three": "10"}
    ingest_body(settings, "records", jsonl(*(price_line(m, p) for m, p in prices.items())),
                T1, "file:t1")
    _as_schema_4(settings)
    prices["a/two"] = "2.75"
    outcome = ingest_body(settings, "records",
                          jsonl(*(price_line(m, p) for m, p in prices.items())), T2, "file:t2")
    # Only the changed price moves: the migration rehashed the old rows onto the new key.
    assert (outcome.status, outcome.opened, outcome.closed) == ("ok", 1, 1)
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("SELECT count(*), count(*) FILTER (usage_tier_start = 0), "
                           f"count(*) FILTER (key_hash = {_key_digest(PRICES.key)}) "
                           "FROM price_history").fetchall() == [(4, 4, 4)]
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchall() == [(5,)]
