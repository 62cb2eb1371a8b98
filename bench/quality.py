"""Quality benchmark: `price_per_quality` and `quality_frontier` on bench/queries.py's
synthetic price histories (1M and 10M rows) with 10,000 published scores (5 benchmarks x
2,000 models, each matched to its model by the label rules), as ratios to a full scan of
price_history in the same run; `cheapest_per_capability` (what both build on) beside them.
`price_alerts_since` over the last day (an alert pass's read, which compares the front
then and now for frontier_change). Median of 5 runs, results fetched as Arrow. The last line
of output is one JSON array.

    python -m bench.quality [--offers 2000] [--intervals 250,2500] [--benchmarks 5]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.queries import GENERATE, NOW, STEP, median_ms, print_figures, print_ratios, run_sql
from pricewatch import queries
from pricewatch.settings import load_settings
from pricewatch.warehouse.db import open_db

# bench/queries.py's offers, their ids ending in a letter ("vendor3/model-1234x"): the
# canonical-id rules would drop a bare trailing number as a snapshot date, making one model
# of them all.
OFFERS = GENERATE.replace("'/model-' || o,", "'/model-' || o || 'x',")
assert OFFERS.count("|| 'x',") == 2
# One published score per model and benchmark, labelled as the offers' model ids end
# ("model-1234x"), so model_scores matches each by the label rules, as Aider's are.
SCORES = """
INSERT INTO score_history
SELECT 'bench.scores', 'bench', 'bench.b' || b, 'score', 'model-' || o || 'x', 'run-' || o, '',
       CAST(1 + (o * 7919 + b * 104729) % 9000 / 100.0 AS DECIMAL(38, 18)), NULL, false,
       DATE '2026-01-01', NULL, NULL, 'none', 'bench', md5('score' || o || '-' || b), 0,
       $start, NULL, 1, NULL
FROM range($offers) t(o), range($benchmarks) s(b)
"""


def one_size(tmp: Path, offers: int, intervals: int, benchmarks: int) -> dict:
    settings = load_settings(db_path=tmp / f"quality-{intervals}.duckdb")
    started = time.perf_counter()
    with open_db(settings.db_path) as con:
        con.execute("RESET threads")  # setup, not an ingest unit
        run_sql(con, OFFERS, {"start": NOW - intervals * STEP, "step": STEP,
                                "offers": offers, "intervals": intervals})
        run_sql(con, SCORES, {"start": NOW - intervals * STEP, "offers": offers,
                              "benchmarks": benchmarks})
        queries.install(con, settings)
        rows = con.execute("SELECT count(*) FROM price_history").fetchall()[0][0]
        scores = con.execute("SELECT count(*) FROM score_history").fetchall()[0][0]
    figures: dict = {"history_rows": rows, "scores": scores,
                     "build_s": round(time.perf_counter() - started, 1)}
    with queries.open_gold(settings) as con:
        figures["scan_ms"], _ = median_ms(
            con, "SELECT count(*), sum(price), max(valid_from), max(closed_by_run) "
                 "FROM price_history")
        figures["cheapest_ms"], figures["cheapest_rows"] = median_ms(
            con, "SELECT * FROM cheapest_per_capability")
        figures["model_scores_ms"], figures["model_scores_rows"] = median_ms(
            con, "SELECT * FROM model_scores WHERE is_latest")
        figures["price_per_quality_ms"], figures["price_per_quality_rows"] = median_ms(
            con, "SELECT * FROM price_per_quality")
        figures["quality_frontier_ms"], figures["quality_frontier_rows"] = median_ms(
            con, "SELECT * FROM quality_frontier")
        # an alert pass's read: the day's changes, and the front then and now
        since = (NOW - timedelta(days=1)).isoformat()
        figures["alerts_1d_ms"], figures["alerts_1d_rows"] = median_ms(
            con, f"SELECT * FROM price_alerts_since(TIMESTAMPTZ '{since}')")
        figures["frontier_change_1d_ms"], figures["frontier_change_1d_rows"] = median_ms(
            con, f"SELECT * FROM price_alerts_since(TIMESTAMPTZ '{since}') "
                 "WHERE kind = 'frontier_change'")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offers", type=int, default=2000)
    parser.add_argument("--intervals", type=str, default="250,2500",
                        help="Comma-separated interval counts, one history each (default: 1M "
                             "rows and 10M).")
    parser.add_argument("--benchmarks", type=int, default=5,
                        help="Benchmarks, each with a score per model (default 5: 10,000).")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for intervals in (int(n) for n in args.intervals.split(",")):
            figures = one_size(Path(tmp), args.offers, intervals, args.benchmarks)
            results.append(figures)
            print(f"{figures['history_rows']:,} price rows, {figures['scores']:,} scores, "
                  f"built in {figures['build_s']} s; scan {figures['scan_ms']:.1f} ms")
            print_figures(figures)
    print_ratios(results, [key for key in results[-1] if key.endswith("_ms")])
    print(json.dumps(results))


if __name__ == "__main__":
    main()
