"""SIGKILL during ingest, many times: the database must open, keep its invariants, hold
each run wholly or not at all, and end equal to a database built without kills.

Quick by default (PRICEWATCH_KILLS=12 kills); `PRICEWATCH_KILLS=200 pytest
tests/test_crash_safety.py -s` is the long mode. The figures are printed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from helpers import history_violations
from pricewatch.warehouse.bodies import body_path

CHILD = Path(__file__).parent / "helpers" / "crash_child.py"
RUNS, RECORDS = 40, 3000
KILLS = int(os.environ.get("PRICEWATCH_KILLS", "12"))

HISTORY_SQL = """
SELECT source, provider, model, route, component, service_tier, context_threshold, unit,
       currency, effective_from, usage_tier_start, price, dynamic, valid_from, valid_to
FROM price_history ORDER BY ALL
"""


def start(db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHILD), str(db), str(RUNS), str(RECORDS)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def violations(db: Path) -> list[str]:
    """Invariants after a crash: the SCD2 invariants (helpers.history_violations), interval
    counts match their runs, every recorded body has its archive file."""
    if not db.exists():
        return []  # killed before the file was created: nothing written, nothing to break
    con = duckdb.connect(str(db), read_only=True)
    try:
        if not _has_runs(con):
            return []  # killed before the first migration committed: an empty database
        found = history_violations(con)
        mismatched = con.execute("""
            SELECT r.run_id FROM runs r
            WHERE r.intervals_opened <> (SELECT count(*) FROM price_history h
                                         WHERE h.opened_by_run = r.run_id)
               OR r.intervals_closed <> (SELECT count(*) FROM price_history h
                                         WHERE h.closed_by_run = r.run_id)""").fetchall()
        if mismatched:
            found.append(f"runs whose intervals are not all there: {mismatched[:5]}")
        orphans = con.execute("""
            SELECT count(*) FROM price_history h
            WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.run_id = h.opened_by_run)
            """).fetchone()
        if orphans and orphans[0]:
            found.append(f"{orphans[0]} intervals opened by a run that does not exist")
        folder = db.with_name(db.name + ".archive")
        missing = [sha for (sha,) in con.execute("SELECT content_sha256 FROM raw_bodies")
                   .fetchall() if not body_path(folder, sha).is_file()]
        if missing:
            found.append(f"{len(missing)} recorded bodies without their archive file")
        return found
    finally:
        con.close()


def _has_runs(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'runs'")
                .fetchone()[0])


def ok_runs(db: Path) -> int:
    if not db.exists():
        return 0
    con = duckdb.connect(str(db), read_only=True)
    try:
        if not _has_runs(con):
            return 0
        return con.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone()[0]
    finally:
        con.close()


def history(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(HISTORY_SQL).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_during_ingest_loses_no_run_and_invents_no_change(tmp_path: Path) -> None:
    reference = tmp_path / "reference.duckdb"
    assert start(reference).wait(timeout=120) == 0
    db = tmp_path / "killed.duckdb"
    rng = random.Random(20261128)
    kills = survived = 0
    problems: list[str] = []
    committed: list[int] = []  # runs already in the database at each kill
    while kills < KILLS:
        child = start(db)
        time.sleep(rng.uniform(0.3, 3.0))
        if child.poll() is not None:  # finished before the kill: start over on a new file
            assert child.returncode == 0, child.stderr.read() if child.stderr else ""
            for path in tmp_path.glob("killed.duckdb*"):
                shutil.rmtree(path) if path.is_dir() else path.unlink()
            continue
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        kills += 1
        committed.append(ok_runs(db))
        found = violations(db)
        if found:
            problems.append(f"after kill {kills}: {found}")
        else:
            survived += 1
    finisher = start(db)
    assert finisher.wait(timeout=120) == 0, finisher.stderr.read() if finisher.stderr else ""
    assert violations(db) == []
    lost = RUNS - ok_runs(db)
    same = history(db) == history(reference)
    midway = sum(1 for n in committed if 0 < n < RUNS)
    print(f"\ncrash safety: {kills} SIGKILLs ({midway} between the first and the last of "
          f"{RUNS} runs), {survived} left a consistent database, {lost} runs lost, history "
          f"equal to the unkilled reference: {same}")
    assert problems == []
    assert lost == 0 and same
