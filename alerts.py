"""Alert delivery: new `price_alerts` go into the outbox per channel, then out through
Apprise or a signed JSON webhook, exactly once per alert and channel.

Webhook signature: header `X-Pricewatch-Signature: sha256=<hex>`, the HMAC-SHA256 of the
raw request body with the channel's secret (from the environment variable it names).
Receivers recompute it over the bytes they received and compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Any

import httpx

from pricewatch import queries
from pricewatch.collectors.fetch import tls_context
from pricewatch.errors import InputError
from pricewatch.records import plain, printable
from pricewatch.settings import ChannelSettings, Settings, secret_from_env
from pricewatch.warehouse.db import open_warehouse
from pricewatch.warehouse.outbox import Attempt, channel_window, enqueue, record_attempts

log = logging.getLogger("pricewatch.alerts")
SIGNATURE_HEADER = "X-Pricewatch-Signature"

ALERTS_SQL = queries.command_sql("alerts_to_enqueue")


def wanted(channel: ChannelSettings, alert: dict[str, Any]) -> bool:
    """The channel's filters: providers, kinds, capabilities, minimum drop."""
    if channel.providers and alert["provider"] not in channel.providers:
        return False
    if channel.kinds and alert["kind"] not in channel.kinds:
        return False
    if channel.capabilities and alert["kind"] == "new_cheapest" \
            and alert["component"] not in channel.capabilities:
        return False
    return not (alert["kind"] == "price_drop" and alert["change_pct"] is not None
                and -alert["change_pct"] < channel.min_drop_pct)


def payload(alert: dict[str, Any]) -> str:
    keys = ("alert_id", "kind", "provider", "model", "route", "component", "old_price",
            "new_price", "change_pct", "unit", "detected_at", "message", "source_url")
    return json.dumps({k: plain(alert.get(k)) for k in keys}, ensure_ascii=False,
                      sort_keys=True)


def enqueue_new(settings: Settings, now: datetime | None = None) -> int:
    """Put every new alert into the outbox of every channel that wants it."""
    if not settings.channels:
        return 0
    now = now or datetime.now(UTC)
    queued = 0
    queries.ensure_installed(settings)
    with open_warehouse(settings) as con:
        for channel in settings.channels:
            window = channel_window(con, channel.name, now)
            if window is None:
                continue  # no run since the last pass: no alert can be new
            _, rows = queries.rows(con, ALERTS_SQL, {"since": window.since,
                                                     "cheapest_since": window.added_at})
            chosen = [dict(a, message=printable(a["message"]), payload=payload(
                dict(a, message=printable(a["message"])))) for a in rows if wanted(channel, a)]
            queued += enqueue(con, channel.name, chosen, now, window.through_run)
    return queued


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(channel: ChannelSettings, message: str, body: str, title: str = "pricewatch") -> None:
    """One delivery; raises on failure (the outbox keeps the alert pending)."""
    if channel.webhook_url:
        data = body.encode()
        headers = {"Content-Type": "application/json"}
        if channel.webhook_secret_env:
            secret = secret_from_env(channel.webhook_secret_env)
            if secret is None:
                raise RuntimeError(f"{channel.webhook_secret_env} is not set")
            headers[SIGNATURE_HEADER] = sign(data, secret.get_secret_value())
        response = httpx.post(channel.webhook_url, content=data, headers=headers, timeout=10,
                              verify=tls_context())
        if response.status_code >= 300:
            raise RuntimeError(f"webhook answered HTTP {response.status_code}")
        return
    import apprise  # imported when used: it loads many notification plugins

    url = secret_from_env(channel.apprise_url_env or "")
    if url is None:
        raise RuntimeError(f"{channel.apprise_url_env} is not set")
    notifier = apprise.Apprise()
    if not notifier.add(url.get_secret_value()):
        raise RuntimeError(f"{channel.apprise_url_env} is not a URL Apprise understands")
    if not notifier.notify(title=title, body=message, body_format=apprise.NotifyFormat.TEXT):
        raise RuntimeError("Apprise could not deliver the notification")


def deliver_pending(settings: Settings, now: datetime | None = None) -> tuple[int, int]:
    """Send what is due; the file is not held open while sending. (delivered, failed)."""
    now = now or datetime.now(UTC)
    by_name = {c.name: c for c in settings.channels}
    with open_warehouse(settings, read_only=True) as con:
        _, due = queries.rows(con, "SELECT alert_id, channel, message, payload FROM "
                                   "alert_outbox WHERE status = 'pending' AND "
                                   "next_attempt_at <= ? ORDER BY detected_at, alert_id", [now])
    attempts = []
    for row in due:
        channel = by_name.get(row["channel"])
        if channel is None:
            continue  # a channel removed from the configuration keeps its rows
        try:
            send(channel, row["message"], row["payload"])
            attempts.append(Attempt(row["alert_id"], row["channel"], True))
        except Exception as error:
            log.warning("alert %s on %s not delivered: %s", row["alert_id"], row["channel"],
                        error)
            attempts.append(Attempt(row["alert_id"], row["channel"], False, str(error)))
    if attempts:
        with open_warehouse(settings) as con:
            record_attempts(con, attempts, datetime.now(UTC), settings.daemon.alert_retry_max,
                            settings.daemon.alert_retry_base_s)
    delivered = sum(a.ok for a in attempts)
    return delivered, len(attempts) - delivered


def send_test(settings: Settings, name: str) -> None:
    """`pricewatch alerts test CHANNEL`: a test message through the real channel."""
    channel = next((c for c in settings.channels if c.name == name), None)
    if channel is None:
        known = ", ".join(c.name for c in settings.channels) or "none configured"
        raise InputError(f"unknown channel {name!r}; channels: {known}")
    now = datetime.now(UTC)
    alert = {"alert_id": "test", "kind": "test", "provider": "pricewatch", "model": "",
             "route": "", "detected_at": now,
             "message": f"pricewatch test message to channel {name} at {now:%Y-%m-%d %H:%M}Z"}
    send(channel, alert["message"], payload(alert))
