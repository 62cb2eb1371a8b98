"""Alert queueing, filters and delivery without the daemon; exports as a dashboard reads them."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from helpers import fake_provider as fp
from helpers import fixture_path, jsonl, price_line
from pricewatch import queries
from pricewatch.cli.main import app
from pricewatch.outputs import alerts, exports
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import load_settings
from pricewatch.warehouse import outbox as outbox_store
from pricewatch.warehouse.db import SCHEMA_VERSION, open_warehouse

runner = CliRunner()
SECRET = "whsec-unit-test"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T00:00:00+00:00")


@pytest.fixture
def receiver():
    hook = fp.WebhookReceiver()
    yield hook
    hook.close()


def settings_for(db: Path, receiver: fp.WebhookReceiver, **channel):
    """A warehouse (a file or a lake, conftest.db_target) with one webhook channel."""
    return load_settings(db_path=db, daemon={"alert_retry_base_s": 0.01},
                         channels=[{"name": "hook", "webhook_url": receiver.url,
                                    "webhook_secret_env": "PW_UNIT_SECRET", **channel}])


def ingest(settings, day: str, *lines: str) -> None:
    pipeline.ingest_body(settings, "records", jsonl(*lines), at(day), day)


def test_queue_filter_and_deliver_once(db_target, receiver, monkeypatch) -> None:
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver, kinds=["price_drop"], min_drop_pct=10)
    ingest(settings, "2026-01-01", price_line("m", "10"), price_line("n", "10"))
    assert alerts.enqueue_new(settings, now=at("2026-01-01")) == 0  # channel starts here
    ingest(settings, "2026-01-02", price_line("m", "8"), price_line("n", "9.5"))  # -20%, -5%
    assert alerts.enqueue_new(settings, now=at("2026-01-03")) == 1  # -5% is under the filter
    assert alerts.enqueue_new(settings, now=at("2026-01-03")) == 0  # already queued
    assert alerts.deliver_pending(settings) == (1, 0)
    assert alerts.deliver_pending(settings) == (0, 0)  # delivered exactly once
    (body, headers), = receiver.received
    assert headers["X-Pricewatch-Signature"] == \
        "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert json.loads(body)["model"] == "m"


def five_drops(settings) -> None:
    models = [f"m{i}" for i in range(5)]
    ingest(settings, "2026-01-01", *(price_line(m, "10") for m in models))
    alerts.enqueue_new(settings, now=at("2026-01-01"))
    ingest(settings, "2026-01-02", *(price_line(m, "8") for m in models))
    assert alerts.enqueue_new(settings, now=at("2026-01-03")) == 5


def outbox(settings) -> list[tuple]:
    with open_warehouse(settings, read_only=True) as con:
        return con.execute("SELECT alert_id, status, attempts, claimed_by FROM alert_outbox "
                           "ORDER BY alert_id").fetchall()


def test_two_passes_at_once_send_each_alert_once(db_target, receiver, monkeypatch) -> None:
    """Two jobs finishing together each run a pass: the claim, committed before any send,
    keeps the second from sending what the first is sending (it once sent all twice)."""
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver)
    five_drops(settings)
    receiver.delay_s = 0.1  # the first pass is still sending when the second looks
    start = threading.Barrier(2)
    results = []

    def one_pass() -> None:
        start.wait()
        results.append(alerts.deliver_pending(settings))

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [json.loads(body)["alert_id"] for body, _ in receiver.received]
    assert len(ids) == len(set(ids)) == 5
    assert sum(delivered for delivered, _ in results) == 5
    assert {row[1:] for row in outbox(settings)} == {("delivered", 1, None)}
    for body, headers in receiver.received:
        alert_id = json.loads(body)["alert_id"]
        assert headers["Idempotency-Key"] == headers["X-Pricewatch-Alert-Id"] == alert_id
        assert headers["User-Agent"].startswith("pricewatch/")


def test_a_claim_is_only_taken_over_when_its_lease_ran_out(db_target, receiver,
                                                           monkeypatch) -> None:
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver)
    five_drops(settings)
    now = datetime.now(UTC)
    with open_warehouse(settings) as con:  # a process that claimed, then died
        claimed = outbox_store.claim_due(con, "dead:1", now, 60, ["hook"], limit=2)
    assert len(claimed) == 2
    assert alerts.deliver_pending(settings, now=now) == (3, 0)  # not the two it holds
    assert alerts.deliver_pending(settings, now=now + timedelta(seconds=59)) == (0, 0)
    assert alerts.deliver_pending(settings, now=now + timedelta(seconds=61)) == (2, 0)
    assert len(receiver.received) == 5
    # the dead claimant's late record changes nothing: the rows are someone else's now
    with open_warehouse(settings) as con:
        assert outbox_store.record_attempts(
            con, [outbox_store.Attempt(claimed[0].alert_id, "hook", False, "late")],
            "dead:1", now, retry_max=3) == 0
    assert {row[1:] for row in outbox(settings)} == {("delivered", 1, None)}


def test_a_pass_stopped_midway_hands_back_what_it_did_not_send(db_target, receiver,
                                                               monkeypatch) -> None:
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver)
    five_drops(settings)
    # shutdown arrives once two sends are in: the second still completes
    assert alerts.deliver_pending(settings,
                                  stop=lambda: len(receiver.received) >= 2) == (2, 0)
    rows = outbox(settings)
    assert sorted(row[1:] for row in rows) == [("delivered", 1, None)] * 2 + \
        [("pending", 0, None)] * 3  # due again at once, not after a lease
    assert alerts.deliver_pending(settings) == (3, 0)
    assert len(receiver.received) == 5


HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(30)
"""


