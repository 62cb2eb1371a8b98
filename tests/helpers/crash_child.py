"""The process the crash test kills: ingests a fixed series of runs into one database.

`python tests/crash_child.py DB RUNS RECORDS` ingests run i (observed at T0 + i hours) for
i in 0..RUNS-1. Run i changes a few prices of run i-1, so every run opens and closes
intervals. Re-running it after a kill replays the series: runs already in the database are
`duplicate` no-ops, so the finished database must equal one built without kills.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pricewatch.pipeline.run import ingest_body
from pricewatch.settings import load_settings

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def body(run: int, records: int) -> bytes:
    lines = []
    for n in range(records):
        # each run moves the prices of 1 model in 10; a model is unlisted every 7th run
        if (n + run) % 7 == 0 and run:
            continue
        cents = 100 + n % 50 + (run if n % 10 == run % 10 else 0)
        lines.append(json.dumps({"kind": "price", "provider": "openrouter", "model": f"m/{n}",
                                 "component": "input", "unit": "per_1m_tokens",
                                 "price": f"{cents // 100}.{cents % 100:02d}"}))
    return ("\n".join(lines) + "\n").encode()


def main(db: Path, runs: int, records: int) -> None:
    settings = load_settings(db_path=db, lock_timeout_s=30)
    for run in range(runs):
        ingest_body(settings, "records", body(run, records), T0 + timedelta(hours=run),
                    f"file:run-{run}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
