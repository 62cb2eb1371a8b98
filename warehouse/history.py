"""SCD2 history: the one place that opens and closes validity intervals.

Each history table is the run-length encoding of its source's snapshots over time: a key's
interval starts at the run that first saw its value and ends at the first later run that
saw another value or no value. Keeping that one invariant makes out-of-order backfill
exact: a snapshot observed at `t0` between two stored runs only splits or merges the
intervals that cover `t0` and the next run after it (`t_next`).

Rows arrive as Arrow tables and move with set-based SQL; no row-by-row statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from pricewatch.errors import InputError
from pricewatch.records import (
    AnyRecord,
    MapAuditRecord,
    OfferRecord,
    PriceRecord,
    ProviderRecord,
    RateLimitRecord,
    ScoreRecord,
)
from pricewatch.warehouse.db import fetch_one

PRICE_TYPE = pa.decimal128(38, 18)


@dataclass(frozen=True)
class HistorySpec:
    """A history table: which columns identify a series and which make up its value."""

    table: str
    record_type: type
    key: tuple[str, ...]
    value: tuple[str, ...]
    arrow_types: dict[str, pa.DataType]
    model_column: bool  # partial runs restrict closing to the models they fetched
    label: str  # the key column that names a series in messages

    @property
    def columns(self) -> tuple[str, ...]:
        return self.key + self.value

    def to_arrow(self, records: Sequence[AnyRecord]) -> pa.Table:
        schema = pa.schema([(name, self.arrow_types[name]) for name in self.columns])
        if not records:
            return schema.empty_table()
        fields = [record.__dict__ for record in records]  # pydantic keeps fields here
        return pa.table([pa.array([f[name] for f in fields], self.arrow_types[name])
                         for name in self.columns], schema=schema)


_STR, _INT, _BOOL, _DATE = pa.string(), pa.int64(), pa.bool_(), pa.date32()
_LIST = pa.list_(pa.string())

PRICES = HistorySpec(
    table="price_history",
    record_type=PriceRecord,
    key=("source", "provider", "model", "route", "component", "service_tier",
         "context_threshold", "unit", "currency", "effective_from", "usage_tier_start",
         "utc_days", "utc_start_minute", "utc_end_minute"),
    value=("price", "dynamic"),
    arrow_types={"source": _STR, "provider": _STR, "model": _STR, "route": _STR,
                 "component": _STR, "service_tier": _STR, "context_threshold": _INT,
                 "unit": _STR, "currency": _STR, "effective_from": _DATE,
                 "usage_tier_start": _INT, "utc_days": _STR, "utc_start_minute": _INT,
                 "utc_end_minute": _INT,
                 "price": PRICE_TYPE, "dynamic": _BOOL},
    model_column=True,
    label="model",
)
OFFERS = HistorySpec(
    table="offer_history",
    record_type=OfferRecord,
    key=("source", "provider", "model", "route"),
    value=("status", "retiring_on", "display_name", "context_length", "max_output_tokens",
           "max_prompt_tokens", "input_modalities", "output_modalities", "capabilities",
           "supported_parameters", "quantization", "alias_of", "reasoning_efforts"),
    arrow_types={"source": _STR, "provider": _STR, "model": _STR, "route": _STR,
                 "status": _STR, "retiring_on": _DATE, "display_name": _STR,
                 "context_length": _INT, "max_output_tokens": _INT,
                 "max_prompt_tokens": _INT, "input_modalities": _LIST,
                 "output_modalities": _LIST, "capabilities": _LIST,
                 "supported_parameters": _LIST, "quantization": _STR, "alias_of": _STR,
                 "reasoning_efforts": _LIST},
    model_column=True,
    label="model",
)
RATE_LIMITS = HistorySpec(
    table="rate_limit_history",
    record_type=RateLimitRecord,
    key=("source", "provider", "scope", "metric", "condition"),
    value=("value", "enforced", "note"),
    arrow_types={"source": _STR, "provider": _STR, "scope": _STR, "metric": _STR,
                 "condition": _STR, "value": PRICE_TYPE, "enforced": _BOOL, "note": _STR},
    model_column=False,
    label="scope",
)
PROVIDER_DIRECTORY = HistorySpec(
    table="provider_directory_history",
    record_type=ProviderRecord,
    key=("source", "provider", "slug"),
    value=("name", "headquarters", "datacenters", "status_page_url", "privacy_policy_url",
           "terms_of_service_url"),
    arrow_types={"source": _STR, "provider": _STR, "slug": _STR, "name": _STR,
                 "headquarters": _STR, "datacenters": _LIST, "status_page_url": _STR,
                 "privacy_policy_url": _STR, "terms_of_service_url": _STR},
    model_column=False,
    label="slug",
)
SCORES = HistorySpec(
    table="score_history",
    record_type=ScoreRecord,
    key=("source", "provider", "benchmark", "metric", "model_label", "run_label", "variant"),
    value=("value", "model_ref", "combined", "run_date", "seconds_per_case", "total_cost_usd",
           "licence", "attribution"),
    arrow_types={"source": _STR, "provider": _STR, "benchmark": _STR, "metric": _STR,
                 "model_label": _STR, "run_label": _STR, "variant": _STR,
                 "value": PRICE_TYPE, "model_ref": _STR, "combined": _BOOL,
                 "run_date": _DATE, "seconds_per_case": PRICE_TYPE,
                 "total_cost_usd": PRICE_TYPE, "licence": _STR, "attribution": _STR},
    model_column=False,
    label="model_label",
)
MAP_AUDITS = HistorySpec(
    table="map_audit_history",
    record_type=MapAuditRecord,
    key=("source", "provider", "model", "map_key", "component", "service_tier",
         "context_threshold", "unit"),
    value=("map_class", "map_price", "provider_price", "map_field"),
    arrow_types={"source": _STR, "provider": _STR, "model": _STR, "map_key": _STR,
                 "component": _STR, "service_tier": _STR, "context_threshold": _INT,
                 "unit": _STR, "map_class": _STR, "map_price": PRICE_TYPE,
                 "provider_price": PRICE_TYPE, "map_field": _STR},
    model_column=False,
    label="map_key",
)
SPECS = (PRICES, OFFERS, RATE_LIMITS, PROVIDER_DIRECTORY, SCORES, MAP_AUDITS)


def _key_digest(columns: Sequence[str]) -> str:
    """md5 over the key columns' text: NULL-safe; 128 bits, so two series never share one."""
    parts = ", ".join(f"coalesce(CAST({name} AS VARCHAR), chr(0))" for name in columns)
    return f"md5(concat_ws(chr(31), {parts}))"


