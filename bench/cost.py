"""Cost benchmark: `pricewatch cost` on synthetic usage logs over the real OpenRouter
history of the five shared catalogue captures (2024-02-18 to 2026-05-07: thousands of price
intervals), against genai-prices' `calc_price` on a sample of the same calls, in one run.

1. 1M calls (Parquet; real model ids, each call while its model was listed, tokens at
   random): `pricewatch cost calls.parquet --format parquet --out ...` and `--by month`
   as subprocesses (interpreter start included), wall time, calls per second and peak
   RSS; the pricing alone (read, check, price, sum), in process, too.
2. genai-prices 0.2 (`pip install '.[bench]'`) prices the first SAMPLE calls one by one
   with the call's timestamp; its time per call against pricewatch's per call in step 1
   (the speed ratios: whole command to Parquet, whole command --by month, pricing alone).
   Where both price a call, the exact costs are compared; every difference is listed once
   per model with both prices (the cause), and the models genai-prices lacks.
3. 10M calls from Parquet, `--by month` and `--format parquet --out`: peak RSS (goal
   under 1 GB).

    pip install '.[bench]' && python -m bench.cost [--calls 1000000] [--big 10000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from pricewatch import queries
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import load_settings
from pricewatch.text import decimal_text

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "openrouter"
CAPTURES = ("2024-02-18", "2025-05-23", "2025-12-18", "2026-01-29", "2026-05-07")
SAMPLE = 2000


def warehouse(folder: Path) -> Path:
    db = folder / "history.duckdb"
    settings = load_settings(db_path=db)
    for day in CAPTURES:
        name = f"models-{day}.json"
        pipeline.ingest_body(settings, "openrouter.models", (FIXTURES / name).read_bytes(),
                             datetime.fromisoformat(day).replace(tzinfo=UTC), name)
    return db


def make_log(db: Path, out: Path, calls: int) -> int:
    """`calls` calls at real model ids (each id equally likely), each at a time while its
    model was listed (from its first price to its last, or to 2026-08-31), written as
    Parquet; returns the number of price intervals."""
    settings = load_settings(db_path=db)
    with queries.open_gold(settings) as con:
        spans = con.execute(
            "SELECT model, epoch(min(valid_from)), epoch(coalesce(max(valid_to), "
            "TIMESTAMPTZ '2026-08-31 00:00:00+00')) FROM price_history "
            "WHERE component = 'input' GROUP BY model ORDER BY model").fetchall()
        intervals = con.execute("SELECT count(*) FROM price_history").fetchone()[0]
    scratch = duckdb.connect()
    scratch.execute("CREATE TABLE models (n BIGINT, model VARCHAR, t0 DOUBLE, t1 DOUBLE)")
    scratch.executemany("INSERT INTO models VALUES (?, ?, ?, ?)",  # a few hundred rows
                        [(n, *span) for n, span in enumerate(spans)])
    scratch.execute(f"""
        COPY (SELECT make_timestamptz(CAST((m.t0 + (hash(i, 1) % 1000000000) / 1e9
                         * (m.t1 - m.t0)) * 1e6 AS BIGINT)) AS timestamp,
                     'openrouter' AS provider, m.model,
                     CAST(100 + hash(i, 2) % 20000 AS BIGINT) AS input_tokens,
                     CAST(hash(i, 3) % 4000 AS BIGINT) AS output_tokens, i AS call_id
              FROM range({calls}) t(i)
              JOIN models m ON m.n = hash(i, 4) % {len(spans)}
              ORDER BY i)
        TO '{out}' (FORMAT parquet)""")
    return intervals


def measured(*args: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of `pricewatch ARGS` as a process of its own."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "pricewatch",
                           *args], capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pricewatch {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def in_process(db: Path, log: Path) -> float:
    """Seconds of the pricing query alone (read, check, price, sum), without start-up."""
    from pricewatch.outputs import cost as usage

    with queries.open_gold(load_settings(db_path=db)) as con:
        started = time.perf_counter()
        usage.prepare(con, log, str(log), None)
        con.execute("SELECT count(*), sum(cost_usd) FROM cost_of('usage_calls')").fetchall()
        return time.perf_counter() - started


def compare(db: Path, log: Path, priced: Path) -> dict:
    """genai-prices on the first SAMPLE calls, and the differences from pricewatch."""
    from genai_prices import Usage, calc_price

    ours = duckdb.sql(f"SELECT call_id, timestamp, model, input_tokens, output_tokens, "
                      f"cost_usd, status, input_price, output_price, price_valid_from "
                      f"FROM read_parquet('{priced}') ORDER BY call_id LIMIT {SAMPLE}"
                      ).fetchall()
    started = time.perf_counter()
    theirs = []
    for _, when, model, tokens_in, tokens_out, *_ in ours:
        try:
            result = calc_price(Usage(input_tokens=tokens_in, output_tokens=tokens_out), model,
                                provider_id="openrouter", genai_request_timestamp=when)
            theirs.append(result)
        except LookupError:
            theirs.append(None)
    per_call = (time.perf_counter() - started) / len(ours)
    same, prices, missing, unpriced, only_theirs = 0, defaultdict(int), set(), 0, 0
    missing_calls = 0
    for (_, _when, model, _, _, cost, status, p_in, p_out, since), result in zip(
            ours, theirs, strict=True):
        if result is None:
            missing.add(model)
            missing_calls += 1
        elif status != "priced":
            only_theirs += 1  # no capture of the offer at that time; genai-prices has one
        elif Decimal(result.total_price) == cost:
            same += 1
        else:
            price = result.model_price
            prices[(model, f"{decimal_text(p_in)}/{decimal_text(p_out)} since "
                           f"{since:%Y-%m-%d}",
                    f"{price.input_mtok}/{price.output_mtok}")] += 1
        unpriced += status != "priced"
    return {"sample": len(ours), "genai_prices_us_per_call": round(per_call * 1e6, 1),
            "same_cost": same, "different_price_calls": sum(prices.values()),
            "missing_in_genai_prices_calls": missing_calls,
            "missing_in_genai_prices_models": sorted(missing),
            "unpriced_by_pricewatch": unpriced,
            "priced_only_by_genai_prices": only_theirs,
            "differences": [{"model": m, "pricewatch": ours_p, "genai_prices": theirs_p,
                             "calls": n} for (m, ours_p, theirs_p), n in sorted(
                                 prices.items(), key=lambda item: (-item[1], item[0]))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=10_000_000)
    args = parser.parse_args()
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = warehouse(folder)
        log, priced = folder / "calls.parquet", folder / "priced.parquet"
        figures["price_intervals"] = make_log(db, log, args.calls)
        seconds, rss = measured("cost", str(log), "--format", "parquet", "--out", str(priced),
                                "--db", str(db))
        figures |= {"calls": args.calls, "cost_s": round(seconds, 2),
                    "calls_per_s": round(args.calls / seconds),
                    "cost_peak_rss_mb": round(rss), "pricing_query_s": round(
                        in_process(db, log), 2)}
        seconds_by, rss_by = measured("cost", str(log), "--by", "month", "--json", "--db",
                                      str(db))
        figures |= {"cost_by_month_s": round(seconds_by, 2),
                    "cost_by_month_peak_rss_mb": round(rss_by)}
        statuses = duckdb.sql(f"SELECT status, count(*) FROM read_parquet('{priced}') "
                              "GROUP BY ALL ORDER BY 2 DESC").fetchall()
        figures["statuses"] = dict(statuses)
        ours_per_call = seconds / args.calls
        figures |= compare(db, log, priced)
        figures["pricewatch_us_per_call"] = round(ours_per_call * 1e6, 2)
        figures["speed_ratio"] = round(figures["genai_prices_us_per_call"] / 1e6 / ours_per_call)
        figures["speed_ratio_by_month"] = round(
            figures["genai_prices_us_per_call"] / 1e6 / (seconds_by / args.calls))
        figures["speed_ratio_pricing_alone"] = round(
            figures["genai_prices_us_per_call"] / 1e6 / (figures["pricing_query_s"]
                                                        / args.calls))
        if args.big:
            big = folder / "big.parquet"
            make_log(db, big, args.big)
            for label, extra in (("by_month", ["--by", "month", "--json"]),
                                 ("to_parquet", ["--format", "parquet", "--out",
                                                 str(folder / "big-priced.parquet")])):
                seconds, rss = measured("cost", str(big), *extra, "--db", str(db))
                figures[f"big_{label}_s"] = round(seconds, 1)
                figures[f"big_{label}_peak_rss_mb"] = round(rss)
            figures["big_calls"] = args.big
    for key, value in figures.items():
        if key not in ("differences", "missing_in_genai_prices_models"):
            print(f"{key}: {value}")
    print(f"models genai-prices lacks ({len(figures['missing_in_genai_prices_models'])}): "
          + ", ".join(figures["missing_in_genai_prices_models"]))
    print("prices that differ (model: pricewatch in/out per 1M since | genai-prices, calls):")
    for item in figures["differences"]:
        print(f"  {item['model']}: {item['pricewatch']} | {item['genai_prices']}, "
              f"{item['calls']}")
    print(json.dumps(figures, default=str))


if __name__ == "__main__":
    main()
