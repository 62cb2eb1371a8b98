"""Quality scores (issue 33): Aider's polyglot leaderboard read into `score` records on the
three shared versions, their history across versions, and which canonical model a published
name is (model_scores, unmatched_scores)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from helpers import fixture_path, history_violations, jsonl, price_line
from pricewatch import queries
from pricewatch.cli.main import app
from pricewatch.collectors.aider.polyglot import command_flags, parse_polyglot
from pricewatch.collectors.base import ParseError
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import load_settings
from pricewatch.warehouse.db import open_db

runner = CliRunner()
VERSIONS = ("2025-01-31-1a6a16e0", "2025-04-20-230e5065", "2025-06-30-302b0cb5")
METRICS = ("pass_rate_2", "pass_rate_1", "percent_cases_well_formed")


def leaderboard(version: str) -> bytes:
    return fixture_path("quality", f"aider-polyglot_leaderboard-{version}.yml").read_bytes()


def observed(version: str) -> datetime:
    return datetime.fromisoformat(version[:10]).replace(tzinfo=UTC)


def expected_scores(version: str) -> dict[tuple[str, str, str], Decimal]:
    """(dirname, model, metric) -> the figure's own text as Decimal (YAML read as strings)."""
    runs = yaml.load(leaderboard(version), Loader=yaml.BaseLoader)  # every scalar a string
    return {(run["dirname"], run["model"], metric): Decimal(run[metric])
            for run in runs for metric in METRICS if metric in run}


@pytest.mark.parametrize("version", VERSIONS)
def test_every_run_is_a_score_record_with_its_exact_value(version: str) -> None:
    output = parse_polyglot(leaderboard(version), observed(version))
    found = {(r.run_label, r.model_label, r.metric): r.value for r in output.records}
    expected = expected_scores(version)
    assert found == expected and len(output.records) == len(expected)
    assert output.warnings == [] and output.left_out == 0 and output.unread == ()
    assert {r.licence for r in output.records} == {"Apache-2.0"}
    assert all(r.benchmark == "aider.polyglot" and r.provider == "aider"
               for r in output.records)


def test_the_qwen_coder_runs_of_the_founding_report() -> None:
    """16.4 % with the whole edit format, 8.0 % with diff, on 2024-12-26 and -22."""
    output = parse_polyglot(leaderboard(VERSIONS[-1]), observed(VERSIONS[-1]))
    qwen = sorted((r.variant, r.value, r.run_date, r.model_ref) for r in output.records
                  if r.model_label == "Qwen2.5-Coder-32B-Instruct" and r.metric == "pass_rate_2")
    assert qwen == [
        ("edit_format=diff", Decimal("8.0"), date(2024, 12, 22),
         "openai/Qwen/Qwen2.5-Coder-32B-Instruct"),
        ("edit_format=whole", Decimal("16.4"), date(2024, 12, 26),
         "openai/Qwen2.5-Coder-32B-Instruct")]


def test_variants_combined_runs_and_run_figures() -> None:
    output = parse_polyglot(leaderboard(VERSIONS[-1]), observed(VERSIONS[-1]))
    by_label = {r.model_label: r for r in output.records if r.metric == "pass_rate_2"}
    pair = by_label["o3 (high) + gpt-4.1"]
    assert pair.combined and pair.model_ref == "o3" and pair.variant == (
        "edit_format=architect; reasoning_effort=high; editor_model=gpt-4.1; "
        "editor_edit_format=editor-diff")
    assert (pair.value, pair.seconds_per_case, pair.total_cost_usd) == (
        Decimal("78.2"), Decimal("121.8"), Decimal("17.5518"))
    # the effort only in the command line (early runs) is part of the variant too
    assert by_label["o3-mini (high)"].variant == "edit_format=diff; reasoning_effort=high"
    assert by_label["o1-2024-12-17 (high)"].model_ref == "openrouter/openai/o1"
    assert not by_label["o3 (high)"].combined
    combined = sorted(r.model_label for r in by_label.values() if r.combined)
    assert combined == ["DeepSeek R1 + claude-3-5-sonnet-20241022",
                        "QwQ-32B + Qwen 2.5 Coder Instruct", "o3 (high) + gpt-4.1"]
    # one run publishes no total_cost: none, never 0
    runs = yaml.safe_load(leaderboard(VERSIONS[-1]))
    missing = [run["dirname"] for run in runs if "total_cost" not in run]
    assert len(missing) == 1
    assert {r.total_cost_usd for r in output.records if r.run_label == missing[0]} == {None}


BASE_RUN = """- dirname: 2025-01-01--a
  model: Model A
  pass_rate_2: 40.0
  pass_rate_1: 20.0
  edit_format: diff
  command: aider --model openrouter/acme/model-a
  date: 2025-01-01
"""


