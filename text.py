"""How pricewatch writes figures and times as text, once: the CLI's tables and JSON, the
report, the daemon's log, the exports and the record format all call these. The SQL side
has the same formats as macros (queries/text.sql: `decimal_text`, `iso_utc`), so a figure
reads the same whichever way it was printed. Also what text goes in and out through:
provider text made safe to show (`printable`), any value made JSON-safe (`plain`) and an
ISO time read (`parse_timestamp`). Nothing here imports a model: every command loads it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pricewatch.errors import InputError

_UNITS = (("d", 86400), ("h", 3600), ("min", 60))


def decimal_text(value: Decimal | None) -> str | None:
    """`0.06`, never `6E-8` or `0.060000`: the exact decimal as people write it (the
    record format's text form of a price)."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z` (`2026-01-29T06:30:00Z`); microseconds only when the
    time has them, so an observation time round-trips exactly."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ago(value: datetime, now: datetime | None = None) -> str:
    """A time by its age, as people read it in a table: `3 h ago`, `in 2 d`."""
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    amount = duration(abs(seconds), exact=False)
    return f"{amount} ago" if seconds >= 0 else f"in {amount}"


def duration(seconds: float, *, exact: bool = True) -> str:
    """`90 s`, `1 h`, `6 h`, `2 d`: the largest unit that divides it (`exact`), else the
    largest it reaches, rounded (`25 h` is `1 d` when not exact)."""
    for unit, length in _UNITS:
        if seconds >= length and (not exact or seconds % length == 0):
            return f"{seconds / length:.0f} {unit}"
    return f"{seconds:.0f} s"


def every(schedule: int | str | None) -> str | None:
    """A schedule as people read it: `1 h`, `6 h`, `90 s`; a cron expression as written."""
    if schedule is None or (isinstance(schedule, str) and not schedule.strip().isdigit()):
        return schedule
    return duration(int(schedule))


def stamp(value: datetime, seconds: bool = False) -> str:
    """A time as a date when it falls on midnight UTC, else to the minute (`seconds`: to the
    second when it has any): `2026-01-29`, `2026-01-29 06:30`. How interval edges read in
    tables and the report, short enough that both ends of an interval stay in an 80-column
    table (JSON, CSV and the record format keep the exact time: `iso_utc`)."""
    value = value.astimezone(UTC)
    if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return value.strftime("%Y-%m-%d")
    return value.strftime("%Y-%m-%d %H:%M:%S" if seconds and value.second
                          else "%Y-%m-%d %H:%M")


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, limit: int = 1000) -> str:
    """Provider-supplied text for people (alerts, tables): no control characters, no
    bidirectional overrides, bounded length. Markup is the renderer's to escape."""
    return _UNPRINTABLE.sub("", text)[:limit]


def plain(value: Any) -> Any:
    """A JSON-safe form of one value, decimals kept exact as text."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple | set):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def parse_timestamp(text: str, what: str = "timestamp") -> datetime:
    """An aware UTC datetime from ISO text; a date alone means midnight UTC."""
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what} {text!r} is not an ISO 8601 time "
                         "(e.g. 2026-01-29 or 2026-01-29T12:00:00Z)") from None
    if parsed.tzinfo is None:
        raise InputError(f"{what} {text!r} has no timezone: add Z or +00:00")
    return parsed.astimezone(UTC)
