"""Opening the warehouse: lock discipline, schema migrations, ids and write retries.

A DuckDB file lets one process write, or many read, never both. Every caller therefore
opens the file for one unit of work and closes it (`with open_db(...)`); nothing keeps it
open while idle. A lock held by another process is waited for with jittered backoff, up to
`lock_timeout_s`, then reported as `DatabaseLocked`.

A DuckLake target (`ducklake:postgres:…`, warehouse/lake.py) is attached the same way, per
unit of work; it has no lock, and a commit that conflicts with another writer's is retried
by `in_transaction`.
"""

from __future__ import annotations

import logging
import os
import random
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from pricewatch.errors import (  # defined in the one tree; imported from here too
    DatabaseLocked,
    WarehouseError,
    WarehouseUnavailable,
    WriteConflict,
)
from pricewatch.settings import DEFAULT_STORAGE_VERSION, Settings
from pricewatch.warehouse import lake as lakes
from pricewatch.warehouse.bodies import ARCHIVE_VARIABLE
from pricewatch.warehouse.target import FileTarget, LakeTarget, Target, parse_target, target_of

log = logging.getLogger("pricewatch.warehouse")
T = TypeVar("T")


class _LockConflict(DatabaseLocked):
    """One failed attempt at the lock; retried until the deadline."""


def _migrations(folder: str) -> list[tuple[int, str, str]]:
    """(version, name, sql) for every `<folder>/NNNN_name.sql`, in order."""
    found = []
    for entry in resources.files("pricewatch.warehouse").joinpath(folder).iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append((int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    return sorted(found)


MIGRATIONS = _migrations("migrations")
SCHEMA_VERSION = MIGRATIONS[-1][0]


# A DuckLake starts at this version: the file's schema then, derived by lake_baseline_sql.
# Every later migration in migrations/ applies to a file and a lake alike, so it must use
# nothing DuckLake lacks (keys, sequences, indexes); tests/test_lake.py holds both schemas
# to the same columns.
LAKE_BASELINE = 9


def lake_baseline_sql(version: int = LAKE_BASELINE) -> str:
    """The file's schema at `version` as a DuckLake script, derived rather than written twice:
    the file migrations up to `version` run on a scratch in-memory database, and each table
    they leave is created again with its columns in order, their types, NOT NULL and
    defaults, without what DuckLake does not have (keys: uniqueness comes from ingest's set
    logic and serialized writers; sequences: ids come from `id_counters`, see take_ids)."""
    scratch = duckdb.connect(":memory:")
    try:
        for number, _, sql in MIGRATIONS:
            if number <= version:
                scratch.execute(sql)
        columns = scratch.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM duckdb_columns() WHERE database_name = current_database() "
            "AND NOT internal ORDER BY table_oid, column_index").fetchall()
    finally:
        scratch.close()
    tables: dict[str, list[str]] = {}
    for table, column, kind, nullable, default in columns:
        text = f"{quote_identifier(column)} {kind}" + ("" if nullable else " NOT NULL")
        if default is not None and "nextval(" not in default:
            text += f" DEFAULT {default}"
        tables.setdefault(table, []).append(text)
    script = [f"CREATE TABLE {quote_identifier(table)} (\n    " + ",\n    ".join(cols) + "\n);"
              for table, cols in tables.items()]
    # The next id of each counter; every writer that takes one updates its row, so two
    # concurrent writers conflict at commit and one of them retries.
    script.append("CREATE TABLE id_counters (name VARCHAR NOT NULL, next_id BIGINT NOT NULL);")
    script.append("INSERT INTO id_counters VALUES ('run', 1), ('fetch', 1);")
    return "\n".join(script)


def lake_migrations() -> list[tuple[int, str, str]]:
    """A lake's migrations: the derived baseline, then the file's own later ones."""
    return [(LAKE_BASELINE, "lake_baseline", lake_baseline_sql()),
            *(m for m in MIGRATIONS if m[0] > LAKE_BASELINE)]


# A DuckLake commit that conflicts is tried this many times in all, with random pauses
# from 50 ms doubling to 2 s (`pauses`; 35-50 s in all at worst): enough for a few daemons
# whose writes take well under a second each.
CONFLICT_ATTEMPTS = 30
CONFLICT_PAUSE_FIRST_S = 0.05
CONFLICT_PAUSE_CAP_S = 2.0
ATTACH_ATTEMPTS = 10  # a lake's ATTACH that met another process creating its catalog
_RETRIES = 0  # conflicting commits retried in this process (bench/ingest.py prints it)
_RETRIES_LOCK = threading.Lock()


def is_lake_connection(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database in use is a DuckLake (no sequences, keys or locks)."""
    row = fetch_one(con, "SELECT type FROM duckdb_databases() "
                         "WHERE database_name = current_database()")
    return bool(row) and row[0] == "ducklake"


def keeps_column_comments(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether COMMENT ON COLUMN of a view is kept: a file yes, a DuckLake no (it keeps a
    view's own comment only)."""
    return not is_lake_connection(con)


def is_conflict(error: BaseException) -> bool:
    """A commit refused because another writer committed first (DuckLake), or, with a
    SQLite catalog, because another process was writing it at that moment."""
    if not isinstance(error, duckdb.Error):
        return False
    text = str(error).lower()
    return (isinstance(error, duckdb.TransactionException) and "conflict" in text) \
        or "database is locked" in text


def conflict_retries() -> int:
    return _RETRIES


def _count_retry(error: BaseException) -> None:
    global _RETRIES
    with _RETRIES_LOCK:
        _RETRIES += 1
    log.debug("commit conflicted with another writer; retrying: %s", error)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")  # a refused commit leaves no transaction open


def in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], T],
                   what: str = "write") -> T:
    """`work()` in one transaction; on a DuckLake, a commit that conflicts runs it again from
    the start, reading what the other writer committed (bounded, random pauses). On a file
    there is one writer and nothing conflicts."""
    waits = pauses(CONFLICT_PAUSE_FIRST_S, CONFLICT_PAUSE_CAP_S)
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            with transaction(con):
                return work()
        except duckdb.Error as error:
            if not is_conflict(error):
                raise
            if attempt == CONFLICT_ATTEMPTS:
                raise WriteConflict(f"{what}: the commit conflicted with other writers "
                                    f"{CONFLICT_ATTEMPTS} times in a row; gave up") from None
            _count_retry(error)
        time.sleep(next(waits))
    raise AssertionError("unreachable")  # pragma: no cover


