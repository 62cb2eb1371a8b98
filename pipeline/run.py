"""Runs a source end to end: (fetch ->) archive -> parse -> ingest. The CLI and the
scheduler call these functions and nothing else, so the daemon does nothing that the CLI
cannot be seen doing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

import duckdb

from pricewatch import queries
from pricewatch.collectors import get_source, sources_for
from pricewatch.collectors.base import ParseError, PlanContext, Source, parse_bodies
from pricewatch.collectors.fetch import Fetcher, FetchError, Request, redact
from pricewatch.errors import InputError
from pricewatch.records import FetchedBody, ParseResult
from pricewatch.settings import Settings, secret_from_env
from pricewatch.warehouse import spool, state
from pricewatch.warehouse.bodies import ArchiveError
from pricewatch.warehouse.db import (
    DatabaseLocked,
    WarehouseError,
    in_transaction,
    open_warehouse,
    warehouse_exists,
)
from pricewatch.warehouse.ingest import (
    NotBatchable,
    RebuildReport,
    RunOutcome,
    StagedRun,
    any_run_at,
    archive,
    archive_rows,
    content_digest,
    find_duplicate,
    load_body,
    previous_digest,
    rebuild_source,
    record_batch_rows,
    record_failed,
    record_run_rows,
    record_skipped,
)

log = logging.getLogger("pricewatch.run")
MAX_PAGES = 500  # a paginated listing longer than this is cut off and the run is partial
Progress = Callable[[str, int, int], None]  # (source, done, total)
DATABASE_FILE = "the database file"  # what a skipped run waits for when the file was locked
_DRAINING = threading.Lock()  # one thread of a process drains the spool at a time
T = TypeVar("T")


async def _to_end(work: Callable[[], T]) -> T:
    """Warehouse work (parse, archive, write) on a worker thread, so the event loop keeps
    other sources' fetches going meanwhile. Once started it runs to its end even when the
    task is cancelled (SIGTERM): a write that has begun lands and its outcome is returned;
    the cancellation is honoured at the caller's next step (`_stop_if_cancelled`)."""
    future = asyncio.ensure_future(asyncio.to_thread(work))
    while True:
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            if future.cancelled():
                raise


def _cancelled() -> bool:
    """Whether this task was asked to stop while `_to_end` held the cancellation back."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def _stop_if_cancelled() -> None:
    """Raise the cancellation `_to_end` held back, before the next step begins."""
    if _cancelled():
        raise asyncio.CancelledError


def parse_options(settings: Settings, source: Source, con: object | None = None) -> object:
    """The parser's options: its provider's settings, and for a source keyed by a provider
    directory, that directory as the warehouse holds it (read from `con`, or from the
    database file when it exists; none on a machine without one)."""
    if source.directory is None:
        return source.options(settings)
    if con is not None:
        return source.options(settings, state.provider_slugs(con, source.directory))
    if not warehouse_exists(settings):
        return source.options(settings)
    with open_warehouse(settings, read_only=True) as reader:
        return source.options(settings, state.provider_slugs(reader, source.directory))


def parse_run(settings: Settings, name: str, bodies: Sequence[tuple[str, bytes]],
              observed_at: datetime, con: object | None = None,
              options: object | None = None) -> ParseResult:
    """A run's bodies through its source's parser, with that source's options (`options`:
    as `parse_options` gave them already, for many runs of one source)."""
    source = get_source(name)
    if options is None:
        options = parse_options(settings, source, con)
    return parse_bodies(source, bodies, observed_at, options)


def run_source_name(parser: str, parsed: ParseResult) -> str:
    """The source a run belongs to: the parser's name, or for `records` the records' own."""
    names = {record.source for record in parsed.records or ()}
    if parser != "records" or not names:
        return parser
    if len(names) > 1:
        raise ParseError(parser, "a records file must hold one source's records; found "
                         + ", ".join(sorted(names)))
    return names.pop()


def ingest_body(settings: Settings, parser: str, body: bytes, observed_at: datetime,
                url: str, *, origin: str | None = None, parsed: ParseResult | None = None,
                install_views: bool = True) -> RunOutcome:
    """Load a captured body as if it had been collected at `observed_at` (backfill).

    The body is parsed first: a file that does not parse is rejected whole and nothing of
    it is written. A body already ingested at the same time is a no-op (`duplicate`).
    `parsed` is a result the caller already has for the same bytes (parsers are pure
    functions of bytes); `install_views=False` leaves the views to the caller.
    """
    observed_at = observed_at.astimezone(UTC)
    if parsed is None:
        parsed = parse_run(settings, parser, [(url, body)], observed_at)
    _whole_source(parser, parsed)  # before the open: a bad file creates no warehouse
    with open_warehouse(settings) as con:
        outcome = ingest_parsed(con, settings, parser, body, observed_at, url, parsed,
                                origin=origin)
        if install_views and outcome.status != "duplicate":
            queries.install(con, settings)
        return outcome


def _whole_source(parser: str, parsed: ParseResult) -> str:
    """The run's source, or the ParseError of a body that did not parse whole."""
    if parsed.error is not None:
        raise ParseError(parser, parsed.error.removeprefix(f"{parser}: "))
    return run_source_name(parser, parsed)


