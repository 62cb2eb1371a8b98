"""The only code that writes to the warehouse: the archive (bronze) and collection runs.

A run is one transaction: its row in `runs`, its history changes and its measurements
land together or not at all (a backfill in order puts several runs in one, each whole).
Bodies are archived in their own, earlier transaction, so a run that fails to parse or to
write still leaves its bodies for `reparse`.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from pricewatch.errors import PricewatchError
from pricewatch.records import AnyRecord, FetchedBody, MeasurementRecord, ParseResult
from pricewatch.warehouse.bodies import ArchiveError, archive_dir, body_path, read_body, write_body
from pricewatch.warehouse.db import fetch_one, in_transaction, take_ids
from pricewatch.warehouse.history import (
    SPECS,
    Boundary,
    Changes,
    ConflictingRecords,
    Step,
    apply_batch,
    apply_snapshot,
    scope_filter,
    stage,
    stage_batch,
)

# Runs whose snapshot is part of the history: they bound intervals (queries/is_good_run.sql
# is the same set for the views, which do not exist yet when the first run is written).
BOUNDARY_STATUSES = ("ok", "partial", "unchanged")


class IngestError(PricewatchError):
    """A run that cannot be written as given (conflicting or mislabelled records)."""


@dataclass
class RunOutcome:
    """What one run did; the CLI, the scheduler log and `status` all show this."""

    source: str
    status: str
    observed_at: datetime
    run_id: int | None = None
    records: int = 0
    opened: int = 0
    closed: int = 0
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    duration_s: float | None = None
    waiting_for: str | None = None  # a skipped run: the source (or "the database file")
    tables: list[str] = field(default_factory=list)  # history tables its records went to


    @property
    def changes(self) -> int:
        return self.opened + self.closed


def content_digest(bodies: Sequence[FetchedBody]) -> str | None:
    """One digest for a run's bodies: equal digests mean an `unchanged` run."""
    shas = sorted((body.url, body.sha256) for body in bodies if body.sha256)
    if not shas:
        return None
    if len(shas) == 1:
        return shas[0][1]
    return hashlib.sha256("\n".join(f"{u} {s}" for u, s in shas).encode()).hexdigest()



def archive(con: duckdb.DuckDBPyConnection, source: str, parser: str,
            bodies: Sequence[FetchedBody]) -> list[int]:
    """Store the fetches and each new body (once per sha256). Returns the fetch ids."""
    if not bodies:
        return []
    return in_transaction(con, lambda: archive_rows(con, source, parser, bodies),
                          f"{source}: archive")


def archive_rows(con: duckdb.DuckDBPyConnection, source: str, parser: str,
                 bodies: Sequence[FetchedBody]) -> list[int]:
    """`archive` in the caller's transaction: body files first, then their rows."""
    new_bodies: dict[str, FetchedBody] = {b.sha256: b for b in bodies if b.sha256}
    if new_bodies:
        known = {row[0] for row in con.execute(
            "SELECT content_sha256 FROM raw_bodies WHERE content_sha256 IN "
            "(SELECT unnest($shas))", {"shas": list(new_bodies)}).fetchall()}
        fresh = [(sha, b) for sha, b in new_bodies.items() if sha not in known]
        if fresh:
            folder = archive_dir(con)
            for sha, body in fresh:  # files first: a committed row always has its file
                write_body(folder, sha, body.content or b"")
            con.register("new_bodies", pa.table({
                "content_sha256": [sha for sha, _ in fresh],
                "bytes": [len(b.content or b"") for _, b in fresh],
                "first_seen_at": pa.array([b.fetched_at for _, b in fresh],
                                          pa.timestamp("us", tz="UTC")),
            }))
            con.execute("INSERT INTO raw_bodies SELECT * FROM new_bodies")
            con.unregister("new_bodies")
    fetch_ids = take_ids(con, "fetch", len(bodies))
    con.register("new_fetches", pa.table({
        "fetch_id": pa.array(fetch_ids, pa.int64()),
        "source": [source] * len(bodies),
        "parser": [parser] * len(bodies),
        "url": [b.url for b in bodies],
        "fetched_at": pa.array([b.fetched_at for b in bodies], pa.timestamp("us", tz="UTC")),
        "status_code": pa.array([b.status_code for b in bodies], pa.int32()),
        "etag": pa.array([b.etag for b in bodies], pa.string()),
        "last_modified": pa.array([b.last_modified for b in bodies], pa.string()),
        "content_type": pa.array([b.content_type for b in bodies], pa.string()),
        "content_sha256": pa.array([b.sha256 for b in bodies], pa.string()),
        "bytes": pa.array([None if b.content is None else len(b.content)
                           for b in bodies], pa.int64()),
        "elapsed_ms": pa.array([b.elapsed_ms for b in bodies], pa.float64()),
        "error": pa.array([b.error for b in bodies], pa.string()),
    }))
    con.execute(
        "INSERT INTO fetch_log (fetch_id, source, parser, url, fetched_at, status_code, "
        "etag, last_modified, content_type, content_sha256, bytes, elapsed_ms, error) "
        "SELECT * FROM new_fetches")
    con.unregister("new_fetches")
    return fetch_ids


