"""Opening the DuckDB file: lock discipline and schema migrations.

DuckDB lets one process write, or many read, never both. Every caller therefore opens
the file for one unit of work and closes it (`with open_db(...)`); nothing keeps it open
while idle. A lock held by another process is waited for with jittered backoff, up to
`lock_timeout_s`, then reported as `DatabaseLocked`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import stamina

from pricewatch.errors import PricewatchError
from pricewatch.settings import DEFAULT_STORAGE_VERSION, Settings


class WarehouseError(PricewatchError):
    """A problem with the database file itself (locked, newer schema, unreadable)."""

    exit_code = 3


class DatabaseLocked(WarehouseError):
    """Another process held the file for longer than the configured wait."""


class _LockConflict(Exception):
    """One failed attempt at the lock; retried until the deadline."""


def _migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every `migrations/NNNN_name.sql`, in order."""
    found = []
    for entry in resources.files("pricewatch.warehouse").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append((int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found)


MIGRATIONS = _migrations()
SCHEMA_VERSION = MIGRATIONS[-1][0]


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str,
              params: Any = None) -> tuple[Any, ...] | None:
    """The first row, with the result read to its end (DuckDB 2 refuses new statements on a
    connection whose last result is unfinished)."""
    if isinstance(params, dict):  # DuckDB refuses named parameters the statement lacks
        used = set(re.findall(r"\$(\w+)", sql))
        params = {name: value for name, value in params.items() if name in used}
    rows = con.execute(sql, params).fetchall() if params is not None else \
        con.execute(sql).fetchall()
    return rows[0] if rows else None


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    try:
        row = fetch_one(con, "SELECT coalesce(max(version), 0) FROM schema_migrations")
    except duckdb.CatalogException:  # a new, empty file
        return 0
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations this file lacks, each in its own transaction, and record them."""
    current = _schema_version(con)
    if current > SCHEMA_VERSION:
        raise WarehouseError(
            f"database schema version {current} is newer than this pricewatch "
            f"({SCHEMA_VERSION}): upgrade pricewatch")
    applied = []
    for version, name, sql in MIGRATIONS:
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                        "version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                        "applied_at TIMESTAMPTZ NOT NULL)")
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [version, name, datetime.now(UTC)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def _is_lock_conflict(error: duckdb.Error) -> bool:
    text = str(error)
    return "Could not set lock" in text or "Conflicting lock" in text


# One in-memory DuckDB instance per process; each unit of work ATTACHes the file and
# DETACHes it after. Detaching releases the file lock exactly like closing a connection,
# but costs about 1 ms where creating a DuckDB instance costs about 10 ms per open.
_ENGINE: duckdb.DuckDBPyConnection | None = None
_ENGINE_PID = 0
_ENGINE_USES = 0
# DuckDB 2.0 keeps a few KB per ATTACH for the life of an instance (measured: ~9 KB, so a
# daemon grew ~50 MB in five minutes of one-second runs); a fresh instance every so many
# attaches keeps memory flat at ~10 ms per recycle.
ENGINE_RECYCLE_ATTACHES = 200
# An attachment is instance-wide: one unit of work at a time, held only while attached.
_ENGINE_LOCK = threading.Lock()
ALIAS = "pricewatch"


def _engine() -> duckdb.DuckDBPyConnection:
    """The process's DuckDB instance (call with _ENGINE_LOCK held, no cursor open)."""
    global _ENGINE, _ENGINE_PID, _ENGINE_USES
    _ENGINE_USES += 1
    if _ENGINE is not None and _ENGINE_USES > ENGINE_RECYCLE_ATTACHES \
            and os.getpid() == _ENGINE_PID:
        _ENGINE.close()
        _ENGINE = None
    if _ENGINE is None or os.getpid() != _ENGINE_PID:  # never share an instance across fork
        _ENGINE = duckdb.connect(":memory:")
        _ENGINE.execute("SET TimeZone = 'UTC'")
        # Hand freed memory back after each task, not only past 128 MiB (bench/daemon.py).
        _ENGINE.execute("SET allocator_flush_threshold = '16MB'")
        _ENGINE_PID, _ENGINE_USES = os.getpid(), 1
    return _ENGINE


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _attach(con: duckdb.DuckDBPyConnection, path: Path, read_only: bool,
            storage_version: str | None = None) -> None:
    """ATTACH the file; a new one is created in `storage_version` (None: DuckDB's default)."""
    if read_only:
        options = " (READ_ONLY)"
    elif storage_version and not path.exists():
        options = f" (STORAGE_VERSION {quote_literal(storage_version)})"
    else:
        options = ""
    try:
        con.execute(f"ATTACH {quote_literal(str(path))} AS {ALIAS}{options}")
    except duckdb.IOException as error:
        if _is_lock_conflict(error):
            raise _LockConflict(str(error)) from error
        raise WarehouseError(f"cannot open database {path}: {error}") from error
    except duckdb.Error as error:
        raise WarehouseError(f"cannot open database {path}: {error}") from error


