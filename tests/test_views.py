"""The views on histories built from the shared captures, checked against figures computed
independently from the files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import fixture_path, ingest_catalogues, jsonl, price_line
from helpers.lake import postgres_lake
from pricewatch import queries
from pricewatch.cli.main import app
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import load_settings

runner = CliRunner()
CAPTURES = [("models-2025-12-18.json", "2025-12-18"), ("models-2026-01-29.json", "2026-01-29")]


def at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T00:00:00+00:00")


def raw(name: str) -> dict[str, dict]:
    return {m["id"]: m for m in json.loads(fixture_path("openrouter", name).read_text())["data"]}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, backend: str) -> Iterator[Path]:
    """The shared captures ingested, on a file and (parametrized) on a DuckLake."""
    folder = tmp_path_factory.mktemp("views")
    with ExitStack() as stack:
        if backend == "lake":
            target, data = stack.enter_context(postgres_lake(folder))
            patch = stack.enter_context(pytest.MonkeyPatch.context())
            patch.setenv("PRICEWATCH_DUCKLAKE__DATA_PATH", str(data))
            db = Path(target)
        else:
            db = folder / "views.duckdb"
        ingest_catalogues(db, [day for _, day in CAPTURES])
        pipeline.ingest_body(load_settings(db_path=db), "nscale.hf-router",
                             fixture_path("nscale", "hf-router-models-2026-06-19.json"
                                          ).read_bytes(), at("2026-06-19"), "hf")
        yield db


def sql(db: Path, query: str, params=None) -> list[dict]:
    with queries.open_gold(load_settings(db_path=db)) as con:
        return queries.rows(con, query, params)[1]


def test_price_changes_between_two_captures(warehouse: Path) -> None:
    old, new = raw("models-2025-12-18.json"), raw("models-2026-01-29.json")
    expected = set()
    for model in old.keys() & new.keys():
        for key, component in (("prompt", "input"), ("completion", "output")):
            a, b = old[model]["pricing"][key], new[model]["pricing"][key]
            if a != b and "-1" not in (a, b) and Decimal(a) != Decimal(b):
                expected.add((model, component, Decimal(a) * 1_000_000,
                              Decimal(b) * 1_000_000))
    rows = sql(warehouse, "SELECT model, component, old_price, new_price FROM price_changes "
                          "WHERE kind = 'changed' AND changed_at = '2026-01-29' "
                          "AND component IN ('input', 'output')")
    assert {(r["model"], r["component"], r["old_price"], r["new_price"]) for r in rows} \
        == expected
    assert len(expected) > 10
    some = next(r for r in sql(warehouse, "SELECT * FROM price_changes WHERE model = "
                               "'alpindale/goliath-120b' AND component = 'input'")
                if r["kind"] == "changed")
    assert (some["old_price"], some["new_price"], some["change_pct"]) == \
        (Decimal(6), Decimal("3.75"), Decimal("-37.50"))


def test_unlisted_and_new_models(warehouse: Path) -> None:
    old, new = raw("models-2025-12-18.json"), raw("models-2026-01-29.json")
    rows = sql(warehouse, "SELECT model, kind FROM offer_changes WHERE source = "
                          "'openrouter.models' AND changed_at = '2026-01-29'")
    assert {r["model"] for r in rows if r["kind"] == "unlisted"} == old.keys() - new.keys()
    assert {r["model"] for r in rows if r["kind"] == "listed"} == new.keys() - old.keys()
    unlisted_prices = sql(warehouse, "SELECT DISTINCT model FROM price_changes "
                                     "WHERE kind = 'unlisted' AND changed_at = '2026-01-29' "
                                     "AND component = 'input'")
    assert {r["model"] for r in unlisted_prices} == old.keys() - new.keys()


def _expected_cheapest(models: dict[str, dict], wanted) -> tuple[str, Decimal]:
    best = []
    for model, item in models.items():
        pricing = item["pricing"]
        if "-1" in (pricing["prompt"], pricing["completion"]) or not wanted(item):
            continue
        p_in, p_out = Decimal(pricing["prompt"]) * 10**6, Decimal(pricing["completion"]) * 10**6
        if p_in == 0 and p_out == 0:
            continue  # free offers are ranked apart
        blended = ((3 * p_in + p_out) / 4).quantize(Decimal("1E-12"))
        best.append((blended, p_in, p_out, model))
    blended, _, _, model = min(best)
    return model, blended


@pytest.mark.parametrize(("capability", "wanted"), [
    ("vision", lambda m: "image" in m["architecture"].get("input_modalities", [])),
    ("reasoning", lambda m: {"reasoning", "include_reasoning"}
     & set(m.get("supported_parameters") or [])),
])
def test_cheapest_paid_offer_at_a_time(warehouse: Path, capability: str, wanted) -> None:
    for name, day in CAPTURES:
        model, blended = _expected_cheapest(raw(name), wanted)
        (row,) = sql(warehouse, "SELECT * FROM cheapest_as_of(?, 3, 1, 0) WHERE capability = ? "
                                "AND rank = 1 AND NOT is_free AND provider = 'openrouter' "
                                "AND route = ''", [at(day).replace(hour=12), capability])
        assert (row["model"], row["blended_price"]) == (model, blended), day


def test_free_offers_rank_apart(warehouse: Path) -> None:
    rows = sql(warehouse, "SELECT is_free, rank FROM cheapest_per_capability "
                          "WHERE capability = 'text' AND rank = 1")
    assert sorted(r["is_free"] for r in rows) == [False, True]


def test_budget_figures(warehouse: Path) -> None:
    result = runner.invoke(app, ["budget", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
                                 "Qwen/Qwen2.5-Coder-32B-Instruct", "--input", "10M",
                                 "--output", "5M", "--db", str(warehouse), "--json"])
    assert result.exit_code == 0, result.stderr
    costs = {(r["provider"], r["model"]): r["monthly_cost"] for r in json.loads(result.stdout)}
    assert costs[("nscale", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")] == "0.75"
    assert costs[("nscale", "Qwen/Qwen2.5-Coder-32B-Instruct")] == "1.6"  # exact, not "1.60"


def test_budget_json_is_exact_and_the_table_says_how_it_rounds(tmp_path: Path) -> None:
    """4.125 is 4.125 in --json (it printed 4.12 while saying "exact decimals"); the table
    rounds half-even to the cent and says so."""
    db = tmp_path / "b.duckdb"
    lines = [price_line("acme/m", "0.4125", "input"), price_line("acme/m", "1", "output"),
             json.dumps({"kind": "offer", "provider": "openrouter", "model": "acme/m"})]
    pipeline.ingest_body(load_settings(db_path=db), "records", jsonl(*lines), at("2026-07-31"),
                         "budget-records")
    result = runner.invoke(app, ["budget", "acme/m", "--input", "10M", "--output", "0",
                                 "--db", str(db), "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["monthly_cost"] == "4.125"
    table = runner.invoke(app, ["budget", "acme/m", "--input", "10M", "--output", "0",
                                "--db", str(db)], env={"COLUMNS": "200"})
    assert "4.12 " in table.stdout and "rounded half-even to the cent" in table.stdout


def test_budget_with_vertex_prices_and_a_free_preview(tmp_path: Path) -> None:
    db = tmp_path / "v.duckdb"
    lines = [price_line("llama-3.1-405b-instruct-maas", "5", "input", provider="vertex",
                        source="vertex.pricing"),
             price_line("llama-3.1-405b-instruct-maas", "16", "output", provider="vertex",
                        source="vertex.pricing"),
             price_line("llama-3.2-90b-vision-instruct-maas", "0", "input", provider="vertex",
                        source="vertex.pricing"),
             price_line("llama-3.2-90b-vision-instruct-maas", "0", "output", provider="vertex",
                        source="vertex.pricing"),
             json.dumps({"kind": "offer", "source": "vertex.pricing", "provider": "vertex",
                         "model": "llama-3.1-405b-instruct-maas"}),
             json.dumps({"kind": "offer", "source": "vertex.pricing", "provider": "vertex",
                         "model": "llama-3.2-90b-vision-instruct-maas", "status": "preview"})]
    pipeline.ingest_body(load_settings(db_path=db), "records", jsonl(*lines), at("2026-07-31"),
                         "vertex-records")
    result = runner.invoke(app, ["budget", "meta-llama/llama-3.1-405b-instruct",
                                 "Llama 3.2 90B Vision", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.stderr
    rows = {r["model"]: r for r in json.loads(result.stdout)}
    assert rows["llama-3.1-405b-instruct-maas"]["monthly_cost"] == "130"
    preview = rows["llama-3.2-90b-vision-instruct-maas"]
    assert (preview["monthly_cost"], preview["status"]) == ("0", "preview")


@pytest.mark.parametrize(("args", "message", "code"), [
    (["budget", "gpt-4o-minni"], "close matches: openai/gpt-4o-mini", 1),
    (["cheapest", "--capability", "visoin"], "close matches: vision", 1),
    (["budget", "--input", "10Q"], "not a token amount", 2),  # unreadable option text
    (["cheapest", "--mix", "3-1"], "INPUT:OUTPUT", 2),
])
def test_bad_input_gets_a_clear_message(warehouse: Path, args: list[str], message: str,
                                        code: int) -> None:
    result = runner.invoke(app, [*args, "--db", str(warehouse)])
    assert result.exit_code == code
    assert message in " ".join(result.stderr.split())


def test_canonical_ids_match_across_providers(warehouse: Path) -> None:
    names = ["meta-llama/llama-3.1-405b-instruct", "llama-3.1-405b-instruct-maas",
             "meta-llama/Llama-3.1-405B-Instruct", "Llama 3.1 405B",
             "google/gemini-2.5-pro", "Gemini 2.5 Pro", "gemini-2.5-pro@001",
             "qwen/qwen-2.5-coder-32b-instruct:free", "Qwen/Qwen2.5-Coder-32B-Instruct",
             "openai/gpt-4o-2024-08-06", "openai/gpt-4o"]
    rows = sql(warehouse, "SELECT n, canonical_model_rules(n) AS c FROM "
                          "(SELECT unnest(?) AS n)", [names])
    canonical = {r["n"]: r["c"] for r in rows}
    assert len({canonical[n] for n in names[:4]}) == 1
    assert len({canonical[n] for n in names[4:7]}) == 1
    assert canonical[names[7]] == canonical[names[8]]
    assert canonical[names[9]] == canonical[names[10]]
    assert canonical["meta-llama/llama-3.1-405b-instruct"] != canonical["google/gemini-2.5-pro"]
    # issue 31, item 5: the family joins its version and nothing after it does (joining
    # every letter and digit made ids that read as typos: qwen2.5-coder32b, gpt-oss120b)
    readable = sql(warehouse, "SELECT list(canonical_model_rules(n) ORDER BY i) AS c FROM "
                              "(SELECT unnest(?) AS n, generate_subscripts(?, 1) AS i)",
                   [[*names[7:9], "openai/gpt-oss-120b", "qwen/qwen3-next-80b-a3b-instruct",
                     "Qwen/Qwen2.5-Coder-3B-Instruct", "openai/gpt-4o-mini"]] * 2)
    assert readable[0]["c"] == ["qwen2.5-coder-32b", "qwen2.5-coder-32b", "gpt-oss-120b",
                                "qwen3-next-80b-a3b", "qwen2.5-coder-3b", "gpt4o-mini"]


def test_identity_overrides_from_toml(tmp_path: Path) -> None:
    overrides = tmp_path / "identity.toml"
    overrides.write_text('[[override]]\nprovider = "openrouter"\nmodel = "a/odd-name"\n'
                         'canonical_model = "llama3.1-405b"\n')
    db = tmp_path / "o.duckdb"
    settings = load_settings(db_path=db, views={"identity_overrides": overrides})
    pipeline.ingest_body(settings, "records", jsonl(price_line("a/odd-name", "1")),
                         at("2026-01-01"), "x")
    with queries.open_gold(settings) as con:
        (row,) = queries.rows(con, "SELECT canonical_model FROM current_prices")[1]
    assert row["canonical_model"] == "llama3.1-405b"


def test_future_effective_prices_are_upcoming_not_current(tmp_path: Path) -> None:
    db = tmp_path / "f.duckdb"
    settings = load_settings(db_path=db)
    lines = [price_line("m", "1.50", provider="vertex", source="vertex.pricing"),
             price_line("m", "1.65", provider="vertex", source="vertex.pricing",
                        effective_from="2099-01-01")]
    pipeline.ingest_body(settings, "records", jsonl(*lines), at("2026-06-01"), "x")
    with queries.open_gold(settings) as con:
        current = queries.rows(con, "SELECT price FROM current_prices")[1]
        upcoming = queries.rows(con, "SELECT price, effective_from FROM upcoming_prices")[1]
        later = queries.rows(con, "SELECT price FROM prices_as_of(TIMESTAMPTZ '2099-06-01')")[1]
    assert [r["price"] for r in current] == [Decimal("1.5")]
    assert [(r["price"], str(r["effective_from"])) for r in upcoming] == \
        [(Decimal("1.65"), "2099-01-01")]
    assert [r["price"] for r in later] == [Decimal("1.65")]


def test_a_drop_gives_one_alert_with_a_stable_id(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    settings = load_settings(db_path=db)
    for day, price in (("2026-01-01", "10"), ("2026-01-02", "10"), ("2026-01-03", "8")):
        pipeline.ingest_body(settings, "records", jsonl(price_line("m", price),
                                                        price_line("n", "1")), at(day), day)
    first = sql(db, "SELECT * FROM price_alerts WHERE kind <> 'new_cheapest'")
    assert [(a["kind"], a["old_price"], a["new_price"], a["change_pct"]) for a in first] == [
        ("price_drop", Decimal(10), Decimal(8), Decimal("-20.00"))]
    assert first[0]["message"] == "m at openrouter: input 10 -> 8 per_1m_tokens (-20%)"
    again = sql(db, "SELECT alert_id FROM price_alerts WHERE kind = 'price_drop'")
    assert [a["alert_id"] for a in again] == [first[0]["alert_id"]]


def test_failing_collector_alert(tmp_path: Path) -> None:
    from pricewatch.records import ParseResult
    from pricewatch.warehouse.db import open_db
    from pricewatch.warehouse.ingest import record_run

    db = tmp_path / "c.duckdb"
    ids = []
    for day in range(1, 6):
        with open_db(db) as con:
            record_run(con, source="openrouter.models", parser="openrouter.models",
                       observed_at=at(f"2026-01-0{day}"),
                       parsed=ParseResult(None, error="connect: refused"))
        ids.append([r["alert_id"] for r in sql(db, "SELECT alert_id FROM price_alerts")])
    assert ids[:2] == [[], []]  # two failures in a row are not yet an alert
    assert ids[2] == ids[3] == ids[4] and len(ids[2]) == 1  # one alert for the streak
    rows = sql(db, "SELECT kind, model, message FROM price_alerts")
    assert rows == [{"kind": "collector_failing", "model": "openrouter.models",
                     "message": "openrouter.models failed or was suspect 3 runs in a row"}]


def test_views_exist_for_other_tools(warehouse: Path, backend: str) -> None:
    import duckdb

    from pricewatch.warehouse import lake as lakes

    with duckdb.connect(":memory:") as con:
        if backend == "lake":  # the analyst's session: the lake attached read-only
            lakes.load_extensions(con, "postgres")
            con.execute(lakes.attach_sql(lakes.parse(str(warehouse)), "lake", True))
        else:
            con.execute(f"ATTACH '{warehouse}' AS lake (READ_ONLY)")
        con.execute("USE lake")
        names = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() "
                                           "WHERE NOT internal").fetchall()}
        columns = [r[0] for r in con.execute("DESCRIBE current_prices").fetchall()]
    assert {"current_prices", "price_changes", "cheapest_per_capability",
            "price_alerts"} <= names
    assert columns[:11] == ["provider", "model", "canonical_model", "route", "component",
                            "service_tier", "context_threshold", "unit", "price", "currency",
                            "valid_from"]


def test_compare_side_by_side(warehouse: Path) -> None:
    result = runner.invoke(app, ["compare", "Qwen/Qwen2.5-Coder-32B-Instruct",
                                 "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
                                 "--workload", "10M:5M", "--format", "json",
                                 "--db", str(warehouse)])
    assert result.exit_code == 0, result.stderr
    rows = {(r["provider"], r["route"], r["model"]): r for r in json.loads(result.stdout)}
    qwen_nscale = rows[("nscale", "huggingface", "Qwen/Qwen2.5-Coder-32B-Instruct")]
    assert (qwen_nscale["input_price"], qwen_nscale["output_price"],
            qwen_nscale["monthly_cost"]) == ("0.06", "0.2", "1.6")
    assert "coding" in qwen_nscale["capabilities"]
    assert qwen_nscale["source"] == "nscale.hf-router"
    assert qwen_nscale["observed_at"] == "2026-06-19T00:00:00Z"
    # The same model at OpenRouter joins the comparison through its canonical id.
    openrouter = rows[("openrouter", "", "qwen/qwen-2.5-coder-32b-instruct")]
    assert openrouter["monthly_cost"] == "0.85"
    cheapest = rows[("nscale", "huggingface", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")]
    assert cheapest["monthly_cost"] == "0.75" and "background" in cheapest["role"]
    # A window under long_context_tokens (128K) is no long context, even when alone.
    short = sql(warehouse, "SELECT canonical_model FROM current_offers GROUP BY ALL "
                           "HAVING max(context_length) < 128000 AND count(*) = 1 "
                           "ORDER BY canonical_model LIMIT 1")[0]["canonical_model"]
    alone = runner.invoke(app, ["compare", short, "--json", "--db", str(warehouse)])
    [alone_row] = json.loads(alone.stdout)
    assert alone_row["context_length"] < 128_000 and alone_row["role"] == "background (cheapest)"
    md = runner.invoke(app, ["compare", "Qwen/Qwen2.5-Coder-32B-Instruct", "--format", "md",
                             "--db", str(warehouse)])
    assert md.stdout.count("\n| ") == 3  # header + the two offers


def test_router_config_picks_the_cheapest_offer_with_what_each_role_needs(
        warehouse: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["router-config", "--format", "json", "--db", str(warehouse)])
    assert result.exit_code == 0, result.stderr
    router = json.loads(result.stdout)["Router"]
    assert set(router) == {"default", "background", "think", "longContext", "webSearch",
                           "image", "longContextThreshold"}
    assert router["longContextThreshold"] == 128000
    ranked = sql(warehouse, "SELECT capability, provider, model, route FROM "
                            "cheapest_per_capability WHERE rank = 1 AND NOT is_free AND "
                            "price_unit = 'per_1m_tokens' AND (route = '' OR "
                            "provider <> 'openrouter') ORDER BY blended_price")
    text_pick = next(r for r in ranked if r["capability"] == "text")
    assert router["background"] == f"{text_pick['provider']},{text_pick['model']}"
    # the common vocabulary: json is the section itself (to a file with --out), the other
    # formats each role's choice and why
    out = tmp_path / "router.json"  # not beside a lake's `ducklake:...` target: the cwd
    written = runner.invoke(app, ["router-config", "--format", "json", "--out", str(out),
                                  "--db", str(warehouse)])
    assert written.exit_code == 0 and written.stdout == ""
    assert json.loads(out.read_text())["Router"] == router
    md = runner.invoke(app, ["router-config", "--format", "md", "--db", str(warehouse)])
    assert md.stdout.count("\n| ") == 1 + 6  # the header, one row per role
    roles = runner.invoke(app, ["router-config", "--format", "jsonl", "--db", str(warehouse)])
    rows = [json.loads(line) for line in roles.stdout.splitlines()]
    assert [r["role"] for r in rows] == ["default", "background", "think", "longContext",
                                         "webSearch", "image"]
    assert all(router[r["role"]].endswith("," + r["model"]) for r in rows)


def test_rate_limits_attach_to_the_offers_their_scope_covers(tmp_path: Path) -> None:
    """A paid OpenRouter model does not show the `:free` limits; Vertex's Llama does not show
    Gemini's dynamic shared quota; account-wide limits cover every offer of the provider."""
    db = tmp_path / "l.duckdb"

    def offer(provider: str, model: str) -> str:
        return json.dumps({"kind": "offer", "provider": provider, "model": model})

    def limit(provider: str, scope: str, metric: str, value: str | None, **extra) -> str:
        return json.dumps({"kind": "rate_limit", "provider": provider, "scope": scope,
                           "metric": metric, "value": value, **extra})

    lines = [offer("openrouter", "acme/m"), offer("openrouter", "acme/m:free"),
             price_line("acme/m", "1", "input"), price_line("acme/m", "2", "output"),
             price_line("acme/m:free", "0", "input"), price_line("acme/m:free", "0", "output"),
             limit("openrouter", ":free models", "requests_per_minute", "20"),
             limit("openrouter", "api key", "credits", "50"),
             offer("vertex", "gemini-2.5-pro"), offer("vertex", "llama-3.1-405b"),
             price_line("gemini-2.5-pro", "1.25", "input", provider="vertex"),
             price_line("llama-3.1-405b", "5", "input", provider="vertex"),
             limit("vertex", "gemini-2.5-pro", "fixed_quota", None, enforced=False,
                   note="dynamic shared quota"),
             limit("vertex", "Gemini Pro models", "tokens_per_minute", "500000",
                   condition="standard paygo usage tier 1")]
    pipeline.ingest_body(load_settings(db_path=db), "records", jsonl(*lines), at("2026-07-31"),
                         "limits-records")
    result = runner.invoke(app, ["compare", "acme/m", "acme/m:free", "gemini-2.5-pro",
                                 "llama-3.1-405b", "--format", "json", "--db", str(db)])
    assert result.exit_code == 0, result.stderr
    limits = {r["model"]: r["rate_limits"] for r in json.loads(result.stdout)}
    assert limits["acme/m"] == ["api key credits 50"]
    assert limits["acme/m:free"] == [":free models requests_per_minute 20", "api key credits 50"]
    assert limits["gemini-2.5-pro"] == [
        "Gemini Pro models tokens_per_minute 500000 (standard paygo usage tier 1)",
        "gemini-2.5-pro fixed_quota not enforced"]
    assert limits["llama-3.1-405b"] is None


