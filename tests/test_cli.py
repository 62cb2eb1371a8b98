"""The CLI as a user drives it: typer's CliRunner against a temporary DuckDB file."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from helpers import fixture_path, jsonl, price_line
from pricewatch.cli.main import app

runner = CliRunner()
README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
MODELS_2025 = fixture_path("openrouter", "models-2025-12-18.json")
MODELS_2026 = fixture_path("openrouter", "models-2026-01-29.json")


def run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_parse_prints_contract_json_lines() -> None:
    code, out, _ = run("parse", "openrouter.models", str(MODELS_2025))
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    gpt = [r for r in lines if r.get("model") == "openai/gpt-4o-mini" and r["kind"] == "price"]
    assert {(r["component"], r["price"], r["unit"]) for r in gpt} >= {
        ("input", "0.15", "per_1m_tokens"), ("output", "0.6", "per_1m_tokens")}
    for record in lines:
        assert record["kind"] in ("price", "offer")
        if record["kind"] == "price":
            assert set(record) >= {"provider", "model", "route", "component", "service_tier",
                                   "context_threshold", "unit", "price", "currency",
                                   "effective_from"}
            assert record["price"] is None or "e" not in record["price"].lower()


def test_parse_then_ingest_records_from_stdin_equals_direct_ingest(tmp_path: Path) -> None:
    _, out, _ = run("parse", "openrouter.models", str(MODELS_2025))
    piped, direct = tmp_path / "piped.duckdb", tmp_path / "direct.duckdb"
    code, _, err = run("ingest", "records", "-", "--observed-at", "2025-12-18T00:00:00Z",
                       "--db", str(piped), stdin=out)
    assert code == 0, err
    code, _, err = run("ingest", "openrouter.models", str(MODELS_2025), "--observed-at",
                       "2025-12-18T00:00:00Z", "--db", str(direct))
    assert code == 0, err
    query = ("SELECT source, provider, model, route, component, unit, price, valid_from "
             "FROM price_history ORDER BY ALL")
    _, a, _ = run("sql", query, "--db", str(piped), "--json")
    _, b, _ = run("sql", query, "--db", str(direct), "--json")
    assert json.loads(a) == json.loads(b)
    assert len(json.loads(a)) > 700


def test_ingest_status_history_and_sql(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    code, out, _ = run("ingest", "openrouter.models", str(MODELS_2025), "--observed-at",
                       "2025-12-18", "--db", db, "--json")
    assert code == 0
    first = json.loads(out)[0]
    assert first["status"] == "ok" and first["run_id"] == 1
    code, out, _ = run("ingest", "openrouter.models", str(MODELS_2026), "--observed-at",
                       "2026-01-29", "--db", db, "--json")
    assert json.loads(out)[0]["status"] == "ok"
    code, out, _ = run("status", "--db", db, "--json")
    status = json.loads(out)
    assert [(s["source"], s["last_status"], s["runs"]) for s in status] == [
        ("openrouter.models", "ok", 2)]
    assert status[0]["last_good_at"] == "2026-01-29T00:00:00Z"
    code, out, _ = run("history", "openai/gpt-4o-mini", "--db", db, "--json")
    assert code == 0
    rows = json.loads(out)
    inputs = [r for r in rows if r["component"] == "input"]
    assert [(r["price"], r["valid_from"], r["valid_to"]) for r in inputs] == [
        ("0.15", "2025-12-18T00:00:00Z", None)]
    code, out, _ = run("sql", "SELECT count(*) AS n FROM runs", "--db", db, "--json")
    assert json.loads(out) == [{"n": 2}]


def test_history_of_unknown_model_lists_close_matches(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    run("ingest", "openrouter.models", str(MODELS_2025), "--observed-at", "2025-12-18",
        "--db", db)
    code, _, err = run("history", "openai/gpt-4o-minii", "--db", db)
    assert code == 1
    assert "close matches" in err and "openai/gpt-4o-mini" in err


def test_an_unknown_model_gets_at_most_five_suggestions(tmp_path: Path) -> None:
    """Not the whole catalogue (it once printed 9.8 KB of model ids)."""
    db = str(tmp_path / "w.duckdb")
    run("ingest", "openrouter.models", str(MODELS_2025), "--observed-at", "2025-12-18",
        "--db", db)
    code, _, err = run("budget", "Llama 9 405B", "--db", db)
    assert code == 1
    suggestions = err.split("close matches: ")[1].strip().split(", ")
    assert 0 < len(suggestions) <= 5 and len(err) < 400
    assert all("llama" in name for name in suggestions)
    code, _, err = run("budget", "zzzz-nothing-like-it", "--db", db)
    assert code == 1 and err.strip().endswith("known") and len(err) < 200


@pytest.mark.parametrize(("bad_line", "expected"), [
    ("{not json", "line 2: not a JSON object"),
    (price_line("m", "-1"), "line 2, field 'price': price must not be negative"),
    (price_line("m", "ten"), "line 2, field 'price'"),
    (price_line("m", "1", unit="per_token"), "line 2, field 'unit'"),
    (price_line("m", "1", observed_at="2026-01-01T00:00:00"), "line 2, field 'observed_at'"),
])
def test_bad_records_file_is_rejected_whole(tmp_path: Path, bad_line: str, expected: str) -> None:
    db = tmp_path / "w.duckdb"
    file = tmp_path / "in.jsonl"
    file.write_bytes(jsonl(price_line("ok", "1"), bad_line, price_line("ok2", "2")))
    code, _, err = run("ingest", "records", str(file), "--observed-at", "2026-01-01",
                       "--db", str(db))
    assert code == 1
    assert expected in " ".join(err.split())
    if db.exists():
        code, out, _ = run("sql", "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM "
                           "price_history) + (SELECT count(*) FROM raw_bodies) AS n",
                           "--db", str(db), "--json")
        assert json.loads(out) == [{"n": 0}]


def test_naive_observed_at_is_rejected(tmp_path: Path) -> None:
    code, _, err = run("ingest", "openrouter.models", str(MODELS_2025), "--observed-at",
                       "2025-12-18T10:00:00", "--db", str(tmp_path / "w.duckdb"))
    assert code == 2  # an option whose text is no aware time: a usage error
    assert "no timezone" in err


def test_unknown_source_lists_the_known_ones(tmp_path: Path) -> None:
    code, _, err = run("ingest", "acme.prices", str(MODELS_2025), "--observed-at",
                       "2025-12-18", "--db", str(tmp_path / "w.duckdb"))
    assert code == 1
    assert "unknown source" in err and "openrouter.models" in err


def test_sql_error_is_one_clean_line(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    run("ingest", "openrouter.models", str(MODELS_2025), "--observed-at",
        "2025-12-18T00:00:00Z", "--db", db)
    code, _, err = run("sql", "SELECT * FROM nowhere", "--db", db)
    assert code == 1
    assert "query failed" in err and "Traceback" not in err


def test_every_command_has_help() -> None:
    for command in app.registered_commands:
        assert command.callback is not None and command.callback.__doc__, command.name
        name = command.name or command.callback.__name__.replace("_", "-")
        code, out, _ = run(name, "--help")
        assert f"pricewatch {name}" in README, f"README has no example of {name}"
        assert code == 0 and "Usage" in out


def test_a_named_command_is_built_alone_and_answers_the_same() -> None:
    """Issue 32: every start imported all command modules and typer built all ~60 commands'
    parameters (together ~35 ms) to run one. `pricewatch NAME ...` now imports and builds
    NAME alone (`main.for_command`); its help, its usage errors and its sub-commands are
    what the whole program gives."""
    import typer

    from pricewatch.cli.main import asked, for_command

    whole = typer.main.get_command(app)
    assert len(whole.commands) >= 20
    for name, command in whole.commands.items():
        alone = for_command(name)
        assert alone is not None, name
        assert list(typer.main.get_command(alone).commands) == [name]
        calls = [[name, "--help"], ["--all", name, "--help"], [name, "--no-such-option"],
                 *([name, sub, "--help"] for sub in getattr(command, "commands", {}))]
        for args in calls:
            expected = runner.invoke(app, args, terminal_width=100)
            got = runner.invoke(alone, args, terminal_width=100)
            assert (got.exit_code, got.output) == (expected.exit_code, expected.output), args
    assert for_command("statsu") is None  # the whole program: it suggests `status`
    assert asked(["--wide", "-v", "status", "--json"]) == "status"
    assert asked(["--help"]) is None and asked(["--version"]) is None
    assert asked(["--", "status"]) is None and asked([]) is None


def test_a_read_command_imports_no_other_command_module(tmp_path: Path) -> None:
    """What `pricewatch status` imports of pricewatch.cli: the module of its command and
    the shared layer, not the modules of the writers (db, backfill, collect, alerts)."""
    import subprocess
    import sys

    probe = ("import sys\nfrom pricewatch.cli import main\nmain.for_command(sys.argv[1])\n"
             "print(sorted(m for m in sys.modules if m.startswith('pricewatch.cli.')))")
    for name, modules in {"status": ["app", "main", "output", "read"],
                          "cheapest": ["app", "main", "output", "prices", "read"],
                          "db": ["app", "db", "main", "output"]}.items():
        done = subprocess.run([sys.executable, "-c", probe, name], capture_output=True,
                              text=True, cwd=tmp_path, check=True)
        assert done.stdout.strip() == repr([f"pricewatch.cli.{m}" for m in modules]), name


def test_wrong_setting_names_the_key(tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "pw.toml"
    config.write_text("lock_timeout_s = 'soon'\n")
    code, _, err = run("status", "--config", str(config), "--db", str(tmp_path / "w.duckdb"))
    assert code == 1
    assert "lock_timeout_s" in err and "PRICEWATCH_LOCK_TIMEOUT_S" in " ".join(err.split())
    config.write_text("db_pth = 'x.duckdb'\n")
    code, _, err = run("status", "--config", str(config))
    assert code == 1 and "unknown setting 'db_pth'" in err
    monkeypatch.setenv("PRICEWATCH_SUSPECT_RATIO", "2")
    code, _, err = run("status", "--db", str(tmp_path / "w.duckdb"))
    assert code == 1 and "suspect_ratio" in err


def _table_lines(stdout: str) -> list[str]:
    """A table's data lines: below the header rule, up to the blank line that ends the
    table (a footnote may follow it)."""
    lines = stdout.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.strip().startswith("─"))
    body = lines[rule + 1:]
    end = next((i for i, line in enumerate(body) if not line.strip()), len(body))
    return body[:end]


@pytest.mark.parametrize("command", [
    ["status"], ["changes", "--since", "2025-01-01T00:00:00Z"], ["cheapest", "-n", "3"],
    ["alerts", "--since", "2025-01-01T00:00:00Z"], ["budget"],
    ["budget", "openai/gpt-4o-mini", "Llama 3.3 70B"], ["history", "openai/gpt-4o-mini"],
    ["sql", "SELECT model, component, price, valid_from, valid_to FROM price_history "
            "ORDER BY ALL LIMIT 20"],
], ids=lambda c: " ".join(c[:2]))
def test_tables_print_one_line_per_row_at_80_columns(tmp_path: Path, command: list[str],
                                                     monkeypatch) -> None:
    import subprocess
    import sys

    db = str(tmp_path / "w.duckdb")
    run("ingest", "openrouter.models", str(MODELS_2025), "--observed-at", "2025-12-18", "--db", db)
    run("ingest", "openrouter.models", str(MODELS_2026), "--observed-at", "2026-01-29", "--db", db)
    env = {"COLUMNS": "80", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    table = subprocess.run([sys.executable, "-m", "pricewatch", *command, "--db", db, "--all"],
                           capture_output=True, text=True, env=env, check=True).stdout
    rows = json.loads(subprocess.run([sys.executable, "-m", "pricewatch", *command, "--db", db,
                                      "--json"], capture_output=True, text=True, env=env,
                                     check=True).stdout)
    assert rows, command
    assert max(len(line) for line in table.splitlines()) <= 80
    assert len(_table_lines(table)) == len(rows)


def test_table_times_read_by_age_and_interval_edges_by_date() -> None:
    from datetime import UTC, datetime, timedelta

    from pricewatch.cli import output

    now = datetime.now(UTC)
    assert output.cell(now - timedelta(hours=3), "observed_at") == "3 h ago"
    assert output.cell(now + timedelta(days=2, minutes=1), "next_run_at") == "in 2 d"
    midnight = datetime(2026, 1, 29, tzinfo=UTC)
    assert output.cell(midnight, "valid_from") == "2026-01-29"
    assert output.cell(midnight + timedelta(hours=6, minutes=30), "valid_to") == \
        "2026-01-29 06:30"
    assert output.cell(midnight + timedelta(seconds=5), "observed_at", relative=False) == \
        "2026-01-29 00:00:05"


def test_tables_use_the_whole_width() -> None:
    """Six columns of 62 characters take 79 with SIMPLE_HEAD's padding: they fit in 80."""
    from pricewatch.cli.output import _fitting

    columns = ["a" * 10, "b" * 11, "c" * 8, "d" * 13, "e" * 10, "f" * 10]
    assert len(_fitting(columns, [], 79, keep=1)) == 6
    assert len(_fitting(columns, [], 78, keep=1)) == 5


