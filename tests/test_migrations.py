"""Schema migrations on a database written by an older pricewatch: history stays whole."""

from __future__ import annotations

import shutil
import zlib
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from helpers import fixture_path, jsonl, price_line
from pricewatch.pipeline.run import ingest_body, reparse
from pricewatch.settings import Settings
from pricewatch.warehouse.bodies import archive_dir, body_path, read_body
from pricewatch.warehouse.db import SCHEMA_VERSION, migrate, open_warehouse
from pricewatch.warehouse.history import PRICES, _key_digest
from pricewatch.warehouse.ingest import IngestError

T1 = datetime(2026, 5, 1, tzinfo=UTC)
T2 = datetime(2026, 6, 1, tzinfo=UTC)


def _as_schema_5(settings: Settings) -> None:
    """Undo migration 6 the way a schema-5 database looked: every body zlib-compressed in
    `raw_bodies`, no archive folder. (Each open migrates: one open per downgrade.)"""
    with open_warehouse(settings) as con:
        _undo_6(con)


WINDOW_COLUMNS = ("utc_days", "utc_start_minute", "utc_end_minute")


def _undo_16(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DELETE FROM schema_migrations WHERE version = 16")  # outbox ids only


def _undo_15(con: duckdb.DuckDBPyConnection) -> None:
    _undo_16(con)
    con.execute("ALTER TABLE runs DROP COLUMN history_tables")
    con.execute("DELETE FROM schema_migrations WHERE version = 15")


def _undo_14(con: duckdb.DuckDBPyConnection) -> None:
    _undo_15(con)
    con.execute("DROP TABLE map_audit_history")
    con.execute("DELETE FROM schema_migrations WHERE version = 14")


def _undo_13(con: duckdb.DuckDBPyConnection) -> None:
    _undo_14(con)
    con.execute("DROP TABLE score_history")
    con.execute("DELETE FROM schema_migrations WHERE version = 13")


def _undo_12(con: duckdb.DuckDBPyConnection) -> None:
    _undo_13(con)
    con.execute("ALTER TABLE offer_history DROP COLUMN alias_of")
    con.execute("ALTER TABLE offer_history DROP COLUMN reasoning_efforts")
    con.execute("DELETE FROM schema_migrations WHERE version = 12")


def _undo_11(con: duckdb.DuckDBPyConnection) -> None:
    _undo_12(con)
    con.execute("DROP TABLE run_unread")
    con.execute("DELETE FROM schema_migrations WHERE version = 11")


def _undo_10(con: duckdb.DuckDBPyConnection) -> None:
    _undo_11(con)
    for column in WINDOW_COLUMNS:
        con.execute(f"ALTER TABLE price_history DROP COLUMN {column}")
    old_key = tuple(c for c in PRICES.key if c not in WINDOW_COLUMNS)
    con.execute(f"UPDATE price_history SET key_hash = {_key_digest(old_key)}")
    con.execute("DELETE FROM schema_migrations WHERE version = 10")


def _undo_9(con: duckdb.DuckDBPyConnection) -> None:
    _undo_10(con)
    con.execute("ALTER TABLE runs DROP COLUMN origin")
    con.execute("DELETE FROM schema_migrations WHERE version = 9")


def _undo_8(con: duckdb.DuckDBPyConnection) -> None:
    _undo_9(con)
    con.execute("ALTER TABLE alert_outbox DROP COLUMN claimed_by")
    con.execute("ALTER TABLE alert_outbox DROP COLUMN lease_until")
    con.execute("DELETE FROM schema_migrations WHERE version = 8")


def _undo_7(con: duckdb.DuckDBPyConnection) -> None:
    _undo_8(con)
    con.execute("ALTER TABLE alert_channels DROP COLUMN seen_through_run")
    con.execute("DELETE FROM schema_migrations WHERE version = 7")


def _undo_6(con: duckdb.DuckDBPyConnection) -> None:
    _undo_7(con)
    folder = archive_dir(con)
    shas, sizes, seen = zip(*con.execute(
        "SELECT content_sha256, bytes, first_seen_at FROM raw_bodies").fetchall(), strict=True)
    con.register("inline", pa.table({
        "content_sha256": list(shas),
        "body_zlib": [zlib.compress(read_body(folder, sha)) for sha in shas],
        "bytes": list(sizes), "first_seen_at": list(seen)}))
    con.execute("DROP TABLE raw_bodies")
    con.execute("DROP TABLE raw_bodies_inline")
    con.execute("CREATE TABLE raw_bodies (content_sha256 VARCHAR PRIMARY KEY, body_zlib "
                "BLOB NOT NULL, bytes BIGINT NOT NULL, first_seen_at TIMESTAMPTZ NOT NULL)")
    con.execute("INSERT INTO raw_bodies SELECT * FROM inline")
    con.unregister("inline")
    con.execute("DELETE FROM schema_migrations WHERE version = 6")
    shutil.rmtree(folder)


def _as_schema_4(settings: Settings) -> None:
    """Undo migration 5 the way a schema-4 database looked: no usage_tier_start column,
    key_hash over the old key."""
    old_key = tuple(c for c in PRICES.key if c != "usage_tier_start" and
                    c not in WINDOW_COLUMNS)
    with open_warehouse(settings) as con:
        _undo_6(con)
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
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchall() == \
            [(SCHEMA_VERSION,)]


def test_bodies_move_to_files_and_old_ones_stay_readable(settings: Settings) -> None:
    ingest_body(settings, "records", jsonl(price_line("a/one", "1.25")), T1, "file:t1")
    _as_schema_5(settings)
    ingest_body(settings, "records", jsonl(price_line("a/one", "1.5")), T2, "file:t2")
    with open_warehouse(settings, read_only=True) as con:
        folder = archive_dir(con)
        inline = con.execute("SELECT content_sha256 FROM raw_bodies_inline").fetchall()
        stored = con.execute("SELECT content_sha256 FROM raw_bodies ORDER BY first_seen_at"
                             ).fetchall()
    # The schema-5 body stays inline; the new one is a file; both are listed.
    assert len(inline) == 1 and stored[0][0] == inline[0][0]
    assert len(stored) == 2 and body_path(folder, stored[1][0]).is_file()
    assert not body_path(folder, stored[0][0]).exists()
    # reparse reads both kinds and rebuilds the same history.
    report = reparse(settings, ["records"])[0]
    assert (report.runs_replayed, report.intervals_added, report.intervals_removed) == (2, 0, 0)


def test_missing_or_damaged_body_file_is_named(settings: Settings) -> None:
    ingest_body(settings, "records", jsonl(price_line("a/one", "1.25")), T1, "file:t1")
    with open_warehouse(settings, read_only=True) as con:
        folder = archive_dir(con)
        sha = con.execute("SELECT content_sha256 FROM raw_bodies").fetchall()[0][0]
    path = body_path(folder, sha)
    assert path.stat().st_mode & 0o777 == 0o600
    assert {p.stat().st_mode & 0o777 for p in (folder, path.parent)} == {0o700}
    path.write_bytes(path.read_bytes()[:-9] + b"\x00" * 9)  # damaged gzip trailer
    with pytest.raises(IngestError, match=f"archived body {path}"):
        reparse(settings, ["records"])
    path.unlink()
    with pytest.raises(IngestError, match=f"body {sha} is recorded but its file {path} is "
                                          "missing"):
        reparse(settings, ["records"])


def test_price_window_migration_keeps_every_series(settings: Settings) -> None:
    """Migration 10 adds the window columns to the key: every stored series keeps its
    interval (key_hash recomputed), so only a changed price moves after it."""
    prices = {"a/one": "1.25", "a/two": "2.5"}
    ingest_body(settings, "records", jsonl(*(price_line(m, p) for m, p in prices.items())),
                T1, "file:t1")
    with open_warehouse(settings) as con:
        _undo_10(con)
    prices["a/one"] = "1.5"
    outcome = ingest_body(settings, "records",
                          jsonl(*(price_line(m, p) for m, p in prices.items())), T2, "file:t2")
    assert (outcome.status, outcome.opened, outcome.closed) == ("ok", 1, 1)
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute(
            "SELECT count(*), count(*) FILTER (utc_days = '' AND utc_start_minute = 0 AND "
            f"utc_end_minute = 1440), count(*) FILTER (key_hash = {_key_digest(PRICES.key)}) "
            "FROM price_history").fetchall() == [(3, 3, 3)]


def test_offer_attribute_migration_keeps_every_offer_interval(settings: Settings) -> None:
    """Migration 12 adds alias_of and reasoning_efforts to the offer's value: the stored
    offers' value_hash is recomputed, so the same catalogue after it changes nothing."""
    body = fixture_path("openrouter", "models-2026-05-07.json").read_bytes()
    ingest_body(settings, "openrouter.models", body, T1, "file:t1")
    with open_warehouse(settings) as con:
        _undo_12(con)
    outcome = ingest_body(settings, "openrouter.models", body.replace(b'"data"', b' "data"'),
                          T2, "file:t2")
    assert (outcome.status, outcome.opened, outcome.closed) == ("ok", 0, 0)


def test_run_tables_migration_names_where_each_run_opened_intervals(settings: Settings) -> None:
    """Migration 15 gives every run the history tables it opened intervals in ([] for the
    rest), so the next run of a source still asks, and closes, a table it left."""
    offer = '{"kind": "offer", "provider": "openrouter", "model": "a/one", "context_length": 8}'
    t3 = datetime(2026, 7, 1, tzinfo=UTC)
    again = T2 + timedelta(days=1)  # the same body: an unchanged run, which opens nothing
    for when, body in ((T1, jsonl(price_line("a/one", "1"), offer)),
                       (T2, jsonl(price_line("a/one", "2"), offer)),
                       (again, jsonl(price_line("a/one", "2"), offer))):
        ingest_body(settings, "records", body, when, f"file:{when:%m%d}")
    ingest_body(settings, "records", jsonl(price_line("b/two", "3", source="other")), T1,
                "file:other")
    with open_warehouse(settings) as con:
        _undo_15(con)
    with open_warehouse(settings) as con:  # migrated again
        assert con.execute("SELECT source, observed_at, status, history_tables FROM runs "
                           "ORDER BY source, observed_at").fetchall() == [
            ("other", T1, "ok", ["price_history"]),
            ("records", T1, "ok", ["offer_history", "price_history"]),
            ("records", T2, "ok", ["price_history"]),  # the offer was unchanged
            ("records", again, "unchanged", [])]
    outcome = ingest_body(settings, "records", jsonl(price_line("a/one", "2")), t3, "file:t3")
    assert (outcome.status, outcome.closed) == ("ok", 1)
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("SELECT valid_to FROM offer_history").fetchall() == [(t3,)]


def test_a_new_file_is_made_whole_or_not_at_all(tmp_path, monkeypatch) -> None:
    """A new file's migrations are one transaction: a step that fails leaves no table of
    the earlier ones (and no schema version) behind, so the next open starts afresh."""
    from pricewatch.warehouse import db

    broken = [*db.MIGRATIONS, (SCHEMA_VERSION + 1, "broken", "SELECT * FROM no_such_table")]
    monkeypatch.setattr(db, "MIGRATIONS", broken)
    monkeypatch.setattr(db, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'w.duckdb'}' AS w")
    con.execute("USE w")
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        migrate(con)
    assert con.execute("SELECT count(*) FROM duckdb_tables() "
                       "WHERE database_name = 'w'").fetchone() == (0,)
    monkeypatch.setattr(db, "MIGRATIONS", broken[:-1])
    monkeypatch.setattr(db, "SCHEMA_VERSION", SCHEMA_VERSION)
    assert migrate(con) == list(range(1, SCHEMA_VERSION + 1))
    con.close()


def test_migrations_leave_no_write_ahead_log(tmp_path) -> None:
    """Each migration is checkpointed into the file as it commits: DuckDB 1.5 cannot replay
    a WAL holding an ALTER of `runs` (migrations 9 and 15) when the file is opened directly
    after a crash, so none is left for the next step's time."""
    path = tmp_path / "w.duckdb"
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS w")
    con.execute("USE w")
    assert migrate(con) == list(range(1, SCHEMA_VERSION + 1))
    wal = path.with_name(path.name + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0
    con.close()
