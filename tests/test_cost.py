"""`pricewatch cost`: usage logs priced at the price in force at each call, checked against
the raw captures (USD per token, Decimal), and the SQL macro cost_of giving the same cents."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from helpers import fixture_path, ingest_catalogues, jsonl, price_line
from pricewatch import queries
from pricewatch.cli.main import app
from pricewatch.settings import load_settings
from pricewatch.warehouse.db import open_warehouse

runner = CliRunner()
FIRST, SECOND = "2025-12-18", "2026-01-29"


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def raw(day: str) -> dict[str, dict]:
    data = json.loads(fixture_path("openrouter", f"models-{day}.json").read_text())
    return {m["id"]: m["pricing"] for m in data["data"]}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return ingest_catalogues(tmp_path_factory.mktemp("cost") / "cost.duckdb", [FIRST, SECOND])


def models_by_change() -> tuple[list[str], list[str]]:
    """Paid models in both captures whose prompt and completion prices changed, and ones
    whose prices stayed (compared as decimals)."""
    old, new = raw(FIRST), raw(SECOND)
    changed, kept = [], []
    for model in sorted(old.keys() & new.keys()):
        a, b = old[model], new[model]
        prices = [Decimal(x) for x in (a["prompt"], a["completion"], b["prompt"],
                                       b["completion"])]
        if min(prices) <= 0:
            continue
        same = prices[:2] == prices[2:]
        (kept if same else changed).append(model)
    return changed[:4], kept[:4]


def cost(args: list[str], db: Path, stdin: str | None = None):
    return runner.invoke(app, ["cost", *args, "--db", str(db)], input=stdin)


def write_log(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_every_call_is_priced_at_the_price_of_its_time(warehouse: Path, tmp_path: Path) -> None:
    changed, kept = models_by_change()
    assert len(changed) == 4 and len(kept) == 4
    old, new = raw(FIRST), raw(SECOND)
    times = {"between": ("2026-01-10T12:00:00Z", old),
             "at the second capture": ("2026-01-29T00:00:00Z", new),  # a price starting at t
             "a microsecond before": ("2026-01-28T23:59:59.999999Z", old),
             "after": ("2026-03-01T08:30:00+02:00", new)}
    rows, expected = [], []
    for n, model in enumerate(changed + kept):
        for label, (when, prices) in times.items():
            tokens_in, tokens_out = 1_234_567 + n, 89_012 + n
            rows.append({"timestamp": when, "model": model, "input_tokens": tokens_in,
                         "output_tokens": tokens_out, "provider": "openrouter",
                         "note": f"{label} #{n}"})
            expected.append(tokens_in * Decimal(prices[model]["prompt"])
                            + tokens_out * Decimal(prices[model]["completion"]))
    log = write_log(tmp_path / "usage.csv", rows)
    result = cost([str(log), "--json"], warehouse)
    assert result.exit_code == 0, result.output
    priced = json.loads(result.stdout)
    assert [r["note"] for r in priced] == [r["note"] for r in rows]  # carried, in order
    assert [r["status"] for r in priced] == ["priced"] * len(rows)
    assert [Decimal(r["cost_usd"]) for r in priced] == expected
    # the prices changed at the second capture for these models, and not for the others
    for r, model in zip(priced[::4], changed + kept, strict=True):
        assert (Decimal(r["input_price"]) == Decimal(old[model]["prompt"]) * 1_000_000)
    at_second = [r for r in priced if r["note"].startswith("at the second")]
    assert all(r["price_valid_from"] == "2026-01-29T00:00:00Z" for r in at_second[:4])


def test_calls_that_cannot_be_priced_get_their_status_not_a_cost(warehouse: Path,
                                                                 tmp_path: Path) -> None:
    lines = [{"timestamp": "2025-12-01T00:00:00Z", "model": "openai/gpt-4o-mini"},
             {"timestamp": "2026-01-01T00:00:00Z", "model": "acme/no-such-model"},
             {"timestamp": "2026-01-01T00:00:00Z", "model": "openrouter/auto"},
             {"timestamp": "2026-01-01T00:00:00Z", "model": "OpenAI/GPT-4o-mini"}]
    body = "\n".join(json.dumps(line | {"input_tokens": 10, "output_tokens": 5})
                     for line in lines) + "\n"
    result = cost(["-", "--provider", "openrouter", "--json"], warehouse, stdin=body)
    assert result.exit_code == 0, result.output
    priced = json.loads(result.stdout)
    assert [(r["status"], r["cost_usd"]) for r in priced] == [
        ("before_history", None), ("unknown_model", None), ("dynamic_price", None),
        ("priced", "0.0000045")]  # any case of the id: 10 x 0.15 + 5 x 0.6 per 1M
    by_month = cost(["-", "--provider", "openrouter", "--by", "month", "--json"], warehouse,
                    stdin=body)
    months = json.loads(by_month.stdout)
    assert [(m["month"], m["calls"], m["unpriced_calls"], m["cost_usd"]) for m in months] == [
        ("2025-12", 1, 1, None), ("2026-01", 3, 2, "0.0000045")]  # never counted as 0


def test_totals_by_month_equal_the_sum_of_the_calls(warehouse: Path, tmp_path: Path) -> None:
    changed, kept = models_by_change()
    rows = [{"Time": f"2026-0{1 + n % 3}-{10 + n:02d}T0{n % 10}:00:00Z", "Model_ID": model,
             "Prompt_Tokens": 1000 * (n + 1), "Completion_Tokens": 37 * n}
            for n, model in enumerate((changed + kept) * 2)]
    log = write_log(tmp_path / "aliases.csv", rows)
    calls = json.loads(cost([str(log), "--provider", "openrouter", "--json"],
                            warehouse).stdout)
    months = json.loads(cost([str(log), "--provider", "openrouter", "--by", "month",
                              "--json"], warehouse).stdout)
    total = sum(Decimal(c["cost_usd"]) for c in calls)
    assert sum(Decimal(m["cost_usd"]) for m in months) == total > 0
    for month in months:
        assert Decimal(month["cost_usd"]) == sum(
            Decimal(c["cost_usd"]) for c in calls if c["Time"].startswith(month["month"]))
    table = cost([str(log), "--provider", "openrouter", "--by", "month"], warehouse)
    assert f"USD {total.normalize():f} exact" in " ".join(table.stdout.split())


@pytest.fixture(scope="module")
def tiers(tmp_path_factory) -> Path:
    """An offer with cache, reasoning, request and >200K prices, changing on day two."""
    db = tmp_path_factory.mktemp("tiers") / "tiers.duckdb"
    lines = [price_line("acme/big", "1", "input"), price_line("acme/big", "4", "output"),
             price_line("acme/big", "0.1", "cache_read"),
             price_line("acme/big", "1.25", "cache_write"),
             price_line("acme/big", "8", "reasoning"),
             price_line("acme/big", "0.002", "request", unit="per_request"),
             price_line("acme/big", "2", "input", context_threshold=200_000),
             price_line("acme/big", "6", "output", context_threshold=200_000),
             price_line("acme/big", "1.5", "input", context_threshold=128_000),
             price_line("acme/big", "5", "output", context_threshold=128_000),
             price_line("acme/big", "0.5", "input", provider="nscale"),
             price_line("acme/big", "0.5", "output", provider="nscale"),
             price_line("acme/flat", "0.3", "input")]  # no output price
    result = runner.invoke(app, ["ingest", "records", "-", "--observed-at",
                                 "2026-01-01T00:00:00Z", "--db", str(db)],
                           input=jsonl(*lines).decode())
    assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize(("call", "expected"), [
    # 100K prompt, 30K of it cached, 10K written; 20K output, 5K of it reasoning; 2 requests
    ({"input_tokens": 100_000, "cached_tokens": 30_000, "cache_write_tokens": 10_000,
      "output_tokens": 20_000, "reasoning_tokens": 5_000, "requests": 2},
     (60_000 * Decimal(1) + 30_000 * Decimal("0.1") + 10_000 * Decimal("1.25")
      + 15_000 * Decimal(4) + 5_000 * Decimal(8)) / 1_000_000 + 2 * Decimal("0.002")),
    # a prompt over 200K pays the >200K prices for the whole request
    ({"input_tokens": 200_001, "output_tokens": 1_000},
     (200_001 * Decimal(2) + 1_000 * Decimal(6)) / 1_000_000),
    # exactly at 200K: not over it, but over 128K
    ({"input_tokens": 200_000, "output_tokens": 1_000},
     (200_000 * Decimal("1.5") + 1_000 * Decimal(5)) / 1_000_000),
    # exactly at 128K: the base prices
    ({"input_tokens": 128_000, "output_tokens": 1_000},
     (128_000 * Decimal(1) + 1_000 * Decimal(4)) / 1_000_000),
])
def test_cache_reasoning_requests_and_long_context(tiers: Path, tmp_path: Path, call: dict,
                                                   expected: Decimal) -> None:
    line = {"timestamp": "2026-02-01T00:00:00Z", "provider": "openrouter",
            "model": "acme/big", **call}
    result = cost(["-", "--json"], tiers, stdin=json.dumps(line) + "\n")
    assert result.exit_code == 0, result.output
    [priced] = json.loads(result.stdout)
    assert priced["status"] == "priced" and Decimal(priced["cost_usd"]) == expected


def test_a_missing_component_price_is_said(tiers: Path) -> None:
    lines = [{"timestamp": "2026-02-01T00:00:00Z", "model": "acme/flat", "input_tokens": 10,
              "output_tokens": 5},
             {"timestamp": "2026-02-01T00:00:00Z", "model": "acme/flat", "input_tokens": 10,
              "output_tokens": 0}]
    result = cost(["-", "--provider", "openrouter", "--json"], tiers,
                  stdin="".join(json.dumps(line) + "\n" for line in lines))
    priced = json.loads(result.stdout)
    assert [(r["status"], r["cost_usd"]) for r in priced] == [
        ("no_price_for_component", None), ("priced", "0.000003")]


def test_cached_tokens_without_a_cache_price_pay_the_input_price_and_say_so(
        tiers: Path) -> None:
    """nscale's acme/big publishes no cache price: a cached token is billed as input (never
    at 0), and the call's price_note and the table's title say so."""
    line = {"timestamp": "2026-02-01T00:00:00Z", "provider": "nscale", "model": "acme/big",
            "input_tokens": 1000, "cached_tokens": 400, "output_tokens": 10}
    result = cost(["-", "--json"], tiers, stdin=json.dumps(line) + "\n")
    [priced] = json.loads(result.stdout)
    assert Decimal(priced["cost_usd"]) == (1000 * Decimal("0.5") + 10 * Decimal("0.5")) / 10**6
    assert priced["price_note"] == ("cached tokens billed at the input price "
                                    "(no cache_read price published)")
    table = cost(["-"], tiers, stdin=json.dumps(line) + "\n")
    assert "1 with cached tokens at the input price (price_note)" in " ".join(
        table.stdout.split())
    # an offer with a cache price has no note
    line["provider"] = "openrouter"
    [priced] = json.loads(cost(["-", "--json"], tiers, stdin=json.dumps(line) + "\n").stdout)
    assert priced["price_note"] is None


def test_the_sql_macro_gives_the_same_cents(tiers: Path, tmp_path: Path) -> None:
    log = tmp_path / "calls.parquet"
    duckdb.sql("""
        COPY (SELECT TIMESTAMPTZ '2026-02-01 00:00:00+00' + INTERVAL (i) MINUTE AS timestamp,
                     CASE WHEN i % 2 = 0 THEN 'openrouter' ELSE 'nscale' END AS provider,
                     'acme/big' AS model, 1000 * i AS input_tokens, 7 * i AS output_tokens
              FROM range(50) t(i)) TO '""" + str(log) + "' (FORMAT parquet)")
    result = cost([str(log), "--json"], tiers)
    assert result.exit_code == 0, result.output
    cli = [Decimal(r["cost_usd"]) for r in json.loads(result.stdout)]
    with queries.open_gold(load_settings(db_path=tiers)) as con:
        con.execute(f"""CREATE TEMP TABLE usage AS
            SELECT timestamp, provider, model, NULL AS route, NULL AS service_tier,
                   input_tokens, output_tokens, NULL AS cached_tokens,
                   NULL AS cache_write_tokens, NULL AS reasoning_tokens, NULL AS requests
            FROM read_parquet('{log}')""")
        sql = [row[0] for row in con.execute(
            "SELECT cost_usd FROM cost_of('usage') ORDER BY timestamp").fetchall()]
    assert sql == cli and len(cli) == 50 and cli[1] == 1000 * Decimal("0.5") / 1_000_000 + \
        7 * Decimal("0.5") / 1_000_000