_CELL = st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False, places=4),
                  st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
                  st.sampled_from(["x:free:y", "[red]x[/]", "日本語", "a\tb", "é" * 30,
                                   "0.2 → 0.8 (+300%)", "e\u0301", "vendor/" + "m" * 50]))


@given(columns=st.lists(st.sampled_from(["model", "provider", "price", "a", "component",
                                          "a_much_longer_column_name", "message"]),
                        min_size=1, max_size=7, unique=True),
       cells=st.lists(st.lists(_CELL, min_size=7, max_size=7), max_size=9),
       width=st.integers(min_value=20, max_value=160), color=st.booleans(),
       title=st.one_of(st.none(), st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                          max_size=90)))
def test_a_table_drawn_from_its_first_row_is_the_table_rich_draws(
        columns: list[str], cells: list[list[object]], width: int, color: bool,
        title: str | None) -> None:
    """Issue 32: rich lays out every row anew (~0.3 ms: 3 s for `--all` of 10,000 rows). A
    table of plain cells is drawn from rich's first row (output._drawn_alike); whatever
    the cells, widths, title and colours, the text is rich's own, row by row."""
    import io
    from unittest import mock

    from rich.cells import cell_len
    from rich.console import Console

    from pricewatch.cli import output

    rows = [dict(zip(columns, row, strict=False)) for row in cells]
    taken, original = [], output._drawn_alike

    def alike(*args: object) -> bool:
        taken.append(original(*args))
        return taken[-1]

    def drawn(fast: bool) -> str:
        console = Console(file=io.StringIO(), width=width, force_terminal=color,
                          color_system="truecolor" if color else None)
        with mock.patch.object(output, "console", console), \
                mock.patch.object(output, "ALL", True), \
                mock.patch.object(output, "_drawn_alike", alike if fast
                                  else lambda *args: False):
            output.emit(rows, columns, as_json=False, title=title, footnote="a note")
        return console.file.getvalue()

    assert drawn(True) == drawn(False)
    shown = [[output.cell(row.get(c), c) for c in columns] for row in rows]
    widths = output._fitting(columns, shown, width, keep=4)  # the columns that fit
    fits = sum(w + 3 for w in widths) - 1 <= width
    plain = all(cell_len(x) == len(x) and "\t" not in x and "\u0301" not in x
                for row in shown for x in row[:len(widths)])
    assert taken == [len(rows) >= 2 and plain and fits]  # plain cells: the fast way


