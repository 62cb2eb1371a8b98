"""`pricewatch collect openrouter` end to end against a local server serving real captures."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import fake_provider as fp
from helpers import fixture_path, write_config
from helpers.captures import API, CHOSEN, LIMITS_PAGE, load
from pricewatch.cli.main import app
from pricewatch.warehouse.db import open_db

runner = CliRunner()
SECRET = "sk-or-v1-test-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def captures() -> dict:
    catalogue = load("models-2026-05-07.json")
    bundle = {item["modelId"]: item["response"]
              for item in load("endpoints-bundle-356-models-2026-05-18.json")["data"]}
    models = [m for m in catalogue["data"] if m["id"] in CHOSEN and m["id"] in bundle]
    assert len(models) >= 6, [m["id"] for m in models]
    return {"models": models, "endpoints": {m["id"]: bundle[m["id"]] for m in models}}


@pytest.fixture
def server(captures):
    fake = fp.FakeProvider()
    fake.serve(f"{API}/models", json.dumps({"data": captures["models"]}).encode())
    for model, body in captures["endpoints"].items():
        fake.serve(f"{API}/models/{model}/endpoints", json.dumps(body).encode())
    fake.serve(f"{API}/providers", fixture_path("openrouter", "providers-2026-05-07.json")
               .read_bytes())
    fake.serve(LIMITS_PAGE + ".md", fixture_path("openrouter", "limits-page-2026-10-07.md")
               .read_bytes(), "text/markdown")
    fake.serve(LIMITS_PAGE, (Path(__file__).parent / "data" / "openrouter-limits-page.html")
               .read_bytes(), "text/html")
    yield fake
    fake.close()


@pytest.fixture
def config(tmp_path: Path, server: fp.FakeProvider) -> Path:
    return write_config(tmp_path, f"""
