"""SCD2 history: properties over random snapshot sequences, including out-of-order backfill."""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from helpers import day, jsonl, price_line
from pricewatch.pipeline import backfill
from pricewatch.pipeline import run as pipeline
from pricewatch.settings import load_settings
from pricewatch.warehouse import history, ingest
from pricewatch.warehouse.db import open_db, open_warehouse
from pricewatch.warehouse.ingest import IngestError

MODELS = ("m0", "m1", "m2", "m3")
COMPONENTS = ("input", "output")
PRICES = ("0.1", "0.2", "0.3")

Snapshot = dict[tuple[str, str], str]

snapshots = st.dictionaries(
    st.tuples(st.sampled_from(MODELS), st.sampled_from(COMPONENTS)),
    st.sampled_from(PRICES), min_size=1, max_size=8)


def body_of(snapshot: Snapshot) -> bytes:
    return jsonl(*(price_line(m, p, c) for (m, c), p in sorted(snapshot.items())))


def expected_intervals(timeline: list[tuple[datetime, Snapshot]]) -> set[tuple]:
    """Reference model: run-length encoding of each key's values over the sorted snapshots."""
    timeline = sorted(timeline)
    keys = {key for _, snap in timeline for key in snap}
    found = set()
    for key in keys:
        start, value = None, None
        for when, snap in timeline:
            current = snap.get(key)
            if current != value:
                if value is not None:
                    found.add((*key, Decimal(value), start, when))
                start, value = when, current
        if value is not None:
            found.add((*key, Decimal(value), start, None))
    return found


def stored_intervals(db: Path) -> set[tuple]:
    with open_db(db, read_only=True) as con:
        rows = con.execute("SELECT model, component, price, valid_from, valid_to "
                           "FROM price_history").fetchall()
    return {(m, c, p.normalize(), f, t) for m, c, p, f, t in rows} if rows else set()


def normalised(intervals: set[tuple]) -> set[tuple]:
    return {(m, c, p.normalize(), f, t) for m, c, p, f, t in intervals}


@pytest.mark.slow
@given(data=st.data())
def test_random_histories_with_backfill_match_the_reference(tmp_path_factory, data) -> None:
    count = data.draw(st.integers(min_value=1, max_value=7), label="snapshots")
    days = data.draw(st.lists(st.integers(0, 60), min_size=count, max_size=count, unique=True),
                     label="days")
    snaps = data.draw(st.lists(snapshots, min_size=count, max_size=count), label="values")
    timeline = [(day(d), s) for d, s in zip(days, snaps, strict=True)]
    order = data.draw(st.permutations(range(count)), label="ingest order")
    db = tmp_path_factory.mktemp("h") / "h.duckdb"
    cfg = load_settings(db_path=db, suspect_ratio=1e-9)
    for index in order:
        when, snap = timeline[index]
        pipeline.ingest_body(cfg, "records", body_of(snap), when, f"test:{index}")
    stored = stored_intervals(db)
    assert stored == normalised(expected_intervals(timeline))
    # No overlap and one open interval per key present in the latest snapshot.
    latest = max(timeline)[1]
    open_keys = [(m, c) for m, c, _, _, to in stored if to is None]
    assert sorted(open_keys) == sorted(latest)
    # Re-ingesting every body at its time changes nothing.
    with open_db(db, read_only=True) as con:
        runs_before = con.execute("SELECT count(*) FROM runs").fetchone()
    for index in order:
        when, snap = timeline[index]
        outcome = pipeline.ingest_body(cfg, "records", body_of(snap), when, f"again:{index}")
        assert outcome.status == "duplicate"
    assert stored_intervals(db) == stored
    with open_db(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == runs_before
        assert con.execute("SELECT count(*) FROM fetch_log").fetchone() == runs_before


def test_in_order_changes_open_and_close_exact_intervals(settings) -> None:
    pipeline.ingest_body(settings, "records", jsonl(price_line("a", "1"), price_line("b", "2")),
                         day(0), "t:0")
    outcome = pipeline.ingest_body(settings, "records",
                                   jsonl(price_line("a", "1.5"), price_line("b", "2")),
                                   day(1), "t:1")
    assert (outcome.status, outcome.opened, outcome.closed) == ("ok", 1, 1)
    outcome = pipeline.ingest_body(settings, "records", jsonl(price_line("b", "2.0")),
                                   day(2), "t:2")
    assert (outcome.status, outcome.opened, outcome.closed) == ("ok", 0, 1)
    assert stored_intervals(settings.db_path) == {
        ("a", "input", Decimal(1), day(0), day(1)),
        ("a", "input", Decimal("1.5"), day(1), day(2)),
        ("b", "input", Decimal(2), day(0), None),
    }


def test_same_body_later_is_an_unchanged_run(settings) -> None:
    body = jsonl(price_line("a", "1"))
    pipeline.ingest_body(settings, "records", body, day(0), "t:0")
    outcome = pipeline.ingest_body(settings, "records", body, day(1), "t:1")
    assert outcome.status == "unchanged"
    assert outcome.changes == 0


def test_two_snapshots_at_one_time_with_different_content_are_refused(settings) -> None:
    pipeline.ingest_body(settings, "records", jsonl(price_line("a", "1")), day(0), "t:0")
    with pytest.raises(IngestError, match="different content"):
        pipeline.ingest_body(settings, "records", jsonl(price_line("a", "2")), day(0), "t:1")


def test_conflicting_values_for_one_key_reject_the_run(settings) -> None:
    body = jsonl(price_line("a", "1"), price_line("a", "2"))
    with pytest.raises(IngestError, match="two different"):
        pipeline.ingest_body(settings, "records", body, day(0), "t:0")
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_far_fewer_records_is_suspect_and_closes_nothing(settings) -> None:
    full = jsonl(*(price_line(f"m{i}", "1") for i in range(10)))
    pipeline.ingest_body(settings, "records", full, day(0), "t:0")
    outcome = pipeline.ingest_body(settings, "records", jsonl(price_line("m0", "1")), day(1),
                                   "t:1")
    assert outcome.status == "suspect"
    assert "far fewer" in outcome.message
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM price_history WHERE valid_to IS NULL"
                           ).fetchone() == (10,)


