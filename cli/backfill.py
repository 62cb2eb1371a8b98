"""`pricewatch backfill git|dir`: snapshot histories ingested at their times
(pipeline/backfill.py)."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from pricewatch.cli.app import (
    EXIT_INPUT,
    ConfigOption,
    DbOption,
    JsonOption,
    load,
    new_app,
    time_option,
)
from pricewatch.cli.output import emit, errors, warn
from pricewatch.errors import InputError

if TYPE_CHECKING:  # imported where used: a read command would pay for httpx and bs4
    from pricewatch.pipeline import backfill

app = new_app(help="Ingest a snapshot history at the times its versions were taken: "
                   "`backfill git` (the commits of one file), `backfill dir` (dated files).")

SourceOption = Annotated[str, typer.Option(
    "--source", help="The source whose parser reads each version, e.g. openrouter.models.")]
SinceOption = Annotated[str | None, typer.Option(
    "--since", help="Only versions taken from this time on (ISO 8601 with zone).")]
UntilOption = Annotated[str | None, typer.Option(
    "--until", help="Only versions taken up to this time (ISO 8601 with zone).")]


@app.command("git")
def backfill_git(
    repo: Annotated[Path, typer.Argument(help="A local clone (or bundle clone) of the "
                                              "history.")],
    path: Annotated[str, typer.Option("--path", help="The file in the repository, e.g. "
                                                     "data/models.json.")],
    source: SourceOption,
    since: SinceOption = None, until: UntilOption = None,
    when: Annotated[str, typer.Option(
        "--time", help="committer (default) or author time of each commit, or "
                       "field:NAME for a top-level JSON field of each version, e.g. "
                       "field:fetched_at.")] = "committer",
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Ingest every version of one file in a git repository, oldest first, each at its
    commit time (UTC): one run per version, marked `backfill:git:REPO@COMMIT`."""
    from pricewatch.collectors import get_source
    from pricewatch.pipeline import backfill_git as git

    get_source(source)
    field = when.removeprefix("field:") if when.startswith("field:") else None
    found, untouched = git.commits(repo, path)
    if not found:
        raise InputError(f"{repo}: no commit changed {path!r}")
    versions = git.versions(repo, path, "committer" if field else when)
    report = _run(source, versions, len(found), since, until, field, db, config, as_json)
    _print(report, as_json, f"{len(found)} commits changed {path}"
           + (f"; {untouched} others did not" if untouched else ""))


@app.command("dir")
def backfill_dir(
    directory: Annotated[Path, typer.Argument(help="A folder of captures.")],
    source: SourceOption,
    time_from: Annotated[str, typer.Option(
        "--time-from", help="name (a date or time with zone in the file name, e.g. "
                            "models-2026-01-29.json, 2026-01-29T06:00:00Z.json) or mtime.")],
    pattern: Annotated[str, typer.Option("--pattern", help="Files to take (a glob).")] = "*",
    since: SinceOption = None, until: UntilOption = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Ingest every file of a folder, oldest first, at the time its name (or mtime) gives:
    one run per file, marked `backfill:dir:PATH`; a name without a time is listed and
    skipped."""
    from pricewatch.collectors import get_source
    from pricewatch.pipeline import backfill_folder as folder

    get_source(source)
    skipped: list[str] = []
    versions = list(folder.versions(directory, time_from, pattern, skipped))
    report = _run(source, versions, len(versions), since, until, None, db, config, as_json)
    report.skipped[:0] = skipped
    _print(report, as_json, f"{len(versions)} files with a time in {directory}")


def _run(source: str, versions, total: int, since: str | None, until: str | None,
         field: str | None, db: str | None, config: Path | None,
         as_json: bool) -> "backfill.Report":
    from pricewatch.pipeline import backfill

    settings = load(db, config)
    start = time_option(since, "--since") if since else None
    end = time_option(until, "--until") if until else None
    with _bar(enabled=not as_json, total=total) as update:
        return backfill.run(settings, source, versions, since=start, until=end,
                            time_field=field, total=total, progress=update)


@contextmanager
def _bar(enabled: bool, total: int) -> "Iterator[backfill.Progress | None]":
    """Versions done of all, the rate and the time left."""
    if not enabled:
        yield None
        return
    started = time.monotonic()
    with Progress(TextColumn("backfill"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                  TextColumn("left"), TimeRemainingColumn(), console=errors,
                  transient=True) as bar:
        task = bar.add_task("backfill", total=total, rate="")

        def update(done: int, _total: int | None) -> None:
            rate = done / max(time.monotonic() - started, 1e-9)
            bar.update(task, completed=done, rate=f"{rate:.1f} versions/s")

        yield update


def _print(report: "backfill.Report", as_json: bool, title: str) -> None:
    from pricewatch.pipeline import backfill

    row = {**report.counts, "versions": report.versions, "changes": report.changes,
           "bodies_parsed": report.parsed_bodies, "rebuilt_from": report.rebuilt_from,
           "problems": report.problems, "skipped": report.skipped}
    emit([row], [*backfill.OUTCOMES, "versions", "changes", "bodies_parsed", "rebuilt_from",
                 "problems", "skipped"], as_json=as_json, title=title,
         table_columns=[*backfill.OUTCOMES, "versions", "changes", "bodies_parsed"])
    if not as_json:
        if report.rebuilt_from is not None:
            warn(f"versions older than runs already there: the history was replayed in "
                 f"order from {report.rebuilt_from.isoformat()} (as `reparse` does)")
        for problem in report.problems:
            warn(f"{problem['version']} ({problem['observed_at']}): {problem['status']}: "
                 f"{problem['message']}")
        for line in report.skipped:
            warn(f"skipped {line}")
    if report.counts["failed"] and not any(report.counts[k] for k in ("ingested",
                                                                       "unchanged",
                                                                       "duplicate")):
        raise typer.Exit(EXIT_INPUT)  # nothing of the history could be read
