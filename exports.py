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

import duckdb

from pricewatch import queries
from pricewatch.errors import InputError
from pricewatch.settings import Settings
from pricewatch.warehouse.history import SPECS

# The history tables and the runs that bound them; the views come from the database itself.
TABLES = (*(spec.table for spec in SPECS), "runs")


def views_in(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every view installed in the warehouse (a new SQL file in queries/ is exported too)."""
    return [row[0] for row in con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = "
        "current_database() AND schema_name = 'main' ORDER BY view_name").fetchall()]


def export(settings: Settings, out_dir: Path, fmt: str = "parquet") -> dict[str, Any]:
    """Write every table and view; returns the manifest."""
    if fmt not in ("parquet", "csv"):
        raise InputError(f"export format {fmt!r}: use parquet or csv")
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with queries.open_gold(settings) as con:
        for name in (*TABLES, *views_in(con)):
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
