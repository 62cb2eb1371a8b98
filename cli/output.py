"""One output layer for every command: a rich table for people, the same rows as data for
programs (`--format json|jsonl|csv|md`, `--json` being `--format json`), to stdout or a file
(`--out`).

JSON and JSON lines have an object per row keyed by column name; decimals are decimal
strings (`"0.06"`, never `6e-08`) and times ISO 8601 UTC, in CSV and markdown too. Every
column is in them; a table shows those that fit.
"""

import csv
import io
import itertools
import json
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.cells import get_character_cell_size
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pricewatch.errors import InputError, UsageError
from pricewatch.text import ago, plain, printable, stamp


def _on_broken_pipe(self: Console) -> None:
    """rich ended the program with status 1 when the reader closed the pipe (`pricewatch
    changes | head`); the error goes on instead, and every closed pipe exits 141 (128 +
    SIGPIPE, as a shell says): app.py's handler for a command's output, main() for help
    text. On the class, since typer draws the help on consoles of its own."""
    self.quiet = True
    raise BrokenPipeError


Console.on_broken_pipe = _on_broken_pipe  # type: ignore[method-assign]
console = Console()
errors = Console(stderr=True)


def shown(value: Any) -> str:
    """A value as one line of plain text: provider text as written, never terminal control
    sequences (a model named "\x1b[31m" stays inert); lists joined with commas."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, list):
        return printable(", ".join(str(item) for item in value), 10_000)
    return printable(str(value), 10_000)


# ids differ at their end (`…-instruct` and `…-instruct:free`), so they are cut in the middle
IDS = frozenset({"model", "canonical_model", "database", "path", "entry"})  # entry: audit


def cut(value: str, width: int | None, column: str = "", head: int | None = None) -> str:
    """A cell cut to `width`, ending in `…`; an id keeps both its ends
    (`meta-llama/…instruct:free`), `head` characters of its start."""
    if width is None or len(value) <= width:
        return value
    if column not in IDS:
        return value[:width - 1] + "…"
    head = max(1, (width - 1) * 2 // 5) if head is None else head
    return value[:head] + "…" + value[len(value) - (width - 1 - head):]


def cut_column(values: Sequence[str], width: int | None, column: str) -> list[str]:
    """A column's cells cut to `width`; ids cut where the column's distinct ids stay
    distinct (`allenai/olmo-3-32b-think:free` and `allenai/olmo-3.1-32b-think:free` must
    not both read `allenai…b-think:free`): the usual split, else the nearest that works."""
    if width is None or column not in IDS or width < 3:
        return [cut(value, width, column) for value in values]
    distinct = set(values)
    usual = max(1, (width - 1) * 2 // 5)
    for head in sorted(range(1, width - 1), key=lambda h: (abs(h - usual), h)):
        shown_as = [cut(value, width, column, head) for value in values]
        if len(set(shown_as)) == len(distinct):
            return shown_as
    return [cut(value, width, column) for value in values]


WIDE = False  # `pricewatch --wide`: every table column, nothing cut
ALL = False  # `pricewatch --all`: every row of a table on the terminal
TABLE_ROWS = 50  # rows a table shows on the terminal; the rest are counted under it


# Interval edges are facts of a price schedule, so a table shows their date; every other
# time (observed, detected, next run) is shown by its age.
EDGES = frozenset({"valid_from", "valid_to", "retiring_on", "price_valid_from"})


def cell(value: Any, column: str = "", relative: bool = True) -> str:
    """A table cell's text: times relative (edges of intervals as dates, to the minute; other
    times to the second when not relative), the rest as `shown`."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        if column in EDGES:
            return stamp(value)
        return ago(value) if relative else stamp(value, seconds=True)
    return shown(value)


