"""Sweep benchmark: the OpenRouter catalogue plus one endpoints request per model (~350),
against a local server that delays every response, with the project's pacing settings.

The pacing bound is what the settings allow at best: requests start at least
`min_request_interval_s` apart, and at most `per_host_concurrency` are in flight, each
taking the server's delay; so a sweep of N requests needs at least
max(N x interval, N x delay / concurrency). The last line of output is one JSON object.

    python bench/sweep.py [--delay-ms 100] [--interval-s 0.2] [--concurrency 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from pathlib import Path

from pricewatch.collectors.fetch import Fetcher
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import FetchSettings, load_settings
from tests.helpers import fake_provider as fp

ROOT = Path(__file__).resolve().parents[1]

FIXTURES = ROOT.parent / "shared" / "fixtures" / "openrouter"


def serve_captures(server: fp.FakeProvider) -> int:
    """The 2026-05-07 catalogue, cut to the models the 2026-05-18 endpoint bundle holds."""
    bundle = {i["modelId"]: i["response"] for i in
              json.loads((FIXTURES / "endpoints-bundle-356-models-2026-05-18.json").read_text())
              ["data"]}
    catalogue = json.loads((FIXTURES / "models-2026-05-07.json").read_text())["data"]
    models = [m for m in catalogue if m["id"] in bundle]
    server.serve("/api/v1/models", json.dumps({"data": models}).encode())
    for model in models:
        server.serve(f"/api/v1/models/{model['id']}/endpoints",
                     json.dumps(bundle[model["id"]]).encode(), etag=False)
    return len(models)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    defaults = FetchSettings()
    parser.add_argument("--delay-ms", type=float, default=100)
    parser.add_argument("--interval-s", type=float, default=defaults.min_request_interval_s)
    parser.add_argument("--concurrency", type=int, default=defaults.per_host_concurrency)
    args = parser.parse_args()
    server = fp.FakeProvider(delay_s=args.delay_ms / 1000)
    try:
        models = serve_captures(server)
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(
                db_path=Path(tmp) / "sweep.duckdb",
                fetch={"min_request_interval_s": args.interval_s,
                       "per_host_concurrency": args.concurrency},
                openrouter={"api_base": server.url("/api/v1"),
                            "limits_page_url": server.url("/docs/limits"),
                            "allowed_hosts": ["127.0.0.1"]})

            async def sweep() -> tuple[list, int]:
                async with Fetcher(settings.fetch) as fetcher:
                    outcomes = await pipeline.collect(
                        settings, ["openrouter.models", "openrouter.endpoints"],
                        fetcher=fetcher)
                    return outcomes, fetcher.requests_sent

            started = time.perf_counter()
            outcomes, requests = asyncio.run(sweep())
            elapsed = time.perf_counter() - started
    finally:
        server.close()
    delay = args.delay_ms / 1000
    bound = max(requests * args.interval_s, requests * delay / args.concurrency)
    for outcome in outcomes:
        print(f"{outcome.source}: {outcome.status}, {outcome.records:,} records, "
              f"{outcome.changes:,} changes, {outcome.duration_s:.2f} s")
    print(f"{requests} requests ({models} models) in {elapsed:.2f} s; pacing bound "
          f"{bound:.2f} s (interval {args.interval_s} s, concurrency {args.concurrency}, "
          f"server delay {args.delay_ms:g} ms)")
    print(json.dumps({
        "sweep_s": round(elapsed, 3),
        "pacing_bound_s": round(bound, 3),
        "ratio_to_bound": round(elapsed / bound, 3),
        "requests": requests,
        "models": models,
        "statuses": {o.source: o.status for o in outcomes},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
