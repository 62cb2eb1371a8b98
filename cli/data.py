"""Commands on captured bodies and the archive: `sources`, `parse`, `ingest`, `reparse`.

The collectors and the pipeline (httpx, bs4, pyarrow) are imported in the commands that use
them, not here: every command, a read too, imports this module at start-up."""

import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from pricewatch.cli.app import (
    EXIT_INPUT,
    ConfigOption,
    DbOption,
    FormatOption,
    JsonOption,
    OutOption,
    load,
    new_app,
    observed_at_option,
    read_input,
    time_option,
)
from pricewatch.cli.output import emit, for_people, warn
from pricewatch.errors import UsageError
from pricewatch.settings import secret_from_env
from pricewatch.text import every

app = new_app()


@app.command()
def sources(config: ConfigOption = None, db: DbOption = None,
            as_json: JsonOption = False, output_format: FormatOption = "table",
            out: OutOption = None) -> None:
    """List the sources: what `parse`, `ingest` and `reparse` accept, and what `collect` and
    the daemon fetch, on which schedule (`enabled` false: only when named, as lmarena)."""
    from pricewatch.collectors import PARSERS

    settings = load(db, config)
    rows = []
    for source in PARSERS.values():
        secret = source.secret_env
        rows.append({
            "source": source.name, "provider": source.provider or None,
            "schedule": settings.daemon.schedule.get(source.name, source.schedule)
            if source.collectable else None,
            "needs": source.needs,
            # off: collected only when named (its provider's `enabled = false`)
            "enabled": getattr(source.section(settings), "enabled", True)
            if source.collectable else None,
            "secret": None if secret is None else
            f"{secret} ({'set' if secret_from_env(secret) else 'not set: skipped'})",
            "description": source.description})
    if for_people(as_json, output_format):  # seconds in the data, `6 h` for people
        for row in rows:
            row["schedule"] = every(row["schedule"])
    emit(rows, ["source", "provider", "schedule", "enabled", "needs", "secret", "description"],
         as_json=as_json, title="sources", fmt=output_format, out=out)


@app.command()
def parse(
    source: Annotated[str, typer.Argument(help="Source name, e.g. openrouter.models.")],
    file: Annotated[str, typer.Argument(help="Captured body; - reads stdin.")],
    observed_at: Annotated[str | None, typer.Option(
        "--observed-at", help="Stamp records with this time (ISO 8601 with zone).")] = None,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """Print a captured body's normalised records as JSON lines (the record contract).

    A pure function of the file: the output does not depend on the folder it runs in. Only
    with --db does it read that warehouse, for the provider directory that keys OpenRouter
    endpoints without a tag (as `collect` and `ingest` do)."""
    from pricewatch.collectors import get_source
    from pricewatch.pipeline import run as pipeline
    from pricewatch.records import to_jsonl

    chosen = get_source(source)
    settings = load(db, config)
    body, _ = read_input(file)
    when = observed_at_option(observed_at)
    options = pipeline.parse_options(settings, chosen) if db else chosen.options(settings)
    output = chosen.run_parser(body, when or datetime.now(UTC), options)
    records, warnings, suspect = output.records, output.warnings, output.suspect
    for warning in warnings:
        warn(warning)
    if suspect:
        warn(f"suspect: {suspect}; `collect` or `ingest` would write no history from it")
    for item in output.unread:
        warn(f"unread: {item.path} ({item.count} {'item' if item.count == 1 else 'items'}, "
             f"e.g. {item.example})")
    if when is not None:
        records = [r.model_copy(update={"observed_at": when}) for r in records]
    for line in to_jsonl(records):
        sys.stdout.write(line + "\n")


@app.command()
def ingest(
    source: Annotated[str, typer.Argument(help="Source name, or `records` for JSON lines.")],
    file: Annotated[str, typer.Argument(help="Captured body; - reads stdin.")],
    observed_at: Annotated[str | None, typer.Option(
        "--observed-at", help="When the body was collected (ISO 8601 with zone). Required "
                              "unless every record carries observed_at.")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Load a captured body into the warehouse as if collected at --observed-at (backfill)."""
    from pricewatch.collectors import get_source
    from pricewatch.pipeline import run as pipeline

    settings = load(db, config)
    get_source(source)
    body, url = read_input(file)
    when = observed_at_option(observed_at) or _records_time(source, body)
    outcome = pipeline.ingest_body(settings, source, body, when, url)
    emit([vars(outcome) | {"changes": outcome.changes}],
         ["run_id", "source", "status", "observed_at", "records", "opened", "closed",
          "message"], as_json=as_json)
    if outcome.status in ("failed", "suspect"):  # as `collect`: no history was written
        raise typer.Exit(EXIT_INPUT)


def _records_time(source: str, body: bytes) -> datetime:
    """For `records` input without --observed-at: the one observed_at the lines agree on."""
    from pricewatch.collectors.base import RECORDS

    if source == RECORDS.name:
        times = {r.observed_at for r in RECORDS.run_parser(body, datetime.now(UTC), None).records}
        if len(times) == 1 and None not in times:
            return times.pop()  # type: ignore[return-value]
    raise UsageError("--observed-at is required (when was this body collected?)")


@app.command()
def reparse(
    sources: Annotated[list[str] | None, typer.Argument(help="Sources (default: all).")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Rebuild only from this time on (ISO 8601 with zone).")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Run today's parsers over the archived bodies and rebuild the history they produce."""
    from pricewatch.pipeline import run as pipeline

    settings = load(db, config)
    when = time_option(since, "--since") if since else None
    reports = pipeline.reparse(settings, sources or (), when)
    rows: list[dict[str, Any]] = [vars(r) for r in reports]
    emit(rows, ["source", "runs_replayed", "intervals_added", "intervals_removed",
                "status_changes"], as_json=as_json, title="reparse")