def test_partial_scope_only_closes_the_models_it_fetched(settings) -> None:
    from pricewatch.records import ParseResult, parse_jsonl
    from pricewatch.warehouse.ingest import record_run

    with open_warehouse(settings) as con:
        first = parse_jsonl(jsonl(price_line("a", "1"), price_line("b", "1")))
        record_run(con, source="records", parser="records", observed_at=day(0),
                   parsed=ParseResult(first))
        # A sweep that fetched only model a, which now has no prices: a closes, b stays.
        sweep = ParseResult(parse_jsonl(jsonl(price_line("c", "3"))),
                            scope_models={("openrouter", "a"), ("openrouter", "c")},
                            partial=True)
        outcome = record_run(con, source="records", parser="records", observed_at=day(1),
                             parsed=sweep)
    assert outcome.status == "partial"
    assert stored_intervals(settings.db_path) == {
        ("a", "input", Decimal(1), day(0), day(1)),
        ("b", "input", Decimal(1), day(0), None),
        ("c", "input", Decimal(3), day(1), None),
    }


def test_a_late_run_without_a_kind_of_record_ends_its_interval_closed_since(settings) -> None:
    """A run ingested late that has prices but no offer ends the offer's interval at its
    own time, though that interval was already closed by a later run (no offer open)."""
    offer = '{"kind": "offer", "provider": "openrouter", "model": "a", "context_length": 8192}'
    for n, body in ((0, jsonl(price_line("a", "1"), offer)), (10, jsonl(price_line("a", "1"))),
                    (5, jsonl(price_line("a", "1"))), (3, jsonl(price_line("a", "1"), offer))):
        outcome = pipeline.ingest_body(settings, "records", body, day(n), f"t:{n}")
        assert outcome.status in ("ok", "unchanged"), outcome
    with open_warehouse(settings, read_only=True) as con:
        offers = con.execute("SELECT valid_from, valid_to FROM offer_history "
                             "ORDER BY valid_from").fetchall()
        prices = con.execute("SELECT valid_from, valid_to FROM price_history").fetchall()
    assert offers == [(day(0), day(5))]
    assert prices == [(day(0), None)]