@pytest.mark.file_only
def test_results_wait_in_memory_when_the_file_is_taken_after_the_send(
        tmp_path, db_target, receiver, monkeypatch) -> None:
    """A reader takes the file while the webhook answers: the results cannot be written.
    They are kept and written by the next pass, before it claims; nothing is sent twice."""
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver).model_copy(update={"lock_timeout_s": 0})
    five_drops(settings)
    holder: list[subprocess.Popen] = []

    def take_the_file() -> None:
        if not holder:
            holder.append(subprocess.Popen([sys.executable, "-c", HOLDER,
                                            str(settings.db_path)], stdout=subprocess.PIPE,
                                           text=True))
            assert holder[0].stdout.readline().strip() == "holding"

    receiver.on_post = take_the_file
    try:
        assert alerts.deliver_pending(settings) == (5, 0)
        assert alerts.pending_results() == 5
        assert {row[1] for row in outbox(settings)} == {"sending"}
        assert alerts.deliver_pending(settings) == (0, 0)  # still held: nothing claimed
    finally:
        holder[0].kill()
        holder[0].wait()
    assert alerts.deliver_pending(settings) == (0, 0)  # the results written, nothing resent
    assert alerts.pending_results() == 0
    assert len(receiver.received) == 5
    assert {row[1:] for row in outbox(settings)} == {("delivered", 1, None)}


def test_failed_delivery_stays_pending_then_fails_for_good(db_target, receiver,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver)
    settings.daemon.alert_retry_max = 2
    ingest(settings, "2026-01-01", price_line("m", "10"))
    alerts.enqueue_new(settings, now=at("2026-01-01"))
    ingest(settings, "2026-01-02", price_line("m", "5"))
    assert alerts.enqueue_new(settings, now=at("2026-01-03")) >= 1
    receiver.up = False
    assert alerts.deliver_pending(settings)[0] == 0
    result = runner.invoke(app, ["alerts", "--pending", "--json", "--db",
                                 str(settings.db_path)])
    pending = json.loads(result.stdout)
    assert pending and pending[0]["status"] == "pending" and "503" in pending[0]["last_error"]
    import time
    time.sleep(0.05)
    alerts.deliver_pending(settings)
    result = runner.invoke(app, ["alerts", "--pending", "--json", "--db",
                                 str(settings.db_path)])
    assert {row["status"] for row in json.loads(result.stdout)} == {"failed"}


def test_messages_lose_control_characters(db_target, receiver, monkeypatch) -> None:
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver)
    evil = "evil/<b>mo\\u0007del</b>\\u001b[31m"
    ingest(settings, "2026-01-01", price_line(json.loads(f'"{evil}"'), "10"))
    alerts.enqueue_new(settings, now=at("2026-01-01"))
    ingest(settings, "2026-01-02", price_line(json.loads(f'"{evil}"'), "5"))
    alerts.enqueue_new(settings, now=at("2026-01-03"))
    alerts.deliver_pending(settings)
    sent = json.loads(receiver.received[0][0])
    assert "\x07" not in sent["message"] and "\x1b" not in sent["message"]
    assert "<b>mo" in sent["message"]  # JSON carries the text; escaping is the renderer's job


def test_alerts_test_command(tmp_path, receiver, monkeypatch) -> None:
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    config = tmp_path / "pw.toml"
    config.write_text(f'db_path = "{tmp_path / "t.duckdb"}"\n[[channels]]\nname = "hook"\n'
                      f'webhook_url = "{receiver.url}"\nwebhook_secret_env = "PW_UNIT_SECRET"\n')
    result = runner.invoke(app, ["alerts", "test", "hook", "--config", str(config)])
    assert result.exit_code == 0, result.stderr
    assert json.loads(receiver.received[0][0])["kind"] == "test"
    result = runner.invoke(app, ["alerts", "test", "nope", "--config", str(config)])
    assert result.exit_code == 1 and "unknown channel 'nope'" in result.stderr


