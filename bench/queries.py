"""Query benchmark: the views on a synthetic price history of 10 million rows over two years.

The history is generated inside DuckDB (setup, not the ingest path): OFFERS offers with an
input and an output price each, every price changing INTERVALS times over two years
(contiguous intervals, the last one open), so rows = OFFERS x 2 x INTERVALS. Then
`cheapest_per_capability` and a 7-day `price_changes` are timed, median of 5 runs each.
The last line of output is one JSON object.

    python bench/queries.py [--offers 20000] [--intervals 250]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pricewatch import queries
from pricewatch.settings import load_settings
from pricewatch.warehouse.db import open_db

ROOT = Path(__file__).resolve().parents[1]

NOW = datetime.now(UTC).replace(microsecond=0)
START = NOW - timedelta(days=730)

GENERATE = """
INSERT INTO runs (run_id, source, parser, observed_at, started_at, finished_at, status,
                  records)
SELECT i + 1, 'bench.prices', 'records', $start + i * $step, $start + i * $step,
       $start + i * $step, 'ok', $offers * 2
FROM range($intervals) t(i);

INSERT INTO offer_history
SELECT 'bench.prices', 'p' || (o % 3), 'vendor' || (o % 50) || '/model-' || o, '',
       'available', NULL, NULL, CASE WHEN o % 4 = 0 THEN 200000 ELSE 32000 END, NULL, NULL,
       CASE WHEN o % 5 = 0 THEN ['image', 'text'] ELSE ['text'] END, ['text'],
       list_filter(['tools', CASE WHEN o % 3 = 0 THEN 'reasoning' END,
                    CASE WHEN o % 5 = 0 THEN 'image_input' END], lambda c: c IS NOT NULL),
       NULL, NULL, md5('offer' || o), 0, $start, NULL, 1, NULL
FROM range($offers) t(o);

INSERT INTO price_history
SELECT 'bench.prices', 'p' || (o % 3), 'vendor' || (o % 50) || '/model-' || o, '',
       c.component, 'standard', 0, 'per_1m_tokens', 'USD', NULL,
       CAST(round(0.01 + ((o * 7919 + i * 104729 + c.salt) % 100000) / 1000.0, 4)
            AS DECIMAL(38, 18)),
       false, md5(o || c.component), hash(o, i, c.salt),
       $start + i * $step,
       CASE WHEN i + 1 < $intervals THEN $start + (i + 1) * $step END,
       i + 1, CASE WHEN i + 1 < $intervals THEN i + 2 END, 0
FROM range($offers) t(o), range($intervals) s(i),
     (VALUES ('input', 1), ('output', 2)) c(component, salt);
"""


def median_ms(con, sql: str, runs: int = 5, python_rows: bool = False) -> tuple[float, int]:
    """Median wall time of the query with its result fetched as Arrow (how a dashboard or
    notebook reads it), or as Python objects (how the CLI does; slower for big results)."""
    times, count = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        result = con.execute(sql)
        count = len(result.fetchall()) if python_rows else result.to_arrow_table().num_rows
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offers", type=int, default=20_000)
    parser.add_argument("--intervals", type=int, default=250)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(db_path=Path(tmp) / "queries.duckdb")
        started = time.perf_counter()
        with open_db(settings.db_path) as con:
            con.execute("RESET threads")  # setup, not an ingest unit
            params = {"start": START, "step": timedelta(days=730) / args.intervals,
                      "offers": args.offers, "intervals": args.intervals}
            for statement in filter(str.strip, GENERATE.split(";")):
                used = {k: v for k, v in params.items() if f"${k}" in statement}
                con.execute(statement, used)
            queries.install(con, settings)
            rows = con.execute("SELECT count(*) FROM price_history").fetchall()[0][0]
        build_s = time.perf_counter() - started
        since = (NOW - timedelta(days=7)).isoformat()
        with queries.open_gold(settings) as con:
            cheapest_ms, cheapest_rows = median_ms(
                con, "SELECT * FROM cheapest_per_capability WHERE rank <= 10")
            cheapest_all_ms, cheapest_all = median_ms(
                con, "SELECT capability, rank, provider, model, blended_price "
                     "FROM cheapest_per_capability")
            changes_ms, changes_rows = median_ms(
                con, f"SELECT * FROM price_changes_since(TIMESTAMPTZ '{since}')")
            view_ms, _ = median_ms(
                con, f"SELECT * FROM price_changes WHERE changed_at >= '{since}'")
            python_ms, _ = median_ms(
                con, f"SELECT * FROM price_changes_since(TIMESTAMPTZ '{since}')",
                python_rows=True)
    print(f"history: {rows:,} price rows ({args.offers:,} offers x 2 components x "
          f"{args.intervals} intervals over two years), built in {build_s:.1f} s")
    print(f"cheapest_per_capability, top 10 per capability: {cheapest_ms:.1f} ms median "
          f"({cheapest_rows} rows); every ranked offer: {cheapest_all_ms:.1f} ms "
          f"({cheapest_all:,} rows)")
    print(f"price_changes, last 7 days: {changes_ms:.1f} ms median ({changes_rows:,} rows) "
          f"through price_changes_since (what `pricewatch changes` runs); the whole-history "
          f"view filtered afterwards: {view_ms:.1f} ms; fetched as Python objects instead of "
          f"Arrow: {python_ms:.1f} ms")
    print(json.dumps({"history_rows": rows, "offers": args.offers,
                      "cheapest_ms_median": round(cheapest_ms, 1),
                      "cheapest_all_rows_ms_median": round(cheapest_all_ms, 1),
                      "changes_7d_ms_median": round(changes_ms, 1),
                      "changes_7d_view_filter_ms_median": round(view_ms, 1),
                      "changes_7d_python_rows_ms_median": round(python_ms, 1),
                      "changes_7d_rows": changes_rows}))


if __name__ == "__main__":
    main()