def pauses(first_s: float, cap_s: float) -> Iterator[float]:
    """The waits between attempts: doubling from `first_s` up to `cap_s`, each a random
    point in its upper half. The randomness matters at the cap too (stamina's backoff has
    none there): a fixed pause keeps a waiter in step with a writer on a fixed period, and
    a waiter whose attempts fell in the other's writes met them every time (CI, 2026-12-07:
    a reader of a daemon writing every second, shut out for its whole 30 s)."""
    pause = first_s
    while True:
        yield random.uniform(pause / 2, pause)
        pause = min(cap_s, pause * 2)


def take_ids(con: duckdb.DuckDBPyConnection, counter: str, n: int) -> list[int]:
    """`n` new ids from `counter` (`run` or `fetch`), in the caller's transaction.

    A file has a sequence per counter. A lake has a row per counter in `id_counters`,
    updated here: two concurrent transactions that take ids conflict at commit, and the one
    retried takes the next ids, so no two writers hold one id and run ids grow in commit
    order. `n` 0 only touches the row: a history writer that takes no id (reparse) still
    conflicts with concurrent runs."""
    if not is_lake_connection(con):
        if n <= 0:
            return []
        return [int(row[0]) for row in con.execute(
            f"SELECT nextval('{counter}_id_seq') FROM range(?)", [n]).fetchall()]
    row = fetch_one(con, "SELECT next_id FROM id_counters WHERE name = ?", [counter])
    if row is None:
        raise WarehouseError(f"the lake has no id counter {counter!r}")
    first = int(row[0])
    con.execute("UPDATE id_counters SET next_id = ? WHERE name = ?", [first + n, counter])
    return list(range(first, first + n))


def serialize_writers(con: duckdb.DuckDBPyConnection) -> None:
    """In the caller's transaction, on a lake: conflict with every concurrent writer that
    does the same (or takes ids), so that a check-then-insert (an alert not yet queued, a
    channel not yet known) is never made twice by two hosts. Nothing on a file."""
    if is_lake_connection(con):
        take_ids(con, "run", 0)


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