def _check_files(out: Path, manifest: dict) -> None:
    """Every file the manifest lists is there, whole, owner-only, with its rows and sha256."""
    for relative, entry in manifest["files"].items():
        path = out / relative
        assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0] == entry["rows"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert path.stat().st_mode & 0o777 == 0o600
    assert not list(out.rglob(".*tmp"))


def _rows(out: Path, name: str) -> list[tuple]:
    """A table or view as exported: one file, or every month of it."""
    target = out / f"{name}.parquet" if (out / f"{name}.parquet").exists() else \
        out / name / "*.parquet"
    return sorted(duckdb.sql(f"SELECT * FROM read_parquet('{target}')").fetchall(), key=repr)


def test_export_writes_whole_files_and_a_manifest(tmp_path, db_target) -> None:
    db = db_target
    settings = load_settings(db_path=db)
    pipeline.ingest_body(settings, "openrouter.models",
                         fixture_path("openrouter", "models-2026-01-29.json").read_bytes(),
                         at("2026-01-29"), "x")
    out = tmp_path / "exports"
    with open_warehouse(settings, read_only=True) as con:
        memory = con.execute("SELECT current_setting('memory_limit')").fetchall()
    result = runner.invoke(app, ["export", "--out", str(out), "--db", str(db), "--json"])
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    _check_files(out, manifest)
    with open_warehouse(settings, read_only=True) as con:  # bounded for the export only
        assert con.execute("SELECT current_setting('memory_limit')").fetchall() == memory
    assert manifest["row_counts"]["current_offers"] == 347
    assert list(manifest["files"]).count("price_history/2026-01.parquet") == 1
    # one catalogue has no rate limits and no changes of them: no empty folders for those
    assert [p.name for p in out.iterdir() if p.is_dir() and not any(p.iterdir())] == []
    assert not (out / "rate_limit_changes").exists()
    with open_warehouse(settings, read_only=True) as con:
        assert manifest["row_counts"]["price_history"] == con.execute(
            "SELECT count(*) FROM price_history").fetchall()[0][0]
    result = runner.invoke(app, ["export", "--out", str(out), "--format", "csv", "--db",
                                 str(db)])
    assert result.exit_code == 0 and (out / "current_prices.csv").read_text().startswith(
        "provider,model,canonical_model,route")
    assert datetime.fromisoformat(manifest["exported_at"]).tzinfo is not None
    assert datetime.now(UTC) >= datetime.fromisoformat(manifest["exported_at"])


def test_the_daemon_export_rewrites_only_what_changed(tmp_path, db_target) -> None:
    settings = load_settings(db_path=db_target)
    first = fixture_path("openrouter", "models-2025-12-18.json").read_bytes()
    second = fixture_path("openrouter", "models-2026-01-29.json").read_bytes()
    out = tmp_path / "exports"
    pipeline.ingest_body(settings, "openrouter.models", first, at("2026-01-10"), "a")
    exports.export_changed(settings, out)  # no manifest yet: everything
    written = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}
    # a run that changed nothing: no file is touched
    pipeline.ingest_body(settings, "openrouter.models", first + b" ", at("2026-02-03"), "b")
    unchanged = exports.export_changed(settings, out)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")} == written
    assert unchanged["through_run"] == 1
    # a run with changes: its months, the months of the intervals it closed and of the
    # new_cheapest alerts (dated when the price began: three offers priced since the first
    # run became the cheapest of a capability), nothing else
    pipeline.ingest_body(settings, "openrouter.models", second, at("2026-03-05"), "c")
    manifest = exports.export_changed(settings, out)
    assert manifest["through_run"] == 3
    rewritten = sorted(str(p.relative_to(out)) for p, t in
                       ((p, p.stat().st_mtime_ns) for p in out.rglob("*.parquet"))
                       if written.get(p) != t and "/" in str(p.relative_to(out)))
    assert rewritten == ["offer_changes/2026-03.parquet", "offer_history/2026-01.parquet",
                         "offer_history/2026-03.parquet", "price_alerts/2026-01.parquet",
                         "price_alerts/2026-03.parquet",
                         "price_changes/2026-03.parquet", "price_history/2026-01.parquet",
                         "price_history/2026-03.parquet", "runs/2026-02.parquet",
                         "runs/2026-03.parquet"]
    assert "price_changes/2026-01.parquet" in manifest["files"]  # kept as it was
    _check_files(out, manifest)
    # and the folder holds what a full export writes (which computes each change view once,
    # in a scratch file it removes, where the daemon's reads the months it rewrites)
    full = tmp_path / "full"
    exports.export(settings, full)
    assert set(manifest["files"]) == set(json.loads((full / "manifest.json").read_text())
                                         ["files"])
    for name in ("price_history", "offer_history", "runs", "price_changes", "price_alerts",
                 "offer_changes", "current_prices", "cheapest_per_capability"):
        assert _rows(out, name) == _rows(full, name), name
    assert len(list(full.glob("price_changes/*.parquet"))) == 2
    assert [p.name for p in full.iterdir() if p.name.startswith(".")] == []


