"""`pricewatch db upgrade`: bring a database file up to date in place, safely.

Three things can be out of date in a file another pricewatch (or another DuckDB) wrote: the
schema (migrations), the views, and the storage format (DuckDB 2.0 wrote "latest", which no
1.x client opens). Migrations and views are applied in the file. A different storage
format needs a new file: the database is copied into one written in the configured
`storage_version`, every table's row count is compared, and the new file is renamed over
the old one (atomic on one filesystem). The old file is kept beside it as
`NAME.before-upgrade` unless told otherwise; the body archive folder is keyed by the file's
name and stays where it is. The write lock is held throughout, so no run writes to the old
file after it was copied.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pricewatch.errors import PricewatchError
from pricewatch.settings import Settings
from pricewatch.warehouse import lake as lakes
from pricewatch.warehouse.db import (
    _attached,
    _lake_attached,
    _schema_version,
    is_lake_connection,
    migrate,
    quote_literal,
)
from pricewatch.warehouse.target import LakeTarget, target_of

COPY_ALIAS = "pricewatch_upgraded"


class UpgradeError(PricewatchError):
    """The copy did not match the original: nothing was swapped."""


@dataclass
class UpgradeReport:
    path: Path | str  # a file, or a lake's label
    storage_before: str
    storage_after: str
    migrations: list[int] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)  # rows per table, when copied
    backup: Path | None = None

    @property
    def copied(self) -> bool:
        return bool(self.tables)


def storage_version(con: duckdb.DuckDBPyConnection, database: str) -> str:
    """The storage format an attached database was written in, as DuckDB names it
    (`v1.4.0+`, `v2.0.0+`); read from the file header where DuckDB does not say."""
    row = con.execute("SELECT tags, path FROM duckdb_databases() WHERE database_name = ?",
                      [database]).fetchall()
    tags, path = row[0] if row else ({}, None)
    if tags and tags.get("storage_version"):
        return str(tags["storage_version"])
    with open(path, "rb") as handle:  # "DUCK" at offset 8, then the version number
        header = handle.read(20)
    return f"storage number {int.from_bytes(header[12:20], 'little')}"


def storage_of(con: duckdb.DuckDBPyConnection) -> str:
    """What the warehouse in use is stored as: `ducklake`, or a file's DuckDB format."""
    return "ducklake" if is_lake_connection(con) else storage_version(con, "pricewatch")


def upgrade_warehouse(settings: Settings, *, keep_backup: bool = True,
                      install_views=None) -> UpgradeReport:
    """`db upgrade` on whatever the settings name: a lake's migrations and views, or a
    file's, rewritten in the configured storage_version when it is in another."""
    target = target_of(settings)
    if isinstance(target, LakeTarget):
        return upgrade_lake(target.lake, install_views)
    return upgrade(target.path, settings.storage_version,
                   lock_timeout_s=settings.lock_timeout_s, file_mode=settings.file_mode,
                   keep_backup=keep_backup, install_views=install_views)


def _same_format(current: str, wanted: str) -> bool:
    return current.rstrip("+") == wanted or (wanted == "latest" and current.startswith("v2"))


def _table_counts(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, int]:
    names = [row[0] for row in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary "
        "ORDER BY table_name", [database]).fetchall()]
    return {name: con.execute(f'SELECT count(*) FROM "{database}"."{name}"').fetchall()[0][0]
            for name in names}


def upgrade_lake(lake: lakes.Lake, install_views=None) -> UpgradeReport:
    """A lake's `upgrade`: migrations and views. Its storage is Parquet files, which every
    DuckDB with the ducklake extension reads: nothing to rewrite."""
    with _lake_attached(lake, False) as con:
        if _schema_version(con) == 0:
            raise UpgradeError(f"no pricewatch warehouse in {lake.label}: a command that "
                               "writes (ingest, collect, run) creates it")
        report = UpgradeReport(lake.label, "ducklake", "ducklake")
        report.migrations = migrate(con)
        if install_views is not None:
            install_views(con)
    return report


def upgrade(path: Path, wanted: str, *, lock_timeout_s: float, file_mode: int,
            keep_backup: bool = True, install_views=None) -> UpgradeReport:
    """Migrate, install the views (`install_views(con)`), and rewrite the file in `wanted`
    storage if it is in another one. Raises UpgradeError when the copy differs."""
    path = Path(path).absolute()
    if not path.exists():
        raise UpgradeError(f"no database at {path}")
    copy = path.with_name(path.name + ".upgrade-tmp")
    for leftover in (copy, copy.with_name(copy.name + ".wal")):
        leftover.unlink(missing_ok=True)  # an upgrade that died before its swap
    with _attached(path, False, lock_timeout_s) as con:
        report = UpgradeReport(path, storage_version(con, "pricewatch"), "")
        report.migrations = migrate(con)  # checkpointed
        if install_views is not None:
            install_views(con)
        if _same_format(report.storage_before, wanted):
            report.storage_after = report.storage_before
            return report
        con.execute("CHECKPOINT")
        con.execute(f"ATTACH {quote_literal(str(copy))} AS {COPY_ALIAS} "
                    f"(STORAGE_VERSION {quote_literal(wanted)})")
        try:
            con.execute(f"COPY FROM DATABASE pricewatch TO {COPY_ALIAS}")
            before, after = _table_counts(con, "pricewatch"), _table_counts(con, COPY_ALIAS)
            report.storage_after = storage_version(con, COPY_ALIAS)
        finally:
            con.execute(f"DETACH {COPY_ALIAS}")
        if before != after:
            copy.unlink(missing_ok=True)
            differ = sorted(k for k in before.keys() | after.keys()
                            if before.get(k) != after.get(k))
            raise UpgradeError(f"the copy of {path} differs in {', '.join(differ)}; the "
                               "original is untouched")
        report.tables = after
        con.execute("CHECKPOINT")  # no WAL of the old file may be left to replay on the new
        os.chmod(copy, file_mode)
        if keep_backup:
            report.backup = path.with_name(path.name + ".before-upgrade")
            report.backup.unlink(missing_ok=True)
            os.link(path, report.backup)
        os.replace(copy, path)  # still holding the old file's lock: nothing wrote meanwhile
    return report
