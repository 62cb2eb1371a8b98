"""Format drift is never silent: what a body holds that its parser does not read is named by
`parse`, stored with the run, counted by `status`, listed by `unread_fields` and alerted
once (`format_drift`), on the shared catalogues with an injected unknown pricing key."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from helpers import fixture_path
from pricewatch.cli.main import app

runner = CliRunner()


def with_unknown_key(name: str, tmp_path: Path) -> Path:
    data = json.loads(fixture_path("openrouter", name).read_text())
    data["data"][0]["pricing"]["video_second"] = "0.05"
    out = tmp_path / name
    out.write_text(json.dumps(data))
    return out


def test_an_unknown_pricing_key_is_named_stored_shown_and_alerted_once(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    may = with_unknown_key("models-2026-05-07.json", tmp_path)
    october = with_unknown_key("models-2026-10-07.json", tmp_path)
    first = json.loads(may.read_text())["data"][0]["id"]

    parsed = runner.invoke(app, ["parse", "openrouter.models", str(may)])
    assert parsed.exit_code == 0
    assert f"unread: data[].pricing.video_second (1 item, e.g. {first})" in parsed.stderr

    for path, day in ((may, "2026-05-07"), (october, "2026-10-07")):
        result = runner.invoke(app, ["ingest", "openrouter.models", str(path),
                                     "--observed-at", f"{day}T00:00:00Z", "--db", db])
        assert result.exit_code == 0, result.output
    status = json.loads(runner.invoke(app, ["status", "--json", "--db", db]).stdout)
    # October also sends benchmarks, read as scores since the quality issue: not unread
    assert [(s["source"], s["unread"]) for s in status] == [("openrouter.models", 1)]

    unread = json.loads(runner.invoke(app, ["sql", "SELECT path, runs, first_seen_at, "
                                            "last_items FROM unread_fields ORDER BY path",
                                            "--json", "--db", db]).stdout)
    assert [(u["path"], u["runs"], u["first_seen_at"][:10]) for u in unread] == [
        ("data[].pricing.video_second", 2, "2026-05-07")]

    alerts = json.loads(runner.invoke(app, ["sql", "SELECT component, detected_at, message "
                                            "FROM price_alerts WHERE kind = 'format_drift' "
                                            "AND component LIKE '%video%'", "--json",
                                            "--db", db]).stdout)
    assert len(alerts) == 1 and alerts[0]["detected_at"].startswith("2026-05-07")
    assert alerts[0]["message"].startswith(
        "openrouter.models sends data[].pricing.video_second that pricewatch does not read")
    # the price itself is stored under its own name, in the unit its name ends in
    price = json.loads(runner.invoke(app, ["sql", "SELECT price, unit FROM current_prices "
                                           "WHERE component = 'video_second'", "--json",
                                           "--db", db]).stdout)
    assert price == [{"price": "0.05", "unit": "per_second"}]


def test_reparse_keeps_the_unread_record_of_each_run(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    october = with_unknown_key("models-2026-10-07.json", tmp_path)
    runner.invoke(app, ["ingest", "openrouter.models", str(october), "--observed-at",
                        "2026-10-07T00:00:00Z", "--db", db])
    result = runner.invoke(app, ["reparse", "openrouter.models", "--db", db])
    assert result.exit_code == 0, result.output
    rows = json.loads(runner.invoke(app, ["sql", "SELECT count(*) AS n FROM run_unread",
                                          "--json", "--db", db]).stdout)
    assert rows == [{"n": 1}]  # pricing.video_second (benchmarks are read)


def test_keys_a_record_does_not_define_are_allowed_and_recorded(tmp_path: Path) -> None:
    line = ('{"kind": "price", "provider": "openrouter", "model": "a/b", "component": '
            '"input", "unit": "per_1m_tokens", "price": "1", "vendor_note": "%s"}\n')
    body = line % "x" + line.replace("a/b", "a/c") % "y"
    parsed = runner.invoke(app, ["parse", "records", "-"], input=body)
    assert parsed.exit_code == 0
    assert "unread: price.vendor_note (2 items, e.g. line 1)" in parsed.stderr
    db = str(tmp_path / "w.duckdb")
    result = runner.invoke(app, ["ingest", "records", "-", "--observed-at",
                                 "2026-10-07T00:00:00Z", "--db", db], input=body)
    assert result.exit_code == 0, result.output
    rows = json.loads(runner.invoke(app, ["sql", "SELECT source, path, last_items FROM "
                                          "unread_fields", "--json", "--db", db]).stdout)
    assert rows == [{"source": "records", "path": "price.vendor_note", "last_items": 2}]