def test_an_export_folder_of_another_warehouse_is_written_whole(tmp_path: Path) -> None:
    """A warehouse made afresh at the same path (its runs start at 1 again) under an export
    folder whose manifest went to run 3: the daemon's export writes it whole, not "no run
    since 3" for ever."""
    bodies = [fixture_path("openrouter", f"models-{day}.json").read_bytes()
              for day in ("2025-12-18", "2026-01-29", "2026-05-07")]
    db, out = tmp_path / "w.duckdb", tmp_path / "exports"
    settings = load_settings(db_path=db)
    for body, day in zip(bodies, ("2026-01-10", "2026-02-03", "2026-05-07"), strict=True):
        pipeline.ingest_body(settings, "openrouter.models", body, at(day), "m")
    assert exports.export_changed(settings, out)["through_run"] == 3
    assert sorted(p.name for p in (out / "price_changes").iterdir()) == [
        "2026-01.parquet", "2026-02.parquet", "2026-05.parquet"]
    db.unlink()
    pipeline.ingest_body(settings, "openrouter.models", bodies[0], at("2026-01-10"), "m")
    manifest = exports.export_changed(settings, out)
    assert manifest["through_run"] == 1
    assert sorted(p.name for p in (out / "price_changes").iterdir()) == ["2026-01.parquet"]
    assert _rows(out, "runs") == _rows(_full(settings, tmp_path / "full"), "runs")


def test_an_export_of_another_schema_or_other_views_is_written_whole(tmp_path: Path) -> None:
    """A folder exported before an upgrade that changed the warehouse's schema (a `runs`
    column) or the views: the daemon's next export writes every file again, so no month of
    the old columns or the old SQL stays beside the new ones (DuckDB reads a glob of files
    with the first file's columns)."""
    settings = load_settings(db_path=tmp_path / "w.duckdb")
    out = tmp_path / "exports"
    body = fixture_path("openrouter", "models-2025-12-18.json").read_bytes()
    pipeline.ingest_body(settings, "openrouter.models", body, at("2026-01-10"), "a")
    manifest = exports.export_changed(settings, out)
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["views_checksum"] == queries.views_checksum(settings)
    for key, older in (("schema_version", None), ("views_checksum", "0" * 64)):
        written = {p: p.stat().st_mtime_ns for p in out.rglob("*.parquet")}
        (out / "manifest.json").write_text(json.dumps(manifest | {key: older}))
        again = exports.export_changed(settings, out, changes=0)
        assert again[key] == manifest[key]
        assert [p for p, t in written.items() if p.stat().st_mtime_ns == t] == [], key
    assert exports.export_changed(settings, out, changes=0) == again  # and then nothing


def _full(settings, folder: Path) -> Path:
    exports.export(settings, folder)
    return folder


def test_each_pass_reads_the_new_runs_and_reaches_back_for_late_ones(db_target, receiver,
                                                                     monkeypatch) -> None:
    """The outbox remembers the newest run each channel has seen: a pass reads only later
    runs' changes, from the earliest observation among them, so a run that lands late (a
    spooled run, a backfill) still gives its alerts."""
    from pricewatch.warehouse.db import open_warehouse
    from pricewatch.warehouse.outbox import channel_window

    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver, kinds=["price_drop"])
    ingest(settings, "2026-01-01", price_line("m", "10"))
    assert alerts.enqueue_new(settings, now=at("2026-01-01")) == 0
    ingest(settings, "2026-01-05", price_line("m", "10"), price_line("n", "1"))
    assert alerts.enqueue_new(settings, now=at("2026-01-05")) == 0
    with open_warehouse(settings, read_only=True) as con:  # nothing landed: no pass
        assert channel_window(con, "hook", at("2026-01-06")) is None
    ingest(settings, "2026-01-03", price_line("m", "7"))  # lands late, between the two
    with open_warehouse(settings) as con:
        window = channel_window(con, "hook", at("2026-01-06"))
    assert window is not None and (window.since, window.through_run) == (at("2026-01-03"), 3)
    assert alerts.enqueue_new(settings, now=at("2026-01-06")) == 1
    assert alerts.deliver_pending(settings) == (1, 0)
    (body, _), = receiver.received
    sent = json.loads(body)
    assert (sent["old_price"], sent["new_price"], sent["detected_at"]) == \
        ("10", "7", "2026-01-03T00:00:00Z")


