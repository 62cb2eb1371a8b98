"""Endpoints, providers, limits and key parsers on the shared captures, exact figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from helpers import fixture_path
from pricewatch.collectors import get_source
from pricewatch.collectors.base import ParseError, parse_bodies
from pricewatch.collectors.openrouter.endpoints import parse_endpoints as parse_endpoints_output
from pricewatch.collectors.openrouter.key import parse_key
from pricewatch.collectors.openrouter.limits import parse_limits
from pricewatch.collectors.openrouter.providers import parse_providers
from pricewatch.pipeline import run as pipeline
from pricewatch.records import MeasurementRecord, OfferRecord, PriceRecord, RateLimitRecord
from pricewatch.settings import load_settings
from pricewatch.warehouse.db import open_db

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def parse_endpoints(body: bytes, now: datetime) -> list:
    return parse_endpoints_output(body, now).records


def bundle_bodies(name: str) -> dict[str, bytes]:
    """model id -> the unmodified endpoints body, from either saver's envelope."""
    raw = json.loads(fixture_path("openrouter", name).read_text())
    if "data" in raw and isinstance(raw["data"], list):
        return {i["modelId"]: json.dumps(i["response"]).encode() for i in raw["data"]}
    return {model: json.dumps(body).encode() for model, body in raw.items()}


def test_single_endpoints_capture_2025() -> None:
    records = parse_endpoints(fixture_path(
        "openrouter", "endpoints-google-gemini-2.5-pro-preview-2025-05-23.json").read_bytes(), NOW)
    offers = {r.route: r for r in records if isinstance(r, OfferRecord)}
    assert set(offers) == {"google-vertex", "google-ai-studio"}
    assert offers["google-vertex"].display_name == "Google"
    assert offers["google-vertex"].max_output_tokens == 65535
    assert offers["google-ai-studio"].max_output_tokens == 65536
    prices = {(r.route, r.component): r for r in records if isinstance(r, PriceRecord)}
    assert prices[("google-vertex", "input")].price == Decimal("1.25")
    assert prices[("google-vertex", "output")].price == 10
    assert prices[("google-vertex", "cache_read")].price == Decimal("0.31")
    assert prices[("google-vertex", "cache_write")].price == Decimal("1.625")
    assert prices[("google-vertex", "image_input")].price == Decimal("0.00516")
    assert ("google-vertex", "request") not in prices  # "0" optional: not stored
    assert {r.model for r in records} == {"google/gemini-2.5-pro-preview"}


@pytest.mark.parametrize(("name", "models", "endpoints"), [
    ("endpoints-bundle-14-models-2026-08-15.json", 14, 58),
    ("endpoints-bundle-356-models-2026-05-18.json", 356, 933),
])
def test_endpoint_bundles_every_offer_and_price(name: str, models: int, endpoints: int) -> None:
    bodies = bundle_bodies(name)
    assert len(bodies) == models
    total = 0
    for body in bodies.values():
        raw = json.loads(body)["data"]
        records = parse_endpoints(body, NOW)
        offers = [r for r in records if isinstance(r, OfferRecord)]
        assert len(offers) == len(raw["endpoints"])
        total += len(offers)
        prices = {(r.route, r.component, r.context_threshold): r
                  for r in records if isinstance(r, PriceRecord)}
        tags = [e["tag"] for e in raw["endpoints"]]
        for endpoint in raw["endpoints"]:
            pricing = endpoint["pricing"]
            if tags.count(endpoint["tag"]) > 1:  # checked in the twin-tag test
                continue
            for key, component in (("prompt", "input"), ("completion", "output")):
                record = prices[(endpoint["tag"], component, 0)]
                assert record.price == Decimal(pricing[key]) * 1_000_000
            for tier in pricing.get("overrides", []):
                record = prices[(endpoint["tag"], "input", tier["min_prompt_tokens"])]
                assert record.price == Decimal(tier["prompt"]) * 1_000_000
    assert total == endpoints


def test_a_tag_listed_twice_for_one_model_becomes_two_routes() -> None:
    body = bundle_bodies("endpoints-bundle-356-models-2026-05-18.json")[
        "qwen/qwen3-235b-a22b-2507"]
    records, warnings, _ = parse_endpoints_output(body, NOW)[:3]
    prices = {(r.route, r.component): r.price for r in records if isinstance(r, PriceRecord)}
    assert prices[("google-vertex/us-south1#1", "input")] == Decimal("0.22")
    assert prices[("google-vertex/us-south1#1", "output")] == Decimal("0.88")
    assert prices[("google-vertex/us-south1#2", "input")] == Decimal("0.25")
    assert prices[("google-vertex/us-south1#2", "output")] == 1
    assert "google-vertex/us-south1" in warnings[0]