def _fitting(columns: Sequence[str], cells: list[list[str]], width: int,
             keep: int) -> list[int]:
    """Widths of the columns, from the left, that fit in `width` characters: columns after
    the first `keep` are left out from the right, then wide ones cut down to MIN_CELL, then
    more left out; width left over goes back to the cut columns, leftmost first."""
    natural = [max([len(column), *(len(row[i]) for row in cells)])
               for i, column in enumerate(columns)]
    widths = [min(n, MAX_CELL) for n in natural]

    def used() -> int:  # a space each side of every cell, one between cells (SIMPLE_HEAD)
        return sum(w + 3 for w in widths) - 1

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
    for i in range(len(widths)):
        widths[i] += max(0, min(natural[i] - widths[i], width - used()))
    return widths


MAX_CELL = 40  # a longer cell is cut in a table (the whole value is in --json)
MIN_CELL = 20  # the kept columns are cut down to this before one more is left out


FORMATS = ("table", "json", "jsonl", "csv", "md")


def for_people(as_json: bool, fmt: str) -> bool:
    """Whether the rows are read by people (a table, markdown), who get rounded money and
    readable cells, or by programs (JSON, JSON lines, CSV), who get exact values."""
    return not as_json and fmt in ("table", "md")


def emit(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, as_json: bool,
         title: str | None = None, table_columns: Sequence[str] | None = None,
         keep: int = 4, relative: bool = True, footnote: str | None = None,
         fmt: str = "table", out: Path | None = None) -> None:
    """Print rows in `fmt` (`as_json`: json), to stdout or the file `out`. A table shows
    `table_columns` (default all), one line per row that fits the terminal: columns that do
    not fit are left out (the title says how many; `--wide` or `--json` show them), long
    cells end in an ellipsis; the first `keep` columns stay, cut if need be. Times are shown
    by age unless `relative` is false (then, like interval edges, as UTC dates and times).
    A title is kept short, one line at 80 columns; what qualifies the figures goes in
    `footnote`, a line under the table (markdown: in its caption; data formats: neither)."""
    fmt = "json" if as_json else fmt
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: use {', '.join(FORMATS)}")
    if fmt == "table" and out is None:
        _table(rows, list(table_columns or columns), title, keep, relative, footnote)
        return
    if fmt == "table":
        buffer = io.StringIO()
        _table(rows, list(table_columns or columns), title, keep, relative, footnote,
               Console(file=buffer, width=console.width, color_system=None))
        written = buffer.getvalue()
    else:
        written = render(rows, columns, fmt, title, footnote)
    if out is None:
        sys.stdout.write(written)
    else:
        write_file(out, written)


def render(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str,
           title: str | None = None, footnote: str | None = None) -> str:
    """Rows as data text: every column, values exact (`plain`)."""
    data = [{c: plain(row.get(c)) for c in columns} for row in rows]
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in data)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows([[shown(row.get(c)) for c in columns] for row in rows])
        return buffer.getvalue()
    caption = [f"_{title}" + (f" ({footnote})" if footnote else "") + "_", ""] if title else []
    lines = [*caption, "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(shown(row.get(c)).replace("|", "\\|") for c in columns) + " |"
              for row in rows]
    return "\n".join(lines) + "\n"


def write_file(out: Path, written: str) -> None:
    """`--out`: the whole text into the file, replaced at once (never half written)."""
    if out.is_dir():
        raise InputError(f"--out {out} is a folder: give a file")
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temporary.write_text(written, encoding="utf-8")
    os.replace(temporary, out)