def test_alerts_are_found_read_only_and_a_window_another_pass_took_is_not_written(
        db_target, receiver, monkeypatch) -> None:
    """The alert query (most of a pass) runs with the file open read-only, so readers in
    other processes are not locked out meanwhile; the write that follows queues a window
    only if no other pass moved the channel on since it was read."""
    from pricewatch.warehouse.outbox import channel_window

    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver, kinds=["price_drop"])
    modes: list[bool] = []
    named = queries.named

    def recording(con, name, *args, **kwargs):
        if name == "alerts_to_enqueue":
            modes.append(con.execute("SELECT readonly FROM duckdb_databases() WHERE "
                                     "database_name = current_database()").fetchall()[0][0])
        return named(con, name, *args, **kwargs)

    monkeypatch.setattr(queries, "named", recording)
    ingest(settings, "2026-01-01", price_line("m", "10"))
    assert alerts.enqueue_new(settings, now=at("2026-01-01")) == 0
    ingest(settings, "2026-01-02", price_line("m", "7"))
    with open_warehouse(settings, read_only=True) as con:
        stale = channel_window(con, "hook", at("2026-01-03"))
        assert stale is not None
        _, rows = queries.named(con, "alerts_to_enqueue", {
            "since": stale.since, **queries.alert_thresholds(settings)})
        found = alerts._wanted_by(settings.channels[0], rows)
    assert stale is not None and (stale.since, stale.through_run, stale.seen) == \
        (at("2026-01-02"), 2, 1)
    assert [(a["model"], a["new_price"]) for a in found] == [("m", Decimal(7))]
    ingest(settings, "2026-01-03", price_line("m", "5"))
    assert alerts.enqueue_new(settings, now=at("2026-01-03")) == 2  # the other pass
    with open_warehouse(settings) as con:
        assert outbox_store.enqueue(con, "hook", found, at("2026-01-03"), stale) is None
        assert con.execute("SELECT seen_through_run FROM alert_channels").fetchall() == [(3,)]
        assert con.execute("SELECT count(*) FROM alert_outbox").fetchall() == [(2,)]
    assert modes == [True, True, True]


def test_channels_whose_windows_start_together_share_one_query(db_target, receiver,
                                                                monkeypatch) -> None:
    """The alert query is most of a pass; channels at the same point (each pass moves them
    all on) run it once, each taking what it wants; a channel added later has its own."""
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    hook = {"webhook_url": receiver.url, "webhook_secret_env": "PW_UNIT_SECRET"}
    two = load_settings(db_path=db_target, channels=[
        {"name": "drops", "kinds": ["price_drop"], **hook},
        {"name": "rises", "kinds": ["price_rise"], **hook}])
    asked: list[datetime] = []
    named = queries.named

    def recording(con, name, params=None, *args, **kwargs):
        if name == "alerts_to_enqueue":
            asked.append(params["since"])
        return named(con, name, params, *args, **kwargs)

    monkeypatch.setattr(queries, "named", recording)
    ingest(two, "2026-01-01", price_line("m", "10"), price_line("n", "10"))
    assert alerts.enqueue_new(two, now=at("2026-01-01")) == 0
    ingest(two, "2026-01-02", price_line("m", "8"), price_line("n", "12"))
    assert alerts.enqueue_new(two, now=at("2026-01-02")) == 2
    assert asked == [at("2026-01-01"), at("2026-01-02")]
    three = load_settings(db_path=db_target, channels=[
        *[c.model_dump() for c in two.channels],
        {"name": "all", **hook}])
    ingest(two, "2026-01-03", price_line("m", "6"), price_line("n", "12"))
    asked.clear()
    # "all", added at the run's time, starts there, as the others' windows do: one query
    assert alerts.enqueue_new(three, now=at("2026-01-03")) == 2
    assert asked == [at("2026-01-03")]
    with open_warehouse(three, read_only=True) as con:
        assert con.execute("SELECT channel, kind FROM alert_outbox ORDER BY ALL").fetchall() \
            == [("all", "price_drop"), ("drops", "price_drop"), ("drops", "price_drop"),
                ("rises", "price_rise")]
    # a channel added after a run it never sees: its window starts later, its own query
    four = load_settings(db_path=db_target, channels=[
        *[c.model_dump() for c in three.channels], {"name": "late", **hook}])
    ingest(two, "2026-01-04", price_line("m", "4"), price_line("n", "12"))
    asked.clear()
    assert alerts.enqueue_new(four, now=at("2026-01-05")) == 2  # drops and all, not late
    assert asked == [at("2026-01-04"), at("2026-01-05")]


def test_a_delivery_pass_with_nothing_due_does_not_open_for_writing(
        db_target, receiver, monkeypatch) -> None:
    """Most of a daemon's passes have nothing to send: they look read-only and stop there;
    one with an alert due claims it (a write) as before."""
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver, kinds=["price_drop"])
    ingest(settings, "2026-01-01", price_line("m", "10"))
    assert alerts.enqueue_new(settings, now=at("2026-01-01")) == 0
    opened: list[bool] = []
    real = alerts.open_warehouse

    def recording(settings, *, read_only=False):
        opened.append(read_only)
        return real(settings, read_only=read_only)

    monkeypatch.setattr(alerts, "open_warehouse", recording)
    assert alerts.deliver_pending(settings) == (0, 0)
    assert opened == [True]
    ingest(settings, "2026-01-02", price_line("m", "7"))
    assert alerts.enqueue_new(settings, now=at("2026-01-02")) == 1
    opened.clear()
    assert alerts.deliver_pending(settings) == (1, 0)
    assert opened == [True, False, False]  # looked, claimed, recorded
    assert len(receiver.received) == 1


