"""A webhook send has a total deadline and gives up at once on shutdown (issue 29, item 7):
a receiver trickling its reply a byte every few seconds kept the daemon alive 80 s after
SIGTERM, and one answering after 30 s was sent each alert again and again."""

from __future__ import annotations

import time

import pytest

from helpers.fake_provider import WebhookReceiver
from pricewatch.outputs import alerts


@pytest.fixture
def receiver():
    """Answers 200 and then one byte every 0.4 s, for 8 s: each read succeeds in time."""
    trickling = WebhookReceiver()
    trickling.trickle_s, trickling.trickle_bytes = 0.4, 20
    yield trickling.url
    trickling.close()


def test_a_trickling_reply_fails_at_the_deadline(receiver: str, monkeypatch) -> None:
    monkeypatch.setattr(alerts, "WEBHOOK_DEADLINE_S", 1.0)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="no reply within 1 s"):
        alerts.post_within_deadline(receiver, b"{}", {"Content-Type": "application/json"})
    assert time.monotonic() - started < 2.0  # not the 8 s the receiver takes


def test_a_send_gives_up_at_once_when_the_daemon_stops(receiver: str) -> None:
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="stopping"):
        alerts.post_within_deadline(receiver, b"{}", {},
                                    stop=lambda: time.monotonic() - started > 0.3)
    assert time.monotonic() - started < 0.3 + alerts.STOP_GRACE_S + 0.5


def test_a_prompt_receiver_is_read_whole(receiver: str, monkeypatch) -> None:
    monkeypatch.setattr(alerts, "WEBHOOK_DEADLINE_S", 30.0)
    assert alerts.post_within_deadline(receiver, b"{}", {}) == 200  # 20 bytes in ~8 s
