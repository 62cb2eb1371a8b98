"""nscale: the Hugging Face router capture, our documented-shape API fixture, the limits
FAQ, and `pricewatch collect nscale` end to end against a local server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import fake_provider as fp
from helpers import fixture_path, write_config
from pricewatch.cli.main import app
from pricewatch.collectors.base import ParseError
from pricewatch.collectors.nscale.hf_router import parse_hf_router
from pricewatch.collectors.nscale.limits import parse_limits
from pricewatch.collectors.nscale.models import parse_models
from pricewatch.collectors.nscale.offers import money
from pricewatch.collectors.nscale.settings import NscaleSettings
from pricewatch.records import MeasurementRecord, OfferRecord, PriceRecord
from pricewatch.warehouse.db import open_db

NOW = datetime(2026, 9, 1, tzinfo=UTC)
BUILT = Path(__file__).parent / "data" / "nscale-models-built.json"
HF = "hf-router-models-2026-06-19.json"
TOKEN = "nscale-test-token-5f1e2d3c"
runner = CliRunner()


def hf_nscale_offers() -> dict[str, dict]:
    raw = json.loads(fixture_path("nscale", HF).read_text())
    return {m["id"]: p for m in raw["data"] for p in m["providers"] if p["provider"] == "nscale"}


def test_hf_router_capture_exact_figures() -> None:
    records = parse_hf_router(fixture_path("nscale", HF).read_bytes(), NOW).records
    expected = hf_nscale_offers()
    offers = {r.model: r for r in records if isinstance(r, OfferRecord)}
    assert set(offers) == set(expected) and len(offers) == 16
    prices = {(r.model, r.component): r for r in records if isinstance(r, PriceRecord)}
    for model, raw in expected.items():
        offer = offers[model]
        assert offer.provider == "nscale" and offer.route == "huggingface"
        assert offer.context_length == raw["context_length"]
        assert offer.status == "available"  # every offer in the capture is "live"
        assert ("tools" in offer.capabilities) == raw["supports_tools"]
        assert ("structured_outputs" in offer.capabilities) == raw["supports_structured_output"]
        for side in ("input", "output"):
            record = prices[(model, side)]
            assert record.unit == "per_1m_tokens"
            assert record.price == Decimal(str(raw["pricing"][side]))
    assert prices[("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "input")].price == Decimal("0.05")
    assert prices[("Qwen/Qwen2.5-Coder-32B-Instruct", "output")].price == Decimal("0.2")
    latency = {r.model: r.value for r in records
               if isinstance(r, MeasurementRecord) and r.metric == "first_token_latency_ms"}
    assert latency["Qwen/Qwen3-8B"] == Decimal("519.8")


def test_hf_router_other_providers_by_configuration() -> None:
    records = parse_hf_router(fixture_path("nscale", HF).read_bytes(), NOW,
                              NscaleSettings(hf_providers=["nscale", "novita"])).records
    assert {r.provider for r in records} == {"nscale", "novita"}


def test_float_noise_is_rounded_through_the_decimal_text() -> None:
    assert money(Decimal("0.030000000000000002"), "s", "x") == Decimal("0.03")
    assert money("0.0013", "s", "x") == Decimal("0.0013")
    body = (b'{"object": "list", "data": [{"id": "a/B", "providers": [{"provider": "nscale",'
            b'"status": "staging", "pricing": {"input": 0.030000000000000002, "output": 0.1}},'
            b'{"provider": "nscale", "status": "error"}]}, {"id": "c/D", "providers": '
            b'[{"provider": "nscale", "status": "live"}]}]}')
    records = parse_hf_router(body, NOW).records
    price = next(r for r in records if isinstance(r, PriceRecord) and r.component == "input")
    assert str(price.price) == "0.03"
    unknown = next(r for r in records if isinstance(r, OfferRecord) and r.model == "c/D")
    assert unknown.context_length is None  # unknown, not zero
    assert not [r for r in records if isinstance(r, PriceRecord) and r.model == "c/D"]
    statuses = [r.status for r in records if isinstance(r, OfferRecord) and r.model == "a/B"]
    assert statuses == ["preview", "unavailable"]


def test_documented_shape_models_fixture() -> None:
    records = parse_models(BUILT.read_bytes(), NOW).records
    offers = {r.model: r for r in records if isinstance(r, OfferRecord)}
    prices = {(r.model, r.component): r for r in records if isinstance(r, PriceRecord)}
    assert len(offers) == 23
    assert prices[("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "input")].price == Decimal("0.05")
    assert prices[("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "output")].price == Decimal("0.05")
    assert prices[("Qwen/Qwen2.5-Coder-32B-Instruct", "input")].price == Decimal("0.06")
    assert prices[("Qwen/Qwen2.5-Coder-32B-Instruct", "output")].price == Decimal("0.2")
    flux = prices[("black-forest-labs/FLUX.1-schnell", "output")]
    assert (flux.price, flux.unit) == (Decimal("0.0013"), "per_megapixel")
    assert ("black-forest-labs/FLUX.1-schnell", "input") not in prices
    assert prices[("Qwen/Qwen3-Embedding-8B", "input")].price == Decimal("0.04")
    assert ("Qwen/Qwen3-Embedding-8B", "output") not in prices  # absent, not zero
    assert "embeddings" in offers["Qwen/Qwen3-Embedding-8B"].capabilities
    mixtral = offers["mistralai/mixtral-8x22b-instruct-v0.1"]  # ids kept as given
    assert (mixtral.status, str(mixtral.retiring_on)) == ("retiring", "2026-10-31")
    # Every chat price equals the manifest's microdollars per 1M / 1,000,000.
    manifest = json.loads(fixture_path("nscale", "models-manifest-2026-08-25.json").read_text())
    for model in manifest["models"]:
        if model["model_type"] == "chat":
            assert prices[(model["upstream_id"], "input")].price == \
                Decimal(model["input_token_price_per_m"]) / 1_000_000


def test_limits_faq_is_not_enforced() -> None:
    (record,) = parse_limits(fixture_path("nscale", "rate-limits-undated.txt").read_bytes(), NOW)
    assert (record.value, record.enforced) == (None, False)
    assert "not enforced" in record.note


def test_limits_page_with_figures_is_parsed_as_figures() -> None:
    body = b"<html><body><p>We allow 600 requests per minute and 1,000,000 tokens per " \
           b"minute per key.</p></body></html>"
    records = parse_limits(body, NOW)
    assert {(r.metric, r.value) for r in records} == {
        ("requests_per_minute", 600), ("tokens_per_minute", 1_000_000)}


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"detail": "Unauthorized"}',
                                  b'{"data": [{"id": "x", "pricing": {"input": -1}}]}'])
def test_bad_models_bodies_raise_typed_errors(body: bytes) -> None:
    with pytest.raises(ParseError, match=r"^nscale\.models"):
        parse_models(body, NOW)


# End to end ---------------------------------------------------------------------------


@pytest.fixture
def server():
    fake = fp.FakeProvider()
    fake.serve("/v1/models", BUILT.read_bytes())
    fake.serve("/hf/v1/models", fixture_path("nscale", HF).read_bytes())
    fake.serve("/docs/faqs/rate-limits.md",
               fixture_path("nscale", "rate-limits-undated.txt").read_bytes(), "text/markdown")
    yield fake
    fake.close()


@pytest.fixture
def config(tmp_path: Path, server) -> Path:
    return write_config(tmp_path, f"""