def ingest_parsed(con: duckdb.DuckDBPyConnection, settings: Settings, parser: str,
                  body: bytes, observed_at: datetime, url: str, parsed: ParseResult, *,
                  origin: str | None = None) -> RunOutcome:
    """`ingest_body` on a warehouse the caller holds open (`pricewatch backfill` writes many
    versions per open): one transaction, archive and run, or a duplicate."""
    observed_at = observed_at.astimezone(UTC)
    source = _whole_source(parser, parsed)
    fetched = FetchedBody(url=url, fetched_at=observed_at, content=body)

    def write() -> RunOutcome:
        # one transaction: on a lake, a host that loses the race to an identical run
        # retries, finds it here, and reports a duplicate instead of a second run
        duplicate = find_duplicate(con, source, observed_at, fetched.sha256)
        if duplicate is not None:
            return RunOutcome(source=source, status="duplicate", observed_at=observed_at,
                              run_id=duplicate, records=len(parsed.records or ()),
                              message=f"already ingested as run {duplicate}")
        fetch_ids = archive_rows(con, source, parser, [fetched])
        return record_run_rows(con, source=source, parser=parser,
                               observed_at=observed_at, parsed=parsed,
                               fetch_ids=fetch_ids, content_sha256=fetched.sha256,
                               suspect_ratio=settings.suspect_ratio, origin=origin)

    return in_transaction(con, write, f"{source}: ingest")


def ingest_batch(con: duckdb.DuckDBPyConnection, settings: Settings, source: str,
                 parser: str, runs: Sequence[tuple[StagedRun, FetchedBody]]
                 ) -> list[RunOutcome] | None:
    """`ingest_parsed` for several full snapshots of one source, oldest first, in one
    transaction (a backfill in order): their bodies, runs and history written together.
    None, with nothing written, when a run already holds one of their times or a stored
    run is later than them: the caller writes them one at a time (`ingest_parsed` says
    which is a duplicate, and orders history around a later run)."""
    times = [run.observed_at for run, _ in runs]

    def write() -> list[RunOutcome] | None:
        if any_run_at(con, source, times):
            raise NotBatchable(f"{source}: a run already holds one of the batch's times")
        fetch_ids = archive_rows(con, source, parser, [body for _, body in runs])
        return record_batch_rows(con, source=source, parser=parser,
                                 runs=[run for run, _ in runs], fetch_ids=fetch_ids,
                                 suspect_ratio=settings.suspect_ratio)

    try:
        return in_transaction(con, write, f"{source}: ingest")
    except NotBatchable as why:
        log.debug("written one run at a time: %s", why)
        return None


def reparse(settings: Settings, sources: Sequence[str] = (),
            since: datetime | None = None) -> list[RebuildReport]:
    """Rebuild history from the archive with today's parsers, one transaction per source."""
    with open_warehouse(settings) as con:
        # an audit's records come from comparing its map with the warehouse, not from
        # parsing its body alone: it is audited again, never re-parsed
        from pricewatch.pipeline.audit import is_audit_source

        known = [name for name in state.run_sources(con) if not is_audit_source(name)]
        chosen = list(sources) or known
        audits = sorted(name for name in chosen if is_audit_source(name))
        if audits:
            raise InputError(f"{', '.join(audits)}: an audit is not re-parsed; run "
                             "`pricewatch audit --record` to audit the maps again")
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise InputError(f"no archived runs for {', '.join(unknown)}; "
                             f"sources with runs: {', '.join(known) or 'none'}")
        def parse(name: str, bodies: list[tuple[str, bytes]], at: datetime) -> ParseResult:
            return parse_run(settings, name, bodies, at, con)

        return [rebuild_source(con, source, parse, since, settings.suspect_ratio)
                for source in chosen]


