"""Files for dashboards: the history tables and the views as Parquet (or CSV), each written
to a temporary name and renamed into place, so a reader never sees half a file, plus a
manifest with the export time and row counts (written last, the same way).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pricewatch import queries
from pricewatch.settings import Settings

TABLES = ("price_history", "offer_history", "rate_limit_history", "provider_directory_history",
          "runs")
VIEWS = ("current_prices", "current_price_tiers", "upcoming_prices", "current_offers",
         "offer_capabilities", "vertex_price_discrepancies",
         "cheapest_per_capability", "price_changes", "offer_changes", "rate_limit_changes",
         "price_alerts", "collector_health", "model_identity")


def export(settings: Settings, out_dir: Path, fmt: str = "parquet") -> dict[str, Any]:
    """Write every table and view; returns the manifest."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"export format {fmt!r}: use parquet or csv")
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with queries.open_gold(settings) as con:
        for name in TABLES + VIEWS:
            final = out_dir / f"{name}.{fmt}"
            temporary = out_dir / f".{name}.{fmt}.{os.getpid()}.tmp"
            options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else \
                "FORMAT csv, HEADER true"
            quoted = str(temporary).replace("'", "''")
            written = con.execute(
                f"COPY (SELECT * FROM {name}) TO '{quoted}' ({options})").fetchall()
            os.chmod(temporary, settings.file_mode)
            os.replace(temporary, final)
            counts[name] = int(written[0][0])  # COPY answers with the rows it wrote
    manifest = {"exported_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "format": fmt, "database": str(settings.db_path), "row_counts": counts}
    temporary = out_dir / f".manifest.json.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(manifest, indent=2) + "\n")
    os.chmod(temporary, settings.file_mode)
    os.replace(temporary, out_dir / "manifest.json")
    return manifest
