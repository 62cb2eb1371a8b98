"""Audit benchmark: `pricewatch audit` of each shared community map (../shared/fixtures/maps)
against a warehouse of the shared captures (six OpenRouter catalogues 2024-02 to 2026-10,
nscale on the Hugging Face router, the Vertex pricing page), as a ratio to reading the map
alone (bytes -> JSON with Decimal numbers -> entries and prices) in the same run; the whole
command as a subprocess too (interpreter start included); and each map's figures (entries,
matched, error rate, rows per class). Median of 5.

    python -m bench.audit [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pricewatch.audit import compare
from pricewatch.audit.maps import read_map
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
CAPTURES = (("openrouter.models", f"openrouter/models-{day}.json", day) for day in (
    "2024-02-18", "2025-05-23", "2025-12-18", "2026-01-29", "2026-05-07", "2026-10-07"))
OTHERS = (("nscale.hf-router", "nscale/hf-router-models-2026-06-19.json", "2026-06-19"),
          ("vertex.pricing", "vertex/pricing-2026-05-31.tier-tables.trimmed.html",
           "2026-05-31"))


def warehouse(folder: Path) -> Path:
    db = folder / "audit.duckdb"
    settings = load_settings(db_path=db)
    for source, name, day in (*CAPTURES, *OTHERS):
        pipeline.ingest_body(settings, source, (FIXTURES / name).read_bytes(),
                             datetime.fromisoformat(day).replace(tzinfo=UTC), name)
    return db


def median_s(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        db = warehouse(Path(tmp))
        settings = load_settings(db_path=db)
        now = datetime.now(UTC)
        for path in sorted((FIXTURES / "maps").glob("*.json")):
            body = path.read_bytes()
            read_s = median_s(lambda body=body, path=path: read_map(body, path.name), args.runs)

            def whole(path=path) -> list:
                return compare.audit(settings, compare.load_maps([str(path)]), now, False)[2]

            audit_s = median_s(whole, args.runs)
            command_s = median_s(lambda path=path: subprocess.run(
                [sys.executable, "-m", "pricewatch", "audit", str(path), "--db", str(db),
                 "--format", "csv"], capture_output=True, check=True), args.runs)
            summary = whole()[0]
            figures = {"map": path.name, "bytes": len(body), "read_ms": round(read_s * 1000, 1),
                       "audit_ms": round(audit_s * 1000, 1),
                       "ratio": round(audit_s / read_s, 2),
                       "command_ms": round(command_s * 1000, 1),
                       **{k: summary[k] for k in ("entries", "matched", "agree", "with_errors",
                                                  "error_rate_pct", "wrong_rows", "stale_rows",
                                                  "unit_error_rows", "missing_component_rows")}}
            results.append(figures)
            print(f"{path.name}: read {figures['read_ms']} ms, audit {figures['audit_ms']} ms "
                  f"({figures['ratio']} x read), command {figures['command_ms']} ms; "
                  f"{summary['entries']} entries, {summary['matched']} matched, "
                  f"{summary['with_errors']} with errors ({summary['error_rate_pct']} %): "
                  f"{summary['wrong_rows']} wrong, {summary['stale_rows']} stale, "
                  f"{summary['unit_error_rows']} unit errors, "
                  f"{summary['missing_component_rows']} missing components")
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
