"""CLI benchmark: what a person waits for when they type a read command.

Each figure is a ratio to a floor measured in the same run, every command a process of its
own as a user starts it, medians of interleaved runs (so a busy machine slows both sides):

- start-up: what `pricewatch status` imports and builds before it runs (IMPORT) against
  `python -c pass` (goal <= 8x), and
  `pricewatch --version` (the import, the command tree, the program's quick exit: what every
  command pays at least); beside them the chosen stack's own import (STACK: what a read
  command cannot do without), so the part of the start-up that is pricewatch's shows;
- each read command against its own SQL in a bare read-only duckdb process (goal for
  `status` <= 2x);
- drawing a table of 100, 1,000 and 10,000 rows, in process: the default (a screenful and
  the count of the rest) and `--all`, against building the same rows (the "query").

The warehouse is the shared OpenRouter catalogue captures ingested in date order (about
1,400 offers and 3,000 changes). The last line of output is one JSON object.

    python -m bench.cli [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from helpers import ingest_catalogues
from pricewatch import queries

DAYS = ["2025-05-23", "2025-12-18", "2026-01-29", "2026-05-07", "2026-10-07"]
# command -> the SQL it runs, read by a bare duckdb process (the floor)
READS = {
    "status": (["status"], queries.command_sql("status"), {}),
    "changes": (["changes", "--since", "2026-01-01"],
                "SELECT * FROM price_changes_since(TIMESTAMPTZ '2026-01-01') "
                "ORDER BY changed_at DESC", {}),
    "cheapest": (["cheapest"], "SELECT * FROM cheapest_per_capability WHERE rank <= 3", {}),
    "history": (["history", "openai/gpt-4o-mini"], queries.command_sql(
        "price_history_of_model"), {"model": "openai/gpt-4o-mini", "provider": None}),
}
# What a read command imports of the design card's stack, and nothing of pricewatch: the
# floor of its start-up while the stack stays.
STACK = "import duckdb, pydantic_settings, typer, rich.console, rich.table"
# The start-up of a read command: the CLI, and the one command module it needs (main()
# imports no other since issue 32; `import pricewatch.cli.main` alone no longer includes
# it). An older pricewatch, compared through PYTHONPATH, has no for_command: it imported
# every command module with pricewatch.cli.main.
IMPORT = ("from pricewatch.cli import main\n"
          "getattr(main, 'for_command', lambda name: None)('status')")
BARE = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute(sys.argv[2], json.loads(sys.argv[3]) or None).fetchall()
"""


def process_s(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def interleaved(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median seconds per command, the commands taking turns in each round."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, args in commands.items():
            times[name].append(process_s(args))
    return {name: statistics.median(values) for name, values in times.items()}


def table_figures(runs: int) -> dict[str, float]:
    """Milliseconds to draw N rows to an 80-column console (default and --all), beside the
    milliseconds to build those rows, which stands in for the query."""
    from rich.console import Console

    from pricewatch.cli import output

    figures = {}
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in (100, 1000, 10_000):
        def rows(n: int = n) -> list[dict]:
            return [{"changed_at": start + timedelta(minutes=i), "model": f"vendor/model-{i}",
                     "component": "input", "old_price": Decimal("0.15"),
                     "new_price": Decimal("0.12"), "change_pct": Decimal("-20")}
                    for i in range(n)]

        built = []
        for everything in (False, True):
            spent = []
            for _ in range(runs):
                began = time.perf_counter()
                data = rows()
                built.append(time.perf_counter() - began)
                output.console = Console(file=io.StringIO(), width=80, color_system=None)
                output.ALL = everything
                began = time.perf_counter()
                output.emit(data, list(data[0]), as_json=False, title="changes")
                spent.append(time.perf_counter() - began)
            key = "all" if everything else "default"
            figures[f"table_{n}_{key}_ms"] = round(statistics.median(spent) * 1000, 1)
        figures[f"rows_{n}_built_ms"] = round(statistics.median(built) * 1000, 1)
    output.ALL = False
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(ingest_catalogues(Path(tmp) / "w.duckdb", DAYS))
        python = sys.executable
        commands = {"pass": [python, "-c", "pass"],
                    "stack": [python, "-c", STACK],
                    "import": [python, "-c", IMPORT],
                    "version": [python, "-m", "pricewatch", "--version"]}
        for name, (argv, sql, params) in READS.items():
            commands[name] = [python, "-m", "pricewatch", *argv, "--db", db]
            commands[f"{name}_sql"] = [python, "-c", BARE, db, sql, json.dumps(params)]
        medians = interleaved(commands, args.runs)
    for name, seconds in medians.items():
        print(f"{name:14} {seconds * 1000:8.0f} ms")
    figures = {"import_x_python": round(medians["import"] / medians["pass"], 2),
               "version_x_python": round(medians["version"] / medians["pass"], 2),
               "import_goal": 8,
               "stack_import_x_python": round(medians["stack"] / medians["pass"], 2),
               "own_import_ms": round((medians["import"] - medians["stack"]) * 1000, 1)}
    for name in READS:
        figures[f"{name}_x_sql"] = round(medians[name] / medians[f"{name}_sql"], 2)
    figures["status_goal"] = 2
    tables = table_figures(max(3, args.runs // 2))
    for key, value in tables.items():
        print(f"{key:24} {value:8.1f} ms")
    figures["table_10000_default_x_rows"] = round(
        tables["table_10000_default_ms"] / tables["rows_10000_built_ms"], 2)
    figures["table_10000_all_x_rows"] = round(
        tables["table_10000_all_ms"] / tables["rows_10000_built_ms"], 2)
    print(json.dumps(figures | tables))


if __name__ == "__main__":
    main()
