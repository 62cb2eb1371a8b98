"""Query and export benchmark: the views and the daemon's export on synthetic price
histories of 1 and 10 million rows.

Each history is generated inside DuckDB (setup, not the ingest path): OFFERS offers with an
input and an output price each, every price changing every three days, INTERVALS times
(contiguous intervals, the last one open), so rows = OFFERS x 2 x INTERVALS and a longer
history reaches further back: 250 intervals are two years, 2,500 twenty. Timed, median
of 5 runs: a full scan of price_history (the baseline each figure is divided by),
`cheapest_per_capability`, 7-day `price_changes_since` and `price_alerts_since`; then the
daemon's export after a run that changed nothing and after one that changed 200 prices.
The last line of output is one JSON array.

    python -m bench.queries [--offers 2000] [--intervals 250,2500]
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
from pricewatch.outputs import exports
from pricewatch.settings import load_settings
from pricewatch.warehouse.db import open_db

ROOT = Path(__file__).resolve().parents[1]

NOW = datetime.now(UTC).replace(microsecond=0)
# Every price changes about every three days: a longer history is more of them, further
# back, so a 7-day window and a month hold the same rows at every size.
STEP = timedelta(days=730) / 250

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
       NULL, NULL, md5('offer' || o), 0, $start, NULL, 1, NULL, NULL, NULL
FROM range($offers) t(o);

INSERT INTO price_history
SELECT 'bench.prices', 'p' || (o % 3), 'vendor' || (o % 50) || '/model-' || o, '',
       c.component, 'standard', 0, 'per_1m_tokens', 'USD', NULL,
       CAST(round(0.01 + ((o * 7919 + i * 104729 + c.salt) % 100000) / 1000.0, 4)
            AS DECIMAL(38, 18)),
       false, md5(o || c.component), hash(o, i, c.salt),
       $start + i * $step,
       CASE WHEN i + 1 < $intervals THEN $start + (i + 1) * $step END,
       i + 1, CASE WHEN i + 1 < $intervals THEN i + 2 END, 0, '', 0, 1440
FROM range($offers) t(o), range($intervals) s(i),
     (VALUES ('input', 1), ('output', 2)) c(component, salt);
"""


def median_ms(con, sql: str, runs: int = 5, python_rows: bool = False) -> tuple[float, int]:
    """Median wall time of the query with its result fetched as Arrow (how a dashboard or
    notebook reads it), or as Python objects (how the CLI does; slower for big results)."""
    times, count = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        relation = con.sql(sql)
        count = len(relation.fetchall()) if python_rows else relation.to_arrow_table().num_rows
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), count


CHANGE_RUN = """
INSERT INTO runs (run_id, source, parser, observed_at, started_at, finished_at, status,
                  records, intervals_opened, intervals_closed)
VALUES ($run, 'bench.prices', 'records', $at, $at, $at, 'ok', $offers * 2, $changed, $changed);
CREATE TEMP TABLE moved AS
    SELECT * FROM price_history WHERE valid_to IS NULL ORDER BY key_hash LIMIT $changed;
UPDATE price_history SET valid_to = $at, closed_by_run = $run
    WHERE valid_to IS NULL AND key_hash IN (SELECT key_hash FROM moved);
INSERT INTO price_history SELECT * REPLACE (price * 0.9 AS price, hash(value_hash, $run)
    AS value_hash, $at AS valid_from, NULL AS valid_to, $run AS opened_by_run,
    NULL AS closed_by_run) FROM moved;
DROP TABLE moved
"""
QUIET_RUN = """
INSERT INTO runs (run_id, source, parser, observed_at, started_at, finished_at, status,
                  records)
VALUES ($run, 'bench.prices', 'records', $at, $at, $at, 'unchanged', 0)
"""


def run_sql(con, script: str, params: dict) -> None:
    for statement in filter(str.strip, script.split(";")):
        con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})


