"""Every collector against every fault, on a local server that serves all three providers.

For each (source, fault): a healthy baseline is collected first; then the fault is injected
on every path the source requested, the source is collected, and the run must either have
recovered (retried and succeeded) or have failed (or be suspect) with a message naming the
source and the fault. In every case no history interval is opened or closed by the fault,
no price alert appears, and the next healthy run continues the same history with no gap.
The matrix of outcomes is printed (`pytest -s tests/test_fault_matrix.py`).
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from helpers import fake_provider as fp
from helpers import fixture_path, write_config
from helpers.captures import API, CHOSEN, LIMITS_PAGE, PAGE_1, PAGE_2, load
from helpers.vertex_pages import july_2026_page
from pricewatch import collectors
from pricewatch.collectors import get_source
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import Settings, load_settings
from pricewatch.warehouse.db import open_db

DATA = Path(__file__).parent / "data"
SKUS = "/v1/services/C7E2-9256-1C43/skus"
SECRETS = {"OPENROUTER_API_KEY": "sk-or-v1-matrix-0000", "NSCALE_SERVICE_TOKEN": "ns-matrix",
           "GOOGLE_CLOUD_API_KEY": "AIza-matrix"}
SOURCES = tuple(source.name for source in collectors.sources())  # every collectable one
MAX_BODY = 3_000_000
POLYGLOT = "/aider/polyglot_leaderboard.yml"
ARENA = "/lmarena/result.csv"


@dataclass(frozen=True)
class Fault:
    name: str
    make: Callable[[bytes], fp.Fault]  # from the path's healthy body
    once: bool  # one request only: the retry should succeed
    expect: str  # "recovers", "fails" (with `words` in the message), or "no change"
    words: str = ""


def _http_date(seconds: float) -> str:
    return email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=seconds),
                                       usegmt=True)


def changed_layout(body: bytes) -> bytes:
    """A JSON with renamed fields, a page whose tables lost a column, or a page whose content
    moved elsewhere (only its first lines left)."""
    if body.lstrip().startswith((b"{", b"[")):
        return (body.replace(b'"id"', b'"identifier"').replace(b'"data"', b'"items"')
                .replace(b'"skus"', b'"items"'))
    if b"<table" in body:
        return re.sub(rb"(<tr[^>]*>\s*)<t[dh][^>]*>.*?</t[dh]>", rb"\1", body, flags=re.DOTALL)
    return body[:300]


FAULTS = (
    Fault("503 once", lambda b: fp.status(503), True, "recovers"),
    Fault("429 Retry-After s", lambda b: fp.retry_after("1"), True, "recovers"),
    Fault("429 Retry-After date", lambda b: fp.retry_after(_http_date(1)), True, "recovers"),
    Fault("503 always", lambda b: fp.status(503), False, "fails", "HTTP 503"),
    Fault("slow headers", lambda b: fp.sleep_then_serve(1.0), False, "fails", "timeout"),
    Fault("slow body", lambda b: fp.slow_body(b or b"{}", 3.0), False, "fails", "timeout"),
    Fault("reset", lambda b: fp.reset(), False, "fails", "protocol|connect"),
    Fault("truncated", lambda b: fp.truncated(b), False, "fails", "protocol"),
    Fault("invalid UTF-8", lambda b: fp.serve_as(b"\xff\xfe" + b[:200]), False, "fails",
          "UTF-8"),
    Fault("wrong content type", lambda b: fp.content_type("text/html"), False, "recovers"),
    Fault("HTML error 200", lambda b: fp.html_page(200), False, "fails"),
    Fault("empty 200", lambda b: fp.serve_as(b""), False, "fails"),
    Fault("redirect loop", lambda b: fp.redirect_loop(), False, "fails", "redirect_loop"),
    Fault("foreign redirect", lambda b: fp.redirect("http://example.invalid/x"), False,
          "fails", "redirect_refused"),
    Fault("oversized", lambda b: fp.oversized(MAX_BODY + 500_000), False, "fails",
          "too_large"),
    Fault("layout change", lambda b: fp.serve_as(changed_layout(b)), False, "no change"),
)


def serve_everything(fake: fp.FakeProvider) -> None:
    catalogue = load("models-2026-05-07.json")
    bundle = {item["modelId"]: item["response"]
              for item in load("endpoints-bundle-356-models-2026-05-18.json")["data"]}
    models = [m for m in catalogue["data"] if m["id"] in CHOSEN and m["id"] in bundle]
    fake.serve(f"{API}/models", json.dumps({"data": models}).encode())
    for model in models:
        fake.serve(f"{API}/models/{model['id']}/endpoints",
                   json.dumps(bundle[model["id"]]).encode())
    fake.serve(f"{API}/providers", fixture_path("openrouter", "providers-2026-05-07.json")
               .read_bytes())
    fake.serve(LIMITS_PAGE + ".md", fixture_path("openrouter", "limits-page-2026-10-07.md")
               .read_bytes(), "text/markdown")
    fake.serve(LIMITS_PAGE, (DATA / "openrouter-limits-page.html").read_bytes(), "text/html")
    fake.serve(f"{API}/key", json.dumps({"data": {
        "label": "sk-or-v1-mat...000", "limit": 25, "limit_reset": "monthly", "usage": 1.5,
        "free_model_daily_requests": {"used": 3, "limit": 1000, "remaining": 997}}}).encode())
    fake.serve("/nscale/v1/models", (DATA / "nscale-models-built.json").read_bytes())
    fake.serve("/hf/v1/models", fixture_path("nscale", "hf-router-models-2026-06-19.json")
               .read_bytes())
    fake.serve("/nscale/docs/rate-limits.md",
               fixture_path("nscale", "rate-limits-undated.txt").read_bytes(), "text/markdown")
    fake.serve(POLYGLOT, fixture_path("quality", "aider-polyglot_leaderboard-2025-01-31-"
                                      "1a6a16e0.yml").read_bytes(), "text/plain")
    fake.serve(ARENA, fixture_path("quality", "lmarena-history-result-2025-03-02-3e962ffe.csv")
               .read_bytes(), "text/csv")
    fake.serve("/vertex/pricing", july_2026_page().encode(), "text/html")
    fake.serve("/vertex/llama", fixture_path("vertex", "llama-partner-page.excerpt.txt")
               .read_bytes(), "text/plain")
    for name in ("quotas-2025-05-12.md", "standard-paygo-2026-04-10.txt",
                 "mistral-partner-page-2026.md"):
        fake.serve(f"/vertex/quotas/{name}", fixture_path("vertex", name).read_bytes(),
                   "text/plain")
    fake.serve(f"{SKUS}?pageSize=5000", json.dumps(PAGE_1).encode())
    fake.serve(f"{SKUS}?pageSize=5000&pageToken=page-2", json.dumps(PAGE_2).encode())


def configure(tmp_path: Path, fake: fp.FakeProvider) -> Settings:
    quotas = ", ".join(f'"{fake.url("/vertex/quotas/" + n)}"' for n in (
        "quotas-2025-05-12.md", "standard-paygo-2026-04-10.txt", "mistral-partner-page-2026.md"))
    path = write_config(tmp_path, f"""
