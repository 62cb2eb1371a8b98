"""`pricewatch cost`: a usage log (CSV, JSON lines or Parquet) priced call by call at the
price in force when each call was made. This module reads and checks the log inside DuckDB
(the file is never loaded into Python, so a 10M-row log streams) and hands it, as a view of
the columns `cost_of` takes, to the SQL macro queries/cost_of.sql, which does the pricing:
the CLI and a dashboard calling `cost_of` give the same cents.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pricewatch import queries
from pricewatch.errors import InputError
from pricewatch.queries import usage as sql

# column -> the other names a log may give it (matched case-insensitively); README lists them
ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": ("time", "ts", "created_at", "request_time", "started_at"),
    "model": ("model_id", "model_name"),
    "input_tokens": ("prompt_tokens", "tokens_prompt", "native_tokens_prompt"),
    "output_tokens": ("completion_tokens", "tokens_completion", "native_tokens_completion"),
    "provider": (),
    "route": (),
    "cached_tokens": ("cache_read_tokens", "cached_input_tokens", "cache_read_input_tokens",
                      "native_tokens_cached"),
    "cache_write_tokens": ("cache_creation_tokens", "cache_creation_input_tokens"),
    "reasoning_tokens": ("native_tokens_reasoning", "completion_reasoning_tokens"),
    "service_tier": ("tier",),
    "requests": ("request_count", "num_requests"),
}
REQUIRED = ("timestamp", "model", "input_tokens", "output_tokens")
TOKENS = ("input_tokens", "output_tokens", "cached_tokens", "cache_write_tokens",
          "reasoning_tokens", "requests")
# what the output adds to the log's own columns
ADDED = ("priced_model", "input_price", "output_price", "cost_usd", "price_valid_from",
         "status", "price_note")


@contextmanager
def spooled_stdin() -> Iterator[Path]:
    """stdin (JSON lines) in a temporary file, so DuckDB reads it like any file."""
    with tempfile.TemporaryDirectory(prefix="pricewatch-cost-") as folder:
        path = Path(folder) / "stdin.jsonl"
        with path.open("wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out)
        yield path


def scan_sql(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> str:
    """The DuckDB table function that reads the log, chosen by its extension."""
    reader = sql.READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(f"{name}: unknown log format {path.suffix or '(no extension)'!r}; "
                         f"use {', '.join(sorted(sql.READERS))}")
    return sql.scan(con, path, reader, name)


def columns_of(con: duckdb.DuckDBPyConnection, scan: str, name: str) -> dict[str, str]:
    """The log's column names by the name cost_of takes (aliases and case resolved)."""
    try:
        found = sql.column_names(con, scan)
    except duckdb.Error as error:
        raise InputError(f"{name}: cannot read the log: {error}") from None
    lower = {column.lower(): column for column in found}
    mapped: dict[str, str] = {}
    for column, aliases in ALIASES.items():
        hits = [lower[n] for n in (column, *aliases) if n in lower]
        if len(hits) > 1:
            raise InputError(f"{name}: columns {', '.join(map(repr, hits))} both mean "
                             f"{column!r}; keep one")
        if hits:
            mapped[column] = hits[0]
    missing = [c for c in REQUIRED if c not in mapped]
    if missing:
        raise InputError(f"{name}: no column {', '.join(map(repr, missing))} (also accepted: "
                         + "; ".join(f"{c}: {', '.join(ALIASES[c])}" for c in missing) + ")")
    return mapped


def prepare(con: duckdb.DuckDBPyConnection, path: Path, name: str,
            default_provider: str | None) -> list[str]:
    """Create the temporary views `usage_log` (the file with a line number) and
    `usage_calls` (the columns cost_of takes, typed), after checking every row; returns the
    log's own column names, which the output carries through."""
    scan = scan_sql(con, path, name)
    mapped = columns_of(con, scan, name)
    first_line = 2 if path.suffix.lower() == ".csv" else 1  # a CSV's header is line 1
    sql.create_log(con, scan, first_line)
    own = sql.column_names(con, "usage_log")[1:]
    clash = sorted({c.lower() for c in own} & set(ADDED))
    if clash:
        raise InputError(f"{name}: column {', '.join(map(repr, clash))} is one that "
                         "pricewatch cost adds; rename it in the log")
    where = "row" if path.suffix.lower() == ".parquet" else "line"
    _check(con, mapped, name, where, default_provider)
    sql.create_calls(con, [sql.typed(column, mapped.get(column), _kind(column),
                                     default_provider) for column in ALIASES], own)
    _check_ambiguous(con, name, where, mapped["model"])
    return own