def test_a_cell_is_shown_as_written_never_as_an_emoji(tmp_path: Path) -> None:
    """rich reads `:name:` in a cell as an emoji code: `vendor/m:free:beta` was drawn as
    `vendor/m🆓beta`. Cells, titles, footnotes and error lines are text, as written."""
    import io
    from unittest import mock

    from rich.console import Console

    from pricewatch.cli import output

    for count in (1, 3):
        console = Console(file=io.StringIO(), width=80, color_system=None)
        with mock.patch.object(output, "console", console):
            output.emit([{"model": "vendor/m:free:beta", "note": "[red]x[/]"}] * count,
                        ["model", "note"], as_json=False, title="of x:free:y",
                        footnote="at :free:")
        drawn = console.file.getvalue()
        assert drawn.count("vendor/m:free:beta") == count and "🆓" not in drawn
        assert "of x:free:y" in drawn and "at :free:" in drawn
        assert drawn.count("[red]x[/]") == count
    said = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="standard")
    with mock.patch.object(output, "errors", said):
        output.fail("no prices of 'vendor/m:free:beta' [red]")
        output.warn("at :free:")
    lines = said.file.getvalue().splitlines()
    assert "🆓" not in said.file.getvalue() and "\x1b[1;31merror:" in lines[0]
    assert lines[0].endswith(" no prices of 'vendor/m:free:beta' [red]")
    assert lines[1].endswith(" at :free:") and "warning:" in lines[1]