def test_a_new_channel_is_added_by_its_first_pass(db_target, receiver, monkeypatch) -> None:
    """A channel's row is written with its first pass (found read-only, added on write);
    alerts from before it was added are not sent on it."""
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver, kinds=["price_drop"])
    ingest(settings, "2026-01-01", price_line("m", "10"))
    ingest(settings, "2026-01-02", price_line("m", "7"))
    assert alerts.enqueue_new(settings, now=at("2026-01-05")) == 0
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("SELECT channel, added_at, seen_through_run FROM alert_channels"
                           ).fetchall() == [("hook", at("2026-01-05"), 2)]
    ingest(settings, "2026-01-06", price_line("m", "5"))
    assert alerts.enqueue_new(settings, now=at("2026-01-06")) == 1


def offered(model: str, price: str) -> list[str]:
    """A text model with one price for input and output, as cheapest_per_capability needs."""
    return [price_line(model, price), price_line(model, price, "output"),
            json.dumps({"kind": "offer", "source": "records", "provider": "openrouter",
                        "model": model, "output_modalities": ["text"]})]


def test_an_offer_that_becomes_cheapest_when_another_rises_is_announced(
        db_target, receiver, monkeypatch) -> None:
    """new_cheapest is dated when the winner's price began, which can be before the runs
    a pass reads: it is looked for since the channel was added."""
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver, kinds=["new_cheapest"])
    ingest(settings, "2026-01-01", *offered("m", "10"), *offered("n", "12"))
    alerts.enqueue_new(settings, now=at("2026-01-01"))
    ingest(settings, "2026-01-02", *offered("m", "10"), *offered("n", "11"))
    assert alerts.enqueue_new(settings, now=at("2026-01-02")) == 0  # m is still cheapest
    ingest(settings, "2026-01-03", *offered("m", "20"), *offered("n", "11"))
    assert alerts.enqueue_new(settings, now=at("2026-01-03")) == 1
    assert alerts.deliver_pending(settings) == (1, 0)
    (body, _), = receiver.received
    sent = json.loads(body)
    assert (sent["kind"], sent["model"], sent["component"], sent["new_price"],
            sent["detected_at"]) == ("new_cheapest", "n", "text", "11", "2026-01-02T00:00:00Z")


def test_an_offer_priced_before_the_channel_that_becomes_cheapest_is_announced(
        db_target, receiver, monkeypatch) -> None:
    """new_cheapest was looked for among winners whose price began after the channel was
    added: n, at 11 since the 2nd, became the cheapest on the 4th (m rose) and no channel
    added on the 3rd heard of it. A pass now compares the cheapest offers just before its
    runs with those now: m back at 10 is news again, a run that changes no winner is not."""
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver, kinds=["new_cheapest"])
    ingest(settings, "2026-01-01", *offered("m", "10"), *offered("n", "12"))
    ingest(settings, "2026-01-02", *offered("m", "10"), *offered("n", "11"))
    assert alerts.enqueue_new(settings, now=at("2026-01-03")) == 0  # added: m, no news
    ingest(settings, "2026-01-04", *offered("m", "20"), *offered("n", "11"))
    assert alerts.enqueue_new(settings, now=at("2026-01-04")) == 1
    ingest(settings, "2026-01-05", *offered("m", "20"), *offered("n", "11"), *offered("o", "30"))
    assert alerts.enqueue_new(settings, now=at("2026-01-05")) == 0
    ingest(settings, "2026-01-06", *offered("m", "10"), *offered("n", "11"), *offered("o", "30"))
    assert alerts.enqueue_new(settings, now=at("2026-01-06")) == 1
    assert alerts.deliver_pending(settings) == (2, 0)
    assert [(a["model"], a["new_price"], a["detected_at"][:10]) for a in (
        json.loads(body) for body, _ in receiver.received)] == [
        ("n", "11", "2026-01-02"), ("m", "10", "2026-01-06")]


def _n_cheapest_since_the_6th(db_target, receiver, monkeypatch):
    """A channel added on the 1st (m at 10, n at 12); n at 11 from the 4th; m at 20 on the
    6th, when n, at 11, is queued as the cheapest. Returns the settings."""
    monkeypatch.setenv("PW_UNIT_SECRET", SECRET)
    settings = settings_for(db_target, receiver, kinds=["new_cheapest"])
    ingest(settings, "2026-01-01", *offered("m", "10"), *offered("n", "12"))
    alerts.enqueue_new(settings, now=at("2026-01-01"))
    ingest(settings, "2026-01-04", *offered("m", "10"), *offered("n", "11"))
    ingest(settings, "2026-01-06", *offered("m", "20"), *offered("n", "11"))
    assert alerts.enqueue_new(settings, now=at("2026-01-06")) == 1
    return settings