@pytest.mark.parametrize(("text", "labels", "left_out", "unread"), [
    # keys in another order, extra whitespace, a quoted figure, an int figure
    ("-   pass_rate_2: '12.5'\n    model:   Model B  \n    dirname: b\n    date: '2025-02-03'\n"
     + BASE_RUN, {"Model A": "40.0", "Model B": "12.5"}, 0, []),
    ("- model: Model C\n  dirname: c\n  pass_rate_2: 7\n" + BASE_RUN,
     {"Model A": "40.0", "Model C": "7"}, 0, []),
    # a run without a model, one with a figure that is no number: left out, named
    ("- dirname: x\n  pass_rate_2: 1.0\n- model: Bad\n  pass_rate_2: high\n" + BASE_RUN,
     {"Model A": "40.0"}, 2, []),
    # a run without any of the metrics is left out; .nan is not a figure
    ("- model: Empty\n  dirname: e\n- model: NaN\n  pass_rate_2: .nan\n" + BASE_RUN,
     {"Model A": "40.0"}, 2, []),
    # a percentage below 0 or above 100 is no figure of this benchmark
    ("- model: Neg\n  pass_rate_2: -5\n- model: Over\n  pass_rate_2: 100.5\n" + BASE_RUN,
     {"Model A": "40.0"}, 2, []),
    # the same run twice (no dirname to tell them apart): the second is left out, named
    ("- model: Twin\n  pass_rate_2: 1.0\n- model: Twin\n  pass_rate_2: 2.0\n" + BASE_RUN,
     {"Model A": "40.0", "Twin": "1.0"}, 1, []),
    # a key pricewatch does not read is recorded as unread
    (BASE_RUN + "  cost_per_case: 0.1\n", {"Model A": "40.0"}, 0, ["[].cost_per_case"]),
])
def test_runs_in_other_shapes(text: str, labels: dict, left_out: int, unread: list) -> None:
    output = parse_polyglot(text.encode(), observed(VERSIONS[0]))
    assert {r.model_label: str(r.value) for r in output.records
            if r.metric == "pass_rate_2"} == labels
    assert output.left_out == left_out and [u.path for u in output.unread] == unread
    if left_out:
        assert output.scope is not None and f"{left_out} of" in output.warnings[0]


@pytest.mark.parametrize("text", [b"", b"{}", b"data: []", b"- [unclosed", b"\xff\xfe"])
def test_a_body_that_is_no_leaderboard_is_a_parse_error(text: bytes) -> None:
    with pytest.raises(ParseError, match=r"aider\.polyglot"):
        parse_polyglot(text, observed(VERSIONS[0]))


@pytest.mark.parametrize(("command", "expected"), [
    ("aider --model openrouter/openai/o1", {"model": "openrouter/openai/o1"}),
    ("aider --model=o3 --reasoning-effort high", {"model": "o3", "reasoning_effort": "high"}),
    ("aider --architect --model r1 --editor-model sonnet", {"model": "r1"}),
    ("aider --sonnet", {}),
    (None, {}),
    ("aider --model 'unbalanced", {"model": "'unbalanced"}),
])
def test_the_command_line(command, expected) -> None:
    assert command_flags(command) == expected


def test_versions_keep_history_and_a_run_that_disappears_is_closed(tmp_path: Path) -> None:
    settings = load_settings(db_path=tmp_path / "q.duckdb")
    for version in VERSIONS:
        outcome = pipeline.ingest_body(settings, "aider.polyglot", leaderboard(version),
                                       observed(version), version)
        assert outcome.status == "ok", outcome.message
    parsed = [expected_scores(v) for v in VERSIONS]
    with open_db(tmp_path / "q.duckdb", read_only=True) as con:
        assert history_violations(con) == []
        rows = con.execute("SELECT run_label, model_label, metric, value, valid_from, valid_to "
                           "FROM score_history").fetchall()
    current = {(r[0], r[1], r[2]): r[3] for r in rows if r[5] is None}
    assert current == parsed[-1]
    # every score of every version is in the history, with the interval it was listed in
    for index, scores in enumerate(parsed):
        at = observed(VERSIONS[index])
        listed = {(r[0], r[1], r[2]): r[3] for r in rows
                  if r[4] <= at and (r[5] is None or r[5] > at)}
        assert listed == scores
    gone = set(parsed[0]) - set(parsed[1])
    assert gone  # a run the April file no longer lists
    assert {r[5] for r in rows if (r[0], r[1], r[2]) in gone and r[4] == observed(
        VERSIONS[0])} == {observed(VERSIONS[1])}


OFFERS = ["qwen/qwen-2.5-coder-32b-instruct", "anthropic/claude-3.5-sonnet", "openai/o1",
          "deepseek/deepseek-chat", "openai/gpt-4.1", "openai/o3"]


