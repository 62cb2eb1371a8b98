"""`pricewatch audit`: the shared community maps (../shared/fixtures/maps) against a
warehouse of the shared captures, each class checked against a computation here from the
raw captures and the raw map."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from helpers import fixture_path
from pricewatch.audit import compare
from pricewatch.audit.maps import litellm_field, read_map
from pricewatch.cli.main import app
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import load_settings

runner = CliRunner()
MILLION = Decimal(1_000_000)
LITELLM = "litellm-1.110.2-model_prices_and_context_window_backup.json"
TOKENCOST = "tokencost-0.1.26-model_prices.json"
MODELS_DEV = "models-dev-api-2026-06-13-046b81a4.json"
CATALOGUES = ("2024-02-18", "2025-05-23", "2025-12-18", "2026-01-29", "2026-05-07",
              "2026-10-07")
HF = "hf-router-models-2026-06-19.json"


def day_of(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The six OpenRouter catalogues in order, nscale through the Hugging Face router, and
    the Vertex pricing page."""
    db = tmp_path_factory.mktemp("audit") / "audit.duckdb"
    settings = load_settings(db_path=db)
    for day in CATALOGUES:
        pipeline.ingest_body(settings, "openrouter.models",
                             fixture_path("openrouter", f"models-{day}.json").read_bytes(),
                             day_of(day), f"models-{day}")
    pipeline.ingest_body(settings, "nscale.hf-router", fixture_path("nscale", HF).read_bytes(),
                         day_of("2026-06-19"), "hf")
    pipeline.ingest_body(settings, "vertex.pricing", fixture_path(
        "vertex", "pricing-2026-05-31.tier-tables.trimmed.html").read_bytes(),
        day_of("2026-05-31"), "vertex")
    return db


def audit(db: Path, *args: str, code: int = 0) -> dict[str, Any]:
    result = runner.invoke(app, ["audit", *args, "--agree", "--json", "--db", str(db)])
    assert result.exit_code == code, result.output
    return json.loads(result.stdout)


def the_map(name: str) -> str:
    return str(fixture_path("maps", name))


def raw_map(name: str) -> dict[str, Any]:
    return json.loads(fixture_path("maps", name).read_text(), parse_float=Decimal)


def power_of_1000(a: Decimal, b: Decimal) -> bool:
    return a > 0 and b > 0 and any(a == b * 1000 ** k or b == a * 1000 ** k for k in (1, 2, 3))


def expected_class(theirs: Decimal | None, ours: Decimal | None,
                   earlier: list[Decimal]) -> str:
    if theirs is None or ours is None:
        return "missing_component"
    if theirs == ours:
        return "agree"
    if theirs in earlier:
        return "stale"
    return "unit_error" if power_of_1000(theirs, ours) else "wrong"


