"""Security pass: provider text stays inert in tables and exports, configuration cannot
point a collector outside its allow-list, and files are owner-only. (Secrets in logs and
the archive: test_fault_matrix.test_secrets_are_never_logged_or_archived.)"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from helpers import jsonl, price_line, write_config
from pricewatch.cli import output
from pricewatch.cli.main import app
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import SettingsError, load_settings

runner = CliRunner()
EVIL = "evil/[bold]mo\x07del[/bold]\x1b[31m\u202e<script>x</script>,\"=cmd|' /C calc'!A0"


def test_table_cells_show_provider_text_as_written(monkeypatch) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr(output, "console", Console(file=buffer, width=40,
                                                   force_terminal=False))
    output.emit([{"model": EVIL}], ["model"], as_json=False, title=f"history of {EVIL}")
    shown = buffer.getvalue()
    assert "[bold]mo" in shown and "[/bold]" in shown  # not taken as rich markup
    assert not any(c in shown for c in "\x07\x1b\u202e")
    assert "…" in shown  # a long cell ends in an ellipsis in a table of one line per row
    monkeypatch.setattr(output, "WIDE", True)  # --wide: nothing cut
    buffer.truncate(0)
    output.emit([{"model": EVIL}], ["model"], as_json=False, title=f"history of {EVIL}")
    shown = buffer.getvalue()
    assert "[bold]mo" in shown and not any(c in shown for c in "\x07\x1b\u202e")
    assert "<script>x</script>" in shown


def test_exports_round_trip_provider_text_exactly(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    settings = load_settings(db_path=db)
    pipeline.ingest_body(settings, "records", jsonl(price_line(EVIL, "1.5")),
                         datetime(2026, 1, 1, tzinfo=UTC), "t")
    out = tmp_path / "exports"
    for fmt in ("csv", "parquet"):
        result = runner.invoke(app, ["export", "--out", str(out), "--format", fmt,
                                     "--db", str(db)])
        assert result.exit_code == 0, result.stderr
    with open(out / "current_prices.csv", newline="", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["model"] == EVIL  # quoted, so commas, quotes and markup stay one value
    parquet = out / "current_prices.parquet"
    assert duckdb.sql(f"SELECT model FROM '{parquet}'").fetchall() == [(EVIL,)]
    for path in (*out.rglob("*"), db):  # folders of months: owner-only too
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


@pytest.mark.parametrize(("section", "field"), [
    ("openrouter", 'api_base = "https://openrouter.example.net/api/v1"'),
    ("nscale", 'hf_router_url = "http://169.254.169.254/latest/meta-data"'),
    ("vertex", 'skus_url = "https://example.com/skus"'),
])
def test_configuration_outside_the_allow_list_is_refused(tmp_path: Path, section: str,
                                                         field: str) -> None:
    config = write_config(tmp_path, f"[{section}]\n{field}\n")
    with pytest.raises(SettingsError, match="outside allowed_hosts"):
        load_settings(config)
    result = runner.invoke(app, ["run", "--config", str(config)])
    assert result.exit_code != 0
    assert "outside allowed_hosts" in " ".join(result.stderr.split())
    assert not (tmp_path / "pw.duckdb").exists()  # refused before anything ran


def test_json_output_escapes_provider_text(tmp_path: Path) -> None:
    db = tmp_path / "j.duckdb"
    settings = load_settings(db_path=db)
    pipeline.ingest_body(settings, "records", jsonl(price_line(EVIL, "1.5")),
                         datetime(2026, 1, 1, tzinfo=UTC), "t")
    result = runner.invoke(app, ["history", EVIL, "--db", str(db), "--json"])
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout  # JSON-escaped
    assert json.loads(result.stdout)[0]["model"] == EVIL