[openrouter]
api_base = "{server.url(API)}"
limits_page_url = "{server.url(LIMITS_PAGE)}"
allowed_hosts = ["127.0.0.1"]
""", read_timeout_s=1, total_timeout_s=5, max_body_bytes=2_000_000)


def collect(config: Path, *selection: str) -> tuple[int, dict[str, dict]]:
    result = runner.invoke(app, ["collect", *selection, "--config", str(config), "--json"])
    rows = json.loads(result.stdout) if result.stdout.startswith("[") else []
    return result.exit_code, {row["source"]: row for row in rows}


def query(config: Path, sql: str) -> list[tuple]:
    with open_db(config.parent / "pw.duckdb", read_only=True) as con:
        return con.execute(sql).fetchall()


def history(config: Path) -> list[tuple]:
    return query(config, "SELECT * FROM price_history UNION ALL BY NAME "
                         "SELECT * FROM offer_history ORDER BY ALL")


def test_healthy_sweep_then_unchanged(config: Path, captures, server) -> None:
    code, runs = collect(config, "openrouter")
    assert code == 0
    assert {s: r["status"] for s, r in runs.items()} == {
        "openrouter.models": "ok", "openrouter.endpoints": "ok", "openrouter.providers": "ok",
        "openrouter.limits": "ok", "openrouter.key": "skipped"}
    models, endpoints = captures["models"], captures["endpoints"]
    expected_endpoints = sum(len(b["data"]["endpoints"]) for b in endpoints.values())
    offers = dict(query(config, "SELECT source, count(*) FROM offer_history GROUP BY source"))
    assert offers == {"openrouter.models": len(models), "openrouter.endpoints": expected_endpoints}
    # Every endpoint price per 1M is the capture's per-token string times one million.
    stored = {(m, r, c): p for m, r, c, p in query(
        config, "SELECT model, route, component, price FROM price_history "
                "WHERE source = 'openrouter.endpoints' AND context_threshold = 0")}
    for model, body in endpoints.items():
        for endpoint in body["data"]["endpoints"]:
            for key, component in (("prompt", "input"), ("completion", "output")):
                assert stored[(model, endpoint["tag"], component)] == \
                    Decimal(endpoint["pricing"][key]) * 1_000_000
    assert query(config, "SELECT count(*) FROM provider_directory_history") == [(81,)]
    assert query(config, "SELECT metric, value, condition FROM rate_limit_history ORDER BY ALL") \
        == [("requests_per_day", Decimal(50), "credits purchased < 10"),
            ("requests_per_day", Decimal(1000), "credits purchased >= 10"),
            ("requests_per_minute", Decimal(20), "")]
    assert query(config, "SELECT count(*) > 0 FROM offer_measurements "
                         "WHERE metric = 'uptime_pct_30m'") == [(True,)]
    before = history(config)
    code, runs = collect(config, "openrouter")
    assert code == 0
    assert {r["status"] for s, r in runs.items() if s != "openrouter.key"} == {"unchanged"}
    assert history(config) == before
    # The second sweep asked conditionally.
    catalogue_requests = [h for _, p, h in server.requests if p == f"{API}/models"]
    assert [bool(h.get("If-None-Match")) for h in catalogue_requests] == [False, True]


def test_one_failing_model_makes_a_partial_sweep_that_closes_nothing(
        config: Path, captures, server) -> None:
    assert collect(config, "openrouter.models", "openrouter.endpoints")[0] == 0
    victim = "openai/gpt-4o-mini"
    server.fail_always(f"{API}/models/{victim}/endpoints", fp.status(500))
    # Another model changes its price, so the sweep has a real change to record.
    changed = "qwen/qwen-2.5-72b-instruct"
    body = captures["endpoints"][changed]
    body = json.loads(json.dumps(body))
    body["data"]["endpoints"][0]["pricing"]["prompt"] = "0.0000001"
    server.serve(f"{API}/models/{changed}/endpoints", json.dumps(body).encode())
    code, runs = collect(config, "openrouter.endpoints")
    run = runs["openrouter.endpoints"]
    assert code == 0 and run["status"] == "partial"
    assert victim in run["message"] and "HTTP 500" in run["message"]
    assert query(config, f"SELECT count(*) FROM offer_history WHERE model = '{victim}' "
                         "AND valid_to IS NOT NULL") == [(0,)]
    assert query(config, f"SELECT count(*) FROM price_history WHERE model = '{changed}' "
                         "AND valid_to IS NOT NULL") == [(1,)]


def test_failed_requests_are_summed_up_in_one_line(config: Path, captures, server) -> None:
    assert collect(config, "openrouter.models", "openrouter.endpoints")[0] == 0
    models = sorted(captures["endpoints"])
    for model in models[:3]:
        server.fail_always(f"{API}/models/{model}/endpoints", fp.status(404))
    server.fail_always(f"{API}/models/{models[3]}/endpoints", fp.status(503))
    code, runs = collect(config, "openrouter.endpoints")
    assert code == 0 and runs["openrouter.endpoints"]["status"] == "partial"
    message = runs["openrouter.endpoints"]["message"]
    assert message.startswith(f"4 of {len(models)} requests failed: HTTP 404 (3), "
                              "HTTP 503 (1); first: ")
    assert "\n" not in message and message.count(f"{API}/models/") == 1
    # each request is still in fetch_log, with its error
    assert query(config, "SELECT count(*) FROM fetch_log WHERE status_code IN (404, 503)") \
        == [(4,)]


def test_a_fallback_that_worked_is_no_error(config: Path, server) -> None:
    """The limits page's markdown rendering missing, the HTML page there: an ok run with
    nothing to report."""
    server.fail_always(LIMITS_PAGE + ".md", fp.status(404))
    code, runs = collect(config, "openrouter.limits")
    assert code == 0
    assert (runs["openrouter.limits"]["status"], runs["openrouter.limits"]["message"]) == \
        ("ok", "")


@pytest.mark.parametrize(("fault", "status", "message"), [
    (fp.status(500), "ok", ""),
    (fp.retry_after("1"), "ok", ""),
    (fp.reset(), "ok", ""),
    (fp.sleep_then_serve(2.5), "ok", ""),
    (fp.html_page(200), "failed", "not JSON"),
    (fp.redirect("http://elsewhere.example/api/v1/models"), "failed", "redirect_refused"),
    (fp.oversized(3_000_000), "failed", "too_large"),
])
def test_catalogue_faults(config: Path, captures, server, fault, status: str,
                          message: str) -> None:
    assert collect(config, "openrouter.models")[0] == 0
    before = history(config)
    # Serve a changed catalogue, so a recovered run really writes; a failed one must not.
    changed = json.loads(json.dumps({"data": captures["models"]}))
    changed["data"][0]["pricing"]["prompt"] = "0.000009"
    server.serve(f"{API}/models", json.dumps(changed).encode())
    server.fail(f"{API}/models", fault)
    code, runs = collect(config, "openrouter.models")
    run = runs["openrouter.models"]
    assert run["status"] == status, run
    assert message in run["message"]
    after = history(config)
    if status == "failed":
        assert code == 1 and after == before
    else:
        assert code == 0 and len(after) == len(before) + 1


def test_truncated_catalogue_is_retried(config: Path, captures, server) -> None:
    body = json.dumps({"data": captures["models"]}).encode()
    server.fail(f"{API}/models", fp.truncated(body))
    code, runs = collect(config, "openrouter.models")
    assert code == 0 and runs["openrouter.models"]["status"] == "ok"
    assert server.hits(f"{API}/models") == 2


def test_a_much_smaller_catalogue_is_suspect_and_unlists_nothing(
        config: Path, captures, server) -> None:
    assert collect(config, "openrouter.models")[0] == 0
    server.serve(f"{API}/models", json.dumps({"data": captures["models"][:1]}).encode())
    code, runs = collect(config, "openrouter.models")
    assert code == 1 and runs["openrouter.models"]["status"] == "suspect"
    assert query(config, "SELECT count(*) FROM offer_history WHERE valid_to IS NOT NULL") \
        == [(0,)]


def test_endpoint_sweep_without_a_catalogue_is_skipped_and_recorded(config: Path,
                                                                    server) -> None:
    code, runs = collect(config, "openrouter.endpoints")
    assert code == 0  # nothing failed: the sweep waits for its input
    run = runs["openrouter.endpoints"]
    assert run["status"] == "skipped"
    assert run["message"] == ("waiting for openrouter.models: no current catalogue to sweep; "
                              "collect openrouter.models first")
    assert server.requests == []  # nothing was fetched
    assert query(config, "SELECT run_id, status, records, message FROM runs") == [
        (run["run_id"], "skipped", 0, run["message"])]
    result = runner.invoke(app, ["status", "--config", str(config), "--json"])
    (row,) = json.loads(result.stdout)
    assert (row["source"], row["last_status"], row["failing_runs"]) == \
        ("openrouter.endpoints", "skipped", None)
    # Once the catalogue is in, the same command sweeps it.
    code, runs = collect(config, "openrouter.models", "openrouter.endpoints")
    assert code == 0 and runs["openrouter.endpoints"]["status"] == "ok"


def test_key_source_sends_the_secret_but_never_stores_or_logs_it(
        config: Path, server, monkeypatch, caplog) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    server.serve(f"{API}/key", json.dumps({"data": {
        "label": "sk-or-v1-tes...def", "limit": 25, "limit_reset": "monthly", "usage": 1.5,
        "is_free_tier": False,
        "free_model_daily_requests": {"used": 3, "limit": 1000, "remaining": 997}}}).encode())
    with caplog.at_level(logging.DEBUG):
        code, runs = collect(config, "openrouter.key")
    assert code == 0 and runs["openrouter.key"]["status"] == "ok"
    sent = [h for _, p, h in server.requests if p == f"{API}/key"]
    assert sent[0]["Authorization"] == f"Bearer {SECRET}"
    assert query(config, "SELECT scope, metric, value, condition FROM rate_limit_history "
                         "ORDER BY ALL") == [
        (":free models", "requests_per_day", Decimal(1000), "this account"),
        ("api key", "credits", Decimal(25), "resets monthly")]
    database = (config.parent / "pw.duckdb").read_bytes()
    assert SECRET.encode() not in database
    assert SECRET not in caplog.text
    dumped = query(config, "SELECT * FROM fetch_log")
    assert SECRET not in repr(dumped)


def test_a_run_that_cannot_write_keeps_its_body_and_lands_later(config: Path, server) -> None:
    import subprocess
    import sys

    db = config.parent / "pw.duckdb"
    assert collect(config, "openrouter.providers")[0] == 0
    config.write_text(config.read_text().replace('db_path', 'lock_timeout_s = 0.5\ndb_path'))
    directory = load("providers-2026-05-07.json")
    directory["data"][0]["headquarters"] = "DE"  # one real change
    server.serve(f"{API}/providers", json.dumps(directory).encode())
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               "c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
                               "time.sleep(60)", str(db)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        result = runner.invoke(app, ["collect", "openrouter.providers", "--config",
                                     str(config), "--json"])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code in (1, 3)
    spooled = list(db.with_name("pw.duckdb.spool").glob("*/run.json"))
    assert len(spooled) == 1
    assert collect(config, "openrouter.providers")[0] == 0
    assert not list(db.with_name("pw.duckdb.spool").glob("*/run.json"))
    statuses = query(config, "SELECT status, message, intervals_opened FROM runs "
                             "ORDER BY observed_at")
    # the first run, the spooled run (archived late: one change), then the current one
    assert [(s, opened) for s, _, opened in statuses] == [("ok", 81), ("ok", 1),
                                                          ("unchanged", 0)]
    assert "archived late" in statuses[1][1]
    assert query(config, "SELECT count(*) FROM fetch_log WHERE source = "
                         "'openrouter.providers' AND content_sha256 IS NOT NULL") == [(3,)]


def test_a_304_resolves_to_the_body_its_etag_came_with(config: Path, server) -> None:
    assert collect(config, "openrouter.providers")[1]["openrouter.providers"]["status"] == "ok"
    # One bad 200 without an ETag is archived after the good body...
    server.fail(f"{API}/providers", fp.serve_as(b'{"data": "maintenance"}'))
    assert collect(config, "openrouter.providers")[1]["openrouter.providers"]["status"] \
        == "failed"
    # ...so the next request is unconditional and gets the good body, not a 304 that would
    # stand for the bad one.
    code, runs = collect(config, "openrouter.providers")
    assert code == 0 and runs["openrouter.providers"]["status"] == "unchanged"
    assert [h.get("If-None-Match") for _, p, h in server.requests
            if p == f"{API}/providers"][-1] is None


def test_a_304_is_read_from_the_archive_once_per_run(config: Path, server,
                                                     monkeypatch) -> None:
    """The body a 304 stands for is read before the write lock (to compare and parse) and
    handed to the write, not read from the archive again while the file is locked."""
    from pricewatch.pipeline import run as pipeline_run

    assert collect(config, "openrouter.providers")[1]["openrouter.providers"]["status"] == "ok"
    reads: list[str] = []
    load = pipeline_run.load_body
    monkeypatch.setattr(pipeline_run, "load_body",
                        lambda con, sha: reads.append(sha) or load(con, sha))
    code, runs = collect(config, "openrouter.providers")
    assert code == 0 and runs["openrouter.providers"]["status"] == "unchanged"
    assert [h.get("If-None-Match") for _, p, h in server.requests
            if p == f"{API}/providers"][-1] is not None  # a conditional request: a 304
    assert len(reads) == 1


def test_log_lines_print_above_the_progress_bar(monkeypatch, capsys) -> None:
    """With -v, 90 `giving up` lines once broke the sweep's bar mid-line: the log handler
    wrote to the real stderr under rich's live display."""
    import io
    import re
    import sys

    from rich.console import Console

    from pricewatch.cli import collect as collect_cli

    screen = io.StringIO()
    monkeypatch.setattr(collect_cli, "errors", Console(file=screen, force_terminal=True,
                                                       width=80))
    handler = logging.StreamHandler(sys.stderr)  # what basicConfig makes at start
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with collect_cli._sweep_progress(enabled=True) as update:
            for done in range(1, 4):
                update("openrouter.endpoints", done, 10)
                logging.getLogger("pricewatch.fetch").warning("giving up on model %d", done)
    finally:
        root.removeHandler(handler)
    assert handler.stream is sys.stderr  # handed back when the bar ended
    assert "giving up" not in capsys.readouterr().err
    lines = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue()).replace("\r", "\n")
    shown = [line for line in lines.splitlines() if "giving up" in line]
    assert shown == [f"WARNING pricewatch.fetch: giving up on model {n}" for n in (1, 2, 3)]


