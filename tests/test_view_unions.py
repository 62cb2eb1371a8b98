"""Every view gives the same rows alone and beside any other view in one query (issue 29,
item 2): duckdb 2.0.1 dropped every new_offer alert from `price_alerts` read in a UNION ALL
with `offer_changes` (docs/duckdb-union-all-repro.md). Run on both duckdb lines by .ci/run."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import ingest_catalogues
from pricewatch.warehouse.db import open_db


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return ingest_catalogues(tmp_path_factory.mktemp("unions") / "w.duckdb",
                             ["2025-12-18", "2026-01-29", "2026-05-07", "2026-10-07"])


def test_every_view_counts_the_same_beside_every_other(warehouse: Path) -> None:
    with open_db(warehouse, read_only=True) as con:
        views = [row[0] for row in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal "
            "AND database_name = current_database() ORDER BY 1").fetchall()]
        alone = {v: con.execute(f"SELECT count(*) FROM {v}").fetchone()[0] for v in views}
        wrong = []
        for view in views:
            for other in views:
                if other == view:
                    continue
                union = con.execute(f"SELECT count(*) FROM {view} UNION ALL "
                                    f"SELECT count(*) FROM {other}").fetchall()
                joined = con.execute(f"WITH a AS (SELECT count(*) AS n FROM {view}), "
                                     f"b AS (SELECT count(*) AS n FROM {other}) "
                                     "SELECT a.n, b.n FROM a, b").fetchall()
                if union != [(alone[view],), (alone[other],)] or \
                        joined != [(alone[view], alone[other])]:
                    wrong.append(f"{view} beside {other}: {union} / {joined}, alone "
                                 f"{alone[view]} and {alone[other]}")
    assert len(views) >= 15 and alone["price_alerts"] > 0 and alone["offer_changes"] > 0
    assert wrong == []


def test_offer_changes_kinds_on_the_shared_catalogues(warehouse: Path) -> None:
    """The window-function form of offer_changes gives what the self-join form gave."""
    with open_db(warehouse, read_only=True) as con:
        kinds = dict(con.execute("SELECT kind, count(*) FROM offer_changes GROUP BY ALL"
                                 ).fetchall())
        joined = con.execute("""
            SELECT count(*) FILTER (o.key_hash IS NULL), count(*) FILTER (o.key_hash IS NOT NULL)
            FROM offer_history n
            LEFT JOIN offer_history o ON o.key_hash = n.key_hash AND o.valid_to = n.valid_from
            """).fetchone()
        unlisted = con.execute("""
            SELECT count(*) FROM offer_history o WHERE o.valid_to IS NOT NULL AND NOT EXISTS
              (SELECT 1 FROM offer_history n WHERE n.key_hash = o.key_hash
               AND n.valid_from = o.valid_to)""").fetchone()[0]
    assert (kinds.get("listed"), kinds.get("changed"), kinds.get("unlisted")) == (
        joined[0], joined[1] or None, unlisted)
