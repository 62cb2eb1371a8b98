"""The versions of one file in a git repository, read with git itself: `git log` for the
commits that changed it (oldest first) and one `git cat-file --batch` process for the
blobs, so a history of thousands of versions costs two git processes, not thousands."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pricewatch.errors import InputError
from pricewatch.pipeline.backfill import Version

TIMES = ("committer", "author")


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              check=False)
    except FileNotFoundError:
        raise InputError("backfill git needs the git command on PATH") from None
    if done.returncode != 0:
        raise InputError(f"{repo}: git {args[0]} failed: {done.stderr.strip()[:300]}")
    return done.stdout


def commits(repo: Path, path: str) -> tuple[list[tuple[str, datetime, datetime]], int]:
    """(commit, committer time, author time) of every commit that changed `path`, oldest
    first, and how many commits of the history did not touch it."""
    if not (repo / ".git").exists() and _git(repo, "rev-parse", "--is-bare-repository"
                                              ).strip() != "true":
        raise InputError(f"{repo} is not a git repository")
    listed = _git(repo, "log", "--reverse", "--format=%H %ct %at", "--", path).split("\n")
    total = int(_git(repo, "rev-list", "--count", "HEAD").strip() or 0)
    found = []
    for line in filter(None, listed):
        commit, committed, authored = line.split()
        found.append((commit, datetime.fromtimestamp(int(committed), UTC),
                      datetime.fromtimestamp(int(authored), UTC)))
    return found, total - len(found)


def versions(repo: Path, path: str, time: str = "committer") -> Iterator[Version]:
    """Every version of `path`, oldest first, with its commit time (or author time) and the
    blob's bytes; a commit that deleted the file yields a version without a body."""
    if time not in TIMES:
        raise InputError(f"--time {time!r}: use committer, author or field:NAME")
    found, _ = commits(repo, path)
    if not found:
        return
    batch = subprocess.Popen(["git", "-C", str(repo), "cat-file", "--batch"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert batch.stdin is not None and batch.stdout is not None
    try:
        for commit, committed, authored in found:
            batch.stdin.write(f"{commit}:{path}\n".encode())
            batch.stdin.flush()
            header = batch.stdout.readline().decode().split()
            at = committed if time == "committer" else authored
            origin = f"backfill:git:{repo.resolve()}@{commit}"
            if len(header) != 3 or header[1] != "blob":  # `<name> missing`: deleted here
                yield Version(origin=origin, label=commit[:12], observed_at=at, body=None,
                              blob=None)
                continue
            blob, size = header[0], int(header[2])
            body = batch.stdout.read(size)
            batch.stdout.read(1)  # the newline after each object
            yield Version(origin=origin, label=commit[:12], observed_at=at, body=body,
                          blob=blob)
    finally:
        batch.stdin.close()
        batch.wait(timeout=30)