def score_line(label: str, value: str, *, ref: str | None = None, variant: str = "",
               run: str = "", run_date: str = "2025-01-01", combined: bool = False) -> str:
    return json.dumps({"kind": "score", "source": "aider.polyglot", "provider": "aider",
                       "benchmark": "aider.polyglot", "metric": "pass_rate_2",
                       "value": value, "model_label": label, "run_label": run or label,
                       "variant": variant, "model_ref": ref, "combined": combined,
                       "run_date": run_date, "licence": "Apache-2.0", "attribution": "t"})


@pytest.fixture
def identity(tmp_path: Path) -> Path:
    db = tmp_path / "id.duckdb"
    offers = jsonl(*[price_line(model, "1") for model in OFFERS])
    scores = jsonl(
        score_line("Qwen2.5-Coder-32B-Instruct", "16.4", variant="edit_format=whole"),
        score_line("Qwen2.5-Coder-32B-Instruct", "8.0", variant="edit_format=diff",
                   run="qwen-diff"),
        score_line("claude-3-5-sonnet-20241022", "51.6"),
        score_line("OpenAI o1 (high)", "61.7", ref="openrouter/openai/o1"),
        score_line("o3 (high) + gpt-4.1", "78.2", ref="o3", combined=True),
        score_line("DeepSeek Chat V2.5", "17.8", ref="deepseek/deepseek-chat"),
        score_line("gpt-4.1", "52.4", run="gpt41-new", run_date="2025-04-14"),
        score_line("gpt-4.1", "50.0", run="gpt41-old", run_date="2025-04-10"),
        score_line("Quasar Alpha", "54.7"),
        score_line("o3", "60.4", run="kept-apart"))
    overrides = tmp_path / "overrides.toml"
    overrides.write_text('[[override]]\nprovider = "aider"\nmodel = "Quasar Alpha"\n'
                         'canonical_model = "gpt4.1"\n'
                         '[[override]]\nprovider = "aider"\nmodel = "o3"\n'
                         'canonical_model = ""\n')
    (tmp_path / "pricewatch.toml").write_text(
        f'db_path = "{db}"\n[views]\nidentity_overrides = "{overrides}"\n')
    for body in (offers, scores):
        result = runner.invoke(app, ["ingest", "records", "-", "--observed-at",
                                     "2025-05-01T00:00:00Z", "--config",
                                     str(tmp_path / "pricewatch.toml")], input=body.decode())
        assert result.exit_code == 0, result.output
    return tmp_path / "pricewatch.toml"


def test_published_names_match_canonical_models_by_documented_rules(identity: Path) -> None:
    settings = load_settings(identity)
    with queries.open_gold(settings) as con:
        matched = con.execute(
            "SELECT model_label, variant, canonical_model, matched_by, value, is_latest "
            "FROM model_scores ORDER BY ALL").fetchall()
        unmatched = dict(con.execute(
            "SELECT model_label, reason FROM unmatched_scores").fetchall())
    assert matched == [
        ("OpenAI o1 (high)", "", "o1", "command", Decimal("61.7"), True),
        ("Quasar Alpha", "", "gpt4.1", "override", Decimal("54.7"), False),
        ("Qwen2.5-Coder-32B-Instruct", "edit_format=diff", "qwen2.5-coder-32b", "label",
         Decimal("8.0"), True),
        ("Qwen2.5-Coder-32B-Instruct", "edit_format=whole", "qwen2.5-coder-32b", "label",
         Decimal("16.4"), True),
        ("claude-3-5-sonnet-20241022", "", "claude3.5-sonnet", "label", Decimal("51.6"), True),
        ("gpt-4.1", "", "gpt4.1", "label", Decimal("50.0"), False),
        ("gpt-4.1", "", "gpt4.1", "label", Decimal("52.4"), True),  # the newer run
    ]
    assert unmatched == {
        "o3 (high) + gpt-4.1": "two models in one run (architect and editor)",
        # the command's deepseek-chat is V3 now: its numbers are not the label's
        "DeepSeek Chat V2.5": "no offer of deepseek-v2.5",
        "o3": "kept unmatched by an override"}