def test_nscale_entries_against_the_router_capture(warehouse: Path) -> None:
    """LiteLLM's 16 nscale entries against nscale's prices on the Hugging Face router
    (USD per 1M, read here from the raw capture): the halved DeepSeek-R1-Distill-Llama-8B
    ("$0.05/1M total, assumed 50/50") is wrong by half; Qwen2.5-Coder-32B (0.06/0.20)
    agrees; the image models' per-pixel prices are fields the audit does not read."""
    raw = json.loads(fixture_path("nscale", HF).read_text(), parse_float=Decimal)
    nscale = {entry["id"]: offer["pricing"] for entry in raw["data"]
              for offer in entry["providers"]
              if offer["provider"] == "nscale" and offer.get("pricing")}
    entries = {key: value for key, value in raw_map(LITELLM).items()
               if isinstance(value, dict) and value.get("litellm_provider") == "nscale"}
    expected = {}
    for key, entry in entries.items():
        model = key.removeprefix("nscale/")
        for component, field in (("input", "input_cost_per_token"),
                                 ("output", "output_cost_per_token")):
            if model in nscale and field in entry:
                theirs, ours = entry[field] * MILLION, Decimal(str(nscale[model][component]))
                expected[(key, component)] = (expected_class(theirs, ours, []), theirs, ours)
    result = audit(warehouse, the_map(LITELLM))
    rows = {(r["key"], r["component"]): (r["class"], Decimal(r["map_price"]),
                                         Decimal(r["provider_price"]))
            for r in result["rows"] if r["provider"] == "nscale"}
    assert rows == expected
    assert len(rows) == 14  # 7 of the 16 entries are models the router lists with a price
    assert rows[("nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "input")] == (
        "wrong", Decimal("0.025"), Decimal("0.05"))
    assert rows[("nscale/Qwen/Qwen2.5-Coder-32B-Instruct", "input")] == (
        "agree", Decimal("0.06"), Decimal("0.06"))
    assert rows[("nscale/Qwen/Qwen2.5-Coder-32B-Instruct", "output")] == (
        "agree", Decimal("0.2"), Decimal("0.2"))
    halved = next(r for r in result["rows"] if r["key"].endswith("Distill-Llama-8B")
                  and r["component"] == "output")
    assert halved["ratio"] == 0.5 and halved["route"] == "huggingface"
    assert halved["observed_at"].startswith("2026-06-19") and len(halved["body_sha256"]) == 64
    summary = result["maps"][0]
    assert summary["entries"] == 4877  # SOURCES.md: 4,877 model keys
    assert summary["unread_fields"]["input_cost_per_pixel"] >= 2  # FLUX, SDXL at nscale


def openrouter_history() -> dict[str, list[tuple[datetime, dict[str, Any]]]]:
    """Each model's raw pricing in each catalogue it is listed in, oldest first."""
    history: dict[str, list[tuple[datetime, dict[str, Any]]]] = {}
    for day in CATALOGUES:
        body = json.loads(fixture_path("openrouter", f"models-{day}.json").read_text())
        for model in body["data"]:
            history.setdefault(model["id"], []).append((day_of(day), model["pricing"]))
    return history


def per_million(pricing: dict[str, Any], field: str) -> Decimal | None:
    value = pricing.get(field)
    if value is None or Decimal(value) < 0:  # absent, or "-1": dynamically priced
        return None
    return Decimal(value) * MILLION


def expected_openrouter(entries: dict[str, dict[str, Decimal]]
                        ) -> dict[tuple[str, str], tuple[str, Decimal | None, str | None]]:
    """For each entry (key -> component -> map price per 1M) naming a model of the newest
    catalogue: the class of its input and output prices, with the day an earlier price
    ended for a stale one, computed from the raw catalogues."""
    history = openrouter_history()
    newest = day_of(CATALOGUES[-1])
    expected = {}
    for key, prices in entries.items():
        model = key.removeprefix("openrouter/")
        listed = history.get(model, [])
        if not listed or listed[-1][0] != newest or "overrides" in listed[-1][1]:
            continue  # not listed now (not matched), or a time-windowed price: see below
        for component, field in (("input", "prompt"), ("output", "completion")):
            ours = per_million(listed[-1][1], field)
            theirs = prices.get(component)
            if theirs is None and (ours is None or ours == 0):
                continue  # neither side prices it (or only at 0): no row
            # an earlier interval with the map's price, and the day it ended: the next
            # catalogue without that price (a different price, or not listing the model)
            ended = None
            for index, (when, pricing) in enumerate(listed[:-1]):
                following = listed[index + 1]
                next_day = CATALOGUES[CATALOGUES.index(when.date().isoformat()) + 1]
                if per_million(pricing, field) == theirs and (
                        following[0] != day_of(next_day)
                        or per_million(following[1], field) != theirs):
                    ended = day_of(next_day)
            cls = expected_class(theirs, ours, [theirs] if ended else [])
            expected[(key, component)] = (cls, theirs, ended if cls == "stale" else None)
    return expected


@pytest.mark.parametrize("name", [TOKENCOST, MODELS_DEV])
def test_openrouter_entries_against_the_raw_catalogues(warehouse: Path, name: str) -> None:
    """Every OpenRouter entry of tokencost's map (LiteLLM's format) and of models.dev, input
    and output, classed as computed here from the six raw catalogues: agree, stale (the
    map's price is one the model had before; with the day it ended), unit_error, wrong or
    missing_component."""
    raw = raw_map(name)
    if name == TOKENCOST:
        entries = {key: {c: v["input_cost_per_token" if c == "input" else
                               "output_cost_per_token"] * MILLION
                         for c in ("input", "output")
                         if isinstance(v.get(f"{c}_cost_per_token"), Decimal | int)}
                   for key, v in raw.items() if isinstance(v, dict)
                   and (v.get("litellm_provider") == "openrouter"
                        or key.startswith("openrouter/"))}
    else:
        entries = {f"openrouter/{model_id}": {c: Decimal(m["cost"][c]) for c in
                                              ("input", "output") if c in m.get("cost", {})}
                   for model_id, m in raw["openrouter"]["models"].items()}
    expected = expected_openrouter(entries)
    result = audit(warehouse, the_map(name))
    got = {(r["key"], r["component"]): (r["class"], Decimal(r["map_price"])
                                        if r["map_price"] is not None else None,
                                        r["price_ended_at"] and
                                        datetime.fromisoformat(r["price_ended_at"]))
           for r in result["rows"] if r["provider"] == "openrouter"
           and r["component"] in ("input", "output") and r["service_tier"] == "standard"
           and r["context_threshold"] == 0 and (r["key"], r["component"]) in expected}
    assert got == expected
    classes = {cls for cls, _, _ in expected.values()}
    assert {"agree", "wrong"} <= classes
    if name == MODELS_DEV:
        assert "stale" in classes  # the computation finds stale prices, and so does audit
        stale = sum(1 for cls, _, _ in expected.values() if cls == "stale")
        assert stale >= 20


def test_an_older_map_agrees_at_its_own_time_and_is_stale_now(warehouse: Path,
                                                            tmp_path: Path) -> None:
    """A LiteLLM map written from the 2025-05-23 catalogue (per-token strings as OpenRouter
    sent them): at --at 2025-06-01 every component agrees; now, a price that changed since
    is stale, with the day the old price ended."""
    may = json.loads(fixture_path("openrouter", "models-2025-05-23.json").read_text())
    october = {m["id"]: m["pricing"] for m in json.loads(
        fixture_path("openrouter", "models-2026-10-07.json").read_text())["data"]}
    chosen = {}
    for model in may["data"]:
        pricing, now = model["pricing"], october.get(model["id"])
        if now and "overrides" not in now and Decimal(pricing["prompt"]) > 0 and \
                Decimal(pricing["prompt"]) != Decimal(now["prompt"]) and len(chosen) < 5:
            chosen[f"openrouter/{model['id']}"] = {
                "litellm_provider": "openrouter", "mode": "chat",
                "input_cost_per_token": pricing["prompt"]}
    assert len(chosen) == 5
    path = tmp_path / "may.json"
    path.write_text(json.dumps(chosen))
    then = audit(warehouse, str(path), "--at", "2025-06-01T00:00:00Z")
    inputs = [r for r in then["rows"] if r["component"] == "input"]
    assert [r["class"] for r in inputs] == ["agree"] * 5
    now = audit(warehouse, str(path), "--fail-on", "stale", code=1)
    stale = [r for r in now["rows"] if r["component"] == "input"]
    assert {r["class"] for r in stale} == {"stale"}
    for row in stale:
        assert row["price_ended_at"][:10] in CATALOGUES[2:]
        assert row["price_ended_at"][:10] > "2025-05-23"


def test_a_price_off_by_1000_is_a_unit_error(warehouse: Path, tmp_path: Path) -> None:
    """nscale's Qwen2.5-Coder-32B at 0.06 per 1M written as 6E-5 per token (1000x): a
    unit_error, with its ratio; --fail-on names which classes fail a CI gate."""
    entries = {"nscale/Qwen/Qwen2.5-Coder-32B-Instruct": {
        "litellm_provider": "nscale", "input_cost_per_token": 6e-5,
        "output_cost_per_token": 2e-10}}
    path = tmp_path / "thousand.json"
    path.write_text(json.dumps(entries))
    result = audit(warehouse, str(path), "--fail-on", "unit_error", code=1)
    assert [(r["component"], r["class"], r["map_price"], r["provider_price"], r["ratio"])
            for r in result["rows"]] == [
        ("input", "unit_error", "60", "0.06", 1000.0),
        ("output", "unit_error", "0.0002", "0.2", 0.001)]
    assert result["maps"][0]["unit_error_rows"] == 2
    assert result["maps"][0]["error_rate_pct"] == "100"
    audit(warehouse, str(path), "--fail-on", "stale,wrong")  # exit 0
    bad = runner.invoke(app, ["audit", str(path), "--fail-on", "typo", "--db", str(warehouse)])
    assert bad.exit_code == 2 and "typo" in bad.output


def test_vertex_keys_with_and_without_their_prefix(warehouse: Path) -> None:
    """LiteLLM names Vertex's Gemini models bare and as vertex_ai/...: both are compared
    with the Vertex page's price (on its global route, the page's only one for it)."""
    result = audit(warehouse, the_map(LITELLM))
    rows = {(r["key"], r["component"], r["service_tier"]): (r["class"], r["map_price"],
                                                            r["provider_price"], r["route"])
            for r in result["rows"] if r["provider"] == "vertex"
            and r["context_threshold"] == 0}
    for key in ("gemini-3.5-flash", "vertex_ai/gemini-3.5-flash"):
        assert rows[(key, "input", "standard")] == ("agree", "1.5", "1.5", "global")
        assert rows[(key, "output", "batch")] == ("agree", "4.5", "4.5", "global")


def test_map_readers_on_varied_entries() -> None:
    """LiteLLM's field grammar (thresholds, tiers, cache kinds), numbers as text or
    numbers, and what is not a price: counted as unread, never a figure."""
    assert litellm_field("input_cost_per_token_above_200k_tokens_priority") == (
        "input", "per_1m_tokens", MILLION, 200_000, "priority")
    assert litellm_field("cache_creation_input_token_cost_above_1hr")[0] == "cache_write_1h"
    assert litellm_field("cache_read_input_audio_token_cost")[0] == "audio_cache_read"
    assert litellm_field("input_cost_per_pixel") is None
    body = json.dumps({
        "sample_spec": {"input_cost_per_token": 0},
        "openrouter/acme/a": {"litellm_provider": "openrouter",
                              "input_cost_per_token": "0.0000015",
                              "output_cost_per_token": None, "max_tokens": 10,
                              "output_cost_per_token_batches": -1,
                              "input_cost_per_second": 0.1},
        "acme-b": {"litellm_provider": "bedrock", "input_cost_per_token": 1e-6},
        "broken": "text"}).encode()
    read = read_map(body, "varied")
    assert read.format == "litellm"
    assert [(e.key, e.provider, e.model) for e in read.entries] == [
        ("openrouter/acme/a", "openrouter", "acme/a"), ("acme-b", None, "acme-b")]
    assert [(p.key, p.component, p.price) for p in read.prices] == [
        ("openrouter/acme/a", "input", Decimal("1.5")), ("acme-b", "input", Decimal("1"))]
    assert dict(read.unread) == {"output_cost_per_token (no number)": 1,
                                 "output_cost_per_token_batches (no number)": 1,
                                 "input_cost_per_second": 1}
    assert read.bad == ["broken: not an object"]
    dev = read_map(json.dumps({"google-vertex": {"models": {"gemini-x": {"cost": {
        "input": 1.25, "output": "10", "context_over_200k": {"input": 2.5},
        "tiers": [{"input": 2.5, "tier": {"type": "context", "size": 200000}},
                  {"input": 9, "tier": {"type": "batch"}}], "video": 3}}}},
        "other": {"models": {"m": {}}}}).encode(), "dev")
    assert dev.format == "models-dev"
    assert [(p.key, p.component, p.context_threshold, p.price) for p in dev.prices] == [
        ("google-vertex/gemini-x", "input", 0, Decimal("1.25")),
        ("google-vertex/gemini-x", "output", 0, Decimal("10")),
        ("google-vertex/gemini-x", "input", 200_000, Decimal("2.5"))]
    assert dict(dev.unread) == {"cost.video": 1, "cost.tiers[] (not a context tier)": 1}
    assert [e.provider for e in dev.entries] == ["vertex", None]


@pytest.mark.parametrize(("body", "message"), [
    (b"not json", "not JSON"),
    (b'[{"id": "openrouter", "model_match": {}}]', "nor a genai-prices data file"),
    (b'{"a": 1}', "neither a LiteLLM"),
])
def test_a_map_that_cannot_be_read_is_a_clear_error(warehouse: Path, tmp_path: Path,
                                                    body: bytes, message: str) -> None:
    path = tmp_path / "map.json"
    path.write_bytes(body)
    result = runner.invoke(app, ["audit", str(path), "--db", str(warehouse)])
    assert result.exit_code == 1 and message in result.output, result.output
    missing = runner.invoke(app, ["audit", str(tmp_path / "nope.json"), "--db",
                                  str(warehouse)])
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_the_summary_and_csv(warehouse: Path) -> None:
    """Without --json: the rows as CSV on stdout, one summary line per map on stderr."""
    result = runner.invoke(app, ["audit", the_map(TOKENCOST), the_map(MODELS_DEV),
                                 "--format", "csv", "--db", str(warehouse)])
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.splitlines()
    assert header.startswith("map,key,provider,model,component")
    assert lines and not any(",agree," in line for line in lines)
    assert result.stderr.count("entries,") == 2


def test_the_summary_per_shared_map(warehouse: Path) -> None:
    """The figures docs/audit.md gives for the shared maps."""
    result = audit(warehouse, the_map(LITELLM), the_map(TOKENCOST), the_map(MODELS_DEV))
    figures = [(m["entries"], m["matched"], m["agree"], m["with_errors"], m["error_rate_pct"],
                m["wrong_rows"], m["stale_rows"], m["unit_error_rows"],
                m["missing_component_rows"]) for m in result["maps"]]
    assert figures == [(4877, 11, 4, 5, "45.5", 12, 0, 0, 44),
                       (1465, 34, 8, 20, "58.8", 37, 1, 0, 33),
                       (5258, 267, 150, 81, "30.3", 68, 86, 0, 147)]


def test_a_map_inside_an_installed_package(warehouse: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """package:tokencost reads tokencost/model_prices.json with importlib.resources (here
    a package made in tmp_path holding the shared file); a package that is not installed,
    or not one audit knows, is an error saying so."""
    package = tmp_path / "site" / "tokencost"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "model_prices.json").write_bytes(fixture_path("maps", TOKENCOST).read_bytes())
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    result = audit(warehouse, "package:tokencost")
    assert result["maps"][0]["map"] == "package:tokencost"
    assert result["maps"][0]["matched"] == 34
    monkeypatch.setitem(compare.PACKAGE_MAPS, "litellm", ("no_such_package_here", "x.json"))
    missing = runner.invoke(app, ["audit", "package:litellm", "--db", str(warehouse)])
    assert missing.exit_code == 1 and "not installed" in missing.output
    unknown = runner.invoke(app, ["audit", "package:numpy", "--db", str(warehouse)])
    assert unknown.exit_code == 1 and "litellm, tokencost" in unknown.output


GENAI_V2 = "genai-prices-new_data-v2-data-2026-08-21-47df840a.json"
GENAI_V1 = "genai-prices-data-v1-frozen-2026-07-25-c885e328.json"


def genai_first_match(models: list[dict[str, Any]], model_id: str) -> dict[str, Any] | None:
    """genai-prices' rule, written here again: the first model whose match clause holds
    for the lower-case id."""
    def holds(clause: dict[str, Any], text: str) -> bool:
        (kind, value), = clause.items()
        return {"equals": lambda: text == value, "starts_with": lambda: text.startswith(value),
                "ends_with": lambda: text.endswith(value), "contains": lambda: value in text,
                "or": lambda: any(holds(c, text) for c in value),
                "and": lambda: all(holds(c, text) for c in value)}[kind]()
    return next((m for m in models if holds(m["match"], model_id.lower())), None)


def test_genai_prices_nscale_entries_by_their_match_rules(warehouse: Path) -> None:
    """genai-prices names nscale's models on the Hugging Face router by match rules: each
    router model with an nscale price is priced by the first rule that matches it, and the
    comparison equals one computed here from the raw capture (all agree: genai-prices takes
    them from the router)."""
    provider = next(p for p in raw_genai(GENAI_V2) if p["id"] == "huggingface_nscale")
    raw = json.loads(fixture_path("nscale", HF).read_text(), parse_float=Decimal)
    expected = {}
    for entry in raw["data"]:
        for offer in entry["providers"]:
            if offer["provider"] != "nscale" or not offer.get("pricing"):
                continue
            model = genai_first_match(provider["models"], entry["id"])
            if model is None:
                continue
            for component, field in (("input", "input_mtok"), ("output", "output_mtok")):
                theirs = Decimal(model["prices"][field])
                ours = Decimal(str(offer["pricing"][component]))
                expected[(f"huggingface_nscale/{model['id']}", entry["id"], component)] = \
                    expected_class(theirs, ours, [])
    result = audit(warehouse, the_map(GENAI_V2))
    got = {(r["key"], r["model"], r["component"]): r["class"] for r in result["rows"]
           if r["provider"] == "nscale"}
    assert got == expected and len(got) == 32
    assert got[("huggingface_nscale/Qwen/Qwen3-235B-A22B",
                "Qwen/Qwen3-235B-A22B-Instruct-2507", "input")] == "agree"  # by its rule


def raw_genai(name: str) -> list[dict[str, Any]]:
    return json.loads(fixture_path("maps", name).read_text(), parse_float=Decimal)


def test_genai_prices_dated_and_tiered_prices(warehouse: Path, tmp_path: Path) -> None:
    """A model's dated price sets: the set in force now is compared now; an earlier dated
    set at its own start date (without --at); a set that starts later is not compared but
    counted; with --at, only the set in force then. A tiered price is a base and
    long-context prices."""
    history = openrouter_history()
    model, listed = next((m, days) for m, days in sorted(history.items())
                         if len(days) == 6 and "overrides" not in days[-1][1]
                         and per_million(days[1][1], "prompt") !=
                         per_million(days[-1][1], "prompt")
                         and per_million(days[1][1], "prompt"))
    old, new = per_million(listed[1][1], "prompt"), per_million(listed[-1][1], "prompt")
    data = [{"id": "openrouter", "models": [{
        "id": model, "match": {"equals": model.lower()},
        "prices": [{"prices": {"input_mtok": "999"}},
                   {"constraint": {"start_date": "2025-05-23"},
                    "prices": {"input_mtok": str(old)}},
                   {"constraint": {"start_date": "2026-10-07"},
                    "prices": {"input_mtok": {"base": str(new),
                                              "tiers": [{"start": 128000, "price": "77"}]}}},
                   {"constraint": {"start_date": "2099-01-01"},
                    "prices": {"input_mtok": "1"}}]}]}]
    path = tmp_path / "dated.json"
    path.write_text(json.dumps(data))
    result = audit(warehouse, str(path))
    rows = sorted((r["audited_at"][:10], r["context_threshold"], r["class"],
                   Decimal(r["map_price"])) for r in result["rows"] if r["component"] == "input")
    # the 2025-05-23 set at its day; the set in force now, now, with its long-context
    # price (the provider has none: missing_component); the undated first set is superseded
    today = datetime.now(UTC).date().isoformat()
    assert rows == sorted([("2025-05-23", 0, "agree", old), (today, 0, "agree", new),
                           (today, 128000, "missing_component", Decimal(77))])
    assert result["maps"][0]["prices_not_yet_in_force"] == 1
    then = audit(warehouse, str(path), "--at", "2025-06-01T00:00:00Z")
    assert [(r["audited_at"][:10], r["class"]) for r in then["rows"]
            if r["component"] == "input"] == [("2025-06-01", "agree")]


def test_genai_prices_match_rules_and_bad_models() -> None:
    body = json.dumps([{"id": "openrouter", "models": [
        {"id": "a", "match": {"and": [{"starts_with": "acme/"}, {"ends_with": "-x"}]},
         "prices": {"input_mtok": 1, "video_mtok": 2}},
        {"id": "b", "match": {"regex": "["}, "prices": {}},
        {"id": "c", "match": {"near": "x"}, "prices": {}},
        {"id": "d", "match": {"or": [{"contains": "beta"}, {"equals": "acme/z"}]},
         "prices": {"requests_kcount": 5, "web_searches_kcount": 10}}]},
        {"id": "groq", "models": [{"id": "g", "match": {"equals": "g"}, "prices": {}}]}]
    ).encode()
    read = read_map(body, "rules")
    assert read.format == "genai-prices"
    assert [e.key for e in read.entries] == ["openrouter/a", "openrouter/d", "groq/g"]
    assert [e.provider for e in read.entries] == ["openrouter", "openrouter", None]
    rule = read.entries[0].matches
    assert rule("acme/m-x") and not rule("acme/m-y") and not rule("other/m-x")
    assert read.entries[1].matches("acme/beta-1") and read.entries[1].matches("acme/z")
    assert len(read.bad) == 2 and "regex" in read.bad[0] and "near" in read.bad[1]
    assert [(p.component, p.unit, p.price) for p in read.prices] == [
        ("input", "per_1m_tokens", Decimal(1)), ("request", "per_request", Decimal("0.005")),
        ("web_search", "per_1k_searches", Decimal(10))]
    assert dict(read.unread) == {"prices.video_mtok": 1}
    assert compare.expand(read.entries, [("openrouter", "acme/M-X"), ("openrouter", "acme/z"),
                                         ("openrouter", "acme/beta-x")]) == [
        ("openrouter/a", "openrouter", "acme/M-X"), ("openrouter/d", "openrouter", "acme/z"),
        ("openrouter/a", "openrouter", "acme/beta-x")]  # the first rule that matches wins


def test_the_summary_per_genai_prices_map(warehouse: Path) -> None:
    """The figures docs/audit.md gives for the two genai-prices files."""
    result = audit(warehouse, the_map(GENAI_V2), the_map(GENAI_V1))
    figures = [(m["entries"], m["matched"], m["agree"], m["with_errors"], m["error_rate_pct"],
                m["wrong_rows"], m["stale_rows"], m["unit_error_rows"],
                m["missing_component_rows"]) for m in result["maps"]]
    assert figures == [(1466, 265, 80, 114, "43", 101, 132, 0, 290),
                       (1442, 263, 81, 113, "43", 98, 132, 0, 290)]


@pytest.mark.parametrize("name", [TOKENCOST, LITELLM, MODELS_DEV, GENAI_V2])
def test_a_patch_loads_back_and_agrees(warehouse: Path, tmp_path: Path, name: str) -> None:
    """--emit-patch writes the corrected entries in the map's own format; read back as a
    map of that format and audited again, nothing is wrong, stale or off by 1000x, and
    every component the provider prices is there (but where genai-prices' one rule prices
    two models of different prices: counted, the model of the entry's own id wins)."""
    patch = tmp_path / f"patch-{name}"
    result = runner.invoke(app, ["audit", the_map(name), "--emit-patch", str(patch),
                                 "--json", "--db", str(warehouse)])
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)["maps"][0]
    assert read_map(patch.read_bytes(), "patch").format == first["format"]
    again = audit(warehouse, str(patch))
    errors = [r for r in again["rows"] if r["class"] in ("wrong", "stale", "unit_error")]
    provider_only = [r for r in again["rows"] if r["class"] == "missing_component"
                     and r["map_price"] is None]
    if name == GENAI_V2:
        assert [(r["key"], r["model"]) for r in errors] == [
            ("openrouter/openai/gpt-5.1", "openai/gpt-5.1-codex")]
        assert "a rule that prices models of different prices" in result.stderr
    else:
        assert errors == []
    assert provider_only == []
    assert again["maps"][0]["matched"] == again["maps"][0]["entries"] == \
        int(result.stderr.split(": ", 1)[1].split(" entries")[0])