[openrouter]
api_base = "{fake.url(API)}"
limits_page_url = "{fake.url(LIMITS_PAGE)}"
allowed_hosts = ["127.0.0.1"]
[nscale]
api_base = "{fake.url('/nscale/v1')}"
hf_router_url = "{fake.url('/hf/v1/models')}"
limits_page_url = "{fake.url('/nscale/docs/rate-limits')}"
allowed_hosts = ["127.0.0.1"]
[vertex]
pricing_page_url = "{fake.url('/vertex/pricing')}"
partner_page_urls = ["{fake.url('/vertex/llama')}"]
quota_page_urls = [{quotas}]
skus_url = "{fake.url(SKUS)}"
allowed_hosts = ["127.0.0.1"]
[aider]
polyglot_url = "{fake.url(POLYGLOT)}"
allowed_hosts = ["127.0.0.1"]
[lmarena]
history_url = "{fake.url(ARENA)}"
allowed_hosts = ["127.0.0.1"]
""", attempts=2, read_timeout_s=0.3, total_timeout_s=1.5, connect_timeout_s=1,
        max_body_bytes=MAX_BODY, retry_after_max_s=5)
    return load_settings(path)


def collect(settings: Settings, source: str) -> pipeline.RunOutcome:
    (outcome,) = asyncio.run(pipeline.collect(settings, [source]))
    return outcome


def state(settings: Settings) -> tuple[list[tuple], int, int]:
    """Open intervals of every history table, the count of closed ones, and of alerts."""
    with open_db(settings.db_path, read_only=True) as con:
        open_rows = con.execute("""
            SELECT 'price', key_hash, value_hash, valid_from FROM price_history
            WHERE valid_to IS NULL UNION ALL
            SELECT 'offer', key_hash, value_hash, valid_from FROM offer_history
            WHERE valid_to IS NULL UNION ALL
            SELECT 'limit', key_hash, value_hash, valid_from FROM rate_limit_history
            WHERE valid_to IS NULL UNION ALL
            SELECT 'provider', key_hash, value_hash, valid_from FROM provider_directory_history
            WHERE valid_to IS NULL ORDER BY ALL""").fetchall()
        closed = con.execute("""
            SELECT (SELECT count(*) FROM price_history WHERE valid_to IS NOT NULL)
                 + (SELECT count(*) FROM offer_history WHERE valid_to IS NOT NULL)
                 + (SELECT count(*) FROM rate_limit_history WHERE valid_to IS NOT NULL)
            """).fetchall()[0][0]
        # a changed layout is format drift, and saying so is the point (format_drift);
        # every other alert must stay as it was
        alerts = con.execute("SELECT count(*) FROM price_alerts WHERE kind <> 'format_drift'"
                             ).fetchall()[0][0]
    return open_rows, closed, alerts


def drift(settings: Settings, source: str) -> int:
    with open_db(settings.db_path, read_only=True) as con:
        return con.execute("SELECT count(*) FROM price_alerts WHERE kind = 'format_drift' "
                           "AND model = ?", [source]).fetchall()[0][0]


def check(source: str, fault: Fault, outcome: pipeline.RunOutcome) -> str | None:
    """What is wrong with a faulted run's outcome, or None."""
    status, message = outcome.status, outcome.message or ""
    expect = fault.expect
    if source == "nscale.models" and fault.name.startswith("429"):
        expect, words = "fails", "insufficient_credit"  # nscale's 429: out of credit
    else:
        words = fault.words
    if expect == "recovers":
        return None if status in ("ok", "unchanged") else f"{status}: {message}"
    if expect == "no change" and status in ("ok", "unchanged"):
        return None  # the changed layout still parsed to the same records: checked by state
    if status not in ("failed", "suspect"):
        return f"expected failed or suspect, got {status}: {message}"
    if source not in message:
        return f"message does not name {source}: {message}"
    if words and not re.search(words, message):
        return f"message does not name the fault ({words}): {message}"
    return None


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[fp.FakeProvider, Settings]:
    fake = fp.FakeProvider()
    serve_everything(fake)
    yield fake, configure(tmp_path_factory.mktemp("matrix"), fake)
    fake.close()


