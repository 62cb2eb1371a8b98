"""The SQL of `pricewatch export` (outputs/exports.py writes the files, renames them and
keeps the manifest): which views there are, what one month of a table or view is, which
months a table's rows fall in, and the COPY that writes one file. Names of tables, views
and columns come from the code (warehouse/history.py's SPECS, the installed views), never
from input; times and paths are quoted as literals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pricewatch.queries import named
from pricewatch.warehouse.db import quote_literal

MONTH = "strftime(timezone('UTC', {column}), '%Y-%m')"  # a row's UTC month, `2026-01`
FORMATS = {"parquet": "FORMAT parquet, COMPRESSION zstd", "csv": "FORMAT csv, HEADER true"}
# which rows of a table the runs after a run id wrote or closed, per kind of table
TOUCHED = {"history": "opened_by_run > $since OR closed_by_run > $since",
           "runs": "run_id > $since",
           "change": "run_id > $since AND intervals_opened + intervals_closed > 0"}


def views(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every view installed in the warehouse (a new SQL file in queries/ is exported too)."""
    return [row["view_name"] for row in named(con, "export_views")[1]]


def month_rows(name: str, column: str, since_macro: str | None, start: str, end: str) -> str:
    """The rows of `name` (a table, a view or a staged view) whose `column` falls in
    [start, end), in its order; read through `since_macro(start)` when the view has one, so
    a month does not compute the history before it."""
    source = f"{since_macro}(TIMESTAMPTZ {quote_literal(start)})" if since_macro else name
    return (f"SELECT * FROM {source} WHERE {column} >= TIMESTAMPTZ {quote_literal(start)} "
            f"AND {column} < TIMESTAMPTZ {quote_literal(end)} ORDER BY {column}")


# A full export's DuckDB memory: the views' windows over a 10M-row history took 4.7 GB
# unbounded; bounded, DuckDB spills past this (bench/export.py: peak RSS under 1 GB).
MEMORY_LIMIT = "768MB"
STAGE = "pricewatch_stage"  # the scratch database a full export computes each change view in


@contextmanager
def staged(con: duckdb.DuckDBPyConnection, name: str, column: str, path: Path) -> Iterator[str]:
    """Compute the view `name` once, over the whole history, into a scratch DuckDB file at
    `path` (attached as STAGE; its rows in `column` order), and yield the table to read its
    months from: a change view read month by month through its `_since` macro (or whole)
    computes the history after that month each time, O(months x history). The scratch file
    is detached and removed after, also when computing it failed."""
    con.execute(f"ATTACH {quote_literal(str(path))} AS {STAGE}")
    try:
        con.execute(f"CREATE TABLE {STAGE}.rows AS SELECT * FROM {name} ORDER BY {column}")
        yield f"{STAGE}.rows"
    finally:
        con.execute(f"DETACH {STAGE}")
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)


@contextmanager
def bounded_memory(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB held to MEMORY_LIMIT for a full export, and given its default back after."""
    con.execute(f"SET memory_limit = {quote_literal(MEMORY_LIMIT)}")
    try:
        yield
    finally:
        con.execute("RESET memory_limit")


def all_rows(view: str) -> str:
    return f"SELECT * FROM {view}"


def months(con: duckdb.DuckDBPyConnection, table: str, column: str, touched: str | None = None,
           since: int = 0) -> set[str]:
    """The UTC months of `column` in `table`; with `touched` (a key of TOUCHED), only of
    the rows the runs after run `since` touched."""
    where = TOUCHED[touched] if touched else "TRUE"
    params = {"since": since} if touched else None
    result = con.execute(f"SELECT DISTINCT {MONTH.format(column=column)} FROM {table} "
                         f"WHERE {where}", params)
    return {row[0] for row in result.fetchall()}


def cheapest_months(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The months of the current new_cheapest alerts (when each winner's price began)."""
    return {row["month"] for row in named(con, "export_cheapest_months")[1] if row["month"]}


def runs_after(con: duckdb.DuckDBPyConnection, since: int) -> tuple[int | None, int, int]:
    """The newest run id after `since` (None: none), how many intervals those runs opened
    or closed, and the newest run id of all (0: no run)."""
    row = named(con, "export_runs_after", {"since": since})[1][0]
    return row["through_run"], row["changed"], row["newest_run"]


def copy(con: duckdb.DuckDBPyConnection, select: str, path: Path, fmt: str) -> int:
    """Write the rows of `select` to `path` in `fmt` (parquet or csv); the rows written."""
    written = con.execute(f"COPY ({select}) TO {quote_literal(str(path))} ({FORMATS[fmt]})")
    return int(written.fetchall()[0][0])