def load_body(con: duckdb.DuckDBPyConnection, sha256: str) -> bytes:
    """An archived body: its file, or for bodies stored before migration 0006 the inline
    copy."""
    folder = archive_dir(con)
    try:
        content = read_body(folder, sha256)
    except ArchiveError as error:
        raise IngestError(str(error)) from None
    if content is not None:
        return content
    row = fetch_one(con, "SELECT body_zlib FROM raw_bodies_inline WHERE content_sha256 = ?",
                    [sha256])
    if row is not None:
        return zlib.decompress(row[0])
    if fetch_one(con, "SELECT 1 FROM raw_bodies WHERE content_sha256 = ?", [sha256]):
        raise IngestError(f"body {sha256} is recorded but its file "
                          f"{body_path(folder, sha256)} is missing (was the archive folder "
                          "left behind when the database was copied?)")
    raise IngestError(f"body {sha256} is not in the archive")


def find_duplicate(con: duckdb.DuckDBPyConnection, source: str, observed_at: datetime,
                   content_sha256: str | None) -> int | None:
    """The run that already holds this body at this time, if any (ingest is idempotent)."""
    row = fetch_one(
        con, "SELECT run_id, content_sha256 FROM runs WHERE source = ? AND observed_at = ? "
        "AND status <> 'failed' ORDER BY run_id LIMIT 1", [source, observed_at])
    if row is None:
        return None
    if row[1] != content_sha256:
        raise IngestError(
            f"{source} already has run {row[0]} observed at {observed_at.isoformat()} with "
            "different content; two snapshots cannot share one observation time")
    return int(row[0])


def any_run_at(con: duckdb.DuckDBPyConnection, source: str,
               times: Sequence[datetime]) -> bool:
    """Whether the source has a run (not failed) at one of these times: `find_duplicate`
    for a batch, which is then written one run at a time to say which."""
    row = fetch_one(con, "SELECT count(*) FROM runs WHERE source = $src AND status <> "
                    "'failed' AND observed_at IN (SELECT unnest($times))",
                    {"src": source, "times": list(times)})
    return bool(row and row[0])


def record_run(con: duckdb.DuckDBPyConnection, *, source: str, parser: str,
               observed_at: datetime, parsed: ParseResult, fetch_ids: Sequence[int] = (),
               content_sha256: str | None = None, started_at: datetime | None = None,
               suspect_ratio: float = 0.5, origin: str | None = None) -> RunOutcome:
    """Write one run and its history changes in one transaction (retried whole when a lake
    commit conflicts). `origin` says where a backfilled run's body came from."""
    return in_transaction(con, lambda: record_run_rows(
        con, source=source, parser=parser, observed_at=observed_at, parsed=parsed,
        fetch_ids=fetch_ids, content_sha256=content_sha256, started_at=started_at,
        suspect_ratio=suspect_ratio, origin=origin), f"{source}: run")


def record_run_rows(con: duckdb.DuckDBPyConnection, *, source: str, parser: str,
                    observed_at: datetime, parsed: ParseResult, fetch_ids: Sequence[int] = (),
                    content_sha256: str | None = None, started_at: datetime | None = None,
                    suspect_ratio: float = 0.5, origin: str | None = None) -> RunOutcome:
    """`record_run` in the caller's transaction."""
    observed_at = observed_at.astimezone(UTC)
    started_at = started_at or datetime.now(UTC)
    (run_id,) = take_ids(con, "run", 1)
    if fetch_ids:
        con.execute("UPDATE fetch_log SET run_id = $run WHERE fetch_id IN "
                    "(SELECT unnest($ids))", {"run": run_id, "ids": list(fetch_ids)})
    outcome = _apply_run(con, run_id, source, observed_at, content_sha256, parsed,
                         suspect_ratio)
    _insert_run(con, outcome, parser=parser, started_at=started_at,
                content_sha256=content_sha256, origin=origin)
    return outcome