@pytest.fixture(autouse=True)
def secrets(monkeypatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def matrix() -> Iterator[dict[str, dict[str, str]]]:
    """Each case's run status; printed as a table when the module ends (`pytest -s`)."""
    found: dict[str, dict[str, str]] = {}
    yield found
    if found:
        print_matrix(found)


@pytest.fixture(scope="module")
def baselines() -> dict[str, dict[str, bytes]]:
    return {}


def healthy_paths(world, baselines: dict[str, dict[str, bytes]], source: str) -> dict[str, bytes]:
    """The paths one healthy run of `source` requests, with their bodies; the first call per
    source collects it (after the source it needs), so any one case runs alone with -k."""
    if source not in baselines:
        needs = get_source(source).needs
        if needs:
            healthy_paths(world, baselines, needs)
        fake, settings = world
        seen = len(fake.requests)
        baseline = collect(settings, source)
        assert baseline.status == "ok", (source, baseline.message)
        baselines[source] = {p: body for p in sorted({p for _, p, _ in fake.requests[seen:]})
                             if (body := served(fake, p)) is not None}
    return baselines[source]


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=lambda fault: fault.name)
@pytest.mark.parametrize("source", SOURCES)
def test_fault(world, baselines, matrix, source: str, fault: Fault) -> None:
    """One source, one fault on every path it requests: the run fails or recovers as
    expected, changes no history and no alert, and the healthy run after it continues the
    same history."""
    fake, settings = world
    bodies = healthy_paths(world, baselines, source)
    before = state(settings)
    for path, body in bodies.items():
        injected = fault.make(body)
        fake.fail(path, injected) if fault.once else fake.fail_always(path, injected)
    outcome = collect(settings, source)
    for path in bodies:
        fake.heal(path)
    matrix.setdefault(source, {})[fault.name] = outcome.status
    assert check(source, fault, outcome) is None, check(source, fault, outcome)
    assert state(settings) == before, f"history or alerts changed after a {outcome.status} run"
    if fault.name == "layout change" and outcome.status == "suspect":
        assert drift(settings, source) > 0, "a suspect layout change raised no format_drift"
    healthy = collect(settings, source)
    assert healthy.status in ("ok", "unchanged"), f"no clean recovery: {healthy.message}"
    assert state(settings) == before, "the healthy run after the fault changed history"


