"""Alert delivery: new `price_alerts` go into the outbox per channel, then out through
Apprise or a signed JSON webhook, once per alert and channel: a pass claims the rows it
sends before sending them, so no other pass sends them too (warehouse/outbox.py says what a
crash between a send and its record can repeat).

Webhook signature: header `X-Pricewatch-Signature: sha256=<hex>`, the HMAC-SHA256 of the
raw request body with the channel's secret (from the environment variable it names).
Receivers recompute it over the bytes they received and compare in constant time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from pricewatch import queries
from pricewatch.collectors.fetch import tls_context, user_agent
from pricewatch.errors import InputError
from pricewatch.settings import ChannelSettings, Settings, secret_from_env
from pricewatch.text import plain, printable
from pricewatch.warehouse.db import DatabaseLocked, open_warehouse
from pricewatch.warehouse.outbox import (
    Attempt,
    ChannelWindow,
    any_due,
    channel_window,
    claim_due,
    enqueue,
    record_attempts,
    release_unsent,
)

log = logging.getLogger("pricewatch.alerts")
SIGNATURE_HEADER = "X-Pricewatch-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ALERT_ID_HEADER = "X-Pricewatch-Alert-Id"
WEBHOOK_TIMEOUT_S = 10  # each phase of a webhook request: connect, write, read
# A whole webhook send, however slowly the receiver answers or trickles its reply: past it
# the send has failed (retried later under the same Idempotency-Key).
WEBHOOK_DEADLINE_S = 20.0
STOP_GRACE_S = 2.0  # how long a send in flight may still finish once the daemon stops
CLAIM_LIMIT = 50  # rows one pass claims; the rest wait for the next pass
# A claim outlives every send it covers, so no live pass loses its rows to another.
LEASE_S = CLAIM_LIMIT * WEBHOOK_DEADLINE_S * 2


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
            "new_price", "old_value", "new_value", "change_pct", "unit", "detected_at",
            "message", "source_url")
    return json.dumps({k: plain(alert.get(k)) for k in keys}, ensure_ascii=False,
                      sort_keys=True)


def enqueue_new(settings: Settings, now: datetime | None = None) -> int:
    """Put every new alert into the outbox of every channel that wants it.

    The alerts are found with the file open read-only, and the write lock is taken only to
    queue them (a few ms, where finding them takes a fifth of a second on a small file): a
    daemon polling every second once held the lock a quarter of the time with its runs'
    alerts, and readers in other processes waited. Channels whose windows start at the same
    time (the usual case: each pass moves them all on) share one query."""
    if not settings.channels:
        return 0
    now = now or datetime.now(UTC)
    queries.ensure_installed(settings)
    found: list[tuple[str, ChannelWindow, list[dict[str, Any]]]] = []
    with open_warehouse(settings, read_only=True) as con:
        alerts_since = functools.cache(lambda since: queries.named(
            con, "alerts_to_enqueue", {"since": since, **queries.alert_thresholds(settings)}
        )[1])
        for channel in settings.channels:
            window = channel_window(con, channel.name, now)
            if window is not None:
                found.append((channel.name, window,
                              _wanted_by(channel, alerts_since(window.since))))
    if not found:
        return 0  # no run since the last pass: no alert can be new
    with open_warehouse(settings) as con:
        queued = [enqueue(con, name, chosen, now, window) for name, window, chosen in found]
    return sum(n for n in queued if n is not None)


def _wanted_by(channel: ChannelSettings, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The alerts `channel` wants, with their message and body."""
    chosen = [dict(a, message=printable(a["message"])) for a in alerts if wanted(channel, a)]
    return [dict(a, payload=payload(a)) for a in chosen]


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(settings: Settings, channel: ChannelSettings, message: str, body: str,
         alert_id: str, title: str = "pricewatch",
         stop: Callable[[], bool] = lambda: False) -> None:
    """One delivery; raises on failure (the outbox keeps the alert pending).

    A webhook gets the alert id twice over, as `Idempotency-Key` and `X-Pricewatch-Alert-Id`:
    a process that dies between the send and its record sends that alert again once the
    claim's lease runs out, and the receiver can drop the repeat by its id."""
    if channel.webhook_url:
        data = body.encode()
        headers = {"Content-Type": "application/json",
                   "User-Agent": user_agent(settings.fetch.contact_url),
                   IDEMPOTENCY_HEADER: alert_id, ALERT_ID_HEADER: alert_id}
        if channel.webhook_secret_env:
            secret = secret_from_env(channel.webhook_secret_env)
            if secret is None:
                raise RuntimeError(f"{channel.webhook_secret_env} is not set")
            headers[SIGNATURE_HEADER] = sign(data, secret.get_secret_value())
        status = post_within_deadline(channel.webhook_url, data, headers, stop)
        if status >= 300:
            raise RuntimeError(f"webhook answered HTTP {status}")
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