async def collect(settings: Settings, selection: Sequence[str] = (),
                  progress: Progress | None = None, fetcher: Fetcher | None = None,
                  drain: bool = True) -> list[RunOutcome]:
    """One sweep now: every chosen source fetched, archived, parsed and ingested in turn.
    Spooled runs are ingested first (`drain`; the daemon's maintenance pass drains)."""
    chosen = sources_for(selection, settings)
    if drain:
        await asyncio.to_thread(drain_spool, settings)
    own = fetcher is None
    fetcher = fetcher or Fetcher(settings.fetch)
    try:
        outcomes = []
        for source in chosen:
            _stop_if_cancelled()
            outcomes.append(await collect_source(settings, source, fetcher, progress))
        if _cancelled():  # the last write landed during a stop: its outcome, no more work
            return outcomes
        try:
            await asyncio.to_thread(queries.ensure_installed, settings)
        except DatabaseLocked:
            log.debug("views not refreshed: the database is locked; the next run will")
        return outcomes
    finally:
        if own:
            await fetcher.__aexit__(None, None, None)


async def collect_source(settings: Settings, source: Source, fetcher: Fetcher,
                         progress: Progress | None = None) -> RunOutcome:
    """fetch -> archive -> parse -> ingest for one source; returns the run's summary."""
    started = time.monotonic()
    observed_at = datetime.now(UTC)
    secrets = {}
    if source.secret_env:
        secret = secret_from_env(source.secret_env)
        if secret is None:
            return RunOutcome(source=source.name, status="skipped", observed_at=observed_at,
                              message=f"set {source.secret_env} to collect this source")
        secrets[source.secret_env] = secret
    try:
        known, catalogue = await asyncio.to_thread(_known, settings, source)
    except DatabaseLocked as error:  # fetch anyway, unconditionally; the bodies are spooled
        known, catalogue, locked = {}, (), str(error)
    else:
        locked = ""
    if source.needs and not catalogue:
        return _logged(await _to_end(lambda: _waiting(settings, source, observed_at, locked)),
                       started)
    assert source.plan is not None
    options = source.section(settings)
    plan = source.plan(options, PlanContext(catalogue=catalogue, secrets=secrets))
    if source.next_page is not None:  # each page names the next: one at a time, unconditional
        results = await _fetch_pages(options, fetcher, source, plan, progress)
    else:
        results = await _fetch_all(fetcher, source.name, [_conditional(r, known) for r in plan],
                                   progress)
    return _logged(await _to_end(
        lambda: _ingest_or_fail(settings, source, observed_at, results, known)), started)


def _known(settings: Settings, source: Source
           ) -> tuple[dict[str, state.Validators], tuple[str, ...]]:
    """What the last runs sent (for conditional requests) and the catalogue a sweep needs."""
    with open_warehouse(settings, read_only=True) as con:
        return (state.validators(con, source.name),
                tuple(state.current_models(con, source.needs) if source.needs else ()))


def _ingest_or_fail(settings: Settings, source: Source, observed_at: datetime,
                    results: list[FetchedBody | FetchError],
                    known: dict[str, state.Validators]) -> RunOutcome:
    """The fetched run written; every attempt ends in a recorded run, a failed one when the
    archive or an unexpected error stops it (a warehouse error is the caller's)."""
    try:
        return _ingest_fetched(settings, source, observed_at, results, known)
    except ArchiveError as error:  # the archive, not the warehouse: a failed run
        log.error("%s failed: %s", source.name, error)
        return _record_failure(settings, source, observed_at, error)
    except WarehouseError:
        raise
    except Exception as error:
        log.exception("%s failed (unexpected error)", source.name)
        return _record_failure(settings, source, observed_at, error)