def test_cells_are_cut_so_ids_stay_apart() -> None:
    from pricewatch.cli.output import cut

    free, paid = "meta-llama/llama-3.3-70b-instruct:free", "meta-llama/llama-3.3-70b-instruct"
    assert cut(free, 21, "model") == "meta-lla…nstruct:free"
    assert cut(paid, 21, "model") == "meta-lla…70b-instruct"
    assert len(cut(free, 21, "model")) == 21 and cut(paid, 40, "model") == paid
    assert cut("cheapest for coding now: qwen/qwen3-coder", 12, "message") == "cheapest fo…"


@pytest.mark.parametrize(("row", "cell"), [
    ({"kind": "changed", "old_price": Decimal("0.2"), "new_price": Decimal("0.8"),
      "change_pct": Decimal("300")}, "0.2 → 0.8 (+300%)"),
    ({"kind": "changed", "old_price": Decimal("0.15"), "new_price": Decimal("0.1"),
      "change_pct": Decimal("-33.333333")}, "0.15 → 0.1 (-33.3%)"),
    ({"kind": "changed", "old_price": Decimal("0"), "new_price": Decimal("0.1"),
      "change_pct": None}, "0 → 0.1"),
    ({"kind": "listed", "old_price": None, "new_price": Decimal("0.8"), "change_pct": None},
     "listed at 0.8"),
    ({"kind": "unlisted", "old_price": Decimal("0.000217"), "new_price": None,
      "change_pct": None}, "unlisted (was 0.000217)"),
])
def test_a_change_reads_in_one_cell(row: dict, cell: str) -> None:
    from pricewatch.cli.prices import change_cell

    assert change_cell(row) == cell


