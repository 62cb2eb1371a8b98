"""`pricewatch db`: the database file itself (its storage format, schema and views)."""

from typing import Annotated

import typer

from pricewatch import queries
from pricewatch.cli.app import (
    ConfigOption,
    DbOption,
    FormatOption,
    JsonOption,
    OutOption,
    load,
    load_reader,
    new_app,
)
from pricewatch.cli.output import emit, warn
from pricewatch.warehouse import compact as compacting
from pricewatch.warehouse import to_lake
from pricewatch.warehouse import upgrade as upgrading
from pricewatch.warehouse.db import (
    SCHEMA_VERSION,
    open_warehouse,
)
from pricewatch.warehouse.target import label_of

app = new_app(help="The warehouse itself: `db info`, `db upgrade`, `db migrate-to`, "
                   "`db compact`.")


@app.command("upgrade")
def db_upgrade(
    no_backup: Annotated[bool, typer.Option(
        "--no-backup", help="Do not keep the old file as NAME.before-upgrade.")] = False,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Migrate the schema, install the views with this configuration's [views] settings,
    and rewrite the file in the configured storage_version (default v1.4.0, which every
    DuckDB client from 1.4 opens) if it is in another: copied, row counts checked, then
    renamed over the old file. Stop the daemon first. On a DuckLake: its migrations and
    views (Parquet files need no rewrite)."""
    settings = load(db, config)

    def install_views(con) -> None:
        queries.install(con, settings, figures=True)

    report = upgrading.upgrade_warehouse(settings, keep_backup=not no_backup,
                                         install_views=install_views)
    emit([{"database": str(report.path), "storage_before": report.storage_before,
           "storage_after": report.storage_after, "migrations": len(report.migrations),
           "schema_version": SCHEMA_VERSION, "tables_copied": len(report.tables),
           "rows_copied": sum(report.tables.values()),
           "backup": str(report.backup) if report.backup else None}],
         ["database", "storage_before", "storage_after", "migrations", "schema_version",
          "tables_copied", "rows_copied", "backup"], as_json=as_json, title="db upgrade")


@app.command("info")
def db_info(db: DbOption = None, config: ConfigOption = None,
            as_json: JsonOption = False, output_format: FormatOption = "table",
            out: OutOption = None) -> None:
    """The warehouse's storage format (a file's DuckDB format, or `ducklake`), schema
    version and views, read-only."""
    settings = load_reader(db, config)
    with open_warehouse(settings, read_only=True) as con:
        row = {"database": label_of(settings),
               "storage_version": upgrading.storage_of(con),
               **queries.named(con, "db_info")[1][0],
               "views_current": queries.views_current(con)}
    emit([row], list(row), as_json=as_json, title="database", fmt=output_format, out=out)


@app.command("migrate-to")
def db_migrate_to(
    target: Annotated[str, typer.Argument(
        help="The lake: ducklake:postgres:'dbname=NAME host=HOST' or ducklake:sqlite:PATH.")],
    data_path: Annotated[str | None, typer.Option(
        "--data-path", help="Where the lake's files go (default: setting ducklake.data_path)."
    )] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Copy the file warehouse (--db) into a new, empty DuckLake, history intact: every
    pricewatch table with its run and fetch ids, the raw bodies into the lake's archive
    folder, the views installed. One transaction on the lake; the file is left as it was.
    Tables and views of your own in the file are not copied, and are named. Stop the
    daemon first, then point db_path at the lake."""
    settings = load(db, config)
    report = to_lake.migrate_to(settings, target, data_path or settings.ducklake.data_path,
                                settings.ducklake.archive_path)
    lake_settings = settings.model_copy(update={"db_path": target})
    if data_path:
        lake_settings.ducklake = lake_settings.ducklake.model_copy(
            update={"data_path": data_path})
    with open_warehouse(lake_settings) as con:
        queries.install(con, lake_settings, figures=True)
    ours = queries.own_views()
    left = [f"{name} (table)" for name in report.other_tables] + [
        f"{name} (view)" for name in report.views if name not in ours]
    emit([{"from": label_of(settings), "to": report.lake, "runs": report.runs,
           "rows": sum(report.tables.values()), "tables": len(report.tables),
           "bodies": report.bodies, "not_copied": ", ".join(left)}],
         ["from", "to", "runs", "rows", "tables", "bodies", "not_copied"], as_json=as_json,
         title="db migrate-to")
    if left:
        warn(f"not copied, not pricewatch's: {', '.join(left)} (copy them yourself if you "
             "need them in the lake)")


@app.command("compact")
def db_compact(
    expire_days: Annotated[float | None, typer.Option(
        "--expire-days", help="Also expire snapshots older than this many days (time travel "
        "stops there) and delete the files none of the rest needs.")] = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """A DuckLake's small files merged and mostly-deleted files rewritten, so its reads stay
    fast (daily, from cron, on one host; it runs beside the daemons). History and time
    travel are kept. A file needs nothing: it says so."""
    settings = load(db, config)
    with open_warehouse(settings) as con:
        report = compacting.compact(con, expire_days)
    if report is None:
        note = f"{label_of(settings)} is a DuckDB file, which reuses its free space " \
               "itself: nothing to compact"
        if as_json:
            emit([{"database": label_of(settings), "note": note}],
                 ["database", "note"], as_json=True)
        else:
            typer.echo(note)
        return
    emit([{"database": label_of(settings), **vars(report)}],
         ["database", "files_before", "files_after", "snapshots_expired", "files_deleted"],
         as_json=as_json, title="db compact")