def _attach_locked(path: Path, read_only: bool, lock_timeout_s: float,
                   storage_version: str | None = None) -> duckdb.DuckDBPyConnection:
    """A cursor with the file attached, returned with _ENGINE_LOCK held.

    The engine lock is taken per attempt and released while waiting out another process's
    lock, so other threads of this process keep working meanwhile (a daemon job waiting
    for a busy file once stalled every other job). `lock_timeout_s` 0 means one attempt."""
    try:
        for attempt in stamina.retry_context(
                on=_LockConflict, attempts=1 if lock_timeout_s <= 0 else None,
                timeout=None if lock_timeout_s <= 0 else lock_timeout_s,
                wait_initial=0.02, wait_max=1.0, wait_jitter=0.1):
            with attempt:
                _ENGINE_LOCK.acquire()
                try:
                    con = _engine().cursor()
                    try:
                        _attach(con, path, read_only, storage_version)
                    except BaseException:
                        con.close()
                        raise
                except BaseException:
                    _ENGINE_LOCK.release()
                    raise
                return con
    except _LockConflict as error:
        waited = f"stayed locked for {lock_timeout_s:g} s (lock_timeout_s)" \
            if lock_timeout_s > 0 else "was locked (this caller does not wait)"
        raise DatabaseLocked(
            f"database {path} is locked by another process and {waited}; DuckDB allows "
            f"one writer, or readers, at a time. Detail: {error}") from None
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def _attached(path: Path, read_only: bool, lock_timeout_s: float,
              storage_version: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = _attach_locked(path, read_only, lock_timeout_s, storage_version)
    try:
        try:
            con.execute(f"USE {ALIAS}")
            yield con
        finally:
            con.execute("USE memory")
            con.execute(f"DETACH {ALIAS}")
    finally:
        con.close()
        _ENGINE_LOCK.release()


@contextmanager
def open_db(path: Path | str, *, read_only: bool = False, lock_timeout_s: float = 60.0,
            file_mode: int = 0o600, storage_version: str = DEFAULT_STORAGE_VERSION
            ) -> Iterator[duckdb.DuckDBPyConnection]:
    """One unit of work on the warehouse: open (migrating if needed), yield, close.

    A reader of a file that does not exist yet, or of an older schema, first takes the
    write lock briefly to create or migrate it, then reopens read-only; a reader of a
    current file attaches once (an attach of a big file costs tens of milliseconds). A new
    file is written in `storage_version`, so DuckDB 1.x clients can open it.
    """
    path = Path(path).absolute()
    if read_only and path.exists():
        with _attached(path, True, lock_timeout_s) as con:
            if _schema_version(con) >= SCHEMA_VERSION:
                yield con
                return
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    with _attached(path, False, lock_timeout_s, storage_version) as con:
        if created:
            os.chmod(path, file_mode)
        migrate(con)
        if not read_only:
            # A write is many small statements over one run's rows: one thread avoids the
            # coordination overhead (about a fifth of ingest time).
            con.execute("SET threads = 1")
            try:
                yield con
            finally:
                con.execute("RESET threads")
            return
    with _attached(path, True, lock_timeout_s) as con:
        yield con


def open_warehouse(settings: Settings, *, read_only: bool = False):
    """`open_db` with the configured path, lock wait and file mode."""
    return open_db(settings.db_path, read_only=read_only,
                   lock_timeout_s=settings.lock_timeout_s, file_mode=settings.file_mode,
                   storage_version=settings.storage_version)

