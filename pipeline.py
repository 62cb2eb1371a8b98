"""Runs a source end to end: (fetch ->) archive -> parse -> ingest. The CLI and the
scheduler call these functions and nothing else, so the daemon does nothing that the CLI
cannot be seen doing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import queries
from collectors.base import (
    ParseError,
    PlanContext,
    Source,
    get_parser,
    parse_bodies,
    sources_for,
)
from collectors.fetch import Fetcher, FetchError, Request
from records import FetchedBody, ParseResult
from settings import Settings, secret_from_env
from warehouse import state
from warehouse.db import open_warehouse
from warehouse.ingest import (
    RebuildReport,
    RunOutcome,
    archive,
    content_digest,
    find_duplicate,
    load_body,
    previous_digest,
    rebuild_source,
    record_run,
)

log = logging.getLogger("pricewatch.run")
Progress = Callable[[str, int, int], None]  # (source, done, total)


def run_source_name(parser: str, parsed: ParseResult) -> str:
    """The source a run belongs to: the parser's name, or for `records` the records' own."""
    names = {record.source for record in parsed.records or ()}
    if parser != "records" or not names:
        return parser
    if len(names) > 1:
        raise ParseError(parser, "a records file must hold one source's records; found "
                         + ", ".join(sorted(names)))
    return names.pop()


def configure(settings: Settings) -> None:
    """Apply settings that choose what a parser keeps (the Hugging Face providers)."""
    from collectors import nscale

    nscale.configure(settings)


def ingest_body(settings: Settings, parser: str, body: bytes, observed_at: datetime,
                url: str) -> RunOutcome:
    """Load a captured body as if it had been collected at `observed_at` (backfill).

    The body is parsed first: a file that does not parse is rejected whole and nothing of
    it is written. A body already ingested at the same time is a no-op (`duplicate`).
    """
    configure(settings)
    get_parser(parser)
    observed_at = observed_at.astimezone(UTC)
    parsed = parse_bodies(parser, [(url, body)], observed_at)
    if parsed.error is not None:
        raise ParseError(parser, parsed.error.removeprefix(f"{parser}: "))
    source = run_source_name(parser, parsed)
    fetched = FetchedBody(url=url, fetched_at=observed_at, content=body)
    with open_warehouse(settings) as con:
        duplicate = find_duplicate(con, source, observed_at, fetched.sha256)
        if duplicate is not None:
            return RunOutcome(source=source, status="duplicate", observed_at=observed_at,
                              run_id=duplicate, records=len(parsed.records or ()),
                              message=f"already ingested as run {duplicate}")
        fetch_ids = archive(con, source, parser, [fetched])
        outcome = record_run(con, source=source, parser=parser, observed_at=observed_at,
                             parsed=parsed, fetch_ids=fetch_ids,
                             content_sha256=fetched.sha256,
                             suspect_ratio=settings.suspect_ratio)
        queries.install(con, settings)
        return outcome


def reparse(settings: Settings, sources: Sequence[str] = (),
            since: datetime | None = None) -> list[RebuildReport]:
    """Rebuild history from the archive with today's parsers, one transaction per source."""
    configure(settings)
    with open_warehouse(settings) as con:
        known = [row[0] for row in con.execute(
            "SELECT DISTINCT source FROM runs ORDER BY source").fetchall()]
        chosen = list(sources) or known
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise ValueError(f"no archived runs for {', '.join(unknown)}; "
                             f"sources with runs: {', '.join(known) or 'none'}")
        return [rebuild_source(con, source, parse_bodies, since, settings.suspect_ratio)
                for source in chosen]


