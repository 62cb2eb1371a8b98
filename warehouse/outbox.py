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

from warehouse.ingest import transaction

RETRY_MAX_S = 3600


def channel_added_at(con: duckdb.DuckDBPyConnection, channel: str, now: datetime) -> datetime:
    """When a channel first appeared; alerts older than that are not sent on it."""
    row = con.execute("SELECT added_at FROM alert_channels WHERE channel = ?",
                      [channel]).fetchall()
    if row:
        return row[0][0]
    con.execute("INSERT INTO alert_channels VALUES (?, ?)", [channel, now])
    return now


def enqueue(con: duckdb.DuckDBPyConnection, channel: str, alerts: Sequence[dict[str, Any]],
            now: datetime) -> int:
    """Add alerts not yet in this channel's outbox. Returns how many were new."""
    if not alerts:
        return 0
    con.register("new_alerts", pa.table({
        "alert_id": [a["alert_id"] for a in alerts],
        "kind": [a["kind"] for a in alerts],
        "provider": [a["provider"] for a in alerts],
        "message": [a["message"] for a in alerts],
        "payload": [a["payload"] for a in alerts],
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
