"""pytest set-up: Hypothesis profiles and the fixtures tests share. Plain helpers live in
tests/helpers (imported as `helpers`), never imported from here."""

from __future__ import annotations

import os
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


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(db_path=tmp_path / "test.duckdb", lock_timeout_s=20)