def _table(rows: Sequence[Mapping[str, Any]], columns: list[str], title: str | None,
           keep: int, relative: bool, footnote: str | None,
           target: Console | None = None) -> None:
    # nobody reads 8,000 rows in a terminal, and drawing them took seconds: the first
    # TABLE_ROWS, and how many more (a file written with --out gets them all)
    hidden = len(rows) - TABLE_ROWS if target is None and not ALL else 0
    if hidden > 0:
        rows = rows[:TABLE_ROWS]
    target = target or console
    cells = [[cell(row.get(c), c, relative) for c in columns] for row in rows]
    widths = [None] * len(columns) if WIDE else _fitting(columns, cells, target.width, keep)
    note = (f" (+{len(columns) - len(widths)} columns: --wide, --json)"
            if len(widths) < len(columns) else "")
    heading = ((shown(title) if title else "") + note).strip()
    shown_columns = [cut_column([row[i] for row in cells], width, column)
                     for i, (column, width) in enumerate(zip(columns, widths, strict=False))]
    shown_rows = list(zip(*shown_columns, strict=True)) if shown_columns else []

    def table(fixed: Sequence[int] | None = None) -> Table:
        """The rows' table: columns at most their fitted widths (`fixed`: exactly)."""
        drawn = Table(title=Text(heading, style="table.title") if heading else None,
                      show_lines=False, box=box.SIMPLE_HEAD, pad_edge=False)
        for i, (column, width) in enumerate(zip(columns, widths, strict=False)):
            drawn.add_column(column, no_wrap=not WIDE, overflow="fold" if WIDE else "ellipsis",
                             max_width=width, width=fixed[i] if fixed else None)
        return drawn

    if WIDE:  # as wide as the table is, whatever the terminal
        Console(file=target.file, width=100_000, color_system=None).print(
            _filled(table(), shown_rows), crop=False)
    elif not _drawn_alike(target, table, shown_rows, columns[:len(widths)], widths):
        target.print(_filled(table(), shown_rows))
    if not rows:
        target.print("(no rows)")
    if hidden > 0:
        target.print(f"… {hidden:,} more rows: --all, --json or --format csv", highlight=False)
    if footnote:
        target.print(Text(shown(footnote)))


def _filled(table: Table, rows: Sequence[Sequence[str]]) -> Table:
    for row in rows:
        table.add_row(*map(Text, row))  # Text: no markup, no :emoji: codes read in a cell
    return table


_BEYOND_ASCII = re.compile(r"[^\x20-\x7e]")


def _one_column_each(cell: str) -> bool:
    """Whether every character of `cell` takes one column: printable ASCII, `…` and `→` do;
    CJK takes two, a combining accent none, a tab as many as the terminal says."""
    return all(get_character_cell_size(character) == 1 and character.isprintable()
               for character in _BEYOND_ASCII.findall(cell))


def _drawn_alike(target: Console, table: Callable[[Sequence[int] | None], Table],
                 rows: list[tuple[str, ...]], headers: Sequence[str],
                 fitted: Sequence[int | None]) -> bool:
    """Print the table of `rows` when every character of every cell takes one column, rich
    drawing the first row and the rest following its layout; False (nothing printed)
    otherwise.

    rich lays out every row anew, ~0.3 ms each: 3 s for 10,000 rows with `--all`. Such
    cells take one column each and are never cut again (they fit their column), so every
    row's line is the same: a space, the cells padded to their column's width, three
    spaces between, a space. The columns get the widths rich would give them (its widest
    cell or header, at most its `fitted` width); rich's own line for the first row is
    checked against that layout, and any difference leaves the whole table to rich."""
    if len(rows) < 2 or not all(map(_one_column_each, itertools.chain.from_iterable(rows))):
        return False
    widths = [min(max(len(header), *(len(row[i]) for row in rows)), most or sys.maxsize)
              for i, (header, most) in enumerate(zip(headers, fitted, strict=True))]

    def line(row: Sequence[str]) -> str:
        return " " + "   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " "

    with target.capture() as captured:
        target.print(_filled(table(widths), rows[:1]))
    drawn = captured.get().split("\n")  # ..., the first row, the bottom edge, ""
    if len(drawn) < 3 or drawn[-3] != line(rows[0]):
        return False
    target.file.write("\n".join([*drawn[:-2], *map(line, rows[1:]), *drawn[-2:]]))
    return True


def fail(message: str) -> None:
    _said("error:", "bold red", message)


def warn(message: str) -> None:
    _said("warning:", "yellow", message)


def _said(label: str, style: str, message: str) -> None:
    """One line to stderr: the label styled, the message as written (provider text in it:
    no markup, no `:name:` read as an emoji)."""
    errors.print(Text.assemble((label, style), " ", printable(message, 10_000)),
                 soft_wrap=True)
