"""Files for dashboards: the history tables and the views as Parquet (or CSV).

Layout of an export folder:
- `NAME/YYYY-MM.parquet` for what grows with history: the history tables and `runs` by the
  UTC month an interval began (`valid_from`) or a run was observed, the change views
  (`price_changes`, `offer_changes`, `rate_limit_changes`, `price_alerts`) by the month of
  the change. Read a whole one as `read_parquet('DIR/price_history/*.parquet')`.
- `NAME.parquet` for every other view (what is current: small, rewritten whole).
- `manifest.json`: every file with its rows and sha256, the newest run the export covers
  (`through_run`), when it was written, and the warehouse schema and views it was written
  with (`schema_version`, `views_checksum`): after an upgrade that changes either, the next
  `export_changed()` writes the folder whole, so a month written before never sits beside
  one with other columns or computed by other SQL.

Each file is written under a temporary name and renamed, so a reader never sees half a
file; the manifest is written last. `export()` writes everything; `export_changed()` (the
daemon, after runs) rewrites only the months and views the runs since the last export
touched, and nothing at all when those runs changed nothing, so its cost follows the change,
not the history. `export()` computes each change view once into a scratch DuckDB file in the
folder (`.stage.PID.duckdb`, removed after) and writes its months from there, so its cost
follows the history, not months x history, within MEMORY_LIMIT (queries/exports.py). The
database is attached read-only, once per export.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pricewatch import queries
from pricewatch.errors import InputError
from pricewatch.queries import exports as sql
from pricewatch.settings import Settings
from pricewatch.text import iso_utc
from pricewatch.warehouse.db import SCHEMA_VERSION
from pricewatch.warehouse.history import SPECS
from pricewatch.warehouse.target import label_of

MANIFEST = "manifest.json"
MANIFEST_VERSION = 2  # 1: one file per table and view


@dataclass(frozen=True)
class Monthly:
    """A table or view exported as one file per UTC month of `column`; `since` is the
    windowed macro that reads a month without the whole history (when there is one)."""

    name: str
    column: str
    since: str | None = None

    def select(self, start: str, end: str, staged: str | None = None) -> str:
        if staged:
            return sql.month_rows(staged, self.column, None, start, end)
        return sql.month_rows(self.name, self.column, self.since, start, end)


MONTHLY = (*(Monthly(spec.table, "valid_from") for spec in SPECS),
           Monthly("runs", "observed_at"),
           Monthly("price_changes", "changed_at", "price_changes_since"),
           Monthly("price_alerts", "detected_at", "price_alerts_since"),
           Monthly("offer_changes", "changed_at"),
           Monthly("rate_limit_changes", "changed_at"))
BY_NAME = {item.name: item for item in MONTHLY}
HISTORY = {spec.table for spec in SPECS}
TABLES = HISTORY | {"runs"}  # read a month at a time directly; the rest are views


def _month_bounds(month: str) -> tuple[str, str]:
    year, number = map(int, month.split("-"))
    following = f"{year + number // 12:04d}-{number % 12 + 1:02d}"
    return f"{month}-01 00:00:00+00", f"{following}-01 00:00:00+00"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Writer:
    """Writes files into an export folder and remembers them for the manifest."""

    def __init__(self, con: duckdb.DuckDBPyConnection, settings: Settings, out_dir: Path,
                 fmt: str, files: dict[str, dict[str, Any]]) -> None:
        self.con, self.settings, self.out_dir, self.fmt = con, settings, out_dir, fmt
        self.files = files

    def copy(self, relative: str, select: str) -> None:
        final = self.out_dir / relative
        if not final.parent.is_dir():
            final.parent.mkdir(parents=True)
            # a folder of months: searchable by whoever may read its files
            os.chmod(final.parent, self.settings.file_mode | (self.settings.file_mode & 0o444) >> 2)
        temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        written = sql.copy(self.con, select, temporary, self.fmt)
        os.chmod(temporary, self.settings.file_mode)
        os.replace(temporary, final)
        self.files[relative] = {"rows": written, "sha256": _sha256(final)}

    def month(self, item: Monthly, month: str, staged: str | None = None) -> None:
        """One month of `item` (read from `staged` when given); a month without rows has no
        file."""
        start, end = _month_bounds(month)
        relative = f"{item.name}/{month}.{self.fmt}"
        self.copy(relative, item.select(start, end, staged))
        if self.files[relative]["rows"] == 0:
            self.forget_month(item, month)

    def months(self, item: Monthly, months: set[str], stage: bool) -> None:
        """The given months of `item`; with `stage`, a view (not a table) with more than
        one month to write is computed once first, so the cost is its history's, not
        months x history."""
        if not (stage and item.name not in TABLES and len(months) > 1):
            for month in sorted(months):
                self.month(item, month)
            return
        path = self.out_dir / f".stage.{os.getpid()}.duckdb"
        with sql.staged(self.con, item.name, item.column, path) as table:
            for month in sorted(months):
                self.month(item, month, table)

    def whole(self, view: str) -> None:
        self.copy(f"{view}.{self.fmt}", sql.all_rows(view))

    def write(self, months: dict[str, set[str]], views: list[str], stage: bool = False) -> None:
        """The given months of each monthly table and view, then every other view whole."""
        for item in MONTHLY:
            self.months(item, months[item.name], stage)
        for view in views:
            if view not in BY_NAME:
                self.whole(view)

    def forget_month(self, item: Monthly, month: str) -> None:
        """A month that no longer has rows (a reparse removed them); its folder goes too
        when it was the last month (an export never leaves an empty folder)."""
        relative = f"{item.name}/{month}.{self.fmt}"
        (self.out_dir / relative).unlink(missing_ok=True)
        self.files.pop(relative, None)
        folder = self.out_dir / item.name
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def _months(con: duckdb.DuckDBPyConnection, item: Monthly, since: int | None = None) -> set[str]:
    """The months `item` has rows in; with `since`, only those the runs after it touched
    (a change view's months are its runs': a change happens at a run's observation)."""
    if item.name in HISTORY:
        table, column, kind = item.name, item.column, "history"
    elif item.name == "runs":
        table, column, kind = "runs", "observed_at", "runs"
    else:
        table, column, kind = "runs", "observed_at", "change"
    if since is None:
        return sql.months(con, table, column)
    return sql.months(con, table, column, kind, since)


def _check_format(fmt: str) -> None:
    if fmt not in ("parquet", "csv"):
        raise InputError(f"export format {fmt!r}: use parquet or csv")


def export(settings: Settings, out_dir: Path, fmt: str = "parquet") -> dict[str, Any]:
    """Write every table and view, every month; returns the manifest."""
    _check_format(fmt)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} is a file: give a folder (it is created if missing)")
    out_dir.mkdir(parents=True, exist_ok=True)
    with queries.open_gold(settings) as con:
        through = sql.runs_after(con, 0)[0]
        months = {item.name: _months(con, item) for item in MONTHLY}
        months["price_alerts"] |= (cheapest := sql.cheapest_months(con))
        writer = _Writer(con, settings, out_dir, fmt, {})
        for item in MONTHLY:
            stale = {p.stem for p in (out_dir / item.name).glob(f"*.{fmt}")} - months[item.name]
            for month in sorted(stale):
                writer.forget_month(item, month)
        with sql.bounded_memory(con):
            writer.write(months, sql.views(con), stage=True)
    return _write_manifest(settings, out_dir, fmt, writer.files, through, cheapest)