def test_a_run_asks_only_the_tables_its_source_wrote(settings, monkeypatch) -> None:
    """A run with no records for a table asks it for the source's intervals only if one of
    the source's runs wrote it (runs.history_tables; each ask is catalog queries on a
    lake); a run that does not say (another writer) makes the next one ask every table."""
    asked: list[list[str]] = []
    covering = ingest._tables_covering
    monkeypatch.setattr(ingest, "_tables_covering",
                        lambda con, tables, at: asked.append(list(tables)) or
                        covering(con, tables, at))
    offer = '{"kind": "offer", "provider": "openrouter", "model": "a", "context_length": 8192}'
    for n, body in ((0, jsonl(price_line("a", "1"))), (1, jsonl(price_line("a", "1"), offer)),
                    (2, jsonl(price_line("a", "2"))), (3, jsonl(price_line("a", "2")))):
        pipeline.ingest_body(settings, "records", body, day(n), f"t:{n}")
    assert asked == [[], [], ["offer_history"]]  # the last run is `unchanged`: no write
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("SELECT status, history_tables FROM runs ORDER BY observed_at"
                           ).fetchall() == [("ok", ["price_history"]),
                                            ("ok", ["offer_history", "price_history"]),
                                            ("ok", ["price_history"]), ("unchanged", [])]
        assert con.execute("SELECT valid_from, valid_to FROM offer_history").fetchall() == \
            [(day(1), day(2))]
    with open_warehouse(settings) as con:
        con.execute("UPDATE runs SET history_tables = NULL WHERE observed_at = ?", [day(0)])
    asked.clear()
    pipeline.ingest_body(settings, "records", jsonl(price_line("a", "3")), day(4), "t:4")
    assert asked == [[spec.table for spec in history.SPECS if spec.table != "price_history"]]


def test_failure_in_the_middle_of_an_ingest_leaves_the_database_as_it_was(
        settings, monkeypatch) -> None:
    offer = '{"kind": "offer", "provider": "openrouter", "model": "a", "context_length": 8192}'
    pipeline.ingest_body(settings, "records",
                         jsonl(price_line("a", "1"), price_line("b", "1"), offer), day(0), "t:0")

    def dump() -> dict[str, list]:
        with open_warehouse(settings, read_only=True) as con:
            return {t: sorted(map(str, con.execute(f"SELECT * FROM {t}").fetchall()))
                    for t in ("runs", "fetch_log", "raw_bodies", "price_history",
                              "offer_history", "rate_limit_history", "offer_measurements",
                              "provider_directory_history")}

    before = dump()
    real = history.apply_snapshot
    calls = []

    def explode_on_second_table(con, spec, at, scope_sql):
        calls.append(spec.table)
        changes = real(con, spec, at, scope_sql)  # price_history is already changed here
        if len(calls) == 2:
            raise RuntimeError("injected failure")
        return changes

    monkeypatch.setattr("pricewatch.warehouse.ingest.apply_snapshot", explode_on_second_table)
    with open_warehouse(settings) as con, pytest.raises(RuntimeError, match="injected"):
        from pricewatch.records import ParseResult, parse_jsonl
        from pricewatch.warehouse.ingest import record_run

        record_run(con, source="records", parser="records", observed_at=day(1),
                   parsed=ParseResult(parse_jsonl(jsonl(price_line("a", "2"), offer))))
    assert calls == ["price_history", "offer_history"]
    assert dump() == before


@pytest.mark.file_only
def test_database_file_is_owner_only(settings) -> None:
    pipeline.ingest_body(settings, "records", jsonl(price_line("a", "1")), day(0), "t:0")
    assert Path(settings.db_path).stat().st_mode & 0o777 == 0o600


def test_migrations_are_recorded_and_applied_once(tmp_path) -> None:
    from pricewatch.warehouse.db import SCHEMA_VERSION

    db = tmp_path / "m.duckdb"
    for _ in range(2):
        with open_db(db) as con:
            rows = con.execute("SELECT version FROM schema_migrations").fetchall()
    assert rows == [(v,) for v in range(1, SCHEMA_VERSION + 1)]


def test_a_newer_schema_is_refused(tmp_path) -> None:
    from pricewatch.warehouse.db import WarehouseError

    db = tmp_path / "n.duckdb"
    with open_db(db) as con:
        con.execute("INSERT INTO schema_migrations VALUES (999, 'future', now())")
    with pytest.raises(WarehouseError, match="newer"), open_db(db):
        pass


