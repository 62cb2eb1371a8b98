"""The SQL of `pricewatch cost` (outputs/cost.py decides what a usage log's columns mean
and words the errors; cli/cost.py is the command): the table function that reads a log,
the temporary views `usage_log` (the file with a line number) and `usage_calls` (the
columns queries/cost_of.sql takes), the checks that find a log's bad values, and the
queries over `cost_of('usage_calls')` whose results are printed or written by COPY.

Column names come from the log itself, so each is quoted as an identifier; paths and
values are quoted as literals; everything else is fixed text here."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pricewatch.errors import InputError
from pricewatch.warehouse.db import quote_identifier as identifier
from pricewatch.warehouse.db import quote_literal as literal

READERS = {".csv": "read_csv", ".jsonl": "read_json", ".ndjson": "read_json",
           ".json": "read_json", ".parquet": "read_parquet"}
JSON_LINES = "format = 'newline_delimited', records = true"
COPY_OPTIONS = {"csv": "FORMAT csv, HEADER true", "jsonl": "FORMAT json",
                "json": "FORMAT json, ARRAY true", "parquet": "FORMAT parquet"}
GROUPS = {"model": "model", "provider": "provider",
          "day": "strftime(timezone('UTC', timestamp), '%Y-%m-%d')",
          "month": "strftime(timezone('UTC', timestamp), '%Y-%m')"}
# an ISO 8601 time that says its zone: Z or an offset at the end
ZONED = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)$"


def limit_memory(con: duckdb.DuckDBPyConnection, limit: str, spill: Path) -> None:
    """DuckDB spills sorts and joins past `limit` into `spill`: a 10M-row log streams."""
    con.execute(f"SET memory_limit = {literal(limit)}")
    con.execute(f"SET temp_directory = {literal(str(spill))}")


def scan(con: duckdb.DuckDBPyConnection, path: Path, reader: str, name: str) -> str:
    """The table function that reads the log with `reader` (a value of READERS). CSV and
    JSON values are read as text, so that outputs/cost.py, not DuckDB's guessing, decides
    what they mean (DuckDB would read `2026-01-01T00:00:00Z` in JSON as a time without its
    zone)."""
    quoted = literal(str(path))
    if reader == "read_csv":
        return f"read_csv({quoted}, header = true, all_varchar = true)"
    if reader == "read_json":
        try:  # the names from every line, then each read as text
            names = column_names(con, f"read_json({quoted}, {JSON_LINES}, sample_size = -1)")
        except duckdb.Error as error:
            raise InputError(f"{name}: cannot read the log as JSON lines: {error}") from None
        columns = ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names)
        return f"read_json({quoted}, {JSON_LINES}, columns = {{{columns}}})"
    return f"read_parquet({quoted})"


def column_names(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    """The column names of a table, view or table function, reading no row."""
    return [d[0] for d in con.execute(f"SELECT * FROM {relation} LIMIT 0").description]


def create_log(con: duckdb.DuckDBPyConnection, scan_sql: str, first_line: int) -> None:
    """The view `usage_log`: the log as read, each row with its line in the file."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW usage_log AS SELECT "
                f"row_number() OVER () - 1 + {int(first_line)} AS line, * FROM {scan_sql}")