def test_a_litellm_patch_holds_exact_per_token_prices_and_the_source(warehouse: Path,
                                                                     tmp_path: Path) -> None:
    patch = tmp_path / "patch.json"
    result = runner.invoke(app, ["audit", the_map(TOKENCOST), "--emit-patch", str(patch),
                                 "--db", str(warehouse)])
    assert result.exit_code == 0, result.output
    text = patch.read_text()
    entry = json.loads(text, parse_float=Decimal)[
        "nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-8B"]
    assert entry["input_cost_per_token"] == entry["output_cost_per_token"] == Decimal("5E-8")
    assert '"input_cost_per_token": 0.00000005' in text  # written from the digits
    assert entry["source"] == "hf"  # the URL the router capture was ingested under
    assert entry["litellm_provider"] == "nscale"  # the rest of the entry as it was
    two = runner.invoke(app, ["audit", the_map(TOKENCOST), the_map(LITELLM), "--emit-patch",
                              str(patch), "--db", str(warehouse)])
    assert two.exit_code == 2 and "one MAP" in two.output


def test_export_litellm_is_a_map_that_audits_clean(warehouse: Path, tmp_path: Path) -> None:
    """export --format litellm writes the current prices as a LiteLLM map: per-token
    prices from the decimals' digits, LiteLLM's keys and fields; audited against the same
    warehouse every entry agrees and nothing is missing. What LiteLLM has no field for is
    counted, not written."""
    out = tmp_path / "pricewatch-litellm.json"
    result = runner.invoke(app, ["export", "--format", "litellm", "--out", str(out),
                                 "--db", str(warehouse)])
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text(), parse_float=Decimal)
    entry = exported["nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-8B"]
    assert entry["input_cost_per_token"] == entry["output_cost_per_token"] == Decimal("5E-8")
    assert entry["litellm_provider"] == "nscale" and entry["mode"] == "chat"
    october = {m["id"]: m for m in json.loads(
        fixture_path("openrouter", "models-2026-10-07.json").read_text())["data"]}
    gpt = exported["openrouter/openai/gpt-4o-mini"]
    assert gpt["input_cost_per_token"] == Decimal(october["openai/gpt-4o-mini"]["pricing"]
                                                  ["prompt"])
    assert gpt["max_input_tokens"] == october["openai/gpt-4o-mini"]["context_length"]
    assert "web_search (per_1k_searches)" in result.output
    again = audit(warehouse, str(out))
    summary = again["maps"][0]
    assert summary["entries"] == summary["matched"] == summary["agree"] == len(exported)
    assert {r["class"] for r in again["rows"]} == {"agree"}


