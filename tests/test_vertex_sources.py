"""vertex.quotas on the shared pages, vertex.skus on a Catalog response built in the API's
documented shape, and `pricewatch collect vertex` end to end against a local server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import fake_provider as fp
from helpers import fixture_path, write_config
from helpers.captures import PAGE_1, PAGE_2, sku
from helpers.vertex_pages import july_2026_page
from pricewatch.cli.main import app
from pricewatch.collectors import get_source
from pricewatch.collectors.base import ParseError, parse_bodies
from pricewatch.collectors.vertex.quotas import parse_quotas
from pricewatch.collectors.vertex.skus import describe, parse_skus
from pricewatch.records import PriceRecord
from pricewatch.warehouse.db import open_db

NOW = datetime(2026, 8, 1, tzinfo=UTC)
KEY = "AIza-test-key-0c9d8e7f"
runner = CliRunner()


def limits(name: str) -> dict[tuple[str, str, str], tuple[Decimal | None, bool]]:
    out = parse_quotas(fixture_path("vertex", name).read_bytes(), NOW)
    return {(r.scope, r.metric, r.condition): (r.value, r.enforced) for r in out.records}


def test_dynamic_shared_quota_models_2025() -> None:
    got = limits("quotas-2025-05-12.md")
    assert got[("gemini-2.5-pro", "fixed_quota", "pay-as-you-go")] == (None, False)
    assert {scope for scope, _, _ in got} == {
        "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.0-flash", "gemini-2.0-flash-lite",
        "gemini-1.5-pro", "gemini-1.5-flash", "textembedding-gecko"}
    # the base-model table's row, with the metric's own words as the note
    assert got[("textembedding-gecko", "requests_per_minute", "per region")] == \
        (Decimal(1500), True)


def test_standard_paygo_usage_tiers_and_system_limit() -> None:
    got = limits("standard-paygo-2026-04-10.txt")
    tier1 = "standard paygo usage tier 1: 30-day spend $10 - $250"
    assert got[("Gemini Pro models", "tokens_per_minute", tier1)] == (Decimal(500000), True)
    assert got[("Gemini Flash and Flash-Lite models", "tokens_per_minute", tier1)] \
        == (Decimal(2000000), True)
    assert got[("Gemini Pro models", "tokens_per_minute",
                "standard paygo usage tier 3: 30-day spend > $2000")] == (Decimal(2000000), True)
    assert got[("standard paygo models", "requests_per_minute", "per model per region")] \
        == (Decimal(30000), True)
    assert len(got) == 7


def test_partner_pages_per_region_quotas() -> None:
    mistral = limits("mistral-partner-page-2026.md")
    assert mistral[("mistral-medium-3", "requests_per_minute", "region us-central1")] \
        == (Decimal(90), True)
    assert mistral[("mistral-medium-3", "tokens_per_minute", "region us-central1")] \
        == (Decimal(315000), True)
    assert mistral[("codestral-2", "output_tokens_per_minute", "region europe-west4")] \
        == (Decimal(110000), True)
    assert len(mistral) == 16
    claude = limits("claude-partner-page-2025-05-12.md")
    assert claude[("claude-3.7-sonnet", "tokens_per_minute", "region europe-west1")] \
        == (Decimal(300000), True)
    assert len(claude) == 24


@pytest.mark.parametrize(("name", "model"), [
    ("llama4-maverick-model-page-2026.md", "llama-4-maverick-17b-128e"),
    ("llama4-scout-model-page-2026.md", "llama-4-scout-17b-16e"),
    ("deepseek-v31-model-page-2026.table.md", "deepseek-v3.1"),
    ("qwen3-235b-model-page-2026.md", "qwen3-235b-a22b-instruct-2507"),
])
def test_fixed_quota_not_supported(name: str, model: str) -> None:
    assert limits(name) == {(model, "fixed_quota", ""): (None, False)}


def sku_prices(payload: dict) -> dict[tuple, Decimal]:
    out = parse_skus(json.dumps(payload).encode(), NOW)
    return {(r.model, r.route, r.component, r.service_tier, r.context_threshold,
             r.effective_from): r.price for r in out.records if isinstance(r, PriceRecord)
            and r.usage_tier_start == 0}


def test_sku_descriptions_map_by_readable_rules() -> None:
    assert describe("Gemini 2.5 Flash Lite Text Input - Predictions") == (
        "gemini-2.5-flash-lite", "input", "", False, "standard")
    assert describe("Gemini 2.5 Flash GA Text Input - Predictions")[0] == "gemini-2.5-flash"
    assert describe("Gemini 3.5 Flash Regional Text Output - Predictions")[:3] == (
        "gemini-3.5-flash", "output", "non-global")
    assert describe("Gemini 2.5 Pro Text Input Caching (Long)") == (
        "gemini-2.5-pro", "cache_read", "", True, "standard")
    assert describe("Vertex AI Online Prediction Caching Storage") is None


def test_sku_pages_prices_per_million_tokens() -> None:
    first = sku_prices(PAGE_1)
    assert first == {
        ("gemini-2.5-pro", "", "input", "standard", 0, None): Decimal("1.25"),
        ("gemini-2.5-pro", "", "cache_read", "standard", 0, None): Decimal("0.125"),
        ("gemini-2.5-pro", "", "cache_read", "standard", 200000, None): Decimal("0.25"),
        ("gemini-2.5-flash-lite", "", "input", "standard", 0, None): Decimal("0.1"),
        ("gemini-2.5-flash", "", "input", "standard", 0, None): Decimal("0.3")}
    out = parse_skus(json.dumps(PAGE_1).encode(), NOW)
    assert out.warnings == ["vertex.skus: 1 of 6 SKUs map to no model price: "
                            "Vertex AI Online Prediction Caching Storage"]
    second = sku_prices(PAGE_2)
    assert second[("gemini-3.5-flash", "non-global", "output", "standard", 0, None)] \
        == Decimal("9.9")
    assert second[("gemini-2.5-pro", "", "output", "batch", 0, None)] == Decimal("5")
    assert second[("gemini-2.5-pro", "", "output", "standard", 0,
                   datetime(2027, 1, 1).date())] == Decimal("10")
    # Every tier is kept with its start: a free allowance, then $5 per 1M from 1M tokens.
    tiers = [(r.usage_tier_start, r.price) for r in parse_skus(json.dumps(PAGE_2).encode(),
                                                               NOW).records
             if isinstance(r, PriceRecord) and r.model == "llama-3.1-405b"]
    assert tiers == [(0, Decimal(0)), (1000000, Decimal(5))]


def test_sku_keys_the_payload_models_do_not_declare_are_unread_at_their_path() -> None:
    """The built SKUs use every key of the API reference: nothing unread. A key Google adds
    at any level is named at its path; a currency sent as a number fails the page naming
    the SKU (it was an untyped record error), a baseUnit sent as a number is a unit
    pricewatch does not name (the SKU maps to no price, as before)."""
    assert [u.path for u in parse_skus(json.dumps(PAGE_1).encode(), NOW).unread] == [
        "skus[] mapped to no model price"]
    page = json.loads(json.dumps({"skus": PAGE_1["skus"][:2], "kind": "list"}))
    first = page["skus"][0]
    first["isPreview"] = True
    info = first["pricingInfo"][0]
    info["tierGroup"] = "a"
    info["pricingExpression"]["tieredRates"][0]["unitPrice"]["display"] = "$1.25"
    out = parse_skus(json.dumps(page).encode(), NOW)
    assert [(u.path, u.count) for u in out.unread] == [
        ("kind", 1), ("skus[].isPreview", 1), ("skus[].pricingInfo[].pricingExpression."
                                                "tieredRates[].unitPrice.display", 1),
        ("skus[].pricingInfo[].tierGroup", 1)]
    assert len(out.records) == 2
    info["pricingExpression"]["tieredRates"][0]["unitPrice"]["currencyCode"] = 840
    with pytest.raises(ParseError, match=r"skus\[0\] \(Gemini 2.5 Pro Text Input - "
                                         r"Predictions\): currencyCode 840 is not a currency"):
        parse_skus(json.dumps(page).encode(), NOW)
    info["pricingExpression"]["tieredRates"][0]["unitPrice"]["currencyCode"] = "USD"
    info["pricingExpression"]["baseUnit"] = 1
    out = parse_skus(json.dumps(page).encode(), NOW)
    assert [r.component for r in out.records] == ["cache_read"]
    assert "1 of 2 SKUs map to no model price: Gemini 2.5 Pro Text Input" in out.warnings[0]


@pytest.fixture
def server():
    fake = fp.FakeProvider()
    fake.serve("/vertex-ai/generative-ai/pricing", b"", "text/html")
    fake.fail_always("/vertex-ai/generative-ai/pricing", fp.redirect(
        "/gemini-enterprise-agent-platform/generative-ai/pricing", 301))
    fake.serve("/gemini-enterprise-agent-platform/generative-ai/pricing",
               july_2026_page().encode(), "text/html")
    fake.serve("/partner/llama", fixture_path("vertex", "llama-partner-page.excerpt.txt")
               .read_bytes(), "text/plain")
    for name in ("quotas-2025-05-12.md", "standard-paygo-2026-04-10.txt",
                 "mistral-partner-page-2026.md"):
        fake.serve(f"/quotas/{name}", fixture_path("vertex", name).read_bytes(), "text/plain")
    fake.serve("/v1/services/C7E2-9256-1C43/skus?pageSize=5000", json.dumps(PAGE_1).encode())
    fake.serve("/v1/services/C7E2-9256-1C43/skus?pageSize=5000&pageToken=page-2",
               json.dumps(PAGE_2).encode())
    yield fake
    fake.close()


@pytest.fixture
def config(tmp_path: Path, server) -> Path:
    quotas = ", ".join(f'"{server.url("/quotas/" + n)}"' for n in (
        "quotas-2025-05-12.md", "standard-paygo-2026-04-10.txt", "mistral-partner-page-2026.md"))
    return write_config(tmp_path, f"""