def _value_digest(columns: Sequence[str]) -> str:
    """DuckDB's 64-bit hash: only ever compared between two values of one key."""
    return f"hash({', '.join(columns)})"


@dataclass(frozen=True)
class Boundary:
    """The snapshot being applied (`t0`) and the next stored run after it, if any."""

    source: str
    run_id: int
    observed_at: datetime
    next_observed_at: datetime | None = None
    next_run_id: int | None = None


@dataclass
class Changes:
    opened: int = 0
    closed: int = 0
    tables: list[str] = field(default_factory=list)  # the tables records went to

    def add(self, other: Changes) -> None:
        self.opened += other.opened
        self.closed += other.closed


class ConflictingRecords(InputError):
    """One snapshot gave two different values for the same key."""


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> int:
    row = fetch_one(con, sql, params)
    return int(row[0]) if row else 0


def stage(con: duckdb.DuckDBPyConnection, spec: HistorySpec, rows: pa.Table) -> None:
    """Load one snapshot into `stage_<table>` with its key and value digests."""
    table = f"stage_{spec.table}"
    con.register("incoming_rows", rows)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {', '.join(spec.columns)}, "
            f"{_key_digest(spec.key)} AS key_hash, {_value_digest(spec.value)} AS value_hash "
            "FROM incoming_rows")
    finally:
        con.unregister("incoming_rows")
    if fetch_one(con, f"SELECT count(*) = count(DISTINCT key_hash) FROM {table}") == (True,):
        return
    repeated = con.execute(
        f"SELECT any_value({spec.label}), count(DISTINCT value_hash) FROM {table} "
        "GROUP BY key_hash HAVING count(*) > 1").fetchall()
    clash = next((row[0] for row in repeated if row[1] > 1), None)
    if clash is not None:
        raise ConflictingRecords(
            f"two different {spec.record_type.__name__} values for one key "
            f"({spec.label} {clash!r}) in one snapshot")
    if repeated:  # the same record twice: keep one (one row per key, even where two
        # rows of one digest differ, as a NULL list and an empty one do)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table} "
                    "QUALIFY row_number() OVER (PARTITION BY key_hash) = 1")