async def collect(settings: Settings, selection: Sequence[str] = (),
                  progress: Progress | None = None,
                  fetcher: Fetcher | None = None) -> list[RunOutcome]:
    """One sweep now: every chosen source fetched, archived, parsed and ingested in turn."""
    configure(settings)
    chosen = sources_for(selection)
    own = fetcher is None
    fetcher = fetcher or Fetcher(settings.fetch)
    try:
        outcomes = [await collect_source(settings, source, fetcher, progress)
                    for source in chosen]
        queries.ensure_installed(settings)
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
    with open_warehouse(settings, read_only=True) as con:
        known = state.validators(con, source.name)
        catalogue = tuple(state.current_models(con, source.needs_catalogue)
                          if source.needs_catalogue else ())
    if source.needs_catalogue and not catalogue:
        outcome = RunOutcome(source=source.name, status="failed", observed_at=observed_at,
                             message=f"no current catalogue from {source.needs_catalogue} "
                                     "to sweep: collect it first")
        return _logged(outcome, started)
    requests = [_conditional(r, known) for r in
                source.plan(settings, PlanContext(catalogue=catalogue, secrets=secrets))]
    results = await _fetch_all(fetcher, source.name, requests, progress)
    outcome = _ingest_fetched(settings, source, observed_at, results, known)
    return _logged(outcome, started)


def _conditional(request: Request, known: dict[str, state.Validators]) -> Request:
    previous = known.get(request.url)
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


def _ingest_fetched(settings: Settings, source: Source, observed_at: datetime,
                    results: list[FetchedBody | FetchError],
                    known: dict[str, state.Validators]) -> RunOutcome:
    errors = [r for r in results if isinstance(r, FetchError)]
    fetched = [r for r in results if isinstance(r, FetchedBody)]
    failed_rows = [FetchedBody(url=e.url, fetched_at=observed_at, content=None,
                               status_code=e.status, error=str(e)) for e in errors]
    with open_warehouse(settings) as con:
        # A 304 means "what you archived last time": use that body, so every run is whole.
        bodies = [_resolve_not_modified(con, body, known) for body in fetched]
        fetch_ids = archive(con, source.name, source.name, bodies + failed_rows)
        digest = content_digest(bodies)
        if not bodies:
            parsed = ParseResult(None, error="; ".join(str(e) for e in errors[:5]))
        elif digest is not None and previous_digest(con, source.name, observed_at) == digest:
            parsed = ParseResult([])  # unchanged: nothing to parse
        else:
            parsed = parse_bodies(source.name, [(b.url, b.content or b"") for b in bodies],
                                  observed_at)
            parsed = _with_fetch_errors(source, parsed, errors)
        return record_run(con, source=source.name, parser=source.name,
                          observed_at=observed_at, parsed=parsed, fetch_ids=fetch_ids,
                          content_sha256=digest, suspect_ratio=settings.suspect_ratio)


def _resolve_not_modified(con, body: FetchedBody,
                          known: dict[str, state.Validators]) -> FetchedBody:
    if body.status_code != 304:
        return body
    previous = known.get(body.url)
    if previous is None:
        return replace(body, error="304 without an archived body")
    return replace(body, content=load_body(con, previous.content_sha256))


def _with_fetch_errors(source: Source, parsed: ParseResult,
                       errors: list[FetchError]) -> ParseResult:
    """A sweep with failed fetches is partial (scope: what was fetched); for alternatives
    of one snapshot, a failed alternative is only a warning."""
    if not errors or parsed.error is not None:
        return parsed
    notes = [str(e) for e in errors[:20]]
    if len(errors) > 20:
        notes.append(f"... and {len(errors) - 20} more failed requests")
    if source.sweep:
        return replace(parsed, partial=True, warnings=notes + parsed.warnings)
    return replace(parsed, warnings=parsed.warnings + notes)


def _logged(outcome: RunOutcome, started: float) -> RunOutcome:
    outcome.duration_s = round(time.monotonic() - started, 3)
    log.info("run source=%s status=%s records=%d changes=%d duration=%.1fs%s",
             outcome.source, outcome.status, outcome.records, outcome.changes,
             outcome.duration_s, f" message={outcome.message!r}" if outcome.message else "")
    return outcome
