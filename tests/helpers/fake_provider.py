"""A provider on 127.0.0.1 for tests: serves bodies by path and injects faults per request.

Every fault is consumed by one request, in order; once a path's faults are used up it
serves its body again. Bodies carry an ETag, and `If-None-Match` gets a 304.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Fault = Callable[["_Handler"], None]


@dataclass
class Route:
    body: bytes
    content_type: str = "application/json"
    etag: bool = True


@dataclass
class FakeProvider:
    routes: dict[str, Route] = field(default_factory=dict)
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    always: dict[str, Fault] = field(default_factory=dict)
    requests: list[tuple[float, str, dict[str, str]]] = field(default_factory=list)
    delay_s: float = 0.0  # added before every response (benchmarks)

    def __post_init__(self) -> None:
        provider = self

        class Handler(_Handler):
            fake = provider

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes, content_type: str = "application/json",
              etag: bool = True) -> None:
        self.routes[path] = Route(body, content_type, etag)

    def fail(self, path: str, *faults: Fault) -> None:
        self.faults.setdefault(path, deque()).extend(faults)

    def fail_always(self, path: str, fault: Fault) -> None:
        self.always[path] = fault

    def heal(self, path: str) -> None:
        """Stop every fault on a path: it serves its body again."""
        self.always.pop(path, None)
        self.faults.pop(path, None)

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p == path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeProvider
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs (~40 ms)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.fake.requests.append((time.monotonic(), path, dict(self.headers)))
        if self.fake.delay_s:
            time.sleep(self.fake.delay_s)
        queue = self.fake.faults.get(path)
        if queue:
            queue.popleft()(self)
            return
        if path in self.fake.always:
            self.fake.always[path](self)
            return
        route = self.fake.routes.get(self.path) or self.fake.routes.get(path)  # query first
        if route is None:
            self.reply(404, b'{"error": "not found"}')
            return
        etag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"' if route.etag else None
        if etag and self.headers.get("If-None-Match") == etag:
            self.reply(304, b"", headers={"ETag": etag})
            return
        self.reply(200, route.body, route.content_type, {"ETag": etag} if etag else {})

    def reply(self, status: int, body: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)


# Faults ------------------------------------------------------------------------------


def status(code: int, body: bytes = b'{"error": "boom"}',
           headers: dict[str, str] | None = None) -> Fault:
    return lambda h: h.reply(code, body, headers=headers)


def retry_after(value: str, code: int = 429) -> Fault:
    return status(code, b'{"error": "slow down"}', {"Retry-After": value})


def html_page(code: int = 200) -> Fault:
    return lambda h: h.reply(code, b"<html><body><h1>Service unavailable</h1></body></html>",
                             "text/html")


def sleep_then_serve(seconds: float) -> Fault:
    def fault(h: _Handler) -> None:
        time.sleep(seconds)
        h.reply(200, b'{"data": []}')
    return fault


def reset() -> Fault:
    """Close the connection without a response (the client sees a reset / EOF)."""
    def fault(h: _Handler) -> None:
        h.close_connection = True
        h.connection.shutdown(2)
    return fault


def truncated(body: bytes, keep: int | None = None) -> Fault:
    """Promise the whole body, send only part of it, hang up."""
    def fault(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[: keep if keep is not None else len(body) // 2])
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(2)
    return fault


def redirect(location: str, code: int = 302) -> Fault:
    return lambda h: h.reply(code, b"", headers={"Location": location})


def oversized(size: int, declare: bool = True) -> Fault:
    def fault(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        if declare:
            h.send_header("Content-Length", str(size))
        else:
            h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < size:
                piece = chunk[: min(len(chunk), size - sent)]
                if declare:
                    h.wfile.write(piece)
                else:
                    h.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                sent += len(piece)
            if not declare:
                h.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        h.close_connection = True
    return fault


def slow_body(body: bytes, seconds: float) -> Fault:
    """Headers at once, then the body a byte at a time over `seconds` (and more)."""
    def fault(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        try:
            for index in range(len(body)):
                h.wfile.write(body[index:index + 1])
                h.wfile.flush()
                time.sleep(seconds / 10)
        except (BrokenPipeError, ConnectionResetError):
            pass
        h.close_connection = True
    return fault


def serve_as(body: bytes, content_type: str = "application/json") -> Fault:
    """A 200 with this body: invalid UTF-8, an empty body, a wrong content type."""
    return lambda h: h.reply(200, body, content_type)


def content_type(value: str) -> Fault:
    """The path's own body (its query variant too), under a wrong content type."""
    def fault(h: _Handler) -> None:
        route = h.fake.routes.get(h.path) or h.fake.routes[urlsplit(h.path).path]
        h.reply(200, route.body, value)
    return fault


def redirect_loop() -> Fault:
    return lambda h: h.reply(302, b"", headers={"Location": h.path})


class WebhookReceiver:
    """A webhook endpoint on 127.0.0.1 that records POSTs; `up = False` answers 503."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        self.up = True
        self.delay_s = 0.0  # before answering: a slow receiver
        self.on_post: Callable[[], None] | None = None  # called before each answer
        # > 0: the POST is recorded, then answered 200 with a body of trickle_bytes sent one
        # byte every trickle_s (each read arrives in time; the whole reply takes their product)
        self.trickle_s = 0.0
        self.trickle_bytes = 100
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not receiver.up:
                    self.send_response(503)
                    self.end_headers()
                    return
                if receiver.on_post is not None:
                    receiver.on_post()
                time.sleep(receiver.delay_s)
                with receiver.lock:
                    receiver.received.append((body, dict(self.headers)))
                if receiver.trickle_s > 0:
                    self._trickle(receiver.trickle_s, receiver.trickle_bytes)
                    return
                self.send_response(204)
                self.end_headers()

            def _trickle(self, every_s: float, size: int) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                for _ in range(size):
                    try:
                        self.wfile.write(b"x")
                        self.wfile.flush()
                    except OSError:
                        return  # the sender gave up
                    time.sleep(every_s)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
