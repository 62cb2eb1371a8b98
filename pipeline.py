"""Runs a source end to end: (fetch ->) archive -> parse -> ingest. The CLI and the
scheduler call these functions and nothing else, so the daemon does nothing that the CLI
cannot be seen doing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from collectors.base import ParseError, get_parser, parse_bodies
from records import ParseResult
from settings import Settings
from warehouse.db import open_warehouse
from warehouse.ingest import (
    FetchedBody,
    RebuildReport,
    RunOutcome,
    archive,
    find_duplicate,
    rebuild_source,
    record_run,
)


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
                url: str) -> RunOutcome:
    """Load a captured body as if it had been collected at `observed_at` (backfill).

    The body is parsed first: a file that does not parse is rejected whole and nothing of
    it is written. A body already ingested at the same time is a no-op (`duplicate`).
    """
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
        return record_run(con, source=source, parser=parser, observed_at=observed_at,
                          parsed=parsed, fetch_ids=fetch_ids, content_sha256=fetched.sha256,
                          suspect_ratio=settings.suspect_ratio)


def reparse(settings: Settings, sources: Sequence[str] = (),
            since: datetime | None = None) -> list[RebuildReport]:
    """Rebuild history from the archive with today's parsers, one transaction per source."""
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