def served(fake: fp.FakeProvider, path: str) -> bytes | None:
    """The healthy body of a path (or of its first query variant); None if not served."""
    route = fake.routes.get(path) or next(
        (r for k, r in fake.routes.items() if k.startswith(path + "?")), None)
    return route.body if route else None


def print_matrix(matrix: dict[str, dict[str, str]]) -> None:
    names = [f.name for f in FAULTS]
    width = max(len(s) for s in matrix) + 1
    print("\nfault matrix (run status per source and fault)")
    for index, name in enumerate(names):
        print(f"  F{index + 1:<2} {name}")
    print(" " * width + " ".join(f"F{i + 1:<9}" for i in range(len(names))))
    for source, row in matrix.items():
        print(source.ljust(width) + " ".join(row.get(n, "-")[:10].ljust(10) for n in names))
    print(f"{len(matrix)} sources x {len(names)} faults = "
          f"{sum(len(r) for r in matrix.values())} faulted runs")


def test_secrets_are_never_logged_or_archived(world, caplog) -> None:
    """Every source collected with all three secrets set and DEBUG logging: no secret in the
    log, the database file, its write-ahead log, the archived bodies or URLs."""
    fake, settings = world
    with caplog.at_level(logging.DEBUG):
        for source in SOURCES:
            assert collect(settings, source).status in ("ok", "unchanged"), source
    sent = {name: [h for _, p, h in fake.requests if value in " ".join(h.values())]
            for name, value in SECRETS.items()}
    assert all(sent.values()), "each secret was sent, as a header"
    files = [p for p in Path(settings.db_path).parent.rglob("*") if p.is_file()]
    assert any(p.suffix == ".gz" for p in files), "the bodies are archived as files"
    with open_db(settings.db_path, read_only=True) as con:
        urls = " ".join(r[0] for r in con.execute("SELECT url FROM fetch_log").fetchall())
    for value in SECRETS.values():
        assert value not in caplog.text
        assert value not in urls
        for path in files:
            data = path.read_bytes()
            assert value.encode() not in (gzip.decompress(data) if path.suffix == ".gz"
                                          else data), path
