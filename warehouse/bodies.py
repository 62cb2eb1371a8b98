"""The body archive: each distinct fetched body as one gzip file, named by its sha256, in a
folder beside the database (`pricewatch.duckdb.archive/ab/ab12….gz`).

Why files and not a BLOB column: DuckDB rewrites the last row group of a table at every
checkpoint after an append, and a row group holds up to 122,880 rows. With bodies inline,
every run's write re-read and re-compressed every body stored so far: time and peak memory
grew with the archive (bench/daemon.py: +38% RSS in 30 minutes; bench/archive.py: the 600th
100 KB body cost 144 ms and +190 MB of peak RSS inline, 17 ms and +6 MB as a file).
The table `raw_bodies` keeps one small row per body; bodies archived before migration 0006
stay readable in `raw_bodies_inline`.

A file is written (temporary name, fsync, rename) before the row that names it commits, so
a committed row always has its file; a file whose transaction rolled back is harmless and
is reused when the same body comes again.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import duckdb

from pricewatch.errors import WarehouseError

ARCHIVE_VARIABLE = "pricewatch_archive"  # a lake's archive folder, set on its cursor


class ArchiveError(WarehouseError):
    """An archive folder that cannot be had, or a body the database records but the
    archive cannot give back intact."""


def archive_dir(con: duckdb.DuckDBPyConnection) -> Path:
    """The archive folder of the database this connection is using: beside the file, or
    for a DuckLake the folder its target names (warehouse/target.py), else beside the
    lake's data path."""
    row = con.execute("SELECT path, type, tags FROM duckdb_databases() "
                      "WHERE database_name = current_database()").fetchall()
    if not row or not row[0][0]:
        raise ArchiveError("the body archive needs a database file, not an in-memory one")
    path, kind, tags = row[0]
    if kind == "ducklake":
        # set by warehouse/db.py when it attached the lake on this cursor
        configured = con.execute("SELECT getvariable(?)", [ARCHIVE_VARIABLE]).fetchone()[0]
        if configured:
            return Path(configured)
        data_path = (tags or {}).get("data_path", "")
        if not data_path or "://" in data_path:
            raise ArchiveError(f"the lake's data path {data_path!r} is not a folder: set "
                               "ducklake.archive_path for the raw bodies")
        return Path(data_path.rstrip("/") + ".archive")
    database = Path(path)
    return database.with_name(database.name + ".archive")


def body_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / f"{sha256}.gz"


def _database_mode(folder: Path) -> int:
    """Archive files get the database file's permissions (0o600 by default; a lake's data
    folder is not a file, and its bodies are owner-only too)."""
    database = folder.with_name(folder.name.removesuffix(".archive"))
    try:
        if database.is_file():
            return database.stat().st_mode & 0o777
    except OSError:
        pass
    return 0o600


def write_body(folder: Path, sha256: str, content: bytes) -> Path:
    """Store one body durably under its hash; returns its path."""
    final = body_path(folder, sha256)
    if final.exists():
        return final
    mode = _database_mode(folder)
    if not folder.parent.exists():  # a lake's archive beside a data folder not made yet
        folder.parent.mkdir(parents=True, exist_ok=True)
    folder.mkdir(exist_ok=True, mode=0o700)  # mkdir(parents=True) ignores mode for parents
    final.parent.mkdir(exist_ok=True, mode=0o700)
    temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    # mtime=0: the same body always gives the same file
    data = gzip.compress(content, compresslevel=6, mtime=0)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_dir(final.parent)
    return final


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a crash must not lose a committed body's file)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def read_body(folder: Path, sha256: str) -> bytes | None:
    """The body stored under `sha256`, checked against it; None when there is no file."""
    path = body_path(folder, sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        content = gzip.decompress(data)
    except (OSError, EOFError) as error:
        raise ArchiveError(f"archived body {path} is not readable gzip: {error}") from None
    if hashlib.sha256(content).hexdigest() != sha256:
        raise ArchiveError(f"archived body {path} does not match its sha256 (file damaged "
                           "or replaced)")
    return content