[vertex]
pricing_page_url = "{server.url('/vertex-ai/generative-ai/pricing')}"
partner_page_urls = ["{server.url('/partner/llama')}"]
quota_page_urls = [{quotas}]
skus_url = "{server.url('/v1/services/C7E2-9256-1C43/skus')}"
allowed_hosts = ["127.0.0.1"]
""")


def collect(config: Path) -> tuple[int, dict[str, dict]]:
    result = runner.invoke(app, ["collect", "vertex", "--config", str(config), "--json"])
    return result.exit_code, {r["source"]: r for r in json.loads(result.stdout)}


def query(config: Path, sql: str) -> list[tuple]:
    with open_db(config.parent / "pw.duckdb", read_only=True) as con:
        return con.execute(sql).fetchall()


def test_collect_without_a_key(config: Path, server) -> None:
    code, runs = collect(config)
    assert code == 0
    assert {s: r["status"] for s, r in runs.items()} == {
        "vertex.pricing": "ok", "vertex.skus": "skipped", "vertex.quotas": "ok"}
    assert "GOOGLE_CLOUD_API_KEY" in runs["vertex.skus"]["message"]
    assert not any(p.startswith("/v1/") for _, p, _ in server.requests)
    rows = query(config, "SELECT route, price, effective_from FROM current_prices "
                         "WHERE model = 'gemini-3.5-flash' AND component = 'input' "
                         "AND service_tier = 'standard' AND context_threshold = 0 "
                         "ORDER BY route")
    assert rows == [("global", Decimal("1.5"), None),
                    ("non-global", Decimal("1.65"), datetime(2026, 7, 1).date())]
    assert query(config, "SELECT status FROM current_offers WHERE model = "
                         "'llama-3.2-90b-vision-instruct-maas'") == [("preview",)]
    assert query(config, "SELECT value FROM rate_limit_history WHERE scope = "
                         "'mistral-medium-3' AND metric = 'tokens_per_minute' AND condition = "
                         "'region us-central1'") == [(Decimal(315000),)]


def test_collect_with_a_key_prefers_the_catalog_and_reports_differences(
        config: Path, server, monkeypatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_API_KEY", KEY)
    code, runs = collect(config)
    assert code == 0 and runs["vertex.skus"]["status"] == "ok"
    sent = [(p, h) for _, p, h in server.requests if p.startswith("/v1/")]
    assert len(sent) == 2 and all(h["X-Goog-Api-Key"] == KEY for _, h in sent)
    assert KEY.encode() not in (config.parent / "pw.duckdb").read_bytes()
    rows = query(config, "SELECT price, source FROM current_prices WHERE model = "
                         "'gemini-2.5-pro' AND component = 'cache_read' AND context_threshold "
                         "= 0 AND service_tier = 'standard'")
    assert rows == [(Decimal("0.125"), "vertex.skus")]
    # Tiered rates: current_prices shows the first tier that charges, the tiers view all.
    assert query(config, "SELECT price, usage_tier_start, source FROM current_prices WHERE "
                         "model = 'llama-3.1-405b' AND component = 'input'") == [
        (Decimal(5), 1000000, "vertex.skus")]
    assert query(config, "SELECT usage_tier_start, price FROM current_price_tiers WHERE "
                         "model = 'llama-3.1-405b' ORDER BY 1") == [
        (0, Decimal(0)), (1000000, Decimal(5))]
    # 0.13 on the page vs 0.125 is within the page's rounding; $10 vs 10.5 is not.
    assert query(config, "SELECT model, component, context_threshold, page_price, "
                         "catalog_price, tolerance FROM vertex_price_discrepancies") == [
        ("gemini-2.5-pro", "output", 0, Decimal(10), Decimal("10.5"), Decimal("0.005"))]


def test_a_broken_page_layout_is_a_suspect_run_that_closes_nothing(config: Path,
                                                                   server) -> None:
    assert collect(config)[0] == 0
    before = query(config, "SELECT * EXCLUDE (valid_to, closed_by_run) FROM price_history "
                           "WHERE valid_to IS NULL ORDER BY ALL")
    broken = "".join(f"<table><tr><td>Model {i}</td><td>$ {i}</td></tr></table>"
                     for i in range(5))
    server.serve("/gemini-enterprise-agent-platform/generative-ai/pricing",
                 f"<html><body>{broken}</body></html>".encode(), "text/html")
    _, runs = collect(config)
    run = runs["vertex.pricing"]
    assert run["status"] == "suspect"
    assert "no price table recognised" in run["message"]
    assert "5 of 5 price tables not recognised" in run["message"]
    after = query(config, "SELECT * EXCLUDE (valid_to, closed_by_run) FROM price_history "
                          "WHERE valid_to IS NULL ORDER BY ALL")
    assert after == before and len(after) > 100


def test_a_failed_partner_page_makes_a_partial_run(config: Path, server) -> None:
    assert collect(config)[0] == 0
    server.fail_always("/partner/llama", fp.status(404))
    code, runs = collect(config)
    assert code == 0 and runs["vertex.pricing"]["status"] == "partial"
    # The preview model the failed page spoke for is not closed.
    assert query(config, "SELECT status FROM current_offers WHERE model = "
                         "'llama-3.2-90b-vision-instruct-maas'") == [("preview",)]


def test_sku_pages_that_contradict_each_other_leave_the_key_out() -> None:

    other = {"skus": [sku("Gemini 2.5 Pro Text Input - Predictions", (0, "0", 1300))]}
    result = parse_bodies(get_source("vertex.skus"), [("p1", json.dumps(PAGE_1).encode()),
                                          ("p2", json.dumps(other).encode())], NOW, None)
    inputs = [r for r in result.records or [] if isinstance(r, PriceRecord)
              and r.model == "gemini-2.5-pro" and r.component == "input"]
    assert inputs == []
    assert "SKUs price gemini-2.5-pro input (standard, route default) as 1.25 and 1.3" \
        in " ".join(result.warnings)


# A 2026 Claude quotas page as Google lays it out (from the format's description): a table per
# model whose rows are regions, the global endpoint and multi-region endpoints; models launched
# later list only global and multi-region rows; names carry "on Google Cloud".
CLAUDE_2026 = """# Quotas for Anthropic Claude models