@pytest.mark.parametrize(("text", "words"), [
    ("timestamp,model,input_tokens,output_tokens\n2026-02-01T00:00:00Z,acme/big,10,5\n"
     "2026-02-01T00:00:00,acme/big,10,5\n",
     ["bad.csv, line 3, column 'timestamp'", "'2026-02-01T00:00:00'", "zone"]),
    ("timestamp,model,input_tokens,output_tokens\n2026-02-01T00:00:00Z,acme/big,10,5\n"
     "2026-02-01T00:00:00Z,acme/big,10,-5\n",
     ["line 3, column 'output_tokens'", "'-5'", "whole number"]),
    ("timestamp,model,prompt_tokens,output_tokens\n2026-02-01T00:00:00Z,acme/big,1e3,5\n",
     ["line 2, column 'prompt_tokens'", "'1e3'"]),
    ("timestamp,model,input_tokens,output_tokens,cached_tokens\n"
     "2026-02-01T00:00:00Z,acme/big,10,5,11\n", ["line 2, column 'cached_tokens'", "part"]),
    ("timestamp,model,input_tokens\n2026-02-01T00:00:00Z,acme/big,10\n",
     ["no column 'output_tokens'", "completion_tokens"]),
    ("timestamp,model,input_tokens,output_tokens\n2026-02-01T00:00:00Z,,10,5\n",
     ["line 2, column 'model'", "empty"]),
])
def test_a_malformed_row_names_its_line_and_column(tiers: Path, tmp_path: Path, text: str,
                                                   words: list[str]) -> None:
    log = tmp_path / "bad.csv"
    log.write_text(text)
    result = cost([str(log), "--provider", "openrouter"], tiers)
    assert result.exit_code == 1, result.output
    message = " ".join(result.stderr.split())
    assert all(word in message for word in words), message


