"""`pricewatch cost`: a usage log priced at the price in force at each call (outputs/cost.py
reads the log, queries/cost_of.sql prices it)."""

import shutil
import sys
import tempfile
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer

from pricewatch import queries
from pricewatch.cli.app import ConfigOption, DbOption, JsonOption, load_reader, new_app
from pricewatch.cli.output import FORMATS as OUTPUT_FORMATS
from pricewatch.cli.output import emit
from pricewatch.errors import InputError, UsageError
from pricewatch.outputs import cost as usage
from pricewatch.queries import usage as sql
from pricewatch.text import decimal_text
from pricewatch.warehouse.db import own_engine

app = new_app()

FORMATS = (*OUTPUT_FORMATS, "parquet")  # the common ones, and Parquet for a big log
STREAMED = ("csv", "jsonl", "json", "parquet")  # written by DuckDB, never held in Python
MEMORY_LIMIT = "512MB"  # DuckDB spills sorts and joins past this: a 10M-row log streams


@app.command("cost")
def cost_command(
    file: Annotated[str, typer.Argument(
        help="Usage log: .csv, .jsonl (JSON lines) or .parquet; - reads JSON lines from "
             "stdin.")],
    by: Annotated[str | None, typer.Option(
        "--by", help="Totals per model, provider, day or month (UTC), with the count of "
                     "calls that could not be priced.")] = None,
    provider: Annotated[str | None, typer.Option(
        "--provider", help="The provider of calls whose log has no provider column or "
                           "value (openrouter, vertex, nscale).")] = None,
    output_format: Annotated[str, typer.Option(
        "--format", help="table, json, jsonl, csv, md or parquet (parquet needs --out). "
                         "json, jsonl, csv and parquet stream, whatever the log's "
                         "size.")] = "table",
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the priced calls (or totals) to this file instead of stdout "
                      "(a table is written as CSV).")]
    = None,
    db: DbOption = None, config: ConfigOption = None, as_json: JsonOption = False,
) -> None:
    """Price every call of a usage log at the price in force when it was made (exact; a
    call that cannot be priced says why in `status` and is never counted as 0)."""
    if output_format not in FORMATS:
        raise UsageError(f"--format {output_format!r}: use {', '.join(FORMATS)}")
    if by is not None and by not in sql.GROUPS:
        raise InputError(f"--by {by!r}: use {', '.join(sql.GROUPS)}")
    if output_format == "parquet" and out is None:
        raise InputError("--format parquet writes a file: give --out PATH")
    settings = load_reader(db, config)
    with ExitStack() as stack:
        path = stack.enter_context(usage.spooled_stdin()) if file == "-" else Path(file)
        name = "stdin" if file == "-" else file
        if file != "-" and not path.is_file():
            raise InputError(f"file {file} does not exist")
        # an engine of its own, closed after: its memory limit and spill folder (which
        # DuckDB cannot switch back once used) never reach the process's engine
        stack.enter_context(own_engine())
        con = stack.enter_context(queries.open_gold(settings))
        spill = stack.enter_context(tempfile.TemporaryDirectory(prefix="pricewatch-cost-"))
        sql.limit_memory(con, MEMORY_LIMIT, Path(spill))
        own = usage.prepare(con, path, name, provider)  # an ambiguous model stops it here
        query = sql.totals(by) if by else sql.per_call()
        # a file is streamed (a table as CSV), and stdout too in a data format
        streamed = "csv" if output_format == "table" else output_format
        if streamed in STREAMED and (out is not None or (output_format == streamed
                                                          and not as_json)):
            _copy(con, query, streamed, out, per_call=by is None, scratch=Path(spill))
            if out is not None:
                _summary(con, name, out, streamed, by, as_json)
            return
        columns, rows = queries.rows(con, query)
    title, note = _title(rows, by)
    shape = {} if by else {"table_columns": _table_columns(own, columns), "keep": 4}
    emit(rows, columns, as_json=as_json, title=title, footnote=note, relative=False,
         fmt=output_format, out=out, **shape)


def _copy(con: duckdb.DuckDBPyConnection, query: str, output_format: str,
          out: Path | None, per_call: bool, scratch: Path) -> None:
    """Stream the result to a file or stdout with DuckDB's COPY (nothing held in Python).
    Stdout gets a copy of a file in `scratch`: COPY TO /dev/stdout opens it again, which
    for a redirected stdout starts at byte 0 and overwrote what was there (`>>`)."""
    target = scratch / f"out.{output_format}" if out is None else out
    body = query if output_format == "parquet" else sql.as_text(query, per_call)
    sql.copy(con, body, target, output_format)
    if out is None:
        sys.stdout.flush()
        with open(target, "rb") as written:
            shutil.copyfileobj(written, sys.stdout.buffer)
        sys.stdout.buffer.flush()


def _summary(con: duckdb.DuckDBPyConnection, name: str, out: Path, output_format: str,
             by: str | None, as_json: bool) -> None:
    """Counts and the total, read back from the file just written (pricing the log again
    would double the time)."""
    calls, priced, cost = sql.written_totals(con, out, output_format, grouped=by is not None)
    emit([{"log": name, "out": str(out), "calls": calls, "priced_calls": priced,
           "unpriced_calls": calls - priced, "cost_usd": cost}],
         ["log", "out", "calls", "priced_calls", "unpriced_calls", "cost_usd"],
         as_json=as_json, title="cost", relative=False)


def _title(rows: list[dict[str, Any]], by: str | None) -> tuple[str, str | None]:
    """The table's title (what and the exact total) and its note (what was not priced, or
    priced with a caveat), so that the title stays one line."""
    if by:
        total = sum((r["cost_usd"] for r in rows if r["cost_usd"] is not None), start=0)
        unpriced = sum(r["unpriced_calls"] for r in rows)
        noted = sum(r["noted_calls"] for r in rows)
    else:
        total = sum((r["cost_usd"] for r in rows if r["status"] == "priced"), start=0)
        unpriced = sum(1 for r in rows if r["status"] != "priced")
        noted = sum(1 for r in rows if r["price_note"])
    notes = ([f"{unpriced} not priced (status)"] if unpriced else []) + (
        [f"{noted} with cached tokens at the input price (price_note)"] if noted else [])
    return (f"{'cost per ' + by if by else 'priced calls'}: USD "
            f"{decimal_text(Decimal(total))} exact", "; ".join(notes) or None)


def _table_columns(own: list[str], columns: list[str]) -> list[str]:
    """The log's time and model, then what pricewatch adds, then the log's other columns."""
    first = [c for c in own if c.lower() in ("timestamp", "time", "ts", "created_at")][:1]
    first += [c for c in own if c.lower() in ("model", "model_id", "model_name")][:1]
    added = ["cost_usd", "status", "input_price", "output_price", "priced_model",
             "price_valid_from", "price_note"]
    return list(dict.fromkeys(first + added + [c for c in columns if c not in added]))
