"""`pricewatch run` when jobs meet: two sources finishing together (each alert delivered once),
a reader holding the file (fetching goes on, nothing is lost), and a first `run --now` on an
empty database (the endpoint sweep runs after the catalogue it needs)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from helpers import fake_provider as fp
from helpers import fixture_path, history_violations, wait_for, write_config
from helpers.captures import API, CHOSEN, load
from pricewatch.warehouse.db import open_db

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
SECRET = "whsec-test-0123456789"
HF = "hf-router-models-2026-06-19.json"
MODELS_PATH, HF_PATH = f"{API}/models", "/hf/v1/models"


BUNDLE = {item["modelId"]: item["response"]
          for item in load("endpoints-bundle-356-models-2026-05-18.json")["data"]}
SERVED = [model for model in CHOSEN if model in BUNDLE]  # each with its endpoints


def catalogue(factor: Decimal = Decimal(1)) -> bytes:
    """The served OpenRouter models, every prompt price times `factor`."""
    models = [m for m in load("models-2026-05-07.json")["data"] if m["id"] in SERVED]
    for model in models:
        price = Decimal(model["pricing"]["prompt"])
        if price > 0:
            model["pricing"]["prompt"] = str(price * factor)
    return json.dumps({"data": models}).encode()


def hf_router(factor: Decimal = Decimal(1)) -> bytes:
    """The HF router listing, every nscale input price times `factor`."""
    data = json.loads(fixture_path("nscale", HF).read_text())
    for model in data["data"]:
        for offer in model["providers"]:
            if offer["provider"] == "nscale" and offer.get("pricing", {}).get("input"):
                offer["pricing"]["input"] = float(Decimal(str(offer["pricing"]["input"]))
                                                  * factor)
    return json.dumps(data).encode()


class Daemon:
    """`pricewatch run` in a subprocess, its output in a file (a pipe nobody reads blocks)."""

    def __init__(self, tmp_path: Path, config: Path, *args: str) -> None:
        self.log_path = tmp_path / "daemon.log"
        self.log = self.log_path.open("w")
        env = dict(os.environ, PW_TEST_WEBHOOK_SECRET=SECRET)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pricewatch", "run", *args, "--config", str(config)],
            cwd=ROOT, env=env, stdout=self.log, stderr=self.log, text=True)

    def stop(self) -> str:
        """SIGTERM; returns the daemon's output (an early exit fails the test with it)."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.log.close()
        text = self.log_path.read_text()
        assert code == 0, text[-3000:]
        return text

    def kill(self) -> None:
        """End it if a test failed midway, and show what it said (pytest prints it)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            print(self.log_path.read_text()[-5000:])
        self.log.close()


def wait_first_runs(daemon: Daemon, db: Path, sources: int = 2) -> None:
    def done() -> bool:
        assert daemon.process.poll() is None, daemon.log_path.read_text()[-3000:]
        return len(query(db, "SELECT DISTINCT source FROM runs WHERE status = 'ok'")) == sources
    wait_for(done, 30, "a first run of every source")


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    if not db.exists():
        return []
    with open_db(db, read_only=True, lock_timeout_s=30) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def provider():
    fake = fp.FakeProvider()
    fake.serve(MODELS_PATH, catalogue())
    for model in SERVED:
        fake.serve(f"{API}/models/{model}/endpoints", json.dumps(BUNDLE[model]).encode())
    fake.serve(f"{API}/providers", fixture_path("openrouter", "providers-2026-05-07.json")
               .read_bytes())
    fake.serve(HF_PATH, hf_router())
    yield fake
    fake.close()


@pytest.fixture
def receiver():
    hook = fp.WebhookReceiver()
    yield hook
    hook.close()


def daemon_config(tmp_path: Path, provider: fp.FakeProvider, receiver: fp.WebhookReceiver,
                  schedule: str, retry_base_s: float = 0.5) -> Path:
    return write_config(tmp_path, f"""