def test_2026_bundle_tags_overrides_and_measurements() -> None:
    bodies = bundle_bodies("endpoints-bundle-14-models-2026-08-15.json")
    records = parse_endpoints(bodies["meta-llama/llama-3.3-70b-instruct"], NOW)
    routes = {r.route: r for r in records if isinstance(r, OfferRecord)}
    assert {"google-vertex", "google-vertex/us-central1"} <= set(routes)
    assert routes["google-vertex"].display_name == "Google"
    overrides = [r for records in map(lambda b: parse_endpoints(b, NOW), bodies.values())
                 for r in records if isinstance(r, PriceRecord) and r.context_threshold > 0]
    raw = [e for b in bodies.values() for e in json.loads(b)["data"]["endpoints"]
           if "overrides" in e["pricing"]]
    assert len(raw) == 12
    assert {r.context_threshold for r in overrides} == {
        t["min_prompt_tokens"] for e in raw for t in e["pricing"]["overrides"]}
    deepinfra = [r for r in parse_endpoints(bodies["meta-llama/llama-3.1-70b-instruct"], NOW)
                 if isinstance(r, MeasurementRecord) and r.route == "deepinfra/turbo"]
    readings = {m.metric: m.value for m in deepinfra}
    assert readings["uptime_pct_30m"] == Decimal("99.8849104859335")
    assert readings["latency_ms_p50_30m"] == 316
    assert readings["throughput_tps_p99_30m"] == 60
    assert readings["endpoint_status"] == 0


def test_sweep_of_two_urls_for_one_model_keeps_the_first() -> None:
    body = fixture_path("openrouter",
                        "endpoints-google-gemini-2.5-pro-preview-2025-05-23.json").read_bytes()
    parsed = parse_bodies(get_source("openrouter.endpoints"), [("a", body), ("b", body)], NOW, None)
    assert parsed.scope_models == {("openrouter", "google/gemini-2.5-pro-preview")}
    assert "repeats model" in parsed.warnings[0]
    assert len([r for r in parsed.records if isinstance(r, OfferRecord)]) == 2


def test_sweep_with_a_bad_body_is_partial_and_scoped() -> None:
    good = fixture_path("openrouter",
                        "endpoints-google-gemini-2.5-pro-preview-2025-05-23.json").read_bytes()
    parsed = parse_bodies(get_source("openrouter.endpoints"), [("u1", good), ("u2", b"<html>")],
                          NOW, None)
    assert parsed.partial and parsed.scope_models == {
        ("openrouter", "google/gemini-2.5-pro-preview")}
    assert "u2" in parsed.warnings[0]


def test_providers_directory() -> None:
    output = parse_providers(fixture_path("openrouter", "providers-2026-05-07.json")
                             .read_bytes(), NOW)
    records = output.records
    assert len(records) == 81 and output.unread == ()  # the capture's 7 keys, all read
    sambanova = next(r for r in records if r.slug == "sambanova")
    assert sambanova.status_page_url == "https://status.sambanova.ai/"
    assert sambanova.headquarters == "US" and sambanova.datacenters is None


def test_a_provider_key_the_directory_does_not_declare_is_unread_and_a_wrong_type_is_none(
        ) -> None:
    body = json.dumps({"data": [
        {"slug": "a", "name": 7, "datacenters": ["US", 3], "sla": "99.9"},
        {"slug": "b", "name": "B", "headquarters": "DE", "sla": "99", "tier": 1}]}).encode()
    output = parse_providers(body, NOW)
    a, b = output.records
    assert (a.slug, a.name, a.datacenters) == ("a", None, ["3", "US"])  # sorted
    assert (b.name, b.headquarters) == ("B", "DE")
    assert [(u.path, u.count, u.example) for u in output.unread] == [
        ("data[].sla", 2, "a"), ("data[].tier", 1, "b")]
    with pytest.raises(ParseError, match=r"data\[1\] has no slug"):
        parse_providers(b'{"data": [{"slug": "a"}, {"slug": 5}]}', NOW)


@pytest.mark.parametrize(("name", "expected"), [
    ("limits-page-2024-12-22.txt", {("requests_per_minute", "", 20),
                                    ("requests_per_day", "", 200)}),
    ("limits-page-2025-07-12.md", {("requests_per_minute", "", 20),
                                   ("requests_per_day", "credits purchased < 10", 50),
                                   ("requests_per_day", "credits purchased >= 10", 1000)}),
    ("limits-page-2026-10-07.md", {("requests_per_minute", "", 20),
                                   ("requests_per_day", "credits purchased < 10", 50),
                                   ("requests_per_day", "credits purchased >= 10", 1000)}),
])
def test_limits_pages(name: str, expected: set) -> None:
    records, warnings, _ = parse_limits(fixture_path("openrouter", name).read_bytes(), NOW)[:3]
    assert {(r.metric, r.condition, r.value) for r in records} == expected
    assert all(r.scope == ":free models" and r.enforced for r in records)
    assert warnings == []