def _insert_run(con: duckdb.DuckDBPyConnection, outcome: RunOutcome, *, parser: str,
                started_at: datetime, content_sha256: str | None = None,
                origin: str | None = None) -> None:
    """The run's row, written once and finished: a run is invisible to others until its
    commit anyway, and on a lake every UPDATE is catalog queries and a delete file."""
    con.execute(
        "INSERT INTO runs (run_id, source, parser, observed_at, started_at, finished_at, "
        "status, records, intervals_opened, intervals_closed, content_sha256, message, "
        "origin, history_tables) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [outcome.run_id, outcome.source, parser, outcome.observed_at.astimezone(UTC),
         started_at, datetime.now(UTC), outcome.status, outcome.records, outcome.opened,
         outcome.closed, content_sha256, outcome.message[:4000], origin, outcome.tables])


def record_skipped(con: duckdb.DuckDBPyConnection, *, source: str, observed_at: datetime,
                   waiting_for: str, reason: str) -> RunOutcome:
    """A run that could not start because its input is missing (`skipped: waiting for
    openrouter.models`): recorded so `status` shows it, and never a boundary of history."""
    outcome = RunOutcome(source=source, status="skipped", observed_at=observed_at,
                         message=f"waiting for {waiting_for}: {reason}",
                         waiting_for=waiting_for)
    return _record_unwritten(con, outcome)


def record_failed(con: duckdb.DuckDBPyConnection, *, source: str, observed_at: datetime,
                  message: str) -> RunOutcome:
    """A run that failed before it could be written as one (its bodies could not be
    archived, an error pricewatch did not expect): recorded, so `status`, collector_health
    and the failing-collector alert see every attempt. Writes no history."""
    return _record_unwritten(con, RunOutcome(source=source, status="failed",
                                             observed_at=observed_at, message=message))


def _record_unwritten(con: duckdb.DuckDBPyConnection, outcome: RunOutcome) -> RunOutcome:
    """A run row without history, in a transaction of its own; `outcome` gets its id."""
    def write() -> int:
        (run_id,) = take_ids(con, "run", 1)
        outcome.run_id = run_id
        _insert_run(con, outcome, parser=outcome.source, started_at=datetime.now(UTC))
        return run_id

    in_transaction(con, write, f"{outcome.source}: {outcome.status} run")
    return outcome


def _finish_run(con: duckdb.DuckDBPyConnection, outcome: RunOutcome) -> None:
    """A replayed run's row, as its replay left it."""
    con.execute(
        "UPDATE runs SET status = ?, records = ?, intervals_opened = ?, intervals_closed = ?, "
        "message = ?, finished_at = ?, history_tables = ? WHERE run_id = ?",
        [outcome.status, outcome.records, outcome.opened, outcome.closed,
         outcome.message[:4000], datetime.now(UTC), outcome.tables, outcome.run_id])


NEIGHBOURS_SQL = f"""
SELECT
    arg_max(run_id, observed_at) FILTER (boundary AND observed_at < $t),
    arg_max(content_sha256, observed_at) FILTER (boundary AND observed_at < $t),
    arg_max(run_id, observed_at) FILTER (status = 'ok' AND observed_at < $t),
    arg_max(records, observed_at) FILTER (status = 'ok' AND observed_at < $t),
    arg_min(run_id, observed_at) FILTER (boundary AND observed_at > $t),
    min(observed_at) FILTER (boundary AND observed_at > $t),
    -- NULL (ask every table) when an applied run does not say: another writer wrote it
    CASE WHEN count(*) FILTER (status IN ('ok', 'partial') AND history_tables IS NULL) = 0
         THEN coalesce(list_distinct(flatten(list(history_tables))), []) END
FROM (SELECT *, status IN {BOUNDARY_STATUSES!r} AS boundary FROM runs
      WHERE source = $src)
"""