def test_small_refusals_are_one_line_not_a_traceback(tmp_path: Path) -> None:
    """Issue 29, item 12: each of these exited 70 with a traceback."""
    db = str(tmp_path / "w.duckdb")
    runner.invoke(app, ["ingest", "records", "-", "--observed-at", "2026-01-01T00:00:00Z",
                        "--db", db], input=jsonl(price_line("a/one", "1")).decode())
    existing = tmp_path / "a-file.txt"
    existing.write_text("x")
    config = tmp_path / "pw.toml"
    config.write_text('[[channels]]\nname = "w"\nwebhook_url = "http://127.0.0.1:9/hook"\n')
    for args, said in (
            (["budget", "--input", "1" + "0" * 27 + "M", "--db", db], "tokens a month"),
            (["export", "--out", str(existing), "--db", db], "is a file"),
            (["alerts", "test", "w", "--config", str(config), "--db", db], "not delivered")):
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert said in result.stderr and len(result.stderr.strip().splitlines()) == 1, args
    assert existing.read_text() == "x"


def test_wide_and_verbose_work_after_the_command_name_too(tmp_path: Path) -> None:
    """Every table that leaves columns out says "(+N columns: --wide, --json)": the flag
    works where a user types it, after the command, as before it."""
    from helpers import ingest_catalogues

    db = ingest_catalogues(tmp_path / "w.duckdb", ["2026-05-07"])
    model = "openai/gpt-4o-mini"
    narrow = runner.invoke(app, ["history", model, "--db", str(db)], terminal_width=80)
    before = runner.invoke(app, ["--wide", "history", model, "--db", str(db)],
                           terminal_width=80)
    after = runner.invoke(app, ["history", model, "--db", str(db), "--wide"],
                          terminal_width=80)
    assert narrow.exit_code == before.exit_code == after.exit_code == 0, after.output
    assert "(+2 columns: --wide, --json)" in narrow.output
    assert after.output == before.output and "columns: --wide" not in after.output
    assert "service_tier" in after.output and "service_tier" not in narrow.output
    quoted = runner.invoke(app, ["sql", "SELECT '--wide' AS flag", "--db", str(db), "--json"])
    assert json.loads(quoted.output) == [{"flag": "--wide"}]  # a value, not the flag


def test_version() -> None:
    from pricewatch import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"pricewatch {__version__}\n"
    assert __version__ != "0+unknown"
    # shell completion (issue 31, item 11): --install-completion was rejected
    completion = runner.invoke(app, ["--show-completion", "bash"])
    assert completion.exit_code == 0 and "_pricewatch_completion" in completion.output
    shown = runner.invoke(app, ["--help"], terminal_width=100).output
    assert "--install-completion" in shown and "<bool>" not in shown


def test_status_reads_the_next_run_from_the_heartbeat_as_a_time(tmp_path: Path) -> None:
    """The heartbeat's next_run_at was shown raw (ISO with microseconds): it is a time, `in
    N min` in the table and ISO UTC in --json, like every other time."""
    from datetime import UTC, datetime, timedelta

    from helpers import ingest_catalogues

    db = ingest_catalogues(tmp_path / "w.duckdb", ["2026-05-07"])
    soon = datetime.now(UTC) + timedelta(minutes=30, seconds=20, microseconds=123456)
    beat = tmp_path / "beat.json"
    beat.write_text(json.dumps({"jobs": {"openrouter.models": {
        "next_run_at": soon.isoformat()}}}))
    config = tmp_path / "c.toml"
    config.write_text(f'[daemon]\nheartbeat_file = "{beat}"\n')
    shown = runner.invoke(app, ["status", "--db", str(db), "--config", str(config),
                                "--wide"])
    assert shown.exit_code == 0, shown.output
    assert "in 30 min" in shown.output and soon.isoformat()[:16] not in shown.output
    rows = json.loads(runner.invoke(app, ["status", "--db", str(db), "--config", str(config),
                                          "--json"]).output)
    (row,) = [r for r in rows if r["source"] == "openrouter.models"]
    assert row["next_run_at"] == soon.isoformat().replace("+00:00", "Z")


def test_one_exit_code_rule_for_option_values(tmp_path: Path) -> None:
    """Issue 31, items 3, 7 and 8: text an option cannot be read as is a usage error (2);
    a readable value that cannot be used (a future observation, a folder for a file, a
    suspect ingest) is rejected input (1). Each with one line."""
    from helpers import ingest_catalogues

    db = str(ingest_catalogues(tmp_path / "w.duckdb", ["2026-05-07"]))
    capture = str(fixture_path("openrouter", "models-2026-05-07.json"))
    for args in (["changes", "--since", "yesterday"], ["alerts", "--since", "soon"],
                 ["cheapest", "--mix", "abc"], ["cheapest", "--at", "noon"],
                 ["budget", "--input", "-10M", "--output", "1M"],
                 ["budget", "--input", "10M", "--output", "lots"],
                 ["compare", "openai/gpt-4o-mini", "--workload", "abc"],
                 ["ingest", "openrouter.models", capture, "--observed-at", "tomorrow"]):
        result = runner.invoke(app, [*args, "--db", db])
        assert result.exit_code == 2, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
    future = runner.invoke(app, ["ingest", "openrouter.models", capture, "--observed-at",
                                 "2099-01-01T00:00:00Z", "--db", db])
    assert future.exit_code == 1 and "in the future" in future.stderr
    folder = runner.invoke(app, ["ingest", "openrouter.models", str(tmp_path), "--db", db,
                                 "--observed-at", "2026-05-08T00:00:00Z"])
    assert folder.exit_code == 1 and "is a folder" in folder.stderr
    assert "does not exist" not in folder.stderr
    # a catalogue cut to a tenth is suspect: no history written, and exit 1 as `collect`
    data = json.loads(Path(capture).read_text())
    data["data"] = data["data"][:30]
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(data))
    suspect = runner.invoke(app, ["ingest", "openrouter.models", str(cut), "--db", db,
                                  "--observed-at", "2026-05-09T00:00:00Z"])
    assert suspect.exit_code == 1 and "suspect" in suspect.output
    runs = runner.invoke(app, ["sql", "SELECT count(*) AS n FROM runs WHERE status = 'ok'",
                               "--db", db, "--json"])
    assert json.loads(runs.output) == [{"n": 1}]