def test_a_body_nested_too_deeply_is_a_recorded_failed_run(config: Path,
                                                           server: fp.FakeProvider) -> None:
    """Issue 29, item 6: a RecursionError in the parser added no run, so collector_health
    showed 0 failing runs; now the attempt is a failed run with its reason."""
    server.serve(f"{API}/models", b"[" * 100_000 + b"]" * 100_000)
    code, rows = collect(config, "openrouter.models")
    assert code == 1 and rows["openrouter.models"]["status"] == "failed"
    assert query(config, "SELECT status, message LIKE '%nested too deeply%' FROM runs") == [
        ("failed", True)]
    assert query(config, "SELECT failing_runs FROM collector_health") == [(1,)]


def test_an_archive_folder_that_cannot_be_written_is_a_recorded_failed_run(
        config: Path) -> None:
    """Issue 29, item 6: an OSError writing the body archive added no run. (A file where the
    folder should be: chmod would not stop root, which CI runs as.)"""
    import shutil

    code, _ = collect(config, "openrouter.providers")  # creates the file and its archive
    assert code == 0
    archive = config.parent / "pw.duckdb.archive"
    shutil.rmtree(archive)
    archive.write_text("not a folder")
    code, rows = collect(config, "openrouter.models")
    assert code == 1 and rows["openrouter.models"]["status"] == "failed"
    assert query(config, "SELECT count(*) FROM runs WHERE source = 'openrouter.models' "
                         "AND status = 'failed' AND message LIKE '%unexpectedly%'") == [(1,)]


