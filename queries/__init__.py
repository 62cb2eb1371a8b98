"""The gold layer: one SQL view (or macro) per file, created in the DuckDB file so that the
DuckDB CLI, a notebook or a dashboard sees exactly what `pricewatch` shows.

Adding a view is adding its SQL file: the install order is read from the files themselves
(a file that uses an object another file creates is installed after it). Views are
reinstalled when these files or the identity overrides change (a checksum row in
`views_installed`); installing needs the write lock, reading them does not, and a read
command never installs into a file that is current.
"""

from __future__ import annotations

import functools
import graphlib
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import duckdb

from pricewatch.settings import Settings, SettingsError, ViewSettings
from pricewatch.warehouse.db import (
    WarehouseError,
    fetch_one,
    in_transaction,
    keeps_column_comments,
    open_warehouse,
    quote_literal,
    serialize_writers,
)
from pricewatch.warehouse.target import label_of

_CREATES = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+)?(?:VIEW|MACRO)\s+(\w+)",
                      re.IGNORECASE | re.MULTILINE)
_COMMENT = re.compile(r"--[^\n]*")
_STRING = re.compile(r"'(?:[^']|'')*'")


@functools.cache
def _files() -> Mapping[str, str]:
    """queries/*.sql by name (not commands/: those are read-only queries of commands); read
    once: the install order, the checksum every read compares and the install use them."""
    folder = resources.files("pricewatch.queries")
    return MappingProxyType({entry.name.removesuffix(".sql"): entry.read_text(encoding="utf-8")
                             for entry in folder.iterdir() if entry.name.endswith(".sql")})


def creates(sql: str) -> list[str]:
    """The views and macros one file creates."""
    return _CREATES.findall(sql)


def install_order() -> list[str]:
    """Every SQL file, each after the files whose views or macros it uses."""
    files = dict(sorted(_files().items()))
    made_by = {name: file for file, sql in files.items() for name in creates(sql)}
    graph: dict[str, set[str]] = {}
    for file, sql in files.items():
        code = _STRING.sub("''", _COMMENT.sub("", sql))
        used = set(re.findall(r"\b\w+\b", code)) - set(creates(sql))
        graph[file] = {made_by[name] for name in used if name in made_by} - {file}
    sorter = graphlib.TopologicalSorter(graph)
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        raise RuntimeError(f"queries/*.sql use each other in a circle: {error.args[1]}") from None
    order: list[str] = []
    while sorter.is_active():  # alphabetical among the ready ones: the same order everywhere
        ready = sorted(sorter.get_ready())
        order += ready
        sorter.done(*ready)
    return order


VIEWS = tuple(install_order())


def own_views() -> set[str]:
    """The views and macros queries/*.sql make: a database may hold others (a user's)."""
    return {name for file in VIEWS for name in creates(view_sql(file))}


def capabilities() -> tuple[str, ...]:
    """The capability names offer_capabilities.sql derives, in the order it lists them."""
    return tuple(re.findall(r"THEN\s+'([a-z_]+)'\s+END", _files()["offer_capabilities"]))


def alert_kinds() -> tuple[str, ...]:
    """The alert kinds, as price_alerts.sql's header lists them (a test holds the list
    equal to the kinds its SQL writes)."""
    header = _files()["price_alerts"].split("CREATE", 1)[0]
    return tuple(re.findall(r"^--   ([a-z_]+) ", header, re.M))


@functools.cache
def command_sql(name: str) -> str:
    """A query one command runs (queries/commands/NAME.sql): read-only, not a view. Code
    outside queries/ runs it with `named`."""
    return resources.files("pricewatch.queries").joinpath("commands", f"{name}.sql").read_text(
        encoding="utf-8")


def view_sql(name: str) -> str:
    return _files()[name]


# Settings that are not figures for view_setting(): how the views are set up, not read.
_NOT_FIGURES = {"identity_overrides"}


def view_settings(settings: Settings) -> dict[str, str]:
    """Every numeric [views] setting by name, as view_setting() reads them."""
    return {name: str(getattr(settings.views, name)) for name in ViewSettings.model_fields
            if name not in _NOT_FIGURES}


