"""`pricewatch run` as a user runs it: a subprocess with second-level intervals against a local
provider, a local webhook receiver, a reader process in parallel, and SIGTERM at the end."""

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
from pathlib import Path

import pytest

from helpers import fake_provider as fp
from helpers import history_violations, wait_for, write_config
from helpers.captures import DROPPED, hf_body
from pricewatch.warehouse.db import open_db

SECRET = "whsec-test-0123456789"


READER = textwrap.dedent("""
    import sys, time, glob
    import duckdb
    from pricewatch.warehouse.db import open_db
    db, exports, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    deadline, queries, files = time.monotonic() + seconds, 0, 0
    while time.monotonic() < deadline:
        with open_db(db, read_only=True, lock_timeout_s=30) as con:
            con.execute("SELECT count(*) FROM price_history").fetchall()
            con.execute("SELECT count(*) FROM runs").fetchall()
        for path in glob.glob(exports + "/*.parquet"):
            duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()
            files += 1
        queries += 1
        time.sleep(0.1)
    print(queries, files)
""")


def runs(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    with open_db(db, read_only=True, lock_timeout_s=30) as con:
        return con.execute("SELECT run_id, status FROM runs ORDER BY run_id").fetchall()


@pytest.fixture
def setup(tmp_path: Path):
    provider = fp.FakeProvider()
    provider.serve("/hf/v1/models", hf_body())
    receiver = fp.WebhookReceiver()
    config = write_config(tmp_path, f"""
[nscale]
api_base = "{provider.url('/v1')}"
hf_router_url = "{provider.url('/hf/v1/models')}"
limits_page_url = "{provider.url('/docs/rate-limits')}"
allowed_hosts = ["127.0.0.1"]
[daemon]
schedule = {{ "nscale.hf-router" = 1 }}
jitter_s = 0
heartbeat_file = "{tmp_path / 'heartbeat.json'}"
export_dir = "{tmp_path / 'exports'}"
report_path = "{tmp_path / 'site' / 'index.html'}"
alert_retry_base_s = 0.5
log_format = "json"
[[channels]]
name = "hook"
webhook_url = "{receiver.url}"
webhook_secret_env = "PW_TEST_WEBHOOK_SECRET"
kinds = ["price_drop"]
""")
    yield tmp_path, config, provider, receiver
    provider.close()
    receiver.close()


@pytest.mark.slow
def test_daemon_end_to_end(setup) -> None:
    tmp_path, config, provider, receiver = setup
    db = tmp_path / "pw.duckdb"
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PW_TEST_WEBHOOK_SECRET=SECRET)
    log = (tmp_path / "daemon.log").open("w")  # a pipe nobody reads would fill and block
    daemon = subprocess.Popen(
        [sys.executable, "-m", "pricewatch", "run", "--now", "nscale.hf-router",
         "--config", str(config)], cwd=root, env=env, stdout=log, stderr=log, text=True)
    reader = None
    try:
        wait_for(lambda: len(runs(db)) >= 3, 30, "three runs")
        assert [s for _, s in runs(db)][:3] == ["ok", "unchanged", "unchanged"]
        assert receiver.received == []  # nothing changed, nothing sent
        page = tmp_path / "site" / "index.html"
        wait_for(page.exists, 20, "the report")
        assert "0.06" in page.read_text() and "0.048" not in page.read_text()
        (tmp_path / "exports").mkdir(exist_ok=True)
        reader = subprocess.Popen([sys.executable, "-c", READER, str(db),
                                   str(tmp_path / "exports"), "30"], cwd=root,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # A 20% drop: 0.06 -> 0.048 per 1M input tokens.
        provider.serve("/hf/v1/models", hf_body("0.048"))
        wait_for(lambda: len(receiver.received) >= 1, 20, "the price-drop alert")
        count = len(runs(db))
        wait_for(lambda: len(runs(db)) >= count + 3, 20, "three more runs")
        assert len(receiver.received) == 1  # exactly once, and not for unchanged runs
        body, headers = receiver.received[0]
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Pricewatch-Signature"], expected)
        alert = json.loads(body)
        assert (alert["kind"], alert["model"], alert["old_price"], alert["new_price"],
                alert["change_pct"]) == ("price_drop", DROPPED, "0.06", "0.048", "-20")
        assert alert["source_url"].endswith("/hf/v1/models")
        wait_for(lambda: "0.06 → 0.048" in page.read_text(), 20, "the report rewritten")
        # Receiver down: the next drop stays pending, then arrives when it is back.
        receiver.up = False
        provider.serve("/hf/v1/models", hf_body("0.0384"))
        wait_for(lambda: _pending(db) == 1, 20, "a pending alert")
        receiver.up = True
        wait_for(lambda: len(receiver.received) == 2, 20, "the retried alert")
        assert json.loads(receiver.received[1][0])["new_price"] == "0.0384"
        # the delivery is recorded after the receiver answered: wait for the record
        wait_for(lambda: _pending(db) == 0, 20, "the delivery recorded")
        reader_out, reader_err = reader.communicate(timeout=60)
        assert reader.returncode == 0, reader_err
        queries_done, files_read = map(int, reader_out.split())
        assert queries_done > 100 and files_read > 0
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0, (tmp_path / "daemon.log").read_text()[-2000:]
        assert time.monotonic() - started < 10
    finally:
        log.close()
        for process in (daemon, reader):
            if process is not None and process.poll() is None:
                process.kill()
    _check_invariants(db)
    # log_format = "json": every line an object, with the events' fields
    lines = [json.loads(line) for line in (tmp_path / "daemon.log").read_text().splitlines()]
    events = [line.get("event") for line in lines]
    assert events[0] == "start" and events[-1] == "stop"
    assert lines[0]["schedule"] == {"nscale.hf-router": 1}
    run_lines = [line for line in lines if line.get("event") == "run"]
    # one line per run; a run that met the lock also says it was spooled
    assert len([line for line in run_lines if line["status"] != "spooled"]) == len(runs(db))
    assert {line["status"] for line in run_lines} >= {"ok", "unchanged"}
    assert all(line["source"] == "nscale.hf-router" and line["seconds"] >= 0
               for line in run_lines)
    sent = [line for line in lines if line.get("event") == "alerts"]
    assert sum(line["delivered"] for line in sent) == 2
    heartbeat = json.loads((tmp_path / "heartbeat.json").read_text())
    assert heartbeat["stopping"] is True
    assert heartbeat["jobs"]["nscale.hf-router"]["consecutive_failures"] == 0
    # the report was rewritten after runs that changed a price, never after unchanged ones
    reports = [line for line in lines if line.get("event") == "report"]
    with open_db(db, read_only=True, lock_timeout_s=30) as con:
        changed = con.execute("SELECT count(*) FROM runs WHERE intervals_opened + "
                              "intervals_closed > 0").fetchone()[0]
    assert 3 <= changed < len(runs(db)) and 2 <= len(reports) <= changed
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["index.html"]
    manifest = json.loads((tmp_path / "exports" / "manifest.json").read_text())
    assert manifest["row_counts"]["price_history"] >= 34


def _pending(db: Path) -> int:
    with open_db(db, read_only=True, lock_timeout_s=30) as con:
        return con.execute("SELECT count(*) FROM alert_outbox WHERE status = 'pending'"
                           ).fetchall()[0][0]


def _check_invariants(db: Path) -> None:
    with open_db(db, read_only=True) as con:
        assert history_violations(con) == []