def test_compare_prints_the_founding_reports_models_with_their_scores(tmp_path: Path) -> None:
    """The three models of the report pricewatch was founded on, from the shared captures:
    Qwen2.5-Coder-32B's polyglot scores (16.4 % whole, 8.0 % diff) beside each of its
    offers' prices; the two others have none published, and show none."""
    settings = load_settings(db_path=tmp_path / "f.duckdb")
    pipeline.ingest_body(settings, "openrouter.models",
                         fixture_path("openrouter", "models-2025-05-23.json").read_bytes(),
                         datetime(2025, 5, 23, tzinfo=UTC), "models")
    pipeline.ingest_body(settings, "nscale.hf-router",
                         fixture_path("nscale", "hf-router-models-2026-06-19.json").read_bytes(),
                         datetime(2026, 6, 19, tzinfo=UTC), "hf")
    pipeline.ingest_body(settings, "aider.polyglot", leaderboard(VERSIONS[-1]),
                         observed(VERSIONS[-1]), "aider")
    result = runner.invoke(app, ["compare", "Qwen/Qwen2.5-Coder-32B-Instruct",
                                 "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
                                 "meta-llama/Llama-3.2-90B-Vision-Instruct", "--json",
                                 "--db", str(tmp_path / "f.duckdb")])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    qwen = ["aider.polyglot 16.4 (edit_format=whole, 2024-12-26, aider)",
            "aider.polyglot 8 (edit_format=diff, 2024-12-22, aider)"]
    by_offer = {(r["provider"], r["model"]): r["scores"] for r in rows}
    assert by_offer[("nscale", "Qwen/Qwen2.5-Coder-32B-Instruct")] == qwen
    assert by_offer[("openrouter", "qwen/qwen-2.5-coder-32b-instruct")] == qwen
    assert by_offer[("nscale", "deepseek-ai/DeepSeek-R1-Distill-Llama-8B")] is None
    assert by_offer[("openrouter", "meta-llama/llama-3.2-90b-vision-instruct")] is None
    assert len(rows) == 6


def openrouter_benchmarks(day: str) -> dict[tuple[str, str, str], Decimal]:
    """(model, benchmark, metric) -> value, computed from the raw capture in the test."""
    data = json.loads(fixture_path("openrouter", f"models-{day}.json").read_text(),
                      parse_float=Decimal)["data"]
    found = {}
    for model in data:
        marks = model.get("benchmarks") or {}
        for key, value in (marks.get("artificial_analysis") or {}).items():
            if value is not None:
                found[(model["id"], f"artificial_analysis.{key}", "index")] = Decimal(value)
        for entry in marks.get("design_arena") or []:
            for metric in ("elo", "win_rate"):
                if entry.get(metric) is not None:
                    # names as the parser writes them: "agenticslides(html)" ->
                    # "agenticslides-html"
                    name = ".".join(re.sub(r"[^a-z0-9_-]+", "-", part.lower()).strip("-")
                                    for part in (entry["arena"], entry["category"]))
                    found[(model["id"], f"design_arena.{name}", metric)] = Decimal(
                        entry[metric])
    return found


def test_openrouter_benchmarks_are_scores_of_the_catalogue_run() -> None:
    """303 of 465 models of the 2026-10-07 catalogue carry `benchmarks`: every figure sent
    is a score record with its exact value, attributed to its originator; nulls are none,
    and the key is read (no longer reported unread)."""
    from pricewatch.collectors import get_source

    source = get_source("openrouter.models")
    body = fixture_path("openrouter", "models-2026-10-07.json").read_bytes()
    output = source.run_parser(body, datetime(2026, 10, 7, tzinfo=UTC), None)
    scores = [r for r in output.records if r.kind == "score"]
    found = {(r.model_label, r.benchmark, r.metric): r.value for r in scores}
    expected = openrouter_benchmarks("2026-10-07")
    assert found == expected and len(scores) == len(expected) == 3807
    assert len({model for model, _, _ in found}) <= 303
    assert {r.attribution.split(" (")[0] for r in scores} == {"Artificial Analysis",
                                                             "Design Arena"}
    assert not [u for u in output.unread if u.path.startswith("data[].benchmarks")]
    # an older catalogue has no benchmarks: no score records, nothing invented
    older = source.run_parser(fixture_path("openrouter", "models-2026-05-07.json").read_bytes(),
                              datetime(2026, 5, 7, tzinfo=UTC), None)
    assert [r for r in older.records if r.kind == "score"] == []


@pytest.mark.parametrize(("benchmarks", "count", "unread"), [
    ({"artificial_analysis": {"intelligence_index": 41.1, "coding_index": None}}, 1, []),
    ({"artificial_analysis": {"intelligence_index": "high"}}, 0,
     ["data[].benchmarks.artificial_analysis.intelligence_index"]),
    ({"artificial_analysis": {"speed_index": 3}}, 0,
     ["data[].benchmarks.artificial_analysis.speed_index"]),
    ({"design_arena": [{"arena": "models", "category": "3d", "elo": 1492, "win_rate": 72.4,
                        "rank": 1, "votes": 10}]}, 2, ["data[].benchmarks.design_arena[].votes"]),
    ({"design_arena": [{"category": "x", "elo": 1}]}, 0, ["data[].benchmarks.design_arena[]"]),
    ({"lmarena": {"elo": 1300}}, 0, ["data[].benchmarks.lmarena"]),
    ([1, 2], 0, ["data[].benchmarks"]),
    (None, 0, []),
])
def test_benchmarks_in_other_shapes(benchmarks, count: int, unread: list) -> None:
    from pricewatch.collectors import get_source

    model = {"id": "acme/a", "name": "A", "context_length": 1000,
             "pricing": {"prompt": "0.000001", "completion": "0.000002"},
             "benchmarks": benchmarks}
    body = json.dumps({"data": [model]}).encode()
    output = get_source("openrouter.models").run_parser(body, datetime(2026, 10, 7,
                                                                       tzinfo=UTC), None)
    assert len([r for r in output.records if r.kind == "score"]) == count
    assert [u.path for u in output.unread] == unread


