"""`pricewatch db migrate-to ducklake:…`: an existing file warehouse copied into a lake.

The file is opened for writing (so no run lands in it during the copy) and migrated; the
lake is attached beside it in the same DuckDB, created if new, and must be empty. Every
table of pricewatch's is copied as it is, run and fetch ids included (a user's own tables
and views are not, and are named), in one transaction on the lake: the
lake either holds the whole history or nothing. Before that commit, the raw bodies are
copied into the lake's archive folder (the gzip files as they are; bodies a file stored
inline before migration 0006 written out as files), so a committed row always has its body
and `reparse` works on the lake. The id counters continue after the file's largest ids.
The file is left as it was.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

from pricewatch.errors import PricewatchError
from pricewatch.settings import Settings
from pricewatch.warehouse import lake as lakes
from pricewatch.warehouse.bodies import archive_dir, body_path, read_body, write_body
from pricewatch.warehouse.db import (
    WarehouseError,
    attach_lake,
    fetch_one,
    migrate,
    open_warehouse,
    transaction,
)
from pricewatch.warehouse.target import LakeTarget, label_of, parse_target, target_of

TARGET = "pricewatch_lake"  # the lake's alias during the copy
# bodies become files; counters are set; the views are created in the lake afterwards (a
# copied checksum would say they were there already)
NOT_COPIED = {"raw_bodies_inline", "id_counters", "views_installed"}


class MigrateError(PricewatchError):
    """The lake cannot take the copy (not empty, unreachable); nothing was written to it."""


@dataclass
class CopyReport:
    lake: str
    tables: dict[str, int] = field(default_factory=dict)  # rows copied per table
    bodies: int = 0
    other_tables: list[str] = field(default_factory=list)  # not pricewatch's: not copied
    views: list[str] = field(default_factory=list)  # the file's views: none copied

    @property
    def runs(self) -> int:
        return self.tables.get("runs", 0)


def migrate_to(settings: Settings, target: str, data_path: str | None,
               archive_path: str | None = None) -> CopyReport:
    """Copy the file warehouse of `settings` into the lake `target`."""
    if isinstance(target_of(settings), LakeTarget):
        raise MigrateError(f"{label_of(settings)} is a lake already; "
                           "--db names the file to copy")
    into = parse_target(target, data_path, archive_path)
    if not isinstance(into, LakeTarget):
        raise MigrateError(f"{target!r} is not a DuckLake target (ducklake:postgres:… or "
                           "ducklake:sqlite:…)")
    lake = into.lake
    report = CopyReport(lake.label)
    with open_warehouse(settings) as con:
        _attach(con, lake)
        try:
            tables, report.other_tables, report.views = _tables_to_copy(con)
            busy = [t for t in tables if t != "schema_migrations" and fetch_one(
                con, f"SELECT 1 FROM {TARGET}.{t} LIMIT 1")]
            if busy:
                raise MigrateError(f"{lake.label} is not empty ({', '.join(busy)} hold rows): "
                                   "migrate-to copies into a new lake only")
            source_archive = archive_dir(con)
            with transaction(con):
                report.bodies = _copy_bodies(con, source_archive, lake.archive)
                for table in tables:
                    if table == "schema_migrations":
                        continue
                    con.execute(f"INSERT INTO {TARGET}.{table} BY NAME "
                                f"SELECT * FROM pricewatch.{table}")
                    report.tables[table] = int(fetch_one(
                        con, f"SELECT count(*) FROM pricewatch.{table}")[0])
                for counter, column, table in (("run", "run_id", "runs"),
                                               ("fetch", "fetch_id", "fetch_log")):
                    con.execute(f"UPDATE {TARGET}.id_counters SET next_id = (SELECT "
                                f"coalesce(max({column}), 0) + 1 FROM pricewatch.{table}) "
                                "WHERE name = ?", [counter])
        finally:
            con.execute("USE pricewatch")
            con.execute(f"DETACH {TARGET}")
    return report


def _tables_to_copy(con) -> tuple[list[str], list[str], list[str]]:
    """The file's tables that the new lake's schema has (pricewatch's), its other tables (a
    user's own), and its views (none is copied: the lake gets pricewatch's installed)."""
    def names(sql: str, database: str) -> list[str]:
        return [row[0] for row in con.execute(sql, [database]).fetchall()]

    tables_sql = ("SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                  "AND NOT temporary ORDER BY table_name")
    in_lake = set(names(tables_sql, TARGET))
    in_file = [t for t in names(tables_sql, "pricewatch") if t not in NOT_COPIED]
    views = names("SELECT view_name FROM duckdb_views() WHERE database_name = ? "
                  "AND NOT internal ORDER BY view_name", "pricewatch")
    return ([t for t in in_file if t in in_lake], [t for t in in_file if t not in in_lake],
            views)


def _attach(con, lake: lakes.Lake) -> None:
    """The lake attached as TARGET beside the file, migrated (a new lake is created)."""
    try:
        lakes.load_extensions(con, lake.kind)
        attach_lake(con, lake, False, TARGET)
    except lakes.LakeError as error:
        raise MigrateError(str(error)) from None
    except Exception as error:  # duckdb's errors name the catalog; never a password
        raise MigrateError(lakes.explain(error, lake)) from None
    con.execute(f"USE {TARGET}")
    try:
        migrate(con)
    except WarehouseError as error:
        raise MigrateError(f"{lake.label}: {error}") from None
    finally:
        con.execute("USE pricewatch")


def _copy_bodies(con, source: Path, target: Path) -> int:
    """Every body the file records, as a file in the lake's archive (before the commit)."""
    count = 0
    inline = dict(con.execute("SELECT content_sha256, body_zlib FROM "
                              "pricewatch.raw_bodies_inline").fetchall())
    for (sha,) in con.execute("SELECT content_sha256 FROM pricewatch.raw_bodies").fetchall():
        content = zlib.decompress(inline[sha]) if sha in inline else read_body(source, sha)
        if content is None:
            raise MigrateError(f"body {sha} is recorded but its file {body_path(source, sha)} "
                               "is missing; nothing was copied")
        write_body(target, sha, content)  # checked against its sha256 on the way
        count += 1
    return count