@dataclass(frozen=True)
class Neighbours:
    """The runs around one observation time, in one scan of `runs`.

    Boundary runs (BOUNDARY_STATUSES) are those whose snapshot is part of the history."""

    previous_run: int | None
    previous_sha256: str | None
    last_good_run: int | None
    last_good_records: int | None
    next_run: int | None
    next_observed_at: datetime | None
    tables: list[str] | None  # every table that can hold the source's intervals; None: unknown


def _neighbours(con: duckdb.DuckDBPyConnection, source: str, observed_at: datetime) -> Neighbours:
    row = fetch_one(con, NEIGHBOURS_SQL, {"src": source, "t": observed_at})
    return Neighbours(*(row or (None,) * 7))


def previous_digest(con: duckdb.DuckDBPyConnection, source: str,
                    observed_at: datetime) -> str | None:
    """Content digest of the last run before `observed_at` whose snapshot is in history."""
    return _neighbours(con, source, observed_at).previous_sha256


def _apply_run(con: duckdb.DuckDBPyConnection, run_id: int, source: str,
               observed_at: datetime, content_sha256: str | None, parsed: ParseResult,
               suspect_ratio: float) -> RunOutcome:
    """The run's history changes, and what its parse did not read (for a run that parsed
    its bodies: an unchanged run repeats a stored one, a failed one read nothing)."""
    outcome = _apply_snapshot(con, run_id, source, observed_at, content_sha256, parsed,
                              suspect_ratio)
    if parsed.unread and outcome.status in ("ok", "partial", "suspect"):
        _append_unread(con, run_id, source, observed_at, parsed.unread)
    return outcome


def _append_unread(con: duckdb.DuckDBPyConnection, run_id: int, source: str,
                   observed_at: datetime, unread: Sequence[Any]) -> None:
    con.register("new_unread", pa.table({
        "run_id": pa.array([run_id] * len(unread), pa.int64()),
        "source": [source] * len(unread),
        "observed_at": pa.array([observed_at] * len(unread), pa.timestamp("us", tz="UTC")),
        "path": [u.path for u in unread],
        "items": pa.array([u.count for u in unread], pa.int64()),
        "example": [u.example for u in unread],
    }))
    con.execute("INSERT INTO run_unread SELECT * FROM new_unread")
    con.unregister("new_unread")


def _apply_snapshot(con: duckdb.DuckDBPyConnection, run_id: int, source: str,
                    observed_at: datetime, content_sha256: str | None, parsed: ParseResult,
                    suspect_ratio: float) -> RunOutcome:
    outcome = RunOutcome(source=source, status="failed", observed_at=observed_at,
                         run_id=run_id, warnings=list(parsed.warnings))
    if parsed.error is not None or parsed.records is None:
        outcome.message = parsed.error or "no records"
        return outcome
    records = parsed.records
    outcome.records = len(records)
    wrong = next((r for r in records if r.source != source), None)
    if wrong is not None:
        raise IngestError(f"run of {source} holds a record of source {wrong.source!r}")
    around = _neighbours(con, source, observed_at)
    verdict = _verdict(source, parsed, len(records), content_sha256, around, suspect_ratio)
    if verdict is not None:
        outcome.status, outcome.message = verdict
        return outcome
    at = Boundary(source=source, run_id=run_id, observed_at=observed_at,
                  next_observed_at=around.next_observed_at, next_run_id=around.next_run)
    written = None if around.tables is None else set(around.tables)
    changes = apply_records(con, at, records, parsed.scope_models, written)
    outcome.opened, outcome.closed = changes.opened, changes.closed
    outcome.tables = changes.tables
    outcome.status = "partial" if parsed.partial else "ok"
    outcome.message = "; ".join(parsed.messages)
    return outcome


def _verdict(source: str, parsed: ParseResult, records: int, content_sha256: str | None,
             around: Neighbours, suspect_ratio: float) -> tuple[str, str] | None:
    """Why a parsed snapshot writes no history (`unchanged` or `suspect`, and the message),
    judged against the runs before it; None: it is applied."""
    if content_sha256 and around.previous_sha256 == content_sha256:
        return "unchanged", f"same content as run {around.previous_run}"
    if parsed.suspect is not None:
        return "suspect", "; ".join([f"{parsed.suspect}: history left unchanged",
                                     *parsed.messages])
    good = around.last_good_records
    judged = not parsed.partial or parsed.left_out > 0  # a sweep's part is judged apart
    if not records or (good is not None and judged and records < suspect_ratio * good):
        return "suspect", (f"{source}: {records} records, far fewer than the {good} of run "
                           f"{around.last_good_run}: history left unchanged" if good
                           else f"{source}: no records: history left unchanged")
    return None