def test_a_late_run_that_moves_the_winners_price_start_sends_nothing_again(
        db_target, receiver, monkeypatch) -> None:
    """new_cheapest's id was made of when the winner's price began: a run ingested late
    (a spooled run, a backfill) that saw the same price earlier moved that time and gave
    the alert a new id, so the channel was sent it twice. The id is the state announced:
    the offer, the capability, the unit and the blended price."""
    settings = _n_cheapest_since_the_6th(db_target, receiver, monkeypatch)
    query = "SELECT alert_id, detected_at FROM price_alerts WHERE kind = 'new_cheapest'"
    with open_warehouse(settings, read_only=True) as con:
        (first_id, first_at), = con.execute(query).fetchall()
    ingest(settings, "2026-01-03", *offered("m", "10"), *offered("n", "11"))  # late
    with open_warehouse(settings, read_only=True) as con:
        (late_id, late_at), = con.execute(query).fetchall()
    assert (first_at.day, late_at.day) == (4, 3)
    assert late_id == first_id
    assert alerts.enqueue_new(settings, now=at("2026-01-07")) == 0
    ingest(settings, "2026-01-08", *offered("m", "20"), *offered("n", "10.5"))
    assert alerts.enqueue_new(settings, now=at("2026-01-08")) == 1  # a new price: news
    assert alerts.deliver_pending(settings) == (2, 0)
    assert [json.loads(body)["new_price"] for body, _ in receiver.received] == ["11", "10.5"]


# How pricewatch before migration 16 named new_cheapest alerts: by when the price began.
TIME_NAMED_CHEAPEST = """
UPDATE alert_outbox SET alert_id = named.old_id,
    payload = replace(payload, alert_outbox.alert_id, named.old_id)
FROM (SELECT alert_id, channel, md5(concat_ws('|', kind, provider,
          json_extract_string(payload, '$.model'), json_extract_string(payload, '$.route'),
          json_extract_string(payload, '$.component'),
          CAST(epoch_us(detected_at) AS VARCHAR))) AS old_id
      FROM alert_outbox WHERE kind = 'new_cheapest') AS named
WHERE alert_outbox.alert_id = named.alert_id AND alert_outbox.channel = named.channel"""


def test_an_upgraded_outbox_sends_no_current_winner_again(db_target, receiver,
                                                         monkeypatch) -> None:
    """Migration 16 gives the outbox's new_cheapest rows, queued under ids made of a time,
    the ids of the state they announced: without it every current winner was sent once
    more after the upgrade. A state queued twice under two old ids (the repeats the old
    ids caused) keeps one row under the new id; the other stays as sent."""
    settings = _n_cheapest_since_the_6th(db_target, receiver, monkeypatch)
    assert alerts.deliver_pending(settings) == (1, 0)
    ingest(settings, "2026-01-08", *offered("m", "20"), *offered("n", "10.5"))
    assert alerts.enqueue_new(settings, now=at("2026-01-08")) == 1  # not sent yet
    with open_warehouse(settings) as con:
        con.execute(TIME_NAMED_CHEAPEST)
        con.execute("INSERT INTO alert_outbox SELECT * REPLACE ('repeat' AS alert_id) "
                    "FROM alert_outbox WHERE status = 'delivered'")
        con.execute("DELETE FROM schema_migrations WHERE version = 16")
    ingest(settings, "2026-01-09", *offered("m", "20"), *offered("n", "10.5"))  # migrates
    state = "new_cheapest|openrouter|n||text|per_1m_tokens|"
    with open_warehouse(settings, read_only=True) as con:
        rows = con.execute(
            "SELECT alert_id, status, json_extract_string(payload, '$.alert_id') "
            "FROM alert_outbox ORDER BY json_extract_string(payload, '$.new_price') DESC, "
            "alert_id = 'repeat'").fetchall()
        (current,), = con.execute(
            "SELECT alert_id FROM price_alerts WHERE kind = 'new_cheapest'").fetchall()
    sent_id = hashlib.md5((state + "11").encode()).hexdigest()
    assert current == hashlib.md5((state + "10.5").encode()).hexdigest()
    assert [(i, s) for i, s, _ in rows] == [
        (sent_id, "delivered"), ("repeat", "delivered"), (current, "pending")]
    assert rows[2][2] == current  # the body of a row not sent yet names its new id
    assert alerts.enqueue_new(settings, now=at("2026-01-09")) == 0
    assert alerts.deliver_pending(settings) == (1, 0)
    assert [json.loads(body)["alert_id"] for body, _ in receiver.received][1] == current


def _march_run(settings, day: str, price: str, *models: str) -> None:
    """A run on 2026-03-DAY: a/one's input at `price` and an offer of each of `models`."""
    from pricewatch.records import parse_timestamp

    offers = [json.dumps({"kind": "offer", "provider": "openrouter", "model": model})
              for model in models]
    pipeline.ingest_body(settings, "records", jsonl(price_line("a/one", price), *offers),
                         parse_timestamp(f"2026-03-{day}T00:00:00Z"), f"file:{day}")


