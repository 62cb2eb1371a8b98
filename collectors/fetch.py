"""The only network I/O in pricewatch: one httpx client per run, with timeouts, a size cap,
bounded retries of transient failures (honouring Retry-After), conditional GET, per-host
pacing, and a host allow-list that redirects cannot leave.

Secrets travel only in request headers, which nothing here logs or returns, and which a
redirect to another origin does not carry on; URLs are stored and logged with secret query
parameters (`key=`, `token=`, ...) redacted.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import logging
import re
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import certifi
import httpx
import stamina

from pricewatch.errors import PricewatchError
from pricewatch.records import FetchedBody
from pricewatch.settings import FetchSettings

log = logging.getLogger("pricewatch.fetch")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
SECRET_PARAMS = frozenset({"key", "api_key", "apikey", "token", "access_token", "auth"})
# Never sent on to another origin by a redirect (with every header the source itself set).
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie",
                                "x-goog-api-key"})

try:
    VERSION = version("llm-pricewatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    VERSION = "0+unknown"


class FetchError(PricewatchError):
    """A request that did not produce a usable body. `kind` names the fault (exit 1, a
    failed run, where a command lets it through)."""

    def __init__(self, source: str, url: str, kind: str, message: str,
                 status: int | None = None, retry_after_s: float | None = None) -> None:
        self.source, self.url, self.kind, self.status = source, redact(url), kind, status
        self.retry_after_s = retry_after_s
        super().__init__(f"{source}: {kind}: {scrub(message)} ({self.url})")

    @property
    def transient(self) -> bool:
        return self.kind in ("connect", "timeout", "protocol") or (
            self.kind == "http_status" and self.status in RETRY_STATUSES)


_USERINFO = re.compile(r"(?<=//)[^/?#@\s]+@")


def redact(url: str) -> str:
    """The URL with credentials (`user:pass@` of a configured base_url) and secret query
    parameters replaced, for logs, messages, the archive and exports."""
    url = _USERINFO.sub("REDACTED@", url)
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, "REDACTED" if k.lower() in SECRET_PARAMS else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def scrub(text: str) -> str:
    """Any URL credentials inside a message (an HTTP library's error names the URL)."""
    return _USERINFO.sub("REDACTED@", text)


def same_origin(url: str, target: str) -> bool:
    """Same scheme, host and port, or the same host moving from http to https on the default
    ports (the one change httpx and browsers keep credentials across)."""
    a, b = urlsplit(url), urlsplit(target)
    if a.hostname != b.hostname:
        return False
    if (a.scheme, a.port) == (b.scheme, b.port):
        return True
    return a.scheme == "http" and a.port in (None, 80) and b.scheme == "https" \
        and b.port in (None, 443)


def _without_credentials(headers: dict[str, str], request: Request) -> dict[str, str]:
    """What may follow a redirect to another origin: the source's own headers carry its
    credentials (`Authorization`, `X-Goog-Api-Key`), so none of them go, nor cookies."""
    dropped = {name.lower() for name in request.headers} | CREDENTIAL_HEADERS
    return {k: v for k, v in headers.items() if k.lower() not in dropped}


def user_agent(contact_url: str | None) -> str:
    contact = f"; +{contact_url}" if contact_url else ""
    return f"pricewatch/{VERSION} (LLM price tracker{contact})"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in either form: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verified TLS context per process: building one per client loads the CA bundle
    again each run, and a daemon's memory grew with every run (measured in bench/daemon.py)."""
    return ssl.create_default_context(cafile=certifi.where())


@dataclass
class _HostPacer:
    """Per-host concurrency limit and minimum spacing between request starts."""

    concurrency: int
    interval_s: float
    semaphore: asyncio.Semaphore = field(init=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0

    def __post_init__(self) -> None:
        self.semaphore = asyncio.Semaphore(self.concurrency)

    async def wait_turn(self) -> None:
        async with self.lock:
            delay = self.next_start - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.next_start = time.monotonic() + self.interval_s


@dataclass(frozen=True)
class Request:
    """One GET. `validators` are the ETag / Last-Modified of the last archived body."""

    source: str
    url: str
    allowed_hosts: frozenset[str]
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    retry_429: bool = True  # nscale's 429 means "insufficient credit", not throttling


class Fetcher:
    """One run's HTTP client. Use as `async with Fetcher(settings) as fetcher:`."""

    def __init__(self, settings: FetchSettings, transport: httpx.AsyncBaseTransport | None = None
                 ) -> None:
        self.settings = settings
        self._client = httpx.AsyncClient(
            verify=tls_context(),
            timeout=httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
            follow_redirects=False,
            headers={"User-Agent": user_agent(settings.contact_url)},
            transport=transport,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._pacers: dict[str, _HostPacer] = {}
        self.requests_sent = 0

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    def _pacer(self, host: str) -> _HostPacer:
        if host not in self._pacers:
            self._pacers[host] = _HostPacer(self.settings.per_host_concurrency,
                                            self.settings.min_request_interval_s)
        return self._pacers[host]

    async def get(self, request: Request) -> FetchedBody:
        """Fetch with retries; a 304 comes back as a body-less FetchedBody (status 304).

        Raises FetchError when the request fails for good.
        """
        started = time.monotonic()
        try:
            async for attempt in stamina.retry_context(
                    on=self._backoff_hook(request), attempts=self.settings.attempts,
                    timeout=None, wait_initial=self.settings.backoff_initial_s,
                    wait_max=self.settings.backoff_max_s, wait_jitter=1.0):
                with attempt:
                    if attempt.num > 1:
                        log.info("retry %d of %s", attempt.num - 1, redact(request.url))
                    return await self._attempt(request, started)
        except FetchError as error:
            # The run's own line says whether this mattered: a `.md` page missing before the
            # HTML one, or one model of a sweep, is not an error of the run.
            log.info("giving up on %s: %s", error.url, error)
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff_hook(self, request: Request):
        cap = self.settings.retry_after_max_s

        def hook(error: Exception) -> bool | float:
            if not isinstance(error, FetchError) or not error.transient:
                return False
            if error.status == 429 and not request.retry_429:
                return False
            if error.retry_after_s is not None:
                if error.retry_after_s > cap:
                    return False  # longer than we are willing to stall: give up now
                return error.retry_after_s
            return True

        return hook

    async def _attempt(self, request: Request, started: float) -> FetchedBody:
        url = request.url
        headers = dict(request.headers)
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        for _ in range(MAX_REDIRECTS + 1):
            host = urlsplit(url).hostname or ""
            if host not in request.allowed_hosts:
                raise FetchError(request.source, url, "redirect_refused",
                                 f"host {host!r} is not in the allow-list "
                                 f"{sorted(request.allowed_hosts)}")
            pacer = self._pacer(host)
            async with pacer.semaphore:
                await pacer.wait_turn()
                response, content = await self._send(request.source, url, headers)
            if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                target = urljoin(url, response.headers["location"])
                if not same_origin(url, target):
                    headers = _without_credentials(headers, request)
                url = target
                continue
            return self._to_body(request, url, response, content, started)
        raise FetchError(request.source, request.url, "redirect_loop",
                         f"more than {MAX_REDIRECTS} redirects")

    async def _send(self, source: str, url: str,
                    headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        cap = self.settings.max_body_bytes
        self.requests_sent += 1
        try:
            async with asyncio.timeout(self.settings.total_timeout_s), \
                    self._client.stream("GET", url, headers=headers) as response:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise FetchError(source, url, "too_large",
                                     f"declared {int(declared):,} bytes, cap is {cap:,}")
                chunks, size = [], 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > cap:
                        raise FetchError(source, url, "too_large",
                                         f"body exceeds the {cap:,}-byte cap")
                    chunks.append(chunk)
                return response, b"".join(chunks)
        except TimeoutError:
            raise FetchError(source, url, "timeout",
                             f"no complete response within {self.settings.total_timeout_s:g} s"
                             ) from None
        except httpx.TimeoutException as error:
            raise FetchError(source, url, "timeout", type(error).__name__) from None
        except httpx.ConnectError as error:
            raise FetchError(source, url, "connect", str(error) or "connection failed") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as error:
            raise FetchError(source, url, "protocol",
                             f"connection broken: {error or type(error).__name__}") from None
        except httpx.HTTPError as error:
            raise FetchError(source, url, "http", str(error) or type(error).__name__) from None

    def _to_body(self, request: Request, url: str, response: httpx.Response, content: bytes,
                 started: float) -> FetchedBody:
        status = response.status_code
        if status >= 400:
            retry_after = retry_after_seconds(response.headers.get("retry-after"))
            kind = "http_status"
            if status == 429 and not request.retry_429:
                kind = "insufficient_credit"
            snippet = content[:200].decode("utf-8", "replace").strip()
            raise FetchError(request.source, url, kind, f"HTTP {status}: {snippet!r}",
                             status=status, retry_after_s=retry_after)
        return FetchedBody(
            url=redact(url),
            fetched_at=datetime.now(UTC),
            content=None if status == 304 else content,
            status_code=status,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            content_type=response.headers.get("content-type"),
            elapsed_ms=round((time.monotonic() - started) * 1000, 1),
        )