def apply_records(con: duckdb.DuckDBPyConnection, at: Boundary, records: Sequence[AnyRecord],
                  scope_models: set[tuple[str, str]] | None,
                  written: set[str] | None = None) -> Changes:
    """Stage one snapshot per history table, apply it, and append its measurements.

    A price absent from the snapshot is not published (never 0): its interval closes.
    `written` names the tables the source's earlier runs wrote (None: unknown, ask all):
    a table outside it holds none of the source's intervals, so it is not asked."""
    scope = "all"
    if scope_models is not None:
        scope = "models"
        con.register("scope_models_rows", pa.table({
            "provider": [p for p, _ in sorted(scope_models)],
            "model": [m for _, m in sorted(scope_models)]}, schema=pa.schema(
                [("provider", pa.string()), ("model", pa.string())])))
        con.execute("CREATE OR REPLACE TEMP TABLE scope_models AS "
                    "SELECT * FROM scope_models_rows")
        con.unregister("scope_models_rows")
    changes = Changes()
    try:
        by_type: dict[type, list[AnyRecord]] = {spec.record_type: [] for spec in SPECS}
        for record in records:
            by_type.setdefault(type(record), []).append(record)
        absent = [spec.table for spec in SPECS if not by_type[spec.record_type]
                  and (written is None or spec.table in written)]
        closable = _tables_covering(con, absent, at)
        changes.tables = sorted(spec.table for spec in SPECS if by_type[spec.record_type])
        for spec in SPECS:
            rows = by_type[spec.record_type]
            if not rows and spec.table not in closable:
                continue  # nothing to open and nothing that could close
            stage(con, spec, spec.to_arrow(rows))
            changes.add(apply_snapshot(con, spec, at, scope_filter(spec, scope)))
    except ConflictingRecords as error:
        raise IngestError(f"{at.source}: {error}") from None
    _append_measurements(con, at, by_type.get(MeasurementRecord, []))
    return changes


class NotBatchable(PricewatchError):
    """A batch `record_batch_rows` cannot write exactly (a stored run after it, two values
    for one key): the caller writes its runs one at a time instead."""


@dataclass
class StagedRun:
    """A parsed full snapshot waiting in a batch (`record_batch_rows`): its records as one
    Arrow table per history table, so that a batch holds no record objects."""

    source: str
    observed_at: datetime
    content_sha256: str
    origin: str | None
    parsed: ParseResult  # without its records
    records: int
    rows: dict[str, pa.Table]  # history table -> its rows, tables with rows only
    measurements: list[MeasurementRecord]

    @classmethod
    def of(cls, source: str, parsed: ParseResult, observed_at: datetime, content_sha256: str,
           origin: str | None) -> StagedRun | None:
        """The run staged, or None when only `record_run_rows` writes it (a failed parse,
        a sweep's part, a record of another source)."""
        records = parsed.records
        if parsed.error is not None or records is None or parsed.scope_models is not None:
            return None
        by_type: dict[type, list[AnyRecord]] = {}
        for record in records:
            if record.source != source:
                return None
            by_type.setdefault(type(record), []).append(record)
        return cls(source=source, observed_at=observed_at.astimezone(UTC),
                   content_sha256=content_sha256,
                   origin=origin, parsed=replace(parsed, records=[]), records=len(records),
                   rows={spec.table: spec.to_arrow(by_type[spec.record_type])
                         for spec in SPECS if spec.record_type in by_type},
                   measurements=list(by_type.get(MeasurementRecord, [])))


