"""`pricewatch backfill`: a snapshot history (the commits of one file in a git repository,
or a folder of dated captures) ingested version by version at the times the versions were
taken, through the same ingest as `collect` (archive, parse, suspect guard, SCD2). Each run
carries its origin (`runs.origin`). Ingest already makes it idempotent and
order-independent; this module walks the versions, parses each distinct body once and
counts what happened, and a bad version never stops the rest."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pricewatch import queries
from pricewatch.collectors import get_source
from pricewatch.errors import PricewatchError, WarehouseError
from pricewatch.pipeline import run as pipeline
from pricewatch.records import FetchedBody, ParseResult, parse_timestamp
from pricewatch.settings import Settings
from pricewatch.text import iso_utc
from pricewatch.warehouse import state
from pricewatch.warehouse.db import open_warehouse
from pricewatch.warehouse.ingest import RunOutcome, StagedRun

OUTCOMES = ("ingested", "unchanged", "duplicate", "suspect", "failed")
# Parse results kept for identical bodies: the last two, so an undone change (A, B, A)
# or a capture repeated in a folder is not parsed again. Each holds thousands of record
# objects: keeping 16 made the 150 real versions ~2 s slower (15.6-16.0 s, 334 MB
# against 13.4-14.4 s, 220 MB; about half of it garbage collections walking them).
PARSED_KEPT = 2
# Versions are written on one open warehouse for up to this long, then it is closed and
# opened again: an attach, a checkpoint and a detach per batch, not per version (they were
# most of a version's write), and between batches the file is free for a running daemon.
BATCH_S = 2.0
# Versions in order are written this many at a time, in one transaction and one pass of
# SCD2 per history table (warehouse/history.py: apply_batch): per version, its ~40 small
# statements were most of a backfill's write.
BATCH_RUNS = 32

log = logging.getLogger("pricewatch.backfill")


@dataclass(frozen=True)
class Version:
    """One version of a snapshot history: where it came from (`runs.origin`), a short label
    for messages (a commit, a file name), when it was taken and its bytes (None: the file
    was deleted in that commit). `blob` names identical bodies alike."""

    origin: str
    label: str
    observed_at: datetime
    body: bytes | None
    blob: str | None


@dataclass
class Report:
    """What a backfill did: counts per outcome, and every version that was not ingested
    with why (a suspect or failed version, or one skipped before ingest)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    problems: list[dict[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    parsed_bodies: int = 0
    parses_saved: int = 0  # versions whose identical body was parsed already
    changes: int = 0
    versions: int = 0
    ingested_at: list[datetime] = field(default_factory=list)
    rebuilt_from: datetime | None = None  # out-of-order versions: replayed from here


Progress = Callable[[int, int | None], None]  # versions done, versions in all (if known)


def observed(version: Version, time_field: str | None) -> datetime:
    """The version's time: its own, or a top-level JSON field of its body (`fetched_at`)."""
    if time_field is None:
        return version.observed_at
    try:
        value = json.loads(version.body or b"")[time_field]
    except (ValueError, KeyError, TypeError):
        raise PricewatchError(f"no top-level field {time_field!r} in the body") from None
    return parse_timestamp(str(value), time_field)


def run(settings: Settings, parser: str, versions: Iterable[Version], *,
        since: datetime | None = None, until: datetime | None = None,
        time_field: str | None = None, total: int | None = None,
        progress: Progress | None = None) -> Report:
    """Ingest every version in [since, until] (by its time), oldest first as given."""
    report = Report()
    parsed: OrderedDict[str, ParseResult] = OrderedDict()
    seen = _ingested(settings, parser)
    # once, before a batch holds the warehouse: a source keyed by a provider directory
    # reads it from there (a read inside a batch waited on the batch's own lock for ever),
    # and this backfill does not change it
    options = pipeline.parse_options(settings, get_source(parser))
    latest = max((observed_at for observed_at, _ in seen), default=None)
    with _Batches(settings, after=latest) as batches:
        for done, version in enumerate(versions, start=1):
            _one(settings, parser, options, version, since, until, time_field, parsed, seen,
                 report, batches)
            if progress is not None:
                progress(done, total)
        _flush(settings, parser, options, batches, report)
    earliest = min(report.ingested_at, default=None)
    if latest is not None and earliest is not None and earliest < latest:
        # Versions landed before runs already there. Ingest splits and merges intervals
        # for that, but a later run's "absent means 0" (OpenRouter's zero rule) needs the
        # earlier state it did not have when it was ingested: replaying the source from the
        # earliest such version, in order, from the archive, gives the in-order history.
        rebuilt = pipeline.reparse(settings, [parser], since=earliest)
        report.rebuilt_from = earliest
        report.changes += sum(r.intervals_added + r.intervals_removed for r in rebuilt)
    queries.ensure_installed(settings)
    return report


@dataclass
class _Pending:
    """A parsed version waiting for its batch's one transaction (`BATCH_RUNS`)."""

    version: Version
    at: datetime
    staged: StagedRun


class _Batches:
    """The warehouse open for writing, one batch of versions at a time (BATCH_S), and the
    versions waiting to be written together."""

    def __init__(self, settings: Settings, after: datetime | None = None) -> None:
        self.settings = settings
        self.after = after  # the latest run stored before the backfill: batches start later
        self.stack = ExitStack()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.opened = 0.0
        self.pending: list[_Pending] = []

    def connection(self) -> duckdb.DuckDBPyConnection:
        if self.con is not None and time.monotonic() - self.opened > BATCH_S:
            self.close()
        if self.con is None:
            self.con = self.stack.enter_context(open_warehouse(self.settings))
            self.opened = time.monotonic()
        return self.con

    def close(self) -> None:
        """End the batch (also after a version that failed: the next opens afresh)."""
        self.con = None
        self.stack.close()

    def __enter__(self) -> _Batches:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ingested(settings: Settings, parser: str) -> set[tuple[datetime, str]]:
    """(time, body digest) of the source's runs already in the warehouse: a second backfill
    of a history skips them without parsing or writing (ingest would find them too)."""
    with open_warehouse(settings, read_only=True) as con:
        return state.ingested_versions(con, parser)


def _one(settings: Settings, parser: str, options: object, version: Version,
         since: datetime | None, until: datetime | None, time_field: str | None,
         parsed: OrderedDict[str, ParseResult],
         seen: set[tuple[datetime, str]], report: Report, batches: _Batches) -> None:
    if version.body is None:
        report.skipped.append(f"{version.label}: the file was deleted in this commit")
        return
    try:
        at = observed(version, time_field)
    except PricewatchError as error:
        _failed(report, version, version.observed_at, str(error))
        return
    if (since is not None and at < since) or (until is not None and at > until):
        return
    report.versions += 1
    digest = hashlib.sha256(version.body).hexdigest()
    if (at, digest) in seen:
        report.counts["duplicate"] += 1
        return
    key = version.blob or version.origin
    if key in parsed:  # identical bodies are parsed once: parsers are pure of bytes
        parsed.move_to_end(key)
        report.parses_saved += 1
    else:
        parsed[key] = pipeline.parse_run(settings, parser, [(version.origin, version.body)],
                                         at, options=options)
        report.parsed_bodies += 1
        if len(parsed) > PARSED_KEPT:
            parsed.popitem(last=False)
    staged = _staged(parser, parsed[key], version, at, digest)
    if staged is not None and batches.after is not None and at <= batches.after:
        staged = None  # alone, so that ingest orders history around the later stored runs
    last = batches.pending[-1] if batches.pending else None
    if staged is None or (last is not None and (at <= last.at or
                                                staged.source != last.staged.source)):
        _flush(settings, parser, options, batches, report)
    if staged is None:
        _write_one(settings, parser, version, at, parsed[key], report, batches)
        return
    batches.pending.append(_Pending(version, at, staged))
    if len(batches.pending) >= BATCH_RUNS:
        _flush(settings, parser, options, batches, report)


def _staged(parser: str, result: ParseResult, version: Version, at: datetime,
            digest: str) -> StagedRun | None:
    """The version ready for a batch, or None when it is written alone."""
    try:
        source = pipeline.run_source_name(parser, result)
    except PricewatchError:
        return None
    return StagedRun.of(source, result, at, digest, version.origin)


def _flush(settings: Settings, parser: str, options: object, batches: _Batches,
           report: Report) -> None:
    """Write the waiting versions in one transaction, or one at a time when the batch
    cannot be written exactly as they would be alone (their parse results are not kept:
    parsed again, as parsers are pure functions of bytes)."""
    pending, batches.pending = batches.pending, []
    if not pending:
        return
    outcomes = None
    try:
        outcomes = pipeline.ingest_batch(
            batches.connection(), settings, pending[0].staged.source, parser,
            [(p.staged, FetchedBody(url=p.version.origin, fetched_at=p.at,
                                    content=p.version.body)) for p in pending])
    except PricewatchError as error:
        if isinstance(error, WarehouseError):  # the connection may be gone: open afresh
            batches.close()
        log.debug("backfill batch written one version at a time: %s", error)
    if outcomes is not None:
        for waiting, outcome in zip(pending, outcomes, strict=True):
            _counted(report, waiting.version, waiting.at, outcome)
        return
    for waiting in pending:
        result = pipeline.parse_run(settings, parser, [(waiting.version.origin,
                                                        waiting.version.body or b"")],
                                    waiting.at, options=options)
        _write_one(settings, parser, waiting.version, waiting.at, result, report, batches)


def _write_one(settings: Settings, parser: str, version: Version, at: datetime,
               result: ParseResult, report: Report, batches: _Batches) -> None:
    """One version in a transaction of its own."""
    try:
        outcome = pipeline.ingest_parsed(batches.connection(), settings, parser,
                                         version.body or b"", at, version.origin, result,
                                         origin=version.origin)
    except PricewatchError as error:
        if isinstance(error, WarehouseError):  # the connection may be gone: open afresh
            batches.close()
        _failed(report, version, at, str(error))
        return
    _counted(report, version, at, outcome)


def _counted(report: Report, version: Version, at: datetime, outcome: RunOutcome) -> None:
    """The version's outcome in the report."""
    status = "ingested" if outcome.status in ("ok", "partial") else outcome.status
    if status not in report.counts:
        status = "failed"
    if status != "duplicate":
        report.ingested_at.append(at)
    report.counts[status] += 1
    report.changes += outcome.changes
    if status in ("suspect", "failed"):
        report.problems.append(_problem(version, at, status, outcome.message))


def _failed(report: Report, version: Version, at: datetime, message: str) -> None:
    report.counts["failed"] += 1
    report.problems.append(_problem(version, at, "failed", message))


def _problem(version: Version, at: datetime, status: str, message: str) -> dict[str, str]:
    return {"version": version.label, "observed_at": iso_utc(at),
            "status": status, "message": message, "origin": version.origin}
