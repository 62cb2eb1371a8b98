"""OpenRouter's `pricing.overrides` (PricingOverride): long-context tiers and UTC time
windows read as prices keyed by context_threshold and window, priced by `cost` at the window
of each call's time; built from the format's description and checked on the 2026-10-07
capture."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from helpers import fixture_path
from pricewatch.cli.main import app
from pricewatch.collectors.openrouter.models import parse_models
from pricewatch.collectors.openrouter.overrides import NO_WINDOW, Override, resolve
from pricewatch.records import WEEKDAYS, PriceRecord

runner = CliRunner()
NOW = datetime(2026, 10, 7, tzinfo=UTC)
CAPTURE = "models-2026-10-07.json"


def catalogue(*models: dict) -> bytes:
    return json.dumps({"data": list(models)}).encode()


def model(pricing: dict, model_id: str = "a/b") -> dict:
    return {"id": model_id, "name": model_id, "pricing": pricing}


def rows(body: bytes) -> dict[tuple, Decimal | None]:
    """(model, component, threshold, days, start, end) -> price per 1M tokens."""
    return {(r.model, r.component, r.context_threshold, r.utc_days, r.utc_start_minute,
             r.utc_end_minute): r.price
            for r in parse_models(body, NOW).records if isinstance(r, PriceRecord)}


def test_a_window_across_midnight_is_two_windows_of_the_same_days() -> None:
    body = catalogue(model({"prompt": "0.000001", "completion": "0.000002", "overrides": [
        {"utc_days": ["friday"], "utc_start": 2200, "utc_end": 200, "prompt": "0.0000005"}]}))
    assert rows(body) == {
        ("a/b", "input", 0, "", 0, 1440): Decimal(1),
        ("a/b", "output", 0, "", 0, 1440): Decimal(2),
        # a day condition holds on the request's own day: Friday before 02:00 and after 22:00
        ("a/b", "input", 0, "fri", 0, 120): Decimal("0.5"),
        ("a/b", "input", 0, "fri", 1320, 1440): Decimal("0.5")}


def test_later_entries_win_per_key_and_absent_keys_inherit() -> None:
    body = catalogue(model({"prompt": "0.000001", "completion": "0.000004",
                            "input_cache_read": "0.0000001", "overrides": [
        {"min_prompt_tokens": 1000, "prompt": "0.000002", "completion": "0.000006"},
        {"min_prompt_tokens": 1000, "prompt": "0.000003"},
        {"min_prompt_tokens": 5000, "completion": "0.000009"}]}))
    assert rows(body) == {
        ("a/b", "input", 0, "", 0, 1440): Decimal(1),
        ("a/b", "output", 0, "", 0, 1440): Decimal(4),
        ("a/b", "cache_read", 0, "", 0, 1440): Decimal("0.1"),
        ("a/b", "input", 1000, "", 0, 1440): Decimal(3),  # the later entry wins
        ("a/b", "output", 1000, "", 0, 1440): Decimal(6),
        # the 5000 tier keeps what the 1000 tier set (it applies too) and sets output
        ("a/b", "input", 5000, "", 0, 1440): Decimal(3),
        ("a/b", "output", 5000, "", 0, 1440): Decimal(9)}


def test_an_entry_with_an_unknown_condition_is_left_out_and_named() -> None:
    body = catalogue(model({"prompt": "0.000001", "completion": "0.000002", "overrides": [
        {"min_completion_tokens": 100, "prompt": "0.0000001"},
        {"utc_start": "25:00", "utc_end": 100, "prompt": "0.0000001"},
        {"min_prompt_tokens": 100, "prompt": "0.000003"}]}))
    output = parse_models(body, NOW)
    prices = {(r.component, r.context_threshold): r.price for r in output.records
              if isinstance(r, PriceRecord)}
    assert prices == {("input", 0): 1, ("output", 0): 2, ("input", 100): 3}
    assert output.warnings == [
        "model 'a/b' pricing.overrides[0]: unknown condition min_completion_tokens; "
        "the entry is left out",
        "model 'a/b' pricing.overrides[1]: utc_start '25:00' is not an HHMM time; the entry "
        "is left out"]
    assert [(u.path, u.count, u.example) for u in output.unread] == [
        ("data[].pricing.overrides[]", 2, "a/b")]


def test_an_unknown_pricing_key_is_stored_under_its_name_and_named_unread() -> None:
    body = catalogue(model({"prompt": "0.000001", "completion": "0.000002",
                            "video_second": "0.05"}), model({"prompt": "0", "completion": "0"},
                                                            "c/d"))
    output = parse_models(body, NOW)
    assert [(u.path, u.count, u.example) for u in output.unread] == [
        ("data[].pricing.video_second", 1, "a/b")]
    # a unit word at the end of the name gives its unit; nothing is scaled then
    [record] = [r for r in parse_models(body, NOW).records
                if isinstance(r, PriceRecord) and r.component == "video_second"]
    assert (record.price, record.unit) == (Decimal("0.05"), "per_second")


def test_the_2026_10_07_capture_tiers_and_windows() -> None:
    found = rows(fixture_path("openrouter", CAPTURE).read_bytes())
    raw = {m["id"]: m["pricing"] for m in json.loads(
        fixture_path("openrouter", CAPTURE).read_text())["data"]}
    # every tier price the capture lists, exactly, at its threshold
    listed = 0
    for model_id, pricing in raw.items():
        for entry in pricing.get("overrides", []):
            if set(entry) & {"utc_start", "utc_days"}:
                continue
            for key, component in (("prompt", "input"), ("completion", "output"),
                                   ("input_cache_read", "cache_read")):
                if key in entry:
                    listed += 1
                    later = [e for e in pricing["overrides"]
                             if e.get("min_prompt_tokens") == entry["min_prompt_tokens"]
                             and key in e][-1]
                    assert found[(model_id, component, entry["min_prompt_tokens"], "", 0,
                                  1440)] == Decimal(later[key]) * 1_000_000
    assert listed > 200
    # tencent/hy3: cheaper every day from 16:00 UTC to midnight
    assert found[("tencent/hy3", "input", 0, "", 960, 1440)] == Decimal("0.0825")
    assert found[("tencent/hy3", "input", 0, "", 0, 1440)] == Decimal("0.132")
    assert ("tencent/hy3", "input", 0, "", 0, 960) not in found  # equal to the base
    # deepseek-v4-pro-0813: half price all weekend and off-peak on weekdays
    pro = {k[3:]: v for k, v in found.items()
           if k[:3] == ("deepseek/deepseek-v4-pro-0813", "input", 0)}
    weekdays = "mon,tue,wed,thu,fri"
    assert pro == {("", 0, 1440): Decimal("1.32"), ("sat,sun", 0, 1440): Decimal("0.66"),
                   (weekdays, 0, 60): Decimal("0.66"), (weekdays, 240, 360): Decimal("0.66"),
                   (weekdays, 600, 1440): Decimal("0.66")}


def read(rows_: dict, threshold: int, day: int, minute: int, key: str) -> Decimal | None:
    """A price as the views and cost_of read the stored rows (overrides.py's docstring)."""
    def windowed(t: int) -> Decimal | None:
        for (th, (days, start, end)), values in rows_.items():
            if th == t and (days, start, end) != NO_WINDOW and key in values and \
                    (days == "" or WEEKDAYS[day] in days.split(",")) and start <= minute < end:
                return values[key]
        return None

    for value in (windowed(threshold), rows_.get((threshold, NO_WINDOW), {}).get(key),
                  windowed(0), rows_.get((0, NO_WINDOW), {}).get(key)):
        if value is not None:
            return value
    return None


def direct(base: dict, entries: list[Override], threshold: int, day: int, minute: int,
           key: str) -> Decimal | None:
    """OpenRouter's rule: every entry whose conditions hold, in order, later wins per key."""
    prices = dict(base)
    for entry in entries:
        if entry.holds(threshold, day, minute):
            prices.update(entry.values)
    return prices.get(key)


KEYS = ("prompt", "completion", "input_cache_read")
values = st.dictionaries(st.sampled_from(KEYS), st.integers(1, 9).map(Decimal), max_size=3)
entries = st.builds(
    Override, tier=st.sampled_from([0, 0, 1000, 5000]),
    days=st.none() | st.frozensets(st.integers(0, 6), min_size=1),
    span=st.none() | st.tuples(st.integers(0, 47), st.integers(0, 47)).map(
        lambda s: (s[0] * 30, s[1] * 30)),
    values=values)


@settings(max_examples=300, deadline=None)
@given(base=values, listed=st.lists(entries, max_size=4), day=st.integers(0, 6),
       minute=st.integers(0, 1439), threshold=st.sampled_from([0, 1000, 5000]))
def test_stored_rows_read_as_openrouter_applies_the_entries(base, listed, day, minute,
                                                             threshold) -> None:
    stored = resolve(base, listed)
    thresholds = {0} | {e.tier for e in listed}
    at = max(t for t in thresholds if t <= threshold)  # the tier the prompt is in
    for key in KEYS:
        assert read(stored, at, day, minute, key) == direct(base, listed, at, day, minute, key)
    for (_, (days, start, end)), _values in stored.items():
        assert (0 <= start < end <= 1440 and (days, start, end) != ("", 0, 1440)) or \
            (days, start, end) == NO_WINDOW


@pytest.fixture(scope="module")
def capture_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("overrides") / "w.duckdb"
    result = runner.invoke(app, ["ingest", "openrouter.models",
                                 str(fixture_path("openrouter", CAPTURE)), "--observed-at",
                                 "2026-10-07T00:00:00Z", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db


def test_cost_prices_each_call_at_the_window_of_its_time(capture_db: Path) -> None:
    """Thursday 2026-10-08 and Sunday 2026-10-11, 02:00, 12:00 and 17:00 UTC."""
    pro, hy3 = "deepseek/deepseek-v4-pro-0813", "tencent/hy3"
    calls = [(f"2026-10-{d}T{h}:00:00Z", m) for d in ("08", "11") for h in ("02", "12", "17")
             for m in (pro, hy3)]
    log = "".join(json.dumps({"timestamp": t, "provider": "openrouter", "model": m,
                              "input_tokens": 1_000_000, "output_tokens": 1_000_000}) + "\n"
                  for t, m in calls)
    result = runner.invoke(app, ["cost", "-", "--json", "--db", str(capture_db)], input=log)
    assert result.exit_code == 0, result.output
    priced = {(r["timestamp"][:16], r["model"]): (r["input_price"], r["output_price"],
                                                  r["cost_usd"])
              for r in json.loads(result.stdout)}
    peak, off = ("1.32", "3.96", "5.28"), ("0.66", "1.98", "2.64")
    assert {k: v for k, v in priced.items() if k[1] == pro} == {
        ("2026-10-08T02:00", pro): peak, ("2026-10-08T12:00", pro): off,
        ("2026-10-08T17:00", pro): off, ("2026-10-11T02:00", pro): off,
        ("2026-10-11T12:00", pro): off, ("2026-10-11T17:00", pro): off}
    day, evening = ("0.132", "0.528", "0.66"), ("0.0825", "0.33", "0.4125")
    assert {k: v for k, v in priced.items() if k[1] == hy3} == {
        ("2026-10-08T02:00", hy3): day, ("2026-10-08T12:00", hy3): day,
        ("2026-10-08T17:00", hy3): evening, ("2026-10-11T02:00", hy3): day,
        ("2026-10-11T12:00", hy3): day, ("2026-10-11T17:00", hy3): evening}


def test_the_price_now_is_the_window_in_force(capture_db: Path) -> None:
    def price_at(ts: str) -> str:
        result = runner.invoke(app, ["sql", "SELECT price FROM prices_as_of(TIMESTAMPTZ "
                                     f"'{ts}') WHERE model = 'deepseek/deepseek-v4-pro-0813' "
                                     "AND component = 'input'", "--json",
                                     "--db", str(capture_db)])
        assert result.exit_code == 0, result.output
        [row] = json.loads(result.stdout)
        return row["price"]

    assert price_at("2026-10-08 02:00:00+00") == "1.32"
    assert price_at("2026-10-08 03:59:00+00") == "1.32"
    assert price_at("2026-10-08 04:00:00+00") == "0.66"  # the window's start is in it
    assert price_at("2026-10-10 02:00:00+00") == "0.66"  # Saturday


def test_an_alias_is_one_offer_and_reasoning_efforts_are_read(capture_db: Path) -> None:
    """`~deepseek/deepseek-pro-latest` is an alias of deepseek-v4-pro-0813 (alias_target):
    both ids stay offers, the alias names its target, and rankings count the model once."""
    def sql(query: str) -> list[dict]:
        result = runner.invoke(app, ["sql", query, "--json", "--db", str(capture_db)])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    offers = sql("SELECT model, alias_of FROM current_offers WHERE model IN "
                 "('~deepseek/deepseek-pro-latest', 'deepseek/deepseek-v4-pro-0813') ORDER BY 1")
    assert offers == [{"model": "deepseek/deepseek-v4-pro-0813", "alias_of": None},
                      {"model": "~deepseek/deepseek-pro-latest",
                       "alias_of": "deepseek/deepseek-v4-pro-0813"}]
    assert sql("SELECT count(*) AS n FROM cheapest_per_capability WHERE model LIKE '~%'") == \
        [{"n": 0}]
    assert sql("SELECT count(DISTINCT capability) > 0 AS ranked FROM cheapest_per_capability "
               "WHERE model = 'deepseek/deepseek-v4-pro-0813'") == [{"ranked": True}]
    raw = {m["id"]: m for m in json.loads(fixture_path("openrouter", CAPTURE).read_text())["data"]}
    with_efforts = [m for m, item in raw.items()
                    if (item.get("reasoning") or {}).get("supported_efforts")]
    model = with_efforts[0]
    [row] = sql(f"SELECT reasoning_efforts FROM current_offers WHERE model = '{model}'")
    assert row["reasoning_efforts"] == sorted(raw[model]["reasoning"]["supported_efforts"])
    unread = sql("SELECT path FROM unread_fields ORDER BY 1")
    assert unread == []  # benchmarks are read as scores (tests/test_scores.py)


def test_a_window_price_change_is_a_change_and_an_alert_of_its_own(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")

    def line(price: str, **key: object) -> str:
        return json.dumps({"kind": "price", "provider": "openrouter", "model": "a/b",
                           "component": "input", "unit": "per_1m_tokens", "price": price,
                           **key})

    def ingest(when: str, weekend: str, monday: str, tier: str) -> None:
        body = "\n".join([line("1"), line(weekend, utc_days=["saturday", "sunday"]),
                          line(monday, utc_days="mon", utc_start_minute=0,
                               utc_end_minute=60),
                          line(tier, context_threshold=200000)]) + "\n"
        result = runner.invoke(app, ["ingest", "records", "-", "--observed-at", when,
                                     "--db", db], input=body)
        assert result.exit_code == 0, result.output

    ingest("2026-10-01T00:00:00Z", "0.5", "0.5", "2")
    ingest("2026-10-02T00:00:00Z", "0.4", "0.4", "1.5")
    result = runner.invoke(app, ["sql", "SELECT alert_id, message FROM price_alerts WHERE "
                                 "kind = 'price_drop' ORDER BY message", "--json", "--db", db])
    alerts = json.loads(result.stdout)
    assert [a["message"] for a in alerts] == [
        "a/b at openrouter: input (mon 00:00-01:00 UTC) 0.5 -> 0.4 per_1m_tokens (-20%)",
        "a/b at openrouter: input (prompts over 200000 tokens) 2 -> 1.5 per_1m_tokens (-25%)",
        "a/b at openrouter: input (sat,sun 00:00-24:00 UTC) 0.5 -> 0.4 per_1m_tokens (-20%)"]
    assert len({a["alert_id"] for a in alerts}) == 3
    changes = json.loads(runner.invoke(app, ["sql", "SELECT utc_days, old_price, new_price "
                                             "FROM price_changes WHERE kind = 'changed' "
                                             "ORDER BY utc_days", "--json", "--db", db]).stdout)
    assert [(c["utc_days"], c["new_price"]) for c in changes] == [
        ("", "1.5"), ("mon", "0.4"), ("sat,sun", "0.4")]


def test_history_shows_each_window_beside_its_price(capture_db: Path) -> None:
    result = runner.invoke(app, ["history", "tencent/hy3", "--db", str(capture_db)],
                           env={"COLUMNS": "80"})
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    # one provider is said under the table (issue 31, item 1), not in a column
    assert "component price time_window valid_from valid_to" in lines
    assert "input 0.0825 16:00-24:00 UTC 2026-10-07" in lines
    assert "input 0.132 2026-10-07" in lines
    assert lines[-1] == "all at openrouter"


def test_compare_and_budget_list_the_windows_beside_the_price_now(capture_db: Path) -> None:
    expected = ["mon,tue,wed,thu,fri 00:00-01:00 UTC: cache_read 0.022, input 0.66, "
                "output 1.98",
                "mon,tue,wed,thu,fri 04:00-06:00 UTC: cache_read 0.022, input 0.66, "
                "output 1.98",
                "mon,tue,wed,thu,fri 10:00-24:00 UTC: cache_read 0.022, input 0.66, "
                "output 1.98",
                "sat,sun 00:00-24:00 UTC: cache_read 0.022, input 0.66, output 1.98"]
    model = "deepseek/deepseek-v4-pro-0813"
    for args in (["compare", model, "--format", "json"], ["budget", model, "--json"]):
        result = runner.invoke(app, [*args, "--db", str(capture_db)])
        assert result.exit_code == 0, result.output
        [row] = [r for r in json.loads(result.stdout) if r["model"] == model]
        assert row["price_windows"] == expected, args