SPEED_BUNDLE = "endpoints-bundle-14-models-2026-08-15.json"


def endpoint_bodies() -> dict[str, bytes]:
    raw = json.loads(fixture_path("openrouter", SPEED_BUNDLE).read_text())
    return {model: json.dumps(body).encode() for model, body in raw.items()}


def test_offer_speed_and_uptime_equal_the_endpoints_raw_figures(tmp_path: Path) -> None:
    """Each endpoint of the 2026-08-15 bundle read once: offer_speed's p50/p90 are its raw
    latency_last_30m / throughput_last_30m percentiles, offer_uptime its uptime_last_1d."""
    # one run per model's body (a sweep's bodies one by one): no run is judged by the size
    # of the one before, as the sweep's own run would not be
    settings = load_settings(db_path=tmp_path / "s.duckdb", suspect_ratio=0.01)
    start = datetime(2026, 8, 15, tzinfo=UTC)
    bodies = endpoint_bodies()
    expected = {}
    for index, (model, body) in enumerate(sorted(bodies.items())):
        outcome = pipeline.ingest_body(settings, "openrouter.endpoints", body,
                                       start.replace(minute=index), model)
        assert outcome.status == "ok", outcome.message
        tags = [e["tag"] for e in json.loads(body)["data"]["endpoints"]]
        for endpoint in json.loads(body)["data"]["endpoints"]:
            if tags.count(endpoint["tag"]) == 1 and isinstance(
                    endpoint.get("latency_last_30m"), dict):
                latency, throughput = endpoint["latency_last_30m"], endpoint[
                    "throughput_last_30m"]
                expected[(model, endpoint["tag"])] = (
                    latency["p50"], latency["p90"], throughput["p50"], throughput["p90"],
                    endpoint["uptime_last_1d"])
    assert len(expected) > 40
    with queries.open_gold(settings) as con:
        speed = {(m, r): row for m, r, *row in con.execute(
            "SELECT model, route, latency_p50_ms, latency_p90_ms, throughput_p50_tps, "
            "throughput_p90_tps, readings FROM offer_speed_as_of(TIMESTAMPTZ "
            "'2026-08-15 01:00:00+00', 1)").fetchall()}
        uptime = {(m, r): (day, pct) for m, r, day, pct in con.execute(
            "SELECT model, route, day, uptime_1d_pct FROM offer_uptime_as_of(TIMESTAMPTZ "
            "'2026-08-15 01:00:00+00', 1)").fetchall()}
        later = con.execute("SELECT count(*) FROM offer_speed_as_of(TIMESTAMPTZ "
                            "'2026-08-17 00:00:00+00', 1)").fetchall()
    for key, (l50, l90, t50, t90, up) in expected.items():
        assert speed[key] == [float(l50), float(l90), float(t50), float(t90), 1], key
        assert uptime[key] == (date(2026, 8, 15), float(up)), key
    assert later == [(0,)]  # readings older than the window are not in it


def test_offer_speed_is_the_median_of_the_readings_in_its_window(tmp_path: Path) -> None:
    settings = load_settings(db_path=tmp_path / "m.duckdb")
    model, body = sorted(endpoint_bodies().items())[0]
    data = json.loads(body)
    endpoint = data["data"]["endpoints"][0]
    for day, p50 in ((10, 100), (11, 300), (12, 200), (20, 900)):
        endpoint["latency_last_30m"]["p50"] = p50
        pipeline.ingest_body(settings, "openrouter.endpoints", json.dumps(data).encode(),
                             datetime(2026, 8, day, tzinfo=UTC), f"day {day}")
    with queries.open_gold(settings) as con:
        rows = con.execute(
            "SELECT latency_p50_ms, readings, first_reading_at FROM offer_speed_as_of("
            "TIMESTAMPTZ '2026-08-12 00:00:00+00', 7) WHERE model = ? AND route = ?",
            [model, endpoint["tag"]]).fetchall()
    assert rows == [(200.0, 3, datetime(2026, 8, 10, tzinfo=UTC))]


