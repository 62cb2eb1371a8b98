"""Backfill benchmark: `pricewatch backfill git` on the 150-version real OpenRouter history
(../shared/fixtures/history) and on a generated repository of 2,000 catalogue versions
(the 2026-05-07 capture, 20 models' prices perturbed per version, committed at 6-hour
steps with `git fast-import`), against the same versions ingested by separate
`pricewatch ingest` processes.

For each history, in a process of its own: versions per second, peak RSS, the share of
the time spent in git (reading the versions), parsing and ingest (archive, SCD2, commit),
and `ratio_to_parse`: the backfill's time over parsing every distinct version again alone
afterwards (the floor no write can beat; for the real history the least of its three
runs). The real history is backfilled three ways: one open warehouse per version
(`real_per_version`), batches of BATCH_S seconds with a transaction per version
(`real_unbatched`, BATCH_RUNS = 1) and as pricewatch does (`real`).
The separate `ingest` calls are timed on the first SLICE versions and extrapolated to all
(labelled so). The last line of output is one JSON object.

    python -m bench.backfill [--versions 2000] [--slice 40]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
BASE = FIXTURES / "openrouter" / "models-2026-05-07.json"
START = datetime(2024, 1, 1, tzinfo=UTC)
REAL_RUNS = ("real_per_version", "real_unbatched", "real")


def generated(folder: Path, versions: int) -> Path:
    """A repository of `versions` commits of models.json, written by git fast-import."""
    repo = folder / "generated"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    base = json.loads(BASE.read_text())
    stream = bytearray()
    for n in range(versions):
        for k in range(20):  # 20 models a version get a new input price
            model = base["data"][(n * 20 + k) % len(base["data"])]
            price = (n % 97 + k + 1) / 10**7
            model["pricing"]["prompt"] = format(price, ".10f").rstrip("0")
        body = json.dumps(base, separators=(",", ":")).encode()
        when = int((START + n * timedelta(hours=6)).timestamp())
        stream += b"blob\nmark :%d\ndata %d\n" % (2 * n + 1, len(body)) + body + b"\n"
        stream += (b"commit refs/heads/main\nmark :%d\ncommitter bench <b@example.org> %d "
                   b"+0000\ndata 9\nversion\n\n" % (2 * n + 2, when))
        if n:
            stream += b"from :%d\n" % (2 * n)
        stream += b"M 100644 :%d models.json\n\n" % (2 * n + 1)
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=bytes(stream),
                   check=True)
    subprocess.run(["git", "-C", str(repo), "checkout", "-q", "main"], check=True)
    return repo


def one(repo: str, db: str, batch_s: str, batch_runs: str) -> None:
    """Backfill `repo` into `db` with each phase timed (run in a process of its own);
    `batch_s` is backfill.BATCH_S (0: the warehouse opened and closed per version),
    `batch_runs` backfill.BATCH_RUNS (1: a transaction and an SCD2 pass per version)."""
    from pricewatch.pipeline import backfill

    backfill.BATCH_S = float(batch_s)
    backfill.BATCH_RUNS = int(batch_runs)
    from pricewatch.pipeline import backfill_git as git
    from pricewatch.pipeline import run as pipeline
    from pricewatch.settings import load_settings

    spent = {"git": 0.0, "parse": 0.0, "ingest": 0.0}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
        return wrapper

    parse_alone = pipeline.parse_run
    pipeline.parse_run = timed("parse", pipeline.parse_run)
    pipeline.ingest_body = timed("ingest", pipeline.ingest_body)
    pipeline.ingest_parsed = timed("ingest", pipeline.ingest_parsed)
    pipeline.ingest_batch = timed("ingest", pipeline.ingest_batch)

    def versions():
        source = git.versions(Path(repo), "models.json")
        while True:
            started = time.perf_counter()
            try:
                version = next(source)
            except StopIteration:
                return
            finally:
                spent["git"] += time.perf_counter() - started
            yield version

    started = time.perf_counter()
    report = backfill.run(load_settings(db_path=Path(db)), "openrouter.models", versions())
    total = time.perf_counter() - started
    # The floor: every distinct version parsed again, and nothing else.
    blobs, settings, spent["parse_alone"] = set(), load_settings(db_path=Path(db)), 0.0
    for version in git.versions(Path(repo), "models.json"):
        if version.body is not None and version.blob not in blobs:
            blobs.add(version.blob)
            started = time.perf_counter()
            parse_alone(settings, "openrouter.models", [(version.origin, version.body)],
                        version.observed_at)
            spent["parse_alone"] += time.perf_counter() - started
    print(json.dumps({"versions": report.versions, "ingested": report.counts["ingested"],
                      "seconds": round(total, 2), "written_mb": written_mb(),
                      "db_mb": stored_mb(Path(db)),
                      "versions_per_s": round(report.versions / total, 1),
                      "peak_rss_mb": peak_rss_mb(),
                      "parse_alone_s": round(spent.pop("parse_alone"), 2),
                      **{f"share_{k}": round(v / total, 3) for k, v in spent.items()}}))


def stored_mb(db: Path) -> float:
    """The warehouse file and its body archive, in MB."""
    archive = db.with_name(db.name + ".archive")
    files = [db, *(p for p in archive.rglob("*") if p.is_file())]
    return round(sum(p.stat().st_size for p in files) / 2**20, 1)


def written_mb() -> float:
    """Bytes this process wrote to storage (/proc/self/io write_bytes): with the size of
    the warehouse and its archive, the write amplification."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return 0.0