def apply_snapshot(con: duckdb.DuckDBPyConnection, spec: HistorySpec, at: Boundary,
                   scope_sql: str) -> Changes:
    """Make `spec.table` the run-length encoding of its runs with this snapshot added.

    `scope_sql` says which stored keys this snapshot speaks for when they are absent from
    it: `TRUE` for a full snapshot, a model filter for a partial sweep, `FALSE` for none.
    The staged snapshot must already be in `stage_<table>`.
    """
    t, s = spec.table, f"stage_{spec.table}"
    params: dict[str, Any] = {"src": at.source, "t0": at.observed_at, "run": at.run_id}
    # Stored intervals that cover t0 and that this snapshot contradicts. With no later run,
    # those are exactly the open ones (a cheaper filter).
    covers = ("h.valid_to IS NULL" if at.next_observed_at is None else
              "h.valid_from < $t0 AND (h.valid_to IS NULL OR h.valid_to > $t0)")
    covering_changed = (
        f"h.source = $src AND {covers}"
        f" AND NOT EXISTS (SELECT 1 FROM {s} s WHERE s.key_hash = h.key_hash"
        f" AND s.value_hash = h.value_hash)")
    if scope_sql != "TRUE":  # absent keys close only inside the scope
        covering_changed += (f" AND (EXISTS (SELECT 1 FROM {s} s WHERE s.key_hash = h.key_hash)"
                             f" OR ({scope_sql}))")
    cols = ", ".join(spec.columns)
    changes = Changes()
    if at.next_observed_at is not None:
        params |= {"t_next": at.next_observed_at, "next_run": at.next_run_id}
        # The contradicted value resumes at the next stored run, as that run saw it.
        changes.opened += _count(con, (
            f"INSERT INTO {t} ({cols}, key_hash, value_hash, valid_from, valid_to, "
            f"opened_by_run, closed_by_run) SELECT {cols}, key_hash, value_hash, $t_next, "
            f"valid_to, $next_run, closed_by_run FROM {t} h WHERE {covering_changed} "
            f"AND (h.valid_to IS NULL OR h.valid_to > $t_next)"), params)
    changes.closed += _count(con, (
        f"UPDATE {t} AS h SET valid_to = $t0, closed_by_run = $run WHERE {covering_changed}"),
        params)
    if at.next_observed_at is not None:
        # The next run saw this snapshot's value: that interval now starts at t0.
        changes.opened += _count(con, (
            f"UPDATE {t} AS h SET valid_from = $t0, opened_by_run = $run "
            f"WHERE h.source = $src AND h.valid_from = $t_next AND EXISTS (SELECT 1 FROM {s} s "
            f"WHERE s.key_hash = h.key_hash AND s.value_hash = h.value_hash)"), params)
        ends, closer = "$t_next", "$next_run"
        covers_or_starts = "h.valid_from <= $t0 AND (h.valid_to IS NULL OR h.valid_to > $t0)"
    else:
        ends, closer, covers_or_starts = "NULL", "NULL", "h.valid_to IS NULL"
    changes.opened += _count(con, (
        f"INSERT INTO {t} ({cols}, key_hash, value_hash, valid_from, valid_to, "
        f"opened_by_run, closed_by_run) SELECT {cols}, key_hash, value_hash, $t0, {ends}, "
        f"$run, {closer} FROM {s} s WHERE NOT EXISTS (SELECT 1 FROM {t} h "
        f"WHERE h.source = $src AND h.key_hash = s.key_hash AND {covers_or_starts})"), params)
    return changes