def test_compare_shows_each_offers_speed_and_uptime(tmp_path: Path) -> None:
    """An endpoint read a day ago: compare gives its p50 latency and throughput and its
    one-day uptime, with the readings and the source; an offer without readings, none."""
    settings = load_settings(db_path=tmp_path / "c.duckdb")
    model, body = sorted(endpoint_bodies().items())[0]
    endpoint = json.loads(body)["data"]["endpoints"][0]
    day_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    pipeline.ingest_body(settings, "openrouter.endpoints", body, day_ago, model)
    offer = json.dumps({"kind": "offer", "provider": "openrouter", "model": "acme/unmeasured"})
    pipeline.ingest_body(settings, "records", jsonl(offer, price_line("acme/unmeasured", "1")),
                         day_ago, "records")
    result = runner.invoke(app, ["compare", model, "acme/unmeasured", "--json", "--db",
                                 str(tmp_path / "c.duckdb")])
    assert result.exit_code == 0, result.output
    rows = {(r["model"], r["route"]): r for r in json.loads(result.stdout)}
    row = rows[(model, endpoint["tag"])]
    assert (row["latency_p50_ms"], row["throughput_p50_tps"], row["uptime_1d_pct"],
            row["speed_readings"], row["speed_source"]) == (
        endpoint["latency_last_30m"]["p50"], endpoint["throughput_last_30m"]["p50"],
        endpoint["uptime_last_1d"], 1, "openrouter.endpoints")
    bare = rows[("acme/unmeasured", "")]
    assert [bare[k] for k in ("latency_p50_ms", "throughput_p50_tps", "uptime_1d_pct",
                              "speed_readings")] == [None, None, None, None]


FRONT_OFFERS = {  # model: (input = output price per 1M, published score or None)
    "acme/a": ("1", "10"), "acme/b": ("2", "30"), "acme/c": ("3", "20"),
    "acme/d": ("2", "30"), "acme/e": ("0.5", "5"), "acme/f": ("4", "30"),
    "acme/g": ("0", "90"), "acme/h": ("5", "50"), "acme/i": ("0.1", None)}


@pytest.fixture
def front(tmp_path: Path) -> Path:
    db = tmp_path / "front.duckdb"
    lines = []
    for model, (price, _) in FRONT_OFFERS.items():
        lines += [json.dumps({"kind": "offer", "provider": "openrouter", "model": model,
                              "output_modalities": ["text"]}),
                  price_line(model, price), price_line(model, price, "output")]
    scores = [score_line(model.split("/")[1], score, run=model)
              for model, (_, score) in FRONT_OFFERS.items() if score is not None]
    for body in (jsonl(*lines), jsonl(*scores)):
        result = runner.invoke(app, ["ingest", "records", "-", "--observed-at",
                                     "2025-05-01T00:00:00Z", "--db", str(db)],
                               input=body.decode())
        assert result.exit_code == 0, result.output
    return db


def test_the_front_is_exactly_the_offers_nothing_beats(front: Path) -> None:
    """c is beaten by b (cheaper, better), f by b (cheaper, as good); b and d tie (both on
    it); the free g and the unscored i are not on it."""
    result = runner.invoke(app, ["frontier", "--benchmark", "aider.polyglot", "--mix", "3:1",
                                 "--at", "2025-06-01T00:00:00Z", "--json", "--db", str(front)])
    assert result.exit_code == 0, result.output
    rows = [(r["rank"], r["model"], r["score"], r["blended_price"], r["price_per_point"])
            for r in json.loads(result.stdout)]
    assert rows == [(1, "acme/e", "5", "0.5", "0.1"), (2, "acme/a", "10", "1", "0.1"),
                    (3, "acme/b", "30", "2", "0.066666666667"),
                    (3, "acme/d", "30", "2", "0.066666666667"),
                    (4, "acme/h", "50", "5", "0.1")]
    # --min-score keeps the models scoring at least that, ranked again among themselves
    cheapest = runner.invoke(app, ["cheapest", "-c", "text", "--min-score",
                                   "aider.polyglot=30", "--at", "2025-06-01T00:00:00Z",
                                   "--json", "--db", str(front)])
    assert cheapest.exit_code == 0, cheapest.output
    assert [(r["rank"], r["model"]) for r in json.loads(cheapest.stdout)] == [
        (1, "acme/b"), (2, "acme/d"), (3, "acme/f"), (4, "acme/h")]
    before = runner.invoke(app, ["frontier", "--at", "2025-04-01T00:00:00Z", "--json",
                                 "--db", str(front)])
    assert before.exit_code == 0 and json.loads(before.stdout) == []  # nothing listed yet