[openrouter]
api_base = "{provider.url(API)}"
limits_page_url = "{provider.url('/docs/limits')}"
allowed_hosts = ["127.0.0.1"]
[nscale]
api_base = "{provider.url('/v1')}"
hf_router_url = "{provider.url(HF_PATH)}"
limits_page_url = "{provider.url('/docs/rate-limits')}"
allowed_hosts = ["127.0.0.1"]
[daemon]
schedule = {{ {schedule} }}
jitter_s = 0
heartbeat_file = "{tmp_path / 'heartbeat.json'}"
alert_retry_base_s = {retry_base_s}
[[channels]]
name = "hook"
webhook_url = "{receiver.url}"
webhook_secret_env = "PW_TEST_WEBHOOK_SECRET"
kinds = ["price_drop", "price_rise"]
""", read_timeout_s=2, total_timeout_s=5)


def received_ids(receiver: fp.WebhookReceiver) -> list[str]:
    return [json.loads(body)["alert_id"] for body, _ in receiver.received]


def outbox(db: Path) -> list[tuple]:
    return query(db, "SELECT alert_id, status, attempts FROM alert_outbox ORDER BY alert_id")


def settled(db: Path) -> bool:
    rows = outbox(db)
    return bool(rows) and all(status == "delivered" for _, status, _ in rows)


def swap_prices(provider: fp.FakeProvider, db: Path, factor: Decimal) -> None:
    """New prices at both sources; returns once both have a run that saw them."""
    (last,) = query(db, "SELECT max(run_id) FROM runs")[0]
    provider.serve(MODELS_PATH, catalogue(factor))
    provider.serve(HF_PATH, hf_router(factor))
    wait_for(lambda: query(db, "SELECT count(DISTINCT source) FROM runs WHERE status = 'ok' "
                               "AND run_id > ?", [last])[0][0] == 2,
             30, f"both sources to see prices x{factor}")


def check_signed_once(receiver: fp.WebhookReceiver, db: Path) -> Counter:
    ids = Counter(received_ids(receiver))
    assert ids and max(ids.values()) == 1, [i for i, n in ids.items() if n > 1][:5]
    rows = outbox(db)
    assert {alert_id for alert_id, _, _ in rows} == set(ids)
    assert all(status == "delivered" for _, status, _ in rows)
    for body, headers in receiver.received:
        alert_id = json.loads(body)["alert_id"]
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Pricewatch-Signature"], expected)
        assert headers["Idempotency-Key"] == headers["X-Pricewatch-Alert-Id"] == alert_id
        assert headers["User-Agent"].startswith("pricewatch/")
    # what `status` reports per channel is what the receiver got
    (counts,) = query(db, (ROOT / "queries" / "commands" / "alert_channels.sql").read_text())
    assert counts[:4] == ("hook", len(ids), 0, 0)
    return ids


def test_two_jobs_finishing_together_send_each_alert_once(tmp_path, provider, receiver) -> None:
    config = daemon_config(tmp_path, provider, receiver,
                           '"openrouter.models" = 2, "nscale.hf-router" = 2')
    db = tmp_path / "pw.duckdb"
    daemon = Daemon(tmp_path, config, "--now", "openrouter.models", "nscale.hf-router")
    try:
        wait_first_runs(daemon, db)
        passes = []
        for factor in ("0.9", "0.8", "1.1"):  # drops, then a rise: three alert passes
            swap_prices(provider, db, Decimal(factor))
            wait_for(lambda: settled(db) and len(outbox(db)) > sum(passes), 30,
                     f"the alerts of prices x{factor} delivered")
            passes.append(len(outbox(db)) - sum(passes))
        time.sleep(2.5)  # more runs of both, nothing new: nothing is sent again
        output = daemon.stop()
    finally:
        daemon.kill()
    ids = check_signed_once(receiver, db)
    print(f"\ntwo jobs together: {len(passes)} passes of {passes} alerts, {len(ids)} alert "
          f"ids, {len(receiver.received)} posts")
    assert all(n > 0 for n in passes) and len(ids) == sum(passes)
    kinds = Counter(json.loads(body)["kind"] for body, _ in receiver.received)
    assert kinds["price_drop"] > 0 and kinds["price_rise"] > 0
    assert {attempts for _, _, attempts in outbox(db)} == {1}
    assert "maximum number of running instances" not in output
    with open_db(db, read_only=True) as con:
        assert history_violations(con) == []


def test_alerts_wait_for_a_receiver_that_is_down_then_arrive_once(tmp_path, provider,
                                                                  receiver) -> None:
    config = daemon_config(tmp_path, provider, receiver,
                           '"openrouter.models" = 1, "nscale.hf-router" = 1', retry_base_s=0.2)
    db = tmp_path / "pw.duckdb"
    daemon = Daemon(tmp_path, config, "--now", "openrouter.models", "nscale.hf-router")
    try:
        wait_first_runs(daemon, db)
        receiver.up = False
        swap_prices(provider, db, Decimal("0.5"))
        wait_for(lambda: outbox(db) and min(a for _, _, a in outbox(db)) >= 2, 30,
                 "every alert tried twice against the receiver that is down")
        assert receiver.received == []
        assert {status for _, status, _ in outbox(db)} <= {"pending", "sending"}
        receiver.up = True
        wait_for(lambda: settled(db), 30, "the alerts delivered once the receiver is up")
        time.sleep(2)
        daemon.stop()
    finally:
        daemon.kill()
    ids = check_signed_once(receiver, db)
    print(f"\nreceiver down then up: {len(ids)} alert ids, {len(receiver.received)} posts")
    assert len(ids) == len(outbox(db)) > 0


HOLDER = textwrap.dedent("""
    import sys, time
    import duckdb
    while True:  # a dashboard's persistent connection, opened between two of the daemon's writes
        try:
            con = duckdb.connect(sys.argv[1], read_only=True)
            break
        except duckdb.IOException:
            time.sleep(0.01)
    con.execute("SELECT count(*) FROM runs").fetchall()
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.close()
    print("released", flush=True)
