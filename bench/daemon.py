"""Daemon memory benchmark: `pricewatch run` with one-second intervals (an hour's worth of
sweeps and more, accelerated) against a local server whose catalogue changes a price every
second, with alert delivery to a local webhook and exports after every run.

The daemon's RSS is sampled every second; the start figure is the median of the first 20
samples after a warm-up (the first sweeps load parsers, DuckDB and the views), the end
figure the median of the last 20. The last
line of output is one JSON object.

    python bench/daemon.py [--seconds 300] [--warmup 30]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from pricewatch.warehouse.db import open_db
from tests.helpers import fake_provider as fp

ROOT = Path(__file__).resolve().parents[1]

FIXTURES = ROOT.parent / "shared" / "fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--warmup", type=float, default=30)
    parser.add_argument("--change-every", type=int, default=1, help=(
        "Seconds between catalogue price changes; 0 never changes a price (separates a "
        "leak from the growth of history and alerts)."))
    args = parser.parse_args()
    catalogue = json.loads((FIXTURES / "openrouter" / "models-2026-05-07.json").read_text())
    server, hook = fp.FakeProvider(), fp.WebhookReceiver()
    server.serve("/api/v1/models", json.dumps(catalogue).encode())
    server.serve("/api/v1/providers",
                 (FIXTURES / "openrouter" / "providers-2026-05-07.json").read_bytes())
    server.serve("/docs/limits.md", (FIXTURES / "openrouter" / "limits-page-2026-10-07.md")
                 .read_bytes())
    server.serve("/hf/v1/models", (FIXTURES / "nscale" / "hf-router-models-2026-06-19.json")
                 .read_bytes())
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "pricewatch.toml"
        config.write_text(f"""
db_path = "{tmp}/daemon.duckdb"
[fetch]
min_request_interval_s = 0
[openrouter]
api_base = "{server.url('/api/v1')}"
limits_page_url = "{server.url('/docs/limits')}"
allowed_hosts = ["127.0.0.1"]
[nscale]
api_base = "{server.url('/v1')}"
hf_router_url = "{server.url('/hf/v1/models')}"
limits_page_url = "{server.url('/docs/nscale-limits')}"
allowed_hosts = ["127.0.0.1"]
[daemon]
jitter_s = 0
heartbeat_file = "{tmp}/heartbeat.json"
export_dir = "{tmp}/exports"
[daemon.schedule]
"openrouter.models" = 1
"openrouter.providers" = 1
"openrouter.limits" = 1
"nscale.hf-router" = 1
[[channels]]
name = "bench"
webhook_url = "{hook.url}"
""")
        log_file = (Path(tmp) / "daemon.log").open("w+")  # a pipe nobody reads would fill
        daemon = subprocess.Popen(
            [sys.executable, "-m", "pricewatch", "run", "--now", "openrouter.models",
             "openrouter.providers", "openrouter.limits", "nscale.hf-router",
             "--config", str(config)], cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=log_file, text=True)
        process = psutil.Process(daemon.pid)
        samples: list[tuple[float, float]] = []
        started = time.monotonic()
        try:
            while (elapsed := time.monotonic() - started) < args.seconds:
                if args.change_every and int(elapsed) % args.change_every == 0:
                    model = rng.choice(catalogue["data"])
                    if model["pricing"]["prompt"] not in ("-1", "0"):
                        model["pricing"]["prompt"] = str(rng.randint(1, 5000) / 1e9)
                    server.serve("/api/v1/models", json.dumps(catalogue).encode())
                if daemon.poll() is not None:
                    log_file.seek(0)
                    raise SystemExit(f"the daemon exited: {log_file.read()[-3000:]}")
                samples.append((elapsed, process.memory_info().rss / 2**20))
                time.sleep(1)
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=30)
            if code != 0:
                log_file.seek(0)
                print(log_file.read()[-3000:], file=sys.stderr)
            log_file.close()
        with open_db(Path(tmp) / "daemon.duckdb", read_only=True) as con:
            runs = dict(con.execute("SELECT status, count(*) FROM runs GROUP BY ALL").fetchall())
            sweeps = con.execute("SELECT count(*) FROM runs WHERE source = "
                                 "'openrouter.models'").fetchall()[0][0]
    server.close()
    hook.close()
    after_warmup = [rss for t, rss in samples if t >= args.warmup]
    # RSS moves with each run's allocations: compare the medians of the first and the last
    # 20 samples (seconds) after the warm-up rather than two single readings.
    window = min(20, len(after_warmup) // 3)
    start_mb = statistics.median(after_warmup[:window])
    end_mb = statistics.median(after_warmup[-window:])
    growth = (end_mb - start_mb) / start_mb * 100
    print(f"{len(samples)} s, {sum(runs.values())} runs ({runs}), "
          f"{sweeps} catalogue sweeps, {len(hook.received)} alerts delivered, exit {code}")
    print(f"daemon RSS (median of {window} s) after the {args.warmup:g} s warm-up "
          f"{start_mb:.1f} MB, at the end {end_mb:.1f} MB ({growth:+.1f}%); peak "
          f"{max(after_warmup):.1f} MB")
    print(json.dumps({"sweeps": sweeps, "runs": sum(runs.values()), "seconds": len(samples),
                      "rss_start_mb": round(start_mb, 1), "rss_end_mb": round(end_mb, 1),
                      "rss_peak_mb": round(max(after_warmup), 1),
                      "growth_pct": round(growth, 1), "exit_code": code,
                      "alerts_delivered": len(hook.received), "pid": os.getpid(),
                      "change_every_s": args.change_every}))


if __name__ == "__main__":
    main()
