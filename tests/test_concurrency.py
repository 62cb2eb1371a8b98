"""Two processes share the file: one ingests in a loop, one queries in a loop."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

WRITER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime, timedelta
    from pricewatch.pipeline import run as pipeline
    from pricewatch.settings import load_settings
    settings = load_settings(db_path=sys.argv[1], lock_timeout_s=30)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(int(sys.argv[2])):
        lines = [
            '{"kind":"price","provider":"openrouter","model":"m%d","component":"input",'
            '"unit":"per_1m_tokens","price":"%d"}' % (m, (i + m) % 3 + 1)
            for m in range(50)]
        outcome = pipeline.ingest_body(settings, "records", "\\n".join(lines).encode(),
                                       start + timedelta(hours=i), f"loop:{i}")
        assert outcome.status in ("ok", "unchanged"), outcome
    print("writer done")
""")

READER = textwrap.dedent("""
    import sys, time
    from pricewatch.warehouse.db import open_db
    deadline = time.monotonic() + float(sys.argv[2])
    queries = 0
    while time.monotonic() < deadline:
        with open_db(sys.argv[1], read_only=True, lock_timeout_s=30) as con:
            con.execute("SELECT count(*) FROM price_history WHERE valid_to IS NULL").fetchall()
            con.execute("SELECT max(run_id) FROM runs").fetchall()
        queries += 1
    print(f"reader done {queries}")
""")


def test_writer_and_reader_processes_both_finish(tmp_path: Path) -> None:
    db = tmp_path / "shared.duckdb"
    runs = 40
    root = Path(__file__).resolve().parents[1]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(runs)], cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The reader starts once the writer has created the file.
    reader = subprocess.Popen(
        [sys.executable, "-c", "import time, pathlib, sys\n"
         "while not pathlib.Path(sys.argv[1]).exists(): time.sleep(0.01)\n" + READER,
         str(db), "6"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    w_out, w_err = writer.communicate(timeout=120)
    r_out, r_err = reader.communicate(timeout=120)
    assert writer.returncode == 0, w_err
    assert reader.returncode == 0, r_err
    assert "writer done" in w_out
    assert int(r_out.split()[-1]) > 10
    from pricewatch.warehouse.db import open_db

    with open_db(db, read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT observed_at) FROM runs"
                           ).fetchall() == [(runs, runs)]
        # Three prices cycle per model: every run after the first changes all 50 keys.
        assert con.execute("SELECT count(*) FROM price_history").fetchall() == [(50 * runs,)]