def test_lock_held_past_the_wait_fails_with_a_clear_message(tmp_path) -> None:
    import subprocess
    import sys

    from pricewatch.warehouse.db import DatabaseLocked

    db = tmp_path / "l.duckdb"
    with open_db(db):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('held', flush=True); time.sleep(30)", str(db)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        with pytest.raises(DatabaseLocked, match=r"locked by another process .* 0\.5 s"), \
                open_db(db, lock_timeout_s=0.5):
            pass
        started = time.monotonic()  # the daemon's way: one attempt, no wait
        with pytest.raises(DatabaseLocked, match=r"this caller does not wait"), \
                open_db(db, lock_timeout_s=0):
            pass
        assert time.monotonic() - started < 0.5
    finally:
        holder.kill()
        holder.wait()
    with open_db(db, lock_timeout_s=5) as con:  # released: works again
        assert con.execute("SELECT 1").fetchone() == (1,)


PERIODIC_WRITER = """
import duckdb, sys, time
path, period, held = sys.argv[1], 1.0, 0.85
start = time.monotonic()
print("writing", flush=True)
while True:  # the file locked 85% of every second, on the second, like a daemon's runs
    tick = start + (time.monotonic() - start) // period * period
    with duckdb.connect(path):
        time.sleep(max(0.0, tick + held - time.monotonic()))
    time.sleep(max(0.0, tick + period - time.monotonic()))
"""


def test_a_conflicting_commit_is_tried_again_after_random_pauses_then_given_up(
        monkeypatch) -> None:
    """A DuckLake commit that conflicts runs again after a pause that doubles from 50 ms to
    2 s and stays random at the cap; after CONFLICT_ATTEMPTS conflicts in a row the write
    gives up with WriteConflict, and what it did is rolled back each time."""
    from pricewatch.warehouse import db as warehouse_db

    slept: list[float] = []
    monkeypatch.setattr(warehouse_db.time, "sleep", slept.append)
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    tries = []

    def work(conflicts: int) -> int:
        con.execute("INSERT INTO t VALUES (?)", [len(tries)])
        tries.append(1)
        if len(tries) <= conflicts:
            raise duckdb.TransactionException("Transaction conflict: another writer committed")
        return len(tries)

    before = warehouse_db.conflict_retries()
    assert warehouse_db.in_transaction(con, lambda: work(3)) == 4
    assert con.execute("SELECT x FROM t").fetchall() == [(3,)]  # the three undone
    assert warehouse_db.conflict_retries() - before == 3
    assert len(slept) == 3 and 0.025 <= slept[0] <= 0.05
    tries.clear()
    slept.clear()
    with pytest.raises(warehouse_db.WriteConflict, match="30 times in a row; gave up"):
        warehouse_db.in_transaction(con, lambda: work(10_000), "the test's write")
    assert len(tries) == warehouse_db.CONFLICT_ATTEMPTS == 30 and len(slept) == 29
    at_cap = slept[6:]
    assert all(1.0 <= s <= 2.0 for s in at_cap) and len(set(at_cap)) == len(at_cap)
    assert con.execute("SELECT count(*) FROM t").fetchall() == [(1,)]
    with pytest.raises(duckdb.CatalogException):  # not a conflict: raised at once
        warehouse_db.in_transaction(con, lambda: con.execute("SELECT * FROM missing"))


def test_a_reader_gets_in_between_the_writes_of_a_writer_on_a_fixed_period(tmp_path) -> None:
    """CI, 2026-12-07: a reader waiting out the lock retried every 1.0 s exactly (stamina's
    backoff loses its jitter at wait_max), in step with a daemon writing every second, and
    met the lock at every attempt for its whole 30 s. The pauses are random now: each
    attempt lands at another point of the writer's period."""
    import subprocess
    import sys

    db = tmp_path / "p.duckdb"
    with open_db(db):
        pass
    writer = subprocess.Popen([sys.executable, "-c", PERIODIC_WRITER, str(db)],
                              stdout=subprocess.PIPE)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == b"writing"
        for _ in range(3):  # each read finds a gap of 0.15 s in a second within 10 s
            with open_db(db, read_only=True, lock_timeout_s=10) as con:
                assert con.execute("SELECT count(*) FROM runs").fetchone() == (0,)
            time.sleep(0.3)  # past this gap: the next read waits for another
    finally:
        writer.kill()
        writer.wait()


