"""Archive benchmark: what storing one more body costs as the archive grows.

Each step opens the database, archives one new body (random, so it does not compress, of
`--kb` KB) and closes it, as every collection run does. Two layouts, one after the other
in one process, each on a new file:
  inline  the schema-5 layout: the body zlib-compressed in a BLOB column of `raw_bodies`
          (DuckDB rewrites the table's last row group, every body so far, at the checkpoint
          that closing the file triggers);
  files   today's `warehouse.ingest.archive`: a gzip file beside the database and one small
          row in `raw_bodies`.
Per block of steps: the mean time of a step, and the highest RSS so far over the RSS after
a first, warm-up step (sampled every 2 ms). The last line of output is one JSON object.

    python bench/archive.py [--steps 600] [--kb 100] [--block 100]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import tempfile
import threading
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pricewatch.records import FetchedBody
from pricewatch.warehouse.db import open_db
from pricewatch.warehouse.ingest import archive

INLINE_DDL = ("CREATE TABLE raw_bodies (content_sha256 VARCHAR PRIMARY KEY, body_zlib BLOB "
              "NOT NULL, bytes BIGINT NOT NULL, first_seen_at TIMESTAMPTZ NOT NULL)")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakSampler:
    """The highest RSS since the last reset, from a thread sampling every 2 ms."""

    def __init__(self) -> None:
        self.peak = rss_mb()
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, rss_mb())

    def reset(self) -> float:
        self.peak = rss_mb()
        return self.peak

    def stop(self) -> None:
        self._stop.set()


def stored_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def inline_step(path: Path, body: bytes) -> None:
    con = duckdb.connect(str(path))
    try:
        sha = hashlib.sha256(body).hexdigest()
        con.register("new_body", pa.table({
            "content_sha256": [sha], "body_zlib": pa.array([zlib.compress(body, 6)], pa.binary()),
            "bytes": [len(body)], "first_seen_at": pa.array([datetime.now(UTC)],
                                                            pa.timestamp("us", tz="UTC"))}))
        con.execute("INSERT INTO raw_bodies SELECT * FROM new_body")
    finally:
        con.close()


def files_step(path: Path, body: bytes) -> None:
    fetched = FetchedBody(url="http://127.0.0.1/catalogue", fetched_at=datetime.now(UTC),
                          status_code=200, content=body)
    with open_db(path) as con:
        archive(con, "bench.archive", "records", [fetched])


def measure(layout: str, steps: int, kb: int, block: int) -> list[dict[str, float]]:
    folder = Path(tempfile.mkdtemp(prefix=f"pw-archive-{layout}-"))
    path = folder / "bench.duckdb"
    if layout == "inline":
        duckdb.connect(str(path)).execute(INLINE_DDL).close()
    step = inline_step if layout == "inline" else files_step
    step(path, os.urandom(kb * 1024))  # warm-up: creates and migrates the file
    sampler, rows, times = PeakSampler(), [], []
    base = sampler.reset()
    for index in range(1, steps + 1):
        body = os.urandom(kb * 1024)
        started = time.perf_counter()
        step(path, body)
        times.append(time.perf_counter() - started)
        if index % block == 0:
            rows.append({"steps": index, "mean_ms": round(statistics.mean(times) * 1000, 1),
                         "peak_growth_mb": round(sampler.peak - base, 1),
                         "stored_mb": round(stored_bytes(folder) / 2**20, 1)})
            print(f"{layout:6} {index:5} bodies: {rows[-1]['mean_ms']:7.1f} ms per step, "
                  f"peak RSS +{rows[-1]['peak_growth_mb']:.1f} MB over the start, "
                  f"database and archive {rows[-1]['stored_mb']} MB", flush=True)
            times.clear()
    sampler.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--block", type=int, default=100)
    args = parser.parse_args()
    result = {layout: measure(layout, args.steps, args.kb, args.block)
              for layout in ("files", "inline")}
    print(json.dumps({"steps": args.steps, "body_kb": args.kb, **result}))


if __name__ == "__main__":
    main()