def test_limits_html_page_of_our_own() -> None:
    body = (Path(__file__).parent / "data" / "openrouter-limits-page.html").read_bytes()
    records, _, _ = parse_limits(body, NOW)[:3]
    assert {(r.metric, r.condition, r.value) for r in records} == {
        ("requests_per_minute", "", 20), ("requests_per_day", "credits purchased < 10", 50),
        ("requests_per_day", "credits purchased >= 10", 1000)}


def test_unrendered_placeholders_are_no_figure_with_a_warning() -> None:
    body = fixture_path("openrouter", "docs-llms-full-2025-11-08.lines-1-17999.txt").read_bytes()
    records, warnings, _ = parse_limits(body, NOW)[:3]
    assert all(isinstance(r, RateLimitRecord) and r.value is None for r in records)
    assert {r.metric for r in records} == {"requests_per_minute", "requests_per_day"}
    assert any("{FREE_MODEL_RATE_LIMIT_RPM}" in w and "no figure" in w for w in warnings)
    assert all("placeholder" in (r.note or "") for r in records)


def test_limits_page_without_limits_is_an_error() -> None:
    with pytest.raises(ParseError, match=r"openrouter\.limits"):
        parse_limits(b"# Limits\n\nNothing about free variants here.", NOW)


def test_key_without_a_limit_is_not_enforced() -> None:
    output = parse_key(b'{"data": {"label": "x", "usage": 0, "limit": null, '
                       b'"is_free_tier": true}}', NOW)
    (record,) = output.records
    assert (record.metric, record.value, record.enforced) == ("credits", None, False)
    assert output.unread == ()


def test_key_limits_and_the_keys_it_does_not_read() -> None:
    output = parse_key(b'{"data": {"limit": "25.5", "limit_reset": "monthly", "usage": 1, '
                       b'"free_model_daily_requests": {"limit": 1000, "window": "day"}, '
                       b'"spend_cap": 3}}', NOW)
    assert [(r.scope, r.metric, r.value, r.condition) for r in output.records] == [
        ("api key", "credits", Decimal("25.5"), "resets monthly"),
        (":free models", "requests_per_day", Decimal(1000), "this account")]
    assert [(u.path, u.count) for u in output.unread] == [
        ("data.free_model_daily_requests.window", 1), ("data.spend_cap", 1)]
    with pytest.raises(ParseError, match=r"data\.limit"):
        parse_key(b'{"data": {"usage": 1}}', NOW)


def _endpoints_history(db: Path) -> list[tuple]:
    with open_db(db, read_only=True) as con:
        return con.execute(
            "SELECT 'price', model, route, component, price, valid_from, valid_to FROM "
            "price_history WHERE source = 'openrouter.endpoints' UNION ALL "
            "SELECT 'offer', model, route, status, NULL, valid_from, valid_to FROM "
            "offer_history WHERE source = 'openrouter.endpoints' ORDER BY ALL").fetchall()


def test_endpoints_keep_their_route_when_the_tag_arrives(tmp_path: Path) -> None:
    """2025 endpoints carry no tag, only the provider's name ("Google"); later ones the tag
    ("google-vertex"). Through the provider directory both are one route: two captures of
    the same endpoints at the same prices list nothing and unlist nothing. A database built
    before the directory was collected gets the same keys by `reparse`."""
    tagged = fixture_path("openrouter", "endpoints-google-gemini-2.5-pro-preview-2025-05-23.json")
    payload = json.loads(tagged.read_text())
    assert {e["tag"] for e in payload["data"]["endpoints"]} == {"google-vertex",
                                                                "google-ai-studio"}
    for endpoint in payload["data"]["endpoints"]:
        del endpoint["tag"]
    tagless = json.dumps(payload).encode()
    directory = fixture_path("openrouter", "providers-2026-05-07.json").read_bytes()
    t0, t1, t2 = (datetime(2025, 5, d, tzinfo=UTC) for d in (1, 23, 24))

    def ingest(settings, source: str, body: bytes, at: datetime) -> None:
        pipeline.ingest_body(settings, source, body, at, f"{source}@{at:%d}")

    good = load_settings(db_path=tmp_path / "good.duckdb")
    ingest(good, "openrouter.providers", directory, t0)
    ingest(good, "openrouter.endpoints", tagless, t1)
    ingest(good, "openrouter.endpoints", tagged.read_bytes(), t2)
    history = _endpoints_history(good.db_path)
    assert {row[2] for row in history} == {"google-vertex", "google-ai-studio"}
    assert all(row[5] == t1 and row[6] is None for row in history)  # nothing changed at t2

    late = load_settings(db_path=tmp_path / "late.duckdb")
    ingest(late, "openrouter.endpoints", tagless, t1)  # before the directory: route "google"
    ingest(late, "openrouter.providers", directory, t0)
    ingest(late, "openrouter.endpoints", tagged.read_bytes(), t2)
    assert "google" in {row[2] for row in _endpoints_history(late.db_path)}
    pipeline.reparse(late, ["openrouter.endpoints"])
    assert _endpoints_history(late.db_path) == history