def test_a_late_run_moves_a_change_but_not_its_alert_id(settings) -> None:
    """Issue 29, item 3: a run ingested between two stored ones moved each change earlier
    and gave it a new alert_id, so receivers got it twice (8 changes, 16 posts)."""
    def ingest(day: str, price: str, *models: str) -> None:
        _march_run(settings, day, price, *models)

    ingest("01", "1", "a/one", "a/gone")
    ingest("02", "1", "a/one", "a/gone")
    ingest("04", "2", "a/one", "a/new")
    query = ("SELECT kind, alert_id, detected_at FROM price_alerts WHERE kind IN "
             "('price_rise', 'new_offer', 'offer_unlisted') ORDER BY kind")
    with open_warehouse(settings, read_only=True) as con:
        before = con.execute(query).fetchall()
    ingest("03", "2", "a/one", "a/new")  # late: between 02 and 04
    with open_warehouse(settings, read_only=True) as con:
        after = con.execute(query).fetchall()
    assert [k for k, _, _ in before] == ["new_offer", "offer_unlisted", "price_rise"]
    assert [(k, i) for k, i, _ in after] == [(k, i) for k, i, _ in before]
    assert {t.day for _, _, t in before} == {4} and {t.day for _, _, t in after} == {3}


def test_a_late_run_that_moves_the_change_before_leaves_the_next_ones_id(settings) -> None:
    """The CI run of 2026-12-05: a late run moved the start of 0.048's interval, so the
    0.048 -> 0.0384 alert (whose id was made of that start) was sent twice. An id is made
    of which interval of its key a change starts and the values either side, so neither
    the change a late run moves nor the one after it gets a new id."""
    def ingest(day: str, price: str, *models: str) -> None:
        _march_run(settings, day, price, *models)

    ingest("01", "1", "a/one", "a/back")
    ingest("04", "2", "a/one")             # a/back unlisted
    ingest("06", "3", "a/one", "a/back")   # a/back listed again
    query = ("SELECT kind, new_price::VARCHAR, alert_id, detected_at FROM price_alerts "
             "WHERE kind IN ('price_rise', 'new_offer', 'offer_unlisted') ORDER BY kind, 2")
    with open_warehouse(settings, read_only=True) as con:
        before = con.execute(query).fetchall()
    ingest("02", "2", "a/one")             # late: both a/back's unlisting and 1 -> 2 move
    ingest("05", "2", "a/one", "a/back")   # late: the relisting moves; 2 -> 3 does not
    with open_warehouse(settings, read_only=True) as con:
        after = con.execute(query).fetchall()
        numbers = con.execute("SELECT kind, interval_no, old_valid_from::DATE::VARCHAR FROM "
                              "offer_changes WHERE model = 'a/back' ORDER BY changed_at"
                              ).fetchall()
        # a window counts the intervals before it as the whole history does
        price_numbers = [con.execute(
            "SELECT changed_at::DATE::VARCHAR, interval_no FROM price_changes_since(?) "
            "WHERE model = 'a/one' ORDER BY changed_at", [since]).fetchall()
            for since in ("-infinity", "2026-03-03", "2026-03-06")]
    assert [(k, p) for k, p, _, _ in before] == [
        ("new_offer", None), ("offer_unlisted", None),
        ("price_rise", "2.000000000000000000"), ("price_rise", "3.000000000000000000")]
    assert [(k, p, i) for k, p, i, _ in after] == [(k, p, i) for k, p, i, _ in before]
    assert [t.day for *_, t in before] == [6, 4, 4, 6]
    assert [t.day for *_, t in after] == [5, 2, 2, 6]
    assert numbers == [("listed", 1, None), ("unlisted", 1, "2026-03-01"),
                       ("listed", 2, "2026-03-01")]
    assert price_numbers == [[("2026-03-01", 1), ("2026-03-02", 2), ("2026-03-06", 3)],
                             [("2026-03-06", 3)], [("2026-03-06", 3)]]


def test_a_failed_staging_leaves_no_scratch_database_attached_or_on_disk(tmp_path) -> None:
    from pricewatch.queries import exports as export_sql

    con = duckdb.connect()
    con.execute("CREATE TABLE changes AS SELECT TIMESTAMPTZ '2026-01-05 00:00:00+00' "
                "AS changed_at, 1 AS n UNION ALL SELECT TIMESTAMPTZ '2026-02-05 00:00:00+00', 2")
    path = tmp_path / ".stage.1.duckdb"
    with pytest.raises(duckdb.Error), export_sql.staged(con, "no_such_view", "changed_at", path):
        pass
    assert not path.exists()
    assert export_sql.STAGE not in {row[0] for row in con.execute(
        "SELECT database_name FROM duckdb_databases()").fetchall()}
    with export_sql.staged(con, "changes", "changed_at", path) as table:  # the name is free again
        assert con.execute(f"SELECT n FROM {table}").fetchall() == [(1,), (2,)]
    assert not path.exists()
