"""What a run needs to know before it fetches: read-only questions to the warehouse.

State lives in rows anyone can query (STYLE.md: no hidden state): conditional-GET
validators are the last successful fetch of each URL, and the OpenRouter catalogue that
an endpoint sweep walks is the current set of catalogue offers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class Validators:
    """The last archived body of a URL and the validators it came with."""

    url: str
    etag: str | None
    last_modified: str | None
    content_sha256: str


# One whole row per URL: validators and body of the same fetch. (arg_max per column skips
# NULLs, so a later body sent without an ETag got the ETag of an earlier, different body,
# and the server's 304 was then resolved to the wrong body: found by the fault matrix.)
VALIDATORS_SQL = """
SELECT url, etag, last_modified, content_sha256
FROM fetch_log
WHERE source = ? AND content_sha256 IS NOT NULL AND status_code IN (200, 304)
QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetch_id DESC) = 1
"""


def validators(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Validators]:
    return {row[0]: Validators(*row) for row in con.execute(VALIDATORS_SQL, [source]).fetchall()}


def current_models(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Model ids with a current offer from `source` (e.g. the OpenRouter catalogue)."""
    return [row[0] for row in con.execute(
        "SELECT DISTINCT model FROM offer_history WHERE source = ? AND valid_to IS NULL "
        "ORDER BY model", [source]).fetchall()]


def provider_slugs(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, str]:
    """An aggregator's provider directory as display name (lower case) -> slug, every name
    it has used (the latest slug per name), so a renamed provider still maps."""
    return {row[0]: row[1] for row in con.execute(
        "SELECT lower(name), arg_max(slug, valid_from) FROM provider_directory_history "
        "WHERE source = ? AND name IS NOT NULL GROUP BY lower(name)", [source]).fetchall()}


def run_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every source with a run, as `reparse` may rebuild them."""
    return [row[0] for row in con.execute(
        "SELECT DISTINCT source FROM runs ORDER BY source").fetchall()]


def run_exists(con: duckdb.DuckDBPyConnection, source: str, observed_at: datetime) -> bool:
    """A run of `source` at that time is in: a spooled run another process drained first."""
    return bool(con.execute("SELECT 1 FROM runs WHERE source = ? AND observed_at = ?",
                            [source, observed_at]).fetchall())


def ingested_versions(con: duckdb.DuckDBPyConnection, source: str
                      ) -> set[tuple[datetime, str]]:
    """(time, body digest) of the source's runs that read a body: a backfill skips the
    versions it finds here without parsing or writing them."""
    return set(con.execute(
        "SELECT observed_at, content_sha256 FROM runs WHERE source = ? AND status <> "
        "'failed' AND content_sha256 IS NOT NULL", [source]).fetchall())
