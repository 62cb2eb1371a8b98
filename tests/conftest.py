"""pytest set-up: Hypothesis profiles and the fixtures tests share. Plain helpers live in
tests/helpers (imported as `helpers`), never imported from here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from helpers.lake import postgres_lake
from pricewatch.settings import Settings, load_settings

# Quick by default; `HYPOTHESIS_PROFILE=long pytest` runs ten times the examples.
_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
hypothesis_settings.register_profile("default", max_examples=40, **_COMMON)
hypothesis_settings.register_profile("long", max_examples=400, **_COMMON)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# Modules whose `db_target` (and so `settings`, and test_views' `warehouse`) is a file and,
# parametrized, a DuckLake: the warehouse, view, reparse, alert and export tests.
TWO_BACKENDS = {"test_history", "test_views", "test_reparse", "test_alerts_exports",
                "test_sql_sandbox"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module in TWO_BACKENDS and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["file", "lake"], indirect=True,
                             scope="module" if module == "test_views" else "function")


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    """`file` or `lake`: where this test's warehouse lives."""
    return getattr(request, "param", "file")


@pytest.fixture
def db_target(tmp_path: Path, backend: str, request: pytest.FixtureRequest,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A new warehouse for one test: a file path, or a DuckLake target on a database of
    its own (its data path in the environment, as a user would set it)."""
    if backend == "file":
        yield tmp_path / "test.duckdb"
        return
    if request.node.get_closest_marker("file_only"):
        pytest.skip("about the database file itself")
    with postgres_lake(tmp_path) as (target, data):
        monkeypatch.setenv("PRICEWATCH_DUCKLAKE__DATA_PATH", str(data))
        yield Path(target)


@pytest.fixture
def settings(db_target: Path) -> Settings:
    return load_settings(db_path=db_target, lock_timeout_s=20)


# Skips that are by design (a file-only test on the lake backend) are not gaps of this
# machine; the others are counted by reason in one line, so a local run that skipped the
# lake, browser or cross-version tests says so plainly.
_BY_DESIGN = ("about the database file itself",)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(
            report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        if not any(mark in reason for mark in _BY_DESIGN):
            reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        listed = " | ".join(f"{count} x {reason}" for reason, count in
                           sorted(reasons.items(), key=lambda item: -item[1]))
        terminalreporter.write_line(
            f"NOT RUN HERE ({sum(reasons.values())} tests): {listed}. "
            "`bash .ci/run` installs what they need and runs them all.", yellow=True)
