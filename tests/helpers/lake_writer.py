"""A writer process of the DuckLake concurrency test: ingests one source's series of runs.

`python lake_writer.py TARGET SOURCE RUNS` ingests run i (observed at T0 + i hours) of
SOURCE for i in 0..RUNS-1 into TARGET (its data path from PRICEWATCH_DUCKLAKE__DATA_PATH),
and prints one JSON line: the status of each run and the commit retries it took. Run i
moves a few prices of run i-1 and unlists a model now and then, so most runs open and
close intervals. `series` gives the same bodies to the serial reference.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MODELS = 12


def body(source: str, run: int) -> bytes:
    lines = []
    for n in range(MODELS):
        if run and (n + run) % 9 == 0:
            continue  # unlisted this run
        cents = 100 + n + (run % 5 if n % 4 == run % 4 else 0)
        lines.append(json.dumps({
            "kind": "price", "source": source, "provider": "openrouter", "model": f"m/{n}",
            "route": "", "component": "input", "service_tier": "standard",
            "context_threshold": 0, "unit": "per_1m_tokens", "price": f"{cents / 100:.2f}",
            "currency": "USD"}))
    return ("\n".join(lines) + "\n").encode()


def series(source: str, runs: int) -> list[tuple[bytes, datetime]]:
    return [(body(source, i), T0 + timedelta(hours=i)) for i in range(runs)]


def main(target: str, source: str, runs: int) -> None:
    from pricewatch.pipeline.run import ingest_body
    from pricewatch.settings import load_settings
    from pricewatch.warehouse.db import conflict_retries

    settings = load_settings(db_path=Path(target))
    statuses = [ingest_body(settings, "records", data, at, f"test:{source}:{i}",
                            install_views=False).status
                for i, (data, at) in enumerate(series(source, runs))]
    print(json.dumps({"source": source, "statuses": statuses, "retries": conflict_retries()}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