def test_a_real_unit_error_in_a_shared_map(warehouse: Path) -> None:
    """models.dev of 2026-03-24 gives OpenRouter's gpt-5.4-mini and -nano per token where
    the format is per 1M tokens: every priced component is off by 10^6."""
    result = audit(warehouse, the_map("models-dev-api-2026-03-24-dd18215f.json"),
                   "--fail-on", "unit_error", code=1)
    rows = sorted((r["key"], r["component"], Decimal(r["map_price"]),
                   Decimal(r["provider_price"]), r["ratio"])
                  for r in result["rows"] if r["class"] == "unit_error")
    assert rows == [
        ("openrouter/openai/gpt-5.4-mini", "cache_read", Decimal("7.5E-8"), Decimal("0.075"),
         1e-06),
        ("openrouter/openai/gpt-5.4-mini", "input", Decimal("7.5E-7"), Decimal("0.75"), 1e-06),
        ("openrouter/openai/gpt-5.4-mini", "output", Decimal("4.5E-6"), Decimal("4.5"), 1e-06),
        ("openrouter/openai/gpt-5.4-nano", "cache_read", Decimal("2E-8"), Decimal("0.02"),
         1e-06),
        ("openrouter/openai/gpt-5.4-nano", "input", Decimal("2E-7"), Decimal("0.2"), 1e-06),
        ("openrouter/openai/gpt-5.4-nano", "output", Decimal("0.00000125"), Decimal("1.25"),
         1e-06)]


