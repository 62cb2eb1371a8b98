"""Commands that fetch: `collect` (one sweep now) and `run` (the daemon)."""

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TextIO

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from pricewatch.cli.app import EXIT_INPUT, ConfigOption, DbOption, JsonOption, load, new_app
from pricewatch.cli.output import emit, errors

if TYPE_CHECKING:  # imported where used: a read command would pay for httpx and bs4
    from pricewatch.pipeline import run as pipeline

app = new_app()


@app.command()
def collect(
    selection: Annotated[list[str] | None, typer.Argument(
        help="Providers (openrouter) or sources (openrouter.models); default: all.")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Run one sweep now (live): fetch, archive, parse, ingest; print a summary per source."""
    from pricewatch.pipeline import run as pipeline

    settings = load(db, config)
    with _sweep_progress(enabled=not as_json) as progress:
        outcomes = asyncio.run(pipeline.collect(settings, selection or (), progress))
    emit([vars(o) | {"changes": o.changes} for o in outcomes],
         ["source", "status", "run_id", "records", "changes", "duration_s", "message"],
         as_json=as_json, title="collect")
    if any(o.status in ("failed", "suspect", "spooled") for o in outcomes):
        raise typer.Exit(EXIT_INPUT)


@contextmanager
def _sweep_progress(enabled: bool) -> "Iterator[pipeline.Progress | None]":
    """A progress bar for sources that make more than a handful of requests."""
    if not enabled:
        yield None
        return
    before = sys.stderr
    with (Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=errors, transient=True) as bar,
          _logs_above_the_bar(before)):
        tasks: dict[str, TaskID] = {}

        def update(source: str, done: int, total: int) -> None:
            if total < 5:
                return
            if source not in tasks:
                tasks[source] = bar.add_task(source, total=total)
            bar.update(tasks[source], completed=done)

        yield update


@contextmanager
def _logs_above_the_bar(before: TextIO) -> Iterator[None]:
    """Log lines printed above a live bar, not through it: rich replaces sys.stderr while
    the bar is drawn (on a terminal only), but logging's handlers keep the stream they were
    made with (`before`), so they write to rich's stand-in until the bar ends."""
    stand_in = sys.stderr
    moved = [h for h in logging.getLogger().handlers
             if isinstance(h, logging.StreamHandler) and h.stream is before
             and stand_in is not before]
    for handler in moved:
        handler.setStream(stand_in)
    try:
        yield
    finally:
        for handler in moved:
            handler.setStream(before)


@app.command()
def run(
    now: Annotated[bool, typer.Option("--now", help="Sweep every source once at start.")]
    = False,
    selection: Annotated[list[str] | None, typer.Argument(
        help="Providers or sources (default: all).")] = None,
    db: DbOption = None, config: ConfigOption = None,
) -> None:
    """The daemon: collect on a schedule, deliver alerts, export; SIGTERM ends it (exit 0)."""
    from pricewatch import scheduler  # APScheduler and the daemon load only for `run`

    settings = load(db, config)
    _daemon_logging(settings.daemon.log_format)
    daemon = scheduler.Daemon(settings, tuple(selection or ()))
    raise typer.Exit(daemon.serve(now=now))


# What the daemon says at INFO without -v: its start and stop, one line per run, one per
# alert pass. Fetch retries and the libraries (APScheduler, httpx) speak at WARNING.
DAEMON_LOGGERS = ("pricewatch.daemon", "pricewatch.run", "pricewatch.alerts")


def _daemon_logging(log_format: str) -> None:
    for name in DAEMON_LOGGERS:
        logger = logging.getLogger(name)
        logger.setLevel(min(logger.getEffectiveLevel(), logging.INFO))
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log shippers: the same events as the text lines, with
    their fields (`event`: start, run, alerts, stop; a run's source, status, records...)."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line = {"time": at, "level": record.levelname,
                "logger": record.name, "message": record.getMessage()}
        line |= getattr(record, "fields", {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