def _record_failure(settings: Settings, source: Source, observed_at: datetime,
                    error: Exception) -> RunOutcome:
    """A failed run for an attempt that broke where pricewatch did not expect it (an
    archive folder it cannot write, a bug): recorded so collector_health counts it."""
    message = f"{type(error).__name__}: {error}"
    with open_warehouse(settings) as con:
        return record_failed(con, source=source.name, observed_at=observed_at,
                             message=f"run failed unexpectedly: {message}")


def _waiting(settings: Settings, source: Source, observed_at: datetime,
             locked: str) -> RunOutcome:
    """A sweep whose input is missing: skipped, and recorded (when the file can be had)
    so that `status` says what it waits for; the daemon runs it again once that lands."""
    assert source.needs is not None
    if locked:
        return RunOutcome(source=source.name, status="skipped", observed_at=observed_at,
                          message=f"waiting for the database file: {locked}",
                          waiting_for=DATABASE_FILE)
    reason = f"no current catalogue to sweep; collect {source.needs} first"
    try:
        with open_warehouse(settings) as con:
            return record_skipped(con, source=source.name, observed_at=observed_at,
                                  waiting_for=source.needs, reason=reason)
    except DatabaseLocked:
        return RunOutcome(source=source.name, status="skipped", observed_at=observed_at,
                          message=f"waiting for {source.needs}: {reason}",
                          waiting_for=source.needs)


def _conditional(request: Request, known: dict[str, state.Validators]) -> Request:
    previous = known.get(redact(request.url))  # stored as fetch_log keeps URLs: redacted
    if previous is None:
        return request
    return replace(request, etag=previous.etag, last_modified=previous.last_modified)


async def _fetch_all(fetcher: Fetcher, name: str, requests: list[Request],
                     progress: Progress | None) -> list[FetchedBody | FetchError]:
    done = 0

    async def one(request: Request) -> FetchedBody | FetchError:
        nonlocal done
        try:
            return await fetcher.get(request)
        except FetchError as error:
            return error
        finally:
            done += 1
            if progress:
                progress(name, done, len(requests))

    return list(await asyncio.gather(*(one(r) for r in requests)))


async def _fetch_pages(options: object, fetcher: Fetcher, source: Source,
                       first: list[Request], progress: Progress | None
                       ) -> list[FetchedBody | FetchError]:
    """A paginated listing: every page until the last, at most MAX_PAGES; a failed page
    ends the walk (the run is partial: the pages before it still count)."""
    assert source.next_page is not None
    results: list[FetchedBody | FetchError] = []
    queue = list(first)
    seen: set[str] = set()
    while queue and len(results) < MAX_PAGES:
        request = queue.pop(0)
        if request.url in seen:
            results.append(FetchError(source.name, request.url, "pagination",
                                      "the listing sent a page token it sent before"))
            break
        seen.add(request.url)
        try:
            body = await fetcher.get(request)
        except FetchError as error:
            results.append(error)
            break
        results.append(body)
        if progress:
            progress(source.name, len(results), len(results) + 1)
        following = source.next_page(options, request, body.content or b"")
        if following is not None:
            queue.append(following)
    if queue:
        results.append(FetchError(source.name, queue[0].url, "pagination",
                                  f"more than {MAX_PAGES} pages; the rest was not fetched"))
    return results


def _ingest_fetched(settings: Settings, source: Source, observed_at: datetime,
                    results: list[FetchedBody | FetchError],
                    known: dict[str, state.Validators]) -> RunOutcome:
    fetched = [r for r in results if isinstance(r, FetchedBody)]
    failed = [FetchedBody(url=e.url, fetched_at=observed_at, content=None,
                          status_code=e.status, error=str(e))
              for e in results if isinstance(e, FetchError)]
    try:
        return _write_run(settings, source, observed_at, fetched, failed, known)
    except DatabaseLocked as error:
        fetched = [_with_sent_body(body, known) for body in fetched]
        where = spool.keep(settings, source.name, observed_at, fetched + failed)
        return RunOutcome(source=source.name, status="spooled", observed_at=observed_at,
                          message=f"{error}; the bodies wait in {where} and are archived "
                                  "and ingested, at this observation time, once the "
                                  "warehouse takes writes again")


