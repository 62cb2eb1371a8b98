"""The spool: a run's fetched bodies kept in files beside the database while another process
holds the file past `lock_timeout_s`, so nothing fetched is lost. The next run that gets the
file archives and ingests them at their original observation time (pipeline.drain_spool).

`pricewatch.duckdb.spool/<observed_at>-<source>/` holds `run.json` (the fetch metadata) and
one `N.body` per body, created with the database's file mode.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pricewatch.records import FetchedBody
from pricewatch.settings import Settings
from pricewatch.warehouse.target import target_of

log = logging.getLogger("pricewatch.spool")


@dataclass(frozen=True)
class SpooledRun:
    folder: Path
    source: str
    observed_at: datetime
    bodies: list[FetchedBody]


def spool_dir(settings: Settings) -> Path:
    """Beside the file; for a lake, beside its body archive (`<data_path>.spool`)."""
    return target_of(settings).spool


def keep(settings: Settings, source: str, observed_at: datetime,
         bodies: list[FetchedBody]) -> Path:
    """Keep a run's bodies on disk when the database stayed locked: nothing is lost."""
    folder = spool_dir(settings) / f"{observed_at:%Y%m%dT%H%M%S%f}-{source}"
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for index, body in enumerate(bodies):
        entry = {k: v for k, v in vars(body).items() if k != "content"}
        entry["fetched_at"] = body.fetched_at.isoformat()
        if body.content is not None:
            entry["file"] = f"{index}.body"
            _durable(folder / entry["file"], body.content, settings.file_mode)
        entries.append(entry)
    # run.json last and whole (renamed into place): a folder without it is not a run yet
    written = folder / "run.json.tmp"
    _durable(written, json.dumps({"source": source, "observed_at": observed_at.isoformat(),
                                  "bodies": entries}).encode(), settings.file_mode)
    os.replace(written, folder / "run.json")
    _sync_dir(folder)
    _sync_dir(folder.parent)
    return folder


def _durable(path: Path, data: bytes, mode: int) -> None:
    """Write, flush to disk, then the caller renames: a crash leaves the old or the new."""
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(path, mode)


def _sync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


BAD = "_unreadable"  # spooled runs that cannot be read wait here for a person, not a drain


def has_pending(settings: Settings) -> bool:
    """Whether any run waits in the spool (cheap: the daemon asks every few seconds)."""
    root = spool_dir(settings)
    return root.is_dir() and any(root.glob("*/run.json"))


def pending(settings: Settings) -> Iterator[SpooledRun]:
    """The spooled runs, oldest observation first."""
    root = spool_dir(settings)
    for meta_path in sorted(root.glob("*/run.json")) if root.is_dir() else ():
        folder = meta_path.parent
        try:
            meta = json.loads(meta_path.read_text())
            bodies = [FetchedBody(**{k: v for k, v in entry.items() if k != "file"}
                                  | {"fetched_at": datetime.fromisoformat(entry["fetched_at"]),
                                     "content": (folder / entry["file"]).read_bytes()
                                     if "file" in entry else None})
                      for entry in meta["bodies"]]
            run = SpooledRun(folder, meta["source"],
                             datetime.fromisoformat(meta["observed_at"]), bodies)
        except FileNotFoundError:
            if folder.is_dir() and not (folder / "run.json").exists():
                continue  # another process ingested and removed it meanwhile
            set_aside(folder, "a body file it names is missing")
            continue
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            set_aside(folder, f"{type(error).__name__}: {error}")
            continue
        yield run


def set_aside(folder: Path, reason: str) -> None:
    """Move a spooled run that cannot be read out of the drain's way (`<spool>/_unreadable/`),
    with one error line: the drain goes on with the others, and nothing is deleted."""
    target = folder.parent / BAD / folder.name
    target.parent.mkdir(exist_ok=True)
    try:
        os.replace(folder, target)
    except OSError as error:
        log.error("spooled run %s cannot be read (%s) nor set aside: %s", folder, reason, error)
        return
    log.error("spooled run %s cannot be read (%s): moved to %s", folder.name, reason, target)


def remove(run: SpooledRun) -> None:
    """Drop a spooled run once it is in the database (or another process dropped it)."""
    shutil.rmtree(run.folder, ignore_errors=True)