def peak_rss_mb() -> int:
    """This process's peak RSS since its exec (VmHWM). ru_maxrss would carry the parent's
    size at fork time, and the parent has just built a 1 GB fast-import stream."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def backfilled(repo: Path, db: Path, batch_s: float | None = None,
               batch_runs: int | None = None) -> dict:
    from pricewatch.pipeline.backfill import BATCH_RUNS, BATCH_S

    done = subprocess.run([sys.executable, "-m", "bench.backfill", "--one", str(repo),
                           str(db), str(BATCH_S if batch_s is None else batch_s),
                           str(BATCH_RUNS if batch_runs is None else batch_runs)],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["write_amplification"] = round(figures["written_mb"] / figures["db_mb"], 1)
    figures["ratio_to_parse"] = round(figures["seconds"] / figures["parse_alone_s"], 2)
    return figures


def separate(repo: Path, folder: Path, count: int, total: int) -> dict:
    """`pricewatch ingest` per version for the first `count` versions, extrapolated."""
    log = subprocess.run(["git", "-C", str(repo), "log", "--reverse", "--format=%H %cI",
                          "--", "models.json"], capture_output=True, text=True,
                         check=True).stdout.split("\n")[:count]
    db = folder / "separate.duckdb"
    started = time.perf_counter()
    for line in log:
        sha, when = line.split()
        body = subprocess.run(["git", "-C", str(repo), "show", f"{sha}:models.json"],
                              capture_output=True, check=True).stdout
        subprocess.run([sys.executable, "-m", "pricewatch", "ingest", "openrouter.models",
                        "-", "--observed-at", when, "--db", str(db)], input=body,
                       capture_output=True, check=True, cwd=ROOT)
    per = (time.perf_counter() - started) / len(log)
    return {"separate_s_per_version": round(per, 3),
            "separate_s_extrapolated": round(per * total, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=2000)
    parser.add_argument("--slice", type=int, default=40)
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(*args.one)
        return
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        real = folder / "real"
        subprocess.run(["git", "clone", "-q", str(FIXTURES / "history" /
                                                  "openrouter-models-history.bundle"),
                        str(real)], check=True)
        figures["real_per_version"] = backfilled(real, folder / "per-version.duckdb", 0.0, 1)
        figures["real_unbatched"] = backfilled(real, folder / "unbatched.duckdb", None, 1)
        figures["real"] = backfilled(real, folder / "real.duckdb")
        for before in ("per_version", "unbatched"):
            figures["real"][f"speedup_vs_{before}"] = round(
                figures[f"real_{before}"]["seconds"] / figures["real"]["seconds"], 2)
        # One floor for the three: the same versions parse in each, and a process that
        # held more (a batch's bodies) parsed them up to 1.4x slower afterwards.
        floor = min(figures[name]["parse_alone_s"] for name in REAL_RUNS)
        for name in REAL_RUNS:
            figures[name]["ratio_to_parse"] = round(figures[name]["seconds"] / floor, 2)
        (folder / "r").mkdir()
        figures["real"] |= separate(real, folder / "r", args.slice,
                                    figures["real"]["versions"])
        started = time.perf_counter()
        repo = generated(folder, args.versions)
        figures["generate_s"] = round(time.perf_counter() - started, 1)
        figures["generated"] = backfilled(repo, folder / "generated.duckdb")
        (folder / "g").mkdir()
        figures["generated"] |= separate(repo, folder / "g", args.slice, args.versions)
    for name, label in (("real_per_version", "one open per version"),
                        ("real_unbatched", "one transaction per version")):
        print(f"real, {label}: " + ", ".join(f"{k} {v}" for k, v in figures[name].items()))
    for name in ("real", "generated"):
        one_history = figures[name]
        one_history["ratio_vs_separate"] = round(
            one_history["separate_s_extrapolated"] / one_history["seconds"], 1)
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in one_history.items()))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
