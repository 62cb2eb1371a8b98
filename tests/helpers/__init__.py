"""Helpers the tests share (and bench/ reuses): fixture paths, record lines, a config writer,
the SCD2 invariants, and, in submodules, the local fake provider (`fake_provider`), the
Vertex test page built from real fragments (`vertex_pages`) and shared captures (`captures`).

Real captures are read from ../shared/fixtures, never copied into this repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pricewatch.warehouse.history import SPECS

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
HISTORY_TABLES = tuple(spec.table for spec in SPECS)


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


# A process reading the warehouse beside a daemon (test_daemon.py, bench/daemon_lock.py):
# argv DB EXPORTS SECONDS; prints its rounds, the Parquet files it read and its slowest open.
READER = textwrap.dedent("""
    import sys, time, glob
    import duckdb
    from pricewatch.warehouse.db import open_db
    db, exports, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    deadline, queries, files, slowest = time.monotonic() + seconds, 0, 0, 0.0
    while time.monotonic() < deadline:
        began = time.monotonic()
        with open_db(db, read_only=True, lock_timeout_s=30) as con:
            con.execute("SELECT count(*) FROM price_history").fetchall()
            con.execute("SELECT count(*) FROM runs").fetchall()
        slowest = max(slowest, time.monotonic() - began)
        for path in glob.glob(exports + "/*.parquet"):
            duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()
            files += 1
        queries += 1
        time.sleep(0.1)
    print(queries, files, slowest)
""")


def hf_router_daemon_config(folder: Path, provider_url: Callable[[str], str],
                            webhook_url: str) -> Path:
    """The config of `pricewatch run` in tests/test_daemon.py and bench/daemon_lock.py:
    nscale's router list from a local server every second, no jitter, the heartbeat, the
    export and the report in `folder`, and one signed webhook channel for price drops (its
    secret in PW_TEST_WEBHOOK_SECRET)."""
    return write_config(folder, f"""
[nscale]
api_base = "{provider_url('/v1')}"
hf_router_url = "{provider_url('/hf/v1/models')}"
limits_page_url = "{provider_url('/docs/rate-limits')}"
allowed_hosts = ["127.0.0.1"]
[daemon]
schedule = {{ "nscale.hf-router" = 1 }}
jitter_s = 0
heartbeat_file = "{folder / 'heartbeat.json'}"
export_dir = "{folder / 'exports'}"
report_path = "{folder / 'site' / 'index.html'}"
alert_retry_base_s = 0.5
log_format = "json"
[[channels]]
name = "hook"
webhook_url = "{webhook_url}"
webhook_secret_env = "PW_TEST_WEBHOOK_SECRET"
kinds = ["price_drop"]
""")


def history_violations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The SCD2 invariants, over every history table: no two intervals of one key overlap,
    at most one open interval per key, and no run is left `running`. A table the schema
    does not have yet (a process killed between two migrations) holds nothing to check."""
    found = []
    present = {row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
    ).fetchall()}
    for table in (t for t in HISTORY_TABLES if t in present):
        overlaps = con.execute(
            f"SELECT count(*) FROM {table} a JOIN {table} b ON a.key_hash = b.key_hash "
            "AND a.valid_from < b.valid_from AND (a.valid_to IS NULL OR a.valid_to > "
            "b.valid_from)").fetchall()[0][0]
        if overlaps:
            found.append(f"{table}: {overlaps} overlapping intervals")
        open_twice = con.execute(
            f"SELECT count(*) FROM (SELECT key_hash FROM {table} WHERE valid_to IS NULL "
            "GROUP BY key_hash HAVING count(*) > 1)").fetchall()[0][0]
        if open_twice:
            found.append(f"{table}: {open_twice} keys open twice")
    running = con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchall()[0][0]
    if running:
        found.append(f"{running} runs left 'running'")
    return found


def wait_for(condition, timeout: float, what: str) -> None:
    """Poll `condition` every 0.2 s until it holds, or fail naming `what` it waited for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def ingest_catalogues(db: Path, days: tuple[str, ...] | list[str]) -> Path:
    """The shared OpenRouter catalogue captures `models-DAY.json` ingested in the given
    order, each at 00:00 UTC of its day; returns the database."""
    from pricewatch.pipeline import run as pipeline
    from pricewatch.settings import load_settings

    settings = load_settings(db_path=db)
    for day in days:
        name = f"models-{day}.json"
        pipeline.ingest_body(settings, "openrouter.models",
                             fixture_path("openrouter", name).read_bytes(),
                             datetime.fromisoformat(day).replace(tzinfo=UTC), name)
    return db


def git(repo: Path, *args: str, when: str | None = None) -> str:
    """`git -C repo ARGS` with a fixed identity and, given `when`, that commit time."""
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org")
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True).stdout


def commit(repo: Path, name: str, body: bytes, when: str) -> None:
    (repo / name).write_bytes(body)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"{name} at {when}", when=when)
