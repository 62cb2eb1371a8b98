"""`reparse` rebuilds exactly the history a fresh ingest of the archived bodies would build."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from helpers import fixture_path
from pricewatch.collectors import PARSERS, get_source
from pricewatch.errors import InputError
from pricewatch.pipeline import run as pipeline
from pricewatch.records import PriceRecord
from pricewatch.settings import load_settings
from pricewatch.warehouse.db import open_warehouse

CAPTURES = [("models-2025-05-23.json", "2025-05-23"), ("models-2025-12-18.json", "2025-12-18"),
            ("models-2026-01-29.json", "2026-01-29")]
HISTORY = ("SELECT '{t}', * EXCLUDE (opened_by_run, closed_by_run) FROM {t} ORDER BY ALL")


def snapshot(db: Path) -> dict[str, list]:
    with open_warehouse(load_settings(db_path=db), read_only=True) as con:
        tables = {t: con.execute(HISTORY.format(t=t)).fetchall()
                  for t in ("price_history", "offer_history", "rate_limit_history")}
        tables["runs"] = con.execute("SELECT source, observed_at, status, records, "
                                     "intervals_opened, intervals_closed FROM runs ORDER BY ALL"
                                     ).fetchall()
    return tables


def ingest_all(db: Path) -> None:
    settings = load_settings(db_path=db)
    for name, date in CAPTURES:
        body = fixture_path("openrouter", name).read_bytes()
        pipeline.ingest_body(settings, "openrouter.models", body,
                             datetime.fromisoformat(date + "T00:00:00+00:00"), name)


@pytest.fixture
def broken_parser(monkeypatch):
    """Installs a deliberate parser bug; returns the real (fixed) parser."""
    real = get_source("openrouter.models")
    monkeypatch.setitem(PARSERS, "openrouter.models", _buggy_copy(real))
    return real


def test_reparse_after_a_parser_fix_equals_a_fresh_ingest(tmp_path: Path, db_target: Path,
                                                          broken_parser, monkeypatch) -> None:
    repaired, fresh = db_target, tmp_path / "fresh.duckdb"  # repaired: a file or a lake
    ingest_all(repaired)
    wrong = snapshot(repaired)
    monkeypatch.setitem(PARSERS, "openrouter.models", broken_parser)  # the fix
    ingest_all(fresh)
    expected = snapshot(fresh)
    assert wrong != expected
    reports = pipeline.reparse(load_settings(db_path=repaired))
    assert snapshot(repaired) == expected
    (report,) = reports
    assert report.source == "openrouter.models" and report.runs_replayed == 3
    assert report.intervals_added > 0 and report.intervals_removed > 0
    # Idempotent: a second reparse changes nothing.
    (again,) = pipeline.reparse(load_settings(db_path=repaired))
    assert (again.intervals_added, again.intervals_removed) == (0, 0)
    assert snapshot(repaired) == expected


def test_reparse_since_keeps_earlier_history(tmp_path: Path, db_target: Path, broken_parser,
                                            monkeypatch) -> None:
    repaired, reference = db_target, tmp_path / "reference.duckdb"
    ingest_all(repaired)
    monkeypatch.setitem(PARSERS, "openrouter.models", broken_parser)
    since = datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    pipeline.reparse(load_settings(db_path=repaired), ["openrouter.models"], since)
    # Reference: the buggy parser for runs before `since`, the fixed one after.
    settings = load_settings(db_path=reference)
    for name, date in CAPTURES:
        when = datetime.fromisoformat(date + "T00:00:00+00:00")
        parser = broken_parser if when >= since else None
        with monkeypatch.context() as patch:
            if parser is None:
                patch.setitem(PARSERS, "openrouter.models", _buggy_copy(broken_parser))
            body = fixture_path("openrouter", name).read_bytes()
            pipeline.ingest_body(settings, "openrouter.models", body, when, name)
    assert snapshot(repaired) == snapshot(reference)


def _buggy_copy(real):
    """The bug: output prices doubled and cache reads dropped."""

    def buggy(body: bytes, observed_at: datetime, options=None):
        out = []
        for record in real.run_parser(body, observed_at, options).records:
            if isinstance(record, PriceRecord) and record.component == "cache_read":
                continue
            if isinstance(record, PriceRecord) and record.component == "output" and record.price:
                record = record.model_copy(update={"price": record.price * 2})
            out.append(record)
        return out
    return replace(real, parse=buggy)


def test_reparse_of_unknown_source_is_an_error(tmp_path: Path) -> None:
    ingest_all(tmp_path / "x.duckdb")
    with pytest.raises(InputError, match=r"no archived runs for nscale\.models"):
        pipeline.reparse(load_settings(db_path=tmp_path / "x.duckdb"), ["nscale.models"])