def test_a_map_by_url_through_the_fetch_layer(warehouse: Path, tmp_path: Path) -> None:
    """A map URL is fetched like any source (a local server here): on a host of
    audit.allowed_hosts, redirects included; a host not on the list is refused, a failing
    server is an error naming the map."""
    from helpers import fake_provider as fp

    fake = fp.FakeProvider()
    try:
        fake.serve("/maps/tokencost.json", fixture_path("maps", TOKENCOST).read_bytes())
        fake.fail("/maps/moved.json", fp.redirect("http://example.invalid/m.json"))
        fake.fail_always("/maps/broken.json", fp.status(404))
        config = tmp_path / "pricewatch.toml"
        config.write_text(f'db_path = "{warehouse}"\n[audit]\nallowed_hosts = ["127.0.0.1"]\n'
                          "[fetch]\nbackoff_initial_s = 0.01\nbackoff_max_s = 0.02\n"
                          "min_request_interval_s = 0\n")
        url = fake.url("/maps/tokencost.json")
        result = runner.invoke(app, ["audit", url, "--json", "--config", str(config)])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)["maps"][0]
        assert (summary["map"], summary["entries"], summary["matched"]) == (url, 1465, 34)
        refused = runner.invoke(app, ["audit", fake.url("/maps/moved.json"), "--config",
                                      str(config)])
        assert refused.exit_code == 1 and "allow-list" in refused.output
        missing = runner.invoke(app, ["audit", fake.url("/maps/broken.json"), "--config",
                                      str(config)])
        assert missing.exit_code == 1 and "404" in missing.output
        default = runner.invoke(app, ["audit", url, "--db", str(warehouse)])
        assert default.exit_code == 1 and "127.0.0.1" in default.output  # not on the list
    finally:
        fake.close()