def alert_thresholds(settings: Settings) -> dict[str, Decimal]:
    """This configuration's alert thresholds, as price_alerts_with() takes them."""
    views = settings.views
    return {"min_drop_pct": Decimal(str(views.drop_pct)),
            "min_rise_pct": Decimal(str(views.rise_pct)),
            "min_failing_runs": Decimal(views.failing_runs)}


def load_overrides(path: Path | None) -> list[tuple[str, str, str]]:
    """`[[override]] provider = "...", model = "...", canonical_model = "..."` rows."""
    if path is None:
        return []
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"model identity overrides {path}: {error}") from None
    rows = []
    for index, item in enumerate(data.get("override", [])):
        try:
            rows.append((str(item["provider"]), str(item["model"]),
                         str(item["canonical_model"])))
        except (KeyError, TypeError):
            raise SettingsError(f"model identity overrides {path}: override #{index + 1} needs "
                             "provider, model and canonical_model") from None
    return rows


def _checksum(overrides: list[tuple[str, str, str]]) -> str:
    """What the installed views are made of: the SQL files and the identity overrides. The
    [views] figures are not in it: a reader with other figures must not reinstall."""
    return _checksum_of(tuple(sorted(map(tuple, overrides))))


@functools.cache
def _checksum_of(overrides: tuple[tuple[str, ...], ...]) -> str:
    text = json.dumps([[view_sql(v) for v in VIEWS], [list(row) for row in overrides]])
    return hashlib.sha256(text.encode()).hexdigest()


def views_current(con: duckdb.DuckDBPyConnection, settings: Settings | None = None) -> bool:
    """Whether the file's views are those of this pricewatch (and these overrides)."""
    overrides = load_overrides(settings.views.identity_overrides) if settings else None
    if overrides is None:
        installed = fetch_one(con, "SELECT checksum FROM views_installed")
        return installed is not None and installed[0] in _known_checksums(con)
    return fetch_one(con, "SELECT 1 FROM views_installed WHERE checksum = ?",
                     [_checksum(overrides)]) is not None


def views_checksum(settings: Settings) -> str:
    """The digest of the views this pricewatch installs with these settings' overrides (an
    export records it: files of other views are not mixed with these)."""
    return _checksum(load_overrides(settings.views.identity_overrides))


def _known_checksums(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT provider, model, canonical_model FROM model_identity_overrides "
                       "ORDER BY ALL").fetchall()
    return {_checksum([tuple(row) for row in rows]), _checksum([])}


