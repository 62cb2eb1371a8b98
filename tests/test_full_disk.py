"""A full disk under `ingest` (issue 29, item 12): the run is written wholly or not at all,
and the exit code says which: 0 when it committed (a checkpoint that then found no room
leaves the WAL, replayed at the next open), 3 with one line when it did not — never 70
with a traceback, never "failed" for a run that is in the warehouse.

The disk is a small tmpfs the test mounts (root only); the free space left before the
second ingest is swept, so the write fails at the archive, at the WAL and at the
checkpoint in turn, whatever the duckdb line's file sizes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import fixture_path

SIZE_KB = 8192
SLACK_KB = range(0, 1000, 100)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pricewatch", *args], capture_output=True,
                          text=True, timeout=120)


def _ingest(db: Path, day: str) -> subprocess.CompletedProcess:
    return _cli("ingest", "openrouter.models",
                str(fixture_path("openrouter", f"models-{day}.json")),
                "--observed-at", f"{day}T00:00:00Z", "--db", str(db))


@pytest.fixture
def small_disk(tmp_path: Path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_KB}k", "tmpfs",
                              str(disk)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _free_kb(folder: Path) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize // 1024


@pytest.mark.slow
def test_a_full_disk_writes_a_run_wholly_or_not_at_all_and_says_which(
        tmp_path: Path, small_disk: Path) -> None:
    template = tmp_path / "template"
    template.mkdir()
    assert _ingest(template / "w.duckdb", "2025-05-23").returncode == 0
    outcomes = []
    for slack in SLACK_KB:
        for entry in small_disk.iterdir():
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        shutil.copytree(template, small_disk, dirs_exist_ok=True)
        db = small_disk / "w.duckdb"
        filler = small_disk / "filler"
        filler.write_bytes(b"\0" * max(0, _free_kb(small_disk) - slack) * 1024)
        done = _ingest(db, "2026-05-07")
        filler.unlink()
        counted = _cli("sql", "SELECT count(*) AS runs FROM runs", "--json", "--db", str(db))
        assert counted.returncode == 0, counted.stderr
        runs = json.loads(counted.stdout)[0]["runs"]
        late = "could not detach the warehouse cleanly" in done.stderr  # the checkpoint
        outcomes.append((slack, done.returncode, runs, late))
        assert "Traceback" not in done.stderr, done.stderr
        if done.returncode == 3:
            assert runs == 1  # not written at all
            assert done.stderr.strip().startswith("error: the disk is full"), done.stderr
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        else:
            assert (done.returncode, runs) == (0, 2), (slack, done.stderr)
    print("free KB before the ingest -> (exit, runs, checkpoint failed):", outcomes)
    assert {code for _, code, _, _ in outcomes} == {0, 3}
    assert any(code == 0 and late for _, code, _, late in outcomes)  # committed, then full
