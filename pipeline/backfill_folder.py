"""The versions of a folder of dated captures: each file's time from its name (the forms
in NAME_FORMS) or from its modification time. A name whose time cannot be read is listed
and skipped, never guessed."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from pricewatch.errors import InputError
from pricewatch.pipeline.backfill import Version

# The name forms a time is read from, first match wins (README lists them):
#   2026-01-29T06:00:00Z  2026-01-29T06:00Z  2026-01-29T06:00:00+02:00  (ISO 8601 with zone)
#   2026-01-29T06-00-00Z  2026-01-29_06-00-00Z                          (no colons)
#   20260129T060000Z                                                     (basic ISO 8601)
#   2026-01-29                                                           (a date: 00:00 UTC)
NAME_FORMS = (
    re.compile(r"(?P<d>\d{4}-\d{2}-\d{2})[T_ ](?P<h>\d{2})[:-](?P<m>\d{2})"
               r"(?:[:-](?P<s>\d{2}))?(?P<z>Z|[+-]\d{2}:?\d{2})"),
    re.compile(r"(?P<d>\d{4}\d{2}\d{2})T(?P<h>\d{2})(?P<m>\d{2})(?P<s>\d{2})?(?P<z>Z)"),
    re.compile(r"(?<!\d)(?P<d>\d{4}-\d{2}-\d{2})(?![\d:T])"),
)
TIME_WITHOUT_ZONE = re.compile(r"\d{4}-?\d{2}-?\d{2}[T_ ]\d{2}[:-]?\d{2}")
TIME_FROM = ("name", "mtime")


def time_from_name(name: str) -> datetime | None:
    """The UTC time a file name carries, or None when it carries none that is certain (a
    time of day without a zone is not taken as UTC)."""
    for form in NAME_FORMS:
        match = form.search(name)
        if match is None:
            continue
        found = match.groupdict()
        day = found["d"].replace("-", "")
        try:
            at = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)
        except ValueError:
            return None
        if found.get("h") is None:
            return None if TIME_WITHOUT_ZONE.search(name) else at
        zone = found["z"]
        offset = timedelta(0) if zone == "Z" else (1 if zone[0] == "+" else -1) * timedelta(
            hours=int(zone[1:3]), minutes=int(zone[-2:]))
        try:
            local = at.replace(hour=int(found["h"]), minute=int(found["m"]),
                               second=int(found["s"] or 0), tzinfo=timezone(offset))
        except ValueError:
            return None
        return local.astimezone(UTC)
    return None


def versions(folder: Path, time_from: str, pattern: str = "*",
             skipped: list[str] | None = None) -> Iterator[Version]:
    """The folder's files matching `pattern`, oldest first; a file without a readable time
    is appended to `skipped` (with why) instead."""
    if time_from not in TIME_FROM:
        raise InputError(f"--time-from {time_from!r}: use name or mtime")
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    dated = []
    for path in sorted(p for p in folder.glob(pattern) if p.is_file()):
        at = (time_from_name(path.name) if time_from == "name"
              else datetime.fromtimestamp(path.stat().st_mtime, UTC))
        if at is None:
            if skipped is not None:
                skipped.append(f"{path.name}: no time with a zone in the name")
            continue
        dated.append((at, path))
    for at, path in sorted(dated):
        body = path.read_bytes()
        yield Version(origin=f"backfill:dir:{path.resolve()}", label=path.name,
                      observed_at=at, body=body, blob=hashlib.sha1(body).hexdigest())