def _kind(column: str) -> str:
    return "timestamp" if column == "timestamp" else "tokens" if column in TOKENS else "text"


def _check(con: duckdb.DuckDBPyConnection, mapped: dict[str, str], name: str, where: str,
           default_provider: str | None) -> None:
    """The first bad value of each column, named by its line (or Parquet row) and column:
    a time without a zone, a token count that is no whole number or is negative, a part
    larger than its whole, a required value missing, no provider."""
    kinds = sql.log_types(con)
    checks: list[tuple[str, str, str]] = []  # (column, SQL true for a bad row, what is wrong)
    kind = kinds[mapped["timestamp"]]
    if kind == "TIMESTAMP WITH TIME ZONE":
        pass
    elif kind.startswith("TIMESTAMP") or kind == "DATE":
        checks.append(("timestamp", sql.ALWAYS, "is a time without a time zone (give Z or "
                                                "an offset; it is never guessed)"))
    else:
        checks.append(("timestamp", sql.not_zoned(mapped["timestamp"]),
                       "is not an ISO 8601 time with a zone (Z or an offset)"))
    for column in ("timestamp", "model", "input_tokens", "output_tokens"):
        checks.insert(0, (column, sql.empty(mapped[column]), "is empty"))
    for column in TOKENS:
        if column in mapped:
            checks.append((column, sql.not_whole(mapped[column], kinds[mapped[column]]),
                           "is not a whole number of 0 or more"))
    checks.append(("cached_tokens", sql.more_than(
        [mapped.get("cached_tokens"), mapped.get("cache_write_tokens")],
        mapped.get("input_tokens")),
        "and cache_write_tokens are more than input_tokens (they are part of it)"))
    checks.append(("reasoning_tokens", sql.more_than(
        [mapped.get("reasoning_tokens")], mapped.get("output_tokens")),
        "is more than output_tokens (reasoning is part of the output)"))
    if default_provider is None:
        checks.append(("provider", sql.empty(mapped["provider"]) if "provider" in mapped
                       else sql.ALWAYS, "is missing and no --provider was given"))
    # one pass over the log finds which checks fail; only a failing one is looked at again
    found = sql.failing(con, [bad for _, bad, _ in checks])
    for (column, bad, what), failed in zip(checks, found, strict=True):
        if not failed:
            continue
        shown = mapped.get(column, column)
        rows = sql.first_bad(con, bad, mapped.get(column))
        lines = ", ".join(str(line) for line, _ in rows)
        value = f" ({rows[0][1]!r})" if rows[0][1] is not None else ""
        raise InputError(f"{name}, {where} {rows[0][0]}, column {shown!r}{value}: {what}"
                         + (f" (also {where}s {lines.split(', ', 1)[1]})"
                            if len(rows) > 1 else ""))


def candidates(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[str]]:
    """For each (provider, model) of the log that names several models, those models."""
    rows = queries.named(con, "cost_ambiguous")[1]
    return {(provider, model): list(models) for provider, model, models, *_ in rows}


def _check_ambiguous(con: duckdb.DuckDBPyConnection, name: str, where: str,
                     column: str) -> None:
    """A model name that names several of its provider's models stops the run, named by
    the first line (or Parquet row) and column that has it, with the candidates."""
    found = queries.named(con, "cost_ambiguous")[1]
    if not found:
        return
    provider, model, models, first, count = found[0].values()
    more = f" (and {count - 1} more {where}{'s' if count > 2 else ''})" if count > 1 else ""
    raise InputError(f"{name}, {where} {first}, column {column!r}: model {model!r} at "
                     f"{provider} is ambiguous: {', '.join(models)}; write one of them in "
                     f"the log{more}")