def test_credentials_in_a_base_url_are_never_stored_or_shown(
        tmp_path: Path, server: fp.FakeProvider, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 29, item 11: `http://user:pass@mirror` appeared in fetch_log.url, runs.message,
    the log line and the exports."""
    secret = "pa55-never-shown"
    base = server.url(API).replace("http://", f"http://mirror-user:{secret}@")
    config = write_config(tmp_path, f"""
[openrouter]
api_base = "{base}"
limits_page_url = "{server.url(LIMITS_PAGE)}"
allowed_hosts = ["127.0.0.1"]
""", read_timeout_s=1, total_timeout_s=5, max_body_bytes=2_000_000)
    server.fail_always(f"{API}/providers", fp.status(503))
    caplog.set_level(logging.DEBUG)
    collect(config, "openrouter.models", "openrouter.providers")
    out = tmp_path / "export"
    assert runner.invoke(app, ["export", "--out", str(out), "--format", "csv", "--config",
                               str(config)]).exit_code == 0
    stored = query(config, "SELECT string_agg(url, ' ') FROM fetch_log")[0][0] + \
        query(config, "SELECT string_agg(coalesce(message, ''), ' ') FROM runs")[0][0]
    exported = " ".join(p.read_text() for p in out.rglob("*.csv"))
    assert "REDACTED@127.0.0.1" in stored
    for text in (stored, caplog.text, exported):
        assert secret not in text and "mirror-user" not in text


def test_an_unreadable_spool_entry_is_set_aside_and_the_rest_drains(config: Path,
                                                                    server) -> None:
    """Issue 29, item 5: a truncated run.json made every drain raise (collect exited 70,
    the daemon spun at 100% CPU). Now it is moved to <spool>/_unreadable with one error."""
    from pricewatch.pipeline import run as pipeline
    from pricewatch.settings import load_settings
    from pricewatch.warehouse import spool

    assert collect(config, "openrouter.providers")[0] == 0
    settings = load_settings(config)
    root = spool.spool_dir(settings)
    bad = root / "20260101T000000000000-openrouter.providers"
    bad.mkdir(parents=True)
    (bad / "run.json").write_text('{"source": "openrouter.providers", "obs')
    body = json.dumps(load("providers-2026-05-07.json")).encode()
    from datetime import UTC, datetime

    from pricewatch.records import FetchedBody
    when = datetime(2026, 1, 2, tzinfo=UTC)
    spool.keep(settings, "openrouter.providers", when,
               [FetchedBody(url=server.url(f"{API}/providers"), fetched_at=when, content=body,
                            status_code=200)])
    drained = pipeline.drain_spool(settings)
    assert [o.status for o in drained] == ["ok"]
    assert not list(root.glob("*/run.json"))
    assert (root / "_unreadable" / bad.name / "run.json").exists()
    assert collect(config, "openrouter.providers")[0] == 0  # collect drains first: no 70


def test_a_spooled_304_resolves_to_the_body_its_etag_came_with(config: Path, server) -> None:
    """Issue 29, item 4: a 304 spooled for body A was read at drain time as the newest
    archived body B, so B's price started before B was served."""
    import asyncio
    import subprocess
    import sys

    from pricewatch.pipeline import run as pipeline
    from pricewatch.settings import load_settings

    db = config.parent / "pw.duckdb"
    assert collect(config, "openrouter.providers")[0] == 0  # body A, with its ETag
    config.write_text(config.read_text().replace('db_path', 'lock_timeout_s = 0.5\ndb_path'))
    # a reader holding the file: the validators are read, the write waits, the 304 spools
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               "c = duckdb.connect(sys.argv[1], read_only=True); "
                               "print('held', flush=True); time.sleep(60)", str(db)],
                              stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        _, rows = collect(config, "openrouter.providers")  # a 304 for A, spooled
    finally:
        holder.kill()
        holder.wait()
    assert rows["openrouter.providers"]["status"] == "spooled"
    directory = load("providers-2026-05-07.json")
    directory["data"][0]["headquarters"] = "DE"  # body B
    server.serve(f"{API}/providers", json.dumps(directory).encode())
    settings = load_settings(config)
    [outcome] = asyncio.run(pipeline.collect(settings, ["openrouter.providers"], drain=False))
    assert outcome.status == "ok" and outcome.changes == 2  # B archived, newest
    [drained] = pipeline.drain_spool(settings)
    # the spooled 304 stands for A: between A's run and B's it changes nothing
    assert drained.status == "unchanged"
    assert query(config, "SELECT count(*) FROM provider_directory_history WHERE "
                         "headquarters = 'DE' AND valid_from < (SELECT max(observed_at) "
                         "FROM runs WHERE status = 'ok')") == [(0,)]


def test_bodies_are_parsed_with_the_warehouse_closed(config: Path, monkeypatch) -> None:
    """Issue 29, item 9: a 2 MB Vertex page parsed for ~100 s inside the write lock, and
    status and ingest timed out meanwhile. The parse now runs with nothing attached."""
    from pricewatch.pipeline import run as pipeline
    from pricewatch.warehouse import db as warehouse_db

    held = []
    real = pipeline.parse_bodies

    def watched(*args, **kwargs):
        held.append(warehouse_db._ENGINE_LOCK.locked())
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "parse_bodies", watched)
    assert collect(config, "openrouter.models")[0] == 0
    assert held == [False]
