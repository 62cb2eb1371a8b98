"""`pricewatch db compact`: keep a DuckLake's data files few, so its reads stay fast.

Every run on a lake writes small Parquet files, and every interval it closes adds a delete
file: after 100 runs of 10,000 records `price_history` was 7,264 files, and the views read
3x slower than after a merge (bench/README.md). Compacting merges adjacent small files and
rewrites files that are mostly deleted rows, in one write unit (a conflict with a run is
retried like any write). History and time travel are untouched: the old files stay for the
snapshots that name them. `expire_days` also expires snapshots older than that many days
(time travel stops there) and deletes the files no snapshot needs any more, and those of
commits that conflicted and were retried, once they are an hour old (a reader still
scanning them, or a write still committing, is not cut off).

A DuckDB file needs none of this: DuckDB reuses its free blocks itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from pricewatch.warehouse.db import ALIAS, fetch_one, in_transaction, is_lake_connection

CLEANUP_AFTER = timedelta(hours=1)  # unneeded files are deleted after this, not at once


@dataclass
class CompactReport:
    files_before: int  # data and delete files the current snapshot reads
    files_after: int
    snapshots_expired: int = 0
    files_deleted: int = 0  # from storage: unneeded by every snapshot left


def live_files(con: duckdb.DuckDBPyConnection) -> int:
    row = fetch_one(con, "SELECT coalesce(sum(file_count + delete_file_count), 0) "
                         f"FROM ducklake_table_info('{ALIAS}')")
    return int(row[0]) if row else 0


def compact(con: duckdb.DuckDBPyConnection, expire_days: float | None = None,
            now: datetime | None = None) -> CompactReport | None:
    """Merge and rewrite the lake's files (None on a file: nothing to do)."""
    if not is_lake_connection(con):
        return None
    now = now or datetime.now(UTC)
    report = CompactReport(live_files(con), 0)

    def merge() -> None:
        con.execute(f"CALL ducklake_merge_adjacent_files('{ALIAS}')").fetchall()
        con.execute(f"CALL ducklake_rewrite_data_files('{ALIAS}')").fetchall()

    def expire() -> tuple[int, int]:
        expired = con.execute(f"CALL ducklake_expire_snapshots('{ALIAS}', older_than => ?)",
                              [now - timedelta(days=expire_days or 0)]).fetchall()
        deleted = con.execute(f"CALL ducklake_cleanup_old_files('{ALIAS}', older_than => ?)",
                              [now - CLEANUP_AFTER]).fetchall()
        # files of commits that conflicted and were retried: in no snapshot at all
        orphans = con.execute(f"CALL ducklake_delete_orphaned_files('{ALIAS}', "
                              "older_than => ?)", [now - CLEANUP_AFTER]).fetchall()
        return len(expired), len(deleted) + len(orphans)

    in_transaction(con, merge, "compact")
    if expire_days is not None:
        report.snapshots_expired, report.files_deleted = in_transaction(
            con, expire, "expire snapshots")
    report.files_after = live_files(con)
    return report