@pytest.mark.file_only
def test_history_columns_hold_decimals_not_doubles(settings) -> None:
    pipeline.ingest_body(settings, "records", jsonl(price_line("a", "0.00000001703012")),
                         day(0), "t:0")
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        kind = con.execute("SELECT typeof(price) FROM price_history").fetchone()
        price = con.execute("SELECT price FROM price_history").fetchone()
    assert kind == ("DECIMAL(38,18)",)
    assert price == (Decimal("0.000000017030120000"),)


def _backfilled(settings, bodies: dict[int, bytes]) -> backfill.Report:
    """`bodies` (by day) backfilled in order, as `pricewatch backfill` walks a history."""
    versions = [backfill.Version(f"test:{n}", f"v{n}", day(n), body, None)
                for n, body in sorted(bodies.items())]
    return backfill.run(settings, "records", versions)


def _runs(settings) -> list[tuple]:
    with open_warehouse(settings, read_only=True) as con:
        return con.execute("SELECT observed_at, status, records, intervals_opened, "
                           "intervals_closed, history_tables FROM runs ORDER BY observed_at"
                           ).fetchall()


def test_a_backfill_batch_writes_each_run_as_if_alone(settings, monkeypatch) -> None:
    """Issue 32: versions in order are written BATCH_RUNS at a time, one SCD2 pass per table
    for all of them; each run is still judged (unchanged, suspect) and counted as alone."""
    batched = []
    real = pipeline.record_batch_rows
    monkeypatch.setattr(pipeline, "record_batch_rows",
                        lambda con, **kw: batched.append(len(kw["runs"])) or real(con, **kw))
    full = {"a": "1", "b": "2", "c": "3"}

    def body(prices: dict[str, str]) -> bytes:
        return jsonl(*(price_line(m, p) for m, p in prices.items()))

    pipeline.ingest_body(settings, "records", body(full), day(0), "t:0")
    report = _backfilled(settings, {
        1: body(full | {"b": "2.5"}),
        2: body(full | {"b": "2.5"}),     # the same content: unchanged
        3: body({"a": "1"}),              # 1 record of 3: suspect, closes nothing
        4: body({"a": "1", "b": "2"}),    # b back to 2, c gone
        6: body(full)})                   # c again
    assert batched == [5]
    assert (report.counts["ingested"], report.counts["unchanged"],
            report.counts["suspect"]) == (3, 1, 1)
    assert stored_intervals(settings.db_path) == {
        ("a", "input", Decimal(1), day(0), None),
        ("b", "input", Decimal(2), day(0), day(1)),
        ("b", "input", Decimal("2.5"), day(1), day(4)),
        ("b", "input", Decimal(2), day(4), None),
        ("c", "input", Decimal(3), day(0), day(4)),
        ("c", "input", Decimal(3), day(6), None),
    }
    assert _runs(settings)[1:] == [
        (day(1), "ok", 3, 1, 1, ["price_history"]),
        (day(2), "unchanged", 3, 0, 0, []),
        (day(3), "suspect", 1, 0, 0, []),
        (day(4), "ok", 2, 1, 2, ["price_history"]),
        (day(6), "ok", 3, 1, 0, ["price_history"])]


def test_a_batch_with_a_bad_version_is_written_one_version_at_a_time(settings) -> None:
    """Two values for one key in one version: the batch is rolled back and its versions
    written alone, so the bad one is named and fails, and the rest land."""
    report = _backfilled(settings, {
        1: jsonl(price_line("a", "1")),
        2: jsonl(price_line("a", "1"), price_line("a", "2")),
        3: jsonl(price_line("a", "3"))})
    assert (report.counts["ingested"], report.counts["failed"]) == (2, 1)
    assert report.problems[0]["observed_at"].startswith(day(2).date().isoformat())
    assert "two different" in report.problems[0]["message"]
    assert stored_intervals(settings.db_path) == {
        ("a", "input", Decimal(1), day(1), day(3)), ("a", "input", Decimal(3), day(3), None)}
    with open_warehouse(settings, read_only=True) as con:  # no run or fetch of the rollback
        assert con.execute("SELECT count(*), count(DISTINCT run_id) FROM fetch_log "
                           "WHERE run_id IS NOT NULL").fetchone() == (2, 2)