def test_filters_that_name_nothing_are_errors_with_close_matches(tmp_path: Path) -> None:
    """Issue 31, item 6: `changes --provider foo` and `alerts --kind price_dorp` printed
    `(no rows)`, and `history MODEL --provider foo` blamed the model."""
    from helpers import ingest_catalogues

    db = str(ingest_catalogues(tmp_path / "w.duckdb", ["2026-01-29", "2026-05-07"]))
    typo = runner.invoke(app, ["alerts", "--kind", "price_dorp", "--db", db])
    assert typo.exit_code == 1 and "unknown alert kind 'price_dorp'" in typo.stderr
    assert "close matches: price_drop" in typo.stderr
    foo = runner.invoke(app, ["changes", "--provider", "openroutr", "--db", db])
    assert foo.exit_code == 1 and "close matches: openrouter" in foo.stderr
    known = runner.invoke(app, ["changes", "--provider", "vertex", "--db", db,
                                "--since", "2020-01-01"])
    assert known.exit_code == 0  # a provider without changes here is not a typo
    elsewhere = runner.invoke(app, ["history", "openai/gpt-4o-mini", "--provider", "nscale",
                                    "--db", db])
    assert elsewhere.exit_code == 1
    assert "no prices of 'openai/gpt-4o-mini' from 'nscale'; it has prices from openrouter" \
        in elsewhere.stderr


def test_the_alert_kinds_listed_are_the_kinds_the_view_writes() -> None:
    import re

    from pricewatch import queries

    sql = queries._files()["price_alerts"].split("CREATE", 1)[1]
    written = set(re.findall(r"'([a-z_]+)' AS kind", sql)) | set(
        re.findall(r"THEN '([a-z_]+)' ELSE '([a-z_]+)' END AS kind", sql)[0]) | set(
        re.findall(r"THEN '([a-z_]+)' ELSE '([a-z_]+)' END AS kind", sql)[1])
    assert set(queries.alert_kinds()) == written and len(written) == 10


def test_a_read_command_on_a_missing_file_names_it_and_creates_nothing(tmp_path: Path) -> None:
    """Issue 31, item 2: `status --db /tmp/typo.duckdb` exited 0 with an empty table and
    left a 1.5 MB warehouse behind; `sql` and `report` too."""
    typo = tmp_path / "typo.duckdb"
    for args in (["status"], ["sql", "SELECT 1"], ["history", "a/b"], ["changes"],
                 ["alerts"], ["cheapest"], ["budget", "--input", "1M", "--output", "1M"],
                 ["report", "--out", str(tmp_path / "r.html")], ["db", "info"],
                 ["export", "--out", str(tmp_path / "x")]):
        result = runner.invoke(app, [*args, "--db", str(typo)])
        assert result.exit_code == 1, (args, result.output)
        assert f"no warehouse at {typo}" in result.stderr, args
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    created = runner.invoke(app, ["ingest", "records", "-", "--db", str(typo),
                                  "--observed-at", "2026-01-01T00:00:00Z"],
                            input=jsonl(price_line("a/one", "1")).decode())
    assert created.exit_code == 0 and typo.exists()  # a writing command creates it
    assert runner.invoke(app, ["status", "--db", str(typo)]).exit_code == 0


def test_cheapest_with_free_offers_shows_which_rank_1_is_free(tmp_path: Path) -> None:
    """Issue 31, item 9: `cheapest --include-free` showed two "rank 1" rows per capability
    at 80 columns with is_free cut off."""
    from helpers import ingest_catalogues

    db = str(ingest_catalogues(tmp_path / "w.duckdb", ["2026-05-07"]))
    shown = runner.invoke(app, ["cheapest", "-c", "coding", "-n", "1", "--include-free",
                                "--db", db], terminal_width=80)
    assert shown.exit_code == 0, shown.output
    header = next(line for line in shown.output.splitlines() if "rank" in line)
    assert header.split()[:3] == ["capability", "rank", "is_free"]
    rows = [line.split() for line in shown.output.splitlines() if line.strip().startswith(
        "coding")]
    assert sorted(row[2] for row in rows) == ["False", "True"]