def test_the_front_on_the_shared_captures(tmp_path: Path) -> None:
    """The 2026-10-07 catalogue with its benchmarks, nscale's router offers and Aider's
    leaderboard: the front equals a Pareto front computed here from the candidates, whose
    blended prices are recomputed from the raw catalogue."""
    settings = load_settings(db_path=tmp_path / "shared.duckdb")
    catalogue = fixture_path("openrouter", "models-2026-10-07.json").read_bytes()
    at = datetime(2026, 10, 8, tzinfo=UTC)
    pipeline.ingest_body(settings, "openrouter.models", catalogue,
                         datetime(2026, 10, 7, tzinfo=UTC), "models")
    pipeline.ingest_body(settings, "aider.polyglot", leaderboard(VERSIONS[-1]),
                         observed(VERSIONS[-1]), "aider")
    raw = {m["id"]: m["pricing"] for m in json.loads(catalogue)["data"]}
    with queries.open_gold(settings) as con:
        candidates = con.execute(
            "SELECT benchmark, provider, model, route, score, blended_price, is_free "
            "FROM price_per_quality_as_of(?, 3, 1)", [at]).fetchall()
        front = sorted(con.execute(
            "SELECT benchmark, model, route FROM quality_frontier_as_of(?, 3, 1)",
            [at]).fetchall())
    for _, provider, model, route, _, blended, _ in candidates:
        if provider == "openrouter" and route == "" and "overrides" not in raw[model]:
            # (an offer with time windows pays its window's price at `at`)
            expected = (3 * Decimal(raw[model]["prompt"]) + Decimal(raw[model]["completion"])
                        ) * 1_000_000 / 4
            assert abs(blended - expected) < Decimal("1e-12"), model
    paid = [c for c in candidates if not c[6]]
    computed = sorted((b, m, r) for b, _, m, r, s, p, _ in paid if not any(
        b2 == b and p2 <= p and s2 >= s and (p2 < p or s2 > s)
        for b2, _, _, _, s2, p2, _ in paid))
    assert front == computed
    polyglot = [row for row in front if row[0] == "aider.polyglot"]
    assert len(polyglot) >= 3 and len(front) > len(polyglot)  # the benchmarks' fronts too


ARENA = "lmarena-history-result-2025-03-02-3e962ffe.csv"


def test_every_lmarena_rating_is_a_score_with_its_exact_elo() -> None:
    """Each non-zero cell of the Elo history (a model on that date's board) is one record,
    its value the cell's text; a 0.0 is no rating."""
    import csv

    from pricewatch.collectors.lmarena.elo import parse_elo

    body = fixture_path("quality", ARENA).read_bytes()
    rows = list(csv.reader(body.decode().splitlines()))
    expected = {(model, row[0]): Decimal(cell) for row in rows[1:]
                for model, cell in zip(rows[0][1:], row[1:], strict=True)
                if Decimal(cell) != 0}
    output = parse_elo(body, datetime(2025, 3, 2, tzinfo=UTC))
    found = {(r.model_label, r.run_label): r.value for r in output.records}
    assert found == expected and len(output.records) == len(expected) == 11827
    newest = {r.model_label: r.value for r in output.records if r.run_label == "20250227"}
    assert len(newest) == 209 and max(newest, key=newest.get) == "early-grok-3"
    assert newest["early-grok-3"] == Decimal("1403.4550352813053")  # SOURCES.md: 1403.46
    assert output.warnings == [] and output.left_out == 0 and output.scope is None


@pytest.mark.parametrize(("text", "ratings", "left_out", "unread"), [
    (",a,b\n20250101,1200.5,0.0\n20250102,1210,\n", 2, 0, []),
    # a row with an unreadable date, a cell that is no number: left out, counted, named
    (",a,b\n2025-01-01,1200,1100\n20250102,x,1100\n", 1, 2, []),
    # a model's second column and a date's second row are left out, named
    (",a,a\n20250101,1200,1300\n20250101,1,1\n", 1, 2, []),
    # a cell past the header is recorded as unread
    (",a\n20250101,1200,99\n", 1, 0, ["cells past the header"]),
    # columns in another order, blank lines, spaces
    (" , b , a \n\n 20250101 , 1100 , 1200 \n", 2, 0, []),
])
def test_lmarena_in_other_shapes(text: str, ratings: int, left_out: int, unread: list) -> None:
    from pricewatch.collectors.lmarena.elo import parse_elo

    output = parse_elo(text.encode(), datetime(2025, 3, 2, tzinfo=UTC))
    assert len(output.records) == ratings and output.left_out == left_out
    assert [u.path for u in output.unread] == unread
    if left_out:
        assert output.scope is not None and "left out" in " ".join(output.warnings)


@pytest.mark.parametrize("text", [b"", b",a\n", b"date\n20250101\n", b",a\n20250101,0.0\n"])
def test_a_body_with_no_rating_is_a_parse_error(text: bytes) -> None:
    from pricewatch.collectors.lmarena.elo import parse_elo

    with pytest.raises(ParseError, match=r"lmarena\.elo"):
        parse_elo(text, datetime(2025, 3, 2, tzinfo=UTC))