def record_batch_rows(con: duckdb.DuckDBPyConnection, *, source: str, parser: str,
                      runs: Sequence[StagedRun], fetch_ids: Sequence[int],
                      suspect_ratio: float = 0.5) -> list[RunOutcome]:
    """`record_run_rows` for several runs of one source, oldest first, in the caller's
    transaction: each judged as it would be alone (unchanged, suspect), the history of
    those applied written in one pass per table (history.apply_batch). NotBatchable when
    that would not be exact: the caller rolls back and writes them one at a time."""
    around = _neighbours(con, source, runs[0].observed_at)
    if around.next_observed_at is not None:
        raise NotBatchable(f"{source}: a stored run is later than the batch")
    run_ids = take_ids(con, "run", len(runs))
    con.execute("UPDATE fetch_log SET run_id = m.run_id FROM (SELECT unnest($fetch) AS "
                "fetch_id, unnest($run) AS run_id) m WHERE fetch_log.fetch_id = m.fetch_id",
                {"fetch": list(fetch_ids), "run": run_ids})
    outcomes, applied = [], []
    for run, run_id in zip(runs, run_ids, strict=True):
        outcome = RunOutcome(source=source, status="failed", observed_at=run.observed_at,
                             run_id=run_id, records=run.records,
                             warnings=list(run.parsed.warnings))
        verdict = _verdict(source, run.parsed, run.records, run.content_sha256, around,
                           suspect_ratio)
        if verdict is not None:
            outcome.status, outcome.message = verdict
            if outcome.status == "unchanged":  # a boundary, with the same content
                around = replace(around, previous_run=run_id)
        else:
            outcome.status = "partial" if run.parsed.partial else "ok"
            outcome.message = "; ".join(run.parsed.messages)
            outcome.tables = sorted(run.rows)
            good = outcome.status == "ok"
            around = replace(
                around, previous_run=run_id, previous_sha256=run.content_sha256,
                last_good_run=run_id if good else around.last_good_run,
                last_good_records=run.records if good else around.last_good_records)
            applied.append((run, outcome))
        outcomes.append(outcome)
    if applied:
        _apply_batch(con, source, applied, around)
    for run, outcome in zip(runs, outcomes, strict=True):
        if run.parsed.unread and outcome.status in ("ok", "partial", "suspect"):
            _append_unread(con, outcome.run_id, source, run.observed_at, run.parsed.unread)
        _insert_run(con, outcome, parser=parser, started_at=datetime.now(UTC),
                    content_sha256=run.content_sha256, origin=run.origin)
    return outcomes


def _apply_batch(con: duckdb.DuckDBPyConnection, source: str,
                 applied: Sequence[tuple[StagedRun, RunOutcome]], around: Neighbours) -> None:
    """The applied runs' history, per table, and their measurements."""
    steps = [Step(outcome.run_id, run.observed_at) for run, outcome in applied]
    with_rows = {table for run, _ in applied for table in run.rows}
    written = None if around.tables is None else set(around.tables)
    first = Boundary(source=source, run_id=steps[0].run_id, observed_at=steps[0].observed_at)
    closable = _tables_covering(con, [spec.table for spec in SPECS if spec.table not in
                                      with_rows and (written is None or spec.table in written)],
                                first)
    by_run = {outcome.run_id: outcome for _, outcome in applied}
    for spec in SPECS:
        if spec.table not in with_rows and spec.table not in closable:
            continue  # nothing to open and nothing that could close
        try:
            none = spec.to_arrow([])
            stage_batch(con, spec, [run.rows.get(spec.table, none) for run, _ in applied])
        except ConflictingRecords as error:
            raise NotBatchable(f"{source}: {error}") from None
        for run_id, changes in apply_batch(con, spec, source, steps).items():
            by_run[run_id].opened += changes.opened
            by_run[run_id].closed += changes.closed
    for run, outcome in applied:
        _append_measurements(con, Boundary(source=source, run_id=outcome.run_id,
                                           observed_at=run.observed_at), run.measurements)


def _tables_covering(con: duckdb.DuckDBPyConnection, tables: Sequence[str],
                     at: Boundary) -> set[str]:
    """Which of `tables` hold an interval of the source in force at or after the snapshot's
    time (open, or closed after it by a later run): only those can change when the
    snapshot has no records for them. One statement for all, since on a lake each
    statement is catalog round trips (five checks cost ~170 ms of a 0.45 s run)."""
    if not tables:
        return set()
    sql = " UNION ALL ".join(
        f"(SELECT '{table}' FROM {table} WHERE source = $src "
        "AND (valid_to IS NULL OR valid_to > $t0) LIMIT 1)" for table in tables)
    return {row[0] for row in con.execute(sql, {"src": at.source, "t0": at.observed_at}
                                          ).fetchall()}