def export_changed(settings: Settings, out_dir: Path, fmt: str = "parquet", *,
                   changes: int | None = None) -> dict[str, Any]:
    """After runs: rewrite only what the runs since the last export changed (the months they
    opened or closed intervals in, the months of their changes, and the current views);
    nothing when they changed nothing. `changes` is what the caller knows they changed
    (a caller that counts its runs' changes): 0 returns without opening the database. A
    folder without a current manifest, or one exported from another warehouse (through a
    run this one does not have), is written whole. Returns the manifest."""
    _check_format(fmt)
    previous, shape = _read_manifest(out_dir), _shape(settings)
    if previous is None or previous.get("format") != fmt or \
            {key: previous.get(key) for key in shape} != shape:
        return export(settings, out_dir, fmt)
    if changes == 0:
        return previous
    since = previous.get("through_run") or 0
    with queries.open_gold(settings) as con:
        through, changed, newest = sql.runs_after(con, since)
        if newest < since:
            touched = None  # another warehouse's files: all of them again, below
        elif through is None or changed == 0:
            return previous  # no run, or runs that changed nothing: the files stand
        else:
            touched = {item.name: _months(con, item, since) for item in MONTHLY}
            cheapest = sql.cheapest_months(con)
            # new_cheapest alerts are dated when the winner's price began, often months
            # back, and the old winner's alert leaves the view: rewrite the months of both
            touched["price_alerts"] |= cheapest | set(previous.get("cheapest_months", []))
            writer = _Writer(con, settings, out_dir, fmt, dict(previous["files"]))
            writer.write(touched, sql.views(con))
    if touched is None:
        return export(settings, out_dir, fmt)
    return _write_manifest(settings, out_dir, fmt, writer.files, through, cheapest)


def _read_manifest(out_dir: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("version") == MANIFEST_VERSION else None


def _shape(settings: Settings) -> dict[str, Any]:
    """What the files' columns and rows are made by besides the history: the warehouse's
    schema and the views' SQL (with the identity overrides)."""
    return {"schema_version": SCHEMA_VERSION, "views_checksum": queries.views_checksum(settings)}


def _write_manifest(settings: Settings, out_dir: Path, fmt: str,
                    files: dict[str, dict[str, Any]], through: int | None,
                    cheapest_months: set[str]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for relative, entry in files.items():
        name = relative.split("/")[0].removesuffix(f".{fmt}")
        counts[name] = counts.get(name, 0) + entry["rows"]
    manifest = {"version": MANIFEST_VERSION,
                "exported_at": iso_utc(datetime.now(UTC)),
                "format": fmt, "database": label_of(settings), "through_run": through,
                **_shape(settings),
                "cheapest_months": sorted(cheapest_months),
                "files": dict(sorted(files.items())), "row_counts": dict(sorted(counts.items()))}
    temporary = out_dir / f".{MANIFEST}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2) + "\n")
    os.chmod(temporary, settings.file_mode)
    os.replace(temporary, out_dir / MANIFEST)
    return manifest
