"""The alert outbox: one row per alert and channel. A pass claims rows (committed) before it
sends them and records the results after, so two passes never send the same row.

The outbox's writes and the reads they rest on (a channel's window, whether anything is due:
asked read-only, so a pass takes the write lock only to write); which alerts go where is
decided above (outputs/alerts.py), and delivery happens with the file closed (no lock is
held while a webhook is slow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from pricewatch.warehouse.db import fetch_one, in_transaction, serialize_writers

RETRY_MAX_S = 3600


@dataclass(frozen=True)
class ChannelWindow:
    """What one enqueue pass reads for a channel: the changes of the runs it has not seen,
    so the work per pass stays the size of those runs, not of the history.

    A window is read with the file open read-only (the alert query is most of a pass, and
    other processes keep reading meanwhile); `enqueue` writes it only if the channel's row
    is still as read (`added_at`, `seen`), so two passes never queue the same runs twice."""

    since: datetime     # the earliest time among the runs not seen yet (or when the
                        # channel was added, if later: nothing older is sent on it)
    through_run: int    # the newest run this pass covers
    added_at: datetime | None = None  # the channel's row as read; None: not added yet
    seen: int | None = None


def channel_window(con: duckdb.DuckDBPyConnection, channel: str,
                   now: datetime) -> ChannelWindow | None:
    """The window of the next pass (read only; a channel not added yet starts at `now`);
    None when no run landed since the last one.

    Run ids grow in commit order (one writer at a time), so `run_id > seen` are exactly the
    runs committed since; a run spooled while the file was locked lands later with its
    original observation time, which the window then reaches back to."""
    added_at, seen = _channel_row(con, channel) or (None, None)
    earliest, newest = con.execute(
        "SELECT min(least(observed_at, started_at)), max(run_id) FROM runs "
        "WHERE run_id > ?", [-1 if seen is None else seen]).fetchall()[0]
    if newest is None:
        return None
    start = now if added_at is None else added_at
    since = start if seen is None else max(start, earliest)
    return ChannelWindow(since, int(newest), added_at, seen)


def _channel_row(con: duckdb.DuckDBPyConnection,
                 channel: str) -> tuple[datetime, int | None] | None:
    return fetch_one(con, "SELECT added_at, seen_through_run FROM alert_channels "
                          "WHERE channel = ?", [channel])


def enqueue(con: duckdb.DuckDBPyConnection, channel: str, alerts: Sequence[dict[str, Any]],
            now: datetime, window: ChannelWindow) -> int | None:
    """Add alerts not yet in this channel's outbox and mark the window's runs seen,
    together. Returns how many were new; None when another pass moved the channel on since
    the window was read (nothing written: the next pass reads afresh)."""
    con.register("new_alerts", pa.table({
        "alert_id": pa.array([a["alert_id"] for a in alerts], pa.string()),
        "kind": pa.array([a["kind"] for a in alerts], pa.string()),
        "provider": pa.array([a["provider"] for a in alerts], pa.string()),
        "message": pa.array([a["message"] for a in alerts], pa.string()),
        "payload": pa.array([a["payload"] for a in alerts], pa.string()),
        "detected_at": pa.array([a["detected_at"] for a in alerts],
                                pa.timestamp("us", tz="UTC")),
    }))

    def write() -> list[tuple[Any, ...]] | None:
        serialize_writers(con)  # two hosts queueing one alert, or adding a channel: one row
        row = _channel_row(con, channel)
        if row is None and window.added_at is None:
            con.execute("INSERT INTO alert_channels (channel, added_at) VALUES (?, ?)",
                        [channel, now])
        elif row != (window.added_at, window.seen):
            return None
        rows = con.execute(
            "INSERT INTO alert_outbox (alert_id, channel, kind, provider, message, payload, "
            "detected_at, enqueued_at, status, next_attempt_at) "
            "SELECT alert_id, $channel, kind, provider, message, payload, detected_at, $now, "
            "'pending', $now FROM new_alerts n WHERE NOT EXISTS (SELECT 1 FROM alert_outbox "
            "o WHERE o.alert_id = n.alert_id AND o.channel = $channel)",
            {"channel": channel, "now": now}).fetchall()
        con.execute("UPDATE alert_channels SET seen_through_run = ? WHERE channel = ?",
                    [window.through_run, channel])
        return rows

    try:
        rows = in_transaction(con, write, f"alert outbox {channel}")
    finally:
        con.unregister("new_alerts")
    if rows is None:
        return None
    return int(rows[0][0]) if rows else 0


@dataclass(frozen=True)
class Claimed:
    """An outbox row this pass owns until `lease_until`: send it, then record the result."""

    alert_id: str
    channel: str
    message: str
    payload: str


# The outbox rows a pass may claim on $channels at $now: pending ones whose retry time has
# come, and ones whose claimant's lease ran out without a record.
_DUE = ("channel IN (SELECT unnest($channels)) AND ((status = 'pending' AND "
        "next_attempt_at <= $now) OR (status = 'sending' AND lease_until < $now))")


def any_due(con: duckdb.DuckDBPyConnection, now: datetime, channels: Sequence[str]) -> bool:
    """Whether a pass has anything to claim: asked read-only first, so that a pass with
    nothing due (most of a daemon's) does not take the write lock."""
    return fetch_one(con, f"SELECT 1 FROM alert_outbox WHERE {_DUE} LIMIT 1",
                     {"now": now, "channels": list(channels)}) is not None


def claim_due(con: duckdb.DuckDBPyConnection, owner: str, now: datetime, lease_s: float,
              channels: Sequence[str], limit: int) -> list[Claimed]:
    """Take the rows due for delivery on `channels`, committed before anything is sent, so
    no other pass (thread or process) can take them: pending rows whose retry time has
    come, and rows whose claimant's lease ran out without a record."""
    due = {"now": now, "channels": list(channels), "limit": limit}

    def claim() -> list[tuple[Any, ...]]:
        # chosen, then updated: a DuckLake UPDATE cannot RETURN; in one transaction, and a
        # lake's concurrent claim conflicts at commit and is retried on what is left (a
        # pass that finds nothing due writes nothing)
        rows = con.execute(
            "SELECT alert_id, channel, message, payload, detected_at FROM alert_outbox "
            f"WHERE {_DUE} ORDER BY detected_at, alert_id LIMIT $limit", due).fetchall()
        if rows:
            serialize_writers(con)
            con.execute(
                "UPDATE alert_outbox SET status = 'sending', claimed_by = $owner, "
                "lease_until = $lease WHERE concat_ws(chr(31), alert_id, channel) IN "
                "(SELECT unnest($keys))",
                {"owner": owner, "lease": now + timedelta(seconds=lease_s),
                 "keys": [f"{r[0]}\x1f{r[1]}" for r in rows]})
        return rows

    rows = in_transaction(con, claim, "alert claim")
    rows.sort(key=lambda row: (row[4], row[0]))
    return [Claimed(*row[:4]) for row in rows]


@dataclass(frozen=True)
class Attempt:
    alert_id: str
    channel: str
    ok: bool
    error: str | None = None
    at: datetime | None = None  # when the receiver answered (default: when recorded)


def record_attempts(con: duckdb.DuckDBPyConnection, attempts: Sequence[Attempt], owner: str,
                    now: datetime, retry_max: int, retry_base_s: float = 30) -> int:
    """Record the results of one owner's sends; a failure waits longer each time, then gives
    up as `failed`. Rows another pass took over (lease ran out) are left to it. Returns how
    many rows were recorded."""
    if not attempts:
        return 0

    def record() -> int:
        recorded = 0
        serialize_writers(con)
        for attempt in attempts:  # a handful per pass; each row's backoff depends on its count
            row = con.execute("SELECT attempts FROM alert_outbox WHERE alert_id = ? AND "
                              "channel = ? AND status = 'sending' AND claimed_by = ?",
                              [attempt.alert_id, attempt.channel, owner]).fetchall()
            if not row:
                continue
            tries = row[0][0] + 1
            when = attempt.at or now
            if attempt.ok:
                status, error, retry_at = "delivered", None, when
            else:
                wait = min(retry_base_s * 2 ** (tries - 1), RETRY_MAX_S)
                status = "failed" if tries >= retry_max else "pending"
                error, retry_at = (attempt.error or "")[:500], when + timedelta(seconds=wait)
            con.execute(
                "UPDATE alert_outbox SET status = ?, attempts = ?, last_error = ?, "
                "next_attempt_at = ?, delivered_at = ?, claimed_by = NULL, lease_until = NULL "
                "WHERE alert_id = ? AND channel = ?",
                [status, tries, error, retry_at, when if attempt.ok else None,
                 attempt.alert_id, attempt.channel])
            recorded += 1
        return recorded

    return in_transaction(con, record, "alert results")


def release_unsent(con: duckdb.DuckDBPyConnection, owner: str) -> int:
    """Rows `owner` claimed and did not try (the pass was stopped): due again at once."""
    def release() -> list[tuple[Any, ...]]:
        serialize_writers(con)
        return con.execute("UPDATE alert_outbox SET status = 'pending', claimed_by = NULL, "
                           "lease_until = NULL WHERE status = 'sending' AND claimed_by = ?",
                           [owner]).fetchall()

    rows = in_transaction(con, release, "alert release")
    return int(rows[0][0]) if rows else 0