def test_a_users_own_view_is_left_alone_when_the_views_are_installed(settings) -> None:
    """A view of the user's own in the warehouse (a dashboard's) made every later install
    of pricewatch's views fail (KeyError: no reference text for it), after the run had
    landed: `ingest` and `status` ended with an internal error."""
    from pricewatch.warehouse.db import open_warehouse

    pipeline.ingest_body(settings, "records", jsonl(price_line("a", "1")), at("2026-01-01"),
                         "t:0")
    with open_warehouse(settings) as con:
        con.execute("CREATE VIEW my_prices AS SELECT model, price FROM current_prices")
        con.execute("UPDATE views_installed SET checksum = 'an older pricewatch'")
    outcome = pipeline.ingest_body(settings, "records", jsonl(price_line("a", "2")),
                                   at("2026-01-02"), "t:1")
    assert (outcome.status, outcome.opened, outcome.closed) == ("ok", 1, 1)
    with queries.open_gold(settings) as con:
        assert queries.views_current(con, settings)
        assert con.execute("SELECT model, price FROM my_prices").fetchall() == [
            ("a", Decimal(2))]
        comments = dict(con.execute(
            "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND "
            "database_name = current_database()").fetchall())
    assert comments["my_prices"] is None
    assert comments["current_prices"].startswith("What each offer costs now")
