"""Ingest benchmark: a 1,000,000-record price history from 100 runs of 10,000 records.

About 5% of values change per run. Measured three ways in one process:
  1. the project's ingest path (`warehouse.ingest.record_run`, opening and closing the file
     per run as the collectors do);
  2. the same SCD2 logic done row by row with `executemany` (on a smaller slice, then
     extrapolated; labelled so in the output);
  3. a plain Arrow `INSERT ... SELECT` of the same rows with no SCD2 logic (the ceiling).
With `--db ducklake:…` (an empty lake; `--data-path` for its files) the same ingest path
runs on the lake instead of 2 and 3, serially and then from `--writers` processes at once,
each its own source: records/s as a ratio to the file's in the same run, the commits that
conflicted and were retried, and two view reads before and after `db compact`. The last
line of output is one JSON object with the figures.

    python -m bench.ingest [--runs 100] [--records 10000] [--change 0.05]
    python -m bench.ingest --db "ducklake:postgres:dbname=NAME host=127.0.0.1" \
        --data-path /tmp/lake [--writers 3]
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import random
import resource
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from pricewatch import queries
from pricewatch.records import ParseResult, PriceRecord
from pricewatch.settings import load_settings
from pricewatch.warehouse.compact import compact
from pricewatch.warehouse.db import conflict_retries, open_db, open_warehouse
from pricewatch.warehouse.history import PRICES
from pricewatch.warehouse.ingest import record_run
from tests.helpers import history_violations

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


def bench_project(db: Path | str, runs: int, records: int, change: float,
                  data_path: str | None = None, source: str = "bench") -> dict[str, float]:
    """`runs` runs of the market into `db` (a file or a lake) through record_run."""
    market = Market(records, change)
    ingest_s = build_s = 0.0
    opened = 0
    for run in range(runs):
        if run:
            market.step()
        t = time.perf_counter()
        batch = [r.model_copy(update={"source": source}) for r in market.records()] \
            if source != "bench" else market.records()
        build_s += time.perf_counter() - t
        t = time.perf_counter()
        with open_db(db, data_path=data_path) as con:
            outcome = record_run(con, source=source, parser="records",
                                 observed_at=START + timedelta(hours=run),
                                 parsed=ParseResult(batch), suspect_ratio=0.5)
        ingest_s += time.perf_counter() - t
        assert outcome.status == "ok", outcome
        opened += outcome.opened
    with open_db(db, read_only=True, data_path=data_path) as con:
        rows = con.execute("SELECT count(*) FROM price_history WHERE source = ?",
                           [source]).fetchall()[0][0]
    return {"ingest_s": ingest_s, "build_records_s": build_s, "history_rows": rows,
            "intervals_opened": opened, "records": runs * records,
            "commit_retries": conflict_retries()}


def _writer(job: tuple[str, str | None, int, int, float, str]) -> dict[str, float]:
    """One of the concurrent lake writers (a process of its own)."""
    logging.getLogger("stamina").setLevel(logging.ERROR)  # retries are counted, not logged
    target, data_path, runs, records, change, source = job
    return bench_project(target, runs, records, change, data_path=data_path, source=source)


def bench_lake(target: str, data_path: str | None, runs: int, records: int, change: float,
               writers: int) -> dict[str, float]:
    """The ingest path on the lake: serially, then `writers` processes at once."""
    serial = bench_project(target, data_path=data_path, runs=runs, records=records,
                           change=change, source="bench")
    jobs = [(target, data_path, runs, records, change, f"bench-w{n}") for n in range(writers)]
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(writers) as pool:
        parallel = pool.map(_writer, jobs)
    wall_s = time.perf_counter() - started
    with open_db(target, read_only=True, data_path=data_path) as con:
        overlaps = history_violations(con)
    return {"lake_ingest_s": serial["ingest_s"], "lake_records": serial["records"],
            "lake_history_rows": serial["history_rows"],
            "lake_serial_commit_retries": serial["commit_retries"],
            "writers": writers, "writers_wall_s": wall_s,
            "writers_records": sum(p["records"] for p in parallel),
            "writers_commit_retries": sum(p["commit_retries"] for p in parallel),
            "writers_retries_each": [p["commit_retries"] for p in parallel],
            "writers_history_violations": overlaps}


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
    parser.add_argument("--db", help="a new, empty DuckLake (ducklake:postgres:… or "
                        "ducklake:sqlite:…) to measure against the file")
    parser.add_argument("--data-path", help="the lake's data folder (new lakes)")
    parser.add_argument("--writers", type=int, default=3,
                        help="concurrent lake writers, each its own source")
    args = parser.parse_args()
    if args.db:
        return main_lake(args)
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


READS = {"current_prices": "SELECT count(*) FROM current_prices",
         "price_changes_7d": "SELECT count(*) FROM price_changes_since("
                             "(SELECT max(observed_at) FROM runs) - INTERVAL 7 DAY)"}


def bench_compact(target: str, data_path: str | None) -> dict[str, object]:
    """Reads of the lake the writers left (median of 5), before and after `db compact`."""
    settings = load_settings(db_path=Path(target), ducklake={"data_path": data_path})

    def reads() -> dict[str, float]:
        with open_warehouse(settings, read_only=True) as con:
            return {name: round(statistics.median(_timed(con, sql) for _ in range(5)), 1)
                    for name, sql in READS.items()}

    with open_warehouse(settings) as con:
        queries.install(con, settings)
    before = reads()
    with open_warehouse(settings) as con:
        started = time.perf_counter()
        report = compact(con)
        compact_s = time.perf_counter() - started
    assert report is not None
    return {"reads_ms_before": before, "reads_ms_after": reads(),
            "files_before": report.files_before, "files_after": report.files_after,
            "compact_s": round(compact_s, 2)}


def _timed(con, sql: str) -> float:
    started = time.perf_counter()
    con.execute(sql).fetchall()
    return (time.perf_counter() - started) * 1000


def main_lake(args: argparse.Namespace) -> None:
    """The file and the lake, the same runs, in one process; then concurrent writers."""
    with tempfile.TemporaryDirectory() as tmp:
        on_file = bench_project(Path(tmp) / "file.duckdb", args.runs, args.records,
                                args.change)
    print(f"file: {on_file['records']:,} records in {on_file['ingest_s']:.2f} s")
    lake = bench_lake(args.db, args.data_path, args.runs, args.records, args.change,
                      args.writers)
    file_rate = on_file["records"] / on_file["ingest_s"]
    lake_rate = lake["lake_records"] / lake["lake_ingest_s"]
    writers_rate = lake["writers_records"] / lake["writers_wall_s"]
    print(f"lake, one writer: {lake['lake_records']:,} records in "
          f"{lake['lake_ingest_s']:.2f} s -> {lake['lake_history_rows']:,} history rows")
    print(f"lake, {args.writers} writers at once: {lake['writers_records']:,} records in "
          f"{lake['writers_wall_s']:.2f} s, {lake['writers_commit_retries']} commits "
          f"conflicted and were retried {lake['writers_retries_each']}, SCD2 invariants: "
          f"{lake['writers_history_violations'] or 'hold'}")
    print(f"ratio to the file: one writer {lake_rate / file_rate:.3f}, "
          f"{args.writers} writers {writers_rate / file_rate:.3f}")
    compacted = bench_compact(args.db, args.data_path)
    print(f"db compact: {compacted['files_before']:,} -> {compacted['files_after']:,} files "
          f"in {compacted['compact_s']} s; reads (ms) before {compacted['reads_ms_before']}, "
          f"after {compacted['reads_ms_after']}")
    print(json.dumps({
        "records_per_run": args.records, "runs": args.runs,
        "file_records_per_s": round(file_rate), "lake_records_per_s": round(lake_rate),
        "lake_to_file": round(lake_rate / file_rate, 3),
        "writers": args.writers, "writers_records_per_s": round(writers_rate),
        "writers_to_file": round(writers_rate / file_rate, 3),
        "commit_retries": lake["writers_commit_retries"],
        "commit_retries_each": lake["writers_retries_each"],
        "history_violations": lake["writers_history_violations"], **compacted,
        "duckdb": duckdb.__version__}))


if __name__ == "__main__":
    main()
