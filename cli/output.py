"""One output layer for every command: a rich table for people, `--json` for programs.

`--json` prints a JSON array of objects whose keys are the column names; decimals are
decimal strings (`"0.06"`, never `6e-08`) and times are ISO 8601 UTC.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich import box
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


WIDE = False  # `pricewatch --wide`: every table column, nothing cut


def ago(value: datetime, now: datetime | None = None) -> str:
    """A time as people read it in a table: `3 h ago`, `in 2 d` (JSON keeps the timestamp)."""
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    size = abs(seconds)
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if size >= length:
            amount = f"{size / length:.0f} {unit}"
            break
    else:
        amount = f"{size:.0f} s"
    return f"{amount} ago" if seconds >= 0 else f"in {amount}"


def cell(value: Any) -> str:
    """A table cell: times relative, the rest as `text` shows it."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return ago(value)
    return text(value)


def _fitting(columns: Sequence[str], cells: list[list[str]], width: int,
             keep: int) -> list[int]:
    """Widths of the columns, from the left, that fit in `width` characters: columns after
    the first `keep` are left out from the right, then wide ones cut down to MIN_CELL, then
    more left out."""
    widths = [min(max([len(column), *(len(row[i]) for row in cells)]), MAX_CELL)
              for i, column in enumerate(columns)]

    def used() -> int:
        return 1 + sum(w + 3 for w in widths)

    while used() > width and len(widths) > keep:
        widths.pop()
    while used() > width:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] > MIN_CELL:
            widths[widest] -= 1
        elif len(widths) > 1:
            widths.pop()
        else:
            break
    return widths


MAX_CELL = 40  # a longer cell is cut in a table (the whole value is in --json)
MIN_CELL = 20  # the kept columns are cut down to this before one more is left out


def emit(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, as_json: bool,
         title: str | None = None, table_columns: Sequence[str] | None = None,
         keep: int = 4) -> None:
    """Print rows: every column as JSON, or `table_columns` (default all) as a table of one
    line per row that fits the terminal: columns that do not fit are left out (the title
    says how many; `--wide` or `--json` show them), long cells end in an ellipsis; the
    first `keep` columns stay, cut if need be."""
    if as_json:
        sys.stdout.write(json.dumps([{c: plain(row.get(c)) for c in columns} for row in rows],
                                    ensure_ascii=False) + "\n")
        return
    columns = list(table_columns or columns)
    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [None] * len(columns) if WIDE else _fitting(columns, cells, console.width, keep)
    shown = len(widths)
    note = f" (+{len(columns) - shown} columns: --wide, --json)" if shown < len(columns) else ""
    heading = (text(title) if title else "") + note
    table = Table(title=heading.strip() or None, show_lines=False, box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for column, width in zip(columns, widths, strict=False):
        table.add_column(column, no_wrap=not WIDE, overflow="fold" if WIDE else "ellipsis",
                         max_width=width)
    for row in cells:
        table.add_row(*row[:shown])
    if WIDE:  # as wide as the table is, whatever the terminal
        Console(file=console.file, width=100_000, color_system=None).print(table, crop=False)
    else:
        console.print(table)
    if not rows:
        console.print("(no rows)")


def fail(message: str) -> None:
    errors.print(f"[bold red]error:[/] {escape(printable(message, 10_000))}", highlight=False,
                 soft_wrap=True)


def warn(message: str) -> None:
    errors.print(f"[yellow]warning:[/] {escape(printable(message, 10_000))}", highlight=False,
                 soft_wrap=True)
