"""Full-export benchmark: `pricewatch export` of a whole history against its floor, a COPY
of each table and view to one Parquet file, each a process of its own (so each peak RSS is
its own), on bench/queries.py's synthetic histories (1M and 10M rows by default).

Per size: seconds and peak RSS of the export (`exports.export`, as `pricewatch export`
calls it) and of the floor; the export over the floor (`export_x_copy`, goal <= 2), the
largest size's time over the smallest's (`export_scaling`, linear: about the row ratio),
and the export's peak (`export_peak_mb`, goal < 1024). The last line is one JSON object.

    python -m bench.export [--offers 2000] [--intervals 250,2500]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_X_COPY = 2.0
GOAL_PEAK_MB = 1024


def build(db: Path, offers: int, intervals: int) -> int:
    """The synthetic history of bench/queries.py, with the views installed; its rows."""
    from bench.queries import GENERATE, NOW, STEP, run_sql
    from pricewatch import queries
    from pricewatch.settings import load_settings
    from pricewatch.warehouse.db import open_db

    settings = load_settings(db_path=db)
    with open_db(settings.db_path) as con:
        con.execute("RESET threads")  # setup, not an ingest unit
        run_sql(con, GENERATE, {"start": NOW - intervals * STEP, "step": STEP,
                                "offers": offers, "intervals": intervals})
        queries.install(con, settings)
        return int(con.execute("SELECT count(*) FROM price_history").fetchall()[0][0])


def measure(mode: str, db: Path, out: Path) -> None:
    """In a process of its own: the export, or the floor; prints seconds and peak RSS."""
    from pricewatch import queries
    from pricewatch.outputs import exports
    from pricewatch.settings import load_settings

    settings = load_settings(db_path=db)
    started = time.perf_counter()
    if mode == "export":
        exports.export(settings, out)
    else:
        out.mkdir()
        with queries.open_gold(settings) as con:
            for name in [item.name for item in exports.MONTHLY] + exports.sql.views(con):
                exports.sql.copy(con, f"SELECT * FROM {name}", out / f"{name}.parquet",
                                 "parquet")
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": round(seconds, 1),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))


def run(mode: str, db: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "bench.export", "--measure", mode, str(db),
                           str(out)], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offers", type=int, default=2000)
    parser.add_argument("--intervals", type=str, default="250,2500")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        mode, db, out = args.measure
        measure(mode, Path(db), Path(out))
        return
    sizes = []
    with tempfile.TemporaryDirectory() as tmp:
        for intervals in (int(n) for n in args.intervals.split(",")):
            db = Path(tmp) / f"export-{intervals}.duckdb"
            rows = build(db, args.offers, intervals)
            export = run("export", db, Path(tmp) / f"out-{intervals}")
            copy = run("copy", db, Path(tmp) / f"copy-{intervals}")
            size = {"history_rows": rows, "export_s": export["seconds"],
                    "export_peak_mb": export["peak_mb"], "copy_s": copy["seconds"],
                    "copy_peak_mb": copy["peak_mb"],
                    "export_x_copy": round(export["seconds"] / copy["seconds"], 2)}
            print(f"{rows:,} rows: export {size['export_s']} s (peak {size['export_peak_mb']}"
                  f" MB), COPY of each table and view {size['copy_s']} s (peak "
                  f"{size['copy_peak_mb']} MB): {size['export_x_copy']}x")
            sizes.append(size)
    largest = sizes[-1]
    print(json.dumps({
        "sizes": sizes, "export_x_copy": largest["export_x_copy"],
        "goal_export_x_copy": GOAL_X_COPY, "export_peak_mb": largest["export_peak_mb"],
        "goal_export_peak_mb": GOAL_PEAK_MB,
        "export_scaling": round(largest["export_s"] / sizes[0]["export_s"], 2),
        "rows_scaling": round(largest["history_rows"] / sizes[0]["history_rows"], 2)}))


if __name__ == "__main__":
    main()