""")


def test_a_reader_holding_the_file_stalls_no_fetch_and_loses_no_run(tmp_path, provider,
                                                                    receiver) -> None:
    hold_s, interval_s = 10.0, 2
    config = daemon_config(tmp_path, provider, receiver,
                           f'"openrouter.models" = {interval_s}, '
                           f'"nscale.hf-router" = {interval_s}')
    db, spool = tmp_path / "pw.duckdb", tmp_path / "pw.duckdb.spool"
    daemon = Daemon(tmp_path, config, "--now", "openrouter.models", "nscale.hf-router")
    holder = None
    try:
        wait_first_runs(daemon, db)
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(hold_s)],
                                  stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        before = {path: provider.hits(path) for path in (MODELS_PATH, HF_PATH)}
        spooled: dict[str, str] = {}
        while holder.poll() is None:  # note every run spooled during the hold
            for meta in spool.glob("*/run.json"):
                with_meta = json.loads(meta.read_text())
                spooled[meta.parent.name] = with_meta["observed_at"]
            time.sleep(0.1)
        held = time.monotonic() - started
        during = {path: provider.hits(path) - before[path] for path in before}
        wait_for(lambda: not any(spool.glob("*/run.json")), 30, "the spool drained")
        output = daemon.stop()
    finally:
        daemon.kill()
        if holder is not None and holder.poll() is None:
            holder.kill()
    print(f"\nreader held the file {held:.1f} s: fetches during the hold {during}, "
          f"{len(spooled)} runs spooled, all landed at their observation times")
    assert held >= hold_s - 0.5
    # each source fetched on schedule while the file was held: one every interval
    for path, hits in during.items():
        assert hits >= hold_s / interval_s - 2, (path, hits, during)
    assert len(spooled) >= 2 * (hold_s / interval_s - 2)
    assert "maximum number of running instances" not in output  # no run skipped meanwhile
    landed = {row[0] for row in query(db, "SELECT observed_at FROM runs")}
    missing = [name for name, at in spooled.items() if datetime.fromisoformat(at) not in landed]
    assert missing == []  # every spooled run is in `runs`, at its own observation time
    with open_db(db, read_only=True) as con:
        assert history_violations(con) == []


def test_first_run_now_on_an_empty_database_fills_every_source(tmp_path, provider,
                                                               receiver) -> None:
    config = daemon_config(tmp_path, provider, receiver, "")
    db = tmp_path / "pw.duckdb"
    daemon = Daemon(tmp_path, config, "--now", "openrouter.models", "openrouter.providers",
                    "openrouter.endpoints")
    try:
        started = time.monotonic()
        wait_for(lambda: query(db, "SELECT count(*) FROM runs WHERE source = "
                                   "'openrouter.endpoints' AND status = 'ok'") == [(1,)],
                 60, "an endpoint sweep within the first minute")
        print(f"\nfirst endpoint sweep {time.monotonic() - started:.1f} s after start")
        status = subprocess.run([sys.executable, "-m", "pricewatch", "status", "--json",
                                 "--config", str(config)], cwd=ROOT, capture_output=True,
                                text=True, check=True)
        output = daemon.stop()
    finally:
        daemon.kill()
    rows = {row["source"]: row for row in json.loads(status.stdout)}
    assert set(rows) == {"openrouter.models", "openrouter.providers", "openrouter.endpoints"}
    assert all(row["last_status"] == "ok" and row["next_run_at"] for row in rows.values())
    (models_at,), (endpoints_at,) = query(
        db, "SELECT observed_at FROM runs WHERE source IN ('openrouter.models', "
            "'openrouter.endpoints') ORDER BY source DESC")
    assert endpoints_at > models_at  # after the catalogue it sweeps
    assert query(db, "SELECT count(*) FROM runs")[0][0] == 3  # no skipped run on the way
    # the default output: a start line, one line per run, a stop line; no library noise
    # (a wait for the file, said once, is the only other line: the test polls the file)
    lines = output.splitlines()
    assert "daemon started: 3 sources (openrouter.models every 1 h, openrouter.endpoints " \
           "every 6 h, openrouter.providers every 1 d)" in lines[0]
    assert f"database {db}" in lines[0] and "alert channels: hook (webhook)" in lines[0]
    assert lines[-1].endswith("INFO pricewatch.daemon: daemon stopped")
    runs_logged = [line.split("pricewatch.run: ")[1] for line in lines
                   if "pricewatch.run: " in line]
    # a run that met the test's own reads says `spooled`, then lands from the spool
    spooled = [line for line in runs_logged if line.split(":")[0].endswith(" spooled")]
    landed = sorted(line.split(":")[0] for line in runs_logged if line not in spooled)
    assert landed == ["openrouter.endpoints ok", "openrouter.models ok",
                      "openrouter.providers ok"]
    assert len(spooled) == len([line for line in runs_logged
                                if "from the spool, observed at" in line])
    others = {line.split(": ", 1)[1] for line in lines[1:-1] if "pricewatch.run: " not in line}
    assert others <= {"alerts and exports wait for the database file"}, others
    assert "apscheduler" not in output and "ERROR" not in output
