"""Ingest benchmark: a 1,000,000-record price history from 100 runs of 10,000 records.

About 5% of values change per run. Measured three ways in one process:
  1. the project's ingest path (`warehouse.ingest.record_run`, opening and closing the file
     per run as the collectors do);
  2. the same SCD2 logic done row by row with `executemany` (on a smaller slice, then
     extrapolated; labelled so in the output);
  3. a plain Arrow `INSERT ... SELECT` of the same rows with no SCD2 logic (the ceiling).
The last line of output is one JSON object with the figures.

    python bench/ingest.py [--runs 100] [--records 10000] [--change 0.05]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from pricewatch.records import ParseResult, PriceRecord
from pricewatch.warehouse.db import open_db
from pricewatch.warehouse.history import PRICES
from pricewatch.warehouse.ingest import record_run

START = datetime(2025, 1, 1, tzinfo=UTC)
COMPONENTS = ("input", "output", "cache_read", "cache_write", "reasoning")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Market:
    """Deterministic synthetic prices: `records` keys, a share of them changing per run."""

    def __init__(self, records: int, change: float, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.keys = [(f"vendor{i % 40}/model-{i // len(COMPONENTS)}", COMPONENTS[i % 5])
                     for i in range(records)]
        self.cents = [self.rng.randint(1, 2000) for _ in range(records)]
        self.change = change

    def step(self) -> None:
        for index in self.rng.sample(range(len(self.keys)), int(len(self.keys) * self.change)):
            self.cents[index] = max(1, self.cents[index] + self.rng.choice((-7, -3, 2, 5)))

    def records(self) -> list[PriceRecord]:
        return [PriceRecord(source="bench", provider="openrouter", model=model,
                            component=component, unit="per_1m_tokens",
                            price=Decimal(cents) / 100)
                for (model, component), cents in zip(self.keys, self.cents, strict=True)]

    def tuples(self) -> list[tuple[str, str, Decimal]]:
        return [(m, c, Decimal(cents) / 100)
                for (m, c), cents in zip(self.keys, self.cents, strict=True)]


def bench_project(db: Path, runs: int, records: int, change: float) -> dict[str, float]:
    market = Market(records, change)
    ingest_s = build_s = 0.0
    opened = 0
    for run in range(runs):
        if run:
            market.step()
        t = time.perf_counter()
        batch = market.records()
        build_s += time.perf_counter() - t
        t = time.perf_counter()
        with open_db(db) as con:
            outcome = record_run(con, source="bench", parser="records",
                                 observed_at=START + timedelta(hours=run),
                                 parsed=ParseResult(batch), suspect_ratio=0.5)
        ingest_s += time.perf_counter() - t
        assert outcome.status == "ok", outcome
        opened += outcome.opened
    with open_db(db, read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM price_history").fetchall()[0][0]
    return {"ingest_s": ingest_s, "build_records_s": build_s, "history_rows": rows,
            "intervals_opened": opened, "records": runs * records}


EXECUTEMANY_CLOSE = """
UPDATE price_history SET valid_to = ?, closed_by_run = ?
WHERE source = 'bench' AND model = ? AND component = ? AND valid_to IS NULL AND price <> ?
"""
EXECUTEMANY_OPEN = """
INSERT INTO price_history (source, provider, model, route, component, service_tier,
    context_threshold, unit, currency, effective_from, price, dynamic, key_hash, value_hash,
    valid_from, valid_to, opened_by_run, closed_by_run)
SELECT 'bench', 'openrouter', $1, '', $2, 'standard', 0, 'per_1m_tokens', 'USD', NULL, $3,
    false, $1 || '|' || $2, CAST($3 AS VARCHAR), $4, NULL, $5, NULL
WHERE NOT EXISTS (SELECT 1 FROM price_history WHERE source = 'bench' AND model = $1
                  AND component = $2 AND valid_to IS NULL)