def _opened_schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of a database just attached, outside any transaction: asked at
    once, a missing table meaning a new database. On a lake the catalog lookup of
    `_schema_version` costs ~20 ms of round trips more, on every open."""
    try:
        row = fetch_one(con, "SELECT coalesce(max(version), 0) FROM schema_migrations")
    except duckdb.CatalogException:
        return 0  # a new, empty database
    return int(row[0]) if row else 0


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    # looked up, not caught: a failed statement would end the caller's transaction
    if not fetch_one(con, "SELECT 1 FROM duckdb_tables() WHERE table_name = "
                          "'schema_migrations' AND database_name = current_database()"):
        return 0  # a new, empty database
    row = fetch_one(con, "SELECT coalesce(max(version), 0) FROM schema_migrations")
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, current: int | None = None,
            lake: bool | None = None) -> list[int]:
    """Apply the migrations this database lacks and record them. `current` (its schema
    version) and `lake` are asked of the database when the caller does not know them.

    Each step is its own transaction: on a lake two processes migrating at once, the
    second's commit conflicts and its retry finds the version applied; on duckdb 1.5 one
    transaction cannot alter a table holding rows and then write to it. A new file has
    no rows: its steps are one transaction (a failure leaves no file half made).
    A file is checkpointed after each commit, since DuckDB 1.5 cannot replay a WAL
    holding an ALTER of `runs` ("GetDefaultDatabase with no default database set") when
    the file is opened directly, as the DuckDB CLI does, after a crash: only a crash
    during a checkpoint leaves one. A new file's single checkpoint writes 0.8 MB; one
    per step wrote 12 MB."""
    lake = is_lake_connection(con) if lake is None else lake
    key = " NOT NULL" if lake else " PRIMARY KEY"

    def step(version: int, name: str, sql: str) -> bool:
        if lake and version > LAKE_BASELINE:
            # Two processes applying one step must conflict at commit (the retry then
            # finds it applied): a step that only updates rows, none of them there,
            # conflicts on nothing else, and each would record it.
            serialize_writers(con)
        if _schema_version(con) >= version:
            return False  # another process applied it meanwhile
        con.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                    f"version INTEGER{key}, name VARCHAR NOT NULL, "
                    "applied_at TIMESTAMPTZ NOT NULL)")
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [version, name, datetime.now(UTC)])
        return True

    current = _schema_version(con) if current is None else current
    if current > SCHEMA_VERSION:
        raise WarehouseError(
            f"database schema version {current} is newer than this pricewatch "
            f"({SCHEMA_VERSION}): upgrade pricewatch")
    pending = [m for m in MIGRATIONS if m[0] > current]
    if not pending:
        return []
    if lake:  # the baseline is derived only when a lake needs a migration
        pending = [m for m in lake_migrations() if m[0] > current]
    groups = [pending] if current == 0 and not lake else [[m] for m in pending]
    applied = []
    for group in groups:
        applied += in_transaction(
            con, lambda g=group: [v for v, n, q in g if step(v, n, q)], "migration")
        if not lake:
            con.execute("CHECKPOINT")
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
        with suppress(duckdb.Error):  # an instance given up after a failed DETACH
            _ENGINE.close()
        _ENGINE = None
    if _ENGINE is None or os.getpid() != _ENGINE_PID:  # never share an instance across fork
        _ENGINE = duckdb.connect(":memory:")
        _ENGINE.execute("SET TimeZone = 'UTC'")
        # Hand freed memory back after each task, not only past 128 MiB (bench/daemon.py).
        _ENGINE.execute("SET allocator_flush_threshold = '16MB'")
        if duckdb.__version__.startswith("1."):
            # duckdb 1.5.5 (the [ducklake] pin) inlined price_alerts_with's CTEs into a plan
            # that waited forever, every thread idle, on a 10M-row history (`AS
            # MATERIALIZED` is lost when a macro is stored); without inlining it took 0.8 s
            # and the other views no longer. 2.x is faster inlined (0.36 s against 0.46).
            _ENGINE.execute("SET disabled_optimizers = 'cte_inlining'")
        # What a bounded query spills goes to the system's temporary folder (an in-memory
        # instance would use `.tmp` in the working directory); made only when used.
        _ENGINE.execute("SET temp_directory = " + quote_literal(
            str(Path(tempfile.gettempdir()) / f"pricewatch-duckdb-{os.getpid()}")))
        _ENGINE_PID, _ENGINE_USES = os.getpid(), 1
        _ENGINE_EXTENSIONS.clear()
    return _ENGINE


@contextmanager
def own_engine() -> Iterator[None]:
    """Units of work inside run on a DuckDB instance of their own, closed after: settings
    made on it (a locked-down reader of user SQL) never reach the process's engine."""
    global _ENGINE, _ENGINE_PID, _ENGINE_USES
    with _ENGINE_LOCK:
        saved = (_ENGINE, _ENGINE_PID, _ENGINE_USES, set(_ENGINE_EXTENSIONS))
        _ENGINE = None
    try:
        yield
    finally:
        with _ENGINE_LOCK:
            if _ENGINE is not None:
                _ENGINE.close()
            _ENGINE, _ENGINE_PID, _ENGINE_USES = saved[:3]
            _ENGINE_EXTENSIONS.clear()
            _ENGINE_EXTENSIONS.update(saved[3])


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """Make the instance of `con` (an own_engine, with the warehouse attached read-only)
    unable to reach anything else: no file, network or extension access but a lake's own
    data files, no secret but the S3 one those files need (the catalog's password was
    needed only to attach), and the configuration locked."""
    data = lake_data_path(con)
    for name, kind in con.execute("SELECT name, type FROM duckdb_secrets()").fetchall():
        if not (data and data.startswith("s3://") and kind == "s3"):
            con.execute(f"DROP SECRET {quote_identifier(name)}")
    if data:
        con.execute(f"SET allowed_directories = [{quote_literal(data)}]")
    for setting in ("enable_external_access", "autoload_known_extensions",
                    "autoinstall_known_extensions"):
        con.execute(f"SET {setting} = false")
    con.execute("SET lock_configuration = true")


