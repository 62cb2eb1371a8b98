"""The alert outbox: one row per alert and channel, so each is delivered exactly once.

Writes only; which alerts go where is decided above (alerts.py), and delivery happens
with the file closed (no lock is held while a webhook is slow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from pricewatch.warehouse.ingest import transaction

RETRY_MAX_S = 3600


@dataclass(frozen=True)
class ChannelWindow:
    """What one enqueue pass reads for a channel: the changes of the runs it has not seen,
    so the work per pass stays the size of those runs, not of the history."""

    added_at: datetime  # nothing older is sent on the channel
    since: datetime     # the earliest time among the runs not seen yet
    through_run: int    # the newest run this pass covers


def channel_window(con: duckdb.DuckDBPyConnection, channel: str,
                   now: datetime) -> ChannelWindow | None:
    """The window of the next pass; None when no run landed since the last one.

    Run ids grow in commit order (one writer at a time), so `run_id > seen` are exactly the
    runs committed since; a run spooled while the file was locked lands later with its
    original observation time, which the window then reaches back to."""
    row = con.execute("SELECT added_at, seen_through_run FROM alert_channels "
                      "WHERE channel = ?", [channel]).fetchall()
    if row:
        added_at, seen = row[0]
    else:
        con.execute("INSERT INTO alert_channels (channel, added_at) VALUES (?, ?)",
                    [channel, now])
        added_at, seen = now, None
    earliest, newest = con.execute(
        "SELECT min(least(observed_at, started_at)), max(run_id) FROM runs "
        "WHERE run_id > ?", [-1 if seen is None else seen]).fetchall()[0]
    if newest is None:
        return None
    since = added_at if seen is None else max(added_at, earliest)
    return ChannelWindow(added_at, since, int(newest))


def enqueue(con: duckdb.DuckDBPyConnection, channel: str, alerts: Sequence[dict[str, Any]],
            now: datetime, through_run: int) -> int:
    """Add alerts not yet in this channel's outbox and mark the runs seen, together.
    Returns how many were new."""
    con.register("new_alerts", pa.table({
        "alert_id": pa.array([a["alert_id"] for a in alerts], pa.string()),
        "kind": pa.array([a["kind"] for a in alerts], pa.string()),
        "provider": pa.array([a["provider"] for a in alerts], pa.string()),
        "message": pa.array([a["message"] for a in alerts], pa.string()),
        "payload": pa.array([a["payload"] for a in alerts], pa.string()),
        "detected_at": pa.array([a["detected_at"] for a in alerts],
                                pa.timestamp("us", tz="UTC")),
    }))
    try:
        with transaction(con):
            rows = con.execute(
                "INSERT INTO alert_outbox (alert_id, channel, kind, provider, message, payload, "
                "detected_at, enqueued_at, status, next_attempt_at) "
                "SELECT alert_id, $channel, kind, provider, message, payload, detected_at, $now, "
                "'pending', $now FROM new_alerts n WHERE NOT EXISTS (SELECT 1 FROM alert_outbox "
                "o WHERE o.alert_id = n.alert_id AND o.channel = $channel)",
                {"channel": channel, "now": now}).fetchall()
            con.execute("UPDATE alert_channels SET seen_through_run = ? WHERE channel = ?",
                        [through_run, channel])
    finally:
        con.unregister("new_alerts")
    return int(rows[0][0]) if rows else 0


@dataclass(frozen=True)
class Attempt:
    alert_id: str
    channel: str
    ok: bool
    error: str | None = None


def record_attempts(con: duckdb.DuckDBPyConnection, attempts: Sequence[Attempt], now: datetime,
                    retry_max: int, retry_base_s: float = 30) -> None:
    """Mark deliveries; a failure waits longer each time, then gives up as `failed`."""
    if not attempts:
        return
    with transaction(con):
        for attempt in attempts:  # a handful per run; each row's backoff depends on its count
            if attempt.ok:
                con.execute("UPDATE alert_outbox SET status = 'delivered', delivered_at = ?, "
                            "attempts = attempts + 1, last_error = NULL "
                            "WHERE alert_id = ? AND channel = ?",
                            [now, attempt.alert_id, attempt.channel])
                continue
            row = con.execute("SELECT attempts FROM alert_outbox WHERE alert_id = ? AND "
                              "channel = ?", [attempt.alert_id, attempt.channel]).fetchall()
            tries = (row[0][0] if row else 0) + 1
            wait = min(retry_base_s * 2 ** (tries - 1), RETRY_MAX_S)
            con.execute(
                "UPDATE alert_outbox SET attempts = ?, last_error = ?, next_attempt_at = ?, "
                "status = ? WHERE alert_id = ? AND channel = ?",
                [tries, (attempt.error or "")[:500], now + timedelta(seconds=wait),
                 "failed" if tries >= retry_max else "pending", attempt.alert_id,
                 attempt.channel])