def scope_filter(spec: HistorySpec, scope: str) -> str:
    """SQL for which absent keys a snapshot closes: all, none, or the staged models."""
    if scope == "all":
        return "TRUE"
    if scope == "models" and spec.model_column:
        return ("EXISTS (SELECT 1 FROM scope_models m "
                "WHERE m.provider = h.provider AND m.model = h.model)")
    return "FALSE"


@dataclass(frozen=True)
class Step:
    """One snapshot of a batch (`apply_batch`): its run and time, oldest first."""

    run_id: int
    observed_at: datetime


def stage_batch(con: duckdb.DuckDBPyConnection, spec: HistorySpec,
                snapshots: Sequence[pa.Table]) -> None:
    """Load a batch's snapshots into `stage_<table>` with `seq` (1 for the first) beside
    their digests. ConflictingRecords names the first snapshot that gives two values for
    one key (the caller then writes the batch one snapshot at a time, to name its run)."""
    schema = pa.schema([(name, spec.arrow_types[name]) for name in spec.columns])
    seqs = [pa.array([seq] * len(rows), pa.int64()) for seq, rows in enumerate(snapshots, 1)]
    rows = pa.concat_tables([rows.select(list(spec.columns)).cast(schema)
                             for rows in snapshots] or [schema.empty_table()])
    rows = rows.append_column("seq", pa.concat_arrays(seqs) if seqs else
                              pa.array([], pa.int64()))
    table = f"stage_{spec.table}"
    con.register("incoming_rows", rows)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {', '.join(spec.columns)}, seq, "
            f"{_key_digest(spec.key)} AS key_hash, {_value_digest(spec.value)} AS value_hash "
            "FROM incoming_rows")
    finally:
        con.unregister("incoming_rows")
    if fetch_one(con, f"SELECT count(*) = count(DISTINCT (seq, key_hash)) FROM {table}") \
            == (True,):
        return
    clash = fetch_one(con, f"SELECT min(seq) FROM (SELECT seq FROM {table} GROUP BY seq, "
                           "key_hash HAVING count(DISTINCT value_hash) > 1)")
    if clash is not None and clash[0] is not None:
        raise ConflictingRecords(f"two different {spec.record_type.__name__} values for one "
                                 f"key in snapshot {clash[0]} of the batch")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table} "
                "QUALIFY row_number() OVER (PARTITION BY seq, key_hash) = 1")  # as in stage


