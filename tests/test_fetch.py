"""The fetch layer against a local server: retries, Retry-After, caps, redirects, pacing."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from helpers import fake_provider as fp
from pricewatch.collectors.fetch import (
    Fetcher,
    FetchError,
    Request,
    redact,
    retry_after_seconds,
    same_origin,
)
from pricewatch.settings import FetchSettings

BODY = b'{"data": [1, 2, 3]}'


@pytest.fixture
def server():
    fake = fp.FakeProvider()
    fake.serve("/ok", BODY)
    yield fake
    fake.close()


def quick(**overrides) -> FetchSettings:
    base = {"backoff_initial_s": 0.01, "backoff_max_s": 0.05, "min_request_interval_s": 0,
            "read_timeout_s": 2, "total_timeout_s": 5, "attempts": 3}
    return FetchSettings(**(base | overrides))


def get(server: fp.FakeProvider, path: str = "/ok", settings: FetchSettings | None = None,
        **request) -> object:
    async def run():
        async with Fetcher(settings or quick()) as fetcher:
            return await fetcher.get(Request("test.source", server.url(path),
                                             frozenset({"127.0.0.1"}), **request))
    return asyncio.run(run())


def test_500_then_200_is_retried(server) -> None:
    server.fail("/ok", fp.status(500))
    body = get(server)
    assert body.content == BODY and body.status_code == 200
    assert server.hits("/ok") == 2


def test_429_retry_after_seconds_is_honoured(server) -> None:
    server.fail("/ok", fp.retry_after("1"))
    started = time.monotonic()
    assert get(server).content == BODY
    assert time.monotonic() - started >= 0.95
    assert server.hits("/ok") == 2


def test_retry_after_http_date_is_honoured(server) -> None:
    when = datetime.now(UTC) + timedelta(seconds=2)
    server.fail("/ok", fp.retry_after(format_datetime(when, usegmt=True), code=503))
    started = time.monotonic()
    assert get(server).content == BODY
    assert time.monotonic() - started >= 0.9  # the date has one-second resolution


def test_retry_after_longer_than_the_cap_gives_up(server) -> None:
    server.fail("/ok", fp.retry_after("3600"))
    with pytest.raises(FetchError) as caught:
        get(server)
    assert caught.value.status == 429 and server.hits("/ok") == 1


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30
    assert retry_after_seconds("soon") is None


def test_404_is_not_retried(server) -> None:
    with pytest.raises(FetchError, match="HTTP 404") as caught:
        get(server, "/missing")
    assert caught.value.kind == "http_status" and server.hits("/missing") == 1


def test_persistent_503_gives_up_after_the_configured_attempts(server) -> None:
    server.fail_always("/ok", fp.status(503))
    with pytest.raises(FetchError, match="HTTP 503"):
        get(server)
    assert server.hits("/ok") == 3


def test_read_timeout_is_retried_then_reported(server) -> None:
    server.fail("/ok", fp.sleep_then_serve(1.5))
    body = get(server, settings=quick(read_timeout_s=0.3))
    assert body.content == BODY and server.hits("/ok") == 2
    server.fail_always("/ok", fp.sleep_then_serve(1.5))
    with pytest.raises(FetchError) as caught:
        get(server, settings=quick(read_timeout_s=0.3, attempts=2))
    assert caught.value.kind == "timeout"


def test_connection_reset_is_retried(server) -> None:
    server.fail("/ok", fp.reset())
    assert get(server).content == BODY
    assert server.hits("/ok") == 2


def test_truncated_body_is_retried_and_never_returned_half(server) -> None:
    server.fail("/ok", fp.truncated(BODY))
    assert get(server).content == BODY
    server.fail_always("/ok", fp.truncated(BODY))
    with pytest.raises(FetchError) as caught:
        get(server)
    assert caught.value.kind == "protocol"


def test_redirect_to_another_host_is_refused(server) -> None:
    server.fail("/ok", fp.redirect("http://evil.example/steal"))
    with pytest.raises(FetchError, match=r"evil\.example") as caught:
        get(server)
    assert caught.value.kind == "redirect_refused"


def test_redirect_within_the_host_is_followed(server) -> None:
    server.serve("/new", BODY)
    server.fail("/ok", fp.redirect("/new", 301))
    assert get(server).content == BODY
    assert server.hits("/new") == 1


SECRETS = {"Authorization": "Bearer sk-test-secret", "X-Goog-Api-Key": "AIza-test-key"}


def _headers_seen(provider: fp.FakeProvider, path: str) -> dict[str, str]:
    (headers,) = [h for _, p, h in provider.requests if p == path]
    return {k.lower(): v for k, v in headers.items()}


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_redirect_to_another_origin_drops_credentials(server, host: str) -> None:
    """Another local server (another host name, or another port: another origin) gets the
    request without the source's credentials, as httpx's own redirects and browsers do."""
    other = fp.FakeProvider()
    try:
        other.serve("/moved", BODY)
        target = other.url("/moved").replace("127.0.0.1", host)
        server.fail("/ok", fp.redirect(target, 307))

        async def run():
            async with Fetcher(quick()) as fetcher:
                return await fetcher.get(Request(
                    "test.source", server.url("/ok"), frozenset({"127.0.0.1", "localhost"}),
                    headers=SECRETS))
        assert asyncio.run(run()).content == BODY
        first, moved = _headers_seen(server, "/ok"), _headers_seen(other, "/moved")
        assert first["authorization"] == SECRETS["Authorization"]
        assert first["x-goog-api-key"] == SECRETS["X-Goog-Api-Key"]
        assert "authorization" not in moved and "x-goog-api-key" not in moved
        assert moved["user-agent"].startswith("pricewatch/")
    finally:
        other.close()


def test_redirect_within_the_origin_keeps_credentials(server) -> None:
    server.serve("/new", BODY)
    server.fail("/ok", fp.redirect("/new", 302))
    assert get(server, headers=SECRETS).content == BODY
    assert _headers_seen(server, "/new")["x-goog-api-key"] == SECRETS["X-Goog-Api-Key"]


@pytest.mark.parametrize(("url", "target", "same"), [
    ("https://a.example/x", "https://a.example/y", True),
    ("http://a.example/x", "https://a.example/y", True),   # the upgrade keeps them
    ("https://a.example/x", "http://a.example/y", False),  # a downgrade does not
    ("https://a.example/x", "https://b.example/x", False),
    ("https://a.example/x", "https://a.example:8443/x", False),
    ("http://a.example:8080/x", "https://a.example/x", False),
])
def test_same_origin(url: str, target: str, same: bool) -> None:
    assert same_origin(url, target) is same


def test_redirect_loop_ends(server) -> None:
    server.fail_always("/ok", fp.redirect("/ok"))
    with pytest.raises(FetchError) as caught:
        get(server)
    assert caught.value.kind == "redirect_loop"


@pytest.mark.parametrize("declare", [True, False])
def test_body_over_the_cap_is_refused(server, declare: bool) -> None:
    server.fail("/ok", fp.oversized(300_000, declare=declare))
    with pytest.raises(FetchError) as caught:
        get(server, settings=quick(max_body_bytes=100_000))
    assert caught.value.kind == "too_large"
    assert server.hits("/ok") == 1  # not retried


def test_conditional_get_and_304(server) -> None:
    first = get(server)
    assert first.etag
    again = get(server, etag=first.etag)
    assert again.status_code == 304 and again.content is None
    assert server.requests[-1][2].get("If-None-Match") == first.etag


def test_user_agent_names_project_version_and_contact(server) -> None:
    get(server, settings=quick(contact_url="https://example.org/ops"))
    agent = server.requests[-1][2]["User-Agent"]
    assert agent.startswith("pricewatch/") and "+https://example.org/ops" in agent


def test_insufficient_credit_429_is_reported_not_retried(server) -> None:
    server.fail_always("/ok", fp.status(429, b'{"error": "insufficient credit"}'))
    with pytest.raises(FetchError) as caught:
        get(server, retry_429=False)
    assert caught.value.kind == "insufficient_credit" and server.hits("/ok") == 1


def test_pacing_spaces_requests_to_one_host(server) -> None:
    async def run():
        async with Fetcher(quick(min_request_interval_s=0.2, per_host_concurrency=4)) as f:
            request = Request("t", server.url("/ok"), frozenset({"127.0.0.1"}))
            await asyncio.gather(*(f.get(request) for _ in range(4)))
    asyncio.run(run())
    starts = sorted(t for t, _, _ in server.requests)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4 and min(gaps) >= 0.18


def test_concurrency_limit_per_host(server) -> None:
    server.delay_s = 0.3

    async def run():
        async with Fetcher(quick(per_host_concurrency=1)) as f:
            request = Request("t", server.url("/ok"), frozenset({"127.0.0.1"}))
            started = time.monotonic()
            await asyncio.gather(*(f.get(request) for _ in range(3)))
            return time.monotonic() - started
    assert asyncio.run(run()) >= 0.85  # three 0.3 s responses one at a time


def test_secrets_in_urls_are_redacted() -> None:
    assert redact("https://x.test/v1/skus?key=SECRET&pageToken=2") == \
        "https://x.test/v1/skus?key=REDACTED&pageToken=2"
    error = FetchError("s", "https://x.test/a?api_key=SECRET", "timeout", "slow")
    assert "SECRET" not in str(error)