## Per-model quotas

### Claude Opus 4.6 on Google Cloud

| Region | Quotas | Supported context length |
| --- | --- | --- |
| `us-east5 (Ohio)` | Up to 40 QPM, 400,000 TPM | 1,000,000 tokens |
| global endpoint | Up to 100 QPM, 2,000,000 TPM | 1,000,000 tokens |
| Multi-region (us) | Up to 60 QPM, 800,000 TPM | 1,000,000 tokens |

### Claude Sonnet 5

| Region | Quotas | Supported context length |
| --- | --- | --- |
| Global endpoint | Up to 200 QPM, 3,000,000 TPM | 1,000,000 tokens |
| EU multi-region | Up to 50 QPM, 500,000 TPM | 1,000,000 tokens |
"""


def test_claude_2026_global_and_multi_region_rows_are_their_own_conditions() -> None:
    out = parse_quotas(CLAUDE_2026.encode(), NOW)
    got = {(r.scope, r.metric, r.condition): r.value for r in out.records}
    assert got == {
        ("claude-opus-4.6", "requests_per_minute", "region us-east5"): 40,
        ("claude-opus-4.6", "tokens_per_minute", "region us-east5"): 400000,
        ("claude-opus-4.6", "requests_per_minute", "region global"): 100,
        ("claude-opus-4.6", "tokens_per_minute", "region global"): 2000000,
        ("claude-opus-4.6", "requests_per_minute", "multi-region us"): 60,
        ("claude-opus-4.6", "tokens_per_minute", "multi-region us"): 800000,
        ("claude-sonnet-5", "requests_per_minute", "region global"): 200,
        ("claude-sonnet-5", "tokens_per_minute", "region global"): 3000000,
        ("claude-sonnet-5", "requests_per_minute", "multi-region eu"): 50,
        ("claude-sonnet-5", "tokens_per_minute", "multi-region eu"): 500000}
    assert out.warnings == []  # nothing conflicting, nothing dropped


def test_the_2026_genai_quotas_page_of_embedding_limits_reads() -> None:
    page = b"""<h1>Generative AI on Vertex AI quotas</h1>