def _append_measurements(con: duckdb.DuckDBPyConnection, at: Boundary,
                         rows: Sequence[MeasurementRecord]) -> None:
    if not rows:
        return
    con.register("new_measurements", pa.table({
        "run_id": pa.array([at.run_id] * len(rows), pa.int64()),
        "observed_at": pa.array([at.observed_at] * len(rows), pa.timestamp("us", tz="UTC")),
        "source": [r.source for r in rows],
        "provider": [r.provider for r in rows],
        "model": [r.model for r in rows],
        "route": [r.route for r in rows],
        "metric": [r.metric for r in rows],
        "value": pa.array([float(r.value) for r in rows], pa.float64()),
    }))
    con.execute("INSERT INTO offer_measurements SELECT * FROM new_measurements")
    con.unregister("new_measurements")


@dataclass
class RebuildReport:
    source: str
    runs_replayed: int = 0
    intervals_added: int = 0
    intervals_removed: int = 0
    status_changes: list[str] = field(default_factory=list)


ParseRun = Callable[[str, list[tuple[str, bytes]], datetime], ParseResult]


def rebuild_source(con: duckdb.DuckDBPyConnection, source: str, parse_run: ParseRun,
                   since: datetime | None = None, suspect_ratio: float = 0.5) -> RebuildReport:
    """Replay a source's archived runs through today's parser, in one transaction.

    History before `since` is kept (later runs cannot change it); from `since` on it is
    rebuilt run by run in observation order, exactly as a fresh ingest would build it.
    """
    since = since or datetime.min.replace(tzinfo=UTC)
    return in_transaction(con, lambda: _rebuild(con, source, parse_run, since, suspect_ratio),
                          f"{source}: reparse")


def _rebuild(con: duckdb.DuckDBPyConnection, source: str, parse_run: ParseRun,
             since: datetime, suspect_ratio: float) -> RebuildReport:
    report = RebuildReport(source)
    take_ids(con, "run", 0)  # a lake: conflicts with any run committed meanwhile
    before = _interval_snapshot(con, source)
    runs = con.execute(
        "SELECT run_id, parser, observed_at, status, content_sha256 FROM runs "
        "WHERE source = ? AND observed_at >= ? AND status <> 'skipped' "
        "ORDER BY observed_at, run_id", [source, since]).fetchall()
    run_ids = [row[0] for row in runs]
    for spec in SPECS:
        con.execute(f"DELETE FROM {spec.table} WHERE source = ? AND valid_from >= ?",
                    [source, since])
        con.execute(f"UPDATE {spec.table} SET valid_to = NULL, closed_by_run = NULL "
                    "WHERE source = ? AND valid_to >= ?", [source, since])
    for table in ("offer_measurements", "run_unread"):  # rewritten by the replay
        con.execute(f"DELETE FROM {table} WHERE run_id IN (SELECT unnest($ids))",
                    {"ids": run_ids})
    # Not yet replayed runs must not bound intervals: park them.
    con.execute("UPDATE runs SET status = 'replaying' WHERE run_id IN (SELECT unnest($ids))",
                {"ids": run_ids})
    for run_id, parser, observed_at, old_status, sha in runs:
        bodies = [(url, load_body(con, body_sha)) for url, body_sha in con.execute(
            "SELECT url, content_sha256 FROM fetch_log WHERE run_id = ? AND "
            "content_sha256 IS NOT NULL ORDER BY fetch_id", [run_id]).fetchall()]
        if not bodies:
            con.execute("UPDATE runs SET status = ? WHERE run_id = ?", [old_status, run_id])
            continue
        parsed = parse_run(parser, bodies, observed_at)
        outcome = _apply_run(con, run_id, source, observed_at, sha, parsed, suspect_ratio)
        _finish_run(con, outcome)
        report.runs_replayed += 1
        if outcome.status != old_status:
            report.status_changes.append(f"run {run_id}: {old_status} -> {outcome.status}")
    after = _interval_snapshot(con, source)
    report.intervals_added = len(after - before)
    report.intervals_removed = len(before - after)
    return report


def _interval_snapshot(con: duckdb.DuckDBPyConnection, source: str) -> set[tuple[Any, ...]]:
    found: set[tuple[Any, ...]] = set()
    for spec in SPECS:
        found.update((spec.table, *row) for row in con.execute(
            f"SELECT key_hash, value_hash, valid_from, valid_to FROM {spec.table} "
            "WHERE source = ?", [source]).fetchall())
    return found
