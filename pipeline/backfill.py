"""`pricewatch backfill`: a snapshot history (the commits of one file in a git repository,
or a folder of dated captures) ingested version by version at the times the versions were
taken, through the same ingest as `collect` (archive, parse, suspect guard, SCD2). Each run
carries its origin (`runs.origin`). Ingest already makes it idempotent and
order-independent; this module walks the versions, parses each distinct body once and
counts what happened, and a bad version never stops the rest."""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import datetime

import duckdb

from pricewatch import queries
from pricewatch.collectors import get_source
from pricewatch.errors import PricewatchError, WarehouseError
from pricewatch.pipeline import run as pipeline
from pricewatch.records import ParseResult, parse_timestamp
from pricewatch.settings import Settings
from pricewatch.text import iso_utc
from pricewatch.warehouse import state
from pricewatch.warehouse.db import open_warehouse

OUTCOMES = ("ingested", "unchanged", "duplicate", "suspect", "failed")
PARSED_KEPT = 16  # parse results kept for identical bodies (the last ones used)
# Versions are written on one open warehouse for up to this long, then it is closed and
# opened again: an attach, a checkpoint and a detach per batch, not per version (they were
# most of a version's write), and between batches the file is free for a running daemon.
BATCH_S = 2.0


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
    """Ingest every version in [since, until] (by its time), oldest first as given.

    Versions are parsed on this thread and written on another, in the order given, so
    parsing the next version overlaps writing the one before (a parse holds the GIL, a
    write mostly runs in DuckDB and zlib without it)."""
    report = Report()
    parsed: OrderedDict[str, ParseResult] = OrderedDict()
    seen = _ingested(settings, parser)
    # once, before the writer holds the warehouse: a source keyed by a provider directory
    # reads it from there, which this backfill does not change
    options = pipeline.parse_options(settings, get_source(parser))
    latest = max((observed_at for observed_at, _ in seen), default=None)
    failed_early: list[tuple[int, dict[str, str]]] = []  # failed before their write
    with _Writer(settings, parser) as writer:
        for done, version in enumerate(versions, start=1):
            job = _parsed(settings, parser, options, done, version, since, until,
                          time_field, parsed, seen, report, failed_early)
            if job is not None:
                writer.put(job)
            if progress is not None:
                progress(done, total)
    writer.add_to(report, failed_early)
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


class _Batches:
    """The warehouse open for writing, one batch of versions at a time (BATCH_S)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stack = ExitStack()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.opened = 0.0

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


@dataclass(frozen=True)
class _Job:
    """A parsed version waiting to be written; `number` keeps its problems in order."""

    number: int
    version: Version
    at: datetime
    result: ParseResult


def _parsed(settings: Settings, parser: str, options: object, number: int,
            version: Version, since: datetime | None, until: datetime | None,
            time_field: str | None,
            parsed: OrderedDict[str, ParseResult], seen: set[tuple[datetime, str]],
            report: Report, problems: list[tuple[int, dict[str, str]]]) -> _Job | None:
    """The version parsed and ready to write, or None when it is skipped (counted in
    `report`, and in `problems` when it failed: deleted, outside the range, already
    there, or without a time)."""
    if version.body is None:
        report.skipped.append(f"{version.label}: the file was deleted in this commit")
        return None
    try:
        at = observed(version, time_field)
    except PricewatchError as error:
        report.counts["failed"] += 1
        problems.append((number, _problem(version, version.observed_at, "failed",
                                          str(error))))
        return None
    if (since is not None and at < since) or (until is not None and at > until):
        return None
    report.versions += 1
    if (at, hashlib.sha256(version.body).hexdigest()) in seen:
        report.counts["duplicate"] += 1
        return None
    key = version.blob or version.origin
    if key in parsed:  # identical bodies are parsed once: parsers are pure of bytes
        parsed.move_to_end(key)
        report.parses_saved += 1
    else:
        parsed[key] = pipeline.parse_run(settings, parser, [(version.origin, version.body)],
                                         at, options=options)
        report.parsed_bodies += 1
        if len(parsed) > PARSED_KEPT:  # a catalogue's records take megabytes: keep a few
            parsed.popitem(last=False)
    return _Job(number, version, at, parsed[key])


class _Writer:
    """Writes parsed versions in order on a thread of its own, in batches (_Batches).

    It keeps the write outcomes apart (`add_to` adds them to the report once it is done),
    its problems numbered so they merge with the parse side's in version order. At most
    QUEUED versions wait, so memory stays bounded while a write is slower than a parse.
    An unexpected error on the writer is raised on the caller's thread at its next put or
    at the end; the caller's own error stops the writer after what it has taken."""

    QUEUED = 2

    def __init__(self, settings: Settings, parser: str) -> None:
        self.settings, self.parser = settings, parser
        self.jobs: queue.Queue[_Job | None] = queue.Queue(self.QUEUED)
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.changes = 0
        self.ingested_at: list[datetime] = []
        self.problems: list[tuple[int, dict[str, str]]] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, name="backfill-writer",
                                       daemon=True)

    def __enter__(self) -> _Writer:
        self.thread.start()
        return self

    def put(self, job: _Job) -> None:
        while self.error is None:
            try:
                self.jobs.put(job, timeout=0.1)
                return
            except queue.Full:
                continue
        raise self.error

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if self.error is None:
            self.jobs.put(None)
        self.thread.join()
        if kind is None and self.error is not None:
            raise self.error

    def _work(self) -> None:
        try:
            with _Batches(self.settings) as batches:
                while (job := self.jobs.get()) is not None:
                    self._write(batches, job)
        except BaseException as error:  # handed to the caller's thread
            self.error = error
            with suppress(queue.Empty):
                while True:  # a caller blocked on a full queue gets to see the error
                    self.jobs.get_nowait()

    def add_to(self, report: Report, problems: list[tuple[int, dict[str, str]]]) -> None:
        """The writes' outcomes into `report`, with the parse side's `problems`."""
        for outcome, count in self.counts.items():
            report.counts[outcome] += count
        report.changes += self.changes
        report.ingested_at.extend(self.ingested_at)
        report.problems.extend(problem for _, problem in sorted(
            problems + self.problems, key=lambda numbered: numbered[0]))

    def _write(self, batches: _Batches, job: _Job) -> None:
        version = job.version
        try:
            outcome = pipeline.ingest_parsed(batches.connection(), self.settings, self.parser,
                                             version.body or b"", job.at, version.origin,
                                             job.result, origin=version.origin)
        except PricewatchError as error:
            if isinstance(error, WarehouseError):  # the connection may be gone: open afresh
                batches.close()
            self.counts["failed"] += 1
            self.problems.append((job.number, _problem(version, job.at, "failed",
                                                       str(error))))
            return
        status = "ingested" if outcome.status in ("ok", "partial") else outcome.status
        if status not in self.counts:
            status = "failed"
        if status != "duplicate":
            self.ingested_at.append(job.at)
        self.counts[status] += 1
        self.changes += outcome.changes
        if status in ("suspect", "failed"):
            self.problems.append((job.number, _problem(version, job.at, status,
                                                       outcome.message)))


def _problem(version: Version, at: datetime, status: str, message: str) -> dict[str, str]:
    return {"version": version.label, "observed_at": iso_utc(at),
            "status": status, "message": message, "origin": version.origin}
