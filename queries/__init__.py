"""The gold layer: one SQL view (or macro) per file, created in the DuckDB file so that the
DuckDB CLI, a notebook or a dashboard sees exactly what `pricewatch` shows.

Adding a view is adding its SQL file: the install order is read from the files themselves
(a file that uses an object another file creates is installed after it). Views are
reinstalled when these files or the view settings change (a checksum row in
`views_installed`); installing needs the write lock, reading them does not.
"""

from __future__ import annotations

import graphlib
import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from pricewatch.settings import Settings, SettingsError, ViewSettings
from pricewatch.warehouse.db import fetch_one, open_warehouse

_CREATES = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP\s+)?(?:VIEW|MACRO)\s+(\w+)",
                      re.IGNORECASE | re.MULTILINE)
_COMMENT = re.compile(r"--[^\n]*")
_STRING = re.compile(r"'(?:[^']|'')*'")


def _files() -> dict[str, str]:
    """queries/*.sql by name (not commands/: those are read-only queries of commands)."""
    folder = resources.files("pricewatch.queries")
    return {entry.name.removesuffix(".sql"): entry.read_text(encoding="utf-8")
            for entry in folder.iterdir() if entry.name.endswith(".sql")}


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


def capabilities() -> tuple[str, ...]:
    """The capability names offer_capabilities.sql derives, in the order it lists them."""
    return tuple(re.findall(r"THEN\s+'([a-z_]+)'\s+END", _files()["offer_capabilities"]))


def command_sql(name: str) -> str:
    """A query one command runs (queries/commands/NAME.sql): read-only, not a view."""
    return resources.files("pricewatch.queries").joinpath("commands", f"{name}.sql").read_text(
        encoding="utf-8")


def view_sql(name: str) -> str:
    return resources.files("pricewatch.queries").joinpath(f"{name}.sql").read_text(encoding="utf-8")


# Settings that are not figures for view_setting(): how the views are set up, not read.
_NOT_FIGURES = {"identity_overrides"}


def view_settings(settings: Settings) -> dict[str, str]:
    """Every numeric [views] setting by name, as view_setting() reads them."""
    return {name: str(getattr(settings.views, name)) for name in ViewSettings.model_fields
            if name not in _NOT_FIGURES}


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


def _checksum(settings: Settings, overrides: list[tuple[str, str, str]]) -> str:
    text = json.dumps([[view_sql(v) for v in VIEWS], view_settings(settings), overrides])
    return hashlib.sha256(text.encode()).hexdigest()


def install(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    """Create or replace every view if they are missing or out of date. True if it did."""
    overrides = load_overrides(settings.views.identity_overrides)
    checksum = _checksum(settings, overrides)
    if fetch_one(con, "SELECT 1 FROM views_installed WHERE checksum = ?", [checksum]):
        return False
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM view_settings")
        con.executemany("INSERT INTO view_settings VALUES (?, ?)",
                        list(view_settings(settings).items()))  # seven rows, not a bulk path
        con.execute("DELETE FROM model_identity_overrides")
        if overrides:
            con.executemany("INSERT INTO model_identity_overrides VALUES (?, ?, ?)", overrides)
        for name in VIEWS:
            con.execute(view_sql(name))
        con.execute("DELETE FROM views_installed")
        con.execute("INSERT INTO views_installed VALUES (?, ?)", [checksum, datetime.now(UTC)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return True


def ensure_installed(settings: Settings) -> None:
    """Install the views if needed; a read-only check first, so readers rarely lock."""
    overrides = load_overrides(settings.views.identity_overrides)
    checksum = _checksum(settings, overrides)
    with open_warehouse(settings, read_only=True) as con:
        if fetch_one(con, "SELECT 1 FROM views_installed WHERE checksum = ?", [checksum]):
            return
    with open_warehouse(settings) as con:
        install(con, settings)


@contextmanager
def open_gold(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection on which every view exists and is current."""
    ensure_installed(settings)
    with open_warehouse(settings, read_only=True) as con:
        yield con


def rows(con: duckdb.DuckDBPyConnection, sql: str,
         params: Any = None) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and rows as dicts, the shape the CLI's output layer takes."""
    result = con.execute(sql, params) if params is not None else con.execute(sql)
    columns = [d[0] for d in result.description or ()]
    return columns, [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
