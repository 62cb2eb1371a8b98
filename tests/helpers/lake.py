"""DuckLake test targets: a database of their own in the machine's PostgreSQL per test.

The lake tests run where the DuckLake extensions load offline (duckdb 1.5.5 with the
`pricewatch[ducklake]` wheels) and PostgreSQL answers on 127.0.0.1:5432; elsewhere they
skip, except under PRICEWATCH_LAKE_REQUIRED=1 (set by .ci/run for that suite), where they
fail instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pricewatch.warehouse import lake as lakes

PG = {"host": os.environ.get("PRICEWATCH_TEST_PGHOST", "127.0.0.1"),
      "user": os.environ.get("PRICEWATCH_TEST_PGUSER", "postgres")}
# .ci/run sets a prefix of its own and drops what a killed run left under it
PREFIX = os.environ.get("PRICEWATCH_TEST_DB_PREFIX", "pricewatch_test_")


def unavailable() -> str | None:
    """Why a lake cannot be tested here, or None."""
    found = lakes.extension_paths()
    if not {"ducklake", "postgres_scanner"} <= set(found):
        return "the DuckLake extension wheels for this duckdb are not installed"
    if shutil.which("createdb") is None:
        return "PostgreSQL's createdb is not on PATH"
    ready = subprocess.run(["pg_isready", "-h", PG["host"]], capture_output=True, text=True)
    if ready.returncode != 0:
        return f"PostgreSQL does not answer on {PG['host']}: {ready.stdout.strip()}"
    return None


def require() -> None:
    why = unavailable()
    if why is None:
        return
    if os.environ.get("PRICEWATCH_LAKE_REQUIRED") == "1":
        pytest.fail(f"DuckLake tests are required here but cannot run: {why}")
    pytest.skip(why)


def _pg(command: str, name: str) -> None:
    subprocess.run([command, "-h", PG["host"], "-U", PG["user"], name], check=True,
                   capture_output=True, timeout=60)


@contextmanager
def postgres_lake(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(`ducklake:postgres:…` target, data folder) on a new database, dropped after."""
    require()
    name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
    _pg("createdb", name)
    try:
        yield (f"ducklake:postgres:dbname={name} host={PG['host']} user={PG['user']}",
               tmp_path / f"{name}-data")
    finally:
        subprocess.run(["dropdb", "--force", "-h", PG["host"], "-U", PG["user"], name],
                       capture_output=True, timeout=60)
