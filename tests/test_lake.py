"""The warehouse on DuckLake (PostgreSQL catalog): the same schema as a file, secrets kept
out, concurrent writers that lose nothing, and a file copied into a lake. The views and
history tests run on a lake too (conftest.TWO_BACKENDS)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import T0, fixture_path, history_violations, ingest_catalogues
from helpers.lake import postgres_lake
from helpers.lake_writer import series
from pricewatch import pipeline
from pricewatch.cli.main import app
from pricewatch.settings import load_settings
from pricewatch.warehouse import lake as lakes
from pricewatch.warehouse.db import WarehouseError, open_db, open_warehouse

WRITER = Path(__file__).parent / "helpers" / "lake_writer.py"
runner = CliRunner()


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with postgres_lake(tmp_path) as (target, data):
        monkeypatch.setenv("PRICEWATCH_DUCKLAKE__DATA_PATH", str(data))
        yield target, data


def columns(con) -> dict[str, list[tuple[str, str, bool, str | None]]]:
    found: dict[str, list] = {}
    for table, column, kind, nullable, default in con.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_catalog = current_database() "
            "ORDER BY table_name, ordinal_position").fetchall():
        # the file's sequences are no default in a lake (ids from id_counters); a lake
        # quotes its defaults: '0' for 0
        default = None if default in (None, "NULL") or "nextval" in default \
            else default.strip("'")
        found.setdefault(table, []).append((column, kind, nullable, default))
    return found


def test_both_backends_give_the_same_columns(tmp_path: Path, lake) -> None:
    with open_db(tmp_path / "file.duckdb") as con:
        file_columns = columns(con)
    with open_warehouse(load_settings(db_path=Path(lake[0]))) as con:
        lake_columns = columns(con)
        counters = dict(con.execute("SELECT name, next_id FROM id_counters").fetchall())
        version = con.execute("SELECT max(version) FROM schema_migrations").fetchall()[0][0]
    assert lake_columns.pop("id_counters") == [("name", "VARCHAR", "NO", None),
                                               ("next_id", "BIGINT", "NO", None)]
    assert lake_columns == file_columns
    assert ("price", "DECIMAL(38,18)", "YES", None) in lake_columns["price_history"]
    assert counters == {"run": 1, "fetch": 1}
    assert version == 9  # the baseline; a later version is shared unless overridden


def test_a_password_never_reaches_the_catalog_list_logs_or_errors(
        tmp_path: Path, lake, caplog: pytest.LogCaptureFixture) -> None:
    target, _ = lake
    secret = "pw-Zq81-never-shown"
    with_password = f"{target} password={secret}"
    settings = load_settings(db_path=Path(with_password))
    caplog.set_level(logging.DEBUG)
    outcome = pipeline.ingest_body(settings, "records", _line("a", "1.5"), T0, "t:0")
    assert outcome.status == "ok"
    with open_warehouse(settings, read_only=True) as con:
        listed = con.execute("SELECT * FROM duckdb_databases()").fetchall()
        settings_rows = con.execute("SELECT * FROM duckdb_settings()").fetchall()
    assert secret not in repr(listed) and secret not in repr(settings_rows)
    assert "password=" not in repr(listed)
    wrong = load_settings(db_path=Path(f"ducklake:postgres:dbname=pricewatch_no_such_db "
                                       f"host=127.0.0.1 user=postgres password='{secret}'"))
    with pytest.raises(WarehouseError) as error, open_warehouse(wrong, read_only=True):
        pass
    assert "pricewatch_no_such_db" in str(error.value) and secret not in str(error.value)
    result = runner.invoke(app, ["status", "--db", with_password])
    assert result.exit_code == 0, result.output
    assert secret not in result.output and secret not in caplog.text
    assert lakes.parse(with_password).label == target


def _line(model: str, price: str, source: str = "records") -> bytes:
    return (json.dumps({"kind": "price", "source": source, "provider": "openrouter",
                        "model": model, "component": "input", "unit": "per_1m_tokens",
                        "price": price, "currency": "USD"}) + "\n").encode()


def history(con) -> set[tuple]:
    rows = set()
    for table in ("price_history",):
        rows |= set(con.execute(
            f"SELECT source, model, price, valid_from, valid_to FROM {table}").fetchall())
    return rows


@pytest.mark.slow
def test_concurrent_writers_lose_nothing_and_match_serial_ingest(tmp_path: Path, lake) -> None:
    target, data = lake
    runs = 50
    writers = [("lake.a", 1), ("lake.b", 1), ("lake.c", 1), ("lake.d", 2)]  # d: twice
    env = {**os.environ, "PRICEWATCH_DUCKLAKE__DATA_PATH": str(data)}
    pipeline.ingest_body(load_settings(db_path=Path(target)), "records",
                         _line("warm", "1", "lake.z"), T0, "t:warm")  # created once
    processes = [subprocess.Popen([sys.executable, str(WRITER), target, source, str(runs)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                  text=True)
                 for source, copies in writers for _ in range(copies)]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=900)
        assert process.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    by_source: dict[str, list[list[str]]] = {}
    for report in reports:
        by_source.setdefault(report["source"], []).append(report["statuses"])
    for source in ("lake.a", "lake.b", "lake.c"):
        assert "duplicate" not in by_source[source][0]
    first, second = by_source["lake.d"]
    # each run of the twice-ingested source is written by one process, a duplicate for the other
    assert all((a == "duplicate") != (b == "duplicate") for a, b in zip(first, second, strict=True))

    reference = tmp_path / "serial.duckdb"
    serial = load_settings(db_path=reference)
    pipeline.ingest_body(serial, "records", _line("warm", "1", "lake.z"), T0, "t:warm")
    for source, _ in writers:
        for i, (body, at) in enumerate(series(source, runs)):
            pipeline.ingest_body(serial, "records", body, at, f"test:{source}:{i}",
                                 install_views=False)
    with open_warehouse(load_settings(db_path=Path(target)), read_only=True) as con:
        assert history_violations(con) == []
        lake_runs = con.execute("SELECT source, observed_at, status, records, "
                                "intervals_opened, intervals_closed FROM runs "
                                "ORDER BY ALL").fetchall()
        run_ids = [r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()]
        lake_history = history(con)
    with open_db(reference, read_only=True) as con:
        file_runs = con.execute("SELECT source, observed_at, status, records, "
                                "intervals_opened, intervals_closed FROM runs "
                                "ORDER BY ALL").fetchall()
        file_history = history(con)
    assert len(lake_runs) == 1 + 4 * runs
    assert len(set(run_ids)) == len(run_ids)  # no id taken twice
    assert lake_runs == file_runs
    assert lake_history == file_history and len(lake_history) > 4 * 12
    print("commit retries per writer:", [r["retries"] for r in reports])


def test_migrate_to_copies_a_file_warehouse_history_intact(tmp_path: Path, lake) -> None:
    target, _ = lake
    source_db = ingest_catalogues(tmp_path / "file.duckdb", ["2025-12-18", "2026-01-29"])
    result = runner.invoke(app, ["db", "migrate-to", target, "--db", str(source_db),
                                 "--json"])
    assert result.exit_code == 0, result.output
    copied = json.loads(result.output)[0]
    assert copied["runs"] == 2 and copied["bodies"] == 2
    tables = ("runs", "fetch_log", "raw_bodies", "price_history", "offer_history")
    with open_db(source_db, read_only=True) as con:
        before = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                  for t in tables}
    lake_settings = load_settings(db_path=Path(target))
    with open_warehouse(lake_settings, read_only=True) as con:
        after = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                 for t in tables}
        counters = dict(con.execute("SELECT name, next_id FROM id_counters").fetchall())
    assert after == before
    assert counters["run"] == 3
    # the bodies came along: a reparse on the lake rebuilds the same history
    (report,) = pipeline.reparse(lake_settings)
    assert (report.runs_replayed, report.intervals_added, report.intervals_removed) == (2, 0, 0)
    # and the next run continues the ids
    outcome = pipeline.ingest_body(
        lake_settings, "openrouter.models",
        fixture_path("openrouter", "models-2026-01-29.json").read_bytes(),
        T0.replace(year=2026, month=2), "t:next")
    assert (outcome.run_id, outcome.status) == (3, "unchanged")
    again = runner.invoke(app, ["db", "migrate-to", target, "--db", str(source_db)])
    assert again.exit_code != 0 and "not empty" in again.output