<p>This table lists the rate limits for embedding models, metric
embed_content_input_tokens_per_minute_per_base_model:</p>
<table><tr><th>Base model</th><th>Tokens per minute</th></tr>
<tr><td><code>base_model: gemini-embedding-001</code></td><td>5M (5,000,000)</td></tr>
<tr><td><code>base_model: text-embedding-005</code></td><td>1,500,000</td></tr></table>
<table><tr><th>Base model</th><th>Limit</th><th>Metric</th></tr>
<tr><td><code>base_model: text-multilingual-embedding-002</code></td><td>1,500 RPM</td>
<td>Online prediction requests per base model per minute per region per base_model</td></tr>
</table>"""
    got = {(r.scope, r.metric, r.condition): r.value
           for r in parse_quotas(page, NOW).records}
    assert got == {("gemini-embedding-001", "tokens_per_minute", ""): 5000000,
                   ("text-embedding-005", "tokens_per_minute", ""): 1500000,
                   ("text-multilingual-embedding-002", "requests_per_minute", "per region"): 1500}


def test_markdown_escapes_leave_the_condition_text() -> None:
    page = (fixture_path("vertex", "standard-paygo-2026-04-10.txt").read_text()
            .replace("> $2000", "\\> $2000")).encode()
    got = {(r.scope, r.condition) for r in parse_quotas(page, NOW).records}
    assert ("Gemini Pro models", "standard paygo usage tier 3: 30-day spend > $2000") in got
    assert not any("\\" in condition for _, condition in got)


def test_offer_rate_limits_finds_the_claude_limits_for_claude_prices(tmp_path) -> None:
    from pricewatch.pipeline import run as pipeline
    from pricewatch.settings import load_settings
    from pricewatch.warehouse.db import open_db

    settings = load_settings(db_path=tmp_path / "w.duckdb")
    price = ('{"kind": "price", "source": "vertex.pricing", "provider": "vertex", '
             '"model": "claude-opus-4.6", "route": "global", "component": "input", '
             '"unit": "per_1m_tokens", "price": "5"}\n'
             '{"kind": "offer", "source": "vertex.pricing", "provider": "vertex", '
             '"model": "claude-opus-4.6", "route": "global"}\n')
    pipeline.ingest_body(settings, "records", price.replace("vertex.pricing", "records")
                         .encode(), NOW, "prices")
    pipeline.ingest_body(settings, "vertex.quotas", CLAUDE_2026.encode(), NOW, "quotas")
    with open_db(settings.db_path, read_only=True) as con:
        found = con.execute("SELECT metric, condition, value FROM offer_rate_limits WHERE "
                            "model = 'claude-opus-4.6' ORDER BY ALL").fetchall()
    assert [(m, c, int(v)) for m, c, v in found] == [
        ("requests_per_minute", "multi-region us", 60),
        ("requests_per_minute", "region global", 100),
        ("requests_per_minute", "region us-east5", 40),
        ("tokens_per_minute", "multi-region us", 800000),
        ("tokens_per_minute", "region global", 2000000),
        ("tokens_per_minute", "region us-east5", 400000)]


def test_a_page_whose_known_section_is_gone_makes_a_partial_run_with_a_drift_entry() -> None:
    from pricewatch.collectors.base import parse_bodies
    from pricewatch.collectors.vertex.quotas import SOURCE

    bodies = [("https://cloud.google.com/quotas", CLAUDE_2026.encode()),
              ("https://cloud.google.com/gone", b"# Quotas\n\nThis page moved.\n")]
    result = parse_bodies(SOURCE, bodies, NOW, None)
    assert result.partial and result.error is None and len(result.records) == 10
    [drift] = result.unread
    assert drift.path == "page https://cloud.google.com/gone: nothing recognised"
    assert "no quota facts found" in drift.example