@pytest.mark.slow
@hypothesis_settings(max_examples=20)
@given(data=st.data())
def test_random_batched_backfills_equal_ingests_one_at_a_time(tmp_path_factory, data,
                                                               monkeypatch) -> None:
    """The batch writer (history.apply_batch) against the one-snapshot writer, on random
    sequences with repeats, suspect snapshots, a stored prefix and batches of 1 to 4."""
    count = data.draw(st.integers(min_value=1, max_value=8), label="snapshots")
    snaps = []
    for _ in range(count):
        again = snaps and data.draw(st.booleans(), label="same as before")
        snaps.append(snaps[-1] if again else data.draw(snapshots, label="values"))
    stored = data.draw(st.integers(min_value=0, max_value=count), label="stored before")
    monkeypatch.setattr(backfill, "BATCH_RUNS", data.draw(st.integers(1, 4), label="batch"))
    folder = tmp_path_factory.mktemp("b")
    alone, batched = (load_settings(db_path=folder / name, suspect_ratio=0.5)
                      for name in ("alone.duckdb", "batched.duckdb"))
    for n, snap in enumerate(snaps):
        pipeline.ingest_body(alone, "records", body_of(snap), day(n), f"test:{n}")
        if n < stored:
            pipeline.ingest_body(batched, "records", body_of(snap), day(n), f"test:{n}")
    _backfilled(batched, {n: body_of(snap) for n, snap in enumerate(snaps) if n >= stored})
    assert _written(batched) == _written(alone)


def _written(settings) -> tuple[list[tuple], list[tuple]]:
    """price_history (but the key digest, for a readable failure) and the runs' figures."""
    with open_db(settings.db_path, read_only=True) as con:
        return (con.execute("SELECT * EXCLUDE (key_hash) FROM price_history ORDER BY ALL"
                            ).fetchall(),
                con.execute("SELECT observed_at, status, records, intervals_opened, "
                            "intervals_closed, message, history_tables FROM runs "
                            "ORDER BY observed_at").fetchall())


def test_a_batch_that_cannot_be_exact_writes_nothing(settings) -> None:
    """pipeline.ingest_batch gives None, with nothing written, for a batch at a time a run
    already holds or before a stored run (another writer's, since backfill sends neither):
    its caller then writes its runs one at a time."""
    from pricewatch.records import FetchedBody, ParseResult, parse_jsonl

    def staged(n: int, price: str) -> tuple[ingest.StagedRun, FetchedBody]:
        body = jsonl(price_line("a", price))
        run = ingest.StagedRun.of("records", ParseResult(parse_jsonl(body)), day(n),
                                  FetchedBody(url="t", fetched_at=day(n), content=body).sha256,
                                  None)
        return run, FetchedBody(url=f"t:{n}", fetched_at=day(n), content=body)

    pipeline.ingest_body(settings, "records", jsonl(price_line("a", "1")), day(1), "t:1")
    pipeline.ingest_body(settings, "records", jsonl(price_line("a", "3")), day(3), "t:3")
    before = _runs(settings), stored_intervals(settings.db_path)
    with open_warehouse(settings) as con:
        for batch in ([staged(3, "2")], [staged(2, "2")]):  # a stored time; before day 3
            assert pipeline.ingest_batch(con, settings, "records", "records", batch) is None
        assert con.execute("SELECT count(*) FROM fetch_log").fetchone() == (2,)
    assert (_runs(settings), stored_intervals(settings.db_path)) == before


def test_one_record_twice_with_an_empty_and_a_missing_list_is_one_interval(settings) -> None:
    """DuckDB's hash gives a NULL list and an empty one the same digest, so two rows of one
    key in a snapshot can be one value yet not the same row: one is kept, alone and in a
    batch (each kept both, a second open interval for the key; the batch four)."""
    listed = ('{"kind": "offer", "provider": "openrouter", "model": "a", '
              '"context_length": 8192, "supported_parameters": []}')
    unlisted = '{"kind": "offer", "provider": "openrouter", "model": "a", "context_length": 8192}'
    pipeline.ingest_body(settings, "records", jsonl(listed, unlisted), day(0), "t:0")
    _backfilled(settings, {1: jsonl(listed, unlisted, price_line("a", "1")),
                           2: jsonl(unlisted, listed, price_line("a", "2"))})
    with open_warehouse(settings, read_only=True) as con:
        assert con.execute("SELECT model, valid_from, valid_to FROM offer_history").fetchall(
            ) == [("a", day(0), None)]
