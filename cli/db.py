"""`pricewatch db`: the database file itself (its storage format, schema and views)."""

from __future__ import annotations

from typing import Annotated

import typer

from pricewatch import queries
from pricewatch.cli.app import ConfigOption, DbOption, JsonOption, load, new_app
from pricewatch.cli.output import emit
from pricewatch.warehouse import upgrade as upgrading
from pricewatch.warehouse.db import SCHEMA_VERSION, open_warehouse

app = new_app(help="The database file: `db info`, `db upgrade`.")


@app.command("upgrade")
def db_upgrade(
    no_backup: Annotated[bool, typer.Option(
        "--no-backup", help="Do not keep the old file as NAME.before-upgrade.")] = False,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Migrate the schema, install the views with this configuration's [views] settings,
    and rewrite the file in the configured storage_version (default v1.4.0, which every
    DuckDB client from 1.4 opens) if it is in another: copied, row counts checked, then
    renamed over the old file. Stop the daemon first."""
    settings = load(db, config)
    report = upgrading.upgrade(settings.db_path, settings.storage_version,
                               lock_timeout_s=settings.lock_timeout_s,
                               file_mode=settings.file_mode, keep_backup=not no_backup,
                               install_views=lambda con: queries.install(con, settings,
                                                                         figures=True))
    emit([{"database": str(report.path), "storage_before": report.storage_before,
           "storage_after": report.storage_after, "migrations": len(report.migrations),
           "schema_version": SCHEMA_VERSION, "tables_copied": len(report.tables),
           "rows_copied": sum(report.tables.values()),
           "backup": str(report.backup) if report.backup else None}],
         ["database", "storage_before", "storage_after", "migrations", "schema_version",
          "tables_copied", "rows_copied", "backup"], as_json=as_json, title="db upgrade")


@app.command("info")
def db_info(db: DbOption = None, config: ConfigOption = None,
            as_json: JsonOption = False) -> None:
    """The file's storage format, schema version and views, read-only."""
    settings = load(db, config)
    with open_warehouse(settings, read_only=True) as con:
        row = {"database": str(settings.db_path.absolute()),
               "storage_version": upgrading.storage_version(con, "pricewatch"),
               "schema_version": con.execute("SELECT max(version) FROM schema_migrations"
                                             ).fetchall()[0][0],
               "views_current": queries.views_current(con),
               "views": con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal "
                                    "AND database_name = 'pricewatch'").fetchall()[0][0]}
    emit([row], list(row), as_json=as_json, title="database")