def _write_run(settings: Settings, source: Source, observed_at: datetime,
               fetched: list[FetchedBody], failed: list[FetchedBody],
               known: dict[str, state.Validators], note: str | None = None) -> RunOutcome:
    """Parse before the write lock (a big page parses for seconds: readers and other
    writers wait for the lock meanwhile), then archive and write under it."""
    bodies, parsed = _parse_unlocked(settings, source, observed_at, fetched, failed, known)
    with open_warehouse(settings) as con:
        return _write_run_in(con, settings, source, observed_at, bodies, failed, known, note,
                             [parsed] if parsed is not None else [])


def _parse_unlocked(settings: Settings, source: Source, observed_at: datetime,
                    fetched: list[FetchedBody], failed: list[FetchedBody],
                    known: dict[str, state.Validators]
                    ) -> tuple[list[FetchedBody], ParseResult | None]:
    """The run's bodies (304s resolved) and their parse, read with a read-only open; no
    parse when the content equals the previous run's (the write decides again)."""
    with open_warehouse(settings, read_only=True) as con:
        bodies = [_resolve_not_modified(con, body, known) for body in fetched]
        digest = content_digest(bodies)
        if not bodies or (digest is not None
                          and previous_digest(con, source.name, observed_at) == digest):
            return bodies, None
        options = parse_options(settings, source, con)
    parsed = parse_bodies(source, [(b.url, b.content or b"") for b in bodies], observed_at,
                          options)
    return bodies, _with_fetch_errors(source, parsed, failed, len(bodies) + len(failed))


def _write_run_in(con, settings: Settings, source: Source, observed_at: datetime,
                  fetched: list[FetchedBody], failed: list[FetchedBody],
                  known: dict[str, state.Validators], note: str | None = None,
                  parses: list[ParseResult] | None = None) -> RunOutcome:
    """Archive and write one run in the caller's write lock; `parses` holds a parse made
    before the lock, if any (else the bodies are parsed here)."""
    errors = [row.error or "" for row in failed]
    # A 304 means "what you archived last time": use that body, so every run is whole.
    bodies = [_resolve_not_modified(con, body, known) for body in fetched]
    fetch_ids = archive(con, source.name, source.name, bodies + failed)
    digest = content_digest(bodies)
    parses = list(parses or [])  # parsed once, however often a lake commit is retried

    def write() -> RunOutcome:
        # the `unchanged` check reads the runs before this one: in the same transaction as
        # the write, so a retry after another host's commit decides again on what it wrote
        if not bodies:
            parsed = ParseResult(None, error="; ".join(errors[:5]))
        elif digest is not None and previous_digest(con, source.name, observed_at) == digest:
            parsed = ParseResult([])  # unchanged: nothing to parse
        else:
            if not parses:
                parsed = parse_bodies(source, [(b.url, b.content or b"") for b in bodies],
                                      observed_at, parse_options(settings, source, con))
                parses.append(_with_fetch_errors(source, parsed, failed,
                                                 len(bodies) + len(failed)))
            parsed = parses[0]
        if note:
            parsed = replace(parsed, warnings=[note, *parsed.warnings])
        return record_run_rows(con, source=source.name, parser=source.name,
                               observed_at=observed_at, parsed=parsed, fetch_ids=fetch_ids,
                               content_sha256=digest, suspect_ratio=settings.suspect_ratio)

    return in_transaction(con, write, f"{source.name}: run")


def drain_spool(settings: Settings) -> list[RunOutcome]:
    """Archive and ingest runs that were spooled while the database was locked, at their
    original observation times; stops at the first that still meets the lock.

    One thread at a time (another thread already draining: nothing to do), and a spooled
    run another process already ingested is dropped, not written twice."""
    if not _DRAINING.acquire(blocking=False):
        return []
    try:
        outcomes = []
        for entry in spool.pending(settings):
            started = time.monotonic()
            try:
                outcome = _drain_one(settings, entry)
            except DatabaseLocked:
                break  # still locked: the spool waits for the next run
            if outcome is not None:
                late = f"from the spool, observed at {entry.observed_at:%Y-%m-%dT%H:%M:%SZ}"
                outcome.message = f"{outcome.message}; {late}" if outcome.message else late
                outcomes.append(_logged(outcome, started))
            spool.remove(entry)
        return outcomes
    finally:
        _DRAINING.release()