def log_types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each column of `usage_log` with its DuckDB type."""
    return dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE usage_log)")
                .fetchall())


def typed(column: str, source: str | None, kind: str, default_provider: str | None) -> str:
    """The expression of one column cost_of takes, from the log's column `source` (None:
    the log has none): `kind` is `timestamp`, `tokens` or `text`."""
    value = identifier(source) if source is not None else "NULL"
    if kind == "timestamp":
        return f"CAST({value} AS TIMESTAMPTZ) AS {column}"
    if kind == "tokens":
        return f"CAST({value} AS BIGINT) AS {column}"
    if column == "provider":
        fallback = "NULL" if default_provider is None else literal(default_provider)
        return f"coalesce(nullif(CAST({value} AS VARCHAR), ''), {fallback}) AS provider"
    return f"CAST({value} AS VARCHAR) AS {column}"


def create_calls(con: duckdb.DuckDBPyConnection, fields: list[str], own: list[str]) -> None:
    """The view `usage_calls`: the line, the typed `fields`, and the log's own columns in
    one struct (`log_row`) that the output unpacks again."""
    row = ("struct_pack(" + ", ".join(f"{identifier(c)} := {identifier(c)}" for c in own)
           + ") AS log_row")
    con.execute("CREATE OR REPLACE TEMP VIEW usage_calls AS SELECT "
                + ", ".join(["line AS log_line", *fields, row]) + " FROM usage_log")


# What makes a row of `usage_log` bad, as SQL true for it: each takes quoted column names.
def empty(column: str) -> str:
    return f"{identifier(column)} IS NULL OR trim(CAST({identifier(column)} AS VARCHAR)) = ''"


def not_zoned(column: str) -> str:
    return f"NOT regexp_matches(trim(CAST({identifier(column)} AS VARCHAR)), '{ZONED}')"


def not_whole(column: str, kind: str) -> str:
    """Not a whole number of 0 or more: as text, digits only (not `1e3`, `10.5`, `-5`)."""
    value = identifier(column)
    if kind == "VARCHAR":
        return (f"{value} IS NOT NULL AND trim({value}) <> '' AND NOT "
                f"regexp_matches({value}, '^\\s*[0-9]+\\s*$')")
    return (f"{value} IS NOT NULL AND (TRY_CAST({value} AS BIGINT) IS NULL OR "
            f"{value} < 0 OR {value} <> floor({value}))")


def more_than(parts: list[str | None], whole: str | None) -> str:
    """The sum of the token columns `parts` exceeds the column `whole` (None: 0)."""
    def tokens(column: str | None) -> str:
        return f"coalesce(TRY_CAST({identifier(column)} AS BIGINT), 0)" if column else "0"
    return f"{' + '.join(tokens(p) for p in parts)} > {tokens(whole)}"


ALWAYS = "true"


def failing(con: duckdb.DuckDBPyConnection, bad: list[str]) -> tuple[bool, ...]:
    """Which of the conditions `bad` some row of `usage_log` meets, in one pass."""
    found = con.execute("SELECT " + ", ".join(f"bool_or(coalesce({b}, false))" for b in bad)
                        + " FROM usage_log").fetchone()
    return tuple(bool(value) for value in found or ())


def first_bad(con: duckdb.DuckDBPyConnection, bad: str, column: str | None,
              count: int = 5) -> list[tuple[int, str | None]]:
    """The first `count` lines meeting `bad`, each with the value of `column` as text."""
    shown = identifier(column) if column is not None else "NULL"
    return con.execute(f"SELECT line, CAST({shown} AS VARCHAR) FROM usage_log WHERE {bad} "
                       f"ORDER BY line LIMIT {int(count)}").fetchall()


def per_call() -> str:
    """Every call of the log, its own columns then what pricing adds, in log order."""
    return ("SELECT unnest(log_row), priced_model, input_price, output_price, cost_usd, "
            "price_valid_from, status, price_note FROM cost_of('usage_calls') "
            "ORDER BY log_line")


def totals(by: str) -> str:
    """Calls, tokens and the exact cost per `by` (a key of GROUPS)."""
    return (f"SELECT {GROUPS[by]} AS {by}, count(*) AS calls, "
            "count(*) FILTER (status = 'priced') AS priced_calls, "
            "count(*) FILTER (status <> 'priced') AS unpriced_calls, "
            "count(price_note) AS noted_calls, "
            "sum(cost_usd) FILTER (status = 'priced') AS cost_usd, "
            "sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens "
            f"FROM cost_of('usage_calls') GROUP BY ALL ORDER BY {by}")


def as_text(query: str, per_call: bool) -> str:
    """The query with decimals as exact text without trailing zeros and times as ISO 8601
    UTC, as --json prints them (CSV and JSON lines would otherwise show 0.45 as
    0.450000000000000000000000, or as a float). Per call, the prices and their start too."""
    prices = (", decimal_text(input_price) AS input_price, decimal_text(output_price) AS "
              "output_price, iso_utc(price_valid_from) AS price_valid_from") if per_call else ""
    return f"SELECT * REPLACE (decimal_text(cost_usd) AS cost_usd{prices}) FROM ({query})"


def copy(con: duckdb.DuckDBPyConnection, query: str, target: Path, fmt: str) -> None:
    """The result of `query` written to `target` by DuckDB (nothing held in Python)."""
    con.execute(f"COPY ({query}) TO {literal(str(target))} ({COPY_OPTIONS[fmt]})")


def written_totals(con: duckdb.DuckDBPyConnection, path: Path, fmt: str,
                   grouped: bool) -> tuple[int, int, object]:
    """Calls, priced calls and the exact cost, read back from a file `copy` wrote (pricing
    the log again would double the time)."""
    quoted = literal(str(path))
    relation = {"parquet": f"read_parquet({quoted})",
                "csv": f"read_csv({quoted}, header = true, all_varchar = true)",
                "jsonl": f"read_json({quoted}, format = 'newline_delimited')",
                "json": f"read_json({quoted}, format = 'array')"}[fmt]
    exact = "CAST(CAST(cost_usd AS VARCHAR) AS DECIMAL(38, 24))"  # as written, not a float
    if grouped:
        query = (f"SELECT CAST(sum(CAST(calls AS BIGINT)) AS BIGINT), "
                 f"CAST(sum(CAST(priced_calls AS BIGINT)) AS BIGINT), sum({exact}) "
                 f"FROM {relation}")
    else:
        query = (f"SELECT count(*), count(*) FILTER (status = 'priced'), sum({exact}) "
                 f"FILTER (status = 'priced') FROM {relation}")
    calls, priced, cost = con.execute(query).fetchone()
    return calls, priced, cost