def test_cut_ids_stay_distinct() -> None:
    """Issue 31, item 9: two ids cut in the middle must not read the same."""
    from pricewatch.cli.output import cut, cut_column

    ids = ["allenai/olmo-3-32b-think:free", "allenai/olmo-3.1-32b-think:free",
           "allenai/olmo-3-32b-think:free", "meta-llama/llama-3.1-8b-instruct"]
    assert cut(ids[0], 20, "model") == cut(ids[1], 20, "model")  # the usual split collides
    shown = cut_column(ids, 20, "model")
    assert len(set(shown)) == 3 and shown[0] == shown[2]
    assert all(len(value) <= 20 and "…" in value for value in shown)
    assert shown[0].startswith("all") and shown[0].endswith("32b-think:free")
    # other columns are cut at their end, ids that fit are left alone
    assert cut_column(["a" * 30], 10, "message") == ["a" * 9 + "…"]
    assert cut_column(["openai/gpt-4o"], 20, "model") == ["openai/gpt-4o"]


def test_titles_stay_on_one_line_at_80_columns(tmp_path: Path) -> None:
    """Issue 31, item 9: the titles of budget, compare and cost wrapped; what qualifies the
    figures (rounding, what was not priced) is a line under the table now."""
    from helpers import ingest_catalogues

    db = str(ingest_catalogues(tmp_path / "w.duckdb", ["2026-05-07"]))
    log = tmp_path / "u.jsonl"
    log.write_text(json.dumps({"timestamp": "2026-05-07T12:00:00Z", "model": "acme/none",
                               "provider": "openrouter", "input_tokens": 10,
                               "output_tokens": 1}) + "\n")
    for args, title, note in (
            (["budget", "--input", "10M", "--output", "5M"],
             "monthly cost of 10M input + 5M output tokens", "rounded half-even"),
            (["compare", "openai/gpt-4o-mini"], "workload 10M:5M tokens a month",
             "rounded half-even"),
            (["cost", str(log)], "priced calls: USD 0 exact", "1 not priced (status)")):
        result = runner.invoke(app, [*args, "--db", db], terminal_width=80)
        assert result.exit_code == 0, (args, result.output)
        lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
        assert lines[0].startswith(title), (args, lines[0])
        assert all(len(line) <= 80 for line in result.stdout.splitlines()), args
        assert any(note in line for line in lines[1:]), args


def test_every_data_command_takes_one_format_vocabulary_and_out(tmp_path: Path) -> None:
    """Issue 30, item 5: --format had four vocabularies; every data command now takes table,
    json, jsonl, csv and md, and --out. The data formats have every column, exact."""
    import csv
    import io

    from helpers import ingest_catalogues

    db = str(ingest_catalogues(tmp_path / "w.duckdb", ["2026-01-29", "2026-05-07"]))
    commands = (["status"], ["history", "openai/gpt-4o-mini"], ["sql", "SELECT 1 AS one"],
                ["changes", "--since", "2026-01-01"], ["alerts", "--since", "2026-01-01"],
                ["cheapest", "-n", "2"], ["budget", "openai/gpt-4o-mini", "--input", "10M",
                                            "--output", "5M"],
                ["compare", "openai/gpt-4o-mini"], ["sources"], ["db", "info"])
    def steady(rows: list[dict]) -> list[dict]:
        """Without status's age_s, which counts from now: a second can pass between calls."""
        return [{k: v for k, v in row.items() if k != "age_s"} for row in rows]

    for args in commands:
        base = [*args, "--db", db]
        as_json = steady(json.loads(runner.invoke(app, [*base, "--json"]).stdout))
        assert as_json, args
        jsonl = runner.invoke(app, [*base, "--format", "jsonl"])
        assert steady([json.loads(line) for line in jsonl.stdout.splitlines()]) == as_json, \
            args
        table = list(csv.DictReader(io.StringIO(runner.invoke(app, [*base, "--format",
                                                                    "csv"]).stdout)))
        assert steady([dict(row) for row in table]) == [
            {k: "" if v is None else (", ".join(map(str, v)) if isinstance(v, list)
                                      else str(v)) for k, v in row.items()}
            for row in as_json], args
        md = runner.invoke(app, [*base, "--format", "md"]).stdout
        assert md.count("\n| ") >= len(as_json), args
        out = tmp_path / f"{args[0]}.json"
        written = runner.invoke(app, [*base, "--format", "json", "--out", str(out)])
        assert written.exit_code == 0 and written.stdout == "", args
        assert steady(json.loads(out.read_text())) == as_json, args
    bad = runner.invoke(app, ["status", "--db", db, "--format", "yaml"])
    assert bad.exit_code == 2 and "table, json, jsonl, csv, md" in bad.stderr
    # money: exact in the data formats, rounded for people
    budget = [*commands[6], "--db", db]
    exact = json.loads(runner.invoke(app, [*budget, "--format", "jsonl"]).stdout.splitlines()[0])
    assert exact["monthly_cost"] == json.loads(runner.invoke(app, [*budget, "--json"]).stdout
                                               )[0]["monthly_cost"]