"""


def bench_executemany(db: Path, runs: int, records: int, change: float) -> dict[str, float]:
    """The same SCD2 step, one statement execution per record."""
    market = Market(records, change)
    elapsed = 0.0
    with open_db(db) as con:
        for run in range(runs):
            if run:
                market.step()
            rows = market.tuples()
            when = START + timedelta(hours=run)
            t = time.perf_counter()
            con.execute("BEGIN TRANSACTION")
            con.executemany(EXECUTEMANY_CLOSE, [(when, run, m, c, p) for m, c, p in rows])
            con.executemany(EXECUTEMANY_OPEN, [(m, c, p, when, run) for m, c, p in rows])
            con.execute("COMMIT")
            elapsed += time.perf_counter() - t
    return {"executemany_s": elapsed, "records": runs * records}


def bench_arrow_ceiling(db: Path, runs: int, records: int, change: float) -> dict[str, float]:
    """Plain Arrow INSERT ... SELECT of the same rows: no comparison, no closing."""
    market = Market(records, change)
    elapsed = 0.0
    with open_db(db) as con:
        for run in range(runs):
            if run:
                market.step()
            table = PRICES.to_arrow(market.records())
            t = time.perf_counter()
            con.register("batch", table)
            con.execute("INSERT INTO price_history BY NAME SELECT *, '' AS key_hash, "
                        "0 AS value_hash, "
                        "$t AS valid_from, NULL AS valid_to, $run AS opened_by_run, "
                        "NULL AS closed_by_run FROM batch",
                        {"t": START + timedelta(hours=run), "run": run})
            con.unregister("batch")
            elapsed += time.perf_counter() - t
    return {"arrow_s": elapsed, "records": runs * records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--change", type=float, default=0.05)
    parser.add_argument("--slice-runs", type=int, default=3,
                        help="runs of the executemany baseline (it is slow)")
    parser.add_argument("--slice-records", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = bench_project(Path(tmp) / "project.duckdb", args.runs, args.records,
                                args.change)
        ingest_rss = peak_rss_mb()
        print(f"project ingest: {project['records']:,} records in {project['ingest_s']:.2f} s "
              f"-> {project['history_rows']:,} history rows (building the pydantic records "
              f"took another {project['build_records_s']:.2f} s, not counted); peak RSS "
              f"{ingest_rss:.0f} MB")
        slow = bench_executemany(Path(tmp) / "executemany.duckdb", args.slice_runs,
                                 args.slice_records, args.change)
        print(f"executemany SCD2 (slice: {args.slice_runs} runs x {args.slice_records:,} "
              f"records, extrapolated): {slow['records']:,} records in "
              f"{slow['executemany_s']:.2f} s")
        ceiling = bench_arrow_ceiling(Path(tmp) / "arrow.duckdb", args.runs, args.records,
                                      args.change)
        print(f"Arrow INSERT ceiling: {ceiling['records']:,} rows in {ceiling['arrow_s']:.2f} s")
    ingest_rate = project["records"] / project["ingest_s"]
    slow_rate = slow["records"] / slow["executemany_s"]
    arrow_rate = ceiling["records"] / ceiling["arrow_s"]
    result = {
        "records": project["records"],
        "runs": args.runs,
        "history_rows": project["history_rows"],
        "ingest_s": round(project["ingest_s"], 3),
        "ingest_records_per_s": round(ingest_rate),
        "ingest_peak_rss_mb": round(ingest_rss, 1),
        "executemany_records_per_s": round(slow_rate, 1),
        "executemany_extrapolated_s": round(project["records"] / slow_rate, 1),
        "executemany_measured_records": slow["records"],
        "arrow_insert_rows_per_s": round(arrow_rate),
        "speedup_vs_executemany": round(ingest_rate / slow_rate, 1),
        "fraction_of_arrow_ceiling": round(ingest_rate / arrow_rate, 3),
        "duckdb": duckdb.__version__,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