def test_lmarena_is_collected_only_when_named_or_enabled() -> None:
    from pricewatch.collectors import sources_for

    default = load_settings()
    names = [s.name for s in sources_for((), default)]
    assert "lmarena.elo" not in names and "aider.polyglot" in names
    assert [s.name for s in sources_for(("lmarena.elo",), default)] == ["lmarena.elo"]
    enabled = load_settings(lmarena={"enabled": True})
    assert "lmarena.elo" in [s.name for s in sources_for((), enabled)]
    off = load_settings(vertex={"enabled": False})
    assert not [s for s in sources_for((), off) if s.provider == "vertex"]


def test_a_price_drop_that_moves_the_front_is_a_frontier_change_alert(front: Path) -> None:
    """c falls from 3 to 0.9: it enters the front (cheaper than a, better) and a, beaten by
    c now, leaves it. Each is one alert with the price and score it entered or left at;
    the first load's front is no news; a second pass gives the same ids."""
    lines = []
    for model, (price, _) in FRONT_OFFERS.items():
        price = "0.9" if model == "acme/c" else price
        lines += [json.dumps({"kind": "offer", "provider": "openrouter", "model": model,
                              "output_modalities": ["text"]}),
                  price_line(model, price), price_line(model, price, "output")]
    drop = jsonl(*lines)
    result = runner.invoke(app, ["ingest", "records", "-", "--observed-at",
                                 "2025-05-02T00:00:00Z", "--db", str(front)],
                           input=drop.decode())
    assert result.exit_code == 0, result.output

    def frontier_alerts(since: str) -> list[dict]:
        result = runner.invoke(app, ["alerts", "--since", since, "--kind", "frontier_change",
                                     "--json", "--db", str(front)])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    alerts = frontier_alerts("2025-05-01T12:00:00Z")
    assert [(a["model"], a["component"], a["old_price"], a["new_price"], a["old_value"],
             a["new_value"], a["detected_at"][:19]) for a in alerts] == [
        ("acme/a", "aider.polyglot pass_rate_2", "1", None, "10", None,
         "2025-05-02T00:00:00"),
        ("acme/c", "aider.polyglot pass_rate_2", None, "0.9", None, "20",
         "2025-05-02T00:00:00")] or alerts == sorted(alerts, key=lambda a: a["alert_id"])
    messages = sorted(a["message"] for a in alerts)
    assert messages == [
        "acme/a at openrouter left the aider.polyglot pass_rate_2 front (it had 10 points "
        "at 1 per_1m_tokens blended)",
        "acme/c at openrouter is on the aider.polyglot pass_rate_2 front now (rank 2): 20 "
        "points at 0.9 per_1m_tokens blended"]
    assert {a["alert_id"] for a in frontier_alerts("2025-05-01T06:00:00Z")} == {
        a["alert_id"] for a in alerts}
    # a window that starts at the drop's run, as an alert pass's does (the earliest run it
    # has not seen), holds it: the front is compared with the one just before
    assert {a["alert_id"] for a in frontier_alerts("2025-05-02T00:00:00Z")} == {
        a["alert_id"] for a in alerts}
    # after the drop's run nothing moved; the first load (since the beginning) is no news
    assert frontier_alerts("2025-05-02T00:00:01Z") == []
    assert len(frontier_alerts("2000-01-01T00:00:00Z")) == 2


def test_offer_speed_reads_every_speed_metric_the_collectors_write() -> None:
    """offer_speed_as_of names its metrics in SQL; the parsers name them in Python. The
    speed metrics of the shared endpoints bundle (percentiles), of one endpoint in the older
    single-number form, and of the Hugging Face router capture are the SQL's list, and the
    p75 and p99 readings OpenRouter also sends (kept as measurements, not in the view)."""
    from pricewatch.collectors.nscale.hf_router import parse_hf_router
    from pricewatch.collectors.openrouter.endpoints import parse_endpoints

    at = datetime(2026, 8, 15, tzinfo=UTC)
    bodies = list(endpoint_bodies().values())
    older = json.loads(bodies[0])
    for endpoint in older["data"]["endpoints"]:
        endpoint["latency_last_30m"], endpoint["throughput_last_30m"] = 412, 37
    records = [r for body in (*bodies, json.dumps(older).encode())
               for r in parse_endpoints(body, at).records]
    records += parse_hf_router(fixture_path("nscale", "hf-router-models-2026-06-19.json")
                               .read_bytes(), at).records
    written = {r.metric for r in records if r.kind == "measurement"
               and r.metric.startswith(("latency", "throughput", "first_token"))}
    listed = set(re.findall(r"'([a-z0-9_]+)'", queries.view_sql("offer_speed_as_of")
                            .split("metric IN (", 1)[1].split(")", 1)[0]))
    assert listed <= written
    assert written - listed == {f"{prefix}_{p}_30m" for prefix in ("latency_ms", "throughput_tps")
                                for p in ("p75", "p99")}
