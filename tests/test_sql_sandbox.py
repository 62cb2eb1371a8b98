"""`pricewatch sql` reads the warehouse and nothing else (issue 29, item 1): one SELECT, on a
DuckDB instance of its own with the warehouse attached read-only, no file, network or
extension access, no secrets, configuration locked. Each attack below changed or read what
it should not on the code before; now each is one line on stderr and exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import jsonl, price_line
from pricewatch.cli.main import app
from pricewatch.pipeline import run as pipeline
from pricewatch.records import parse_timestamp
from pricewatch.settings import Settings

runner = CliRunner()


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    pipeline.ingest_body(settings, "records", jsonl(price_line("a/one", "1.25"),
                                                    price_line("a/two", "2.5")),
                         parse_timestamp("2026-10-01T00:00:00Z"), "file:one")
    return settings


def sql(settings: Settings, query: str):
    return runner.invoke(app, ["sql", query, "--json", "--db", str(settings.db_path)])


def history_rows(settings: Settings) -> int:
    result = sql(settings, "SELECT count(*) AS n FROM price_history")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]["n"]


@pytest.mark.parametrize(("query", "said"), [
    ("USE memory; DETACH pricewatch", "one statement; this text has 2"),
    ("DELETE FROM price_history", "one SELECT (read-only); this is DELETE"),
    ("ATTACH 'other.duckdb' AS w2", "this is ATTACH"),
    ("COPY (SELECT 1) TO '{tmp}/out.csv'", "this is COPY"),
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv() is not allowed"),
    ("SELECT * FROM query('SELECT 1')", "query() is not allowed"),
    ("SELECT * FROM postgres_query('__ducklake_metadata_pricewatch', 'SELECT 1')",
     "postgres_query() is not allowed"),
    ("SELECT * FROM __ducklake_metadata_pricewatch.public.ducklake_metadata",
     "catalog '__ducklake_metadata_pricewatch' is not it"),
    ("SET enable_external_access = true", "this is SET"),
    ("CALL pragma_version()", "this is CALL"),
])
def test_anything_but_one_select_over_the_warehouse_is_refused(
        loaded: Settings, tmp_path: Path, query: str, said: str) -> None:
    before = history_rows(loaded)
    result = sql(loaded, query.format(tmp=tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"error: sql {said}"] or said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out.csv").exists()
    assert history_rows(loaded) == before == 2


def test_the_instance_holds_no_secret_and_reaches_no_file(loaded: Settings) -> None:
    result = sql(loaded, "SELECT count(*) AS n FROM duckdb_secrets()")
    assert json.loads(result.stdout) == [{"n": 0}]
    # a function the text check does not know by name is stopped by the locked instance
    result = sql(loaded, "SELECT * FROM parquet_schema('/etc/hostname')")
    assert result.exit_code == 1
    result = sql(loaded, "SELECT current_setting('enable_external_access') AS on")
    assert json.loads(result.stdout) == [{"on": False}]


def test_reads_of_the_warehouse_work_as_before(loaded: Settings) -> None:
    result = sql(loaded, "SELECT model, price FROM current_prices ORDER BY model")
    assert json.loads(result.stdout) == [{"model": "a/one", "price": "1.25"},
                                         {"model": "a/two", "price": "2.5"}]
    for query in ("DESCRIBE current_prices", "SHOW TABLES", "SUMMARIZE price_history",
                  "WITH x AS (SELECT 1 AS one) SELECT one FROM x",
                  "SELECT count(*) FROM pricewatch.main.price_history"):
        assert sql(loaded, query).exit_code == 0, query
