"""Shared test helpers. Real captures are read from ../shared/fixtures, never copied here."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from pricewatch.settings import Settings, load_settings

# Quick by default; `HYPOTHESIS_PROFILE=long pytest` runs ten times the examples.
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
hypothesis_settings.register_profile("default", max_examples=40, **_COMMON)
hypothesis_settings.register_profile("long", max_examples=400, **_COMMON)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def fixture_path(*parts: str) -> Path:
    path = FIXTURES.joinpath(*parts)
    assert path.is_file(), f"shared fixture missing: {path} (CI lays ../shared beside the repo)"
    return path


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def price_line(model: str, price: str | None, component: str = "input", *,
               source: str = "records", provider: str = "openrouter", **extra: object) -> str:
    data = {"kind": "price", "source": source, "provider": provider, "model": model,
            "route": "", "component": component, "service_tier": "standard",
            "context_threshold": 0, "unit": "per_1m_tokens", "price": price, "currency": "USD"}
    data.update(extra)
    return json.dumps(data)


def jsonl(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def write_config(tmp_path: Path, sections: str, **fetch: object) -> Path:
    """A pricewatch.toml for end-to-end tests: the database in tmp_path, fast retries and
    no pacing (the local server needs no politeness), then the given sections."""
    options = {"backoff_initial_s": 0.01, "backoff_max_s": 0.05, "min_request_interval_s": 0,
               **fetch}
    fetch_lines = "\n".join(f"{key} = {value!r}" for key, value in options.items())
    path = tmp_path / "pricewatch.toml"
    path.write_text(f'db_path = "{tmp_path / "pw.duckdb"}"\n[fetch]\n{fetch_lines}\n'
                    + sections)
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(db_path=tmp_path / "test.duckdb", lock_timeout_s=20)