def one_size(tmp: Path, offers: int, intervals: int) -> dict:
    """Build a history of offers x 2 x intervals rows and time the queries and exports."""
    settings = load_settings(db_path=tmp / f"queries-{intervals}.duckdb")
    started = time.perf_counter()
    with open_db(settings.db_path) as con:
        con.execute("RESET threads")  # setup, not an ingest unit
        run_sql(con, GENERATE, {"start": NOW - intervals * STEP, "step": STEP,
                                "offers": offers, "intervals": intervals})
        queries.install(con, settings)
        rows = con.execute("SELECT count(*) FROM price_history").fetchall()[0][0]
    figures: dict = {"history_rows": rows, "offers": offers,
                     "build_s": round(time.perf_counter() - started, 1)}
    since = (NOW - timedelta(days=7)).isoformat()
    with queries.open_gold(settings) as con:
        figures["scan_ms"], _ = median_ms(  # what DuckDB needs to read the table once
            con, "SELECT count(*), sum(price), max(valid_from), max(closed_by_run) "
                 "FROM price_history")
        figures["cheapest_ms"], figures["cheapest_rows"] = median_ms(
            con, "SELECT * FROM cheapest_per_capability WHERE rank <= 10")
        figures["cheapest_all_ms"], figures["cheapest_all_rows"] = median_ms(
            con, "SELECT capability, rank, provider, model, blended_price "
                 "FROM cheapest_per_capability")
        figures["changes_7d_ms"], figures["changes_7d_rows"] = median_ms(
            con, f"SELECT * FROM price_changes_since(TIMESTAMPTZ '{since}')")
        figures["changes_7d_view_filter_ms"], _ = median_ms(
            con, f"SELECT * FROM price_changes WHERE changed_at >= '{since}'", runs=3)
        figures["changes_7d_python_rows_ms"], _ = median_ms(
            con, f"SELECT * FROM price_changes_since(TIMESTAMPTZ '{since}')", python_rows=True)
        figures["alerts_7d_ms"], figures["alerts_7d_rows"] = median_ms(
            con, f"SELECT * FROM price_alerts_since(TIMESTAMPTZ '{since}')")
    out = tmp / f"exports-{intervals}"
    started = time.perf_counter()
    exports.export(settings, out)  # the first export: everything (setup of the next two)
    figures["full_export_s"] = round(time.perf_counter() - started, 1)
    run = intervals + 1
    # as the daemon calls it, with the changes its runs reported (0, then 400: 200 prices
    # closed and 200 opened), and once more without that count, asking the database
    for label, script, extra, changes in (
            ("export_after_quiet_run_ms", QUIET_RUN, {}, 0),
            ("export_after_quiet_run_unknown_ms", QUIET_RUN, {}, None),
            ("export_after_run_with_changes_ms", CHANGE_RUN, {"changed": 200}, 400)):
        with open_db(settings.db_path) as con:
            run_sql(con, script, {"run": run, "at": NOW + timedelta(minutes=run),
                                  "offers": offers, **extra})
        started = time.perf_counter()
        exports.export_changed(settings, out, changes=changes)
        figures[label] = round((time.perf_counter() - started) * 1000, 1)
        run += 1
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--offers", type=int, default=2000)
    parser.add_argument("--intervals", type=str, default="250,2500",
                        help="Comma-separated interval counts, one history each (default: 1M "
                             "rows over two years and 10M over twenty).")
    args = parser.parse_args()
    sizes = [int(n) for n in args.intervals.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for intervals in sizes:
            figures = one_size(Path(tmp), args.offers, intervals)
            results.append(figures)
            print(f"{figures['history_rows']:,} price rows ({args.offers:,} offers x 2 x "
                  f"{intervals} intervals), built in {figures['build_s']} s; "
                  f"scan {figures['scan_ms']:.1f} ms")
            print_figures(figures)
            print(f"  full export: {figures['full_export_s']} s")
    print_ratios(results, [key for key in results[-1] if key.endswith("_ms")])
    print(json.dumps(results))


def print_figures(figures: dict) -> None:
    """Each `*_ms` figure as a ratio to the scan of the same run, with its row count when
    the figures hold one (`*_rows`)."""
    for key, value in figures.items():
        if key.endswith("_ms"):
            rows = figures.get(key.removesuffix("_ms") + "_rows")
            shown = f", {rows:,} rows" if rows is not None else ""
            print(f"  {key}: {value:.1f} ms ({value / figures['scan_ms']:.2f} x scan{shown})")


def print_ratios(results: list[dict], keys: list[str]) -> None:
    """The largest history's figures over the smallest's, printed and added to `results`."""
    if len(results) < 2:
        return
    small, large = results[0], results[-1]
    ratios = {key: round(large[key] / small[key], 2) for key in keys if small[key]}
    print(f"ratios {large['history_rows']:,} / {small['history_rows']:,} rows: "
          + ", ".join(f"{k} {v}" for k, v in ratios.items()))
    results.append({"ratios": ratios})


if __name__ == "__main__":
    main()