def _stored_settings(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT name, value FROM view_settings").fetchall())


def install(con: duckdb.DuckDBPyConnection, settings: Settings, *,
            figures: bool = False) -> bool:
    """Create or replace every view if they are missing or out of date. True if it did.

    The [views] figures (`view_settings`) are written on the first install, and when
    `figures` is set: at daemon start and by `pricewatch db upgrade`, never by a read or a
    one-off command, whose own figures go in as macro parameters instead."""
    overrides = load_overrides(settings.views.identity_overrides)
    checksum = _checksum(overrides)
    wanted = view_settings(settings)
    stored = _stored_settings(con)
    views_stale = fetch_one(con, "SELECT 1 FROM views_installed WHERE checksum = ?",
                            [checksum]) is None
    figures_stale = (figures or not stored) and stored != wanted
    if not views_stale and not figures_stale:
        return False
    def write() -> None:
        serialize_writers(con)  # two daemons installing at once on a lake: one after the other
        if figures_stale:
            con.execute("DELETE FROM view_settings")
            con.executemany("INSERT INTO view_settings VALUES (?, ?)",
                            list(wanted.items()))  # seven rows, not a bulk path
        if views_stale:
            con.execute("DELETE FROM model_identity_overrides")
            if overrides:
                con.executemany("INSERT INTO model_identity_overrides VALUES (?, ?, ?)",
                                overrides)
            for name in VIEWS:
                con.execute(view_sql(name))
            comment_views(con)
            con.execute("DELETE FROM views_installed")
            con.execute("INSERT INTO views_installed VALUES (?, ?)",
                        [checksum, datetime.now(UTC)])

    in_transaction(con, write, "views")
    return True


def ensure_installed(settings: Settings, *, figures: bool = False) -> None:
    """Install the views if needed; a read-only check first, so readers rarely lock."""
    with open_warehouse(settings, read_only=True) as con:
        current = views_current(con, settings)
        if current and (not figures or _stored_settings(con) == view_settings(settings)):
            return
    with open_warehouse(settings) as con:
        install(con, settings, figures=figures)


@contextmanager
def open_gold(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection on which every view exists. Nothing is written, unless the
    file was made by an older pricewatch: then its views are brought up to date once, as
    its schema is (`pricewatch db upgrade` does both explicitly)."""
    with open_warehouse(settings, read_only=True) as con:
        if views_current(con):  # the common case: one open (a lake's costs ~0.1 s)
            yield con
            return
    try:
        with open_warehouse(settings) as con:
            install(con, settings)
    except WarehouseError as error:
        raise WarehouseError(f"the views in {label_of(settings)} are from another "
                             f"pricewatch and the file cannot be written to bring them "
                             f"up to date ({error}); run `pricewatch db upgrade` where "
                             "it can") from None
    with open_warehouse(settings, read_only=True) as con:
        yield con


def comment_views(con: duckdb.DuckDBPyConnection) -> None:
    """COMMENT ON every view and column of queries/*.sql from queries/reference.toml, so that
    `duckdb_views()`, `duckdb_columns()` and any SQL client show what each means. DuckLake
    keeps comments on views but not on their columns: there `queries/reference.toml` is the
    reference. Other views in the database are left as they are."""
    docs = reference()
    columns_too = keeps_column_comments(con)
    ours = own_views()
    for view, columns in view_columns(con).items():
        if view not in ours:
            continue  # a user's own view (or one an older pricewatch made): not ours to describe
        con.execute(f"COMMENT ON VIEW {view} IS {quote_literal(docs['views'][view]['about'])}")
        for column in columns if columns_too else ():
            con.execute(f'COMMENT ON COLUMN {view}."{column}" IS '
                        f"{quote_literal(column_doc(docs, view, column))}")


def view_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every view of the file with its columns, in order."""
    found: dict[str, list[str]] = {}
    for view, column in con.execute(
            "SELECT c.table_name, c.column_name FROM duckdb_columns() c JOIN duckdb_views() v "
            "ON v.view_name = c.table_name AND v.database_name = c.database_name "
            "AND v.schema_name = c.schema_name WHERE NOT v.internal AND "
            "c.database_name = current_database() ORDER BY c.table_name, c.column_index"
            ).fetchall():
        found.setdefault(view, []).append(column)
    return found


def column_doc(docs: dict[str, Any], view: str, column: str) -> str:
    """A column's description: the view's own, else the shared one for its name."""
    text = docs["views"].get(view, {}).get("columns", {}).get(column) \
        or docs["columns"].get(column)
    if not text:
        raise RuntimeError(f"queries/reference.toml describes no column {view}.{column}")
    return text


def reference() -> dict[str, Any]:
    """queries/reference.toml: `columns` (shared column descriptions) and `views` (per view,
    what it is and its own column descriptions)."""
    import tomllib

    data = tomllib.loads(resources.files("pricewatch.queries").joinpath(
        "reference.toml").read_text(encoding="utf-8"))
    return {"columns": data.pop("columns"), "views": data}


def named(con: duckdb.DuckDBPyConnection, name: str,
          params: dict[str, Any] | None = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Run the command query queries/commands/NAME.sql: the one way code outside warehouse/
    and queries/ reads the warehouse (its SQL is in a file, its parameters named)."""
    return rows(con, command_sql(name), params)


def rows(con: duckdb.DuckDBPyConnection, sql: str,
         params: Any = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and rows as dicts, the shape the CLI's output layer takes."""
    result = con.execute(sql, params) if params is not None else con.execute(sql)
    columns = [d[0] for d in result.description or ()]
    return columns, [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
