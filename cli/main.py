"""`pricewatch` commands. Exit codes: 0 success, 1 input rejected or run failed,
2 usage error, 3 database unavailable (locked past the wait, or unreadable).
"""

from __future__ import annotations

import asyncio
import difflib
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from pricewatch import pipeline, queries
from pricewatch.cli.output import emit, errors, fail, warn
from pricewatch.collectors.base import PARSERS, ParseError, get_parser, run_parser
from pricewatch.records import RecordError, parse_timestamp, to_jsonl
from pricewatch.settings import Settings, SettingsError, load_settings
from pricewatch.warehouse.db import WarehouseError, open_warehouse
from pricewatch.warehouse.ingest import IngestError

app = typer.Typer(
    name="pricewatch",
    help="LLM inference prices and availability, with their history, in DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

@app.callback()
def _main(verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Log each run and retry (INFO) to stderr.")] = False) -> None:
    """LLM inference prices and availability, with their history, in DuckDB."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("stamina").setLevel(logging.ERROR)  # retries are logged by fetch
    logging.getLogger("httpx").setLevel(logging.WARNING)


DbOption = Annotated[Path | None, typer.Option(
    "--db", help="DuckDB file (default: setting db_path, pricewatch.duckdb).")]
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="TOML settings file (default: ./pricewatch.toml if present).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON array instead of a table.")]

EXIT_INPUT, EXIT_DB = 1, 3


@contextmanager
def _errors_to_exit() -> Iterator[None]:
    """Every expected failure becomes one clear line on stderr and a trustworthy exit code."""
    try:
        yield
    except (ParseError, RecordError, IngestError, SettingsError, ValueError) as error:
        fail(str(error))
        raise typer.Exit(EXIT_INPUT) from None
    except (WarehouseError, duckdb.IOException) as error:
        fail(str(error))
        raise typer.Exit(EXIT_DB) from None


def _settings(db: Path | None, config: Path | None) -> Settings:
    return load_settings(config, db_path=db)


def _observed_at(text: str | None) -> datetime | None:
    return None if text is None else parse_timestamp(text, "--observed-at")


def _read_input(file: str) -> tuple[bytes, str]:
    if file == "-":
        return sys.stdin.buffer.read(), "stdin:"
    path = Path(file)
    if not path.is_file():
        raise ValueError(f"file {file} does not exist")
    return path.read_bytes(), path.resolve().as_uri()


@app.command()
def parse(
    source: Annotated[str, typer.Argument(help="Source name, e.g. openrouter.models.")],
    file: Annotated[str, typer.Argument(help="Captured body; - reads stdin.")],
    observed_at: Annotated[str | None, typer.Option(
        "--observed-at", help="Stamp records with this time (ISO 8601 with zone).")] = None,
) -> None:
    """Print a captured body's normalised records as JSON lines (the record contract)."""
    with _errors_to_exit():
        parser = get_parser(source)
        body, _ = _read_input(file)
        when = _observed_at(observed_at)
        records, warnings, suspect = run_parser(parser, body, when or datetime.now(UTC))
        for warning in warnings:
            warn(warning)
        if suspect:
            warn(f"suspect: {suspect}; `collect` or `ingest` would write no history from it")
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
    with _errors_to_exit():
        settings = _settings(db, config)
        get_parser(source)
        body, url = _read_input(file)
        when = _observed_at(observed_at) or _records_time(source, body)
        outcome = pipeline.ingest_body(settings, source, body, when, url)
        emit([vars(outcome) | {"changes": outcome.changes}],
             ["run_id", "source", "status", "observed_at", "records", "opened", "closed",
              "message"], as_json=as_json)
        if outcome.status == "failed":
            raise typer.Exit(EXIT_INPUT)


def _records_time(source: str, body: bytes) -> datetime:
    """For `records` input without --observed-at: the one observed_at the lines agree on."""
    if source == "records":
        times = {r.observed_at for r in get_parser("records").parse(body, datetime.now(UTC))}
        if len(times) == 1 and None not in times:
            return times.pop()  # type: ignore[return-value]
    raise ValueError("--observed-at is required (when was this body collected?)")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run, read-only.")],
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Run a read-only SQL query against the warehouse."""
    with _errors_to_exit():
        settings = _settings(db, config)
        with queries.open_gold(settings) as con:
            try:
                result = con.execute(query)
            except duckdb.Error as error:
                raise ValueError(f"query failed: {error}") from None
            columns = [d[0] for d in result.description or ()]
            rows = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
        emit(rows, columns, as_json=as_json)


STATUS_SQL = queries.command_sql("status")


CHANNELS_SQL = queries.command_sql("alert_channels")


def _heartbeat(settings: Settings) -> dict[str, dict[str, Any]]:
    """The daemon's heartbeat file, if one is running (next run times)."""
    path = settings.daemon.heartbeat_file
    try:
        return json.loads(path.read_text())["jobs"] if path else {}
    except (OSError, ValueError, KeyError):
        return {}


@app.command()
def status(db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Per source: last run, its status and counts, and how old the last good data is."""
    with _errors_to_exit():
        settings = _settings(db, config)
        with queries.open_gold(settings) as con:
            _, rows = queries.rows(con, STATUS_SQL)
            _, channels = queries.rows(con, CHANNELS_SQL)
        now = datetime.now(UTC)
        beat = _heartbeat(settings)
        for row in rows:
            good = row["last_good_at"]
            row["age_s"] = None if good is None else round((now - good).total_seconds())
            row["next_run_at"] = beat.get(row["source"], {}).get("next_run_at")
        emit(rows, ["source", "last_status", "last_observed_at", "records", "changes",
                    "failing_runs", "last_good_at", "age_s", "next_run_at", "runs", "message"],
             as_json=as_json, title="collectors",
             table_columns=["source", "last_status", "records", "changes", "failing_runs",
                            "age_s", "next_run_at", "message"])
        if channels and not as_json:
            emit(channels, ["channel", "delivered", "pending", "failed", "last_error"],
                 as_json=False, title="alert channels")


HISTORY_SQL = queries.command_sql("price_history_of_model")


@app.command()
def history(
    model: Annotated[str, typer.Argument(help="The provider's model id, e.g. openai/gpt-4o.")],
    provider: Annotated[str | None, typer.Option("--provider", help="Only this provider.")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Every interval of every price of one model (valid_to empty = current)."""
    with _errors_to_exit():
        settings = _settings(db, config)
        with open_warehouse(settings, read_only=True) as con:
            result = con.execute(HISTORY_SQL, {"model": model, "provider": provider})
            columns = [d[0] for d in result.description or ()]
            rows = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
            if not rows:
                known = [r[0] for r in con.execute(
                    "SELECT DISTINCT model FROM price_history").fetchall()]
                close = difflib.get_close_matches(model, known, n=5, cutoff=0.5)
                hint = f"; close matches: {', '.join(close)}" if close else ""
                raise ValueError(f"no prices recorded for model {model!r}{hint}")
        emit(rows, columns, as_json=as_json, title=f"price history of {model}",
             table_columns=["provider", "route", "component", "service_tier",
                            "context_threshold", "unit", "price", "valid_from", "valid_to"])


@app.command()
def reparse(
    sources: Annotated[list[str] | None, typer.Argument(help="Sources (default: all).")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Rebuild only from this time on (ISO 8601 with zone).")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Run today's parsers over the archived bodies and rebuild the history they produce."""
    with _errors_to_exit():
        settings = _settings(db, config)
        when = parse_timestamp(since, "--since") if since else None
        reports = pipeline.reparse(settings, sources or (), when)
        rows: list[dict[str, Any]] = [vars(r) for r in reports]
        emit(rows, ["source", "runs_replayed", "intervals_added", "intervals_removed",
                    "status_changes"], as_json=as_json, title="reparse")


@app.command()
def collect(
    selection: Annotated[list[str] | None, typer.Argument(
        help="Providers (openrouter) or sources (openrouter.models); default: all.")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Run one sweep now (live): fetch, archive, parse, ingest; print a summary per source."""
    with _errors_to_exit():
        settings = _settings(db, config)
        with _sweep_progress(enabled=not as_json) as progress:
            outcomes = asyncio.run(pipeline.collect(settings, selection or (), progress))
        emit([vars(o) | {"changes": o.changes} for o in outcomes],
             ["source", "status", "run_id", "records", "changes", "duration_s", "message"],
             as_json=as_json, title="collect")
        if any(o.status in ("failed", "suspect") for o in outcomes):
            raise typer.Exit(EXIT_INPUT)


@contextmanager
def _sweep_progress(enabled: bool) -> Iterator[pipeline.Progress | None]:
    """A progress bar for sources that make more than a handful of requests."""
    if not enabled:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=errors, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(source: str, done: int, total: int) -> None:
            if total < 5:
                return
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=total)
            bar.update(tasks[source], completed=done)

        yield update


@app.command()
def run(
    now: Annotated[bool, typer.Option("--now", help="Sweep every source once at start.")]
    = False,
    selection: Annotated[list[str] | None, typer.Argument(
        help="Providers or sources (default: all).")] = None,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """The daemon: collect on a schedule, deliver alerts, export; SIGTERM ends it (exit 0)."""
    from pricewatch import scheduler
    with _errors_to_exit():
        settings = _settings(db, config)
        if settings.daemon.log_format == "json":
            _json_logging()
        daemon = scheduler.Daemon(settings, tuple(selection or ()))
        raise typer.Exit(daemon.serve(now=now))


def _json_logging() -> None:
    """One JSON object per log line, for log shippers."""
    class JsonFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return json.dumps({"time": self.formatTime(record), "level": record.levelname,
                               "logger": record.name, "message": record.getMessage()})

    for handler in logging.getLogger().handlers:
        handler.setFormatter(JsonFormatter())


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="Directory for the files.")],
    output_format: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Write the history tables and the views for dashboards, atomically, with a manifest."""
    from pricewatch import exports
    with _errors_to_exit():
        manifest = exports.export(_settings(db, config), out, output_format)
        emit([{"file": f"{name}.{output_format}", "rows": rows}
              for name, rows in manifest["row_counts"].items()], ["file", "rows"],
             as_json=as_json, title=f"exported to {out} at {manifest['exported_at']}")


@app.command()
def sources(as_json: JsonOption = False) -> None:
    """List the source names that `parse`, `ingest` and `reparse` accept."""
    get_parser("records")
    emit([{"source": p.name, "description": p.description} for p in PARSERS.values()],
         ["source", "description"], as_json=as_json)


from pricewatch.cli import compare, views  # noqa: E402,F401  (register their commands on `app`)

__all__ = ["app"]
