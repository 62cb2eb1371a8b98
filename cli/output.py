"""One output layer for every command: a rich table for people, `--json` for programs.

`--json` prints a JSON array of objects whose keys are the column names; decimals are
decimal strings (`"0.06"`, never `6e-08`) and times are ISO 8601 UTC.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from pricewatch.records import plain, printable

console = Console()
errors = Console(stderr=True)


def text(value: Any) -> str:
    """A table cell: provider text is shown as written, never as rich markup or terminal
    control sequences (a model named "[red]x" or "\x1b[31m" stays inert)."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return escape(printable(", ".join(str(item) for item in value), 10_000))
    return escape(printable(str(value), 10_000))


def emit(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, as_json: bool,
         title: str | None = None, table_columns: Sequence[str] | None = None) -> None:
    """Print rows: every column as JSON, or `table_columns` (default all) as a table."""
    if as_json:
        sys.stdout.write(json.dumps([{c: plain(row.get(c)) for c in columns} for row in rows],
                                    ensure_ascii=False) + "\n")
        return
    columns = table_columns or columns
    table = Table(title=text(title) if title else None, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(text(row.get(c)) for c in columns))
    console.print(table)
    if not rows:
        console.print("(no rows)")


def fail(message: str) -> None:
    errors.print(f"[bold red]error:[/] {escape(printable(message, 10_000))}", highlight=False,
                 soft_wrap=True)


def warn(message: str) -> None:
    errors.print(f"[yellow]warning:[/] {escape(printable(message, 10_000))}", highlight=False,
                 soft_wrap=True)