# A key's islands: its consecutive snapshots with one value (seq minus the value's own
# count is constant along one), each with its first snapshot's row. (Two rows of one value
# digest can still differ, e.g. a NULL list and an empty one: the first is kept, as
# apply_snapshot keeps the stored row.)
BATCH_ISLANDS = """
CREATE OR REPLACE TEMP TABLE batch_islands AS
WITH numbered AS (
    SELECT *, seq - row_number() OVER (PARTITION BY key_hash, value_hash ORDER BY seq)
        AS island
    FROM {stage}
), spans AS (
    SELECT key_hash, value_hash, min(seq) AS first_seq, max(seq) AS last_seq
    FROM numbered GROUP BY key_hash, value_hash, island
)
SELECT {firsts}, s.key_hash, s.value_hash, s.first_seq, s.last_seq
FROM spans s JOIN {stage} n ON n.key_hash = s.key_hash AND n.seq = s.first_seq
"""
# Each stored open interval of the source ends where the batch stops repeating its value:
# at the first snapshot (seq 1) that lacks or changes it, later if the batch's first
# snapshots repeat it, never (end_seq past the batch) if they all do.
BATCH_ENDS = """
CREATE OR REPLACE TEMP TABLE batch_ends AS
SELECT h.key_hash, coalesce(i.last_seq, 0) + 1 AS end_seq
FROM {table} h LEFT JOIN batch_islands i
    ON i.key_hash = h.key_hash AND i.value_hash = h.value_hash AND i.first_seq = 1
WHERE h.source = $src AND h.valid_to IS NULL
"""
BATCH_CLOSE = """
UPDATE {table} AS h SET valid_to = s.observed_at, closed_by_run = s.run_id
FROM batch_ends e, batch_steps s
WHERE h.source = $src AND h.valid_to IS NULL AND h.key_hash = e.key_hash AND s.seq = e.end_seq
"""
# Every island but one that continues a stored interval (the key's end moved past seq 1).
BATCH_OPEN = """
INSERT INTO {table} ({cols}, key_hash, value_hash, valid_from, valid_to, opened_by_run,
                     closed_by_run)
SELECT {island_cols}, i.key_hash, i.value_hash, a.observed_at, b.observed_at, a.run_id,
       b.run_id
FROM batch_islands i JOIN batch_steps a ON a.seq = i.first_seq
LEFT JOIN batch_steps b ON b.seq = i.last_seq + 1
WHERE i.first_seq > 1 OR NOT EXISTS (
    SELECT 1 FROM batch_ends e WHERE e.key_hash = i.key_hash AND e.end_seq > 1)
"""
# Per run: intervals it opened (islands starting at it, not continued) and closed (stored
# intervals and islands ending at it).
BATCH_COUNTS = """
SELECT s.run_id,
    (SELECT count(*) FROM batch_islands i WHERE i.first_seq = s.seq AND (i.first_seq > 1
        OR NOT EXISTS (SELECT 1 FROM batch_ends e WHERE e.key_hash = i.key_hash
                       AND e.end_seq > 1))),
    (SELECT count(*) FROM batch_ends e WHERE e.end_seq = s.seq)
    + (SELECT count(*) FROM batch_islands i WHERE i.last_seq + 1 = s.seq AND (i.first_seq > 1
        OR NOT EXISTS (SELECT 1 FROM batch_ends e WHERE e.key_hash = i.key_hash
                       AND e.end_seq > 1)))
FROM batch_steps s
"""


def apply_batch(con: duckdb.DuckDBPyConnection, spec: HistorySpec, source: str,
                steps: Sequence[Step]) -> dict[int, Changes]:
    """`apply_snapshot` for several full snapshots of one source at once: the run-length
    encoding of the staged batch (`stage_batch`), joined to the source's open intervals.

    Exact only where every step is later than the source's stored runs (no `t_next`) and
    each snapshot speaks for every key (scope `all`): a backfill in order. The result is
    the history `apply_snapshot` leaves after the steps one by one; returns each run's
    counts. (One pass for the batch: per snapshot, ~40 statements were most of a backfill.)
    """
    params = {"src": source}
    con.register("batch_steps_rows", pa.table({
        "seq": pa.array(range(1, len(steps) + 1), pa.int64()),
        "run_id": pa.array([step.run_id for step in steps], pa.int64()),
        "observed_at": pa.array([step.observed_at for step in steps],
                                pa.timestamp("us", tz="UTC"))}))
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE batch_steps AS SELECT * FROM batch_steps_rows")
    finally:
        con.unregister("batch_steps_rows")
    t, cols = spec.table, ", ".join(spec.columns)
    con.execute(BATCH_ISLANDS.format(
        firsts=", ".join(f"n.{name}" for name in spec.columns),
        stage=f"stage_{t}"))
    con.execute(BATCH_ENDS.format(table=t), params)
    con.execute(BATCH_CLOSE.format(table=t), params)
    con.execute(BATCH_OPEN.format(table=t, cols=cols, island_cols=", ".join(
        f"i.{name}" for name in spec.columns)))
    return {int(run): Changes(opened=int(opened), closed=int(closed))
            for run, opened, closed in con.execute(BATCH_COUNTS).fetchall()}
