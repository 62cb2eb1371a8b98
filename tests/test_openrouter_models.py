"""Every shared OpenRouter catalogue capture parses; figures are computed from the files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from helpers import fixture_path, jsonl
from pricewatch.collectors.base import ParseError
from pricewatch.collectors.openrouter.models import parse_models
from pricewatch.pipeline import run as pipeline
from pricewatch.records import OfferRecord, PriceRecord
from pricewatch.settings import load_settings
from pricewatch.warehouse.db import open_db

CAPTURES = {
    "models-2024-02-18.json": 100,
    "models-2025-05-23.json": 321,
    "models-2025-12-18.json": 349,
    "models-2026-01-29.json": 347,
    "models-2026-05-07.json": 368,
}
NOW = datetime(2026, 6, 1, tzinfo=UTC)



def catalogue(name: str) -> list:
    return parse_models(fixture_path("openrouter", name).read_bytes(), NOW).records

def raw_models(name: str) -> list[dict]:
    return json.loads(fixture_path("openrouter", name).read_text())["data"]


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_every_capture_parses_with_exact_per_million_prices(name: str) -> None:
    records = catalogue(name)
    offers = [r for r in records if isinstance(r, OfferRecord)]
    prices = {(r.model, r.component): r for r in records if isinstance(r, PriceRecord)}
    assert len(offers) == CAPTURES[name] == len({o.model for o in offers})
    for model in raw_models(name):
        for key, component in (("prompt", "input"), ("completion", "output")):
            raw = model["pricing"][key]
            record = prices[(model["id"], component)]
            if raw == "-1":
                assert record.dynamic and record.price is None
            else:
                # Exact: the provider's string times one million, no float on the way.
                assert record.price == Decimal(raw) * 1_000_000
                assert record.unit == "per_1m_tokens"
    assert all(r.price is None or r.price >= 0 for r in prices.values())


def test_dynamic_routers_and_free_variants_2026_05() -> None:
    records = catalogue("models-2026-05-07.json")
    dynamic = sorted({r.model for r in records if isinstance(r, PriceRecord) and r.dynamic})
    assert dynamic == ["openrouter/auto", "openrouter/bodybuilder", "openrouter/pareto-code"]
    free_ids = {m["id"] for m in raw_models("models-2026-05-07.json") if m["id"].endswith(":free")}
    offers = {r.model: r for r in records if isinstance(r, OfferRecord)}
    assert free_ids and all("free" in (offers[m].capabilities or ()) for m in free_ids)
    for model in free_ids:
        assert [r.price for r in records if isinstance(r, PriceRecord) and r.model == model
                and r.component in ("input", "output")] == [0, 0]


def test_2024_schema_modalities_and_context() -> None:
    records = catalogue("models-2024-02-18.json")
    offers = {r.model: r for r in records if isinstance(r, OfferRecord)}
    raw = {m["id"]: m for m in raw_models("models-2024-02-18.json")}
    multimodal = [m for m, item in raw.items() if item["architecture"]["modality"] == "multimodal"]
    assert multimodal
    for model in multimodal:
        assert offers[model].input_modalities == ["image", "text"]
        assert "image_input" in offers[model].capabilities
    for model, item in raw.items():
        assert offers[model].context_length == item["context_length"]


def test_known_figures_from_the_2025_12_capture() -> None:
    records = catalogue("models-2025-12-18.json")
    by_key = {(r.model, r.component): r for r in records if isinstance(r, PriceRecord)}
    assert by_key[("google/gemma-3-4b-it", "input")].price == Decimal("0.01703012")
    sonnet = {c: r for (m, c), r in by_key.items() if m == "anthropic/claude-3.7-sonnet"}
    assert sonnet["input"].price == 3 and sonnet["output"].price == 15
    assert sonnet["cache_read"].price == Decimal("0.3")
    assert sonnet["cache_write"].price == Decimal("3.75")
    assert sonnet["image_input"].unit == "per_image"


def december_then_january(db: Path):
    """The December 2025 and January 2026 catalogues ingested at their dates."""
    settings = load_settings(db_path=db)
    for name, day in (("models-2025-12-18.json", "2025-12-18"),
                      ("models-2026-01-29.json", "2026-01-29")):
        pipeline.ingest_body(settings, "openrouter.models",
                             fixture_path("openrouter", name).read_bytes(),
                             datetime.fromisoformat(day + "T00:00:00+00:00"), name)
    return settings


def test_omitted_zero_fields_in_2026_01_are_not_price_changes(tmp_path) -> None:
    """Zero optional components vanished from the payload in January 2026: no change."""
    settings = december_then_january(tmp_path / "or.duckdb")
    old = {m["id"]: m["pricing"] for m in raw_models("models-2025-12-18.json")}
    new = {m["id"]: m["pricing"] for m in raw_models("models-2026-01-29.json")}

    def nonzero(pricing: dict) -> dict:
        return {k: Decimal(v) for k, v in pricing.items()
                if (k != "discount" and Decimal(v) != 0) or k in ("prompt", "completion")}

    # Expected change count, computed from the files: differing non-zero components of
    # models in both captures, plus every component of models that came or went.
    expected_closed = sum(
        len({k for k in nonzero(old[m]) if nonzero(old[m])[k] != nonzero(new[m]).get(k)})
        for m in old if m in new) + sum(len(nonzero(old[m])) for m in old if m not in new)
    with open_db(settings.db_path, read_only=True) as con:
        closed = con.execute("SELECT count(*) FROM price_history WHERE valid_to IS NOT NULL"
                             ).fetchall()[0][0]
        zero_closed = con.execute(
            "SELECT count(*) FROM price_history WHERE valid_to IS NOT NULL AND price = 0 "
            "AND component NOT IN ('input', 'output')").fetchall()[0][0]
    assert closed == expected_closed
    assert zero_closed == 0


@pytest.mark.parametrize(("body", "message"), [
    (b"<html>Service unavailable</html>", "not JSON"),
    (b'{"error": "rate limited"}', "data"),
    (b'{"data": []}', "empty"),
    (b'{"data": [{"id": "a/b"}]}', "no pricing"),
    (b'{"data": [{"id": "a/b", "pricing": {"prompt": "-0.5", "completion": "1"}}]}',
     "negative price"),
    (b'{"data": [{"id": "a/b", "pricing": {"prompt": "free", "completion": "1"}}]}',
     "not a number"),
    (b'{"data": [{"id": "a/b", "pricing": {"prompt": "1e-40", "completion": "1"}}]}',
     "decimal places"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_bad_catalogue_bodies_raise_a_typed_error_naming_the_source(body, message) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        parse_models(body, NOW)
    assert str(caught.value).startswith("openrouter.models")


def test_unknown_price_components_are_kept_under_their_name() -> None:
    body = jsonl('{"data": [{"id": "a/b", "pricing": {"prompt": "0.000001", "completion": '
                 '"0.000002", "video_frame": "0.0000005", "discount": 0.25}}]}')
    prices = {r.component: r for r in parse_models(body, NOW).records if isinstance(r, PriceRecord)}
    assert prices["video_frame"].price == Decimal("0.5")
    assert prices["video_frame"].unit == "per_1m_tokens"
    assert "discount" not in prices


def test_fields_of_another_type_read_as_absent_and_unknown_keys_as_unread() -> None:
    """A count sent as Infinity, 1.5 or "128000", a name sent as a number, modalities and
    a top_provider of another shape: each reads as absent (the offer stands, with no figure
    made up); keys the payload model does not declare, nested ones too, are unread. An
    Infinity count crashed the parser with OverflowError before the payload models."""
    body = (b'{"data": ['
            b'{"id": "a/inf", "context_length": Infinity, "name": 7, "pricing": '
            b'{"prompt": "0.000001", "completion": "0.000002"}, "top_provider": '
            b'{"max_completion_tokens": 1.5, "context_length": "128000", "region": "eu"}, '
            b'"architecture": {"input_modalities": "text", "modality": "text->text", '
            b'"tokenizer_v2": "x"}, "rank": 3},'
            b'{"id": "a/ok", "context_length": 128000.0, "pricing": '
            b'{"prompt": "0", "completion": "0"}, "top_provider": "none", "rank": 1}]}')
    output = parse_models(body, NOW)
    offers = {r.model: r for r in output.records if isinstance(r, OfferRecord)}
    inf, ok = offers["a/inf"], offers["a/ok"]
    assert (inf.context_length, inf.max_output_tokens, inf.display_name) == (None, None, None)
    assert (inf.input_modalities, inf.output_modalities) == (["text"], ["text"])
    assert (ok.context_length, ok.max_output_tokens) == (128000, None)
    assert [(u.path, u.count) for u in output.unread] == [
        ("data[].architecture.tokenizer_v2", 1), ("data[].rank", 2),
        ("data[].top_provider.region", 1)]
    assert output.left_out == 0


def test_a_component_the_feed_stops_sending_is_closed_not_zero(tmp_path: Path) -> None:
    """Absent = not published, never 0 (DESIGN.md section 5). claude-opus-4.1 had image 0.024
    per image in December 2025 and no `image` field in January 2026 (still listed): the
    price closes, no zero is made up. A component sent as "0" (`request`) is not stored."""
    settings = december_then_january(tmp_path / "z.duckdb")
    with open_db(settings.db_path, read_only=True) as con:
        image = con.execute(
            "SELECT price, valid_from, valid_to FROM price_history WHERE model = "
            "'anthropic/claude-opus-4.1' AND component = 'image_input' ORDER BY valid_from"
        ).fetchall()
        request = con.execute("SELECT count(*) FROM price_history WHERE model = "
                              "'anthropic/claude-opus-4.1' AND component = 'request'"
                              ).fetchall()[0][0]
        zeros = con.execute("SELECT count(*) FROM price_history WHERE price = 0 AND "
                            "component NOT IN ('input', 'output')").fetchall()[0][0]
    jan = datetime(2026, 1, 29, tzinfo=UTC)
    assert [(p, f.date().isoformat(), t) for p, f, t in image] == [
        (Decimal("0.024"), "2025-12-18", jan)]
    assert request == 0 and zeros == 0


def test_an_optional_price_finer_than_stored_is_left_out_with_a_warning() -> None:
    """A 2024-09 catalogue priced one image at 0.0000000001384083045 USD (19 places): the
    catalogue is read, that one component is left out and named."""
    body = (b'{"data": [{"id": "mistralai/pixtral-12b:free", "pricing": {"prompt": "0", '
            b'"completion": "0", "image": "0.0000000001384083045", "request": "0"}},'
            b'{"id": "a/b", "pricing": {"prompt": "0.000001", "completion": "0.000002"}}]}')
    output = parse_models(body, NOW)
    prices = {(r.model, r.component): r.price for r in output.records if r.kind == "price"}
    assert prices == {("mistralai/pixtral-12b:free", "input"): 0,
                      ("mistralai/pixtral-12b:free", "output"): 0,
                      ("a/b", "input"): 1, ("a/b", "output"): 2}
    assert output.warnings == ["model 'mistralai/pixtral-12b:free' pricing.image "
                               "'0.0000000001384083045': more than 18 decimal places "
                               "per_image, left out"]


def test_the_free_class_needs_every_billed_component_published_and_zero() -> None:
    """With `output_modalities=all`, image and video models list prompt/completion 0: an
    image model priced per image output is not free, a video model whose seconds of video
    have no published price is not free (not published), a text model at 0 is."""
    def offer(model_id: str, outputs: list[str], pricing: dict) -> dict:
        return {"id": model_id, "pricing": pricing,
                "architecture": {"input_modalities": ["text"], "output_modalities": outputs}}

    body = json.dumps({"data": [
        offer("bfl/flux.2-pro", ["image"], {"prompt": "0", "completion": "0",
                                            "image_output": "0.00003"}),
        offer("bytedance/seedream", ["image"], {"prompt": "0", "completion": "0",
                                                "image": "0.03"}),
        offer("google/veo", ["video"], {"prompt": "0", "completion": "0"}),
        offer("acme/chat", ["text"], {"prompt": "0", "completion": "0"}),
        offer("acme/chat:free", ["text"], {"prompt": "0", "completion": "0"}),
        offer("acme/picture", ["image", "text"], {"prompt": "0", "completion": "0",
                                                  "image_output": "0"}),
        offer("acme/embed", ["embeddings"], {"prompt": "0", "completion": "0"}),
    ]}).encode()
    output = parse_models(body, NOW)
    free = {r.model for r in output.records
            if isinstance(r, OfferRecord) and "free" in (r.capabilities or ())}
    # acme/picture's image_output "0" is the same fact as absent: nothing bills its images
    assert free == {"acme/chat", "acme/chat:free", "acme/embed"}
    assert [(u.path, u.count, u.example) for u in output.unread] == [
        ("data[].architecture.output_modalities=video", 1, "google/veo")]


def test_the_catalogue_asks_for_every_output_modality() -> None:
    from pricewatch.collectors.base import PlanContext
    from pricewatch.collectors.openrouter.models import plan_models
    from pricewatch.collectors.openrouter.settings import OpenRouterSettings

    [request] = plan_models(OpenRouterSettings(), PlanContext())
    assert request.url == "https://openrouter.ai/api/v1/models?output_modalities=all"
    [request] = plan_models(OpenRouterSettings(output_modalities=""), PlanContext())
    assert request.url == "https://openrouter.ai/api/v1/models"


def test_image_and_video_models_at_zero_tokens_are_not_ranked_free(tmp_path: Path) -> None:
    def offer(model_id: str, outputs: list[str], pricing: dict) -> dict:
        return {"id": model_id, "pricing": pricing, "architecture": {
            "input_modalities": ["text", "image"], "output_modalities": outputs}}

    body = json.dumps({"data": [
        offer("bfl/flux.2-pro", ["image"], {"prompt": "0", "completion": "0",
                                            "image_output": "0.00003"}),
        offer("google/veo", ["video"], {"prompt": "0", "completion": "0"}),
        offer("google/lyria", ["text", "audio"], {"prompt": "0", "completion": "0"}),
        offer("google/paints", ["text", "image"], {"prompt": "0.0000003",
                                                   "completion": "0.0000025"}),
        offer("acme/see", ["text"], {"prompt": "0", "completion": "0"})]}).encode()
    settings = load_settings(db_path=tmp_path / "w.duckdb")
    pipeline.ingest_body(settings, "openrouter.models", body, NOW, "all.json")
    with open_db(settings.db_path, read_only=True) as con:
        ranked = con.execute("SELECT capability, model, is_free FROM cheapest_per_capability "
                             "WHERE capability = 'vision' ORDER BY model").fetchall()
    # flux and veo make images and video, billed per image or per second: not ranked by
    # their token prices of 0, and never free; nor lyria, which makes text too but bills
    # its audio (it was the "cheapest paid" text model at 0); a model that makes images and
    # charges per token is ranked, paid
    assert ranked == [("vision", "acme/see", True), ("vision", "google/paints", False)]


@pytest.mark.parametrize(("bad", "raw_key"), [
    ('"NaN"', "prompt"), ("NaN", "prompt"), ('"0x10"', "prompt"), ('""', "completion"),
    ('"-0.5"', "prompt"), ("1e309", "prompt"), ('"1e309"', "prompt"),
    ('"' + "9" * 40 + '"', "prompt"), ("null", "prompt"), ("null", "completion")])
def test_one_bad_model_is_left_out_and_named_the_run_partial(tmp_path: Path, bad: str,
                                                           raw_key: str) -> None:
    """Issue 29, item 8: one bad price in one of 368 models cost the whole catalogue (and
    `"prompt": null` closed the price silently). Now that model is left out and named, the
    run is partial, the others are read, and the bad model's stored prices stay open."""
    settings = load_settings(db_path=tmp_path / "w.duckdb")
    text = fixture_path("openrouter", "models-2026-05-07.json").read_text()
    data = json.loads(text)
    victim, changed = data["data"][5]["id"], data["data"][6]["id"]
    pipeline.ingest_body(settings, "openrouter.models", text.encode(), NOW, "clean")
    data["data"][6]["pricing"]["prompt"] = "0.00009"  # another model's price moves
    data["data"][5]["pricing"][raw_key] = "__BAD__"
    body = json.dumps(data).replace('"__BAD__"', bad)  # the bad value as JSON text
    later = NOW.replace(day=2)
    outcome = pipeline.ingest_body(settings, "openrouter.models", body.encode(), later, "bad")
    assert outcome.status == "partial"
    assert "1 of 368 models left out" in outcome.message and victim in outcome.message
    with open_db(settings.db_path, read_only=True) as con:
        open_victim = con.execute("SELECT count(*) FROM price_history WHERE model = ? AND "
                                  "valid_to IS NULL", [victim]).fetchall()[0][0]
        new_price = con.execute("SELECT price FROM price_history WHERE model = ? AND "
                                "component = 'input' AND valid_to IS NULL",
                                [changed]).fetchall()
    assert open_victim > 0 and new_price == [(Decimal("90"),)]


def test_a_600_character_id_is_left_out_and_named_short(tmp_path: Path) -> None:
    data = json.loads(fixture_path("openrouter", "models-2026-05-07.json").read_text())
    data["data"][0]["id"] = "x/" + "y" * 600
    output = parse_models(json.dumps(data).encode(), NOW)
    assert output.left_out == 1 and len(output.scope) == 367
    [summary] = [w for w in output.warnings if "left out" in w]
    assert "x/" + "y" * 77 + "\u2026" in summary and "y" * 100 not in summary


def test_a_body_mostly_unreadable_is_still_suspect(tmp_path: Path) -> None:
    settings = load_settings(db_path=tmp_path / "w.duckdb")
    text = fixture_path("openrouter", "models-2026-05-07.json").read_text()
    pipeline.ingest_body(settings, "openrouter.models", text.encode(), NOW, "clean")
    data = json.loads(text)
    for item in data["data"][:300]:
        item["pricing"]["prompt"] = "bad"
    outcome = pipeline.ingest_body(settings, "openrouter.models", json.dumps(data).encode(),
                                   NOW.replace(day=2), "bad")
    assert outcome.status == "suspect" and outcome.closed == 0