@dataclass
class _Unrecorded:
    """Sends whose results could not be written yet (the file was locked): recorded by the
    next pass of this process before it claims anything."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    attempts: list[tuple[str, Attempt]] = field(default_factory=list)  # (owner, attempt)

    def take(self) -> list[tuple[str, Attempt]]:
        with self.lock:
            taken, self.attempts = self.attempts, []
            return taken

    def give_back(self, attempts: list[tuple[str, Attempt]]) -> None:
        with self.lock:
            self.attempts[:0] = attempts


UNRECORDED = _Unrecorded()


def _record(settings: Settings, attempts: list[tuple[str, Attempt]],
            owner: str | None = None) -> None:
    """Write send results and hand back what `owner` claimed but did not send; when the
    file is locked, keep the results for the next pass."""
    if not attempts and owner is None:
        return
    try:
        with open_warehouse(settings) as con:
            for claimant in dict.fromkeys(o for o, _ in attempts):
                record_attempts(con, [a for o, a in attempts if o == claimant], claimant,
                                datetime.now(UTC), settings.daemon.alert_retry_max,
                                settings.daemon.alert_retry_base_s)
            if owner is not None:
                release_unsent(con, owner)
    except DatabaseLocked:
        if attempts:
            log.info("%d delivery results wait for the database file", len(attempts))
            UNRECORDED.give_back(attempts)


def flush_results(settings: Settings) -> None:
    """At shutdown: record what was sent but not recorded yet, waiting for the file as
    `settings` allow (an unrecorded send would be repeated after its lease)."""
    attempts = UNRECORDED.take()
    if attempts:
        _record(settings, attempts)
        if UNRECORDED.attempts:
            log.warning("%d sent alerts could not be recorded; they may be sent again "
                        "after their lease", len(UNRECORDED.attempts))


def pending_results() -> int:
    """Sends of this process not yet recorded (the daemon retries them when the file frees)."""
    return len(UNRECORDED.attempts)


def post_within_deadline(url: str, data: bytes, headers: dict[str, str],
                         stop: Callable[[], bool] = lambda: False) -> int:
    """POST and read the reply within WEBHOOK_DEADLINE_S in all, and within STOP_GRACE_S of
    `stop()` turning true (SIGTERM): the request runs on a worker thread that the caller
    stops waiting for; it ends at its own next timeout or chunk. Returns the HTTP status."""
    outcome: dict[str, Any] = {}
    deadline = time.monotonic() + WEBHOOK_DEADLINE_S

    def work() -> None:
        try:
            with httpx.Client(timeout=WEBHOOK_TIMEOUT_S, verify=tls_context()) as client, \
                    client.stream("POST", url, content=data, headers=headers) as response:
                for _ in response.iter_bytes():
                    if time.monotonic() > deadline:
                        raise TimeoutError("the reply trickled past the deadline")
                outcome["status"] = response.status_code
        except Exception as error:  # handed to the caller's thread
            outcome["error"] = error

    worker = threading.Thread(target=work, name="webhook-send", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
        if worker.is_alive() and stop():  # a prompt receiver still finishes
            deadline = min(deadline, time.monotonic() + STOP_GRACE_S)
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                raise RuntimeError("not delivered: the daemon is stopping")
        if worker.is_alive() and time.monotonic() > deadline:
            raise RuntimeError(f"no reply within {WEBHOOK_DEADLINE_S:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return int(outcome["status"])


def deliver_pending(settings: Settings, now: datetime | None = None,
                    stop: Callable[[], bool] = lambda: False) -> tuple[int, int]:
    """Claim what is due, send it with the file closed, record the results: each alert
    once per channel, whichever thread or process passes. `stop()` true ends the sending
    (shutdown); claimed rows not sent go back to pending. Returns (delivered, failed)."""
    _record(settings, UNRECORDED.take())
    if UNRECORDED.attempts:
        return 0, 0  # still locked: claiming now could not be recorded either
    channels = {c.name: c for c in settings.channels}
    if not channels:
        return 0, 0
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = now or datetime.now(UTC)
    with open_warehouse(settings, read_only=True) as con:
        if not any_due(con, now, list(channels)):
            return 0, 0
    with open_warehouse(settings) as con:
        claimed = claim_due(con, owner, now, LEASE_S, list(channels), CLAIM_LIMIT)
    attempts = []
    for row in claimed:
        if stop():
            break
        try:
            send(settings, channels[row.channel], row.message, row.payload, row.alert_id,
                 stop=stop)
            attempts.append((owner, Attempt(row.alert_id, row.channel, True,
                                            at=datetime.now(UTC))))
        except Exception as error:
            log.warning("alert %s on %s not delivered: %s", row.alert_id, row.channel, error)
            attempts.append((owner, Attempt(row.alert_id, row.channel, False, str(error),
                                            at=datetime.now(UTC))))
    # rows claimed and not tried (stopped midway) go back to pending at once
    _record(settings, attempts, owner if len(attempts) < len(claimed) else None)
    delivered = sum(a.ok for _, a in attempts)
    return delivered, len(attempts) - delivered


def send_test(settings: Settings, name: str) -> None:
    """`pricewatch alerts test CHANNEL`: a test message through the real channel."""
    channel = next((c for c in settings.channels if c.name == name), None)
    if channel is None:
        known = ", ".join(c.name for c in settings.channels) or "none configured"
        raise InputError(f"unknown channel {name!r}; channels: {known}")
    now = datetime.now(UTC)
    alert = {"alert_id": f"test-{uuid.uuid4().hex[:12]}", "kind": "test",
             "provider": "pricewatch", "model": "", "route": "", "detected_at": now,
             "message": f"pricewatch test message to channel {name} at {now:%Y-%m-%d %H:%M}Z"}
    send(settings, channel, alert["message"], payload(alert), alert["alert_id"])
