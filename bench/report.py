"""Report benchmark: `pricewatch report` on synthetic price histories of 100,000 and
1,000,000 rows (bench/queries.py's generator: 2,000 offers, every price changing about every
three days, so the default 30-day window holds the same rows at both sizes and a larger
history only reaches further back).

Timed, median of 3: the whole report (read, render, atomic write) and, as the baseline in
the same run, one full scan of price_history. The report reads only the offers it shows, so
its time should grow far less than the history: the ratios 1M / 100k are printed for both.
The last line of output is one JSON array.

    python -m bench.report [--offers 2000] [--intervals 25,250]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.queries import GENERATE, NOW, STEP, print_ratios, run_sql
from pricewatch import queries
from pricewatch.outputs import report
from pricewatch.settings import load_settings
from pricewatch.warehouse.db import open_db


def median_s(action, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def one_size(tmp: Path, offers: int, intervals: int) -> dict:
    settings = load_settings(db_path=tmp / f"report-{intervals}.duckdb")
    with open_db(settings.db_path) as con:
        con.execute("RESET threads")  # setup, not an ingest unit
        run_sql(con, GENERATE, {"start": NOW - intervals * STEP, "step": STEP,
                                "offers": offers, "intervals": intervals})
        queries.install(con, settings)
        rows = con.execute("SELECT count(*) FROM price_history").fetchone()[0]

    def scan() -> None:
        with queries.open_gold(settings) as con:
            con.execute("SELECT count(*), sum(price), max(valid_from), max(closed_by_run) "
                        "FROM price_history").fetchall()

    out = tmp / f"report-{intervals}.html"
    data: list[report.ReportData] = []
    scan_s = median_s(scan)
    report_s = median_s(lambda: data.append(report.write(settings, out)))
    last = data[-1]
    return {"history_rows": rows, "scan_ms": round(scan_s * 1000, 1),
            "report_ms": round(report_s * 1000, 1),
            "report_vs_scan": round(report_s / scan_s, 1),
            "html_kb": round(out.stat().st_size / 1024, 1),
            "charts": sum(len(c) for c in last.histories.values()),
            "steps_drawn": out.read_text().count('class="step"'),
            "movers": len(last.movers), "cheapest_rows": len(last.cheapest)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offers", type=int, default=2000)
    parser.add_argument("--intervals", default="25,250",
                        help="Comma-separated interval counts, one history each (default: "
                             "100k and 1M rows).")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for intervals in (int(n) for n in args.intervals.split(",")):
            figures = one_size(Path(tmp), args.offers, intervals)
            results.append(figures)
            print(f"{figures['history_rows']:,} price rows: report {figures['report_ms']} ms "
                  f"({figures['report_vs_scan']} x a full scan of {figures['scan_ms']} ms), "
                  f"{figures['html_kb']} KB, {figures['charts']} charts, "
                  f"{figures['steps_drawn']} steps")
    print_ratios(results, ["history_rows", "report_ms", "scan_ms"])
    print(json.dumps(results))


if __name__ == "__main__":
    main()