def nscale_map(deepseek: str, qwen_input: str) -> str:
    """A LiteLLM-format map of two nscale entries (USD per token)."""
    return json.dumps({
        "nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-8B": {
            "litellm_provider": "nscale", "input_cost_per_token": deepseek,
            "output_cost_per_token": deepseek},
        "nscale/Qwen/Qwen2.5-Coder-32B-Instruct": {
            "litellm_provider": "nscale", "input_cost_per_token": qwen_input,
            "output_cost_per_token": "2e-7"}})


def test_recorded_audits_keep_history_and_raise_map_drift(tmp_path: Path) -> None:
    """audit.maps audited with --record (what the daemon does on its schedule): each
    audit is a run of audit.<name>; map_disagreements holds what the latest audit found,
    since when; a disagreement mended is closed, not deleted; a new one after the first
    audit is a map_drift alert, once; the first audit is the initial load (no alert)."""
    db = tmp_path / "w.duckdb"
    pipeline.ingest_body(load_settings(db_path=db), "nscale.hf-router",
                         fixture_path("nscale", HF).read_bytes(), day_of("2026-06-19"), "hf")
    lite = tmp_path / "lite.json"
    lite.write_text(nscale_map("2.5e-8", "6e-8"))  # the halving; Qwen right
    config = tmp_path / "pricewatch.toml"
    config.write_text(f'db_path = "{db}"\n[audit.maps]\nlite = "{lite}"\n')

    def record() -> list[dict[str, Any]]:
        result = runner.invoke(app, ["audit", "--record", "--json", "--config", str(config)])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def sql(query: str) -> list[tuple]:
        result = runner.invoke(app, ["sql", query, "--json", "--config", str(config)])
        assert result.exit_code == 0, result.output
        return [tuple(row.values()) for row in json.loads(result.stdout)]

    first = record()
    assert [(r["source"], r["status"], r["records"]) for r in first] == [
        ("audit.lite", "ok", 4)]
    assert sql("SELECT key, component, class, map_price, provider_price, ratio "
               "FROM map_disagreements ORDER BY ALL") == [
        ("nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "input", "wrong", "0.025",
         "0.05", 0.5),
        ("nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "output", "wrong", "0.025",
         "0.05", 0.5)]
    start = datetime.now(UTC).isoformat()
    lite.write_text(nscale_map("5e-8", "7e-8"))  # the halving mended; Qwen now wrong
    second = record()
    assert [(r["status"], r["records"]) for r in second] == [("ok", 4)]
    assert sql("SELECT key, component, class, map_price FROM map_disagreements") == [
        ("nscale/Qwen/Qwen2.5-Coder-32B-Instruct", "input", "wrong", "0.07")]
    closed = sql("SELECT map_key, component, map_class FROM map_audit_history "
                 "WHERE valid_to IS NOT NULL ORDER BY ALL")
    assert ("nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "input", "wrong") in closed
    alerts = runner.invoke(app, ["alerts", "--since", "2000-01-01T00:00:00Z", "--kind",
                                 "map_drift", "--json", "--config", str(config)])
    assert alerts.exit_code == 0, alerts.output
    drift = json.loads(alerts.stdout)
    assert [(a["provider"], a["model"], a["component"], a["old_price"], a["new_price"])
            for a in drift] == [("nscale", "Qwen/Qwen2.5-Coder-32B-Instruct", "input",
                                 "0.07", "0.06")]
    assert drift[0]["message"] == ("lite (nscale/Qwen/Qwen2.5-Coder-32B-Instruct) says 0.07 "
                                   "for input at nscale: wrong, the provider charges 0.06 "
                                   "per_1m_tokens")
    assert drift[0]["detected_at"] >= start
    third = record()  # the same map against the same prices: nothing new
    assert [r["status"] for r in third] == ["unchanged"]
    again = runner.invoke(app, ["alerts", "--since", "2000-01-01T00:00:00Z", "--kind",
                                "map_drift", "--json", "--config", str(config)])
    assert [a["alert_id"] for a in json.loads(again.stdout)] == [drift[0]["alert_id"]]
    refused = runner.invoke(app, ["reparse", "audit.lite", "--config", str(config)])
    assert refused.exit_code == 1 and "audit --record" in refused.output
    lite.write_text("not json")
    failed = runner.invoke(app, ["audit", "--record", "--json", "--config", str(config)])
    assert failed.exit_code == 1
    assert [(r["status"], "not JSON" in r["message"]) for r in json.loads(failed.stdout)] == [
        ("failed", True)]
    assert sql("SELECT count(*) FROM map_disagreements") == [(1,)]  # a failed audit: kept


def test_the_daemon_audits_the_configured_maps(tmp_path: Path) -> None:
    """The daemon's audit job: one run per map of audit.maps, remembered for the
    heartbeat; a map that cannot be read is a failed run of its source, the next map is
    still audited."""
    from pricewatch.scheduler import Daemon

    db = tmp_path / "w.duckdb"
    pipeline.ingest_body(load_settings(db_path=db), "nscale.hf-router",
                         fixture_path("nscale", HF).read_bytes(), day_of("2026-06-19"), "hf")
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(nscale_map("2.5e-8", "6e-8"))
    bad.write_text("{")
    settings = load_settings(db_path=db).model_copy(update={"audit": load_settings(
        db_path=db).audit.model_copy(update={"maps": {"good": str(good), "bad": str(bad)}})})
    daemon = Daemon(settings, ("nscale.hf-router",))
    daemon.run_audits()
    assert {name: state["last_status"] for name, state in daemon._state.items()} == {
        "audit.bad": "failed", "audit.good": "ok"}
    result = runner.invoke(app, ["sql", "SELECT source, status FROM runs WHERE source LIKE "
                                 "'audit.%' ORDER BY source", "--json", "--db", str(db)])
    assert json.loads(result.stdout) == [{"source": "audit.bad", "status": "failed"},
                                         {"source": "audit.good", "status": "ok"}]


def test_a_price_finer_than_the_warehouse_costs_that_price_only() -> None:
    """A map price that needs more than 18 decimal places cannot be compared exactly: it is
    counted as not read, and the entry's other prices are read."""
    read = read_map(json.dumps({"openrouter/acme/a": {
        "litellm_provider": "openrouter", "input_cost_per_token": "1.23456789012345678901e-7",
        "output_cost_per_token": "2e-7"}}).encode(), "fine")
    assert [(p.component, p.price) for p in read.prices] == [("output", Decimal("0.2"))]
    assert dict(read.unread) == {"input_cost_per_token (more than 18 decimal places)": 1}


GENAI_PACKAGE = '''
"""A stand-in for genai-prices' generated data module: its shapes (dataclasses, a price
object holding only the fields it has, `or_`, dated sets), not its data."""
import datetime
from dataclasses import dataclass
from decimal import Decimal


@dataclass
class ClauseEquals:
    equals: str


@dataclass
class ClauseOr:
    or_: list


class ModelPrice:
    def __init__(self, **prices):
        self.__dict__.update(prices)


@dataclass
class StartDateConstraint:
    start_date: datetime.date


@dataclass
class ConditionalPrice:
    constraint: object = None
    prices: object = None


@dataclass
class ModelInfo:
    id: str
    match: object
    name: str | None = None
    prices: object = None
    price_variants: object = None


@dataclass
class Provider:
    id: str
    name: str
    models: list


providers = [Provider("huggingface_nscale", "HuggingFace (nscale)", [ModelInfo(
    "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
    ClauseOr([ClauseEquals("deepseek-ai/deepseek-r1-distill-llama-8b")]),
    prices=[ConditionalPrice(None, ModelPrice(input_mtok=Decimal("0.025"))),
            ConditionalPrice(StartDateConstraint(datetime.date(2026, 6, 1)),
                             ModelPrice(input_mtok=Decimal("0.05"),
                                        output_mtok=Decimal("0.05")))],
    price_variants=[{"flex": {}}])])]
'''


def test_the_genai_prices_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """package:genai-prices reads the providers genai-prices ships as Python (its wheel
    has no data file) into its data file's shape: rules, dated sets, exact decimals; a
    field of the model it does not read is counted."""
    db = tmp_path / "w.duckdb"
    pipeline.ingest_body(load_settings(db_path=db), "nscale.hf-router",
                         fixture_path("nscale", HF).read_bytes(), day_of("2026-06-19"), "hf")
    package = tmp_path / "site" / "genai_prices"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data.py").write_text(GENAI_PACKAGE)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    for name in [m for m in list(sys.modules) if m.startswith("genai_prices")]:
        monkeypatch.delitem(sys.modules, name)
    result = audit(db, "package:genai-prices")
    assert [(r["key"], r["component"], r["class"], r["map_price"]) for r in result["rows"]] == [
        ("huggingface_nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "input", "agree",
         "0.05"),
        ("huggingface_nscale/deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "output", "agree",
         "0.05")]
    assert result["maps"][0]["unread_fields"] == {"models[].price_variants": 1}
