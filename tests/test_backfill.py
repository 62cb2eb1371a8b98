"""`pricewatch backfill`: snapshot histories (git, folders) ingested at their times give the
history that in-order ingests give, row for row; twice is once; bad versions are reported."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import FIXTURES, commit, fixture_path, git, ingest_catalogues
from pricewatch.cli.main import app
from pricewatch.pipeline import run as pipeline
from pricewatch.pipeline.backfill_folder import time_from_name
from pricewatch.settings import load_settings
from pricewatch.warehouse.db import open_db

runner = CliRunner()
DATES = ("2024-02-18", "2025-05-23", "2025-12-18", "2026-01-29", "2026-05-07")
HISTORY = FIXTURES / "history"
COLUMNS = ("provider, model, route, component, service_tier, context_threshold, unit, price, "
           "dynamic, effective_from, valid_from, valid_to, key_hash, value_hash")


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def history(db: Path) -> list[tuple]:
    with open_db(db, read_only=True, lock_timeout_s=30) as con:
        return con.execute(f"SELECT {COLUMNS} FROM price_history ORDER BY ALL").fetchall()


def backfill(*args: str) -> dict:
    result = runner.invoke(app, ["backfill", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)[0]


@pytest.fixture(scope="module")
def five(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("five") / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for day in DATES:
        commit(repo, "models.json", fixture_path("openrouter", f"models-{day}.json")
               .read_bytes(), f"{day}T00:00:00Z")
    return repo


def test_five_captures_backfilled_equal_five_ingests_in_order(five: Path,
                                                              tmp_path: Path) -> None:
    ingested = ingest_catalogues(tmp_path / "ingest.duckdb", DATES)
    db = tmp_path / "backfill.duckdb"
    first = backfill("git", str(five), "--path", "models.json", "--source",
                     "openrouter.models", "--db", str(db))
    assert (first["ingested"], first["failed"], first["versions"]) == (5, 0, 5)
    assert history(db) == history(ingested) and len(history(db)) > 1000
    again = backfill("git", str(five), "--path", "models.json", "--source",
                     "openrouter.models", "--db", str(db))
    assert (again["ingested"], again["duplicate"], again["changes"]) == (0, 5, 0)
    with open_db(db, read_only=True, lock_timeout_s=30) as con:
        runs = con.execute("SELECT observed_at, status, origin FROM runs ORDER BY run_id"
                           ).fetchall()
    commits = git(five, "log", "--reverse", "--format=%H").split()
    assert [(r[0], r[1]) for r in runs] == [(at(day), "ok") for day in DATES]
    assert [r[2] for r in runs] == [f"backfill:git:{five.resolve()}@{c}" for c in commits]
    status = json.loads(runner.invoke(app, ["status", "--db", str(db), "--json"]).stdout)
    assert status[0]["last_origin"] == runs[-1][2]
    page = tmp_path / "r.html"
    assert runner.invoke(app, ["report", "--out", str(page), "--db", str(db)]).exit_code == 0
    assert "ok (backfill)" in page.read_text()  # the report tells backfilled runs apart


@pytest.mark.parametrize(("batch_s", "batch_runs", "opens"),
                         [(60.0, 1, 1), (0.0, 1, 5), (0.0, 32, 1), (60.0, 2, 1)])
def test_versions_are_written_in_batches(five: Path, tmp_path: Path, monkeypatch,
                                         batch_s: float, batch_runs: int, opens: int) -> None:
    """Issue 32: an attach, a checkpoint and a detach per version were most of a backfill's
    write. Versions now share one open warehouse for up to BATCH_S, and the file is closed
    between batches (a daemon gets it); BATCH_RUNS versions share one transaction. The
    history is the same either way."""
    from pricewatch.pipeline import backfill as backfill_module

    opened = []
    real_open = backfill_module.open_warehouse

    def counting(settings, *, read_only=False):
        opened.append(read_only)
        return real_open(settings, read_only=read_only)

    monkeypatch.setattr(backfill_module, "open_warehouse", counting)
    monkeypatch.setattr(backfill_module, "BATCH_S", batch_s)
    monkeypatch.setattr(backfill_module, "BATCH_RUNS", batch_runs)
    db = tmp_path / "batched.duckdb"
    report = backfill("git", str(five), "--path", "models.json", "--source",
                      "openrouter.models", "--db", str(db))
    assert (report["ingested"], report["failed"]) == (5, 0)
    assert opened.count(False) == opens and opened.count(True) == 1  # + the skip check
    assert history(db) == history(ingest_catalogues(tmp_path / "in.duckdb", DATES))


def test_bad_versions_are_reported_and_the_rest_is_built(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    good = [fixture_path("openrouter", f"models-{day}.json").read_bytes() for day in DATES]
    commit(repo, "models.json", good[2], "2025-12-18T00:00:00Z")
    commit(repo, "README.md", b"notes", "2025-12-20T00:00:00Z")  # another file only
    commit(repo, "models.json", b"<html>rate limited</html>", "2025-12-21T00:00:00Z")
    few = json.loads(good[3])
    few["data"] = few["data"][:10]  # 10 of 347 models: suspect
    commit(repo, "models.json", json.dumps(few).encode(), "2026-01-10T00:00:00Z")
    commit(repo, "models.json", good[3], "2026-01-29T00:00:00Z")
    git(repo, "rm", "-q", "models.json")
    git(repo, "commit", "-q", "-m", "gone", when="2026-02-01T00:00:00Z")
    db = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["backfill", "git", str(repo), "--path", "models.json",
                                 "--source", "openrouter.models", "--db", str(db)])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "5 commits changed models.json; 1 others did not" in said
    assert "(2025-12-21T00:00:00Z): failed: openrouter.models" in said and "not JSON" in said
    assert ("(2026-01-10T00:00:00Z): suspect: openrouter.models: 34 records, far fewer than "
            "the 1227 of run 1") in said
    assert "the file was deleted in this commit" in said
    summary = backfill("git", str(repo), "--path", "models.json", "--source",
                       "openrouter.models", "--db", str(tmp_path / "fresh.duckdb"))
    assert {k: summary[k] for k in ("ingested", "suspect", "failed")} == {
        "ingested": 2, "suspect": 1, "failed": 1}
    ingested = tmp_path / "ingest.duckdb"
    for day, body in (("2025-12-18", good[2]), ("2026-01-29", good[3])):
        pipeline.ingest_body(load_settings(db_path=ingested), "openrouter.models", body,
                             at(day), day)
    assert history(db) == history(ingested)


def test_a_folder_of_dated_captures(tmp_path: Path) -> None:
    folder = tmp_path / "captures"
    folder.mkdir()
    names = {"2025-12-18": "models-2025-12-18.json",
             "2026-01-29": "2026-01-29T00:00:00Z.json", "2026-05-07": "snap_20260507T000000Z.json"}
    for day, name in names.items():
        (folder / name).write_bytes(fixture_path("openrouter", f"models-{day}.json").read_bytes())
    (folder / "models-2026-02-01T10:00.json").write_text("{}")  # a time without a zone
    (folder / "latest.json").write_text("{}")
    db = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["backfill", "dir", str(folder), "--source",
                                 "openrouter.models", "--time-from", "name", "--pattern",
                                 "*.json", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)[0]
    assert (summary["ingested"], summary["failed"]) == (3, 0)
    assert sorted(summary["skipped"]) == [
        "latest.json: no time with a zone in the name",
        "models-2026-02-01T10:00.json: no time with a zone in the name"]
    with open_db(db, read_only=True, lock_timeout_s=30) as con:
        assert [r[0] for r in con.execute("SELECT observed_at FROM runs ORDER BY 1")
                .fetchall()] == [at(day) for day in names]


def test_a_source_keyed_by_a_provider_directory_is_backfilled(tmp_path: Path) -> None:
    """openrouter.endpoints reads the provider directory from the warehouse to parse: each
    version's parse asked for it while the batch held the warehouse open, and the second
    distinct version waited on its own lock for ever. The directory is read once now."""
    import threading

    folder = tmp_path / "captures"
    folder.mkdir()
    body = json.loads(fixture_path(
        "openrouter", "endpoints-google-gemini-2.5-pro-preview-2025-05-23.json").read_bytes())
    prompts = ("0.00000125", "0.000001", "0.0000005")
    for day, prompt in zip(("2025-05-23", "2025-05-24", "2025-05-25"), prompts, strict=True):
        body["data"]["endpoints"][0]["pricing"]["prompt"] = prompt
        (folder / f"endpoints-{day}.json").write_text(json.dumps(body))
    db = tmp_path / "w.duckdb"
    results = []
    worker = threading.Thread(target=lambda: results.append(runner.invoke(app, [
        "backfill", "dir", str(folder), "--source", "openrouter.endpoints", "--time-from",
        "name", "--db", str(db), "--json"])), daemon=True)
    worker.start()
    worker.join(120)
    assert not worker.is_alive(), "the backfill never finished"
    assert results[0].exit_code == 0, results[0].output
    summary = json.loads(results[0].stdout)[0]
    assert (summary["ingested"], summary["failed"]) == (3, 0)
    endpoint = body["data"]["endpoints"][0]
    with open_db(db, read_only=True, lock_timeout_s=30) as con:
        assert con.execute(
            "SELECT price, valid_from, valid_to FROM price_history WHERE component = 'input' "
            "AND route = ? AND context_threshold = 0 ORDER BY valid_from",
            [endpoint["tag"]]).fetchall() == [
            (Decimal("1.25"), at("2025-05-23"), at("2025-05-24")),
            (Decimal("1.00"), at("2025-05-24"), at("2025-05-25")),
            (Decimal("0.50"), at("2025-05-25"), None)]


@pytest.mark.parametrize(("name", "expected"), [
    ("models-2026-01-29.json", "2026-01-29T00:00:00+00:00"),
    ("2026-01-29T06:00:00Z.json", "2026-01-29T06:00:00+00:00"),
    ("2026-01-29T06:00Z.json", "2026-01-29T06:00:00+00:00"),
    ("openrouter_2026-01-29T06-30-00Z.json", "2026-01-29T06:30:00+00:00"),
    ("2026-01-29T08:00:00+02:00.json", "2026-01-29T06:00:00+00:00"),
    ("snap_20260129T060000Z.json", "2026-01-29T06:00:00+00:00"),
    ("models-2026-01-29T06:00:00.json", None),  # a time without a zone is never guessed
    ("models-2026-13-40.json", None), ("latest.json", None), ("v12345678.json", None),
])
def test_times_from_names(name: str, expected: str | None) -> None:
    found = time_from_name(name)
    assert (found.isoformat() if found else None) == expected


def test_a_backfill_queues_no_alert_older_than_the_channel(five: Path, tmp_path: Path) -> None:
    from pricewatch.outputs import alerts

    config = tmp_path / "pw.toml"
    config.write_text(f'db_path = "{tmp_path / "w.duckdb"}"\n[[channels]]\nname = "hook"\n'
                      'webhook_url = "http://127.0.0.1:9/hook"\n')
    settings = load_settings(config)
    assert alerts.enqueue_new(settings) == 0  # the channel starts now
    backfill("git", str(five), "--path", "models.json", "--source", "openrouter.models",
             "--config", str(config))
    assert alerts.enqueue_new(settings) == 0


def test_the_wrapper_history_takes_its_time_from_fetched_at(tmp_path: Path) -> None:
    repo = tmp_path / "llm"
    subprocess.run(["git", "clone", "-q", str(HISTORY / "openrouter-models-history-"
                                                         "llmtracker.bundle"), str(repo)],
                   check=True)
    db = tmp_path / "w.duckdb"
    summary = backfill("git", str(repo), "--path", "models.json", "--source",
                       "openrouter.models", "--time", "field:fetched_at", "--db", str(db))
    assert (summary["ingested"], summary["failed"]) == (50, 0)
    manifest = json.loads((HISTORY / "openrouter-models-history-llmtracker.manifest.json")
                          .read_text())
    fetched = sorted(json.loads(git(repo, "show", f"{c}:models.json"))["fetched_at"]
                     for c in git(repo, "log", "--format=%H").split())
    with open_db(db, read_only=True, lock_timeout_s=30) as con:
        times = [r[0] for r in con.execute("SELECT observed_at FROM runs ORDER BY 1")
                 .fetchall()]
    assert [t.isoformat() for t in times] == [
        datetime.fromisoformat(f.replace("Z", "+00:00")).astimezone(UTC).isoformat()
        for f in fetched]
    assert len(manifest) >= 1


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("real") / "hist"
    subprocess.run(["git", "clone", "-q", str(HISTORY / "openrouter-models-history.bundle"),
                    str(repo)], check=True)
    return repo


@pytest.mark.slow
def test_the_real_history_equals_150_ingests_in_order(real: Path, tmp_path: Path) -> None:
    lines = git(real, "log", "--reverse", "--format=%H %ct").split("\n")
    commits = [(c, datetime.fromtimestamp(int(t), UTC)) for c, t in
               (line.split() for line in lines if line)]
    assert len(commits) == 150
    ingested = tmp_path / "ingest.duckdb"
    settings = load_settings(db_path=ingested)
    reorder_only = []
    previous = None
    for sha, when in commits:
        body = subprocess.run(["git", "-C", str(real), "show", f"{sha}:models.json"],
                              capture_output=True, check=True).stdout
        outcome = pipeline.ingest_body(settings, "openrouter.models", body, when, sha)
        data = sorted(json.dumps(m, sort_keys=True) for m in json.loads(body)["data"])
        if previous is not None and data == previous:
            reorder_only.append(outcome.changes)
        previous = data
    db = tmp_path / "backfill.duckdb"
    # out of order and overlapping: the second half first, then everything
    middle = commits[75][1].isoformat()
    backfill("git", str(real), "--path", "models.json", "--source", "openrouter.models",
             "--since", middle, "--db", str(db))
    summary = backfill("git", str(real), "--path", "models.json", "--source",
                       "openrouter.models", "--db", str(db))
    assert (summary["ingested"], summary["duplicate"]) == (75, 75)
    assert history(db) == history(ingested)
    assert reorder_only and set(reorder_only) == {0}  # reordering changes nothing


@pytest.fixture(scope="module")
def real_db(real: Path, tmp_path_factory) -> Path:
    """The 150-version history backfilled into one warehouse."""
    db = tmp_path_factory.mktemp("real_db") / "w.duckdb"
    backfill("git", str(real), "--path", "models.json", "--source", "openrouter.models",
             "--db", str(db))
    return db


@pytest.mark.slow
def test_a_step_of_the_change_feed_is_the_diff_of_two_raw_versions(real: Path,
                                                                   real_db: Path) -> None:
    db = real_db
    lines = git(real, "log", "--reverse", "--format=%H %ct").split("\n")
    commits = [line.split() for line in lines if line]
    for step in (40, 100):
        (old_sha, _), (new_sha, new_t) = commits[step - 1], commits[step]

        def prices(sha: str) -> dict:
            body = json.loads(git(real, "show", f"{sha}:models.json"))
            return {(m["id"], c): Decimal(m["pricing"][k]) * 1_000_000
                    for m in body["data"] for k, c in (("prompt", "input"),
                                                       ("completion", "output"))
                    if Decimal(m["pricing"][k]) >= 0}

        old, new = prices(old_sha), prices(new_sha)
        expected = {(model, c, old.get((model, c)), new.get((model, c)))
                    for (model, c) in old.keys() | new.keys()
                    if old.get((model, c)) != new.get((model, c))}
        when = datetime.fromtimestamp(int(new_t), UTC)
        with open_db(db, read_only=True, lock_timeout_s=30) as con:
            feed = con.execute(
                "SELECT model, component, old_price, new_price FROM price_changes "
                "WHERE changed_at = ? AND component IN ('input', 'output') AND route = '' "
                "AND context_threshold = 0 AND utc_days = '' AND utc_start_minute = 0 "
                "AND utc_end_minute = 1440",  # the base prices: overrides are tested apart
                [when]).fetchall()
        assert {(m, c, o, n) for m, c, o, n in feed} == expected and expected


def test_an_identical_body_at_two_commits_is_parsed_once(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    a, b = (fixture_path("openrouter", f"models-{day}.json").read_bytes()
            for day in ("2025-12-18", "2026-01-29"))
    for body, when in ((a, "2026-01-01T00:00:00Z"), (b, "2026-01-29T00:00:00Z"),
                       (a, "2026-02-10T00:00:00Z")):  # a price change undone
        commit(repo, "models.json", body, when)
    summary = backfill("git", str(repo), "--path", "models.json", "--source",
                       "openrouter.models", "--db", str(tmp_path / "w.duckdb"))
    assert (summary["ingested"], summary["bodies_parsed"]) == (3, 2)
    assert summary["changes"] > 0


@pytest.mark.slow
def test_no_zero_is_invented_for_a_component_that_stops_being_sent(real: Path,
                                                                   real_db: Path) -> None:
    """Absent = not published, never 0 (DESIGN.md section 5). On the shared history the old
    rule made 135 "drop to 0" changes followed by "unlisted (was 0)" from bodies with equal
    pricing; now a component that stops being sent closes, and no optional component has a
    zero interval (an explicit optional "0" is the same fact as an absent field)."""
    with open_db(real_db, read_only=True, lock_timeout_s=30) as con:
        zero_optional = con.execute(
            "SELECT count(*) FROM price_history WHERE price = 0 "
            "AND component NOT IN ('input', 'output')").fetchall()[0][0]
        to_zero_then_unlisted = con.execute("""
            SELECT count(*) FROM (
                SELECT component, new_price, lead(kind) OVER w AS next_kind
                FROM price_changes
                WINDOW w AS (PARTITION BY provider, model, route, component, service_tier,
                                          context_threshold, unit ORDER BY changed_at))
            WHERE new_price = 0 AND next_kind = 'unlisted'
              AND component NOT IN ('input', 'output')""").fetchall()[0][0]
        cache = con.execute(
            "SELECT price, valid_to FROM price_history WHERE model = "
            "'deepseek/deepseek-chat-v3-0324' AND component = 'cache_read' AND route = '' "
            "ORDER BY valid_from").fetchall()
    assert zero_optional == 0
    assert to_zero_then_unlisted == 0
    # 0.135 closed by the 2026-08-19 12:12 version that no longer sends it; no 0 after it.
    assert cache[-1][0] == Decimal("0.135")
    assert cache[-1][1].astimezone(UTC).strftime("%Y-%m-%d %H:%M") == "2026-08-19 12:12"