def _drain_one(settings: Settings, entry: spool.SpooledRun) -> RunOutcome | None:
    """One spooled run, checked and written under one write lock."""
    (source,) = sources_for([entry.source])
    with open_warehouse(settings) as con:
        if state.run_exists(con, source.name, entry.observed_at):
            return None  # another process drained it first
        return _write_run_in(con, settings, source, entry.observed_at,
                             [b for b in entry.bodies if b.error is None],
                             [b for b in entry.bodies if b.error is not None],
                             state.validators(con, source.name),
                             note="archived late from the spool (the database was locked)")


def _with_sent_body(body: FetchedBody, known: dict[str, state.Validators]) -> FetchedBody:
    """A 304 about to be spooled names the body its request's validators came from."""
    previous = known.get(body.url) if body.status_code == 304 else None
    return body if previous is None else replace(
        body, not_modified_sha256=previous.content_sha256)


def _resolve_not_modified(con, body: FetchedBody,
                          known: dict[str, state.Validators]) -> FetchedBody:
    """A 304 is the body whose validators were sent: the one named when it was spooled, else
    the one the validators read before the request came from. One resolved already (before
    the write lock, by `_parse_unlocked`) is not read from the archive again under it."""
    if body.status_code != 304 or body.content is not None:
        return body
    sha = body.not_modified_sha256
    if sha is None:
        previous = known.get(body.url)
        if previous is None:
            return replace(body, error="304 without an archived body")
        sha = previous.content_sha256
    return replace(body, content=load_body(con, sha))


def fetch_summary(failed: Sequence[FetchedBody], total: int) -> str:
    """Failed requests in one line: `88 of 347 requests failed: HTTP 404 (86), timeout (2);
    first: ...`. Each one is in `fetch_log` (and the log with -v)."""
    def kind(body: FetchedBody) -> str:
        if body.status_code:
            return f"HTTP {body.status_code}"
        parts = (body.error or "").split(": ")
        return parts[1] if len(parts) > 2 else "error"

    counts = Counter(kind(body) for body in failed)
    spread = ", ".join(f"{name} ({n})" for name, n in counts.most_common())
    return f"{len(failed)} of {total} requests failed: {spread}; first: {failed[0].error}"


def _with_fetch_errors(source: Source, parsed: ParseResult, failed: Sequence[FetchedBody],
                       total: int) -> ParseResult:
    """A sweep with failed fetches is partial (scope: what was fetched); for alternatives
    of one snapshot, a failed alternative is only a warning (and one that an alternative
    answered for, such as the `.md` page before the HTML one, is none at all)."""
    if not failed or parsed.error is not None:
        return parsed
    summary = fetch_summary(failed, total)
    if source.sweep:
        return replace(parsed, partial=True, warnings=[summary, *parsed.warnings])
    if source.next_page is not None or source.merge_pages is not None:
        # pages of one snapshot: any model's prices may continue on the page that failed,
        # so the run closes nothing (the fault matrix caught SKU pages cut short)
        return replace(parsed, partial=True, scope_models=set(),
                       warnings=[summary, *parsed.warnings])
    return parsed  # alternatives of one body: one answered, and that is the run


LOG_LEVELS = {"failed": logging.ERROR, "suspect": logging.WARNING}  # the rest: INFO


def _logged(outcome: RunOutcome, started: float) -> RunOutcome:
    """One line per run, at ERROR only when the run failed (JSON logs get the fields)."""
    outcome.duration_s = round(time.monotonic() - started, 3)
    note = f" ({outcome.message})" if outcome.message else ""
    fields = {"event": "run", "source": outcome.source, "status": outcome.status,
              "run_id": outcome.run_id, "records": outcome.records, "changes": outcome.changes,
              "seconds": outcome.duration_s, "observed_at": outcome.observed_at.isoformat(),
              "message": outcome.message}
    log.log(LOG_LEVELS.get(outcome.status, logging.INFO),
            "%s %s: %d records, %d changes, %.1f s%s", outcome.source, outcome.status,
            outcome.records, outcome.changes, outcome.duration_s, note,
            extra={"fields": fields})
    return outcome


def failing_runs(settings: Settings) -> dict[str, int]:
    """Per source, the failed or suspect runs in a row (collector_health), for the daemon's
    heartbeat: read from the warehouse, so it counts runs of any process, before a restart
    too."""
    with queries.open_gold(settings) as con:
        _, found = queries.named(con, "failing_runs")
    return {row["source"]: row["failing_runs"] for row in found}