def test_an_ambiguous_name_lists_the_candidates(warehouse: Path) -> None:
    line = {"timestamp": "2026-01-01T00:00:00Z", "model": "gpt-4o-mini", "input_tokens": 1,
            "output_tokens": 1}
    exact = {**line, "model": "openai/gpt-4o-mini"}
    log = "".join(json.dumps(row) + "\n" for row in (exact, line, exact, line))
    result = cost(["-", "--provider", "openrouter"], warehouse, stdin=log)
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    # named by its first line and column, as every other bad value of a log
    assert "line 2, column 'model': model 'gpt-4o-mini' at openrouter is ambiguous" in message
    assert "(and 1 more line)" in message
    assert "openai/gpt-4o-mini, openai/gpt-4o-mini-2024-07-18" in message


def test_outputs_stream_to_files(tiers: Path, tmp_path: Path) -> None:
    log = write_log(tmp_path / "u.csv", [
        {"timestamp": "2026-02-01T00:00:00Z", "model": "acme/big", "input_tokens": n * 1000,
         "output_tokens": n, "provider": "openrouter", "team": f"t{n % 3}"}
        for n in range(1, 21)])
    out = tmp_path / "priced.parquet"
    result = cost([str(log), "--format", "parquet", "--out", str(out), "--json"], tiers)
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.stdout)
    assert (summary["calls"], summary["priced_calls"], summary["unpriced_calls"]) == (20, 20, 0)
    table = duckdb.sql(f"SELECT team, cost_usd, status FROM read_parquet('{out}')").fetchall()
    assert len(table) == 20 and table[0][0] == "t1"
    assert str(duckdb.sql(f"SELECT typeof(cost_usd) FROM read_parquet('{out}') LIMIT 1"
                          ).fetchall()[0][0]).startswith("DECIMAL")
    assert sum(row[1] for row in table) == Decimal(summary["cost_usd"])
    # to stdout, DuckDB's COPY writes to the process's own stdout: run it as a user does
    lines = subprocess.run([sys.executable, "-m", "pricewatch", "cost", str(log), "--format",
                            "jsonl", "--db", str(tiers)], capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert len(lines) == 20 and json.loads(lines[0])["cost_usd"] == "0.001004"
    assert json.loads(lines[0])["team"] == "t1" and json.loads(lines[0])["input_price"] == "1"


def test_a_cost_leaves_the_engine_its_memory_limit_and_spill_folder(
        tiers: Path, tmp_path: Path) -> None:
    """cost bounds DuckDB to 512 MB with a spill folder of its own, on an engine of its own:
    whatever runs next in the process (a test, an export) finds the process's engine as it
    was (DuckDB cannot even switch a spill folder back once it has been used)."""
    def engine() -> tuple:
        with open_warehouse(load_settings(db_path=tiers), read_only=True) as con:
            return con.execute("SELECT current_setting('memory_limit'), "
                               "current_setting('temp_directory')").fetchall()[0]
    before = engine()
    log = write_log(tmp_path / "u.csv", [{"timestamp": "2026-02-01T00:00:00Z",
                                          "model": "acme/big", "input_tokens": 1000,
                                          "output_tokens": 10, "provider": "openrouter"}])
    for args in ([str(log), "--json"], [str(log), "--format", "csv",
                                        "--out", str(tmp_path / "out.csv")]):
        result = cost(args, tiers)
        assert result.exit_code == 0, result.output
        assert engine() == before
    assert "pricewatch-cost-" not in before[1] and before[0] != "488.2 MiB"


def test_the_common_formats_and_a_stdout_that_already_holds_text(tiers: Path,
                                                                  tmp_path: Path) -> None:
    """cost speaks every command's --format (and parquet): json streams an array, md is a
    table; a stream to a redirected stdout goes after what the file held (COPY TO
    /dev/stdout reopened the file at byte 0 and overwrote it, `>>` included)."""
    log = write_log(tmp_path / "u.csv", [
        {"timestamp": "2026-02-01T00:00:00Z", "model": "acme/big", "input_tokens": n * 1000,
         "output_tokens": n, "provider": "openrouter"} for n in range(1, 4)])
    appended = tmp_path / "all.csv"
    appended.write_text("earlier line\n")
    with appended.open("a") as stdout:
        subprocess.run([sys.executable, "-m", "pricewatch", "cost", str(log), "--format",
                        "csv", "--by", "day", "--db", str(tiers)], stdout=stdout, check=True)
    assert appended.read_text().splitlines() == [
        "earlier line", "day,calls,priced_calls,unpriced_calls,noted_calls,cost_usd,"
        "input_tokens,output_tokens", "2026-02-01,3,3,0,0,0.006024,6000,6"]
    array = subprocess.run([sys.executable, "-m", "pricewatch", "cost", str(log), "--format",
                            "json", "--db", str(tiers)], capture_output=True, text=True,
                           check=True).stdout
    assert [c["cost_usd"] for c in json.loads(array)] == ["0.001004", "0.002008", "0.003012"]
    result = cost([str(log), "--format", "md", "--by", "day"], tiers)
    assert result.exit_code == 0, result.output
    assert "| 2026-02-01 | 3 | 3 | 0 | 0 | 0.006024 | 6000 | 6 |" in result.stdout
    result = cost([str(log), "--format", "xml"], tiers)
    assert result.exit_code == 2 and "use table, json, jsonl, csv, md, parquet" in result.output


SECTION = (Path(__file__).resolve().parents[1] / "docs" / "cost.md").read_text(encoding="utf-8")


def test_the_readme_lists_every_column_and_alias() -> None:
    from pricewatch.outputs.cost import ALIASES

    rows = {line.split("|")[1].strip() for line in SECTION.splitlines()
            if line.startswith("| `")}
    listed = {re.sub(r"[`()]", "", row).replace(",", " ").split()[0]:
              set(re.sub(r"[`()]", "", row).replace(",", " ").split()[1:]) for row in rows}
    assert listed == {column: set(aliases) for column, aliases in ALIASES.items()}


def test_the_readme_sql_example_runs(tiers: Path, tmp_path: Path) -> None:
    sql = re.search(r"```sql\n(.*?)```", SECTION, re.S).group(1)
    log = tmp_path / "calls.parquet"
    duckdb.sql(f"""COPY (SELECT TIMESTAMPTZ '2026-02-01 00:00:00+00' AS ts, 'acme/big' AS model,
                              1000 AS prompt_tokens, 10 AS completion_tokens)
                   TO '{log}' (FORMAT parquet)""")
    with queries.open_gold(load_settings(db_path=tiers)) as con:
        create, select = sql.replace("calls.parquet", str(log)).split(";")[:2]
        con.execute(create)
        assert con.execute(select).fetchall() == [("2026-02", Decimal("0.00104"), 0)]


def test_totals_to_a_file_say_what_they_hold(tiers: Path, tmp_path: Path) -> None:
    log = write_log(tmp_path / "u.csv", [
        {"timestamp": f"2026-0{2 + n % 2}-01T00:00:00Z", "model": "acme/big",
         "input_tokens": 1000, "output_tokens": 10, "provider": "openrouter"}
        for n in range(6)] + [{"timestamp": "2026-02-01T00:00:00Z", "model": "acme/none",
                               "input_tokens": 1, "output_tokens": 1,
                               "provider": "openrouter"}])
    out = tmp_path / "months.csv"
    result = cost([str(log), "--by", "month", "--out", str(out), "--json"], tiers)
    [summary] = json.loads(result.stdout)
    assert (summary["calls"], summary["priced_calls"], summary["unpriced_calls"],
            summary["cost_usd"]) == (7, 6, 1, "0.00624")  # 6 x (1000 x 1 + 10 x 4) / 1M
    months = list(csv.DictReader(out.open()))
    assert [(m["month"], m["calls"], m["unpriced_calls"], m["cost_usd"]) for m in months] == [
        ("2026-02", "4", "1", "0.00312"), ("2026-03", "3", "0", "0.00312")]


@pytest.fixture(scope="module")
def rules(tmp_path_factory) -> Path:
    """Offers whose price only the selection rules decide: two sources for one key (the
    exact catalog wins), two published effective dates, a $0 first usage tier."""
    db = tmp_path_factory.mktemp("rules") / "rules.duckdb"
    vertex = {"provider": "vertex"}
    lines = [price_line("acme/ranked", "1.50", source="vertex.pricing", **vertex),
             price_line("acme/ranked", "1.4987", source="vertex.skus", **vertex),
             price_line("acme/ranked", "6", "output", source="vertex.pricing", **vertex),
             price_line("acme/dated", "2", **vertex),
             price_line("acme/dated", "4", "output", **vertex),
             price_line("acme/dated", "1", effective_from="2026-03-01", **vertex),
             price_line("acme/dated", "3", "output", effective_from="2026-03-01", **vertex),
             price_line("acme/tiered", "0", **vertex),
             price_line("acme/tiered", "0.5", usage_tier_start=1000, **vertex),
             price_line("acme/tiered", "0.7", usage_tier_start=5000, **vertex),
             price_line("acme/tiered", "2.5", "output", **vertex)]
    for source in ("vertex.pricing", "vertex.skus", "records"):  # one source per file
        result = runner.invoke(app, ["ingest", "records", "-", "--observed-at",
                                     "2026-02-01T00:00:00Z", "--db", str(db)],
                               input=jsonl(*[line for line in lines
                                             if json.loads(line)["source"] == source]).decode())
        assert result.exit_code == 0, result.output
    return db


@pytest.mark.parametrize(("when", "expected"), [
    ("2026-02-15 12:00:00+00", {"acme/ranked": ("1.4987", "6"), "acme/dated": ("2", "4"),
                                "acme/tiered": ("0.5", "2.5")}),
    ("2026-03-15 12:00:00+00", {"acme/ranked": ("1.4987", "6"), "acme/dated": ("1", "3"),
                                "acme/tiered": ("0.5", "2.5")}),
])
def test_cost_of_prices_a_call_as_prices_as_of_picks(rules: Path, when: str,
                                                      expected: dict) -> None:
    """The two share price_in_force, price_pick and base_rate_order: a call at t pays the
    input and output prices prices_as_of(t) lists, on every rule that decides between rows."""
    with queries.open_gold(load_settings(db_path=rules)) as con:
        con.execute(f"""CREATE TEMP TABLE usage AS
            SELECT TIMESTAMPTZ '{when}' AS timestamp, 'vertex' AS provider, model,
                   NULL AS route, NULL AS service_tier, 1000000 AS input_tokens,
                   1000000 AS output_tokens, NULL AS cached_tokens,
                   NULL AS cache_write_tokens, NULL AS reasoning_tokens, NULL AS requests
            FROM (VALUES ('acme/ranked'), ('acme/dated'), ('acme/tiered')) m(model)""")
        priced = {model: (input_price, output_price, cost) for model, input_price,
                  output_price, cost in con.execute(
                      "SELECT model, input_price, output_price, cost_usd FROM cost_of('usage')"
                  ).fetchall()}
        listed = {(model, component): price for model, component, price in con.execute(
            f"SELECT model, component, price FROM prices_as_of(TIMESTAMPTZ '{when}') "
            "WHERE provider = 'vertex'").fetchall()}
    for model, (input_price, output_price) in expected.items():
        assert priced[model][:2] == (listed[model, "input"], listed[model, "output"]) \
            == (Decimal(input_price), Decimal(output_price)), model
        assert priced[model][2] == Decimal(input_price) + Decimal(output_price)