def lake_data_path(con: duckdb.DuckDBPyConnection) -> str | None:
    """Where the attached lake keeps its data files (its catalog says); None for a file."""
    if not is_lake_connection(con):
        return None
    row = fetch_one(con, f"SELECT value FROM __ducklake_metadata_{ALIAS}.ducklake_metadata "
                         "WHERE key = 'data_path'")
    return str(row[0]) if row and row[0] else None


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_ENGINE_EXTENSIONS: set[str] = set()  # lake catalog kinds whose extensions are loaded


def attach_lake(con: duckdb.DuckDBPyConnection, lake: lakes.Lake, read_only: bool,
                alias: str = ALIAS) -> None:
    """ATTACH the lake as `alias` (its password and any S3 credentials as unnamed secrets
    first, read afresh each time); two
    processes creating a new lake at once race on its catalog tables, and the loser
    attaches again once the winner has made them (up to ATTACH_ATTEMPTS tries)."""
    for secret in (lakes.secret_sql(lake), lakes.s3_secret_sql()):
        if secret:
            con.execute(secret)
    _past_races(lambda: con.execute(lakes.attach_sql(lake, alias, read_only)))


def _past_races(action: Callable[[], T]) -> T:
    """`action()`, tried again (up to ATTACH_ATTEMPTS times, random pauses) while it meets
    another process at work on the lake's catalog (`lakes.is_attach_race`)."""
    waits = pauses(0.1, 1.0)
    for attempt in range(1, ATTACH_ATTEMPTS + 1):
        try:
            return action()
        except duckdb.Error as error:
            if attempt == ATTACH_ATTEMPTS or not lakes.is_attach_race(error):
                raise
        time.sleep(next(waits))
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def _in_use(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The attached warehouse as the cursor's current database for one unit of work,
    detached after (which releases a file's lock)."""
    try:
        con.execute(f"USE {ALIAS}")
        yield con
    finally:
        _detach(con)


def _detach(con: duckdb.DuckDBPyConnection) -> None:
    """Detach the warehouse. A DETACH that fails (a lake whose catalog connection dropped,
    a file whose checkpoint meets a full disk) must not leave the alias behind, or every
    later attach in this process fails ("database with name pricewatch already exists"):
    the instance is replaced at its next use instead. What was committed stays committed
    (a file's WAL is replayed on the next open), so the failure is logged, not raised."""
    global _ENGINE_USES
    try:
        con.execute("USE memory")
        con.execute(f"DETACH {ALIAS}")
    except duckdb.Error as error:
        log.warning("could not detach the warehouse cleanly; what was committed stays "
                    "(this process opens it afresh next time): %s",
                    " ".join(lakes.redact(str(error)).split())[:400])
        _ENGINE_USES = ENGINE_RECYCLE_ATTACHES  # replaced at the next _engine()


@contextmanager
def _lake_attached(lake: lakes.Lake, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor with the lake attached as `pricewatch` and in use; detached after. About
    20 ms per attach once the extensions are loaded (0.2 s, once per process)."""
    with _ENGINE_LOCK:
        con = _engine().cursor()
        try:
            try:
                if lake.kind not in _ENGINE_EXTENSIONS:
                    lakes.load_extensions(con, lake.kind)
                    _ENGINE_EXTENSIONS.add(lake.kind)
                attach_lake(con, lake, read_only)
            except duckdb.Error as error:
                kind = WarehouseUnavailable if lakes.is_unreachable(error) else WarehouseError
                raise kind(lakes.explain(error, lake)) from None
            try:  # for bodies.archive_dir, on this cursor only
                con.execute(f"SET VARIABLE {ARCHIVE_VARIABLE} = ?", [str(lake.archive)])
            except lakes.LakeError:
                if lake.archive_path:  # set, and wrong: said at once
                    raise
                # else reading needs no archive, and a write finds the lake's own data path
                # (bodies.archive_dir), or says that ducklake.archive_path must be set
            try:
                with _in_use(con):
                    yield con
            except duckdb.Error as error:
                if not (lakes.is_unreachable(error) or _catalog_gone(con)):
                    raise
                # the catalog went away mid-work (a restart): the daemon spools the run
                # as when the catalog is down at its start; a commit that did land is
                # found by the drain (same source and observation time) and not rewritten
                raise WarehouseUnavailable(
                    f"lost the lake {lake.label} mid-work: "
                    f"{lakes.redact(str(error)).splitlines()[0]}") from None
        finally:
            con.close()


def _catalog_gone(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the lake's catalog is out of reach now, asked after an error that does not
    say so: a catalog lost between two statements can surface as DuckDB's "Current
    transaction is aborted (please ROLLBACK)" alone (seen in CI on a PostgreSQL stopped
    under the daemon). A catalog that answers leaves the error as it was."""
    with suppress(duckdb.Error):
        con.execute("ROLLBACK")
    try:
        con.execute(f"SELECT count(*) FROM __ducklake_metadata_{ALIAS}.ducklake_metadata"
                    ).fetchall()
    except duckdb.Error as probe:
        return lakes.is_unreachable(probe)
    return False


@contextmanager
def _open_lake(lake: lakes.Lake, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """`open_db` for a lake: a reader of a current lake attaches read-only once; a new lake
    or an older schema is first migrated by a writer."""
    with ExitStack() as stack:
        if read_only:
            try:
                con = stack.enter_context(_lake_attached(lake, True))
            except WarehouseUnavailable:
                raise  # out of reach: a writer's attach would wait for it a second time
            except WarehouseError:
                con = None  # a lake not created yet cannot be attached read-only
            if con is not None and _lake_schema_version(con) >= SCHEMA_VERSION:
                yield con
                return
            stack.close()
        with _lake_attached(lake, False) as con:
            current = _lake_schema_version(con)  # each statement is catalog round trips
            if current == 0 and not lake.data_path:
                raise WarehouseError(f"{lake.label} is a new lake: set ducklake.data_path "
                                     "(PRICEWATCH_DUCKLAKE__DATA_PATH), where its files go")
            migrate(con, current, lake=True)
            if not read_only:
                yield con
                return
    with _lake_attached(lake, True) as con:
        yield con


def _lake_schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of a lake just attached. Its first read takes the catalog's newest
    snapshot, which a SQLite catalog another process is writing refuses ("database is
    locked", CI 2026-12-07, three writers): waited out like an attach race."""
    return _past_races(lambda: _opened_schema_version(con))


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


# The pauses between attempts on a locked file (`pauses`).
LOCK_PAUSE_FIRST_S = 0.02
LOCK_PAUSE_CAP_S = 0.25


def _attach_locked(path: Path, read_only: bool, lock_timeout_s: float,
                   storage_version: str | None = None) -> duckdb.DuckDBPyConnection:
    """A cursor with the file attached, returned with _ENGINE_LOCK held.

    The engine lock is taken per attempt and released while waiting out another process's
    lock, so other threads of this process keep working meanwhile (a daemon job waiting
    for a busy file once stalled every other job). `lock_timeout_s` 0 means one attempt."""
    deadline = time.monotonic() + lock_timeout_s
    waits = pauses(LOCK_PAUSE_FIRST_S, LOCK_PAUSE_CAP_S)
    while True:
        try:
            return _attach_once(path, read_only, storage_version)
        except _LockConflict as error:
            left = deadline - time.monotonic()
            if left <= 0:
                waited = f"stayed locked for {lock_timeout_s:g} s (lock_timeout_s)" \
                    if lock_timeout_s > 0 else "was locked (this caller does not wait)"
                raise DatabaseLocked(
                    f"database {path} is locked by another process and {waited}; DuckDB "
                    f"allows one writer, or readers, at a time. Detail: {error}") from None
        time.sleep(min(left, next(waits)))


def _attach_once(path: Path, read_only: bool,
                 storage_version: str | None) -> duckdb.DuckDBPyConnection:
    """One attempt: the engine lock, a cursor, the ATTACH; the lock is kept on success."""
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


@contextmanager
def _attached(path: Path, read_only: bool, lock_timeout_s: float,
              storage_version: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    con = _attach_locked(path, read_only, lock_timeout_s, storage_version)
    try:
        with _in_use(con):
            yield con
    finally:
        con.close()
        _ENGINE_LOCK.release()


@contextmanager
def open_db(path: Target | Path | str, *, read_only: bool = False,
            lock_timeout_s: float = 60.0, file_mode: int = 0o600,
            storage_version: str = DEFAULT_STORAGE_VERSION, data_path: str | None = None,
            archive_path: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """One unit of work on the warehouse: open (migrating if needed), yield, close.

    A reader of a file that does not exist yet, or of an older schema, first takes the
    write lock briefly to create or migrate it, then reopens read-only; a reader of a
    current file attaches once (an attach of a big file costs tens of milliseconds). A new
    file is written in `storage_version`, so DuckDB 1.x clients can open it.

    `path` is a target (warehouse/target.py), or the text of one: a DuckLake target
    (`ducklake:postgres:CONNINFO`, `ducklake:sqlite:PATH`) takes `data_path`, where a new
    lake's files go, and `archive_path`, where raw bodies go (default beside the data); the
    lock settings do not apply to it.
    """
    target = path if isinstance(path, FileTarget | LakeTarget) else parse_target(
        path, data_path, archive_path)
    if isinstance(target, LakeTarget):
        with _open_lake(target.lake, read_only) as con:
            yield con
        return
    path = target.path
    if read_only and path.exists():
        with _attached(path, True, lock_timeout_s) as con:
            if _opened_schema_version(con) >= SCHEMA_VERSION:
                yield con
                return
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    with _attached(path, False, lock_timeout_s, storage_version) as con:
        if created:
            os.chmod(path, file_mode)
        migrate(con)  # checkpointed
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
    """`open_db` on the configured target, with its lock wait and file mode."""
    return open_db(target_of(settings), read_only=read_only,
                   lock_timeout_s=settings.lock_timeout_s, file_mode=settings.file_mode,
                   storage_version=settings.storage_version)


def warehouse_exists(settings: Settings) -> bool:
    """Whether there is a warehouse to read (a lake is asked; a file is looked for)."""
    target = target_of(settings)
    if isinstance(target, FileTarget):
        return target.path.exists()
    try:
        with _lake_attached(target.lake, True) as con:
            return _opened_schema_version(con) > 0
    except WarehouseError:
        return False
