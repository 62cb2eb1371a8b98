"""A webhook send has a total deadline and gives up at once on shutdown (issue 29, item 7):
a receiver trickling its reply a byte every few seconds kept the daemon alive 80 s after
SIGTERM, and one answering after 30 s was sent each alert again and again."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pricewatch import alerts


class Trickle(BaseHTTPRequestHandler):
    """Answers 200 and then one byte every 0.4 s, for 8 s: each read succeeds in time."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "20")
        self.end_headers()
        for _ in range(20):
            try:
                self.wfile.write(b"x")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.4)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


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