[nscale]
api_base = "{server.url('/v1')}"
hf_router_url = "{server.url('/hf/v1/models')}"
limits_page_url = "{server.url('/docs/faqs/rate-limits')}"
allowed_hosts = ["127.0.0.1"]
""")


def collect(config: Path) -> tuple[int, dict[str, dict]]:
    result = runner.invoke(app, ["collect", "nscale", "--config", str(config), "--json"])
    return result.exit_code, {r["source"]: r for r in json.loads(result.stdout)}


def history(config: Path) -> list[tuple]:
    with open_db(config.parent / "pw.duckdb", read_only=True) as con:
        return con.execute("SELECT source, model, route, component, price, valid_to "
                           "FROM price_history ORDER BY ALL").fetchall()


def test_collect_without_a_token_skips_the_api(config: Path, server) -> None:
    code, runs = collect(config)
    assert code == 0
    assert {s: r["status"] for s, r in runs.items()} == {
        "nscale.models": "skipped", "nscale.hf-router": "ok", "nscale.limits": "ok"}
    assert "NSCALE_SERVICE_TOKEN" in runs["nscale.models"]["message"]
    assert server.hits("/v1/models") == 0
    assert len(history(config)) == 32  # 16 offers x input and output


def test_collect_with_a_token(config: Path, server, monkeypatch) -> None:
    monkeypatch.setenv("NSCALE_SERVICE_TOKEN", TOKEN)
    code, runs = collect(config)
    assert code == 0 and runs["nscale.models"]["status"] == "ok"
    sent = [h for _, p, h in server.requests if p == "/v1/models"]
    assert sent[0]["Authorization"] == f"Bearer {TOKEN}"
    with open_db(config.parent / "pw.duckdb", read_only=True) as con:
        rows = dict(con.execute("SELECT source, count(*) FROM offer_history GROUP BY source")
                    .fetchall())
    assert rows == {"nscale.models": 23, "nscale.hf-router": 16}
    assert TOKEN.encode() not in (config.parent / "pw.duckdb").read_bytes()


@pytest.mark.parametrize(("fault", "message"), [
    (fp.status(401, b'{"detail": "Invalid API key"}'), "HTTP 401"),
    (fp.status(429, b'{"detail": "Insufficient credit"}'), "insufficient_credit"),
    (fp.status(503), "HTTP 503"),
    (fp.html_page(200), "not JSON"),
])
def test_api_faults_fail_cleanly_and_close_nothing(config: Path, server, monkeypatch, fault,
                                                    message: str) -> None:
    monkeypatch.setenv("NSCALE_SERVICE_TOKEN", TOKEN)
    assert collect(config)[0] == 0
    before = history(config)
    server.fail_always("/v1/models", fault)
    code, runs = collect(config)
    assert code == 1
    run = runs["nscale.models"]
    assert run["status"] == "failed" and message in run["message"]
    assert run["message"].startswith("nscale.models")
    assert history(config) == before
    if "insufficient" in message:
        assert server.hits("/v1/models") == 2  # one per sweep: a 429 here is not retried


def test_hf_router_modalities_come_from_the_file() -> None:
    """Llama 4 Scout takes images (architecture.input_modalities): vision, not text only."""
    records = parse_hf_router(fixture_path("nscale", HF).read_bytes(), NOW).records
    offers = {r.model: r for r in records if isinstance(r, OfferRecord)}
    scout = offers["meta-llama/Llama-4-Scout-17B-16E-Instruct"]
    assert scout.input_modalities == ["image", "text"] and "image_input" in scout.capabilities
    text_only = [r for r in offers.values() if r.input_modalities == ["text"]]
    assert text_only and all("image_input" not in (r.capabilities or []) for r in text_only)


def test_pricing_keys_nscale_does_not_read_are_recorded_as_unread() -> None:
    body = json.dumps({"object": "list", "data": [
        {"id": "a/B", "object": "model", "pricing": {"input": 0.1, "output": 0.2,
                                                     "cached_input": 0.05}}]}).encode()
    output = parse_models(body, NOW)
    assert [(u.path, u.count, u.example) for u in output.unread] == [
        ("data[].pricing.cached_input", 1, "a/B")]
    assert {r.component for r in output.records if r.kind == "price"} == {"input", "output"}


def test_a_value_of_another_type_is_no_figure_and_an_undeclared_key_is_unread() -> None:
    """`context_length: true` was read as a context of 1 token before the payload models;
    it is no figure now. A NaN throughput is no measurement. Keys the entry, the router's
    offer or its pricing do not declare are unread, each under its path."""
    own = json.dumps({"object": "list", "data": [
        {"id": "a/B", "object": "model", "context_length": True, "region": "eu",
         "pricing": {"input": 0.1, "output": 0.2}}]}).encode()
    output = parse_models(own, NOW)
    [offer] = [r for r in output.records if isinstance(r, OfferRecord)]
    assert offer.context_length is None
    assert [(u.path, u.count) for u in output.unread] == [("data[].region", 1)]
    router = (b'{"object": "list", "data": [{"id": "a/C", "object": "model", "tier": 1, '
              b'"providers": [{"provider": "nscale", "status": "live", "context_length": '
              b'32768.0, "throughput": NaN, "first_token_latency_ms": 250, "zone": "uk", '
              b'"pricing": {"input": 0.1, "output": "0.3", "batch": 0.05}}, '
              b'{"provider": "other", "status": "live", "zone": "us"}, 5]}]}')
    output = parse_hf_router(router, NOW)
    [offer] = [r for r in output.records if isinstance(r, OfferRecord)]
    assert (offer.context_length, offer.status) == (32768, "available")
    assert [(r.metric, r.value) for r in output.records
            if isinstance(r, MeasurementRecord)] == [("first_token_latency_ms", 250)]
    assert {r.component: r.price for r in output.records if isinstance(r, PriceRecord)} == {
        "input": Decimal("0.1"), "output": Decimal("0.3")}
    assert [(u.path, u.count) for u in output.unread] == [
        ("data[].providers[].pricing.batch", 1), ("data[].providers[].zone", 1),
        ("data[].tier", 1)]


def test_one_bad_nscale_model_is_left_out_and_named() -> None:
    body = json.dumps({"object": "list", "data": [
        {"id": "a/Good", "object": "model", "pricing": {"input": 0.1, "output": 0.2}},
        {"id": "a/Bad", "object": "model", "pricing": {"input": "0x10", "output": 0.2}},
        {"object": "model"}]}).encode()
    output = parse_models(body, NOW)
    assert output.left_out == 2 and output.scope == frozenset({("nscale", "a/Good")})
    assert output.warnings[0].startswith("nscale.models: 2 of 3 models left out")
    assert "'a/Bad'" in output.warnings[0] and "data[2]: no model id" in output.warnings[0]
    assert {r.model for r in output.records} == {"a/Good"}