def test_history_keeps_both_ends_of_each_interval_in_80_columns(tmp_path: Path) -> None:
    """Issue 31, item 1: a real run's times have seconds, and `valid_to` was the column left
    out at 80 columns (three rows without ends: which is current?). Edges read to the minute,
    one provider is said under the table, and two current prices of one component show
    their tier."""
    import subprocess
    import sys

    db = str(tmp_path / "w.duckdb")
    tiered = {"context_threshold": 200000}
    for at, prices in (("2026-01-29T06:30:12Z", [("input", "1.25", {}),
                                                ("audio_cache_read", "0.125", {}),
                                                ("image_input", "0.00000125", {})]),
                       ("2026-10-07T10:15:42Z", [("input", "1.25", {}),
                                                ("input", "2.5", tiered),
                                                ("audio_cache_read", "0.125", {})])):
        log = tmp_path / "records.jsonl"
        log.write_bytes(jsonl(*(price_line("g/pro", price, component, **extra)
                                for component, price, extra in prices)))
        run("ingest", "records", str(log), "--observed-at", at, "--db", db)
    env = {"COLUMNS": "80", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    table = subprocess.run([sys.executable, "-m", "pricewatch", "history", "g/pro", "--db", db],
                           capture_output=True, text=True, env=env, check=True).stdout
    lines = [line.rstrip() for line in table.splitlines() if line.strip()]
    assert max(len(line) for line in lines) <= 80
    # the unit is the first to go when the row is too wide; the title says so
    assert "(+4 columns: --wide, --json)" in lines[0]
    assert lines[1].split() == ["component", "tier", "price", "valid_from", "valid_to"]
    assert [line.split() for line in lines[3:-1]] == [
        ["audio_cache_read", "0.125", "2026-01-29", "06:30"],
        ["image_input", "0.00000125", "2026-01-29", "06:30", "2026-10-07", "10:15"],
        ["input", "1.25", "2026-01-29", "06:30"],
        ["input", ">200K", "2.5", "2026-10-07", "10:15"]]
    assert lines[-1] == "all at openrouter"


def test_changes_come_in_one_order(tmp_path: Path) -> None:
    """`changes` was ordered by time, provider, model, route and component only: the rows of
    one component at several tiers or units came in any order, so the same command gave
    other JSON each time. They are ordered by every key column the view has."""
    from helpers import ingest_catalogues

    db = str(ingest_catalogues(tmp_path / "w.duckdb", ["2026-05-07", "2026-10-07"]))
    rows = json.loads(runner.invoke(app, ["changes", "--since", "2025-01-01", "--db", db,
                                          "--json"]).stdout)
    key = ("changed_at", "provider", "model", "route", "component", "service_tier",
           "context_threshold", "unit", "currency", "usage_tier_start", "utc_days",
           "utc_start_minute", "utc_end_minute", "source", "kind")

    def order(row: dict) -> tuple:
        return tuple((row[k] is None, row[k] if row[k] is not None else "") for k in key)

    assert len(rows) > 1000
    assert [order(r) for r in rows] == sorted(order(r) for r in rows)
    tied = {order(r)[:5] for r in rows}
    assert len(tied) < len(rows)  # rows that the old order left to chance


def test_a_long_table_shows_a_screenful_and_counts_the_rest(tmp_path: Path) -> None:
    """Issue 32: drawing 8,000 rows took seconds and nobody reads them in a terminal. A
    table shows the first 50 and says how many more, and how to get them; --all (before
    or after the command) and the data formats have every row, and so has a table written
    to a file."""
    from helpers import ingest_catalogues

    db = str(ingest_catalogues(tmp_path / "w.duckdb", ["2026-01-29", "2026-05-07"]))
    base = ["changes", "--since", "2026-01-01", "--db", db]
    every = json.loads(runner.invoke(app, [*base, "--json"]).stdout)
    assert len(every) > 1000
    short = runner.invoke(app, base, terminal_width=80).stdout
    assert len(_table_lines(short)) == 50
    assert short.splitlines()[-1] == \
        f"… {len(every) - 50:,} more rows: --all, --json or --format csv"
    for args in ([*base, "--all"], ["--all", *base]):
        assert len(_table_lines(runner.invoke(app, args, terminal_width=80).stdout)) == \
            len(every)
    out = tmp_path / "changes.txt"
    runner.invoke(app, [*base, "--out", str(out)], terminal_width=80)
    assert len(_table_lines(out.read_text())) == len(every)
    assert "more rows" not in out.read_text()
